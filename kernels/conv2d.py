"""2-d convolution (cross-correlation, as in PyTorch), NCHW, as im2col + GEMM.

Contract (every implementation):

    conv2d_forward(x, w, stride, padding, dilation, keep_cols=False) -> y, or (y, cols)
    conv2d_backward_input(dy, w, x_shape, stride, padding, dilation) -> dx
    conv2d_backward_weight(dy, x, w_shape, stride, padding, dilation, cols=None) -> dw

    x (N, C, H, W), w (O, C, KH, KW), y and dy (N, O, OH, OW); stride, padding and dilation
    are (h, w) pairs of ints, padding with zeros.
    OH = (H + 2·ph − dh·(KH − 1) − 1) // sh + 1, likewise OW.

    y[n, o, i, j] = Σ_c Σ_p Σ_q x_pad[n, c, i·sh + p·dh, j·sw + q·dw] · w[o, c, p, q]
    dx = the adjoint of that map applied to dy;  dw[o, c, p, q] = Σ_n,i,j dy[n, o, i, j] · x_pad[…]

    keep_cols=True: forward also returns the im2col matrix ``cols`` it built, or None (an
    implementation may decline: above KEEP_COLS_BYTES, or built in batch chunks); given
    back to backward-weight as ``cols``, it replaces the im2col of x (x is then not read).
    The caller owns that matrix: the Conv2d Function saves it for backward, like any saved
    array, so dw is the gradient at the x the forward saw.

The bias is not part of the kernel (the Conv2d Function adds it and sums dy for db).
Shapes and dtypes are validated by the caller; kernels assume them valid and keep no
state between calls.

im2col: the patches of x_pad become the columns of a matrix ``cols`` of shape
(C·KH·KW, N·OH·OW), laid out (C, KH, KW, N, OH, OW), so the convolution is one GEMM,
y = w.reshape(O, −1) @ cols.  That layout is filled by KH·KW strided copies of whole
(N, OH, OW) planes per channel — each a contiguous write — and the GEMM's long dimension
is N·OH·OW.  The reference below runs on any array module (it is also the CuPy
implementation); the Numba one, the CPU default, adds the speed.
"""
import numba
import numpy as np

from ._arrays import array_module, half_via_single
from .memory import empty, zeros

# The most a forward keeps of its im2col matrix for backward-weight (keep_cols), per call:
# it lives until backward, KH·KW times x's size (most costly on a GPU, whose default is the
# reference).  Above it, forward keeps nothing (returns cols=None) and backward-weight
# builds the matrix again.  0 turns keeping off.
KEEP_COLS_BYTES = 64 * 2**20


def output_size(size, k, stride, padding, dilation):
    """Output length along one spatial axis."""
    return (size + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def output_hw(x_shape, kh, kw, stride, padding, dilation):
    """(OH, OW) for an input of shape (N, C, H, W)."""
    return (output_size(x_shape[2], kh, stride[0], padding[0], dilation[0]),
            output_size(x_shape[3], kw, stride[1], padding[1], dilation[1]))


def _window(offset, stride, dilation, out):
    """The slice of a padded axis read by kernel offset ``offset`` for ``out`` outputs."""
    start = offset * dilation
    return slice(start, start + stride * (out - 1) + 1, stride)


def im2col_numpy(x, kh, kw, stride, padding, dilation):
    """cols (C·KH·KW, N·OH·OW): column (n, i, j) holds the patch under output pixel (i, j)."""
    n, c, h, w = x.shape
    (ph, pw), (oh, ow) = padding, output_hw(x.shape, kh, kw, stride, padding, dilation)
    x_pad = array_module(x).pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw))) if ph or pw else x
    cols = empty((c, kh, kw, n, oh, ow), like=x)
    for p in range(kh):          # one strided copy per kernel offset (p, q)
        rows = _window(p, stride[0], dilation[0], oh)
        for q in range(kw):
            cols[:, p, q] = x_pad[:, :, rows, _window(q, stride[1], dilation[1], ow)] \
                .transpose(1, 0, 2, 3)
    return cols.reshape(c * kh * kw, n * oh * ow)


def col2im_numpy(cols, x_shape, kh, kw, stride, padding, dilation):
    """The adjoint of im2col: every column of ``cols`` added back where its patch came from."""
    n, c, h, w = x_shape
    (ph, pw), (oh, ow) = padding, output_hw(x_shape, kh, kw, stride, padding, dilation)
    cols = cols.reshape(c, kh, kw, n, oh, ow)
    x_pad = zeros((n, c, h + 2 * ph, w + 2 * pw), like=cols)
    for p in range(kh):          # one strided add per kernel offset (p, q)
        rows = _window(p, stride[0], dilation[0], oh)
        for q in range(kw):
            x_pad[:, :, rows, _window(q, stride[1], dilation[1], ow)] += \
                cols[:, p, q].transpose(1, 0, 2, 3)
    return x_pad[:, :, ph:ph + h, pw:pw + w].copy()      # C order


