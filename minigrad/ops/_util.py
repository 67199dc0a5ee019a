"""Helpers shared by the op files: operand conversion and axis bookkeeping."""
import math

import numpy as np

from .._check import check_int, got
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


def binary_operands(a, b, op, floating=False, elementwise=True):
    """Two Tensors ready for a binary op.

    Scalars are lifted with the other operand's dtype; an integer/bool tensor next to a
    floating one is cast to that dtype (it carries no gradient, so no Function is needed);
    ``floating=True`` (true division) also turns two integer operands into float32.
    ``elementwise`` ops get their shapes checked for broadcasting (matmul checks its own).
    """
    if isinstance(a, Tensor) and isinstance(b, Tensor) and a._data.dtype == b._data.dtype \
            and (not floating or a._data.dtype.kind == "f"):       # nothing to convert
        if elementwise and a._data.shape != b._data.shape:
            check_broadcast(op, a._data.shape, b._data.shape)
        return a, b
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{op}: expected at least one Tensor operand")
    a = as_operand(a, b, op) if not isinstance(a, Tensor) else a
    b = as_operand(b, a, op) if not isinstance(b, Tensor) else b
    if (dtypes.is_floating(a.dtype) and dtypes.is_floating(b.dtype) and a.dtype != b.dtype
            and (a.ndim == 0) != (b.ndim == 0)):
        # PyTorch's rule: a 0-d tensor, like a Python scalar, does not promote a tensor
        # with dimensions (float32 x + float64 0-d s is float32); cast differentiably
        a, b = (a.to(b.dtype), b) if a.ndim == 0 else (a, b.to(a.dtype))
    if elementwise and a.shape != b.shape:
        check_broadcast(op, a.shape, b.shape)
    target = dtypes.result_type(a.dtype, b.dtype)
    if floating and not dtypes.is_floating(target):
        target = dtypes.default_float
    if dtypes.is_floating(target):
        a, b = _cast_nonfloat(a, target), _cast_nonfloat(b, target)
    return a, b


def check_broadcast(op, *shapes):
    """Raise a ValueError naming ``op`` if ``shapes`` do not broadcast together."""
    # aligned from the right, each axis must agree or be 1 (a loop: a third of the time of
    # np.broadcast_shapes, and this runs on every elementwise op with unequal shapes)
    sizes = {}
    for shape in shapes:
        for i, n in enumerate(reversed(shape)):
            m = sizes.setdefault(i, n)
            if m != n:
                if m != 1 and n != 1:
                    break
                sizes[i] = n if m == 1 else m     # the non-1 size, 0 included
        else:
            continue
        listed = " and ".join(str(tuple(s)) for s in shapes)
        raise ValueError(f"{op}: shapes {listed} do not broadcast (aligned from the right, "
                         f"each axis must be equal or 1 in one of them)")


def floating(x):
    """Integer/bool tensors become float32 for ops whose result is real (as PyTorch); no
    Function is needed since such tensors carry no gradient."""
    if isinstance(x, Tensor) and not dtypes.is_floating(x.dtype):
        return Tensor._wrap(x._data.astype(dtypes.default_float))
    return x


def _cast_nonfloat(t, dtype):
    return t if dtypes.is_floating(t.dtype) else Tensor._wrap(t._data.astype(dtype))


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
    if isinstance(axis, (int, np.integer)) and not isinstance(axis, (bool, np.bool_)):
        axes = (axis,)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        raise TypeError(f"{op}: axis must be an int or a tuple of ints, got {got(axis)}")
    out = []
    for a in axes:
        check_int(op, "axis", a)
        if not -max(ndim, 1) <= a < max(ndim, 1):
            n = max(ndim, 1)
            raise ValueError(f"{op}: axis {a} is out of range for a {ndim}-d tensor "
                             f"(expected {-n} ≤ axis < {n})")
        if ndim == 0:
            continue   # a 0-d tensor accepts axis 0 / -1 (as PyTorch) and reduces nothing
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(out))


def expand_reduced(dy, shape, axes, keepdims):
    """Broadcast the gradient of a reduction over ``axes`` back to the input ``shape``."""
    if not keepdims and axes:
        dy = dy.reshape([1 if i in axes else n for i, n in enumerate(shape)])
    return dy


