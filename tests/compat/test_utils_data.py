"""Issue 20, item 5: ``minigrad.utils.data`` is PyTorch's ``torch.utils.data`` — Dataset,
TensorDataset, DataLoader (collate_fn, sampler, batch_sampler, drop_last, generator,
num_workers, pin_memory), random_split, ConcatDataset, the samplers and default_collate —
with PyTorch as the oracle where it is installed (skipped with a reason otherwise)."""
import collections
import warnings

import numpy as np
import pytest

import minigrad
import minigrad.utils.data as data
from minigrad import nn, optim
from minigrad.utils.data import DataLoader, TensorDataset

try:
    import torch
    import torch.utils.data as torch_data
except ImportError:      # the oracle is optional: CI has no PyTorch
    torch = torch_data = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")
# PyTorch warns that pin_memory has no accelerator here; minigrad accepts it silently.
pytestmark = pytest.mark.filterwarnings("ignore:'pin_memory' argument is set as true")

Point = collections.namedtuple("Point", "x label")
rng = np.random.default_rng(0)
X = rng.standard_normal((20, 3)).astype(np.float32)
Y = rng.integers(0, 4, 20)


def plain(value):
    """A batch as nested plain Python: Tensors as ("T", shape, dtype name, values), lists
    and tuples by their type, so that minigrad's and PyTorch's batches compare with ==."""
    if isinstance(value, minigrad.Tensor) or torch is not None and \
            isinstance(value, torch.Tensor):
        array = value.numpy()
        values = np.round(array, 6) if array.dtype.kind in "fc" else array
        return ("T", tuple(array.shape), array.dtype.name, values.tolist())
    if isinstance(value, (np.ndarray, np.generic)):
        return ("A", np.asarray(value).dtype.name, np.asarray(value).tolist())
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__, *[plain(v) for v in value])
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, *[plain(v) for v in value])
    return value


def unordered(value):
    """As :func:`plain`, a list and a tuple of fields alike (minigrad's TensorDataset
    batches are tuples, PyTorch's lists)."""
    value = plain(value)
    if isinstance(value, tuple) and value and value[0] in ("list", "tuple"):
        return ("seq", *value[1:])
    return value


# -- the names -------------------------------------------------------------------------------------
def test_utils_data_is_the_home_of_minigrad_data_objects():
    import minigrad.utils.data as d
    from minigrad.utils.data import DataLoader as Loader
    for name in d.__all__:
        assert getattr(d, name) is getattr(minigrad.data, name), name
    assert Loader is minigrad.data.DataLoader
    assert d.get_worker_info() is None


@needs_torch
def test_every_name_is_pytorchs():
    for name in data.__all__:
        assert hasattr(torch_data, name), name


# -- a PyTorch-style program: Dataset subclass, DataLoader loop, optimizer -------------------------
def training_losses(torch, nn, optim, data):
    """A PyTorch program in the common idiom; only the modules it is given differ."""

    class Regression(data.Dataset):
        def __init__(self, x, y):
            self.x, self.y = x, y

        def __len__(self):
            return len(self.x)

        def __getitem__(self, i):
            return torch.tensor(self.x[i]), torch.tensor(self.y[i])

    w_true = np.array([[1.5], [-2.0], [0.5]], np.float32)
    x = np.random.default_rng(1).standard_normal((48, 3)).astype(np.float32)
    y = x @ w_true + 0.1
    train, val = Regression(x[:40], y[:40]), Regression(x[40:], y[40:])
    order = np.random.default_rng(2).permutation(40).tolist()
    loader = data.DataLoader(train, batch_size=8, sampler=order, num_workers=2,
                             pin_memory=True, drop_last=True)
    model = nn.Linear(3, 1)
    with torch.no_grad():
        model.weight.data = torch.tensor(np.full((1, 3), 0.1, np.float32))
        model.bias.data = torch.tensor(np.zeros(1, np.float32))
    opt = optim.SGD(model.parameters(), lr=0.1)
    losses = []
    for _ in range(3):
        for xb, yb in loader:
            loss = ((model(xb) - yb) ** 2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        val_loader = data.DataLoader(val, batch_size=4)
        with torch.no_grad():
            losses.append(sum(((model(xb) - yb) ** 2).sum().item() for xb, yb in val_loader))
    return losses


def test_pytorch_style_training_loop_learns():
    losses = training_losses(minigrad, nn, optim, data)
    assert len(losses) == 3 * (5 + 1) and losses[-2] < 0.1 * losses[0]


@needs_torch
def test_pytorch_style_training_loop_matches_pytorch():
    mine = training_losses(minigrad, nn, optim, data)
    theirs = training_losses(torch, torch.nn, torch.optim, torch_data)
    np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-6)


