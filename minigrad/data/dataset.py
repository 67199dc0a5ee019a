"""Datasets: indexable collections of examples, and ways to split and join them.

A :class:`Dataset` has ``__len__`` and ``__getitem__(i)`` (one example: a Tensor, an array, a
number, or a tuple or dict of those — PyTorch's ``torch.utils.data.Dataset``).
``get_batch(indices)`` returns a whole batch as a tuple of arrays; the default stacks single
items, :class:`TensorDataset` overrides it with one fancy-index per array, which is what makes
:class:`~minigrad.data.DataLoader` fast (:func:`has_fast_batches` says when it is used).
"""
import bisect
import math
import numbers
import warnings

import numpy as np

from .. import random as _random
from ..tensor import Tensor
from .._check import check_seed, got, is_int

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split"]


def _as_array(data):
    """A NumPy array from an array, a minigrad Tensor (CPU) or a sequence."""
    if isinstance(data, Tensor):
        if data.device != "cpu":
            raise ValueError(f"TensorDataset: expected CPU data, got a tensor on {data.device}")
        return data._data
    return np.asarray(data)


class Dataset:
    """Base class: subclasses define ``__len__`` and ``__getitem__(i)`` (PyTorch's
    ``torch.utils.data.Dataset``); ``a + b`` is ``ConcatDataset([a, b])``."""

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other):
        return ConcatDataset([self, other])

    def get_batch(self, indices):
        """A batch as a tuple of arrays, each (B, ...), by stacking ``self[i]`` for i in indices.

        Args:
            indices: int array (B,).
        """
        items = [self[int(i)] for i in indices]
        if not items:
            raise ValueError("get_batch: expected at least one index, got none")
        if not isinstance(items[0], tuple):
            return (np.stack([np.asarray(x) for x in items]),)
        width = len(items[0])
        for i, item in zip(indices, items):
            if not isinstance(item, tuple) or len(item) != width:
                raise ValueError(f"{type(self).__name__}[{int(i)}]: expected a tuple of "
                                 f"{width} fields like item {int(indices[0])}, got {item!r:.80}")
        return tuple(np.stack([np.asarray(item[k]) for item in items]) for k in range(width))


def _item(value):
    """A Tensor around a row (or element) of a field: it shares the field's memory, as
    PyTorch's ``tensor[i]`` does; fields that cannot be Tensors (strings) are returned as
    they are."""
    array = np.asarray(value)
    return Tensor._wrap(array) if array.dtype.kind in "biufc" else value


class TensorDataset(Dataset):
    """Examples made of rows of Tensors (CPU) or arrays with the same first dimension.

    ``TensorDataset(x, y)`` with x (N, ...) and y (N,): item i is ``(x[i], y[i])``, a tuple
    of Tensors (a 0-d Tensor for a (N,) field) sharing memory with ``x`` and ``y``, as in
    PyTorch.  ``tensors`` holds the fields as Tensors, ``arrays`` as NumPy arrays.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one array, got none")
        self.arrays = tuple(_as_array(a) for a in tensors)
        self.tensors = tuple(t if isinstance(t, Tensor) else _item(a)
                             for t, a in zip(tensors, self.arrays))
        for k, a in enumerate(self.arrays):
            if a.ndim == 0:
                raise ValueError(f"TensorDataset: array {k} is 0-d; expected a first "
                                 f"dimension of examples")
        sizes = [len(a) for a in self.arrays]
        if len(set(sizes)) > 1:
            shapes = ", ".join(str(a.shape) for a in self.arrays)
            raise ValueError(f"TensorDataset: expected arrays with equal first dimensions, got "
                             f"shapes {shapes}")

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        if isinstance(index, Tensor):
            index = index.numpy()
        return tuple(_item(a[index]) for a in self.arrays)

    def get_batch(self, indices):
        """One fancy-index per array: a tuple of arrays (B, ...)."""
        return tuple(a[indices] for a in self.arrays)


def _sized(who, dataset):
    """``len(dataset)``, or a TypeError naming ``who`` when it is not a Dataset."""
    if not isinstance(dataset, Dataset) and not (hasattr(dataset, "__len__")
                                                 and hasattr(dataset, "get_batch")):
        raise TypeError(f"{who}: dataset must be a Dataset (e.g. TensorDataset(x, y)), got "
                        f"{type(dataset).__name__}")
    return len(dataset)


def _indices(who, indices, n):
    """``indices`` as an int64 array (M,) with every entry in [0, n) (negative ones counted
    from the end, as Python does); a TypeError for non-integers (floats, a bool mask), a
    ValueError for entries outside [-n, n)."""
    if isinstance(indices, (str, bytes, dict, set)) or not hasattr(indices, "__len__"):
        raise TypeError(f"{who}: indices must be a sequence of ints, got {got(indices)}")
    if isinstance(indices, Tensor):
        indices = indices.numpy()
    try:
        array = np.asarray(indices)
    except ValueError:            # ragged nesting
        raise TypeError(f"{who}: indices must be a 1-D sequence of ints, got "
                        f"{indices!r:.80}") from None
    if array.ndim != 1:
        raise ValueError(f"{who}: indices must be a 1-D sequence of ints, got shape "
                         f"{array.shape}")
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    if array.dtype.kind == "b":
        raise TypeError(f"{who}: indices must be ints, got a bool mask; pass "
                        f"np.flatnonzero(mask) for the positions where it is True")
    if array.dtype.kind not in "iu":
        bad = next((v for v in array.tolist() if not is_int(v)), array.flat[0])
        raise TypeError(f"{who}: indices must be ints, got {array.dtype} values such as "
                        f"{got(bad)}")
    low, high = int(array.min()), int(array.max())
    if low < -n or high >= n:
        bad = low if low < -n else high
        raise ValueError(f"{who}: indices must be in [-{n}, {n}) for a dataset of {n} "
                         f"items, got {bad}")
    array = array.astype(np.int64)
    return np.where(array < 0, array + n, array) if low < 0 else array


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices`` (a sequence of M ints in [-N, N), negative
    ones counted from the end), in that order.  Non-integer indices (floats, a bool mask) and
    indices out of range raise here, not when a batch is drawn."""

    def __init__(self, dataset, indices):
        n = _sized("Subset", dataset)
        self.dataset = dataset
        self.indices = _indices("Subset", indices, n)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        if isinstance(index, list):                   # as PyTorch's Subset
            return self.dataset[[int(self.indices[i]) for i in index]]
        return self.dataset[int(self.indices[index])]

    def get_batch(self, indices):
        return self.dataset.get_batch(self.indices[np.asarray(indices)])


