"""Ops that move elements without arithmetic: reshape, permute, broadcast, index, join, pad.

Their backward moves dy back the way the elements came (indexing scatters and adds, so
repeated indices accumulate).
"""
import math
import numbers

import numpy as np

from .._check import check_int, check_shape, got
from .. import dtypes
from ..function import Function
from ..tensor import Tensor
from ._util import normalize_axes

__all__ = ["reshape", "view", "transpose", "permute", "flatten", "squeeze", "unsqueeze",
           "broadcast_to", "getitem", "gather", "concatenate", "cat", "stack", "pad", "tril",
           "triu"]


class Reshape(Function):
    """Reshape to another shape with the same number of elements.

    forward:   y = x with shape ``shape`` (same elements, row-major order)
    backward:  dx = dy reshaped back
    """

    def forward(self, x, shape=()):
        self.in_shape = x.shape
        return x.reshape(shape)

    def backward(self, dy):
        return dy.reshape(self.in_shape)


class Permute(Function):
    """Axis permutation (transpose).

    forward:   y = x with axes reordered: y.shape[i] = x.shape[axes[i]]
    backward:  dx = dy permuted by axes⁻¹
    """

    def forward(self, x, axes=()):
        self.axes = axes
        return x.transpose(axes)

    def backward(self, dy):
        return dy.transpose(np.argsort(self.axes))


class BroadcastTo(Function):
    """Explicit broadcast to a larger shape.

    forward:   y = x broadcast to ``shape``
    backward:  dx = dy summed over the broadcast axes (by the engine)
    """

    def forward(self, x, shape=()):
        return self.xp.broadcast_to(x, shape)

    def backward(self, dy):
        return dy   # the engine's unbroadcast sums it back to x's shape


class GetItem(Function):
    """Indexing and slicing (basic, integer-array and boolean).

    forward:   y = x[index]
    backward:  dx = zeros like x, with dy added at index (repeats accumulate)
    """

    def forward(self, x, index=(), unique=True):
        self.shape, self.dtype, self.index, self.unique = x.shape, x.dtype, index, unique
        return x[index]

    def backward(self, dy):
        dx = self.xp.zeros(self.shape, dtype=self.dtype)
        if self.unique:          # each element selected at most once: plain assignment
            dx[self.index] = dy
        else:
            self.xp.add.at(dx, self.index, dy)
        return dx


class Triangle(Function):
    """The lower (tril) or upper (triu) triangle of the last two axes; the rest set to 0.

    forward:   y[..., i, j] = x[..., i, j] if j − i ≤ k (tril) / j − i ≥ k (triu), else 0
    backward:  dx = the same triangle of dy
    """

    def forward(self, x, diagonal=0, upper=False):
        self.diagonal, self.upper = diagonal, upper
        return self._triangle(x)

    def backward(self, dy):
        return self._triangle(dy)

    def _triangle(self, a):
        return (self.xp.triu if self.upper else self.xp.tril)(a, self.diagonal)


class Concatenate(Function):
    """Concatenation along an existing axis.

    forward:   y = [x₁, x₂, …] joined along ``axis``
    backward:  dxᵢ = the slice of dy where xᵢ went
    """

    def forward(self, *xs, axis=0):
        self.axis = axis
        self.bounds = np.cumsum([x.shape[axis] for x in xs])[:-1].tolist()   # host ints
        return self.xp.concatenate(xs, axis=axis)

    def backward(self, dy):
        return tuple(self.xp.split(dy, self.bounds, axis=self.axis))


class Stack(Function):
    """Stacking along a new axis.

    forward:   y = [x₁, x₂, …] stacked along a new ``axis``
    backward:  dxᵢ = dy taken at position i of axis
    """

    def forward(self, *xs, axis=0):
        self.axis, self.n = axis, len(xs)
        return self.xp.stack(xs, axis=axis)

    def backward(self, dy):
        return tuple(self.xp.take(dy, i, axis=self.axis) for i in range(self.n))


class Pad(Function):
    """Constant padding before/after each axis (``widths`` per axis).

    forward:   y = x with ``value`` added before/after each axis
    backward:  dx = dy with the padding cut off
    """

    def forward(self, x, widths=(), value=0.0):
        self.crop = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape))
        return self.xp.pad(x, widths, mode="constant", constant_values=value)

    def backward(self, dy):
        return dy[self.crop]


