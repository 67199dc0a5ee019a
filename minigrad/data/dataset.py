"""Datasets: indexable collections of examples, and ways to split them.

A :class:`Dataset` has ``__len__`` and ``__getitem__(i)`` (one example: an array or a tuple of
arrays).  ``get_batch(indices)`` returns a whole batch as a tuple of arrays; the default stacks
single items, :class:`TensorDataset` overrides it with one fancy-index per array, which is what
makes :class:`~minigrad.data.DataLoader` fast.
"""
import math
import numbers

import numpy as np

from .. import random as _random
from ..tensor import Tensor
from .._check import check_seed, got, is_int

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split"]


def _as_array(data):
    """A NumPy array from an array, a minigrad Tensor (CPU) or a sequence."""
    if isinstance(data, Tensor):
        if data.device != "cpu":
            raise ValueError(f"TensorDataset: expected CPU data, got a tensor on {data.device}")
        return data._data
    return np.asarray(data)


class Dataset:
    """Base class: subclasses define ``__len__`` and ``__getitem__(i)``."""

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

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


class TensorDataset(Dataset):
    """Examples made of rows of arrays (or CPU Tensors) with the same first dimension.

    ``TensorDataset(x, y)`` with x (N, ...) and y (N,): item i is ``(x[i], y[i])``.
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset: expected at least one array, got none")
        self.arrays = tuple(_as_array(a) for a in arrays)
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
        return tuple(a[index] for a in self.arrays)

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
        return self.dataset[int(self.indices[index])]

    def get_batch(self, indices):
        return self.dataset.get_batch(self.indices[np.asarray(indices)])


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
    return sizes


def random_split(dataset, lengths, seed=None):
    """Split ``dataset`` at random into non-overlapping :class:`Subset` s.

    Args:
        dataset: any Dataset of size N.
        lengths: ints summing to N, or fractions summing to 1 (``[0.8, 0.2]``).
        seed: an int ≥ 0 for a reproducible split; None draws from ``minigrad.random``.
    """
    n = _sized("random_split", dataset)
    sizes = _split_sizes(n, lengths)
    seed = check_seed("random_split", seed)
    rng = np.random.default_rng(seed) if seed is not None else _random.generator()
    order = rng.permutation(n)
    bounds = np.cumsum([0] + sizes)
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