def conv2d_forward_numpy(x, w, stride, padding, dilation, keep_cols=False):
    """Reference (any array module): im2col of the batch, then one GEMM, y = w_mat @ cols."""
    n, (o, c, kh, kw) = x.shape[0], w.shape
    oh, ow = output_hw(x.shape, kh, kw, stride, padding, dilation)
    cols = im2col_numpy(x, kh, kw, stride, padding, dilation)        # (C·KH·KW, N·OH·OW)
    y = (w.reshape(o, c * kh * kw) @ cols).reshape(o, n, oh, ow)
    y = y.transpose(1, 0, 2, 3).copy()                              # (N, O, OH, OW), C order
    if keep_cols:
        return y, (cols if cols.nbytes <= KEEP_COLS_BYTES else None)
    return y


def conv2d_backward_input_numpy(dy, w, x_shape, stride, padding, dilation):
    """Reference (any array module): dcols = w_matᵀ @ dy_mat, then col2im."""
    o, c, kh, kw = w.shape
    dy_mat = dy.transpose(1, 0, 2, 3).reshape(o, -1)                  # (O, N·OH·OW)
    dcols = w.reshape(o, c * kh * kw).T @ dy_mat
    return col2im_numpy(dcols, tuple(x_shape), kh, kw, stride, padding, dilation)


def conv2d_backward_weight_numpy(dy, x, w_shape, stride, padding, dilation, cols=None):
    """Reference (any array module): dw = dy_mat @ colsᵀ, cols from forward or a new
    im2col of x."""
    o, c, kh, kw = w_shape
    if cols is None:
        cols = im2col_numpy(x, kh, kw, stride, padding, dilation)
    dy_mat = dy.transpose(1, 0, 2, 3).reshape(o, -1)                  # (O, N·OH·OW)
    return (dy_mat @ cols.T).reshape(tuple(w_shape))


# ---------------------------------------------------------------------------------------
# Numba: the same GEMMs, with im2col/col2im as compiled loops (no temporaries, and col2im
# without the KH·KW read-modify-write passes over dx).  Single-threaded on purpose (see
# minigrad_kernels.DEFAULTS).
#
# Where an element-wise loop loses time, and what the loops below do instead (measured
# 1.5-4x faster than a per-element bounds test on the seed CNNs' layers):
# * a test ``0 <= r < h and 0 <= s < w`` per element: ``_span`` computes once per kernel
#   offset the output rows/columns that read inside x, so the inner loops are plain copies
#   (or adds) over runs of consecutive elements, and the zeros are written apart;
# * Numba's negative-index wraparound select: the arrays are viewed 1-D and indexed with
#   unsigned integers (``U(...)``), every index being >= 0 by construction (with signed
#   flat indices LLVM turned the copy into AVX-512 gathers/scatters, 4x slower);
# * rows of 3-26 elements, too short for LLVM's 64-element vector loop: runs of 4-7 are
#   two overlapping 4-wide moves, 1-3 stay scalar;
# * the work of one kernel offset (ch, p, q) is a small function of its own, called with
#   precomputed offsets (~1.4x over the same loops written as one nest).
# The 1-D views need C-contiguous arrays: im2col_numba/col2im_numba pass only those.

U = np.uint64   # unsigned flat index: no wraparound check (every index here is >= 0)


@numba.njit(inline='always')
def _span(k_off, stride, pad, size, out):
    """Output indices [lo, hi) whose input index t*stride + k_off - pad is in [0, size)."""
    d = pad - k_off
    lo = 0 if d <= 0 else (d + stride - 1) // stride
    e = size + pad - k_off
    hi = 0 if e <= 0 else (e + stride - 1) // stride
    if hi > out:
        hi = out
    if lo > hi:
        lo = hi
    return lo, hi


@numba.njit(inline='always')
def _copy4(dst, o, src, s):
    # all loads before all stores: LLVM's SLP vectoriser makes this one 4-wide move
    # without an alias check
    v0 = src[U(s)]
    v1 = src[U(s + 1)]
    v2 = src[U(s + 2)]
    v3 = src[U(s + 3)]
    dst[U(o)] = v0
    dst[U(o + 1)] = v1
    dst[U(o + 2)] = v2
    dst[U(o + 3)] = v3


