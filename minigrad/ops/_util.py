"""Helpers shared by the op files: operand conversion and axis bookkeeping."""
import numpy as np

from .. import backend, dtypes
from ..tensor import Tensor


def as_operand(value, like, op):
    """A Tensor for ``value``; a Python scalar takes ``like``'s dtype (see minigrad.dtypes)."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (bool, int, float)):
        return Tensor._wrap(like.xp.asarray(value, dtype=dtypes.scalar_dtype(value, like.dtype)))
    if isinstance(value, (np.ndarray, np.generic)) or type(value).__module__.startswith("cupy"):
        if backend.device_of(value) != like.device:
            raise RuntimeError(f"{op}: a tensor on {like.device} and an array on "
                               f"{backend.device_of(value)}; move one explicitly")
        return Tensor(value)
    raise TypeError(f"{op}: expected a Tensor, an array or a number, got {type(value).__name__}")


def binary_operands(a, b, op, floating=False):
    """Two Tensors ready for a binary op.

    Scalars are lifted with the other operand's dtype; an integer/bool tensor next to a
    floating one is cast to that dtype (it carries no gradient, so no Function is needed);
    ``floating=True`` (true division) also turns two integer operands into float32.
    """
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{op}: expected at least one Tensor operand")
    a = as_operand(a, b, op) if not isinstance(a, Tensor) else a
    b = as_operand(b, a, op) if not isinstance(b, Tensor) else b
    target = dtypes.result_type(a.dtype, b.dtype)
    if floating and not dtypes.is_floating(target):
        target = dtypes.default_float
    if dtypes.is_floating(target):
        a, b = _cast_nonfloat(a, target), _cast_nonfloat(b, target)
    return a, b


def _cast_nonfloat(t, dtype):
    return t if dtypes.is_floating(t.dtype) else Tensor._wrap(t.data.astype(dtype))


def pick(axis, dim, name="axis"):
    """Accept PyTorch's ``dim``/``keepdim`` spelling beside NumPy's ``axis``/``keepdims``."""
    if dim is None:
        return axis
    if axis is not None and axis != dim:
        raise TypeError(f"got both {name}={axis!r} and its alias {dim!r}")
    return dim


def normalize_axes(axis, ndim, op):
    """``axis`` (None, int or tuple) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    out = []
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"{op}: axis {a} is out of range for a {ndim}-d tensor")
        out.append(int(a) % max(ndim, 1))
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(out))


def expand_reduced(dy, shape, axes, keepdims):
    """Broadcast the gradient of a reduction over ``axes`` back to the input ``shape``."""
    if not keepdims and axes:
        dy = dy.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return dy


def reduced_count(shape, axes):
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))