# -- wrappers ------------------------------------------------------------------------------

def reshape(x, *shape):
    """Same elements in a new shape (one dimension may be -1); ``x.reshape(2, 3)`` or
    ``x.reshape((2, 3))``.  A view of x's memory when its strides allow, else a copy."""
    return _reshape(x, check_shape(shape, "reshape", infer=True), "reshape")


def view(x, *shape):
    """``reshape`` that must not copy, as PyTorch's ``view``: the result shares x's memory
    (an in-place change through one is seen through the other), and a shape that x's
    strides cannot give without a copy (e.g. ``x.T.view(-1)``) is an error."""
    shape = check_shape(shape, "view", infer=True)
    y = _reshape(x, shape, "view")
    same = y._data.size == 0 or (np.may_share_memory(y._data, x._data)
                                if isinstance(x._data, np.ndarray)
                                else y._data._data.mem is x._data._data.mem)
    if not same:
        raise RuntimeError(f"view: a tensor of shape {x.shape} with strides "
                           f"{x._data.strides} cannot be viewed as {shape} without copying "
                           f"(its memory is not laid out in that order, e.g. after a "
                           f"transpose); use .reshape(...), which copies when it must")
    return y


def _reshape(x, shape, op):
    size = math.prod(n for n in shape if n != -1)     # (Python ints: no overflow)
    if (shape.count(-1) > 1 or any(n < -1 for n in shape)
            or (-1 in shape and (size == 0 or x._data.size % size))
            or (-1 not in shape and size != x._data.size)):
        raise ValueError(f"{op}: cannot reshape a tensor of shape {x.shape} "
                         f"({x._data.size} elements) into {shape}")
    return Reshape.apply(x, shape=shape)


def _axes_arg(axes, op):
    """Axes from ``f(1, 0)`` or ``f((1, 0))``: a tuple of ints."""
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    return tuple(check_int(op, "axes", a) for a in axes)


def permute(x, *axes):
    """Reorder all axes: ``y.shape[i] == x.shape[axes[i]]``."""
    axes = _axes_arg(axes, "permute")
    if len(axes) != x.ndim or sorted(a % max(x.ndim, 1) for a in axes) != list(range(x.ndim)):
        raise ValueError(f"permute: axes {axes} are not a permutation of the {x.ndim} axes "
                         f"of a tensor of shape {x.shape}")
    return Permute.apply(x, axes=tuple(a % x.ndim for a in axes))


def transpose(x, *axes):
    """``transpose()`` reverses the axes; ``transpose(i, j)`` swaps axes i and j (PyTorch);
    a full permutation of a tensor with more than 2 axes also works (NumPy)."""
    axes = _axes_arg(axes, "transpose") if axes else ()
    if not axes:
        return permute(x, *reversed(range(x.ndim)))
    if len(axes) == 2:
        i, j = normalize_axes(axes[0], x.ndim, "transpose")[0], \
            normalize_axes(axes[1], x.ndim, "transpose")[0]
        order = list(range(x.ndim))
        order[i], order[j] = order[j], order[i]
        return permute(x, *order)
    return permute(x, *axes)


def flatten(x, start_dim=0, end_dim=-1):
    """Merge axes ``start_dim..end_dim`` (inclusive) into one."""
    if x.ndim == 0:
        return reshape(x, 1)
    start = normalize_axes(start_dim, x.ndim, "flatten")[0]
    end = normalize_axes(end_dim, x.ndim, "flatten")[0]
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    merged = int(np.prod(x.shape[start:end + 1], dtype=np.int64))
    return reshape(x, x.shape[:start] + (merged,) + x.shape[end + 1:])


def squeeze(x, axis=None):
    """Drop axes of length 1 (all of them, or those in ``axis``; others are left alone)."""
    axes = normalize_axes(axis, x.ndim, "squeeze")
    shape = tuple(n for i, n in enumerate(x.shape) if not (i in axes and n == 1))
    return reshape(x, shape)


