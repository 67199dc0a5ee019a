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
Shapes and dtypes are validated by the caller; kernels assume them valid.  Kernels keep
no state between calls except scratch buffers (``workspace``): backward-weight recomputes
the im2col of ``x``, so a caller that changed ``x`` in between gets the gradient of the
``x`` it passed, not a stale one.

im2col: the patches of x_pad become the columns of a matrix ``cols`` of shape
(C·KH·KW, N·OH·OW), laid out (C, KH, KW, N, OH, OW), so the convolution is one GEMM,
y = w.reshape(O, −1) @ cols.  That layout is filled by KH·KW strided copies of whole
(N, OH, OW) planes per channel — each a contiguous write — and the GEMM's long dimension
is N·OH·OW.  Its workspace is KH·KW times the input: the batch is processed in chunks so
that ``cols`` stays under WORKSPACE_BYTES.
"""
import threading

import numba
import numpy as np

from . import host_cache
from ._arrays import array_module, empty, zeros

WORKSPACE_BYTES = 256 * 2**20
_scratch = threading.local()


def workspace(name, shape, dtype):
    """A scratch array reused across calls (per thread, per name): the im2col matrices and
    GEMM results are large and short-lived, and allocating them fresh costs page faults on
    every call.  Never returned to the caller."""
    cache = _scratch.__dict__.setdefault("buffers", {})
    size = int(np.prod(shape, dtype=np.int64))
    buf = cache.get(name)
    if buf is None or buf.dtype != dtype or buf.size < size:
        buf = cache[name] = np.empty(size, dtype=dtype)
    return buf[:size].reshape(shape)


def output_size(size, k, stride, padding, dilation):
    """Output length along one spatial axis."""
    return (size + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def _pad(x, padding):
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))


def _batch_chunks(n, per_sample_bytes):
    step = max(1, WORKSPACE_BYTES // max(per_sample_bytes, 1))
    return [(s, min(s + step, n)) for s in range(0, n, step)]


def _window(offset, stride, dilation, out):
    """The slice of a padded axis read by kernel offset ``offset`` for ``out`` outputs."""
    start = offset * dilation
    return slice(start, start + stride * (out - 1) + 1, stride)


def im2col_numpy(x, kh, kw, stride, padding, dilation, out=None):
    """cols (C·KH·KW, N·OH·OW): column (n, i, j) holds the patch under output pixel (i, j)."""
    n, c, h, w = x.shape
    oh = output_size(h, kh, stride[0], padding[0], dilation[0])
    ow = output_size(w, kw, stride[1], padding[1], dilation[1])
    x_pad = _pad(x, padding)
    cols = np.empty((c, kh, kw, n, oh, ow), dtype=x.dtype) if out is None else \
        out.reshape(c, kh, kw, n, oh, ow)
    for p in range(kh):          # one strided copy per kernel offset (p, q)
        rows = _window(p, stride[0], dilation[0], oh)
        for q in range(kw):
            cols[:, p, q] = x_pad[:, :, rows, _window(q, stride[1], dilation[1], ow)] \
                .transpose(1, 0, 2, 3)
    return cols.reshape(c * kh * kw, n * oh * ow)


def col2im_numpy(cols, x_shape, kh, kw, stride, padding, dilation, out=None):
    """The adjoint of im2col: add every column of ``cols`` back where its patch came from
    (into ``out`` when given, which is overwritten)."""
    n, c, h, w = x_shape
    (ph, pw) = padding
    oh = output_size(h, kh, stride[0], ph, dilation[0])
    ow = output_size(w, kw, stride[1], pw, dilation[1])
    cols = cols.reshape(c, kh, kw, n, oh, ow)
    x_pad = workspace("x_pad", (n, c, h + 2 * ph, w + 2 * pw), cols.dtype)
    x_pad.fill(0)
    for p in range(kh):          # one strided add per kernel offset (p, q)
        rows = _window(p, stride[0], dilation[0], oh)
        for q in range(kw):
            x_pad[:, :, rows, _window(q, stride[1], dilation[1], ow)] += \
                cols[:, p, q].transpose(1, 0, 2, 3)
    out = np.empty(x_shape, dtype=cols.dtype) if out is None else out
    out[...] = x_pad[:, :, ph:ph + h, pw:pw + w]
    return out


def _per_sample_gemms(oh, ow, ckk):
    """Whether to run one GEMM per sample instead of one for the whole chunk.

    With few patch rows (C·KH·KW ≤ OH·OW, typically a first layer on 1-3 channels) the GEMM
    is memory-bound, and the single GEMM's (O, N, OH, OW) result costs as much again to
    transpose into NCHW.  Per-sample GEMMs write each sample's (O, OH·OW) block in place
    (and dw sums N small products): measured 2x faster on (32, 1, 5, 5) and (32, 1, 3, 3)
    weights over 28 × 28 inputs; slower for deeper layers, which keep the one GEMM."""
    return ckk <= oh * ow


def conv2d_forward_numpy(x, w, stride, padding, dilation, im2col=im2col_numpy):
    """Reference: im2col of batch chunks, then one GEMM per chunk (or per sample)."""
    n = x.shape[0]
    o, c, kh, kw = w.shape
    oh = output_size(x.shape[2], kh, stride[0], padding[0], dilation[0])
    ow = output_size(x.shape[3], kw, stride[1], padding[1], dilation[1])
    y = host_cache.empty((n, o, oh, ow), np.result_type(x, w))
    w_mat = w.reshape(o, c * kh * kw)
    per_sample = _per_sample_gemms(oh, ow, c * kh * kw)
    for s, e in _batch_chunks(n, oh * ow * c * kh * kw * x.itemsize):
        ckk, m = c * kh * kw, (e - s) * oh * ow
        cols = im2col(x[s:e], kh, kw, stride, padding, dilation,
                      out=workspace("cols", (ckk, m), x.dtype))          # (CKK, n·OH·OW)
        if per_sample:   # y[a] = w_mat @ cols[:, a], each GEMM writing into y
            np.matmul(w_mat, cols.reshape(ckk, e - s, oh * ow).transpose(1, 0, 2),
                      out=y[s:e].reshape(e - s, o, oh * ow))
            continue
        prod = np.matmul(w_mat, cols, out=workspace("gemm", (o, m), y.dtype))
        y[s:e] = prod.reshape(o, e - s, oh, ow).transpose(1, 0, 2, 3)
    return y


def conv2d_backward_input_numpy(dy, w, x_shape, stride, padding, dilation,
                                col2im=col2im_numpy):
    """Reference: dcols = w_matᵀ @ dy_mat, then col2im."""
    o, c, kh, kw = w.shape
    n, _, oh, ow = dy.shape
    dx = host_cache.empty(x_shape, np.result_type(dy, w))
    w_mat = w.reshape(o, c * kh * kw)
    for s, e in _batch_chunks(n, oh * ow * c * kh * kw * dy.itemsize):
        m = (e - s) * oh * ow
        dy_mat = workspace("dy", (o, e - s, oh, ow), dy.dtype)
        dy_mat[...] = dy[s:e].transpose(1, 0, 2, 3)                      # (O, n·OH·OW)
        dcols = np.matmul(w_mat.T, dy_mat.reshape(o, m),
                          out=workspace("cols", (c * kh * kw, m), dx.dtype))
        col2im(dcols, (e - s,) + tuple(x_shape[1:]), kh, kw, stride, padding, dilation,
               out=dx[s:e])
    return dx


def conv2d_backward_weight_numpy(dy, x, w_shape, stride, padding, dilation,
                                 im2col=im2col_numpy):
    """Reference: dw = dy_mat @ colsᵀ (or Σ_a dy[a] @ cols[:, a]ᵀ), summed over batch chunks."""
    o, c, kh, kw = w_shape
    n, _, oh, ow = dy.shape
    ckk = c * kh * kw
    dw = np.zeros((o, ckk), dtype=np.result_type(dy, x))
    per_sample = _per_sample_gemms(oh, ow, ckk)
    for s, e in _batch_chunks(n, oh * ow * ckk * x.itemsize):
        m = (e - s) * oh * ow
        cols = im2col(x[s:e], kh, kw, stride, padding, dilation,
                      out=workspace("cols", (ckk, m), x.dtype))
        if per_sample:   # no transposed copy of dy: N products of (O, OH·OW) @ (OH·OW, CKK)
            dw += np.matmul(dy[s:e].reshape(e - s, o, oh * ow),
                            cols.reshape(ckk, e - s, oh * ow).transpose(1, 2, 0),
                            out=workspace("dw_per_sample", (e - s, o, ckk), dw.dtype)).sum(0)
            continue
        dy_mat = workspace("dy", (o, e - s, oh, ow), dy.dtype)
        dy_mat[...] = dy[s:e].transpose(1, 0, 2, 3)                      # (O, n·OH·OW)
        # (cols @ dy_matᵀ)ᵀ rather than dy_mat @ colsᵀ: the same product, ~15% faster in
        # OpenBLAS for these long-K shapes (measured)
        dw += (cols @ dy_mat.reshape(o, m).T).T
    return dw.reshape(w_shape)


# ---------------------------------------------------------------------------------------
# Numba: the same GEMMs, with im2col/col2im as compiled loops (no temporaries, and col2im
# without the KH·KW read-modify-write passes over dx).  Single-threaded on purpose (see
# minigrad_kernels.DEFAULTS).

@numba.njit(cache=True)
def _im2col_loops(x, cols, kh, kw, sh, sw, ph, pw, dh, dw):
    """cols (C, KH, KW, N, OH, OW) ← x (N, C, H, W); zero where the patch is padding."""
    n, c, h, w = x.shape
    oh, ow = cols.shape[4], cols.shape[5]
    for row in range(c * kh * kw):
        ch, p, q = row // (kh * kw), (row // kw) % kh, row % kw
        for a in range(n):
            for i in range(oh):
                r = i * sh + p * dh - ph
                for j in range(ow):
                    s = j * sw + q * dw - pw
                    if 0 <= r < h and 0 <= s < w:
                        cols[ch, p, q, a, i, j] = x[a, ch, r, s]
                    else:
                        cols[ch, p, q, a, i, j] = 0


@numba.njit(cache=True)
def _col2im_loops(cols, dx, kh, kw, sh, sw, ph, pw, dh, dw):
    """dx (N, C, H, W) += cols (C, KH, KW, N, OH, OW) at the patch positions, plane by
    plane (so the loop could run planes in parallel without racing adds)."""
    n, c, h, w = dx.shape
    oh, ow = cols.shape[4], cols.shape[5]
    for plane in range(n * c):
        a, ch = plane // c, plane % c
        dx[a, ch] = 0            # dx arrives uninitialised: each plane is cleared, then added to
        for p in range(kh):
            for q in range(kw):
                for i in range(oh):
                    r = i * sh + p * dh - ph
                    if r < 0 or r >= h:
                        continue
                    for j in range(ow):
                        s = j * sw + q * dw - pw
                        if 0 <= s < w:
                            dx[a, ch, r, s] += cols[ch, p, q, a, i, j]


def im2col_numba(x, kh, kw, stride, padding, dilation, out=None):
    n, c, h, w = x.shape
    oh = output_size(h, kh, stride[0], padding[0], dilation[0])
    ow = output_size(w, kw, stride[1], padding[1], dilation[1])
    cols = np.empty((c, kh, kw, n, oh, ow), dtype=x.dtype) if out is None else \
        out.reshape(c, kh, kw, n, oh, ow)
    _im2col_loops(np.ascontiguousarray(x), cols, kh, kw, *stride, *padding, *dilation)
    return cols.reshape(c * kh * kw, n * oh * ow)


def col2im_numba(cols, x_shape, kh, kw, stride, padding, dilation, out=None):
    n, c, h, w = x_shape
    oh = output_size(h, kh, stride[0], padding[0], dilation[0])
    ow = output_size(w, kw, stride[1], padding[1], dilation[1])
    dx = np.empty(x_shape, dtype=cols.dtype) if out is None else out
    _col2im_loops(np.ascontiguousarray(cols).reshape(c, kh, kw, n, oh, ow), dx, kh, kw,
                  *stride, *padding, *dilation)
    return dx


def conv2d_forward_numba(x, w, stride, padding, dilation):
    """im2col as a compiled loop, then the same GEMM as the reference."""
    return conv2d_forward_numpy(x, w, stride, padding, dilation, im2col=im2col_numba)


def conv2d_backward_input_numba(dy, w, x_shape, stride, padding, dilation):
    """The reference's GEMM, then col2im as a compiled loop."""
    return conv2d_backward_input_numpy(dy, w, x_shape, stride, padding, dilation,
                                       col2im=col2im_numba)


