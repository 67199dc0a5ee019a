"""2-d max pooling, NCHW.

Contract (every implementation):

    max_pool2d_forward(x, kernel, stride, padding) -> (y, arg)
    max_pool2d_backward(dy, arg, x_shape, kernel, stride, padding) -> dx

    x (N, C, H, W); kernel, stride, padding: (h, w) pairs; padding counts as −∞.
    OH = (H + 2·ph − KH) // sh + 1, likewise OW.
    y[n, c, i, j] = max over the window at (i·sh − ph, j·sw − pw) of size KH × KW
    arg[n, c, i, j] = p·KW + q, the offset of the FIRST maximum in that window (int8/int16/...)
    dx: dy[n, c, i, j] added at the position arg points to, nothing elsewhere

Ties go to the first maximum only (PyTorch's convention): with ties common in real images,
sending dy to every tied element would multiply the gradient.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided


def output_size(size, k, stride, padding):
    return (size + 2 * padding - k) // stride + 1


def _padded(x, padding, fill):
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)


def _arg_dtype(kernel):
    return np.int8 if kernel[0] * kernel[1] <= 127 else np.int32


def max_pool2d_forward_numpy(x, kernel, stride, padding):
    """Reference: a strided window view, argmax over each window."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    oh, ow = output_size(h, kh, sh, padding[0]), output_size(w, kw, sw, padding[1])
    xp = _padded(x, padding, -np.inf)
    s0, s1, s2, s3 = xp.strides
    windows = as_strided(xp, (n, c, oh, ow, kh, kw), (s0, s1, s2 * sh, s3 * sw, s2, s3),
                         writeable=False).reshape(n, c, oh, ow, kh * kw)
    arg = windows.argmax(axis=-1)                     # argmax returns the first maximum
    y = np.take_along_axis(windows, arg[..., None], axis=-1)[..., 0]
    return y, arg.astype(_arg_dtype(kernel))


def max_pool2d_backward_numpy(dy, arg, x_shape, kernel, stride, padding):
    """Reference: for each window offset (p, q), a strided add of dy where arg == offset."""
    n, c, h, w = x_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    _, _, oh, ow = dy.shape
    dx = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=dy.dtype)
    for p in range(kh):
        for q in range(kw):
            rows = slice(p, p + sh * (oh - 1) + 1, sh)
            cols = slice(q, q + sw * (ow - 1) + 1, sw)
            dx[:, :, rows, cols] += np.where(arg == p * kw + q, dy, 0)
    return dx[:, :, ph:ph + h, pw:pw + w]
