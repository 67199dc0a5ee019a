"""Tensor factories with PyTorch's names and signatures: zeros, ones, full, empty, the
``*_like`` forms, arange, linspace, logspace, eye, and random draws (rand, randn, randint,
randperm, normal, multinomial).  Every draw comes from ``minigrad.random``: minigrad's global
generator (reseeded by ``manual_seed``), or the ``minigrad.Generator`` passed as
``generator=``, which leaves the global one untouched."""
import math
import numbers

import numpy as np

from ._check import check_bool, check_int, check_real, check_shape, got
from . import backend, dtypes, random
from .tensor import Tensor

__all__ = ["zeros", "ones", "full", "empty", "zeros_like", "ones_like", "full_like",
           "empty_like", "arange", "linspace", "logspace", "eye", "randn", "rand", "randint",
           "randperm", "normal", "rand_like", "randn_like", "randint_like", "multinomial",
           "from_numpy"]


def _make(array, requires_grad, device, op):
    requires_grad = check_bool(op, "requires_grad", requires_grad)
    t = Tensor._wrap(backend.to_device(array, device or backend.get_default_device()))
    t.requires_grad = requires_grad
    return t


def _dtype(dtype, who):
    """``dtype`` as a NumPy dtype, or a TypeError naming the function."""
    try:
        return dtypes.as_dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"{who}: {exc}") from None


def _float(dtype, who="tensor"):
    return _dtype(dtype, who) if dtype is not None else dtypes.default_float


def _real(dtype, who="tensor"):
    """The dtype of a draw from a continuous distribution: floating point only."""
    dtype = _float(dtype, who)
    if not dtypes.is_floating(dtype):
        raise TypeError(f"{who}: expected a floating-point dtype for a real-valued draw, "
                        f"got {dtype}")
    return dtype


def _size(dims, size, who):
    """The shape of ``f(2, 3)``, ``f((2, 3))`` or ``f(size=(2, 3))`` (PyTorch's forms)."""
    if size is not None:
        if dims:
            raise TypeError(f"{who}: the size was given twice, as {dims!r:.60} and as "
                            f"size={size!r:.60}")
        dims = (size,)
    return check_shape(dims, who)


