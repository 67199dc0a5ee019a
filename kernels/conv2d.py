"""2-d convolution (cross-correlation, as in PyTorch), NCHW, as im2col + GEMM.

Contract (every implementation):

    conv2d_forward(x, w, stride, padding, dilation) -> y
    conv2d_backward_input(dy, w, x_shape, stride, padding, dilation) -> dx
    conv2d_backward_weight(dy, x, w_shape, stride, padding, dilation) -> dw

    x (N, C, H, W), w (O, C, KH, KW), y and dy (N, O, OH, OW); stride, padding and dilation
    are (h, w) pairs of ints, padding with zeros.
    OH = (H + 2·ph − dh·(KH − 1) − 1) // sh + 1, likewise OW.

    y[n, o, i, j] = Σ_c Σ_p Σ_q x_pad[n, c, i·sh + p·dh, j·sw + q·dw] · w[o, c, p, q]
    dx = the adjoint of that map applied to dy;  dw[o, c, p, q] = Σ_n,i,j dy[n, o, i, j] · x_pad[…]

The bias is not part of the kernel (the Conv2d Function adds it and sums dy for db).
Shapes and dtypes are validated by the caller; kernels assume them valid.

im2col: the patches of x_pad become the rows of a matrix ``cols`` of shape
(N·OH·OW, C·KH·KW), so the convolution is one GEMM, y = cols @ w.reshape(O, −1)ᵀ.  Its
workspace is KH·KW times the input: the batch is processed in chunks so that ``cols`` stays
under WORKSPACE_BYTES.
"""
import numpy as np
from numpy.lib.stride_tricks import as_strided

WORKSPACE_BYTES = 256 * 2**20


def output_size(size, k, stride, padding, dilation):
    """Output length along one spatial axis."""
    return (size + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def _patches(x_pad, kh, kw, oh, ow, stride, dilation):
    """A strided view (N, C, KH, KW, OH, OW) of x_pad's patches (no copy)."""
    n, c, _, _ = x_pad.shape
    s0, s1, s2, s3 = x_pad.strides
    (sh, sw), (dh, dw) = stride, dilation
    return as_strided(x_pad, (n, c, kh, kw, oh, ow),
                      (s0, s1, s2 * dh, s3 * dw, s2 * sh, s3 * sw), writeable=False)


def _pad(x, padding):
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def _batch_chunks(n, per_sample_bytes):
    step = max(1, WORKSPACE_BYTES // max(per_sample_bytes, 1))
    return [(s, min(s + step, n)) for s in range(0, n, step)]


def im2col_numpy(x, kh, kw, stride, padding, dilation):
    """cols (N·OH·OW, C·KH·KW): row (n, i, j) holds the patch under output pixel (i, j)."""
    n, c, h, w = x.shape
    oh = output_size(h, kh, stride[0], padding[0], dilation[0])
    ow = output_size(w, kw, stride[1], padding[1], dilation[1])
    view = _patches(_pad(x, padding), kh, kw, oh, ow, stride, dilation)
    return view.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, c * kh * kw)


def col2im_numpy(cols, x_shape, kh, kw, stride, padding, dilation):
    """The adjoint of im2col: add every patch row of ``cols`` back where it came from."""
    n, c, h, w = x_shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    oh = output_size(h, kh, sh, ph, dh)
    ow = output_size(w, kw, sw, pw, dw)
    cols = cols.reshape(n, oh, ow, c, kh, kw)
    x_pad = np.zeros((n, c, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    # One strided add per kernel offset (p, q): KH·KW vectorised adds instead of a loop over
    # output pixels.
    for p in range(kh):
        for q in range(kw):
            rows = slice(p * dh, p * dh + sh * (oh - 1) + 1, sh)
            colz = slice(q * dw, q * dw + sw * (ow - 1) + 1, sw)
            x_pad[:, :, rows, colz] += cols[:, :, :, :, p, q].transpose(0, 3, 1, 2)
    return x_pad[:, :, ph:ph + h, pw:pw + w]


def conv2d_forward_numpy(x, w, stride, padding, dilation):
    """Reference: im2col of batch chunks, then one GEMM per chunk."""
    n = x.shape[0]
    o, c, kh, kw = w.shape
    oh = output_size(x.shape[2], kh, stride[0], padding[0], dilation[0])
    ow = output_size(x.shape[3], kw, stride[1], padding[1], dilation[1])
    y = np.empty((n, o, oh, ow), dtype=np.result_type(x, w))
    w_mat = w.reshape(o, c * kh * kw)
    for s, e in _batch_chunks(n, oh * ow * c * kh * kw * x.itemsize):
        cols = im2col_numpy(x[s:e], kh, kw, stride, padding, dilation)   # (n·OH·OW, CKK)
        y[s:e] = (cols @ w_mat.T).reshape(e - s, oh, ow, o).transpose(0, 3, 1, 2)
    return y


def conv2d_backward_input_numpy(dy, w, x_shape, stride, padding, dilation):
    """Reference: dcols = dy_mat @ w_mat, then col2im."""
    o, c, kh, kw = w.shape
    n, _, oh, ow = dy.shape
    dx = np.empty(x_shape, dtype=np.result_type(dy, w))
    w_mat = w.reshape(o, c * kh * kw)
    for s, e in _batch_chunks(n, oh * ow * c * kh * kw * dy.itemsize):
        dy_mat = dy[s:e].transpose(0, 2, 3, 1).reshape(-1, o)          # (n·OH·OW, O)
        dcols = dy_mat @ w_mat                                          # (n·OH·OW, CKK)
        dx[s:e] = col2im_numpy(dcols, (e - s,) + tuple(x_shape[1:]), kh, kw, stride,
                               padding, dilation)
    return dx


def conv2d_backward_weight_numpy(dy, x, w_shape, stride, padding, dilation):
    """Reference: dw = dy_matᵀ @ cols, summed over batch chunks."""
    o, c, kh, kw = w_shape
    n, _, oh, ow = dy.shape
    dw = np.zeros((o, c * kh * kw), dtype=np.result_type(dy, x))
    for s, e in _batch_chunks(n, oh * ow * c * kh * kw * x.itemsize):
        cols = im2col_numpy(x[s:e], kh, kw, stride, padding, dilation)
        dy_mat = dy[s:e].transpose(1, 0, 2, 3).reshape(o, -1)           # (O, n·OH·OW)
        dw += dy_mat @ cols
    return dw.reshape(w_shape)
