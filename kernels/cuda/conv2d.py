"""2-d convolution in Numba CUDA: im2col / col2im kernels feeding the tiled GEMM.

Contract (minigrad_kernels.conv2d, keep_cols and cols included):
    conv2d_forward(x, w, stride, padding, dilation, keep_cols=False) -> y, or (y, cols)
    conv2d_backward_input(dy, w, x_shape, stride, padding, dilation) -> dx
    conv2d_backward_weight(dy, x, w_shape, stride, padding, dilation, cols=None) -> dw

``cols`` is the reference's layout, (C·KH·KW, N·OH·OW): row (c, p, q), column (n, i, j).
- im2col: one thread per element of cols (grid-stride), consecutive threads along a row, so
  the writes are coalesced; padding reads as 0.
- col2im: one thread per element of dx that *gathers* every column entry that came from it
  (the (p, q, i, j) with i·sh + p·dh − ph = h and j·sw + q·dw − pw = w): no atomics, each
  dx element written once.
- the products y = w_mat @ cols, dcols = w_matᵀ @ dy_mat and dw = dy_mat @ colsᵀ run in
  minigrad_kernels.cuda.matmul's GEMM (it reads transposed views through their strides).
The (O, N·OH·OW) ↔ (N, O, OH, OW) reorderings are copies by the array module.
"""
import functools

import numpy as np
from numba import cuda, types

from ..conv2d import KEEP_COLS_BYTES, output_hw
from ..memory import empty
from ._launch import SIMULATOR, blocks_for, launch, numba_type
from .matmul import gemm3

DEFAULT_THREADS = 256
SIMULATOR_THREADS = 32
MAX_BLOCKS = 65535 * 16        # grid-stride beyond this many blocks