def _tensor_arg(who, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{who}: input must be a Tensor, got {got(input)}")
    return input


def _number(who, name, value):
    """A real number, or a one-element Tensor's value (PyTorch accepts both)."""
    if isinstance(value, Tensor) and value._data.size == 1:
        value = value.item()
    return value


def zeros(*shape, size=None, dtype=None, requires_grad=False, device=None):
    """A tensor of zeros: ``zeros(2, 3)``, ``zeros((2, 3))`` or ``zeros(size=(2, 3))``;
    float32 unless ``dtype``."""
    shape = _size(shape, size, "zeros")
    return _full(shape, 0, _float(dtype, "zeros"), requires_grad, device, "zeros")


def ones(*shape, size=None, dtype=None, requires_grad=False, device=None):
    """A tensor of ones; float32 unless ``dtype``."""
    shape = _size(shape, size, "ones")
    return _full(shape, 1, _float(dtype, "ones"), requires_grad, device, "ones")


def empty(*shape, size=None, dtype=None, requires_grad=False, device=None):
    """PyTorch's "uninitialised" tensor; here it holds zeros (float32 unless ``dtype``)."""
    shape = _size(shape, size, "empty")
    return _full(shape, 0, _float(dtype, "empty"), requires_grad, device, "empty")


def _fill_dtype(fill_value):
    """The dtype ``full`` gives a value: bool, int64 or the default float (as PyTorch)."""
    if isinstance(fill_value, (bool, np.bool_)):
        return dtypes.bool_
    if isinstance(fill_value, numbers.Integral):
        return dtypes.int64
    if isinstance(fill_value, np.floating):
        return np.dtype(type(fill_value))
    return dtypes.default_float


def _fill_value(who, fill_value):
    fill_value = _number(who, "fill_value", fill_value)
    if not isinstance(fill_value, (numbers.Real, np.generic)) or \
            isinstance(fill_value, np.generic) and fill_value.dtype.kind not in "biuf":
        raise TypeError(f"{who}: fill_value must be a number, got {got(fill_value)}")
    return fill_value


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    """A tensor of ``size`` filled with ``fill_value`` (its dtype follows the value: bool,
    int64 or float32)."""
    fill_value = _fill_value("full", fill_value)
    dtype = _fill_dtype(fill_value) if dtype is None else _dtype(dtype, "full")
    shape = check_shape(size if isinstance(size, (tuple, list)) else (size,), "full")
    return _full(shape, fill_value, dtype, requires_grad, device, "full")


def _full(shape, fill_value, dtype, requires_grad, device, op):
    return _make(np.full(shape, fill_value, dtype=dtypes.as_dtype(dtype)), requires_grad,
                 device, op)


def _like(who, input, dtype, device):
    """(shape, dtype, device) of a ``*_like`` result: ``input``'s unless given."""
    input = _tensor_arg(who, input)
    return (input.shape, input.dtype if dtype is None else _dtype(dtype, who),
            input.device if device is None else device)


def zeros_like(input, dtype=None, requires_grad=False, *, device=None):
    """Zeros of ``input``'s shape, dtype and device (unless ``dtype``/``device``)."""
    shape, dtype, device = _like("zeros_like", input, dtype, device)
    return _full(shape, 0, dtype, requires_grad, device, "zeros_like")


def ones_like(input, dtype=None, requires_grad=False, *, device=None):
    """Ones of ``input``'s shape, dtype and device (unless ``dtype``/``device``)."""
    shape, dtype, device = _like("ones_like", input, dtype, device)
    return _full(shape, 1, dtype, requires_grad, device, "ones_like")


def empty_like(input, dtype=None, requires_grad=False, *, device=None):
    """PyTorch's uninitialised ``empty_like``; zeros here."""
    shape, dtype, device = _like("empty_like", input, dtype, device)
    return _full(shape, 0, dtype, requires_grad, device, "empty_like")


def full_like(input, fill_value, dtype=None, requires_grad=False, *, device=None):
    """``fill_value`` in ``input``'s shape, dtype and device (unless ``dtype``/``device``)."""
    fill_value = _fill_value("full_like", fill_value)
    shape, dtype, device = _like("full_like", input, dtype, device)
    return _full(shape, fill_value, dtype, requires_grad, device, "full_like")


def arange(start=None, stop=None, step=1, dtype=None, requires_grad=False, device=None, *,
           end=None):
    """Evenly spaced values in [start, stop); int64 for integer arguments, else float32.
    ``arange(stop)``, ``arange(start, stop, step)``, or PyTorch's ``end=`` keyword."""
    if end is not None:
        if stop is not None:
            raise TypeError(f"arange: the end was given twice, as {stop!r} and as "
                            f"end={end!r}")
        stop = end
    if stop is None:
        start, stop = 0, start
    if stop is None:
        raise TypeError("arange: the end is missing: arange(end), arange(start, end) or "
                        "arange(start, end, step)")
    start = 0 if start is None else start
    start, stop, step = (_number("arange", n, v) for n, v in
                         (("start", start), ("stop", stop), ("step", step)))
    for name, value in (("start", start), ("stop", stop), ("step", step)):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real) \
                or not math.isfinite(value):
            raise TypeError(f"arange: {name} must be a finite real number, got "
                            f"{got(value)}")
    if step == 0:
        raise ValueError(f"arange: step must be nonzero, got {step!r}")
    if (stop - start) * step < 0:
        raise ValueError(f"arange: step {step!r} goes away from stop: start={start!r}, "
                         f"stop={stop!r}")
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, stop, step))
        dtype = dtypes.int64 if ints else dtypes.default_float
    return _make(np.arange(start, stop, step).astype(_dtype(dtype, "arange")), requires_grad,
                 device, "arange")


def _endpoint(who, name, value):
    value = _number(who, name, value)
    return check_real(who, name, value)


def _spaced(start, end, steps, dtype):
    """``steps`` values from start to end, as PyTorch's CPU kernel computes them: the first
    half counted up from start, the second half down from end (so both ends are exact),
    with the step computed in ``dtype`` (float64 for integer dtypes, whose ends are first
    truncated to integers, as PyTorch's are)."""
    if dtypes.is_floating(dtype):
        work = dtype
    else:
        work, start, end = np.dtype(np.float64), math.trunc(start), math.trunc(end)
    if steps == 1:
        return np.array([start], dtype=work)
    first, last = work.type(start), work.type(end)
    step = (last - first) / work.type(steps - 1)
    index = np.arange(steps)
    i = index.astype(work)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(index < steps // 2, first + step * i,
                        last - step * (work.type(steps - 1) - i)).astype(work)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    """``steps`` evenly spaced values from ``start`` to ``end``, both included (float32
    unless ``dtype``; an integer dtype truncates, as PyTorch's)."""
    start, end = _endpoint("linspace", "start", start), _endpoint("linspace", "end", end)
    steps = check_int("linspace", "steps", steps, low=0)
    dtype = _float(dtype, "linspace")
    values = _spaced(start, end, steps, dtype) if steps else np.zeros((0,))
    with np.errstate(invalid="ignore"):
        return _make(values.astype(dtype), requires_grad, device, "linspace")


