"""Transformer layers (PyTorch's ``nn.TransformerEncoderLayer`` … ``nn.Transformer``) on
:class:`MultiheadAttention`: the same constructor arguments, parameter names, ``state_dict``
keys, initialisation, forward signatures and shapes; masks as in ``attention.py``.

PyTorch's fast paths (fused kernels in evaluation mode, nested tensors for padded
sequences) compute the same math; minigrad always takes the plain one.
"""
import copy

import numpy as np

from .. import dtypes
from .. import functional as F
from ..tensor import Tensor
from . import init
from ._util import size
from .attention import (MultiheadAttention, _causal_array, _detect_is_causal_mask, _mask_array,
                        _seq_len)
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .normalization import LayerNorm

__all__ = ["TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
           "TransformerDecoder", "Transformer"]


def _get_clones(module, n):
    """``n`` independent deep copies (new Parameters, same values) in a ModuleList."""
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _layer_repr(layer):
    """``TransformerEncoderLayer(d_model=8, nhead=2)``: the layer named in its errors."""
    return (f"{layer._get_name()}(d_model={layer.self_attn.embed_dim}, "
            f"nhead={layer.self_attn.num_heads})")


def _activation(activation, owner):
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    if isinstance(activation, str) or not callable(activation):
        raise ValueError(f"{owner}: activation should be 'relu', 'gelu' or a callable, got "
                         f"{activation!r}")
    return activation

# -- encoder ----------------------------------------------------------------------------
class TransformerEncoderLayer(Module):
    """Self-attention then a feed-forward network, each with a residual connection and
    LayerNorm (Vaswani et al. 2017), PyTorch's ``nn.TransformerEncoderLayer``.

    post-norm (default):  x = norm1(x + sa(x));       x = norm2(x + ff(x))
    ``norm_first=True``:  x = x + sa(norm1(x));       x = x + ff(norm2(x))
    with ff(x) = linear2(dropout(activation(linear1(x)))).

    Args: d_model (E), nhead, dim_feedforward, dropout, activation ("relu", "gelu" or a
    callable such as ``F.gelu`` or ``nn.GELU()``), layer_norm_eps, batch_first, norm_first,
    bias (of every Linear and LayerNorm).  Input and output (L, N, E), (N, L, E) with
    ``batch_first``, or (L, E).
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 device=None, dtype=None):
        super().__init__()
        for name, value in (("d_model", d_model), ("nhead", nhead),
                            ("dim_feedforward", dim_feedforward)):
            size(value, name, type(self).__name__, 1)
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.activation = _activation(activation, "TransformerEncoderLayer")

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        """``src`` → the same shape; masks as in :meth:`MultiheadAttention.forward`
        (``src_mask`` its attn_mask, ``is_causal`` the hint that it is the causal mask)."""
        return self._call(self._forward, src, src_mask, src_key_padding_mask, is_causal)

    def _forward(self, src, src_mask, src_key_padding_mask, is_causal):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _short_repr(self):
        return _layer_repr(self)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout2(x)


class TransformerEncoder(Module):
    """A stack of ``num_layers`` copies of ``encoder_layer`` (``layers.0``, ``layers.1``, …,
    each with its own parameters, starting from the same values) and an optional final
    ``norm``, PyTorch's ``nn.TransformerEncoder``.

    ``enable_nested_tensor`` and ``mask_check`` are accepted for PyTorch compatibility (its
    nested-tensor fast path computes the same result; minigrad has none).
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__()
        if not isinstance(encoder_layer, Module):
            raise TypeError(f"TransformerEncoder: encoder_layer must be a Module, got "
                            f"{type(encoder_layer).__name__}")
        self.layers = _get_clones(encoder_layer, size(num_layers, "num_layers",
                                                      "TransformerEncoder"))
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = False
        self.mask_check = mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        """``src`` through every layer (and ``norm``); ``is_causal=None`` detects whether
        ``mask`` is the causal mask, as PyTorch does."""
        return self._call(self._forward, src, mask, src_key_padding_mask, is_causal)

    def _forward(self, src, mask, src_key_padding_mask, is_causal):
        output = src
        if len(self.layers):
            if not isinstance(src, Tensor):
                raise TypeError(f"TransformerEncoder: src must be a Tensor, got "
                                f"{type(src).__name__}")
            mask = _mask_array(mask, "mask", src, "TransformerEncoder")
            batch_first = getattr(getattr(self.layers[0], "self_attn", None), "batch_first",
                                  False)
            is_causal = _detect_is_causal_mask(mask, is_causal, _seq_len(src, batch_first))
        for layer in self.layers:
            output = layer(output, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                           is_causal=is_causal)
        return output if self.norm is None else self.norm(output)

    def _short_repr(self):
        return f"TransformerEncoder(num_layers={self.num_layers})"


# -- decoder ----------------------------------------------------------------------------
class TransformerDecoderLayer(Module):
    """Self-attention, attention over the encoder's output (``memory``) and a feed-forward
    network, each with a residual connection and LayerNorm, PyTorch's
    ``nn.TransformerDecoderLayer`` (arguments as :class:`TransformerEncoderLayer`).

    post-norm:  x = norm1(x + sa(x)); x = norm2(x + mha(x, memory)); x = norm3(x + ff(x))
    ``norm_first=True`` applies each norm to the block's input instead.
    """

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 device=None, dtype=None):
        super().__init__()
        for name, value in (("d_model", d_model), ("nhead", nhead),
                            ("dim_feedforward", dim_feedforward)):
            size(value, name, type(self).__name__, 1)
        kw = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **kw)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = _activation(activation, "TransformerDecoderLayer")

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        """``tgt`` (T, N, E) attending to itself and to ``memory`` (S, N, E) → (T, N, E)
        ((N, ·, E) with ``batch_first``, unbatched (T, E) and (S, E))."""
        return self._call(self._forward, tgt, memory, tgt_mask, memory_mask,
                          tgt_key_padding_mask, memory_key_padding_mask, tgt_is_causal,
                          memory_is_causal)

    def _forward(self, tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
                 memory_key_padding_mask, tgt_is_causal, memory_is_causal):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask,
                                   tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask,
                                              tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask,
                                               memory_key_padding_mask, memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=is_causal, need_weights=False)[0]
        return self.dropout1(x)

    def _short_repr(self):
        return _layer_repr(self)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return self.dropout3(x)