def unsqueeze(x, axis):
    """Insert an axis of length 1 at position ``axis`` (negative counts from the end)."""
    ndim = x.ndim + 1
    if not -ndim <= check_int("unsqueeze", "axis", axis) < ndim:
        raise ValueError(f"unsqueeze: axis {axis} is out of range for a result with "
                         f"{ndim} axes")
    axis %= ndim
    return reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def broadcast_to(x, shape):
    """View ``x`` at a larger shape by NumPy's broadcasting rules."""
    shape = check_shape(shape if isinstance(shape, (tuple, list)) else (shape,),
                         "broadcast_to")
    try:
        np.broadcast_shapes(x.shape, shape)
        ok = len(shape) >= x.ndim and np.broadcast_shapes(x.shape, shape) == shape
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"broadcast_to: cannot broadcast shape {x.shape} to {shape}")
    return BroadcastTo.apply(x, shape=shape)


def _index_part(part, device):
    """One element of an index: Tensors become arrays; bool masks become integer arrays."""
    if isinstance(part, Tensor):
        if part.device != device:
            raise RuntimeError(f"getitem: index on {part.device}, tensor on {device}")
        # a copy: GetItem keeps the index for backward, and a later in-place change to the
        # index tensor must not move the gradient
        part = part._data.copy()
    elif isinstance(part, list):
        part = np.asarray(part) if part else np.zeros(0, dtype=np.intp)
    return part


def check_index(index, op):
    """Refuse an index part NumPy would refuse with a message that names neither the op nor
    the part (``t[1.5]``), or would take in an unintended way (a float array)."""
    for k, p in enumerate(index if isinstance(index, tuple) else (index,)):
        if p is None or p is Ellipsis or isinstance(p, (numbers.Integral, np.bool_)):
            continue
        if isinstance(p, slice):
            bad = [b for b in (p.start, p.stop, p.step)
                   if b is not None and not isinstance(b, numbers.Integral)]
            if not bad:
                continue
            p = bad[0]
        elif isinstance(p, list) and all(isinstance(v, numbers.Integral) for v in p):
            continue
        elif hasattr(p, "dtype") and (p.dtype == bool or p.dtype.kind in "iu"):
            continue
        what = f"dtype {p.dtype}" if hasattr(p, "dtype") else got(p)
        raise IndexError(f"{op}: index part {k} is {what}; expected an int, a slice of ints, "
                         f"None, ..., a list of ints, or an integer or bool array/Tensor")


def _is_int_array(p):
    return hasattr(p, "dtype") and p.dtype.kind in "iu"


def getitem(x, index):
    """``x[index]``: ints, slices, None, Ellipsis, integer arrays/tensors and bool masks."""
    check_index(index, "getitem")
    parts = index if isinstance(index, tuple) else (index,)
    parts = tuple(_index_part(p, x.device) for p in parts)
    # Slices, ints and masks select each element at most once; integer arrays may repeat
    # an element, and then backward must add (not assign) dy at that position.
    unique = not any(_is_int_array(p) and p.ndim > 0 for p in parts)
    if not unique:   # masks beside integer arrays: as index arrays, for xp.add.at
        parts = tuple(q for p in parts
                      for q in (p.nonzero() if hasattr(p, "dtype") and p.dtype == bool
                                and p.ndim > 0 else (p,)))
    try:
        x._data[parts]   # validate here so a bad index fails before anything is recorded
    except IndexError as exc:
        raise IndexError(f"getitem: {exc} (tensor shape {x.shape})") from None
    return GetItem.apply(x, index=parts, unique=unique)


