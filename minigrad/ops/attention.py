"""Scaled dot-product attention: one Function whose forward and backward are the registered
``attention.*`` kernels (the NumPy reference, or a blockwise kernel that never holds the
L × S score matrix: on the CPU, BLAS tiles by default, or one fused Numba loop)."""
import math

import numpy as np

from .. import backend, dtypes, random
from ..function import Function
from ..tensor import Tensor
from ._util import check_broadcast, constant_array

__all__ = ["scaled_dot_product_attention"]


class ScaledDotProductAttention(Function):
    """softmax(q·kᵀ·scale + mask) · v over the last two axes, every leading axis a batch.

    forward:   s = scale · q·kᵀ + mask,  p = softmax(s) along the keys,  y = (p ⊙ drop) · v
    backward:  dv = (p ⊙ drop)ᵀ · dy,  dp = (dy · vᵀ) ⊙ drop,  D = rowsum(dy ⊙ y),
               ds = p ⊙ (dp − D),  dq = scale · ds · k,  dk = scale · dsᵀ · q
               (p recomputed from the saved log-sum-exp of each row, not saved)

    The kernels see a flat batch: q (B, L, E), k (B, S, E), v (B, S, Ev) with B the product
    of the leading axes; ``drop`` is (B, L, S) or None, ``mask`` (B, L, S), (1, L, S) (one
    mask for every batch and head) or None.
    """

    def forward(self, q, k, v, scale=1.0, is_causal=False, mask=None, dropout=None):
        batch, (length, keys) = q.shape[:-2], (q.shape[-2], k.shape[-2])
        n = math.prod(batch)        # not -1: a reshape cannot infer it when L or S is 0
        flat = [self.xp.ascontiguousarray(a.reshape(n, *a.shape[-2:])) for a in (q, k, v)]
        if mask is not None:        # (L, S) for every batch, or one per batch
            mask = mask.reshape(-1, length, keys) if mask.size else None
        if dropout is not None:
            dropout = dropout.reshape(n, length, keys)
        self.options = (scale, is_causal, mask, dropout)
        if length == 0 or keys == 0:    # no query, or no key: out 0 (the kernels see L, S ≥ 1)
            y = self.xp.zeros((n, length, v.shape[-1]), q.dtype)
            lse = self.xp.full((n, length), -self.xp.inf, q.dtype)
        else:
            y, lse = self.kernel("attention.forward")(*flat, *self.options)
        self.save_for_backward(*flat, y, lse)
        self.shapes = (q.shape, k.shape, v.shape)
        return y.reshape(*batch, length, v.shape[-1])

    def backward(self, dy):
        q, k, v, y, lse = self.saved
        if y.size == 0 or k.shape[1] == 0:      # nothing attended: no gradient flows
            return tuple(self.xp.zeros(shape, q.dtype) for shape in self.shapes)
        dy = self.xp.ascontiguousarray(dy.reshape(y.shape))
        grads = self.kernel("attention.backward")(dy, q, k, v, y, lse, *self.options)
        return tuple(g.reshape(shape) for g, shape in zip(grads, self.shapes))


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None):
    """Attention of ``query`` (..., L, E) over ``key`` (..., S, E) and ``value`` (..., S, Ev)
    → (..., L, Ev), PyTorch's ``F.scaled_dot_product_attention``.

    ``attn_mask``: bool (True = may attend) or float (added to the scores), broadcastable to
    (..., L, S).  ``is_causal``: query i attends to keys 0 … i (cannot be combined with a
    mask).  ``dropout_p``: dropout on the attention probabilities (applied whenever it is
    > 0, as in PyTorch: pass 0.0 when evaluating).  ``scale``: 1/√E unless given.
    """
    op = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
        if t.ndim < 2:
            raise ValueError(f"{op}: {name} must have at least 2 axes (..., length, "
                             f"features), got shape {t.shape}")
        if not dtypes.is_floating(t.dtype) or t.dtype != query.dtype:
            raise TypeError(f"{op}: query, key and value must share one floating dtype, got "
                            f"{query.dtype}, {key.dtype}, {value.dtype}")
    if key.shape[:-2] != query.shape[:-2] or value.shape[:-2] != query.shape[:-2]:
        raise ValueError(f"{op}: query {query.shape}, key {key.shape} and value "
                         f"{value.shape} must have the same batch axes (all but the last two)")
    if key.shape[-1] != query.shape[-1]:
        raise ValueError(f"{op}: query and key must have the same feature size E, got query "
                         f"{query.shape} and key {key.shape}")
    if value.shape[-2] != key.shape[-2]:
        raise ValueError(f"{op}: key and value must have the same length S, got key "
                         f"{key.shape} and value {value.shape}")
    if not 0.0 <= dropout_p < 1.0:
        raise ValueError(f"{op}: dropout_p must be in [0, 1), got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{op}: pass either attn_mask or is_causal=True, not both")
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1]) if query.shape[-1] else 1.0
    elif not (isinstance(scale, (int, float)) and math.isfinite(scale)):
        raise ValueError(f"{op}: scale must be a finite number, got {scale!r}")
    scores_shape = (*query.shape[:-1], key.shape[-2])                 # (..., L, S)
    mask = None if attn_mask is None else _additive_mask(attn_mask, query, scores_shape, op)
    dropout = None
    if dropout_p > 0.0:     # drawn on the host from the seeded generator, as F.dropout
        keep = random.generator().random(scores_shape) >= dropout_p
        dropout = backend.to_device((keep / (1 - dropout_p)).astype(query.dtype),
                                    query.device)
    return ScaledDotProductAttention.apply(query, key, value, scale=float(scale),
                                           is_causal=bool(is_causal), mask=mask,
                                           dropout=dropout)


def _additive_mask(mask, query, shape, op):
    """A bool or float mask as a contiguous (..., L, S) array of 0/−inf (or the given
    biases) in the query's dtype."""
    mask = constant_array(mask, "attn_mask", query, op)
    check_broadcast(op, mask.shape, shape)
    if len(mask.shape) > len(shape) or any(m not in (1, n) for m, n in
                                           zip(mask.shape[::-1], shape[::-1])):
        raise ValueError(f"{op}: attn_mask {mask.shape} does not broadcast to the scores' "
                         f"shape {shape} (..., L, S)")
    xp = query.xp
    if mask.dtype == bool:
        mask = xp.where(mask, query.dtype.type(0), query.dtype.type(-np.inf))
    elif dtypes.is_floating(mask.dtype):
        mask = mask.astype(query.dtype, copy=False)
    else:
        raise TypeError(f"{op}: attn_mask must be bool or floating point, got {mask.dtype}")
    if all(n == 1 for n in mask.shape[:-2]):     # one (L, S) mask for every batch and head
        return xp.ascontiguousarray(xp.broadcast_to(mask.reshape(mask.shape[-2:]),
                                                    shape[-2:]))
    return xp.ascontiguousarray(xp.broadcast_to(mask, shape))