def logspace(start, end, steps, base=10.0, dtype=None, requires_grad=False, device=None):
    """``base ** linspace(start, end, steps)`` (float32 unless ``dtype``; with an integer
    dtype the ends are truncated to integers and the powers computed in float32, as
    PyTorch does)."""
    start, end = _endpoint("logspace", "start", start), _endpoint("logspace", "end", end)
    steps = check_int("logspace", "steps", steps, low=0)
    base = check_real("logspace", "base", _number("logspace", "base", base))
    dtype = _float(dtype, "logspace")
    if not steps:
        return _make(np.zeros((0,), dtype=dtype), requires_grad, device, "logspace")
    exponents = _spaced(start, end, steps, dtype)
    with np.errstate(over="ignore", invalid="ignore"):
        if dtypes.is_floating(dtype):
            values = np.power(np.float64(base), exponents.astype(np.float64))
        else:
            values = np.power(np.float32(base), exponents.astype(np.float32))
        return _make(values.astype(dtype), requires_grad, device, "logspace")


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    """The n×m identity matrix (float32 unless ``dtype``)."""
    n = check_int("eye", "n", n, low=0)
    m = n if m is None else check_int("eye", "m", m, low=0)
    return _make(np.eye(n, m, dtype=_float(dtype, "eye")), requires_grad, device, "eye")


# -- random draws ----------------------------------------------------------------------------

def randn(*shape, size=None, generator=None, dtype=None, requires_grad=False, device=None):
    """Standard normal draws (float32 unless ``dtype``), from ``generator`` or minigrad's
    global generator."""
    shape = _size(shape, size, "randn")
    dtype = _real(dtype, "randn")
    draw = random.numpy_rng(generator, "randn").standard_normal(shape, dtype=np.float64)
    return _make(draw.astype(dtype), requires_grad, device, "randn")


def rand(*shape, size=None, generator=None, dtype=None, requires_grad=False, device=None):
    """Uniform draws in [0, 1) (float32 unless ``dtype``), from ``generator`` or minigrad's
    global generator."""
    shape = _size(shape, size, "rand")
    dtype = _real(dtype, "rand")
    draw = random.numpy_rng(generator, "rand").random(shape, dtype=np.float64)
    return _make(draw.astype(dtype), requires_grad, device, "rand")


def _int_range(who, low, high):
    if high is None:
        low, high = 0, low
    low, high = check_int(who, "low", low), check_int(who, "high", high)
    if high <= low:
        raise ValueError(f"{who}: expected low < high, got low={low} and high={high}")
    return low, high


def randint(low, high=None, size=(), generator=None, dtype=None, device=None,
            requires_grad=False):
    """Random integers in [low, high) (int64 unless ``dtype``): ``randint(high, size)`` or
    ``randint(low, high, size)``."""
    if isinstance(high, (tuple, list)):      # randint(high, size), PyTorch's short form
        low, high, size = 0, low, tuple(high)
    low, high = _int_range("randint", low, high)
    size = check_shape(size if isinstance(size, (tuple, list)) else (size,), "randint")
    dtype = dtypes.int64 if dtype is None else _dtype(dtype, "randint")
    draw = random.numpy_rng(generator, "randint").integers(low, high, size=size)
    return _make(draw.astype(dtype), requires_grad, device, "randint")


def randperm(n, generator=None, dtype=dtypes.int64, requires_grad=False, device=None):
    """A random permutation of 0 … n-1 (int64 unless ``dtype``)."""
    n = check_int("randperm", "n", n, low=0)
    dtype = _dtype(dtype, "randperm")
    draw = random.numpy_rng(generator, "randperm").permutation(n)
    return _make(draw.astype(dtype), requires_grad, device, "randperm")


