"""Multi-head attention (PyTorch's ``nn.MultiheadAttention``): the same constructor
arguments, parameter names, ``state_dict`` keys, initialisation, forward signature and shapes.

Masks are constants (never differentiated).  A bool mask's True means "do not attend"
(PyTorch's convention for these modules, the opposite of ``F.scaled_dot_product_attention``);
a float mask is added to the attention scores.  Both become one additive float mask
(0 / −inf), as PyTorch's ``_canonical_mask`` does.  The Transformer layers built on it are
in ``transformer.py``.
"""
import math

import numpy as np

from .. import backend, creation, dtypes
from .. import functional as F
from ..ops._util import constant_array
from ..tensor import Tensor
from . import init
from ._util import empty_parameter, size
from .linear import Linear
from .module import Module

__all__ = ["MultiheadAttention"]


# -- masks ------------------------------------------------------------------------------
def _mask_array(mask, name, like, owner):
    """None, or ``mask`` (a Tensor or array) as an additive float array in ``like``'s dtype:
    bool True (= ignore this position) → −inf, False → 0; a float mask as is."""
    if mask is None:
        return None
    mask = constant_array(mask, name, like, owner)
    if mask.dtype == bool:
        return like.xp.where(mask, like.dtype.type(-np.inf), like.dtype.type(0))
    if not dtypes.is_floating(mask.dtype):
        raise TypeError(f"{owner}: only bool and floating point {name} are supported, got "
                        f"{mask.dtype}")
    return mask.astype(like.dtype, copy=False)


def _causal_array(sz, xp=np, dtype=dtypes.float32):
    """(sz, sz): −inf above the diagonal, 0 on and below it."""
    return xp.triu(xp.full((sz, sz), -np.inf, dtype=dtype), 1)


def _detect_is_causal_mask(mask, is_causal, size):
    """PyTorch's rule: ``is_causal`` if given, else whether the (additive) ``mask`` is
    exactly the causal mask of the sequence length ``size``."""
    if is_causal is not None or mask is None:
        return bool(is_causal)
    if mask.shape != (size, size):
        return False
    xp = backend.xp_for(backend.device_of(mask))
    return bool((mask == _causal_array(size, xp, mask.dtype)).all())


def _seq_len(x, batch_first):
    """The sequence length of (L, E), (L, N, E) or (N, L, E) input."""
    return x.shape[0] if x.ndim == 2 else x.shape[1 if batch_first else 0]