class ConcatDataset(Dataset):
    """The examples of several datasets one after the other (PyTorch's ``ConcatDataset``):
    item ``i`` of ``ConcatDataset([a, b])`` is ``a[i]`` for ``i < len(a)``, else
    ``b[i - len(a)]``.  ``cumulative_sizes`` holds the running totals of the lengths.

    Batches of datasets that all have a fast ``get_batch`` (TensorDatasets, their Subsets)
    are fetched with one fancy-index per dataset.
    """

    def __init__(self, datasets):
        if isinstance(datasets, (str, bytes, Dataset)) or not hasattr(datasets, "__iter__"):
            raise TypeError(f"ConcatDataset: datasets must be a list of datasets, got "
                            f"{got(datasets)}")
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError(f"ConcatDataset: datasets should not be an empty iterable, got "
                             f"{got(datasets)}")
        sizes = []
        for k, d in enumerate(self.datasets):
            if isinstance(d, (str, bytes)) or not (hasattr(d, "__len__")
                                                   and hasattr(d, "__getitem__")):
                raise TypeError(f"ConcatDataset: datasets[{k}] must be a dataset (with "
                                f"__len__ and __getitem__), got {got(d)}")
            sizes.append(len(d))
        self.cumulative_sizes = np.cumsum(sizes).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if isinstance(index, Tensor):
            index = index.item()
        if not is_int(index):
            raise TypeError(f"ConcatDataset: index must be an int, got {got(index)}")
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset: index {index} is out of range for a dataset of "
                             f"{n} items")
        index = int(index) % n if index < 0 else int(index)
        k = bisect.bisect_right(self.cumulative_sizes, index)
        return self.datasets[k][index - (self.cumulative_sizes[k - 1] if k else 0)]

    def get_batch(self, indices):
        """The batch of each dataset it falls into, put back in the order of ``indices``."""
        indices = np.asarray(indices, dtype=np.int64)
        ends = np.asarray(self.cumulative_sizes)
        which = np.searchsorted(ends, indices, side="right")
        starts = np.concatenate([[0], ends[:-1]])
        parts, positions = [], []
        for k in np.unique(which):
            mask = which == k
            parts.append(tuple(self.datasets[k].get_batch(indices[mask] - starts[k])))
            positions.append(np.flatnonzero(mask))
        if len(parts) == 1:
            return parts[0]
        if not parts:
            return tuple(np.asarray(a)[:0] for a in self.datasets[0].get_batch(
                np.zeros(0, np.int64)))
        if len({len(p) for p in parts}) > 1:
            raise ValueError(f"ConcatDataset: its datasets have items of "
                             f"{sorted({len(p) for p in parts})} fields; expected the same")
        inverse = np.empty(len(indices), dtype=np.int64)
        inverse[np.concatenate(positions)] = np.arange(len(indices))
        return tuple(np.concatenate([p[f] for p in parts])[inverse]
                     for f in range(len(parts[0])))