@numba.njit(inline='always')
def _add4(dst, o, src, s):
    d0 = dst[U(o)]
    d1 = dst[U(o + 1)]
    d2 = dst[U(o + 2)]
    d3 = dst[U(o + 3)]
    v0 = src[U(s)]
    v1 = src[U(s + 1)]
    v2 = src[U(s + 2)]
    v3 = src[U(s + 3)]
    dst[U(o)] = d0 + v0
    dst[U(o + 1)] = d1 + v1
    dst[U(o + 2)] = d2 + v2
    dst[U(o + 3)] = d3 + v3


@numba.njit(inline='always')
def _copy_run(dst, o, src, s, m):
    """dst[o:o+m] = src[s:s+m]."""
    if m >= 8:
        for j in range(m):
            dst[U(o + j)] = src[U(s + j)]
    elif m >= 4:            # a copy is idempotent: the two 4-wide moves may overlap
        _copy4(dst, o, src, s)
        _copy4(dst, o + m - 4, src, s + m - 4)
    else:                   # 0..3: left scalar, cheaper than the vector loop's checks
        for j in range(m):
            dst[U(o + j)] = src[U(s + j)]


@numba.njit(inline='always')
def _add_run(dst, o, src, s, m):
    """dst[o:o+m] += src[s:s+m] (no overlapping moves: an add is not idempotent)."""
    if m >= 8:
        for j in range(m):
            dst[U(o + j)] += src[U(s + j)]
    else:
        j = 0
        if m >= 4:
            _add4(dst, o, src, s)
            j = 4
        for t in range(j, m):
            dst[U(o + t)] += src[U(s + t)]


@numba.njit(inline='always')
def _zero(dst, o, m):
    for j in range(m):
        dst[U(o + j)] = 0


@numba.njit(cache=True, boundscheck=False)
def _im2col_block(cf, o, xf, s, n, sx, i0, i1, oh, ow, rs):
    """One kernel offset, stride 1 along w, whole rows valid: for each of the n samples,
    i0 zero rows, rows i0..i1 copied from x (row step rs), then zero rows up to oh."""
    top = i0 * ow
    bottom = (oh - i1) * ow
    for _a in range(n):
        _zero(cf, o, top)
        o += top
        t = s
        for _i in range(i1 - i0):
            _copy_run(cf, o, xf, t, ow)
            o += ow
            t += rs
        _zero(cf, o, bottom)
        o += bottom
        s += sx


@numba.njit(cache=True, boundscheck=False)
def _im2col_block_general(cf, o, xf, s, n, sx, i0, i1, oh, ow, rs, j0, j1, sw):
    """One kernel offset, any stride / clipped columns."""
    m = j1 - j0
    for _a in range(n):
        _zero(cf, o, i0 * ow)
        o += i0 * ow
        t = s
        for _i in range(i1 - i0):
            _zero(cf, o, j0)
            if sw == 1:
                _copy_run(cf, o + j0, xf, t, m)
            else:
                for j in range(m):
                    cf[U(o + j0 + j)] = xf[U(t + j * sw)]
            _zero(cf, o + j1, ow - j1)
            o += ow
            t += rs
        _zero(cf, o, (oh - i1) * ow)
        o += (oh - i1) * ow
        s += sx


@numba.njit(cache=True, boundscheck=False)
def _im2col_loops(x, cols, kh, kw, sh, sw, ph, pw, dh, dw):
    """cols (C, KH, KW, N, OH, OW) <- x (N, C, H, W); zero where the patch is padding."""
    n, c, h, w = x.shape
    oh, ow = cols.shape[4], cols.shape[5]
    xf = x.reshape(-1)
    cf = cols.reshape(-1)
    blk = n * oh * ow
    o = 0                                   # cols is written strictly in order
    for ch in range(c):
        for p in range(kh):
            i0, i1 = _span(p * dh, sh, ph, h, oh)      # output rows that read x
            for q in range(kw):
                j0, j1 = _span(q * dw, sw, pw, w, ow)  # output columns that read x
                if i1 <= i0 or j1 <= j0:               # only padding under this offset
                    _zero(cf, o, blk)
                else:
                    # x index of output (a=0, i0, j0): >= 0 by construction of the spans
                    s = ch * h * w + (i0 * sh + p * dh - ph) * w + j0 * sw + q * dw - pw
                    if sw == 1 and j0 == 0 and j1 == ow:
                        _im2col_block(cf, o, xf, s, n, c * h * w, i0, i1, oh, ow, sh * w)
                    else:
                        _im2col_block_general(cf, o, xf, s, n, c * h * w, i0, i1, oh, ow,
                                              sh * w, j0, j1, sw)
                o += blk