# -- attention --------------------------------------------------------------------------
class NonDynamicallyQuantizableLinear(Linear):
    """A :class:`Linear` under PyTorch's name for ``MultiheadAttention.out_proj`` (so that
    reprs match; minigrad has no quantisation)."""


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al. 2017), PyTorch's ``nn.MultiheadAttention``.

    headᵢ = softmax(Qᵢ·Kᵢᵀ/√d + mask)·Vᵢ with Qᵢ, Kᵢ, Vᵢ the i-th d = E/H slice of the
    projections q·W_qᵀ + b_q, k·W_kᵀ + b_k, v·W_vᵀ + b_v; output = [head₁ … head_H]·W_oᵀ + b_o.

    Args:
        embed_dim: E, the query's (and output's) feature size; ``num_heads`` must divide it.
        num_heads: H.
        dropout: dropout on the attention probabilities, while training.
        bias: learn ``in_proj_bias`` (3E,) and ``out_proj.bias``.
        add_bias_kv: learn ``bias_k``, ``bias_v`` (1, 1, E), appended to the keys/values.
        add_zero_attn: append a zero key and value (after the projections).
        kdim, vdim: the key's and value's feature sizes (E unless given).
        batch_first: inputs and output (N, L, E) instead of (L, N, E).

    Parameters: ``in_proj_weight`` (3E, E) = [W_q; W_k; W_v] when kdim == vdim == E, else
    ``q_proj_weight`` (E, E), ``k_proj_weight`` (E, kdim), ``v_proj_weight`` (E, vdim), all
    Xavier-uniform; ``in_proj_bias`` (3E,) = 0; ``out_proj`` a Linear(E, E) (bias 0).

    >>> mha = nn.MultiheadAttention(16, 4, batch_first=True)
    >>> out, weights = mha(x, x, x)          # x (N, L, 16) -> (N, L, 16), weights (N, L, L)
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        super().__init__()
        owner = "MultiheadAttention"
        self.embed_dim = size(embed_dim, "embed_dim", owner, minimum=1)
        self.num_heads = size(num_heads, "num_heads", owner, minimum=1)
        if self.embed_dim % self.num_heads:
            raise ValueError(f"{owner}: embed_dim must be divisible by num_heads, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads}")
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) \
                or not 0 <= dropout < 1:
            raise ValueError(f"{owner}: dropout must be in [0, 1), got {dropout!r}")
        self.kdim = self.embed_dim if kdim is None else size(kdim, "kdim", owner, minimum=1)
        self.vdim = self.embed_dim if vdim is None else size(vdim, "vdim", owner, minimum=1)
        self._qkv_same_embed_dim = self.kdim == self.embed_dim and self.vdim == self.embed_dim
        self.dropout = float(dropout)
        self.batch_first = batch_first
        self.head_dim = self.embed_dim // self.num_heads
        E = self.embed_dim
        if self._qkv_same_embed_dim:
            self.in_proj_weight = empty_parameter((3 * E, E), dtype, device)
            for name in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(name, None)
        else:
            self.q_proj_weight = empty_parameter((E, E), dtype, device)
            self.k_proj_weight = empty_parameter((E, self.kdim), dtype, device)
            self.v_proj_weight = empty_parameter((E, self.vdim), dtype, device)
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = empty_parameter((3 * E,), dtype, device)
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = NonDynamicallyQuantizableLinear(E, E, bias=bias, device=device,
                                                        dtype=dtype)
        if add_bias_kv:
            self.bias_k = empty_parameter((1, 1, E), dtype, device)
            self.bias_v = empty_parameter((1, 1, E), dtype, device)
        else:       # plain attributes, as in PyTorch (not in the state dict)
            self.bias_k = self.bias_v = None
        self.add_zero_attn = add_zero_attn
        self._reset_parameters()

    def _reset_parameters(self):
        """PyTorch's initialisation: Xavier-uniform projections, zero biases, Xavier-normal
        ``bias_k``/``bias_v`` (``out_proj.weight`` keeps Linear's default)."""
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight)
        else:
            init.xavier_uniform_(self.q_proj_weight)
            init.xavier_uniform_(self.k_proj_weight)
            init.xavier_uniform_(self.v_proj_weight)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k)
            init.xavier_normal_(self.bias_v)

    def _short_repr(self):
        return (f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads}, "
                f"batch_first={self.batch_first})")

    # -- forward ----------------------------------------------------------------------
    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        """Attention of ``query`` over ``key``/``value``; returns (output, weights or None).

        Shapes (N batch, L target length, S source length, E embed_dim, H num_heads):
            query (L, N, E), key (S, N, kdim), value (S, N, vdim) — (N, ·, ·) when
            ``batch_first`` — or unbatched (L, E), (S, kdim), (S, vdim).
            key_padding_mask (N, S) or (S,): True (or −inf) = ignore that key.
            attn_mask (L, S) or (N·H, L, S) ((H, L, S) unbatched): True = may not attend,
            or floats added to the scores.
            is_causal: a hint that ``attn_mask`` (which must be given) is the causal mask.
        Returns: output shaped like the query (E features) and, with ``need_weights``, the
        attention probabilities (N, L, S) averaged over heads, or (N, H, L, S) with
        ``average_attn_weights=False`` ((L, S) / (H, L, S) unbatched).

        With ``need_weights=False`` the heads go through ``F.scaled_dot_product_attention``
        (the fused kernel); otherwise the probabilities are formed explicitly.
        """
        batched = self._check_inputs(query, key, value, key_padding_mask, attn_mask)
        self_attention, shared_kv = query is key and key is value, key is value
        # work in (N, L, E)
        if not batched or not self.batch_first:
            to_batch_first = (lambda x: x.unsqueeze(0)) if not batched else \
                (lambda x: x.transpose(0, 1))
            query = to_batch_first(query)
            key = query if self_attention else to_batch_first(key)
            value = key if shared_kv else to_batch_first(value)
        N, L, E = query.shape
        S, H, D = key.shape[1], self.num_heads, self.head_dim
        name = self._short_repr()
        kpm = _mask_array(key_padding_mask, "key_padding_mask", query, name)
        if is_causal and attn_mask is None:
            self._fail("is_causal=True is only a hint that attn_mask is the causal mask; pass "
                       "the mask too (Transformer.generate_square_subsequent_mask(L))")
        use_causal = bool(is_causal) and kpm is None and not need_weights
        mask = None if use_causal else _mask_array(attn_mask, "attn_mask", query, name)
        if mask is not None:
            # (L, S) for every batch and head, or one (L, S) per batch and head
            mask = mask.reshape(1, 1, L, S) if mask.ndim == 2 else mask.reshape(N, H, L, S)
        if kpm is not None:
            kpm = kpm.reshape(N, 1, 1, S)

        q, k, v = self._call(self._project, query, key, value, self_attention, shared_kv)
        extra = 0
        if self.bias_k is not None:      # one more key/value, learnt
            k = F.cat([k, self.bias_k.broadcast_to((N, 1, E))], axis=1)
            v = F.cat([v, self.bias_v.broadcast_to((N, 1, E))], axis=1)
            extra += 1
        q, k, v = (x.reshape(N, x.shape[1], H, D).permute(0, 2, 1, 3) for x in (q, k, v))
        if self.add_zero_attn:           # one more key/value, zero
            zero = creation.zeros(N, H, 1, D, dtype=k.dtype, device=k.device)
            k, v = F.cat([k, zero], axis=2), F.cat([v, zero], axis=2)
            extra += 1
        mask = self._merge_masks(mask, kpm, extra)              # None or (…, S + extra)

        p = self.dropout if self.training else 0.0
        if need_weights:
            scores = (q * math.sqrt(1.0 / D)) @ k.transpose(-2, -1)        # (N, H, L, S')
            if mask is not None:
                scores = scores + mask
            # returned after dropout, as PyTorch does
            weights = F.dropout(F.softmax(scores, axis=-1), p, self.training)
            out = weights @ v                                               # (N, H, L, D)
        else:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p,
                                                 is_causal=use_causal)
        out = self.out_proj(out.permute(0, 2, 1, 3).reshape(N, L, E))       # (N, L, E)
        if not batched:
            out = out.reshape(L, E)
        elif not self.batch_first:
            out = out.transpose(0, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = weights.mean(axis=1)                                  # (N, L, S')
        return out, (weights.squeeze(0) if not batched else weights)

    def _project(self, query, key, value, self_attention, shared_kv):
        """q, k, v (N, ·, E): the input projections (one matmul for self-attention)."""
        E, b = self.embed_dim, self.in_proj_bias
        bq, bk, bv = (None, None, None) if b is None else (b[:E], b[E:2 * E], b[2 * E:])
        if not self._qkv_same_embed_dim:
            return (F.linear(query, self.q_proj_weight, bq),
                    F.linear(key, self.k_proj_weight, bk),
                    F.linear(value, self.v_proj_weight, bv))
        w = self.in_proj_weight
        if self_attention:
            qkv = F.linear(query, w, b)                                     # (N, L, 3E)
            return qkv[..., :E], qkv[..., E:2 * E], qkv[..., 2 * E:]
        q = F.linear(query, w[:E], bq)
        if shared_kv:
            kv = F.linear(key, w[E:], None if b is None else b[E:])        # (N, S, 2E)
            return q, kv[..., :E], kv[..., E:]
        return q, F.linear(key, w[E:2 * E], bk), F.linear(value, w[2 * E:], bv)

    def _merge_masks(self, mask, kpm, extra):
        """attn_mask + key_padding_mask, each padded with ``extra`` zero (attend) columns
        for the appended keys; None when neither is given."""
        if extra:
            pad = [(0, 0)] * 3 + [(0, extra)]
            mask, kpm = (None if m is None else backend.xp_for(backend.device_of(m)).pad(m, pad)
                         for m in (mask, kpm))
        if kpm is None:
            return mask
        return kpm if mask is None else mask + kpm

    def _check_inputs(self, query, key, value, key_padding_mask, attn_mask):
        """Whether the input is batched; a clear error for every shape PyTorch rejects."""
        for name, t in (("query", query), ("key", key), ("value", value)):
            if not isinstance(t, Tensor):
                self._fail(f"{name} must be a Tensor, got {type(t).__name__}", TypeError)
        if query.ndim not in (2, 3):
            self._fail(f"query should be unbatched 2-D (L, E) or batched 3-D, got a "
                       f"{query.ndim}-D tensor of shape {query.shape}")
        batched = query.ndim == 3
        layout = "(L, E) / (S, ·)" if not batched else \
            "(N, L, E) / (N, S, ·)" if self.batch_first else "(L, N, E) / (S, N, ·)"
        if key.ndim != query.ndim or value.ndim != query.ndim:
            self._fail(f"for a {query.ndim}-D query {query.shape}, expected {query.ndim}-D key "
                       f"and value, got key {key.shape} and value {value.shape}")
        for name, t, dim in (("query", query, self.embed_dim), ("key", key, self.kdim),
                             ("value", value, self.vdim)):
            if t.shape[-1] != dim:
                self._fail(f"expected {name} with {dim} features (last axis), got shape "
                           f"{t.shape}")
        if key.shape[:-1] != value.shape[:-1]:
            self._fail(f"key and value must have the same length and batch size, got key "
                       f"{key.shape} and value {value.shape}")
        batch_axis = 0 if self.batch_first else 1
        if batched and key.shape[batch_axis] != query.shape[batch_axis]:
            self._fail(f"query and key must have the same batch size ({layout}), got query "
                       f"{query.shape} and key {key.shape}")
        n = query.shape[batch_axis] if batched else 1
        seq = 1 if batched and self.batch_first else 0
        length, source = query.shape[seq], key.shape[seq]
        for name, mask in (("key_padding_mask", key_padding_mask), ("attn_mask", attn_mask)):
            if mask is not None and not hasattr(mask, "shape"):
                self._fail(f"{name} must be a Tensor or an array, got {type(mask).__name__}",
                           TypeError)
        if key_padding_mask is not None:
            want = (n, source) if batched else (source,)
            if tuple(key_padding_mask.shape) != want:
                self._fail(f"expected key_padding_mask of shape {want} "
                           f"({'N, S' if batched else 'S,'}) for query {query.shape} and key "
                           f"{key.shape}, got {tuple(key_padding_mask.shape)}")
        if attn_mask is not None:
            shapes = [(length, source), (n * self.num_heads, length, source)]
            if tuple(attn_mask.shape) not in shapes:
                self._fail(f"expected attn_mask of shape {shapes[0]} (L, S) or {shapes[1]} "
                           f"(N·num_heads, L, S) for query {query.shape} and key "
                           f"{key.shape}, got {tuple(attn_mask.shape)}")
        return batched
