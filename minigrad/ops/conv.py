"""Linear and 2-d convolution layers' functional forms.

``linear`` is a composite (x @ wᵀ + b: the matmul kernel does the work); ``conv2d`` is a
Function whose three products run in the registered ``conv2d.*`` kernels.
"""

import functools
import inspect

from .. import dtypes
from ..grad_mode import is_grad_enabled
from ..function import Function
from ..tensor import Tensor
from ._util import pair
from .linalg import matmul

__all__ = ["linear", "conv2d"]


def _check_float(op, **tensors):
    for name, t in tensors.items():
        if t is None:
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


def linear(x, weight, bias=None):
    """y = x Wᵀ + b  for x (..., in), W (out, in) (PyTorch's layout), b (out,).

    Backward (through matmul and add): dx = dy W,  dW = Σ dyᵀ x,  db = Σ dy.
    """
    _check_float("linear", input=x, weight=weight, bias=bias)
    check_params("linear", x, weight=weight, bias=bias)
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be (out_features, in_features), got shape "
                         f"{weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input has shape {x.shape}, expected (..., "
                         f"{weight.shape[1]}) to match weight {weight.shape}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias has shape {bias.shape}, expected "
                         f"({weight.shape[0]},)")
    y = matmul(x, weight.T)
    return y if bias is None else y + bias


class Conv2d(Function):
    """2-d cross-correlation (PyTorch's conv2d), NCHW.

    forward:   y[n, o, i, j] = b[o] + Σ_c,p,q x_pad[n, c, i·sh + p·dh, j·sw + q·dw] · w[o, c, p, q]
    backward:  dx = conv2d_backward_input(dy, w)   (the transposed convolution of dy)
               dw[o, c, p, q] = Σ_n,i,j dy[n, o, i, j] · x_pad[n, c, i·sh + p·dh, j·sw + q·dw]
               db[o] = Σ_n,i,j dy[n, o, i, j]

    When dw will be needed, forward asks the kernel to keep its im2col matrix (the x_pad
    patches, KH·KW times x's size; a kernel keeps it only up to
    ``minigrad_kernels.conv2d.KEEP_COLS_BYTES``) and saves it with x, so backward-weight
    does not build it again; dw is then the gradient at the x the forward saw.
    """

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
        self.geometry = (stride, padding, dilation)
        self.x_shape, self.w_shape = x.shape, w.shape
        forward = self.kernel("conv2d.forward")
        cols = None
        if self.needs_input_grad[1] and is_grad_enabled() and _takes(forward, "keep_cols"):
            y, cols = forward(x, w, stride, padding, dilation, keep_cols=True)
        else:   # no dw to compute, or a kernel registered without the keep_cols option
            y = forward(x, w, stride, padding, dilation)
        self.save_for_backward(x, w, cols)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        return y

    def backward(self, dy):
        x, w, cols = self.saved
        need_x, need_w = self.needs_input_grad[:2]
        need_b = len(self.needs_input_grad) > 2 and self.needs_input_grad[2]
        dx = dw = db = None
        if need_w:
            backward_weight = self.kernel("conv2d.backward_weight")
            kept = {"cols": cols} if cols is not None and _takes(backward_weight, "cols") \
                else {}
            dw = backward_weight(dy, x, self.w_shape, *self.geometry, **kept)
            # cols is read once: let go of it before backward-input, whose matrix of the
            # same size then reuses that memory while it is still in cache (a retained
            # graph's next backward rebuilds it from x)
            self.saved, cols, kept = (x, w, None), None, None
        if need_x:
            dx = self.kernel("conv2d.backward_input")(dy, w, self.x_shape, *self.geometry)
        if need_b:   # as one einsum over (N, O, OH·OW): 4x faster than sum(axis=(0, 2, 3))
            n, o, oh, ow = dy.shape
            db = self.xp.einsum("nop->o", dy.reshape(n, o, oh * ow))
        return (dx, dw, db) if len(self.needs_input_grad) > 2 else (dx, dw)


@functools.lru_cache(maxsize=None)
def _takes(kernel, option):
    """Whether a kernel function has the keyword ``option``: one registered (with
    ``backend.register_kernel``) before conv2d's keep_cols/cols options existed has not."""
    try:
        return option in inspect.signature(kernel).parameters
    except (TypeError, ValueError):        # a builtin or callable without a signature
        return False


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-d convolution of x (N, C, H, W) with weight (O, C, KH, KW), bias (O,).

    ``stride``, ``dilation``: int or (h, w); ``padding``: int, (h, w), ``"valid"`` (0) or
    ``"same"`` (output as large as the input; stride 1 only, like PyTorch).
    """
    _check_float("conv2d", input=x, weight=weight, bias=bias)
    check_params("conv2d", x, weight=weight, bias=bias)
    if x.ndim != 4:
        raise ValueError(f"conv2d: expected input of shape (N, C, H, W), got {x.shape} "
                         f"({x.ndim}-d); add a batch axis with x.unsqueeze(0)")
    if weight.ndim != 4:
        raise ValueError(f"conv2d: weight must be (out_channels, in_channels, KH, KW), got "
                         f"{weight.shape}")
    if x.shape[1] != weight.shape[1]:
        raise ValueError(f"conv2d: input has {x.shape[1]} channels {x.shape}, weight expects "
                         f"{weight.shape[1]} {weight.shape}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"conv2d: bias has shape {bias.shape}, expected ({weight.shape[0]},)")
    stride, dilation = pair(stride, "stride", "conv2d"), pair(dilation, "dilation", "conv2d")
    kh, kw = weight.shape[2:]
    if padding == "valid":
        padding = (0, 0)
    elif padding == "same":
        if stride != (1, 1):
            raise ValueError(f"conv2d: padding='same' needs stride 1, got stride {stride}")
        total = (dilation[0] * (kh - 1), dilation[1] * (kw - 1))
        if total[0] % 2 or total[1] % 2:
            raise ValueError(f"conv2d: padding='same' with an even kernel {weight.shape[2:]} "
                             f"would need asymmetric padding; pad explicitly with F.pad")
        padding = (total[0] // 2, total[1] // 2)
    else:
        padding = pair(padding, "padding", "conv2d")
    if min(stride) < 1 or min(dilation) < 1 or min(padding) < 0:
        raise ValueError(f"conv2d: stride and dilation must be ≥ 1 and padding ≥ 0, got "
                         f"stride={stride}, dilation={dilation}, padding={padding}")
    for axis, (size, k, p, d) in enumerate(zip(x.shape[2:], (kh, kw), padding, dilation)):
        if size + 2 * p < d * (k - 1) + 1:
            raise ValueError(f"conv2d: input {x.shape} padded by {padding} is smaller than "
                             f"the (dilated) kernel {tuple(weight.shape[2:])} along spatial "
                             f"axis {axis}")
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Conv2d.apply(*inputs, stride=stride, padding=padding, dilation=dilation)
