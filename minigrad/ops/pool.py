"""2-d pooling, NCHW: max (through the ``max_pool2d.*`` kernels) and average."""
from ..function import Function
from ..tensor import Tensor
from ._util import pair

__all__ = ["max_pool2d", "avg_pool2d"]


class MaxPool2d(Function):
    """2-d max pooling, NCHW (padding counts as −∞).

    forward:   y[n, c, i, j] = max over the KH × KW window at (i·sh − ph, j·sw − pw)
    backward:  dx = dy[n, c, i, j] added at the window's first maximum, 0 elsewhere
               (PyTorch's rule for ties)
    """

    def forward(self, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0)):
        self.geometry, self.x_shape = (kernel, stride, padding), x.shape
        y, arg = self.kernel("max_pool2d.forward")(x, kernel, stride, padding)
        self.save_for_backward(arg)
        return y

    def backward(self, dy):
        (arg,) = self.saved
        return self.kernel("max_pool2d.backward")(dy, arg, self.x_shape, *self.geometry)


class AvgPool2d(Function):
    """2-d average pooling, NCHW (zero padding counted, PyTorch's default
    count_include_pad=True).

    forward:   y[n, c, i, j] = (1/(KH·KW)) Σ over the KH × KW window at (i·sh − ph, j·sw − pw)
    backward:  dx = each dy[n, c, i, j] / (KH·KW) spread over its window (overlaps add)
    """

    def forward(self, x, kernel=(2, 2), stride=(2, 2), padding=(0, 0)):
        xp = self.xp
        (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
        self.geometry, self.x_shape = (kernel, stride, padding), x.shape
        x_pad = xp.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
        oh = (x_pad.shape[2] - kh) // sh + 1
        ow = (x_pad.shape[3] - kw) // sw + 1
        y = xp.zeros(x.shape[:2] + (oh, ow), dtype=x.dtype)
        for p in range(kh):           # one strided add per window offset (NumPy or CuPy)
            for q in range(kw):
                y += x_pad[:, :, p:p + sh * (oh - 1) + 1:sh, q:q + sw * (ow - 1) + 1:sw]
        y /= kh * kw
        return y

    def backward(self, dy):
        (kh, kw), (sh, sw), (ph, pw) = self.geometry
        n, c, h, w = self.x_shape
        oh, ow = dy.shape[2:]
        dx = self.xp.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=dy.dtype)
        share = dy / (kh * kw)
        for p in range(kh):           # one strided add per window offset
            for q in range(kw):
                dx[:, :, p:p + sh * (oh - 1) + 1:sh, q:q + sw * (ow - 1) + 1:sw] += share
        return dx[:, :, ph:ph + h, pw:pw + w]


def _geometry(op, x, kernel_size, stride, padding):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"{op}: expected input of shape (N, C, H, W), got {x.shape}")

    kernel = pair(kernel_size, "kernel_size", op)
    stride = kernel if stride is None else pair(stride, "stride", op)
    padding = pair(padding, "padding", op)
    if min(kernel) < 1 or min(stride) < 1 or min(padding) < 0:
        raise ValueError(f"{op}: kernel_size and stride must be ≥ 1, padding ≥ 0; got "
                         f"{kernel}, {stride}, {padding}")
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(f"{op}: padding {padding} must be at most half the kernel {kernel}")
    for axis, size in enumerate(x.shape[2:]):
        if size + 2 * padding[axis] < kernel[axis]:
            raise ValueError(f"{op}: input {x.shape} padded by {padding} is smaller than the "
                             f"kernel {kernel}")
    return kernel, stride, padding


def max_pool2d(x, kernel_size, stride=None, padding=0):
    """Max over KH × KW windows of x (N, C, H, W); stride defaults to the kernel size."""
    kernel, stride, padding = _geometry("max_pool2d", x, kernel_size, stride, padding)
    return MaxPool2d.apply(x, kernel=kernel, stride=stride, padding=padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0):
    """Mean over KH × KW windows of x (N, C, H, W) (zero padding counted in the mean)."""
    kernel, stride, padding = _geometry("avg_pool2d", x, kernel_size, stride, padding)
    return AvgPool2d.apply(x, kernel=kernel, stride=stride, padding=padding)