@numba.njit(cache=True, boundscheck=False)
def _col2im_block(df, d, cf, o, n, sd, so, nr, m, ow, rs, sw):
    """One kernel offset: for each of the n samples (steps sd in dx, so in cols), nr rows
    of m columns of cols (row step ow) added into dx (row step rs, column step sw)."""
    for _a in range(n):
        t = d
        u = o
        if sw == 1:
            for _i in range(nr):
                _add_run(df, t, cf, u, m)
                t += rs
                u += ow
        else:
            for _i in range(nr):
                for j in range(m):
                    df[U(t + j * sw)] += cf[U(u + j)]
                t += rs
                u += ow
        d += sd
        o += so


@numba.njit(cache=True, boundscheck=False)
def _col2im_loops(cols, dx, kh, kw, sh, sw, ph, pw, dh, dw):
    """dx (N, C, H, W) <- adjoint of im2col applied to cols; dx arrives uninitialised.

    cols is read in storage order, one kernel offset (ch, p, q) at a time.  Each dx element
    receives its terms in (p, q) order starting from 0.0, as in the NumPy reference."""
    n, c, h, w = dx.shape
    oh, ow = cols.shape[4], cols.shape[5]
    df = dx.reshape(-1)
    cf = cols.reshape(-1)
    plane = oh * ow
    _zero(df, 0, df.size)
    for ch in range(c):
        for p in range(kh):
            i0, i1 = _span(p * dh, sh, ph, h, oh)
            for q in range(kw):
                j0, j1 = _span(q * dw, sw, pw, w, ow)
                if i1 <= i0 or j1 <= j0:
                    continue                 # only padding under this offset
                o = ((ch * kh + p) * kw + q) * n * plane + i0 * ow + j0
                d = ch * h * w + (i0 * sh + p * dh - ph) * w + j0 * sw + q * dw - pw
                _col2im_block(df, d, cf, o, n, c * h * w, plane, i1 - i0, j1 - j0, ow,
                              sh * w, sw)




def im2col_numba(x, kh, kw, stride, padding, dilation):
    n, c = x.shape[:2]
    oh, ow = output_hw(x.shape, kh, kw, stride, padding, dilation)
    cols = empty((c, kh, kw, n, oh, ow), x.dtype)
    _im2col_loops(np.ascontiguousarray(x), cols, kh, kw, *stride, *padding, *dilation)
    return cols.reshape(c * kh * kw, n * oh * ow)


def col2im_numba(cols, x_shape, kh, kw, stride, padding, dilation, out):
    """col2im into ``out`` (overwritten)."""
    n, c = x_shape[:2]
    oh, ow = output_hw(x_shape, kh, kw, stride, padding, dilation)
    _col2im_loops(np.ascontiguousarray(cols).reshape(c, kh, kw, n, oh, ow), out, kh, kw,
                  *stride, *padding, *dilation)
    return out


# The fast path around the loops: the batch in chunks whose im2col matrix stays under
# WORKSPACE_BYTES (it is KH·KW times the input), every array from memory.empty (scratch
# goes back to the cache when a chunk's helper returns, and the next chunk or call reuses
# it), and one GEMM per sample where that is faster.
WORKSPACE_BYTES = 256 * 2**20


