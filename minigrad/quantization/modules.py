"""Quantised layers: int8 weights (symmetric, per output channel) and int8 inputs (affine, per
tensor), their product exact in int32, rescaled to float32.  Each forward is one call of the
``qlayer.linear`` / ``qlayer.conv2d`` kernel (minigrad_kernels/qlayer.py: the quantisation of
the input, the product and the rescale + bias + ReLU epilogue fused; bit-identical to its
NumPy reference, which uses ``qgemm``).

For a Linear (a Conv2d is the same product on the im2col matrix, K = C·KH·KW):

    acc[m, n] = Σ_k x_q[m, k] · w_q[n, k]                         (qgemm, exact int32)
    y[m, n]   = s_x · s_w[n] · (acc[m, n] − z_x · Σ_k w_q[n, k]) + b[n]     (float32)
              = Σ_k x̂[m, k] · ŵ[n, k] + b[n]

with x̂ = s_x (x_q − z_x), ŵ = s_w w_q (observers.py).  Error against the float layer, for an
input inside the quantisation range (always, for dynamic quantisation):

    |y − y_float|[m, n] ≤ (s_w[n] / 2) · Σ_k |x[m, k]| + (s_x / 2) · Σ_k |ŵ[n, k]|

(plus float32 rounding of the final rescale).  The layers are inference only (no gradient)
and run on the CPU.  Everything they need is in buffers, so ``state_dict()`` holds the int8
weights, the float32 scales and the bias, and ``load_state_dict`` restores them bit for bit.
"""
import numpy as np

from .. import backend
from ..nn.module import Module
from ..tensor import Tensor
from .observers import affine_qparams, quantize_weight

__all__ = ["DynamicQuantizedLinear", "QuantizedLinear", "QuantizedConv2d"]

MAX_K = 2**31 // 2**14 // 2     # int32 accumulation, with z·Σw subtracted: exact below this


def _host(t):
    return np.asarray(backend.to_device(t._data if isinstance(t, Tensor) else t, "cpu"))


class _QuantizedBase(Module):
    dynamic = False

    def _init_weight(self, weight, bias, where):
        w_q, scale = quantize_weight(_host(weight), where)
        k = int(np.prod(w_q.shape[1:]))
        if k > MAX_K:
            raise ValueError(f"{where}: {k} inputs per output exceed the exact int32 range "
                             f"of the int8 product ({MAX_K})")
        self.register_buffer("weight", Tensor(w_q))
        self.register_buffer("weight_scale", Tensor(scale))
        self.register_buffer("bias", None if bias is None
                             else Tensor(_host(bias).astype(np.float32)))
        if not self.dynamic:
            # [scale, zero point] of the input in one float32 buffer (the zero point, an
            # integer in [−128, 127], is exact in float32): one tensor in the saved file
            # instead of two, ~330 bytes each (docs/compression.md, "Size and speed")
            self.register_buffer("input_qparams", Tensor(np.array([1.0, 0.0], np.float32)))

    @property
    def input_scale(self):
        """The calibrated input scale s_x (float32); static layers only."""
        return self.input_qparams._data[0]

    @property
    def input_zero_point(self):
        """The calibrated input zero point z_x (int); static layers only."""
        return int(self.input_qparams._data[1])

    def set_input_qparams(self, scale, zero_point):
        self.input_qparams._data[...] = (np.float32(scale), np.float32(int(zero_point)))

    def _input_qparams(self, x):
        """(scale, zero point) of the input: per batch (dynamic) or calibrated (static)."""
        if self.dynamic:
            if x.size and not np.isfinite(x).all():
                self._fail("the input has NaN or infinite values: no int8 range fits it")
            return affine_qparams(x.min(initial=0.0), x.max(initial=0.0))
        return self.input_scale, self.input_zero_point

    def _kernel_args(self, x, scale, zp):
        """The arguments the ``qlayer.*`` kernels (minigrad_kernels/qlayer.py) share."""
        bias = None if self.bias is None else self.bias._data
        return (x, self.weight._data, self.weight_scale._data, bias, np.float32(scale),
                int(zp))

    def _check_input(self, x, ndim_ok, what):
        if not isinstance(x, Tensor):
            raise TypeError(f"{self._short_repr()}: expected a Tensor, got "
                            f"{type(x).__name__}")
        if x.dtype.kind != "f":
            self._fail(f"expected a floating input, got {x.dtype}", TypeError)
        if not ndim_ok(x.ndim):
            self._fail(f"expected {what}, got a {x.ndim}-d input of shape {tuple(x.shape)}")
        return _host(x).astype(np.float32, copy=False)


