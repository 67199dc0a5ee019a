"""DataLoader: batches of a Dataset as Tensors, with PyTorch's samplers and collation.

The names are PyTorch's (``torch.utils.data``): :class:`DataLoader`, the samplers
(:class:`SequentialSampler`, :class:`RandomSampler`, :class:`SubsetRandomSampler`,
:class:`WeightedRandomSampler`, :class:`BatchSampler`), :func:`default_collate`,
:func:`default_convert` and :func:`get_worker_info`.  Everything runs in the calling process.
"""
import collections.abc
import copy
import math

import numpy as np

from .. import random as _random
from ..ops.shape import stack as _stack
from ..tensor import Tensor
from .._check import check_bool, check_callable, check_int, check_real, check_seed, got
from .dataset import Dataset, TensorDataset, _indices, has_fast_batches

__all__ = ["DataLoader", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "default_collate",
           "default_convert", "get_worker_info"]


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


def _check_generator(who, generator):
    if generator is not None and not isinstance(generator, _random.Generator):
        raise TypeError(f"{who}: generator must be a minigrad.Generator or None, got "
                        f"{got(generator)}")
    return generator


# -- collation ---------------------------------------------------------------------------------
_COLLATE_ERROR = ("default_collate: batch must contain tensors, numpy arrays, numbers, dicts "
                  "or lists; found {}")


def _numeric(array):
    if array.dtype.kind not in "biufc":
        raise TypeError(_COLLATE_ERROR.format(f"an array of dtype {array.dtype}"))
    return array