# -- TensorDataset ---------------------------------------------------------------------------------
def test_tensor_dataset_items_are_tensors_sharing_memory():
    x, y = minigrad.tensor(X), minigrad.tensor(Y)
    ds = TensorDataset(x, y)
    assert len(ds) == 20 and ds.tensors[0] is x
    xi, yi = ds[3]
    assert isinstance(xi, minigrad.Tensor) and isinstance(yi, minigrad.Tensor)
    assert xi.shape == (3,) and yi.shape == () and yi.dtype == np.int64
    np.testing.assert_array_equal(xi.numpy(), X[3])
    x[3, 0] = 100.0                           # a row shares the dataset's memory
    assert ds[3][0][0].item() == 100.0
    rows = TensorDataset(X)[[1, 2]]
    assert rows[0].shape == (2, 3)


@needs_torch
@pytest.mark.parametrize("index", [0, 7, -1, slice(2, 5), [1, 4]])
def test_tensor_dataset_indexing_matches_pytorch(index):
    mine = TensorDataset(minigrad.tensor(X), minigrad.tensor(Y))
    theirs = torch_data.TensorDataset(torch.tensor(X), torch.tensor(Y))
    assert len(mine) == len(theirs)
    assert plain(mine[index]) == plain(theirs[index])


# -- default_collate --------------------------------------------------------------------------- ---
COLLATE_BATCHES = {
    "array_and_int": [(np.zeros(3, np.float32), 1), (np.ones(3, np.float32), 2)],
    "dict": [{"x": np.arange(2), "y": 1.5}, {"x": np.arange(2) + 1, "y": 2.5}],
    "namedtuple": [Point(1, "a"), Point(2, "b")],
    "lists": [[1, 2], [3, 4]],
    "bools": [True, False],
    "numpy_scalars": [np.float32(1), np.float32(2)],
    "int_then_float": [1, 2.5],
    "int32_scalars": [np.int32(3), np.int32(4)],
    "uint8_arrays": [np.zeros((2, 2), np.uint8), np.ones((2, 2), np.uint8)],
    "strings_in_tuples": [("a", np.uint8(1)), ("b", np.uint8(2))],
    "nested": [{"p": (1.0, [np.int64(2)])}, {"p": (3.0, [np.int64(4)])}],
}


@pytest.mark.parametrize("name", sorted(COLLATE_BATCHES))
def test_default_collate_outputs(name):
    out = data.default_collate(COLLATE_BATCHES[name])
    assert out is not None


@needs_torch
@pytest.mark.parametrize("name", sorted(COLLATE_BATCHES))
def test_default_collate_matches_pytorch(name):
    batch = COLLATE_BATCHES[name]
    assert plain(data.default_collate(batch)) == plain(torch_data.default_collate(batch))


@needs_torch
def test_default_collate_stacks_tensors_as_pytorch():
    mine = data.default_collate([(minigrad.tensor(X[i]), minigrad.tensor(Y[i]))
                                 for i in range(4)])
    theirs = torch_data.default_collate([(torch.tensor(X[i]), torch.tensor(Y[i]))
                                         for i in range(4)])
    assert plain(mine) == plain(theirs)


@needs_torch
@pytest.mark.parametrize("batch", [[object()], [None], [np.array(["a"])], [(1, 2), (3,)]],
                         ids=["object", "None", "str_array", "ragged"])
def test_default_collate_refuses_what_pytorch_refuses(batch):
    with pytest.raises(Exception) as theirs:
        torch_data.default_collate(batch)
    with pytest.raises(type(theirs.value)) as mine:
        data.default_collate(batch)
    assert "default_collate" in str(mine.value)


@needs_torch
def test_default_convert_matches_pytorch():
    sample = (np.zeros(2), 1, [np.int64(3)], {"a": np.ones(1, np.float32)})
    assert plain(data.default_convert(sample)) == plain(torch_data.default_convert(sample))


# -- random_split ----------------------------------------------------------------------------------
SPLITS = [(10, [0.5, 0.5]), (10, [1 / 3] * 3), (7, [0.1, 0.9]), (5, [0.1, 0.1, 0.8]),
          (3, [0.2, 0.8]), (10, [3, 7]), (101, [0.8, 0.1, 0.1]), (0, [0.5, 0.5])]


