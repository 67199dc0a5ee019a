"""2-d convolution: a Function whose three products run in the registered ``conv2d.*``
kernels."""

from ..function import Function
from ._util import check_float, check_params, conv_padding, pair

__all__ = ["conv2d"]


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
        if self.needs_input_grad[1]:
            y, cols = forward(x, w, stride, padding, dilation, keep_cols=True)
        else:
            y, cols = forward(x, w, stride, padding, dilation), None
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
            dw = self.kernel("conv2d.backward_weight")(dy, x, self.w_shape, *self.geometry,
                                                      cols=cols)
        if need_x:
            dx = self.kernel("conv2d.backward_input")(dy, w, self.x_shape, *self.geometry)
        if need_b:   # as one einsum over (N, O, OH·OW): 4x faster than sum(axis=(0, 2, 3))
            n, o, oh, ow = dy.shape
            db = self.xp.einsum("nop->o", dy.reshape(n, o, oh * ow))
        return (dx, dw, db) if len(self.needs_input_grad) > 2 else (dx, dw)


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """2-d convolution of x (N, C, H, W) with weight (O, C, KH, KW), bias (O,).

    ``stride``, ``dilation``: int or (h, w); ``padding``: int, (h, w), ``"valid"`` (0) or
    ``"same"`` (output as large as the input; stride 1 only, like PyTorch).
    """
    check_float("conv2d", input=x, weight=weight, bias=bias)
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
    padding = conv_padding(padding, (kh, kw), stride, dilation, "conv2d")
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
