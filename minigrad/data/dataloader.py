"""DataLoader: batches of a Dataset as tuples of minigrad Tensors."""
import math
import numbers

import numpy as np

from .. import random as _random
from ..tensor import Tensor
from .dataset import Dataset, TensorDataset

__all__ = ["DataLoader"]


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

    >>> loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, seed=0)
    >>> for xb, yb in loader: ...            # xb (64, ...) float32, yb (64,) int64
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None,
                 transform=None):
        if not isinstance(dataset, Dataset):
            arrays = dataset if isinstance(dataset, tuple) else (dataset,)
            dataset = TensorDataset(*arrays)
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
                or batch_size < 1:
            raise ValueError(f"DataLoader: expected a positive int batch_size, got "
                             f"{batch_size!r}")
        if transform is not None and not callable(transform):
            raise TypeError(f"DataLoader: expected a callable transform, got {transform!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
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
        transforms); a state that does not fit raises ValueError."""
        if not isinstance(state_dict, dict) or set(state_dict) != {"rng", "transform"}:
            raise ValueError(f"DataLoader.load_state_dict: expected a dict with keys 'rng' "
                             f"and 'transform', got {state_dict!r:.200}")
        if (state_dict["rng"] is None) != (self._rng is None):
            raise ValueError("DataLoader.load_state_dict: the state is of a loader "
                             f"{'without' if state_dict['rng'] is None else 'with'} its own "
                             f"seed, this loader has {'one' if self._rng is not None else 'none'}")
        if self._rng is not None:
            _random.set_generator_state(self._rng, state_dict["rng"],
                                        "DataLoader.load_state_dict")
        _random.load_state_of(self.transform, state_dict["transform"],
                              "DataLoader.load_state_dict: transform")

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def _order(self):
        n = len(self.dataset)
        if not self.shuffle:
            return np.arange(n)
        rng = self._rng if self._rng is not None else _random.generator()
        return rng.permutation(n)

    def __iter__(self):
        order = self._order()
        for b in range(len(self)):
            indices = order[b * self.batch_size:(b + 1) * self.batch_size]
            arrays = list(self.dataset.get_batch(indices))
            if self.transform is not None:
                arrays[0] = self.transform(arrays[0])
            yield tuple(_to_tensor(a) for a in arrays)