@pytest.mark.parametrize("n, lengths", SPLITS)
def test_random_split_parts_partition_the_dataset(n, lengths):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parts = data.random_split(TensorDataset(np.arange(n)), lengths,
                                  generator=minigrad.Generator().manual_seed(0))
    seen = sorted(i for p in parts for i in p.indices.tolist())
    assert seen == list(range(n))


@needs_torch
@pytest.mark.parametrize("n, lengths", SPLITS)
def test_random_split_lengths_and_warnings_match_pytorch(n, lengths):
    with warnings.catch_warnings(record=True) as theirs_warned:
        warnings.simplefilter("always")
        theirs = [len(p) for p in torch_data.random_split(range(n), lengths)]
    with warnings.catch_warnings(record=True) as mine_warned:
        warnings.simplefilter("always")
        mine = [len(p) for p in data.random_split(TensorDataset(np.arange(n)), lengths)]
    assert mine == theirs
    assert len(mine_warned) == len(theirs_warned)


def test_random_split_generator_is_reproducible_and_its_own():
    ds = TensorDataset(np.arange(50))
    minigrad.manual_seed(0)
    before = minigrad.random.get_state()
    a = data.random_split(ds, [30, 20], generator=minigrad.Generator().manual_seed(42))
    b = data.random_split(ds, [30, 20], generator=minigrad.Generator().manual_seed(42))
    assert minigrad.random.get_state() == before          # the global generator is untouched
    assert all(np.array_equal(p.indices, q.indices) for p, q in zip(a, b))
    with pytest.raises(TypeError, match=r"random_split: generator must be a "
                                        r"minigrad.Generator or None, got 3 \(int\); for an int "
                                        r"seed pass seed=3"):
        data.random_split(ds, [30, 20], 3)
    with pytest.raises(ValueError, match="give generator= or seed=, not both"):
        data.random_split(ds, [30, 20], minigrad.Generator(), seed=1)


# -- ConcatDataset ----------------------------------------------------------------------------- ---
@needs_torch
def test_concat_dataset_matches_pytorch():
    mine = data.ConcatDataset([TensorDataset(minigrad.tensor(X[:7])),
                               TensorDataset(minigrad.tensor(X[7:]))])
    theirs = torch_data.ConcatDataset([torch_data.TensorDataset(torch.tensor(X[:7])),
                                       torch_data.TensorDataset(torch.tensor(X[7:]))])
    assert len(mine) == len(theirs) and mine.cumulative_sizes == theirs.cumulative_sizes
    for i in (0, 6, 7, 19, -1, -20):
        assert plain(mine[i]) == plain(theirs[i])


def test_concat_dataset_batches_fast_and_by_items_agree():
    first, second = TensorDataset(X[:7], Y[:7]), TensorDataset(X[7:], Y[7:])
    both = first + second
    assert isinstance(both, data.ConcatDataset) and len(both) == 20
    order = np.random.default_rng(3).permutation(20).tolist()
    fast = list(DataLoader(both, batch_size=6, sampler=order))
    by_items = list(DataLoader(both, batch_size=6, sampler=order,
                               collate_fn=data.default_collate))
    for (xf, yf), (xi, yi) in zip(fast, by_items):
        np.testing.assert_array_equal(xf.numpy(), xi.numpy())
        np.testing.assert_array_equal(yf.numpy(), yi.numpy())
    np.testing.assert_array_equal(np.concatenate([b[1].numpy() for b in fast]), Y[order])
    with pytest.raises(IndexError, match="ConcatDataset: index 20 is out of range"):
        both[20]


# -- DataLoader options ------------------------------------------------------------------------ ---
class Items(data.Dataset):
    """A PyTorch-style dataset: (array, int) samples, one at a time."""

    def __len__(self):
        return 11

    def __getitem__(self, i):
        return X[i], int(Y[i])


class Records(data.Dataset):
    """Dict samples."""

    def __len__(self):
        return 9

    def __getitem__(self, i):
        return {"x": X[i], "y": float(i), "name": f"r{i}"}


def pad_collate(samples):
    """A custom collate_fn: the inputs stacked, the labels as a list, and a count."""
    xs, ys = zip(*samples)
    return {"x": np.stack(xs), "labels": list(ys), "n": len(samples)}


def tensor_collate(samples):
    """A collate_fn that receives the TensorDataset's items (tuples of Tensors)."""
    return [s[0].numpy().sum() for s in samples]