def _defines(cls, name):
    """The class of ``cls``'s MRO that defines ``name`` (None when none does)."""
    return next((c for c in cls.__mro__ if name in vars(c)), None)


def has_fast_batches(dataset):
    """Whether ``dataset.get_batch`` fetches a batch at once and agrees with ``__getitem__``:
    a TensorDataset (not one whose ``__getitem__`` a subclass overrides), a Subset or a
    ConcatDataset of such, or any dataset whose own class defines ``get_batch`` next to its
    ``__getitem__``.  The others' batches are made from ``dataset[i]`` one at a time."""
    cls = type(dataset)
    batch_owner = _defines(cls, "get_batch")
    if batch_owner is None or batch_owner is Dataset:
        return False
    item_owner = _defines(cls, "__getitem__")
    if item_owner is not None and not issubclass(batch_owner, item_owner):
        return False                 # __getitem__ overridden below get_batch
    if isinstance(dataset, Subset):
        return has_fast_batches(dataset.dataset)
    if isinstance(dataset, ConcatDataset):
        return all(has_fast_batches(d) for d in dataset.datasets)
    return True


def _split_sizes(n, lengths):
    """Integer sizes summing to n from ints or fractions (PyTorch's rule for fractions)."""
    if isinstance(lengths, (str, bytes, dict, set)) or not hasattr(lengths, "__iter__"):
        raise TypeError(f"random_split: lengths must be a sequence of ints summing to the "
                        f"dataset's size {n} or of fractions summing to 1, got {got(lengths)}")
    lengths = list(lengths.tolist() if isinstance(lengths, np.ndarray) else lengths)
    if not lengths:
        raise ValueError("random_split: lengths must hold at least one length, got []")
    for v in lengths:
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, numbers.Real):
            raise TypeError(f"random_split: lengths must be ints or fractions, got {got(v)} "
                            f"in {lengths!r:.200}")
    if all(is_int(v) for v in lengths):
        if any(v < 0 for v in lengths) or sum(lengths) != n:
            raise ValueError(f"random_split: lengths must be non-negative ints summing to the "
                             f"dataset's size {n}, got {lengths} (sum {sum(lengths)})")
        return [int(v) for v in lengths]
    if any(not 0 <= v <= 1 for v in lengths) or not math.isclose(sum(lengths), 1, abs_tol=1e-6):
        raise ValueError(f"random_split: lengths must be fractions in [0, 1] summing to 1, or "
                         f"ints summing to {n}; got {lengths}")
    sizes = [int(math.floor(n * f)) for f in lengths]
    for i in range(n - sum(sizes)):       # the remainder, one each, round robin
        sizes[i % len(sizes)] += 1
    for i, size in enumerate(sizes):
        if size == 0:                     # as PyTorch warns
            warnings.warn(f"random_split: length of split at index {i} is 0; this might "
                          f"result in an empty dataset", stacklevel=3)
    return sizes


def random_split(dataset, lengths, generator=None, *, seed=None):
    """Split ``dataset`` at random into non-overlapping :class:`Subset` s (PyTorch's
    ``torch.utils.data.random_split``).

    Args:
        dataset: any Dataset of size N.
        lengths: ints summing to N, or fractions summing to 1 (``[0.8, 0.2]``: floor(N·f)
            each, then the remainder one at a time from the first split, as PyTorch).
        generator: a :class:`minigrad.Generator` to draw the permutation from
            (``generator=minigrad.Generator().manual_seed(42)``); None: ``seed``, or
            minigrad's global generator.
        seed: an int ≥ 0 for a reproducible split (minigrad's own keyword; not with
            ``generator``).

    The split is reproducible for a seed, but not the same as PyTorch's for the same seed
    (the generators differ).
    """
    n = _sized("random_split", dataset)
    sizes = _split_sizes(n, lengths)
    seed = check_seed("random_split", seed)
    if generator is not None and not isinstance(generator, _random.Generator):
        hint = (f"; for an int seed pass seed={generator!r}" if is_int(generator) else "")
        raise TypeError(f"random_split: generator must be a minigrad.Generator or None, got "
                        f"{got(generator)}{hint}")
    if generator is not None and seed is not None:
        raise ValueError(f"random_split: give generator= or seed=, not both; got "
                         f"seed={seed!r}")
    if generator is not None:
        rng = _random.numpy_rng(generator, "random_split")
    else:
        rng = np.random.default_rng(seed) if seed is not None else _random.generator()
    order = rng.permutation(n)
    bounds = np.cumsum([0] + sizes)
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
