"""Dataset, TensorDataset, random_split and DataLoader."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad.data import (BatchSampler, ConcatDataset, DataLoader, Dataset, RandomSampler,
                           Subset, TensorDataset, default_collate, random_split)
from minigrad.data.dataset import has_fast_batches


def data(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.uint8)
    return x, y


def test_tensor_dataset_items_and_errors():
    x, y = data()
    ds = TensorDataset(x, minigrad.tensor(y.astype(np.int64)))
    assert len(ds) == 10
    xi, yi = ds[4]
    np.testing.assert_array_equal(xi, x[4])
    assert int(yi) == 4
    assert isinstance(xi, minigrad.Tensor) and isinstance(yi, minigrad.Tensor)    # PyTorch's
    assert xi.dtype == np.float32 and yi.shape == () and yi.dtype == np.int64
    with pytest.raises(ValueError, match=r"equal first dimensions, got shapes \(10, 3\), \(9,\)"):
        TensorDataset(x, y[:9])
    with pytest.raises(ValueError, match="at least one array"):
        TensorDataset()


@given(st.integers(1, 40), st.integers(1, 12), st.booleans())
def test_batches_cover_the_data(n, batch_size, drop_last):
    x, y = data(n)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, seed=1,
                        drop_last=drop_last)
    batches = list(loader)
    assert len(batches) == len(loader) == (n // batch_size if drop_last
                                           else -(-n // batch_size))
    sizes = [len(b[0]) for b in batches]
    assert all(s == batch_size for s in sizes[:-1])
    if drop_last:
        assert all(s == batch_size for s in sizes)
    seen = np.concatenate([b[1].numpy() for b in batches]) if batches else np.array([], int)
    assert len(set(seen.tolist())) == len(seen) == sum(sizes)          # no repeats
    if not drop_last:
        assert sorted(seen.tolist()) == list(range(n))
    for xb, yb in batches:                                             # rows stay paired
        np.testing.assert_array_equal(xb.numpy(), x[yb.numpy()])


def test_types_shapes_and_order():
    x, y = data(10)
    xb, yb = next(iter(DataLoader(TensorDataset(x, y), batch_size=4)))
    assert isinstance(xb, minigrad.Tensor) and isinstance(yb, minigrad.Tensor)
    assert xb.shape == (4, 3) and xb.dtype == np.float32
    assert yb.shape == (4,) and yb.dtype == np.int64 and yb.tolist() == [0, 1, 2, 3]
    x64 = x.astype(np.float64)
    assert next(iter(DataLoader((x64, y), batch_size=2)))[0].dtype == np.float64
    pixels = np.zeros((10, 2, 2), np.uint8)
    ids = np.zeros((10, 5), np.int32)
    batch = next(iter(DataLoader((pixels, ids, y.astype(np.int32), y > 4), batch_size=2)))
    assert [b.dtype for b in batch] == [np.uint8, np.int64, np.int64, np.bool_]


def test_seed_reproducible_and_epochs_differ():
    x, y = data(50)

    def epochs(loader, k=2):
        return [np.concatenate([b[1].numpy() for b in loader]).tolist() for _ in range(k)]

    a = epochs(DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, seed=3))
    b = epochs(DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, seed=3))
    c = epochs(DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True, seed=4))
    assert a == b and a != c and a[0] != a[1]


def test_unseeded_follows_manual_seed():
    x, y = data(50)
    loader = DataLoader(TensorDataset(x, y), batch_size=50, shuffle=True)
    minigrad.manual_seed(11)
    first = next(iter(loader))[1].tolist()
    minigrad.manual_seed(11)
    assert next(iter(loader))[1].tolist() == first
    assert first != list(range(50))


class Squares(Dataset):
    """A generic dataset: items computed one at a time."""

    def __len__(self):
        return 7

    def __getitem__(self, i):
        return np.full((2,), i * i, dtype=np.float32), i


def test_generic_dataset_falls_back_to_stacking():
    xb, yb = next(iter(DataLoader(Squares(), batch_size=3)))
    assert xb.shape == (3, 2) and xb.dtype == np.float32
    assert yb.dtype == np.int64 and yb.tolist() == [0, 1, 2]
    assert xb.numpy()[:, 0].tolist() == [0, 1, 4]


def test_transform_applies_to_inputs_only():
    x, y = data(6)
    loader = DataLoader(TensorDataset(x, y), batch_size=6, transform=lambda a: a * 2)
    xb, yb = next(iter(loader))
    np.testing.assert_array_equal(xb.numpy(), x * 2)
    assert yb.tolist() == list(range(6))


def test_bad_arguments():
    x, y = data()
    with pytest.raises(ValueError, match="DataLoader: batch_size must be an int ≥ 1, got 0"):
        DataLoader((x, y), batch_size=0)
    with pytest.raises(TypeError, match=r"transform must be None or a callable, got 3 \(int\)"):
        DataLoader((x, y), transform=3)


@pytest.mark.parametrize("lengths", [[7, 3], [0.7, 0.3], [0.5, 0.25, 0.25]])
def test_random_split(lengths):
    x, y = data(10)
    parts = random_split(TensorDataset(x, y), lengths, seed=0)
    assert all(isinstance(p, Subset) for p in parts)
    assert sum(len(p) for p in parts) == 10
    idx = np.concatenate([p.indices for p in parts])
    assert sorted(idx.tolist()) == list(range(10))
    again = random_split(TensorDataset(x, y), lengths, seed=0)
    assert all(np.array_equal(p.indices, q.indices) for p, q in zip(parts, again))
    xb, yb = next(iter(DataLoader(parts[0], batch_size=len(parts[0]))))
    np.testing.assert_array_equal(yb.numpy(), parts[0].indices)
    np.testing.assert_array_equal(xb.numpy(), x[parts[0].indices])


def test_random_split_sizes_and_errors():
    x, y = data(10)
    assert [len(p) for p in random_split(TensorDataset(x, y), [1 / 3] * 3, seed=0)] == [4, 3, 3]
    with pytest.raises(ValueError, match="summing to the dataset's size 10"):
        random_split(TensorDataset(x, y), [5, 4])
    with pytest.raises(ValueError, match="summing to 1"):
        random_split(TensorDataset(x, y), [0.5, 0.4])


def test_shuffled_orders_are_numpys_permutations():
    """The order of a shuffled epoch is ``Generator.permutation(N)`` (drawn in int32 to halve
    its memory): the same order as before, epoch after epoch, seeded or not."""
    for n, batch_size, drop_last in [(1, 1, False), (10, 3, False), (10, 3, True),
                                     (257, 16, False), (1000, 7, True)]:
        x, y = data(n)
        y = np.arange(n)
        loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, seed=5,
                            drop_last=drop_last)
        reference = np.random.default_rng(5)
        for _ in range(3):
            labels = [yb for _, yb in loader]
            assert all(yb.dtype == np.int64 for yb in labels)
            seen = np.concatenate([yb.numpy() for yb in labels])
            expected = reference.permutation(n)
            np.testing.assert_array_equal(seen, expected[:len(seen)])
    minigrad.manual_seed(7)
    unseeded = DataLoader(TensorDataset(x, y), batch_size=100, shuffle=True)
    order = np.concatenate([yb.numpy() for _, yb in unseeded])
    np.testing.assert_array_equal(order, np.random.default_rng(7).permutation(1000))


class LazyNumbers(Dataset):
    """5·10⁷ items computed on demand: nothing is stored."""

    def __len__(self):
        return 50_000_000

    def __getitem__(self, i):
        return np.float32(i), i % 10


def test_first_batch_of_a_lazy_dataset_allocates_no_index_array():
    """Principle 4: memory is bounded by what is used; an unshuffled loader over 5·10⁷ lazy
    items made an int64 index of all of them (381 MiB) before its first batch."""
    import tracemalloc

    loader = DataLoader(LazyNumbers(), batch_size=64)
    tracemalloc.start()
    try:
        batches = iter(loader)
        xb, yb = next(batches)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert xb.shape == (64,) and xb.numpy()[-1] == 63 and yb.tolist()[:3] == [0, 1, 2]
    assert peak < 2 ** 20, f"the first batch allocated {peak / 2 ** 20:.1f} MiB"
    assert len(loader) == 781_250


@pytest.mark.parametrize("indices", [[3, 0, 9], np.array([2, 2], np.int32), range(4, 1, -1),
                                     [], minigrad.tensor(np.array([1, 5]))])
def test_subset_takes_integer_indices(indices):
    x, y = data(10)
    subset = Subset(TensorDataset(x, y), indices)
    expected = np.asarray(list(np.asarray(indices.numpy() if hasattr(indices, "numpy")
                                          else list(indices))), dtype=np.int64)
    assert subset.indices.dtype == np.int64
    np.testing.assert_array_equal(subset.indices, expected)
    if len(subset):
        _, yb = next(iter(DataLoader(subset, batch_size=len(subset))))
        assert yb.tolist() == expected.tolist()


def test_subset_counts_negative_indices_from_the_end():
    x, y = data(10)
    subset = Subset(TensorDataset(x, y), [-1, -10, 0])
    assert subset.indices.tolist() == [9, 0, 0]
    assert [int(subset[i][1]) for i in range(3)] == [9, 0, 0]


class Pairs(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return np.float32(i), i


@pytest.mark.parametrize("call, error, says", [
    (lambda ds: Subset(ds, [0.9, 1.9]), TypeError, ["Subset: indices must be ints",
                                                    "float64", "0.9 (float)"]),
    (lambda ds: Subset(ds, np.ones(5, bool)), TypeError, ["Subset: indices", "bool mask"]),
    (lambda ds: Subset(ds, [0, 5]), ValueError, ["Subset: indices must be in [-5, 5)",
                                                 "got 5"]),
    (lambda ds: Subset(ds, [-6]), ValueError, ["Subset: indices must be in [-5, 5)", "got -6"]),
    (lambda ds: Subset(ds, 3), TypeError, ["Subset: indices must be a sequence of ints",
                                           "3 (int)"]),
    (lambda ds: Subset(ds, [[0, 1]]), ValueError, ["Subset: indices must be a 1-D", "(1, 2)"]),
    (lambda ds: Subset(ds, ["0"]), TypeError, ["Subset: indices must be ints", "'0' (str)"]),
    (lambda ds: Subset([1, 2], [0]), TypeError, ["Subset: dataset must be a Dataset",
                                                 "got list"]),
    (lambda ds: DataLoader(ds, batch_size=0), ValueError, ["DataLoader: batch_size",
                                                           "int ≥ 1", "got 0"]),
    (lambda ds: DataLoader(ds, batch_size=2.0), TypeError, ["DataLoader: batch_size",
                                                            "2.0 (float)"]),
    (lambda ds: DataLoader(ds, batch_size=True), TypeError, ["DataLoader: batch_size",
                                                             "True (bool)"]),
    (lambda ds: DataLoader(ds, batch_size=None), TypeError, ["DataLoader: batch_size",
                                                             "None (NoneType)"]),
    (lambda ds: DataLoader(ds, shuffle="yes"), TypeError, ["DataLoader: shuffle",
                                                           "True or False", "'yes' (str)"]),
    (lambda ds: DataLoader(ds, shuffle=1), TypeError, ["DataLoader: shuffle", "1 (int)"]),
    (lambda ds: DataLoader(ds, drop_last="no"), TypeError, ["DataLoader: drop_last",
                                                            "'no' (str)"]),
    (lambda ds: DataLoader(ds, seed="abc"), TypeError, ["DataLoader: seed",
                                                        "None or an int ≥ 0", "'abc' (str)"]),
    (lambda ds: DataLoader(ds, seed=1.5), TypeError, ["DataLoader: seed", "1.5 (float)"]),
    (lambda ds: DataLoader(ds, seed=-1), ValueError, ["DataLoader: seed", "int ≥ 0",
                                                      "got -1"]),
    (lambda ds: DataLoader(ds, transform="flip"), TypeError, ["DataLoader: transform",
                                                              "'flip' (str)"]),
    (lambda ds: DataLoader(5), TypeError, ["DataLoader: dataset must be a Dataset", "int"]),
    (lambda ds: DataLoader("abc"), TypeError, ["DataLoader: dataset", "str"]),
    (lambda ds: DataLoader((np.zeros(3), "ab")), TypeError, ["DataLoader: dataset[1]",
                                                             "str"]),
    (lambda ds: DataLoader(np.array(["a", "b"])), TypeError, ["DataLoader: field 0",
                                                              "<U1"]),
    (lambda ds: random_split(ds, [3, 3]), ValueError, ["random_split: lengths",
                                                       "dataset's size 5", "sum 6"]),
    (lambda ds: random_split(ds, [6, -1]), ValueError, ["random_split: lengths",
                                                        "non-negative", "[6, -1]"]),
    (lambda ds: random_split(ds, [0.5, 0.4]), ValueError, ["random_split: lengths",
                                                           "summing to 1", "[0.5, 0.4]"]),
    (lambda ds: random_split(ds, [1.5, -0.5]), ValueError, ["random_split: lengths",
                                                            "[0, 1]", "[1.5, -0.5]"]),
    (lambda ds: random_split(ds, [float("nan"), 1.0]), ValueError, ["random_split",
                                                                     "nan"]),
    (lambda ds: random_split(ds, 0.8), TypeError, ["random_split: lengths", "0.8 (float)"]),
    (lambda ds: random_split(ds, ["3", "2"]), TypeError, ["random_split: lengths",
                                                          "'3' (str)"]),
    (lambda ds: random_split(ds, [True, 4]), TypeError, ["random_split: lengths",
                                                         "True (bool)"]),
    (lambda ds: random_split(ds, []), ValueError, ["random_split: lengths", "got []"]),
    (lambda ds: random_split(ds, [3, 2], seed="0"), TypeError, ["random_split: seed",
                                                                "'0' (str)"]),
    (lambda ds: random_split("abc", [3]), TypeError, ["random_split: dataset", "str"]),
    (lambda ds: random_split(ds, [3, 2], 0), TypeError, ["random_split: generator",
                                                         "minigrad.Generator", "seed=0"]),
    (lambda ds: DataLoader(ds, num_workers=-1), ValueError, ["DataLoader: num_workers",
                                                             "int ≥ 0", "got -1"]),
    (lambda ds: DataLoader(ds, num_workers=1.0), TypeError, ["DataLoader: num_workers",
                                                             "1.0 (float)"]),
    (lambda ds: DataLoader(ds, pin_memory="yes"), TypeError, ["DataLoader: pin_memory",
                                                              "'yes' (str)"]),
    (lambda ds: DataLoader(ds, collate_fn=3), TypeError, ["DataLoader: collate_fn",
                                                          "3 (int)"]),
    (lambda ds: DataLoader(ds, generator=0), TypeError, ["DataLoader: generator",
                                                         "minigrad.Generator", "0 (int)"]),
    (lambda ds: DataLoader(ds, generator=minigrad.Generator(), seed=1), ValueError,
     ["DataLoader: give generator= or seed=, not both"]),
    (lambda ds: DataLoader(ds, shuffle=True, sampler=[0, 1]), ValueError,
     ["DataLoader: sampler option is mutually exclusive with shuffle"]),
    (lambda ds: DataLoader(ds, sampler=3), TypeError, ["DataLoader: sampler", "3 (int)"]),
    (lambda ds: DataLoader(ds, batch_sampler=[[0]], batch_size=2), ValueError,
     ["DataLoader: batch_sampler option is mutually exclusive"]),
    (lambda ds: DataLoader(ds, prefetch_factor=2), ValueError, ["DataLoader: prefetch_factor",
                                                                "num_workers > 0"]),
    (lambda ds: DataLoader(ds, persistent_workers=True), ValueError,
     ["DataLoader: persistent_workers option needs num_workers > 0"]),
    (lambda ds: DataLoader(ds, timeout=-1), ValueError, ["DataLoader: timeout", "got -1"]),
    (lambda ds: DataLoader(ds, batch_size=None), TypeError, ["DataLoader: batch_size",
                                                             "None (NoneType)",
                                                             "not implemented"]),
    (lambda ds: RandomSampler(ds, num_samples=0), ValueError, ["RandomSampler: num_samples",
                                                               "got 0"]),
    (lambda ds: BatchSampler([0, 1], 2.0, False), TypeError, ["BatchSampler: batch_size",
                                                              "2.0 (float)"]),
    (lambda ds: BatchSampler([0, 1], 2, None), TypeError, ["BatchSampler: drop_last",
                                                           "None (NoneType)"]),
    (lambda ds: ConcatDataset([]), ValueError, ["ConcatDataset", "empty"]),
    (lambda ds: ConcatDataset([ds, 3]), TypeError, ["ConcatDataset: datasets[1]",
                                                    "3 (int)"]),
])
@pytest.mark.parametrize("dataset", ["tensor", "generic"])
def test_bad_arguments_raise_before_any_work(dataset, call, error, says):
    ds = TensorDataset(np.arange(5.0), np.arange(5)) if dataset == "tensor" else Pairs()
    minigrad.manual_seed(0)
    before = minigrad.random.get_state()
    with pytest.raises(error) as info:
        call(ds)
    message = str(info.value)
    assert all(piece in message for piece in says), message
    assert minigrad.random.get_state() == before         # no draw was made


# -- PyTorch's ways (issue 20, item 5) -------------------------------------------------------------
class Augmented(TensorDataset):
    """A TensorDataset whose subclass changes items: batches must come from __getitem__."""

    def __getitem__(self, index):
        x, y = super().__getitem__(index)
        return x * 2, y


class Records(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": np.full(2, i, np.float32), "meta": {"id": i, "name": f"n{i}"}}


class Duck:
    """Not a Dataset: only __len__ and __getitem__, as PyTorch allows."""

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return minigrad.tensor(np.float32(i)), i


def test_which_datasets_batch_at_once():
    x, y = data(6)
    ds = TensorDataset(x, y)
    assert has_fast_batches(ds) and has_fast_batches(Subset(ds, [1, 2]))
    assert has_fast_batches(ds + Subset(ds, [0]))
    assert not has_fast_batches(Augmented(x, y)) and not has_fast_batches(Squares())
    assert not has_fast_batches(ds + Squares()) and not has_fast_batches(Duck())
    assert not has_fast_batches(Subset(Augmented(x, y), [0]))


def test_a_subclass_getitem_is_used_as_pytorch_does():
    x, y = data(6)
    xb, yb = next(iter(DataLoader(Augmented(x, y), batch_size=3)))
    np.testing.assert_array_equal(xb.numpy(), x[:3] * 2)
    assert yb.tolist() == [0, 1, 2]


def test_dict_samples_are_collated_recursively():
    batch = next(iter(DataLoader(Records(), batch_size=3)))
    assert set(batch) == {"x", "meta"} and batch["x"].shape == (3, 2)
    assert batch["meta"]["id"].tolist() == [0, 1, 2] and batch["meta"]["id"].dtype == np.int64
    assert batch["meta"]["name"] == ["n0", "n1", "n2"]


def test_duck_typed_datasets_and_lists_of_samples():
    xb, yb = next(iter(DataLoader(Duck(), batch_size=4)))
    assert xb.tolist() == [0, 1, 2, 3] and xb.dtype == np.float32 and yb.dtype == np.int64
    samples = [(np.full(2, i, np.float32), i) for i in range(5)]
    batches = list(DataLoader(samples, batch_size=2))
    assert [b[1].tolist() for b in batches] == [[0, 1], [2, 3], [4]]
    with pytest.raises(TypeError, match="transform needs a dataset with get_batch"):
        DataLoader(Duck(), transform=lambda a: a)


def test_collate_fn_gets_the_samples():
    x, y = data(6)
    seen = []
    loader = DataLoader(TensorDataset(x, y), batch_size=4, collate_fn=seen.append)
    list(loader)
    assert [len(b) for b in seen] == [4, 2]
    assert all(isinstance(f, minigrad.Tensor) for f in seen[0][0])
    assert loader.collate_fn == seen.append
    assert DataLoader(Records()).collate_fn is default_collate


def test_samplers_give_the_batch_indices():
    x, y = data(10)
    ds = TensorDataset(x, y)
    loader = DataLoader(ds, batch_size=3, sampler=[9, 8, 7, 0])
    assert [b[1].tolist() for b in loader] == [[9, 8, 7], [0]] and len(loader) == 2
    loader = DataLoader(ds, batch_sampler=[[1, 1], [5]])
    assert [b[1].tolist() for b in loader] == [[1, 1], [5]] and loader.batch_size is None
    with pytest.raises(ValueError, match=r"DataLoader: indices must be in \[-10, 10\)"):
        list(DataLoader(ds, sampler=[10]))


def test_loaders_own_samplers_keep_the_lazy_orders():
    x, y = data(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4, shuffle=True, seed=5)
    assert isinstance(loader.sampler, RandomSampler)
    assert isinstance(loader.batch_sampler, BatchSampler)
    order = np.random.default_rng(5).permutation(10)
    assert list(loader.batch_sampler) == [order[:4].tolist(),
                                                          order[4:8].tolist(),
                                                          order[8:].tolist()]