def conv2d_backward_weight_numba(dy, x, w_shape, stride, padding, dilation):
    """im2col as a compiled loop, then the reference's GEMM."""
    return conv2d_backward_weight_numpy(dy, x, w_shape, stride, padding, dilation,
                                        im2col=im2col_numba)


# ---------------------------------------------------------------------------------------
# CuPy: the same im2col/col2im strided copies and one GEMM (cuBLAS) for the whole batch,
# on the input's array module; CuPy's memory pool replaces the host workspace.

def im2col_cupy(x, kh, kw, stride, padding, dilation):
    """im2col_numpy's strided copies, allocated on x's device."""
    n, c, h, w = x.shape
    oh = output_size(h, kh, stride[0], padding[0], dilation[0])
    ow = output_size(w, kw, stride[1], padding[1], dilation[1])
    ph, pw = padding
    x_pad = array_module(x).pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    cols = empty(x, (c, kh, kw, n, oh, ow))
    for p in range(kh):
        rows = _window(p, stride[0], dilation[0], oh)
        for q in range(kw):
            cols[:, p, q] = x_pad[:, :, rows, _window(q, stride[1], dilation[1], ow)] \
                .transpose(1, 0, 2, 3)
    return cols.reshape(c * kh * kw, n * oh * ow)


def col2im_cupy(cols, x_shape, kh, kw, stride, padding, dilation):
    """col2im_numpy's strided adds, allocated on the columns' device."""
    n, c, h, w = x_shape
    ph, pw = padding
    oh = output_size(h, kh, stride[0], ph, dilation[0])
    ow = output_size(w, kw, stride[1], pw, dilation[1])
    cols = cols.reshape(c, kh, kw, n, oh, ow)
    x_pad = zeros(cols, (n, c, h + 2 * ph, w + 2 * pw))
    for p in range(kh):
        rows = _window(p, stride[0], dilation[0], oh)
        for q in range(kw):
            x_pad[:, :, rows, _window(q, stride[1], dilation[1], ow)] += \
                cols[:, p, q].transpose(1, 0, 2, 3)
    return x_pad[:, :, ph:ph + h, pw:pw + w].copy()      # C order