class _QuantizedLinearBase(_QuantizedBase):

    def __init__(self, in_features, out_features, bias=True, relu=False):
        super().__init__()
        self.in_features, self.out_features, self.relu = in_features, out_features, relu
        w = np.zeros((out_features, in_features), np.float32)
        self._init_weight(w, np.zeros(out_features, np.float32) if bias else None,
                          type(self).__name__)

    @classmethod
    def from_float(cls, linear, relu=False, where=None):
        where = where or f"{cls.__name__}.from_float: {linear._short_repr()}"
        q = cls(linear.in_features, linear.out_features, linear.bias is not None, relu)
        q._init_weight(linear.weight, linear.bias, where)
        return q

    def forward(self, x):
        a = self._check_input(x, lambda n: n >= 1, "an input (..., in_features)")
        if a.shape[-1] != self.in_features:
            self._fail(f"input has {a.shape[-1]} features (shape {tuple(a.shape)}), expected "
                       f"{self.in_features}")
        lead = a.shape[:-1]
        a = a.reshape(-1, self.in_features)
        y = backend.kernel("qlayer.linear", "cpu")(
            *self._kernel_args(a, *self._input_qparams(a)), self.relu)
        return Tensor._wrap(y.reshape(*lead, self.out_features))     # no copy

    def dequantized_weight(self):
        """ŵ = s_w · w_q, float32 (what the layer multiplies by, in effect)."""
        return self.weight._data.astype(np.float32) * self.weight_scale._data[:, None]

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}" + (", relu=True" if self.relu else ""))


class DynamicQuantizedLinear(_QuantizedLinearBase):
    """Linear with int8 weights; each input batch is quantised at run time with its own
    (scale, zero point) from its min and max (PyTorch's ``nn.quantized.dynamic.Linear``)."""

    dynamic = True


class QuantizedLinear(_QuantizedLinearBase):
    """Linear with int8 weights and inputs quantised with the calibrated (``input_scale``,
    ``input_zero_point``) of ``prepare`` → calibration → ``convert``; ``relu=True`` fuses a
    following ReLU."""


class QuantizedConv2d(_QuantizedBase):
    """Conv2d (groups 1, zero padding) with int8 weights per output channel and calibrated
    int8 inputs: the int8 im2col matrix (N·OH·OW, C·KH·KW) times the weight, exactly (the
    ``qlayer.conv2d`` kernel).  The padding holds the zero point, which is the exact 0."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=(1, 1), padding=(0, 0),
                 dilation=(1, 1), bias=True, relu=False):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = tuple(kernel_size), tuple(stride)
        self.padding, self.dilation, self.relu = tuple(padding), tuple(dilation), relu
        w = np.zeros((out_channels, in_channels) + self.kernel_size, np.float32)
        self._init_weight(w, np.zeros(out_channels, np.float32) if bias else None,
                          type(self).__name__)

    @classmethod
    def from_float(cls, conv, relu=False, where=None):
        from ..ops._util import conv_padding
        where = where or f"{cls.__name__}.from_float: {conv._short_repr()}"
        if getattr(conv, "groups", 1) != 1 or getattr(conv, "padding_mode", "zeros") != "zeros":
            raise TypeError(f"{where}: only groups=1 and padding_mode='zeros' can be quantised")
        padding = conv_padding(conv.padding, conv.kernel_size, conv.stride, conv.dilation,
                               where)
        q = cls(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, padding,
                conv.dilation, conv.bias is not None, relu)
        q._init_weight(conv.weight, conv.bias, where)
        return q

    def forward(self, x):
        a = self._check_input(x, lambda n: n == 4, "a 4-d input (N, C, H, W)")
        n, c, h, w = a.shape
        if c != self.in_channels:
            self._fail(f"input has {c} channels (shape {tuple(a.shape)}), expected "
                       f"{self.in_channels}")
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (self.kernel_size, self.stride, self.padding,
                                                  self.dilation)
        oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
        ow = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
        if oh < 1 or ow < 1:
            self._fail(f"input {tuple(a.shape)} is smaller than the kernel {self.kernel_size}")
        y = backend.kernel("qlayer.conv2d", "cpu")(
            *self._kernel_args(a, *self._input_qparams(a)), self.stride, self.padding,
            self.dilation, self.relu)
        return Tensor._wrap(y)                                          # no copy

    def dequantized_weight(self):
        return self.weight._data.astype(np.float32) * self.weight_scale._data[:, None, None,
                                                                              None]

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}"
                + (", relu=True" if self.relu else ""))
