"""DataLoader: batches of a Dataset as tuples of minigrad Tensors."""
import math

import numpy as np

from .. import random as _random
from ..tensor import Tensor
from .._check import check_bool, check_callable, check_int, check_seed
from .dataset import Dataset, TensorDataset

__all__ = ["DataLoader"]


def permutation(rng, n):
    """``rng.permutation(n)``, the same order and the same generator state after it, in half
    the memory for n < 2**31: an int32 ``arange`` shuffled in place (Generator.permutation
    shuffles an int64 ``arange`` with the same draws; the element size does not enter them).
    """
    if n >= 2 ** 31:
        return rng.permutation(n)
    order = np.arange(n, dtype=np.int32)
    rng.shuffle(order)
    return order


def _to_tensor(array):
    """A CPU Tensor around a batch array: floats and bools keep their dtype, uint8 batches
    of ≥ 2 dims (pixels (B, H, W)…) stay uint8, every other integer array (labels (B,),
    token ids) becomes int64."""
    array = np.asarray(array)
    pixels = array.dtype == np.uint8 and array.ndim >= 2
    if array.dtype.kind in "iu" and array.dtype != np.int64 and not pixels:
        array = array.astype(np.int64)
    elif array.dtype.kind not in "biuf":
        raise TypeError(f"DataLoader: a batch field of dtype {array.dtype} cannot become a "
                        f"Tensor; expected bool, integer or floating-point data")
    return Tensor._wrap(np.ascontiguousarray(array))


class DataLoader:
    """Iterate over ``dataset`` in batches of Tensors.

    Each batch is fetched at once with ``dataset.get_batch(indices)`` (one fancy-index per
    array for a :class:`TensorDataset`), the optional ``transform`` is applied to its first
    array (the inputs, as a NumPy array, e.g. (B, C, H, W)), and every array becomes a
    Tensor: floating-point and bool arrays keep their dtype, uint8 pixel batches (≥ 2 dims)
    stay uint8, and every other integer array (labels (B,), token ids) becomes int64.

    Args:
        dataset: a Dataset, or an array/tuple of arrays (wrapped in a TensorDataset).
        batch_size: examples per batch (B).
        shuffle: a fresh random order every epoch.
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        seed: an int makes the sequence of epoch orders reproducible; None draws each order
            from ``minigrad.random.generator()`` (so ``minigrad.manual_seed`` controls it).
        transform: a callable on the input batch array, returning an array.

    ``len(loader)`` is the number of batches per epoch.

    Memory: without shuffling, each batch's indices are made when the batch is drawn
    (``arange`` of that batch only), so a lazy Dataset of any size costs nothing up front.
    A shuffled epoch draws the permutation of all N items at its first batch: 4 bytes per
    item (int32, for N < 2³¹; 8 bytes beyond), e.g. 200 MB for 5·10⁷ items, held until the
    epoch ends.

    >>> loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, seed=0)
    >>> for xb, yb in loader: ...            # xb (64, ...) float32, yb (64,) int64
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None,
                 transform=None):
        batch_size = check_int("DataLoader", "batch_size", batch_size, low=1)
        shuffle = check_bool("DataLoader", "shuffle", shuffle)
        drop_last = check_bool("DataLoader", "drop_last", drop_last)
        seed = check_seed("DataLoader", seed)
        check_callable("DataLoader", "transform", transform, none=True)
        dataset = _dataset(dataset, transform)
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self.transform = transform
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def state_dict(self):
        """The state of the loader's own generator (``seed=`` given; else None: it draws from
        minigrad's generator, which a checkpoint saves on its own) and its transform's, so
        that a restored loader continues the same sequence of epoch orders."""
        own = None if self._rng is None else _random.generator_state(self._rng)
        return {"rng": own, "transform": _random.state_of(self.transform)}

    def load_state_dict(self, state_dict):
        """Restore a :meth:`state_dict` (of a loader built with the same ``seed=`` use and
        transforms); a state that does not fit raises ValueError and changes nothing (the
        generator and the transforms are put back if a later part fails)."""
        if not isinstance(state_dict, dict) or set(state_dict) != {"rng", "transform"}:
            raise ValueError(f"DataLoader.load_state_dict: expected a dict with keys 'rng' "
                             f"and 'transform', got {state_dict!r:.200}")
        if (state_dict["rng"] is None) != (self._rng is None):
            raise ValueError("DataLoader.load_state_dict: the state is of a loader "
                             f"{'without' if state_dict['rng'] is None else 'with'} its own "
                             f"seed, this loader has {'one' if self._rng is not None else 'none'}")
        previous = self.state_dict()
        try:
            if self._rng is not None:
                _random.set_generator_state(self._rng, state_dict["rng"],
                                            "DataLoader.load_state_dict")
            _random.load_state_of(self.transform, state_dict["transform"],
                                  "DataLoader.load_state_dict: transform")
        except BaseException:
            if self._rng is not None:
                _random.set_generator_state(self._rng, previous["rng"])
            _random.load_state_of(self.transform, previous["transform"],
                                  "DataLoader.load_state_dict")
            raise

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _batch_indices(self):
        """Each batch's indices (int64 (B,)), made as the batch is drawn; a shuffled epoch
        draws its whole permutation at the first batch (see the class docstring)."""
        n, size = len(self.dataset), self.batch_size
        if not self.shuffle:
            for b in range(len(self)):
                yield np.arange(b * size, min((b + 1) * size, n))
            return
        rng = self._rng if self._rng is not None else _random.generator()
        order = permutation(rng, n)
        for b in range(len(self)):
            yield order[b * size:(b + 1) * size].astype(np.int64, copy=False)

    def __iter__(self):
        for indices in self._batch_indices():
            arrays = list(self.dataset.get_batch(indices))
            if self.transform is not None:
                arrays[0] = self.transform(arrays[0])
            yield tuple(_to_tensor(a) for a in arrays)


def _dataset(dataset, transform):
    """A Dataset from what DataLoader was given (arrays are wrapped in a TensorDataset), its
    fields checked when they are arrays."""
    if isinstance(dataset, Dataset):
        if isinstance(dataset, TensorDataset):
            _check_fields(dataset.arrays, transform)
        return dataset
    arrays = dataset if isinstance(dataset, tuple) else (dataset,)
    for k, a in enumerate(arrays):
        if isinstance(a, (str, bytes, dict, set)) or not (
                hasattr(a, "__len__") and hasattr(a, "__getitem__")):
            what = "dataset" if not isinstance(dataset, tuple) else f"dataset[{k}]"
            raise TypeError(f"DataLoader: {what} must be a Dataset, an array or a tuple of "
                            f"arrays, got {type(a).__name__}")
    dataset = TensorDataset(*arrays)
    _check_fields(dataset.arrays, transform)
    return dataset


def _check_fields(arrays, transform):
    """Every array field must become a Tensor (the inputs may be anything a transform
    turns into numbers)."""
    for k, a in enumerate(arrays):
        if (k or transform is None) and a.dtype.kind not in "biuf":
            raise TypeError(f"DataLoader: field {k} of the dataset has dtype {a.dtype}, which "
                            f"cannot become a Tensor; expected bool, integer or "
                            f"floating-point data")
