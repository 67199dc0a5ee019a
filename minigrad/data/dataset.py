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

__all__ = ["Dataset", "TensorDataset", "Subset", "random_split"]


def _as_array(data):
    """A NumPy array from an array, a minigrad Tensor (CPU) or a sequence."""
    if isinstance(data, Tensor):
        if data.device != "cpu":
            raise ValueError(f"TensorDataset: expected CPU data, got a tensor on {data.device}")
        return data.data
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


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices`` (int array (M,)), in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]

    def get_batch(self, indices):
        return self.dataset.get_batch(self.indices[np.asarray(indices)])


def _split_sizes(n, lengths):
    """Integer sizes summing to n from ints or fractions (PyTorch's rule for fractions)."""
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: expected at least one length, got none")
    if all(isinstance(v, numbers.Integral) for v in lengths):
        if any(v < 0 for v in lengths) or sum(lengths) != n:
            raise ValueError(f"random_split: expected non-negative lengths summing to the "
                             f"dataset's size {n}, got {lengths} (sum {sum(lengths)})")
        return [int(v) for v in lengths]
    if any(not 0 <= v <= 1 for v in lengths) or not math.isclose(sum(lengths), 1, abs_tol=1e-6):
        raise ValueError(f"random_split: expected fractions in [0, 1] summing to 1, or ints "
                         f"summing to {n}; got {lengths}")
    sizes = [int(math.floor(n * f)) for f in lengths]
    for i in range(n - sum(sizes)):       # the remainder, one each, round robin
        sizes[i % len(sizes)] += 1
    return sizes


def random_split(dataset, lengths, seed=None):
    """Split ``dataset`` at random into non-overlapping :class:`Subset` s.

    Args:
        dataset: any Dataset of size N.
        lengths: ints summing to N, or fractions summing to 1 (``[0.8, 0.2]``).
        seed: an int for a reproducible split; None draws from ``minigrad.random``.
    """
    sizes = _split_sizes(len(dataset), lengths)
    rng = np.random.default_rng(seed) if seed is not None else _random.generator()
    order = rng.permutation(len(dataset))
    bounds = np.cumsum([0] + sizes)
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]