class TransformerDecoder(Module):
    """A stack of ``num_layers`` copies of ``decoder_layer`` and an optional final ``norm``,
    PyTorch's ``nn.TransformerDecoder``."""

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        if not isinstance(decoder_layer, Module):
            raise TypeError(f"TransformerDecoder: decoder_layer must be a Module, got "
                            f"{type(decoder_layer).__name__}")
        self.layers = _get_clones(decoder_layer, size(num_layers, "num_layers",
                                                      "TransformerDecoder"))
        self.num_layers = num_layers
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        """``tgt`` through every layer (each attending to ``memory``), then ``norm``;
        ``tgt_is_causal=None`` detects whether ``tgt_mask`` is the causal mask."""
        return self._call(self._forward, tgt, memory, tgt_mask, memory_mask,
                          tgt_key_padding_mask, memory_key_padding_mask, tgt_is_causal,
                          memory_is_causal)

    def _forward(self, tgt, memory, tgt_mask, memory_mask, tgt_key_padding_mask,
                 memory_key_padding_mask, tgt_is_causal, memory_is_causal):
        output = tgt
        if len(self.layers):
            if not isinstance(tgt, Tensor):
                raise TypeError(f"TransformerDecoder: tgt must be a Tensor, got "
                                f"{type(tgt).__name__}")
            tgt_mask = _mask_array(tgt_mask, "tgt_mask", tgt, "TransformerDecoder")
            batch_first = getattr(getattr(self.layers[0], "self_attn", None), "batch_first",
                                  False)
            tgt_is_causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal,
                                                   _seq_len(tgt, batch_first))
        for layer in self.layers:
            output = layer(output, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                           tgt_key_padding_mask=tgt_key_padding_mask,
                           memory_key_padding_mask=memory_key_padding_mask,
                           tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)
        return output if self.norm is None else self.norm(output)

    def _short_repr(self):
        return f"TransformerDecoder(num_layers={self.num_layers})"


class Transformer(Module):
    """The encoder-decoder Transformer (Vaswani et al. 2017), PyTorch's ``nn.Transformer``:
    ``encoder`` (num_encoder_layers layers and a final LayerNorm) and ``decoder`` (likewise),
    every weight matrix then re-drawn Xavier-uniform.  ``custom_encoder`` /
    ``custom_decoder`` replace them.

    >>> model = nn.Transformer(d_model=32, nhead=4, num_encoder_layers=2,
    ...                        num_decoder_layers=2, dim_feedforward=64, batch_first=True)
    >>> mask = nn.Transformer.generate_square_subsequent_mask(tgt.shape[1])
    >>> out = model(src, tgt, tgt_mask=mask)     # src (N, S, 32), tgt (N, T, 32) -> (N, T, 32)
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1, activation="relu", custom_encoder=None,
                 custom_decoder=None, layer_norm_eps=1e-5, batch_first=False,
                 norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        size(num_encoder_layers, "num_encoder_layers", "Transformer")
        size(num_decoder_layers, "num_decoder_layers", "Transformer")
        kw = {"device": device, "dtype": dtype}
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                      batch_first, norm_first, bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(*layer_args, **kw), num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(*layer_args, **kw), num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        self._reset_parameters()
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first

    def _reset_parameters(self):
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        """``src`` (S, N, E) and ``tgt`` (T, N, E) → (T, N, E) ((N, ·, E) with
        ``batch_first``; unbatched (S, E), (T, E)).  Masks: ``src_mask`` (S, S),
        ``tgt_mask`` (T, T), ``memory_mask`` (T, S) (or per batch and head), key padding
        masks (N, S), (N, T), (N, S)."""
        for name, t in (("src", src), ("tgt", tgt)):
            if not isinstance(t, Tensor):
                self._fail(f"{name} must be a Tensor, got {type(t).__name__}", TypeError)
        batch_axis = 0 if self.batch_first else 1
        if src.ndim == 3 and (tgt.ndim != 3 or src.shape[batch_axis] != tgt.shape[batch_axis]):
            self._fail(f"the batch size of src and tgt must be equal (axis {batch_axis}), got "
                       f"src {src.shape} and tgt {tgt.shape}")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            self._fail(f"the feature size of src and tgt must be d_model={self.d_model}, got "
                       f"src {src.shape} and tgt {tgt.shape}")
        memory = self._call(self.encoder, src, mask=src_mask,
                            src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal)
        return self._call(self.decoder, tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                          tgt_key_padding_mask=tgt_key_padding_mask,
                          memory_key_padding_mask=memory_key_padding_mask,
                          tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    def _short_repr(self):
        return f"Transformer(d_model={self.d_model}, nhead={self.nhead})"

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """The causal mask (sz, sz): −inf above the diagonal (query i may not see keys
        after i), 0 elsewhere; float32 unless ``dtype``."""
        sz = size(sz, "sz", "generate_square_subsequent_mask")
        dtype = dtypes.float32 if dtype is None else dtypes.as_dtype(dtype)
        return Tensor(_causal_array(sz, np, dtype), device=device)