def _batch_chunks(n, per_sample_bytes):
    step = max(1, WORKSPACE_BYTES // max(per_sample_bytes, 1))
    return [(s, min(s + step, n)) for s in range(0, n, step)]


def _per_sample_gemms(oh, ow, ckk):
    """Whether to run one GEMM per sample instead of one for the whole chunk.

    With few patch rows (C·KH·KW ≤ OH·OW, typically a first layer on 1-3 channels) the GEMM
    is memory-bound, and the single GEMM's (O, N, OH, OW) result costs as much again to
    transpose into NCHW.  Per-sample GEMMs write each sample's (O, OH·OW) block in place
    (and dw sums N small products): measured 2x faster on (32, 1, 5, 5) and (32, 1, 3, 3)
    weights over 28 × 28 inputs; slower for deeper layers, which keep the one GEMM."""
    return ckk <= oh * ow


def _forward_chunk(x, w, y, stride, padding, dilation, keep):
    """y (n, O, OH, OW) ← the convolution of x (n, C, H, W); its cols if ``keep``."""
    n, o, oh, ow = y.shape
    w_mat = w.reshape(o, -1)
    ckk = w_mat.shape[1]
    cols = im2col_numba(x, *w.shape[2:], stride, padding, dilation)    # (CKK, n·OH·OW)
    if _per_sample_gemms(oh, ow, ckk):   # y[a] = w_mat @ cols[:, a], each GEMM writing into y
        np.matmul(w_mat, cols.reshape(ckk, n, oh * ow).transpose(1, 0, 2),
                  out=y.reshape(n, o, oh * ow))
    else:
        prod = np.matmul(w_mat, cols, out=empty((o, n * oh * ow), y.dtype))
        y[...] = prod.reshape(o, n, oh, ow).transpose(1, 0, 2, 3)
    return cols if keep else None


def _dcols(dy, w):
    """dcols = w_matᵀ @ dy_mat (C·KH·KW, n·OH·OW) for dy (n, O, OH, OW)."""
    n, o, oh, ow = dy.shape
    dy_mat = empty((o, n, oh, ow), dy.dtype)
    dy_mat[...] = dy.transpose(1, 0, 2, 3)                            # (O, n·OH·OW)
    w_mat = w.reshape(o, -1)
    return np.matmul(w_mat.T, dy_mat.reshape(o, n * oh * ow),
                     out=empty((w_mat.shape[1], n * oh * ow), np.result_type(dy, w)))


def _add_dw(dw, dy, cols):
    """dw (O, C·KH·KW) += the weight gradient of dy (n, O, OH, OW) and cols (C·KH·KW, n·OH·OW)."""
    n, o, oh, ow = dy.shape
    ckk = cols.shape[0]
    if _per_sample_gemms(oh, ow, ckk):   # no transposed copy of dy: n (O, OH·OW) @ (OH·OW, CKK)
        dw += np.matmul(dy.reshape(n, o, oh * ow),
                        cols.reshape(ckk, n, oh * ow).transpose(1, 2, 0),
                        out=empty((n, o, ckk), dw.dtype)).sum(0)
        return
    dy_mat = empty((o, n, oh, ow), dy.dtype)
    dy_mat[...] = dy.transpose(1, 0, 2, 3)                            # (O, n·OH·OW)
    # (cols @ dy_matᵀ)ᵀ rather than dy_mat @ colsᵀ: the same product, ~15% faster in
    # OpenBLAS for these long-K shapes (measured)
    dw += (cols @ dy_mat.reshape(o, n * oh * ow).T).T


@half_via_single(keep=(1,))   # kept cols stay float32 for backward_weight
def conv2d_forward_numba(x, w, stride, padding, dilation, keep_cols=False):
    """The reference's im2col (a compiled loop) and GEMM, per batch chunk; cols kept up to
    KEEP_COLS_BYTES, and not when the batch needed several chunks."""
    n, (o, c, kh, kw) = x.shape[0], w.shape
    oh, ow = output_hw(x.shape, kh, kw, stride, padding, dilation)
    y = empty((n, o, oh, ow), np.result_type(x, w))
    chunks = _batch_chunks(n, oh * ow * c * kh * kw * x.itemsize)
    keep = (keep_cols and len(chunks) == 1
            and n * oh * ow * c * kh * kw * x.itemsize <= KEEP_COLS_BYTES)
    cols = None
    for s, e in chunks:
        cols = _forward_chunk(x[s:e], w, y[s:e], stride, padding, dilation, keep)
    return (y, cols) if keep_cols else y


@half_via_single()
def conv2d_backward_input_numba(dy, w, x_shape, stride, padding, dilation):
    """The reference's GEMM per batch chunk, then col2im as a compiled loop into dx."""
    o, c, kh, kw = w.shape
    n, _, oh, ow = dy.shape
    dx = empty(tuple(x_shape), np.result_type(dy, w))
    for s, e in _batch_chunks(n, oh * ow * c * kh * kw * dy.itemsize):
        col2im_numba(_dcols(dy[s:e], w), (e - s,) + tuple(x_shape[1:]), kh, kw, stride,
                     padding, dilation, out=dx[s:e])
    return dx


@half_via_single()
def conv2d_backward_weight_numba(dy, x, w_shape, stride, padding, dilation, cols=None):
    """The reference's GEMM, summed over batch chunks, from forward's ``cols`` (one chunk)
    or from im2col as a compiled loop."""
    o, c, kh, kw = w_shape
    n, _, oh, ow = dy.shape
    dw = zeros((o, c * kh * kw), np.result_type(dy, x if cols is None else cols))
    if cols is not None:
        _add_dw(dw, dy, cols)
    else:
        for s, e in _batch_chunks(n, oh * ow * c * kh * kw * x.itemsize):
            _add_dw(dw, dy[s:e], im2col_numba(x[s:e], kh, kw, stride, padding, dilation))
    return dw.reshape(tuple(w_shape))