def reduced_count(shape, axes):
    return math.prod(shape[a] for a in axes)


def pair(value, name, op):
    """(h, w) from an int or a pair of ints (NumPy integers accepted)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value), int(value))
    try:
        pair = tuple(value)
    except TypeError:
        pair = ()
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise ValueError(f"{op}: {name} must be an int or a pair of ints, got {value!r}")
    return tuple(int(v) for v in pair)


def conv_padding(padding, kernel_size, stride, dilation, op):
    """A convolution's (h, w) padding from an int, a pair, ``"valid"`` (none) or ``"same"``
    (output as large as the input: stride 1 and an odd dilated kernel only, as PyTorch)."""
    if not isinstance(padding, str):
        return pair(padding, "padding", op)
    if padding not in ("same", "valid"):
        raise ValueError(f"{op}: padding must be an int, a pair, 'same' or 'valid', got "
                         f"{padding!r}")
    if padding == "valid":
        return (0, 0)
    if tuple(stride) != (1, 1):
        raise ValueError(f"{op}: padding='same' needs stride 1 (it is not supported for "
                         f"strided convolutions), got stride {tuple(stride)}")
    total = [d * (k - 1) for d, k in zip(dilation, kernel_size)]      # the dilated extent − 1
    if total[0] % 2 or total[1] % 2:
        raise ValueError(f"{op}: padding='same' with an even kernel {tuple(kernel_size)} "
                         f"(dilation {tuple(dilation)}) would need uneven padding; pad "
                         f"explicitly with F.pad")
    return (total[0] // 2, total[1] // 2)


def check_float(op, **tensors):
    """Each given tensor must be a floating-point Tensor."""
    for name, t in tensors.items():
        if t is None or isinstance(t, Tensor) and t._data.dtype.kind == "f":
            continue
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
        if not dtypes.is_floating(t.dtype):
            raise TypeError(f"{op}: {name} must be floating point, got dtype {t.dtype} "
                            f"(convert with .float())")


def check_params(op, x, check_dtype=True, **params):
    """A layer's parameters must be on its input's device and (``check_dtype``) of its dtype.

    A float32 layer given float64 input (``minigrad.tensor`` keeps a NumPy array's float64)
    would otherwise compute and return float64 silently, at twice the memory and time;
    like PyTorch, minigrad asks for an explicit cast instead.
    """
    xd = x._data
    if type(xd) is np.ndarray and all(     # the common case: NumPy arrays of one dtype
            p is None or (type(p._data) is np.ndarray
                          and (p._data.dtype == xd.dtype or not check_dtype))
            for p in params.values()):
        return
    for name, p in params.items():
        if p is not None and p.device != x.device:
            raise RuntimeError(f"{op}: input is on {x.device} but {name} is on {p.device}; "
                               f"move the input (x.to({p.device!r})) or the layer "
                               f"(.to({x.device!r})) so that they match")
    for name, p in params.items():
        if check_dtype and p is not None and p.dtype != x.dtype:
            raise TypeError(f"{op}: input has dtype {x.dtype} but {name} has dtype {p.dtype}; "
                            f"cast the input (x.to({str(p.dtype)!r}) or x.{_caster(p.dtype)}()) "
                            f"or the layer (.to({str(x.dtype)!r})) so that they match")


def _caster(dtype):
    return {"float32": "float", "float64": "double"}.get(str(dtype), f"to('{dtype}')")


def constant_array(mask, name, like, op):
    """A mask given as a Tensor or an array, as an array on ``like``'s device: masks are
    constants, never differentiated (one that requires grad is refused)."""
    if isinstance(mask, Tensor):
        if mask.requires_grad:
            raise ValueError(f"{op}: {name} is treated as a constant; it must not require "
                             f"grad (detach it)")
        mask = mask._data
    elif not (isinstance(mask, np.ndarray) or type(mask).__module__.startswith("cupy")):
        raise TypeError(f"{op}: {name} must be a Tensor or an array, got "
                        f"{type(mask).__name__}")
    if backend.device_of(mask) != like.device:
        raise RuntimeError(f"{op}: {name} is on {backend.device_of(mask)}, the input on "
                           f"{like.device}; move one explicitly")
    return mask