def conv2d_forward_cupy(x, w, stride, padding, dilation):
    """CuPy: im2col, then y = w_mat @ cols (cuBLAS)."""
    n = x.shape[0]
    o, c, kh, kw = w.shape
    cols = im2col_cupy(x, kh, kw, stride, padding, dilation)       # (CKK, N·OH·OW)
    oh = output_size(x.shape[2], kh, stride[0], padding[0], dilation[0])
    ow = output_size(x.shape[3], kw, stride[1], padding[1], dilation[1])
    y = (w.reshape(o, c * kh * kw) @ cols).reshape(o, n, oh, ow)
    return y.transpose(1, 0, 2, 3).copy()                # C order, (N, O, OH, OW)


def conv2d_backward_input_cupy(dy, w, x_shape, stride, padding, dilation):
    """CuPy: dcols = w_matᵀ @ dy_mat (cuBLAS), then col2im."""
    o, c, kh, kw = w.shape
    dy_mat = dy.transpose(1, 0, 2, 3).reshape(o, -1)                  # (O, N·OH·OW)
    dcols = w.reshape(o, c * kh * kw).T @ dy_mat
    return col2im_cupy(dcols, tuple(x_shape), kh, kw, stride, padding, dilation)


def conv2d_backward_weight_cupy(dy, x, w_shape, stride, padding, dilation):
    """CuPy: dw = dy_mat @ colsᵀ (cuBLAS)."""
    o, c, kh, kw = w_shape
    cols = im2col_cupy(x, kh, kw, stride, padding, dilation)
    dy_mat = dy.transpose(1, 0, 2, 3).reshape(o, -1)
    return (dy_mat @ cols.T).reshape(w_shape)
