"""Tensor factories: zeros, ones, full, arange, eye, and random draws (through
``minigrad.random``, so ``manual_seed`` makes them reproducible)."""
import math
import numbers

import numpy as np

from ._check import check_bool, check_int, check_shape, got
from . import backend, dtypes, random
from .tensor import Tensor

__all__ = ["zeros", "ones", "full", "zeros_like", "ones_like", "arange", "eye",
           "randn", "rand", "randint", "multinomial", "from_numpy"]


def _make(array, requires_grad, device, op):
    requires_grad = check_bool(op, "requires_grad", requires_grad)
    t = Tensor._wrap(backend.to_device(array, device or "cpu"))
    t.requires_grad = requires_grad
    return t


def _float(dtype):
    return dtypes.as_dtype(dtype) if dtype is not None else dtypes.default_float


def _real(dtype):
    """The dtype of a draw from a continuous distribution: floating point only."""
    dtype = _float(dtype)
    if not dtypes.is_floating(dtype):
        raise TypeError(f"expected a floating-point dtype for a real-valued draw, got {dtype}")
    return dtype


def zeros(*shape, dtype=None, requires_grad=False, device="cpu"):
    """A tensor of zeros; ``zeros(2, 3)`` or ``zeros((2, 3))``; float32 unless ``dtype``."""
    return _full(check_shape(shape, "zeros"), 0, _float(dtype), requires_grad, device,
                 "zeros")


def ones(*shape, dtype=None, requires_grad=False, device="cpu"):
    """A tensor of ones; float32 unless ``dtype``."""
    return _full(check_shape(shape, "ones"), 1, _float(dtype), requires_grad, device, "ones")


def full(shape, fill_value, dtype=None, requires_grad=False, device="cpu"):
    """A tensor of ``shape`` filled with ``fill_value`` (its dtype follows the value)."""
    if not isinstance(fill_value, (numbers.Number, np.generic)):
        raise TypeError(f"full: fill_value must be a number, got {got(fill_value)}")
    if dtype is None:
        dtype = dtypes.scalar_dtype(fill_value, dtypes.default_float) \
            if isinstance(fill_value, float) else np.asarray(fill_value).dtype
        if np.dtype(dtype).kind in "iu":
            dtype = dtypes.int64
    shape = check_shape(shape if isinstance(shape, (tuple, list)) else (shape,), "full")
    return _full(shape, fill_value, dtype, requires_grad, device, "full")


def _full(shape, fill_value, dtype, requires_grad, device, op):
    return _make(np.full(shape, fill_value, dtype=dtypes.as_dtype(dtype)), requires_grad,
                 device, op)


def zeros_like(t, dtype=None, requires_grad=False):
    return _full(t.shape, 0, dtype or t.dtype, requires_grad, t.device, "zeros_like")


def ones_like(t, dtype=None, requires_grad=False):
    return _full(t.shape, 1, dtype or t.dtype, requires_grad, t.device, "ones_like")


def arange(start, stop=None, step=1, dtype=None, requires_grad=False, device="cpu"):
    """Evenly spaced values in [start, stop); int64 for integer arguments, else float32."""
    if stop is None:
        start, stop = 0, start
    for name, value in (("start", start), ("stop", stop), ("step", step)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) \
                or not math.isfinite(value):
            raise TypeError(f"arange: {name} must be a finite real number, got "
                            f"{got(value)}")
    if step == 0:
        raise ValueError(f"arange: step must be nonzero, got {step!r}")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, stop, step))
        dtype = dtypes.int64 if ints else dtypes.default_float
    return _make(np.arange(start, stop, step).astype(dtypes.as_dtype(dtype)), requires_grad,
                 device, "arange")


def eye(n, m=None, dtype=None, requires_grad=False, device="cpu"):
    """The n×m identity matrix (float32 unless ``dtype``)."""
    n = check_int("eye", "n", n, low=0)
    m = n if m is None else check_int("eye", "m", m, low=0)
    return _make(np.eye(n, m, dtype=_float(dtype)), requires_grad, device, "eye")


