"""Reductions over axes: sum, mean, max, min, var.

Each takes ``axis`` (None = all, an int or a tuple) and ``keepdims``; PyTorch's ``dim`` and
``keepdim`` are accepted as aliases.  Backward broadcasts dy back over the reduced axes.
"""
import builtins
import math
import numbers
from typing import NamedTuple

import numpy as np

from .._check import got
from ..function import Function
from ..tensor import Tensor
from .elementwise import maximum, minimum
from .shape import gather
from ._util import expand_reduced, floating, normalize_axes, pick, reduced_count

__all__ = ["sum", "mean", "max", "min", "var", "std", "topk", "MinMax"]


class TopK(NamedTuple):
    """What ``topk`` returns: the values (differentiable) and their int64 indices."""
    values: Tensor
    indices: Tensor


class Sum(Function):
    """Sum over axes.

    forward:   y = Σ x over axes
    backward:  dx = dy broadcast over the summed axes
    """

    def forward(self, x, axes=(), keepdims=False):
        self.shape, self.axes, self.keepdims = x.shape, axes, keepdims
        return x.sum(axis=axes, keepdims=keepdims)

    def backward(self, dy):
        dy = expand_reduced(dy, self.shape, self.axes, self.keepdims)
        return self.xp.broadcast_to(dy, self.shape)


class Mean(Function):
    """Mean over axes.

    forward:   y = (1/N) Σ x over axes (N = number of elements reduced)
    backward:  dx = dy / N broadcast
    """

    def forward(self, x, axes=(), keepdims=False):
        self.shape, self.axes, self.keepdims = x.shape, axes, keepdims
        return x.mean(axis=axes, keepdims=keepdims)

    def backward(self, dy):
        dy = expand_reduced(dy, self.shape, self.axes, self.keepdims)
        n = reduced_count(self.shape, self.axes)
        return self.xp.broadcast_to(dy / n, self.shape)


class Max(Function):
    """Maximum over axes.

    forward:   y = max x over axes
    backward:  dx = dy · [x = y] / #{x = y}   (ties share dy evenly)
    """

    reduce = "max"

    def forward(self, x, axes=(), keepdims=False):
        self.shape, self.axes, self.keepdims = x.shape, axes, keepdims
        y = getattr(x, self.reduce)(axis=axes, keepdims=True)
        self.save_for_backward(x, y)
        return y if keepdims else y.reshape([n for i, n in enumerate(x.shape)
                                             if i not in axes])

    def backward(self, dy):
        x, y = self.saved
        dy = expand_reduced(dy, self.shape, self.axes, self.keepdims)
        hit = x == y
        count = hit.sum(axis=self.axes, keepdims=True)
        return dy * hit / count.astype(dy.dtype)


class Min(Max):
    """Minimum over axes.

    forward:   y = min x over axes
    backward:  dx = dy · [x = y] / #{x = y}   (ties share dy evenly)
    """

    reduce = "min"


class Var(Function):
    """Variance over axes, or the standard deviation when ``root``; μ is the mean, c the
    correction (1: unbiased).  N − c ≤ 0 gives inf/nan, as in PyTorch.

    forward:   v = Σ (x − μ)² / (N − c),   y = v, or y = √v when ``root``
    backward:  dx = dy · 2 (x − μ) / (N − c)       for the variance,
               dx = dy · (x − μ) / ((N − c) · y)   for the standard deviation (0 where y = 0,
                                                   as PyTorch: a constant input has no slope)
    """

    def forward(self, x, axes=(), keepdims=False, correction=1, root=False):
        self.shape, self.axes, self.keepdims, self.root = x.shape, axes, keepdims, root
        centered = x - x.mean(axis=axes, keepdims=True)
        denom = x.dtype.type(builtins.max(reduced_count(x.shape, axes) - correction, 0))
        with np.errstate(divide="ignore", invalid="ignore"):
            y = (centered * centered).sum(axis=axes, keepdims=True) / denom
            if root:
                y = self.xp.sqrt(y)
        self.denom = denom
        self.save_for_backward(centered, y)
        return y if keepdims else y.reshape([n for i, n in enumerate(x.shape)
                                             if i not in axes])

    def backward(self, dy):
        centered, y = self.saved
        dy = expand_reduced(dy, self.shape, self.axes, self.keepdims)
        with np.errstate(divide="ignore", invalid="ignore"):
            if not self.root:
                return dy * centered * (2 / self.denom)
            scale = self.xp.where(y > 0, 1 / (self.denom * y), 0).astype(dy.dtype)
            return dy * centered * scale


def _reduce(cls, x, axis, keepdims, dim, keepdim, op, **params):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    axes = normalize_axes(pick(axis, dim), x.ndim, op)
    keepdims = bool(keepdims if keepdim is None else keepdim)
    return cls.apply(x, axes=axes, keepdims=keepdims, **params)