def _triangle(x, diagonal, upper, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    if x.ndim < 2:
        raise ValueError(f"{op}: expected a tensor with at least 2 axes, got shape {x.shape}")
    if isinstance(diagonal, bool) or not isinstance(diagonal, (int, np.integer)):
        raise TypeError(f"{op}: diagonal must be an int, got {diagonal!r}")
    return Triangle.apply(x, diagonal=int(diagonal), upper=upper)


def tril(x, diagonal=0):
    """The lower triangle of the last two axes (entries with j − i ≤ diagonal), zeros above."""
    return _triangle(x, diagonal, False, "tril")


def triu(x, diagonal=0):
    """The upper triangle of the last two axes (entries with j − i ≥ diagonal), zeros below."""
    return _triangle(x, diagonal, True, "triu")


def gather(x, dim, index):
    """PyTorch's ``gather``: y[i][j][k] = x[index[i][j][k]][j][k] for dim 0 (and so on);
    ``index`` has x's number of axes and is no larger than x along the other axes.
    The gradient adds dy back at the gathered positions (repeats accumulate)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"gather: expected a Tensor, got {type(x).__name__}")
    index = index if isinstance(index, Tensor) else Tensor(index)
    if index.dtype.kind not in "iu":
        raise TypeError(f"gather: index must be an integer tensor, got dtype {index.dtype}")
    if index.device != x.device:
        raise RuntimeError(f"gather: index on {index.device}, input on {x.device}")
    if index.ndim != x.ndim:
        raise ValueError(f"gather: index must have as many axes as the input, got index "
                         f"{index.shape} for input {x.shape}")
    (dim,) = normalize_axes(dim, x.ndim, "gather") or (0,)
    if any(i > n for a, (i, n) in enumerate(zip(index.shape, x.shape)) if a != dim):
        raise ValueError(f"gather: index {index.shape} is larger than the input {x.shape} "
                         f"along an axis other than dim={dim}")
    n = x.shape[dim]
    if index._data.size and (int(index._data.min()) < 0 or int(index._data.max()) >= n):
        raise IndexError(f"gather: index values must be in [0, {n}) along dim={dim}, got "
                         f"{int(index._data.min())} … {int(index._data.max())}")
    xp = x.xp
    parts = [xp.arange(n).reshape([n if a == b else 1 for b in range(x.ndim)])
             for a, n in enumerate(index.shape)]
    parts[dim] = index._data
    return getitem(x, tuple(parts))


def _check_join(tensors, op):
    given = type(tensors).__name__
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors, got an empty {given}")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: element {i} is a {type(t).__name__}, expected a Tensor")
    dtype = tensors[0].dtype
    for t in tensors[1:]:
        dtype = dtypes.result_type(dtype, t.dtype)   # int + float32 -> float32 (PyTorch)
    return [t if t.dtype == dtype else t.to(dtype) for t in tensors]


def concatenate(tensors, axis=0, *, dim=None):
    """Join tensors along an existing axis (``dim``: PyTorch's name); all other axes must
    match."""
    axis = dim if dim is not None else axis
    tensors = _check_join(tensors, "concatenate")
    ndim = tensors[0].ndim
    if ndim == 0:
        raise ValueError("concatenate: zero-dimensional tensors cannot be concatenated")
    (ax,) = normalize_axes(axis, ndim, "concatenate")
    for i, t in enumerate(tensors):
        if t.ndim != ndim or t.shape[:ax] + t.shape[ax + 1:] != \
                tensors[0].shape[:ax] + tensors[0].shape[ax + 1:]:
            raise ValueError(f"concatenate: tensor {i} has shape {t.shape}, incompatible with "
                             f"tensor 0's {tensors[0].shape} along axis {axis}")
    return Concatenate.apply(*tensors, axis=ax)


cat = concatenate


def stack(tensors, axis=0, *, dim=None):
    """Join same-shaped tensors along a new axis (``dim``: PyTorch's name)."""
    axis = dim if dim is not None else axis
    tensors = _check_join(tensors, "stack")
    for i, t in enumerate(tensors):
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: tensor {i} has shape {t.shape}, tensor 0 has "
                             f"{tensors[0].shape}; stack needs equal shapes")
    ndim = tensors[0].ndim + 1
    if not -ndim <= check_int("stack", "axis", axis) < ndim:
        raise ValueError(f"stack: axis {axis} out of range for a result with {ndim} axes")
    return Stack.apply(*tensors, axis=axis % ndim)


def pad(x, pad, value=0.0, mode="constant"):
    """Pad with a constant, PyTorch's convention: ``pad = (left, right)`` for the last axis,
    ``(left, right, top, bottom)`` for the last two, and so on."""
    if mode != "constant":
        raise ValueError(f"pad: only mode='constant' is implemented, got {mode!r}")
    if not isinstance(pad, (tuple, list)):
        raise TypeError(f"pad: pad must be a tuple of ints, got {got(pad)}")
    pad = tuple(check_int("pad", "pad", p) for p in pad)
    if len(pad) % 2 or len(pad) // 2 > x.ndim:
        raise ValueError(f"pad: expected an even number of widths for at most {x.ndim} axes, "
                         f"got {pad}")
    if any(p < 0 for p in pad):
        raise ValueError(f"pad: widths must be non-negative, got {pad}")
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return Pad.apply(x, widths=tuple(widths), value=value)