def randn(*shape, dtype=None, requires_grad=False, device="cpu"):
    """Standard normal draws (float32 unless ``dtype``), from minigrad's seeded generator."""
    shape, dtype = check_shape(shape, "randn"), _real(dtype)
    draw = random.generator().standard_normal(shape, dtype=np.float64)
    return _make(draw.astype(dtype), requires_grad, device, "randn")


def rand(*shape, dtype=None, requires_grad=False, device="cpu"):
    """Uniform draws in [0, 1) (float32 unless ``dtype``), from minigrad's seeded generator."""
    shape, dtype = check_shape(shape, "rand"), _real(dtype)
    draw = random.generator().random(shape, dtype=np.float64)
    return _make(draw.astype(dtype), requires_grad, device, "rand")


def randint(low, high=None, size=(), dtype=None, device="cpu"):
    """Random integers in [low, high) (int64 unless ``dtype``)."""
    if isinstance(high, (tuple, list)):      # randint(high, size), PyTorch's short form
        low, high, size = 0, low, tuple(high)
    if high is None:
        low, high = 0, low
    low, high = check_int("randint", "low", low), check_int("randint", "high", high)
    if high <= low:
        raise ValueError(f"randint: expected low < high, got low={low} and high={high}")
    size = check_shape(size if isinstance(size, (tuple, list)) else (size,), "randint")
    draw = random.generator().integers(low, high, size=size)
    return _make(draw.astype(dtypes.as_dtype(dtype or dtypes.int64)), False, device,
                 "randint")


def multinomial(input, num_samples, replacement=False):
    """Indices drawn from the categorical distributions in the rows of ``input`` (1-d (K,)
    or 2-d (N, K) non-negative weights, normalised per row) → int64 (num_samples,) or
    (N, num_samples), PyTorch's ``multinomial``; without ``replacement`` each index is drawn
    at most once per row.  Drawn on the host from minigrad's seeded generator."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial: expected a Tensor, got {type(input).__name__}")
    if input.ndim not in (1, 2) or not dtypes.is_floating(input.dtype):
        raise ValueError(f"multinomial: expected 1-d or 2-d floating-point weights, got "
                         f"shape {input.shape} and dtype {input.dtype}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) \
            or num_samples < 1:
        raise ValueError(f"multinomial: num_samples must be a positive int, got "
                         f"{num_samples!r}")
    weights = np.asarray(backend.to_device(input._data, "cpu"), dtype=np.float64)
    rows = weights.reshape(-1, weights.shape[-1])
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise ValueError("multinomial: weights must be finite and non-negative")
    totals = rows.sum(axis=1)
    if (totals <= 0).any():
        raise ValueError(f"multinomial: row {int(np.argmin(totals))} of the weights sums to "
                         f"0; every row needs a positive weight")
    if not replacement and num_samples > int((rows > 0).sum(axis=1).min()):
        raise ValueError(f"multinomial: cannot draw {num_samples} distinct indices without "
                         f"replacement from a row with {int((rows > 0).sum(axis=1).min())} "
                         f"non-zero weights")
    rng = random.generator()
    draws = np.stack([rng.choice(rows.shape[1], size=num_samples, replace=replacement,
                                 p=row / total) for row, total in zip(rows, totals)])
    return _make(draws.reshape(*weights.shape[:-1], num_samples).astype(np.int64), False,
                 input.device, "multinomial")


def from_numpy(array):
    """A CPU tensor that shares memory with ``array`` (no copy, dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    if dtypes.as_dtype(array.dtype) != array.dtype:
        # sharing memory keeps the bytes, and a tensor holds the machine's byte order
        raise TypeError(f"from_numpy: the array has the non-native byte order of dtype "
                        f"{array.dtype.str!r}, so it cannot be shared; minigrad.tensor(array) "
                        f"copies it into {dtypes.as_dtype(array.dtype)}")
    return Tensor._wrap(array)