def sum(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Σ x over ``axis`` (all axes when None)."""
    return _reduce(Sum, x, axis, keepdims, dim, keepdim, "sum")


def mean(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """Mean over ``axis``; an integer tensor gives float32."""
    return _reduce(Mean, floating(x), axis, keepdims, dim, keepdim, "mean")


class MinMax(NamedTuple):
    """What ``max``/``min`` along one ``dim`` return (PyTorch's ``torch.return_types.max``):
    the values (differentiable) and their int64 indices."""
    values: Tensor
    indices: Tensor


def max(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The largest value: over everything (``x.max()``), along one ``dim`` as PyTorch
    (``x.max(1)`` → (values, indices); the gradient flows to the index found, the first
    maximum), over ``axis`` as NumPy (``x.max(axis=(0, 2))`` → values; the gradient is
    shared among tied maxima), or elementwise against another tensor (``x.max(y)``)."""
    return _extreme(x, dim, keepdim, axis, keepdims, "max")


def min(x, dim=None, keepdim=False, *, axis=None, keepdims=None):
    """The smallest value; the forms of :func:`max`."""
    return _extreme(x, dim, keepdim, axis, keepdims, "min")


def _extreme(x, dim, keepdim, axis, keepdims, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    if isinstance(dim, Tensor):                         # torch.max(a, b): elementwise
        return (maximum if op == "max" else minimum)(x, dim)
    if x._data.size == 0:
        raise ValueError(f"{op}: the tensor is empty (shape {x.shape})")
    if dim is not None and axis is not None:
        raise TypeError(f"{op}: got both dim={dim!r} and axis={axis!r}; give one")
    cls = Max if op == "max" else Min
    keep = bool(keepdims if keepdims is not None else keepdim)
    if dim is None or isinstance(dim, (tuple, list)):   # NumPy's reduction: values only
        return _reduce(cls, x, axis if dim is None else dim, keep, None, None, op)
    (ax,) = normalize_axes(dim, x.ndim, op) or (None,)
    if ax is None:                                      # a 0-d tensor: itself, index 0
        return MinMax(x.reshape(()), Tensor._wrap(x.xp.zeros((), dtype=np.int64)))
    pick_index = x.xp.argmax if op == "max" else x.xp.argmin
    idx = Tensor._wrap(pick_index(x._data, axis=ax, keepdims=True).astype(np.int64))
    values = gather(x, ax, idx)
    if not keep:
        values, idx = values.squeeze(ax), idx.squeeze(ax)
    return MinMax(values, idx)


def _correction(value, op):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(value):
        raise TypeError(f"{op}: correction must be a finite number, got {got(value)}")
    return float(value)


def var(x, axis=None, keepdims=False, correction=1, *, dim=None, keepdim=None):
    """Variance over ``axis`` with Bessel's ``correction`` (1 = unbiased, PyTorch's default)."""
    return _reduce(Var, floating(x), axis, keepdims, dim, keepdim, "var",
                   correction=_correction(correction, "var"))


def std(x, axis=None, keepdims=False, correction=1, *, dim=None, keepdim=None):
    """Standard deviation √var over ``axis`` (gradient 0 where it is 0, as PyTorch)."""
    return _reduce(Var, floating(x), axis, keepdims, dim, keepdim, "std",
                   correction=_correction(correction, "std"), root=True)



def topk(x, k, dim=-1, largest=True, sorted=True):
    """The ``k`` largest (``largest=False``: smallest) entries along ``dim`` and their
    indices, as PyTorch's ``topk`` → (values, indices); sorted from the best unless
    ``sorted=False``.  The gradient flows back to the selected entries only."""
    if not isinstance(x, Tensor):
        raise TypeError(f"topk: expected a Tensor, got {type(x).__name__}")
    (axis,) = normalize_axes(dim, x.ndim, "topk") or (0,)
    n = x.shape[axis] if x.ndim else 1
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
        raise ValueError(f"topk: k must be an int in [0, {n}] (the size of dim {dim}), "
                         f"got {k!r}")
    xp, data = x.xp, (x._data if x.ndim else x._data.reshape(1))
    key = -data if largest else data          # the k smallest keys are the ones wanted
    if data.dtype.kind == "f":                # NaN counts as the largest, as in PyTorch
        key = xp.where(xp.isnan(data), -xp.inf if largest else xp.inf, key)
    if 0 < k < n:
        idx = xp.take_along_axis(xp.argpartition(key, k - 1, axis=axis),
                                 xp.arange(k).reshape([k if a == axis else 1
                                                       for a in range(data.ndim)]), axis)
    else:
        idx = xp.argsort(key, axis=axis, kind="stable")[(slice(None),) * axis + (slice(k),)]
    if sorted and 0 < k:
        idx = xp.take_along_axis(idx, xp.argsort(xp.take_along_axis(key, idx, axis),
                                                 axis=axis, kind="stable"), axis)
    idx = Tensor._wrap(idx.astype(np.int64).reshape(idx.shape if x.ndim else ()))
    values = gather(x, axis, idx) if x.ndim else x.reshape(())
    return TopK(values, idx)