def loader_cases(tensor, dataset_module):
    """(name, dataset, loader keyword arguments) for minigrad and PyTorch alike."""
    ds = dataset_module.TensorDataset(tensor(X), tensor(Y))
    order = [5, 3, 19, 0, 7, 2, 11, 13]
    return [
        ("tensor_plain", ds, dict(batch_size=6)),
        ("tensor_drop_last", ds, dict(batch_size=6, drop_last=True)),
        ("tensor_sampler", ds, dict(batch_size=3, sampler=order)),
        ("tensor_sampler_drop_last", ds, dict(batch_size=3, sampler=order, drop_last=True)),
        ("tensor_batch_sampler", ds, dict(batch_sampler=[[1, 2, 3], [0], [19, 4]])),
        ("tensor_collate_fn", ds, dict(batch_size=4, collate_fn=tensor_collate)),
        ("tensor_sequential_sampler", ds,
         dict(batch_size=7, sampler=dataset_module.SequentialSampler(ds))),
        ("tensor_batch_sampler_class", ds,
         dict(batch_sampler=dataset_module.BatchSampler(order, 3, False))),
        ("items", Items(), dict(batch_size=4)),
        ("items_drop_last", Items(), dict(batch_size=4, drop_last=True)),
        ("items_collate_fn", Items(), dict(batch_size=5, collate_fn=pad_collate)),
        ("items_batch_sampler", Items(), dict(batch_sampler=[[10, 0], [3, 4, 5]])),
        ("records", Records(), dict(batch_size=4)),
        ("list_of_samples", [(X[i], int(Y[i])) for i in range(5)], dict(batch_size=2)),
        ("workers_and_pinning", ds, dict(batch_size=8, num_workers=2, pin_memory=True,
                                         timeout=5, persistent_workers=True,
                                         prefetch_factor=2)),
    ]


def _with_module(cases, module):
    """Items and Records subclass minigrad's Dataset; give PyTorch its own copies."""
    out = []
    for name, ds, kwargs in cases:
        if isinstance(ds, data.Dataset) and not isinstance(ds, data.TensorDataset):
            methods = {k: v for k, v in vars(type(ds)).items()
                       if k not in ("__dict__", "__weakref__")}
            ds = type(type(ds).__name__, (module.Dataset,), methods)()
        out.append((name, ds, kwargs))
    return out


NAMES = [name for name, _, _ in loader_cases(minigrad.tensor, data)]


@pytest.mark.parametrize("name", NAMES)
def test_loader_options_run(name):
    _, ds, kwargs = dict((c[0], c) for c in loader_cases(minigrad.tensor, data))[name]
    loader = DataLoader(ds, **kwargs)
    batches = list(loader)
    assert len(batches) == len(loader) > 0


@needs_torch
@pytest.mark.parametrize("name", NAMES)
def test_loader_batches_match_pytorch(name):
    mine = dict((c[0], c) for c in loader_cases(minigrad.tensor, data))[name]
    theirs = dict((c[0], c) for c in _with_module(loader_cases(torch.tensor, torch_data),
                                                   torch_data))[name]
    mine_loader = DataLoader(mine[1], **mine[2])
    theirs_loader = torch_data.DataLoader(theirs[1], **theirs[2])
    assert len(mine_loader) == len(theirs_loader)
    mine_batches = [unordered(b) for b in mine_loader]
    theirs_batches = [unordered(b) for b in theirs_loader]
    assert mine_batches == theirs_batches


@needs_torch
@pytest.mark.parametrize("kwargs", [
    dict(shuffle=True, sampler=[0, 1]),
    dict(batch_sampler=[[0]], batch_size=2),
    dict(batch_sampler=[[0]], shuffle=True),
    dict(batch_sampler=[[0]], sampler=[0]),
    dict(batch_sampler=[[0]], drop_last=True),
    dict(num_workers=-1),
    dict(prefetch_factor=2),
    dict(persistent_workers=True),
    dict(timeout=-1),
], ids=lambda k: ",".join(k))
def test_loader_refuses_what_pytorch_refuses(kwargs):
    with pytest.raises(ValueError):
        torch_data.DataLoader(torch_data.TensorDataset(torch.tensor(X)), **kwargs)
    with pytest.raises(ValueError, match="DataLoader: "):
        DataLoader(TensorDataset(X), **kwargs)


def test_num_workers_runs_in_process_and_never_calls_worker_init_fn():
    calls = []
    loader = DataLoader(Items(), batch_size=4, num_workers=4, worker_init_fn=calls.append,
                        multiprocessing_context="spawn", persistent_workers=True)
    assert [len(b[1]) for b in loader] == [4, 4, 3] and calls == []
    assert data.get_worker_info() is None


def test_batch_size_none_is_named_as_not_implemented():
    with pytest.raises(TypeError, match=r"batch_size=None .* is not implemented"):
        DataLoader(Items(), batch_size=None)