def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None, requires_grad=False,
           device=None):
    """Draws from N(mean, std²), PyTorch's overloads: ``normal(mean_tensor, std_tensor)``
    (shapes broadcast), ``normal(mean_tensor, std=1.0)``, ``normal(mean, std_tensor)``, or
    ``normal(mean, std, size)`` with numbers.  The result carries no gradient."""
    who = "normal"
    tensors = [t for t in (mean, std) if isinstance(t, Tensor)]
    for name, value in (("mean", mean), ("std", std)):
        if isinstance(value, Tensor):
            if not dtypes.is_floating(value.dtype):
                raise TypeError(f"normal: {name} must be a floating-point Tensor or a "
                                f"number, got a Tensor of dtype {value.dtype}")
        else:
            check_real(who, name, value, low=0.0 if name == "std" else None)
    if tensors:
        if size is not None:
            raise TypeError(f"normal: size={size!r:.60} is for number mean and std; with a "
                            f"Tensor mean or std the shape is theirs")
        if len(tensors) == 2 and mean.device != std.device:
            raise RuntimeError(f"normal: mean is on {mean.device} and std on {std.device}")
        try:
            shape = np.broadcast_shapes(*[t.shape for t in tensors])
        except ValueError:
            raise ValueError(f"normal: the shapes of mean {mean.shape} and std {std.shape} "
                             f"do not broadcast") from None
        device = tensors[0].device if device is None else device
        if dtype is None:
            dtype = tensors[0].dtype if len(tensors) == 1 else \
                np.result_type(mean.dtype, std.dtype)
        host = [np.asarray(backend.to_device(t._data, "cpu"), dtype=np.float64)
                if isinstance(t, Tensor) else float(t) for t in (mean, std)]
        if isinstance(std, Tensor) and not (host[1] >= 0).all():
            bad = host[1][~(host[1] >= 0)].ravel()[0]
            raise ValueError(f"normal: std must be ≥ 0 everywhere, got {bad}")
    else:
        if size is None:
            raise TypeError(f"normal: with numbers for mean ({mean!r}) and std ({std!r}), "
                            f"the size is needed: normal(mean, std, size)")
        shape = check_shape(size if isinstance(size, (tuple, list)) else (size,), who)
        host = [float(mean), float(std)]
    dtype = _real(dtype, who)
    z = random.numpy_rng(generator, who).standard_normal(shape, dtype=np.float64)
    return _make((host[0] + host[1] * z).astype(dtype), requires_grad, device, who)


def rand_like(input, *, generator=None, dtype=None, requires_grad=False, device=None):
    """Uniform draws in [0, 1) of ``input``'s shape, dtype and device."""
    shape, dtype, device = _like("rand_like", input, dtype, device)
    dtype = _real(dtype, "rand_like")
    draw = random.numpy_rng(generator, "rand_like").random(shape, dtype=np.float64)
    return _make(draw.astype(dtype), requires_grad, device, "rand_like")


def randn_like(input, *, generator=None, dtype=None, requires_grad=False, device=None):
    """Standard normal draws of ``input``'s shape, dtype and device."""
    shape, dtype, device = _like("randn_like", input, dtype, device)
    dtype = _real(dtype, "randn_like")
    draw = random.numpy_rng(generator, "randn_like").standard_normal(shape, dtype=np.float64)
    return _make(draw.astype(dtype), requires_grad, device, "randn_like")


def randint_like(input, low=0, high=None, *, generator=None, dtype=None, requires_grad=False,
                 device=None):
    """Random integers in [low, high) of ``input``'s shape, dtype and device:
    ``randint_like(x, high)`` or ``randint_like(x, low, high)``."""
    shape, dtype, device = _like("randint_like", input, dtype, device)
    low, high = _int_range("randint_like", low, high)
    draw = random.numpy_rng(generator, "randint_like").integers(low, high, size=shape)
    return _make(draw.astype(dtype), requires_grad, device, "randint_like")


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """Indices drawn from the categorical distributions in the rows of ``input`` (1-d (K,)
    or 2-d (N, K) non-negative weights, normalised per row) → int64 (num_samples,) or
    (N, num_samples), PyTorch's ``multinomial``; without ``replacement`` each index is drawn
    at most once per row.  Drawn on the host from ``generator`` or minigrad's global
    generator."""
    if not isinstance(input, Tensor):
        raise TypeError(f"multinomial: expected a Tensor, got {type(input).__name__}")
    if input.ndim not in (1, 2) or not dtypes.is_floating(input.dtype):
        raise ValueError(f"multinomial: expected 1-d or 2-d floating-point weights, got "
                         f"shape {input.shape} and dtype {input.dtype}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) \
            or num_samples < 1:
        raise ValueError(f"multinomial: num_samples must be a positive int, got "
                         f"{num_samples!r}")
    replacement = check_bool("multinomial", "replacement", replacement)
    rng = random.numpy_rng(generator, "multinomial")
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