@functools.lru_cache(maxsize=None)
def kernels(dtype):
    """(im2col, col2im) kernels for one dtype (the zero they start from is of that dtype:
    a bare 0 would promote float32 sums to float64)."""
    zero = np.dtype(dtype).type(0)

    @cuda.jit
    def im2col_kernel(x, cols, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
        """cols[(c·KH + p)·KW + q, (n·OH + i)·OW + j] = x_pad[n, c, i·sh + p·dh, j·sw + q·dw]."""
        n_size, c_size, h_size, w_size = x.shape
        width = n_size * oh * ow
        total = c_size * kh * kw * width
        for e in range(cuda.grid(1), total, cuda.gridsize(1)):
            row, col = e // width, e % width
            c, pq = row // (kh * kw), row % (kh * kw)
            p, q = pq // kw, pq % kw
            n, ij = col // (oh * ow), col % (oh * ow)
            i, j = ij // ow, ij % ow
            r = i * sh + p * dh - ph
            s = j * sw + q * dw - pw
            if 0 <= r < h_size and 0 <= s < w_size:
                cols[row, col] = x[n, c, r, s]
            else:
                cols[row, col] = zero

    @cuda.jit
    def col2im_kernel(cols, dx, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow):
        """dx[n, c, h, w] = Σ over the (p, q, i, j) that read x_pad[n, c, h + ph, w + pw]."""
        n_size, c_size, h_size, w_size = dx.shape
        plane = h_size * w_size
        total = n_size * c_size * plane
        for e in range(cuda.grid(1), total, cuda.gridsize(1)):
            nc, hw = e // plane, e % plane
            n, c = nc // c_size, nc % c_size
            h, w = hw // w_size, hw % w_size
            acc = zero
            for p in range(kh):
                hi = h + ph - p * dh                 # must be i·sh for some output row i
                if hi < 0 or hi % sh != 0 or hi // sh >= oh:
                    continue
                i = hi // sh
                for q in range(kw):
                    wj = w + pw - q * dw             # must be j·sw for some output column j
                    if wj < 0 or wj % sw != 0 or wj // sw >= ow:
                        continue
                    acc += cols[(c * kh + p) * kw + q, (n * oh + i) * ow + wj // sw]
            dx[n, c, h, w] = acc

    return im2col_kernel, col2im_kernel


def _grid(total, threads):
    threads = threads or (SIMULATOR_THREADS if SIMULATOR else DEFAULT_THREADS)
    return min(blocks_for(total, threads), MAX_BLOCKS), threads


def im2col_numba_cuda(x, kh, kw, stride, padding, dilation, threads=None):
    """cols (C·KH·KW, N·OH·OW) of x (N, C, H, W) on x's device."""
    n, c = x.shape[:2]
    oh, ow = output_hw(x.shape, kh, kw, stride, padding, dilation)
    cols = empty((c * kh * kw, n * oh * ow), like=x)
    if cols.size:
        blocks, threads = _grid(cols.size, threads)
        launch(kernels(x.dtype.str)[0], blocks, threads, x, x, cols, kh, kw, *stride,
               *padding, *dilation, oh, ow)
    return cols


def col2im_numba_cuda(cols, x_shape, kh, kw, stride, padding, dilation, threads=None):
    """The adjoint of im2col: dx (N, C, H, W) gathered from cols."""
    oh, ow = output_hw(x_shape, kh, kw, stride, padding, dilation)
    dx = empty(tuple(x_shape), like=cols)
    if dx.size:
        blocks, threads = _grid(dx.size, threads)
        launch(kernels(cols.dtype.str)[1], blocks, threads, cols, cols, dx, kh, kw,
               *stride, *padding, *dilation, oh, ow)
    return dx


def _gemm(a, b, tiles):
    return gemm3(a[None], b[None], tiles)[0]


def conv2d_forward_numba_cuda(x, w, stride, padding, dilation, keep_cols=False,
                              threads=None, tiles=None):
    """im2col kernel, then y = w_mat @ cols in the tiled GEMM."""
    n = x.shape[0]
    o, c, kh, kw = w.shape
    oh, ow = output_hw(x.shape, kh, kw, stride, padding, dilation)
    cols = im2col_numba_cuda(x, kh, kw, stride, padding, dilation, threads)
    y = _gemm(w.reshape(o, c * kh * kw), cols, tiles)              # (O, N·OH·OW)
    y = y.reshape(o, n, oh, ow).transpose(1, 0, 2, 3).copy()       # (N, O, OH, OW), C order
    if keep_cols:
        return y, (cols if cols.nbytes <= KEEP_COLS_BYTES else None)
    return y


def conv2d_backward_input_numba_cuda(dy, w, x_shape, stride, padding, dilation,
                                     threads=None, tiles=None):
    """dcols = w_matᵀ @ dy_mat in the tiled GEMM, then the col2im gather kernel."""
    o, c, kh, kw = w.shape
    dy_mat = dy.transpose(1, 0, 2, 3).reshape(o, -1)               # (O, N·OH·OW), a copy
    dcols = _gemm(w.reshape(o, c * kh * kw).T, dy_mat, tiles)      # (C·KH·KW, N·OH·OW)
    return col2im_numba_cuda(dcols, x_shape, kh, kw, stride, padding, dilation, threads)


def conv2d_backward_weight_numba_cuda(dy, x, w_shape, stride, padding, dilation,
                                      cols=None, threads=None, tiles=None):
    """im2col kernel (unless forward's ``cols`` is given), then dw = dy_mat @ colsᵀ in the
    tiled GEMM."""
    o, c, kh, kw = w_shape
    if cols is None:
        cols = im2col_numba_cuda(x, kh, kw, stride, padding, dilation, threads)
    dy_mat = dy.transpose(1, 0, 2, 3).reshape(o, -1)
    return _gemm(dy_mat, cols.T, tiles).reshape(tuple(w_shape))


def kernel_signatures(dtype):
    """(name, kernel, argument types) for ``dtype`` (PTX check)."""
    scalar = numba_type(np.dtype(dtype))
    im2col, col2im = kernels(np.dtype(dtype).str)
    x4, m2 = types.Array(scalar, 4, "C"), types.Array(scalar, 2, "C")
    ints = (types.int64,) * 10
    return [("im2col", im2col, (x4, m2) + ints), ("col2im", col2im, (m2, x4) + ints)]
