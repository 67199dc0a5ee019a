"""Dataset, TensorDataset, random_split and DataLoader."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad.data import DataLoader, Dataset, Subset, TensorDataset, random_split


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
    with pytest.raises(ValueError, match="positive int batch_size, got 0"):
        DataLoader((x, y), batch_size=0)
    with pytest.raises(TypeError, match="callable transform"):
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