def default_collate(batch):
    """Merge a list of samples into a batch, as PyTorch's ``default_collate``.

    By the type of the first sample: Tensors are stacked (``stack``, a new first axis);
    NumPy arrays and NumPy scalars are stacked into a Tensor of their dtype; Python floats
    become a float64 Tensor, ints an int64 one (bools a bool one); strings and bytes stay
    the sequence they came in; a dict (any mapping) becomes a dict of collated values, key
    by key; a namedtuple a namedtuple; a tuple or list of fields a **list** of collated
    fields (as PyTorch: a ``(x, y)`` sample gives ``[xb, yb]``).  Anything else raises
    TypeError.

    >>> default_collate([(np.zeros(3), 0), (np.ones(3), 1)])
    [tensor([[0., 0., 0.], [1., 1., 1.]], dtype=float64), tensor([0, 1])]
    """
    if isinstance(batch, (str, bytes)) or not isinstance(batch, collections.abc.Sequence):
        raise TypeError(f"default_collate: batch must be a list of samples, got {got(batch)}")
    if len(batch) == 0:
        raise ValueError("default_collate: batch must hold at least one sample, got none")
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack(list(batch), 0)
    if isinstance(elem, np.ndarray):
        arrays = [np.asarray(b) for b in batch]
        _numeric(arrays[0])
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:
            raise RuntimeError(f"default_collate: stack expects each array to be equal size, "
                               f"got shapes {sorted(shapes)}")
        return Tensor._wrap(np.ascontiguousarray(np.stack(arrays)))
    if isinstance(elem, (np.bool_, np.number)):
        return Tensor._wrap(_numeric(np.asarray(batch)))
    if isinstance(elem, float):
        return Tensor._wrap(np.asarray(batch, dtype=np.float64))
    if isinstance(elem, int):          # bools too: a bool Tensor, as torch.tensor([True])
        values = np.asarray(batch)
        if values.dtype.kind == "f":   # an int sample first, floats after: PyTorch's default
            values = values.astype(np.float32)
        elif values.dtype.kind in "iu":
            values = values.astype(np.int64)
        return Tensor._wrap(values)
    if isinstance(elem, (str, bytes)):
        return batch                   # as given (a field of tuples stays a tuple, as PyTorch)
    if isinstance(elem, collections.abc.Mapping):
        collated = {key: default_collate([d[key] for d in batch]) for key in elem}
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(collated)
            return clone
        try:
            return type(elem)(collated)
        except TypeError:
            return collated
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):       # a namedtuple
        return type(elem)(*(default_collate(s) for s in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(not isinstance(b, collections.abc.Sequence) or len(b) != size for b in batch):
            raise RuntimeError("default_collate: each element in list of batch should be of "
                               "equal size")
        fields = [default_collate(s) for s in zip(*batch)]
        if isinstance(elem, tuple):
            return fields
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            clone[:] = fields
            return clone
        try:
            return type(elem)(fields)
        except TypeError:
            return fields
    raise TypeError(_COLLATE_ERROR.format(type(elem)))


def default_convert(data):
    """NumPy arrays and scalars in ``data`` as Tensors (sharing memory), recursively through
    dicts, namedtuples and sequences (a tuple becomes a list); anything else as it is.
    PyTorch's ``default_convert``: what a DataLoader does to samples when it does not batch."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray) and data.dtype.kind in "biufc":
        return Tensor._wrap(data)
    if isinstance(data, (np.bool_, np.number)):
        return Tensor._wrap(np.asarray(data))
    if isinstance(data, (str, bytes)):
        return data
    if isinstance(data, collections.abc.Mapping):
        converted = {key: default_convert(data[key]) for key in data}
        if isinstance(data, collections.abc.MutableMapping):
            clone = copy.copy(data)
            clone.update(converted)
            return clone
        return converted
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence):
        converted = [default_convert(d) for d in data]
        if isinstance(data, collections.abc.MutableSequence):
            clone = copy.copy(data)
            clone[:] = converted
            return clone
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    return data


def get_worker_info():
    """None: minigrad loads every batch in the calling process (there are no worker
    processes, whatever ``num_workers`` is), which is what PyTorch returns there too."""
    return None


# -- samplers ----------------------------------------------------------------------------------
class Sampler:
    """Base class of samplers: iterables of dataset indices (PyTorch's ``Sampler``).
    Subclasses define ``__iter__`` (and ``__len__`` when they know their length)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """The indices 0, 1, …, N - 1 of ``data_source`` (N = ``len(data_source)``, read at
    each iteration)."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """The indices of ``data_source`` in a random order, a fresh one at each iteration.

    Args:
        data_source: a sized dataset (N items).
        replacement: draw ``num_samples`` indices with replacement (uniform in [0, N)).
        num_samples: how many indices (default N); without replacement, more than N gives
            whole permutations one after the other, as in PyTorch.
        generator: a :class:`minigrad.Generator` to draw from; None: minigrad's global one
            (``minigrad.manual_seed`` controls it).

    The order is the one NumPy's ``Generator.permutation(N)`` gives, so a seed gives the same
    order on every run — not PyTorch's order for the same seed (the generators differ).
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = check_bool("RandomSampler", "replacement", replacement)
        self._num_samples = check_int("RandomSampler", "num_samples", num_samples, low=1,
                                      none=True)
        self.generator = _check_generator("RandomSampler", generator)
        self._rng = None          # a NumPy generator of its own (DataLoader's seed=)

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def _numpy_rng(self):
        if self._rng is not None:
            return self._rng
        return _random.numpy_rng(self.generator, "RandomSampler")

    def _order(self):
        """This iteration's indices, an int array (num_samples,)."""
        n, count, rng = len(self.data_source), self.num_samples, self._numpy_rng()
        if self.replacement:
            if n == 0:
                raise ValueError("RandomSampler: cannot draw with replacement from an empty "
                                 "dataset")
            return rng.integers(0, n, size=count, dtype=np.int64)
        if count == n:
            return permutation(rng, n)
        if n == 0:
            raise ValueError(f"RandomSampler: cannot draw {count} samples from an empty "
                             f"dataset")
        parts = [permutation(rng, n) for _ in range(count // n)]
        parts.append(permutation(rng, n)[:count % n])
        return np.concatenate(parts)

    def __iter__(self):
        return iter(self._order().tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given ``indices`` in a random order, a fresh one at each iteration (drawn from
    ``generator``, a :class:`minigrad.Generator`, or minigrad's global generator)."""

    def __init__(self, indices, generator=None):
        if isinstance(indices, (str, bytes, dict, set)) or not hasattr(indices, "__len__"):
            raise TypeError(f"SubsetRandomSampler: indices must be a sequence, got "
                            f"{got(indices)}")
        self.indices = indices
        self.generator = _check_generator("SubsetRandomSampler", generator)

    def __iter__(self):
        rng = _random.numpy_rng(self.generator, "SubsetRandomSampler")
        for i in permutation(rng, len(self.indices)).tolist():
            yield self.indices[i]

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices in [0, len(weights)), index i drawn with probability
    ``weights[i] / sum(weights)`` (with replacement by default), as PyTorch's
    ``WeightedRandomSampler``; drawn from ``generator`` or minigrad's global generator."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        if isinstance(weights, Tensor):
            weights = weights.numpy()
        try:
            w = np.asarray(weights, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"WeightedRandomSampler: weights must be a sequence of numbers, "
                            f"got {got(weights)}") from None
        if w.ndim != 1 or w.size == 0:
            raise ValueError(f"WeightedRandomSampler: weights must be a non-empty 1-D "
                             f"sequence, got shape {w.shape}")
        if not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, non-negative "
                             "and not all zero")
        self.weights = w
        self.num_samples = check_int("WeightedRandomSampler", "num_samples", num_samples,
                                     low=1)
        self.replacement = check_bool("WeightedRandomSampler", "replacement", replacement)
        if not self.replacement and self.num_samples > np.count_nonzero(w):
            raise ValueError(f"WeightedRandomSampler: cannot draw {self.num_samples} samples "
                             f"without replacement from {np.count_nonzero(w)} non-zero "
                             f"weights")
        self.generator = _check_generator("WeightedRandomSampler", generator)

    def __iter__(self):
        rng = _random.numpy_rng(self.generator, "WeightedRandomSampler")
        drawn = rng.choice(len(self.weights), size=self.num_samples,
                           replace=self.replacement, p=self.weights / self.weights.sum())
        return iter(drawn.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Lists of ``batch_size`` indices from ``sampler`` (the last one shorter unless
    ``drop_last``), as PyTorch's ``BatchSampler``.

    Over a :class:`SequentialSampler` or :class:`RandomSampler` the indices are made as
    arrays, a batch at a time: without shuffling nothing is made up front (a lazy dataset of
    any size costs nothing before its first batch); a random order is drawn whole at the
    first batch (4 bytes per index for N < 2³¹).
    """

    def __init__(self, sampler, batch_size, drop_last):
        if isinstance(sampler, (str, bytes)) or not hasattr(sampler, "__iter__"):
            raise TypeError(f"BatchSampler: sampler must be an iterable of indices (a "
                            f"Sampler), got {got(sampler)}")
        self.sampler = sampler
        self.batch_size = check_int("BatchSampler", "batch_size", batch_size, low=1)
        self.drop_last = check_bool("BatchSampler", "drop_last", drop_last)

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)

    def __iter__(self):
        for batch in self._index_batches():
            yield batch.tolist() if isinstance(batch, np.ndarray) else batch

    def _index_batches(self):
        """Each batch's indices: an int64 array (B,) over the samplers of this module (made
        as the batch is drawn), else a list of what ``sampler`` yields."""
        sampler, size = self.sampler, self.batch_size
        if type(sampler).__iter__ is SequentialSampler.__iter__:
            n = len(sampler.data_source)
            for b in range(n // size if self.drop_last else math.ceil(n / size)):
                yield np.arange(b * size, min((b + 1) * size, n))
            return
        if type(sampler).__iter__ is RandomSampler.__iter__:
            order = sampler._order()
            count = len(order) // size if self.drop_last else math.ceil(len(order) / size)
            for b in range(count):
                yield order[b * size:(b + 1) * size].astype(np.int64, copy=False)
            return
        batch = []
        for index in sampler:
            batch.append(index)
            if len(batch) == size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch


# -- the loader --------------------------------------------------------------------------------
class DataLoader:
    """Iterate over ``dataset`` in batches, as PyTorch's ``torch.utils.data.DataLoader``.

    How a batch is made:

    * ``collate_fn`` given: ``collate_fn([dataset[i] for i in batch_indices])``, as PyTorch.
    * a :class:`TensorDataset` (or a Subset / ConcatDataset of them; see
      ``has_fast_batches``): fetched at once with ``dataset.get_batch(indices)`` (one fancy
      index per field), the optional ``transform`` applied to its first array (the inputs,
      as a NumPy array, e.g. (B, C, H, W)), and every field becomes a Tensor in a **tuple**:
      floating-point and bool fields keep their dtype, uint8 pixel batches (≥ 2 dims) stay
      uint8, every other integer field (labels (B,), token ids) becomes int64.
    * any other dataset (a ``Dataset`` subclass with ``__getitem__`` and ``__len__``, a list
      of ``(x, y)`` samples): :func:`default_collate` of its samples, as PyTorch (a tuple
      sample gives a list ``[xb, yb]``; a dict sample a dict).

    Args:
        dataset: a Dataset, any object with ``__getitem__`` and ``__len__``, a list of
            samples (tuples or dicts), or an array / tuple of arrays (wrapped in a
            TensorDataset).
        batch_size: examples per batch (B), an int ≥ 1 (PyTorch's ``None``, no batching, is
            not implemented).
        shuffle: a fresh random order every epoch (a :class:`RandomSampler`).
        sampler: an iterable of indices (a Sampler, a list) to draw the examples in; not
            with ``shuffle``.
        batch_sampler: an iterable of lists of indices, one per batch; not with
            ``batch_size``, ``shuffle``, ``sampler`` or ``drop_last``.
        num_workers: accepted (an int ≥ 0), but batches are always made in the calling
            process: there are no worker processes, ``worker_init_fn`` is never called and
            :func:`get_worker_info` returns None.
        collate_fn: merges a list of samples into a batch (default :func:`default_collate`).
        pin_memory: accepted; nothing to do (CPU memory is the only host memory minigrad
            uses).
        drop_last: drop the last batch when it is smaller than ``batch_size``.
        timeout, worker_init_fn, multiprocessing_context, prefetch_factor,
        persistent_workers, pin_memory_device, in_order: accepted for PyTorch's sake and
            checked as PyTorch checks them; they change nothing without workers.
        generator: a :class:`minigrad.Generator` that draws the shuffled orders.
        seed: (minigrad's own) an int makes the sequence of epoch orders reproducible with a
            generator of the loader's own; not with ``generator``.  With neither, orders are
            drawn from ``minigrad.random.generator()`` (``minigrad.manual_seed`` controls
            them).
        transform: (minigrad's own) a callable on the input batch array, returning an array;
            not with ``collate_fn``.

    ``len(loader)`` is the number of batches per epoch.  Shuffled orders are NumPy's
    ``Generator.permutation(N)``: reproducible for a seed, not PyTorch's.

    Memory: without shuffling, each batch's indices are made when the batch is drawn
    (``arange`` of that batch only), so a lazy Dataset of any size costs nothing up front.
    A shuffled epoch draws the permutation of all N items at its first batch: 4 bytes per
    item (int32, for N < 2³¹; 8 bytes beyond), e.g. 200 MB for 5·10⁷ items, held until the
    epoch ends.

    >>> loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, seed=0)
    >>> for xb, yb in loader: ...            # xb (64, ...) float32, yb (64,) int64
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True, seed=None, transform=None):
        if batch_size is None:
            raise TypeError("DataLoader: batch_size must be an int ≥ 1, got None (NoneType); "
                            "batch_size=None (PyTorch's loading without batching) is not "
                            "implemented")
        batch_size = check_int("DataLoader", "batch_size", batch_size, low=1)
        shuffle = False if shuffle is None else check_bool("DataLoader", "shuffle", shuffle)
        drop_last = check_bool("DataLoader", "drop_last", drop_last)
        for name, value in (("sampler", sampler), ("batch_sampler", batch_sampler)):
            if value is not None and (isinstance(value, (str, bytes))
                                      or not hasattr(value, "__iter__")):
                raise TypeError(f"DataLoader: {name} must be None or an iterable of "
                                f"indices, got {got(value)}")
        if sampler is not None and shuffle:
            raise ValueError(f"DataLoader: sampler option is mutually exclusive with shuffle; "
                             f"got sampler={got(sampler)} and shuffle=True")
        if batch_sampler is not None:
            clashes = [f"{name}={value!r:.40}" for name, value, clash in (
                ("batch_size", batch_size, batch_size != 1), ("shuffle", shuffle, shuffle),
                ("sampler", sampler, sampler is not None), ("drop_last", drop_last, drop_last))
                if clash]
            if clashes:
                raise ValueError(f"DataLoader: batch_sampler option is mutually exclusive "
                                 f"with batch_size, shuffle, sampler, and drop_last; got "
                                 f"{', '.join(clashes)}")
        num_workers = check_int("DataLoader", "num_workers", num_workers, low=0)
        check_callable("DataLoader", "collate_fn", collate_fn, none=True)
        pin_memory = check_bool("DataLoader", "pin_memory", pin_memory)
        timeout = check_real("DataLoader", "timeout", timeout, low=0)
        check_callable("DataLoader", "worker_init_fn", worker_init_fn, none=True)
        generator = _check_generator("DataLoader", generator)
        prefetch_factor = check_int("DataLoader", "prefetch_factor", prefetch_factor, low=1,
                                    none=True)
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor option could only be specified in "
                             "multiprocessing; let num_workers > 0 to enable "
                             "multiprocessing, otherwise set prefetch_factor to None")
        persistent_workers = check_bool("DataLoader", "persistent_workers",
                                        persistent_workers)
        if persistent_workers and num_workers == 0:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
        if not isinstance(pin_memory_device, str):
            raise TypeError(f"DataLoader: pin_memory_device must be a str, got "
                            f"{got(pin_memory_device)}")
        in_order = check_bool("DataLoader", "in_order", in_order)
        seed = check_seed("DataLoader", seed)
        if seed is not None and generator is not None:
            raise ValueError(f"DataLoader: give generator= or seed=, not both; got seed={seed!r}")
        check_callable("DataLoader", "transform", transform, none=True)
        if transform is not None and collate_fn is not None:
            raise ValueError("DataLoader: give transform= or collate_fn=, not both (a "
                             "collate_fn can apply the transform itself)")
        dataset = _dataset(dataset, transform)

        self.dataset = dataset
        self.shuffle = shuffle
        self.num_workers = num_workers
        self.pin_memory = pin_memory
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = prefetch_factor
        self.persistent_workers = persistent_workers
        self.pin_memory_device = pin_memory_device
        self.in_order = in_order
        self.seed = seed
        self.transform = transform
        self._rng = np.random.default_rng(seed) if seed is not None else None
        self._default_collate = collate_fn is None
        self.collate_fn = default_collate if collate_fn is None else collate_fn
        self._own_sampler = sampler is None and batch_sampler is None
        if sampler is None:
            if shuffle:
                sampler = RandomSampler(dataset, generator=generator)
                sampler._rng = self._rng
            else:
                sampler = SequentialSampler(dataset)
        self.sampler = sampler
        if batch_sampler is None:
            self.batch_size, self.drop_last = batch_size, drop_last
            self.batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        else:                                      # as PyTorch: no batch_size of its own
            self.batch_size, self.drop_last = None, False
            self.batch_sampler = batch_sampler

    def _own_rng(self):
        """The NumPy generator the loader draws its orders from when it is its own (seed=)
        or the user's (generator=); None for minigrad's global one."""
        if self._rng is not None:
            return self._rng
        if self.generator is not None:
            return _random.numpy_rng(self.generator, "DataLoader")
        return None

    def state_dict(self):
        """The state of the loader's own generator (``seed=`` or ``generator=`` given; else
        None: it draws from minigrad's generator, which a checkpoint saves on its own) and
        its transform's, so that a restored loader continues the same sequence of epoch
        orders."""
        own = self._own_rng()
        own = None if own is None else _random.generator_state(own)
        return {"rng": own, "transform": _random.state_of(self.transform)}

    def load_state_dict(self, state_dict):
        """Restore a :meth:`state_dict` (of a loader built with the same ``seed=`` use and
        transforms); a state that does not fit raises ValueError and changes nothing (the
        generator and the transforms are put back if a later part fails)."""
        if not isinstance(state_dict, dict) or set(state_dict) != {"rng", "transform"}:
            raise ValueError(f"DataLoader.load_state_dict: expected a dict with keys 'rng' "
                             f"and 'transform', got {state_dict!r:.200}")
        own = self._own_rng()
        if (state_dict["rng"] is None) != (own is None):
            raise ValueError("DataLoader.load_state_dict: the state is of a loader "
                             f"{'without' if state_dict['rng'] is None else 'with'} its own "
                             f"seed, this loader has {'one' if own is not None else 'none'}")
        previous = self.state_dict()
        try:
            if own is not None:
                _random.set_generator_state(own, state_dict["rng"],
                                            "DataLoader.load_state_dict")
            _random.load_state_of(self.transform, state_dict["transform"],
                                  "DataLoader.load_state_dict: transform")
        except BaseException:
            if own is not None:
                _random.set_generator_state(own, previous["rng"])
            _random.load_state_of(self.transform, previous["transform"],
                                  "DataLoader.load_state_dict")
            raise

    def __len__(self):
        return len(self.batch_sampler)

    def _batch_indices(self):
        """Each batch's indices, made as the batch is drawn: an int64 array (B,) with the
        loader's own sampler (a shuffled epoch draws its whole permutation at the first
        batch; see the class docstring), else what the sampler gives."""
        if isinstance(self.batch_sampler, BatchSampler):
            return self.batch_sampler._index_batches()
        return iter(self.batch_sampler)

    def __iter__(self):
        fast = self._default_collate and (self.transform is not None
                                          or has_fast_batches(self.dataset))
        checked = self._own_sampler and type(self.sampler) in (SequentialSampler,
                                                               RandomSampler)
        for batch in self._batch_indices():
            if fast:
                if not checked:       # indices from the user's sampler: ints in range
                    batch = _indices("DataLoader", batch, len(self.dataset))
                arrays = list(self.dataset.get_batch(batch))
                if self.transform is not None:
                    arrays[0] = self.transform(arrays[0])
                yield tuple(_to_tensor(a) for a in arrays)
            else:
                keys = batch.tolist() if isinstance(batch, np.ndarray) else batch
                yield self.collate_fn([self.dataset[i] for i in keys])


def _is_sample_list(dataset):
    """A list of samples (PyTorch's map-style list), not array data: its first item is a
    tuple or a dict."""
    return isinstance(dataset, list) and len(dataset) > 0 and \
        isinstance(dataset[0], (tuple, collections.abc.Mapping))


def _dataset(dataset, transform):
    """A Dataset from what DataLoader was given (arrays are wrapped in a TensorDataset;
    other objects with ``__getitem__`` and ``__len__`` are used as they are, as PyTorch),
    its fields checked when they are arrays."""
    if isinstance(dataset, Dataset):
        if isinstance(dataset, TensorDataset):
            _check_fields(dataset.arrays, transform)
        return dataset
    if _is_sample_list(dataset) or not isinstance(
            dataset, (tuple, list, range, np.ndarray, Tensor, str, bytes, dict, set)) and \
            hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__") and \
            not (hasattr(dataset, "shape") and hasattr(dataset, "dtype")):
        if transform is not None and not hasattr(dataset, "get_batch"):
            raise TypeError(f"DataLoader: transform needs a dataset with get_batch (a "
                            f"minigrad Dataset), got {type(dataset).__name__}; apply it in "
                            f"__getitem__ or in a collate_fn instead")
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