def test_transform_and_collate_fn_together_are_refused():
    with pytest.raises(ValueError, match="give transform= or collate_fn=, not both"):
        DataLoader(TensorDataset(X), transform=lambda a: a, collate_fn=data.default_collate)


# -- generators and samplers -----------------------------------------------------------------------
def epoch(loader):
    return np.concatenate([b[1].numpy() for b in loader]).tolist()


def test_generator_draws_the_shuffled_order():
    ds = TensorDataset(X, np.arange(20))
    g = minigrad.Generator().manual_seed(7)
    loader = DataLoader(ds, batch_size=6, shuffle=True, generator=g)
    minigrad.manual_seed(0)
    before = minigrad.random.get_state()
    first, second = epoch(loader), epoch(loader)
    assert minigrad.random.get_state() == before        # only g moved
    assert sorted(first) == list(range(20)) and first != second
    assert first == np.random.default_rng(7).permutation(20).tolist()
    g.manual_seed(7)                                     # reseeding the generator replays
    assert epoch(loader) == first
    sampler = data.RandomSampler(ds, generator=minigrad.Generator().manual_seed(7))
    assert list(sampler) == first
    seeded = DataLoader(ds, batch_size=6, shuffle=True, seed=7)
    assert epoch(seeded) == first                         # seed= and generator= agree


def test_loader_state_dict_with_a_generator_continues_the_orders():
    ds = TensorDataset(X, np.arange(20))
    loader = DataLoader(ds, batch_size=5, shuffle=True,
                        generator=minigrad.Generator().manual_seed(1))
    epoch(loader)
    state = loader.state_dict()
    expected = epoch(loader)
    twin = DataLoader(ds, batch_size=5, shuffle=True, generator=minigrad.Generator())
    twin.load_state_dict(state)
    assert epoch(twin) == expected


def test_samplers():
    ds = TensorDataset(np.arange(10))
    assert list(data.SequentialSampler(ds)) == list(range(10))
    g = minigrad.Generator().manual_seed(0)
    with_replacement = list(data.RandomSampler(ds, replacement=True, num_samples=25,
                                               generator=g))
    assert len(with_replacement) == 25 and all(0 <= i < 10 for i in with_replacement)
    longer = list(data.RandomSampler(ds, num_samples=23, generator=g))
    assert sorted(longer[:10]) == sorted(longer[10:20]) == list(range(10))
    assert len(data.RandomSampler(ds, num_samples=23)) == 23
    subset = list(data.SubsetRandomSampler([3, 5, 7], generator=g))
    assert sorted(subset) == [3, 5, 7]
    weighted = list(data.WeightedRandomSampler([0, 0, 1.0, 0], 5, generator=g))
    assert weighted == [2] * 5
    batches = list(data.BatchSampler(data.SequentialSampler(ds), 4, drop_last=False))
    assert batches == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert list(data.BatchSampler(range(10), 4, drop_last=True)) == batches[:2]
    assert len(data.BatchSampler(range(10), 4, drop_last=False)) == 3
    loader = DataLoader(ds, batch_size=4, sampler=data.SubsetRandomSampler([1, 2, 3], g))
    assert sorted(epoch_values(loader)) == [1, 2, 3]
    with pytest.raises(ValueError, match="cannot draw 3 samples without replacement"):
        data.WeightedRandomSampler([0, 1, 1], 3, replacement=False)
    with pytest.raises(TypeError, match="RandomSampler: generator must be a minigrad.Generator"):
        data.RandomSampler(ds, generator=0)


def epoch_values(loader):
    return np.concatenate([b[0].numpy() for b in loader]).tolist()


@needs_torch
def test_sampler_lengths_match_pytorch():
    ds, tds = TensorDataset(np.arange(10)), torch_data.TensorDataset(torch.arange(10))
    for mine, theirs in [
            (data.RandomSampler(ds, num_samples=23), torch_data.RandomSampler(tds,
                                                                               num_samples=23)),
            (data.BatchSampler(range(10), 3, True), torch_data.BatchSampler(range(10), 3, True)),
            (data.BatchSampler(range(10), 3, False),
             torch_data.BatchSampler(range(10), 3, False)),
            (data.SubsetRandomSampler([1, 2]), torch_data.SubsetRandomSampler([1, 2])),
            (data.WeightedRandomSampler([1, 2], 7), torch_data.WeightedRandomSampler([1, 2], 7))]:
        assert len(mine) == len(theirs) == len(list(mine)) == len(list(theirs))
    assert list(data.BatchSampler(range(10), 3, False)) == \
        list(torch_data.BatchSampler(range(10), 3, False))
