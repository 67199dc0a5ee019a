"""Whole quantised layers (int8 Linear and Conv2d, minigrad.quantization): float32 input in,
float32 output out, the int8 product and everything around it in one call.

Contract (every implementation):

    qlayer_linear(x, w_q, w_scale, bias, x_scale, x_zero_point, relu) -> y
    qlayer_conv2d(x, w_q, w_scale, bias, x_scale, x_zero_point, stride, padding, dilation,
                  relu) -> y

    x:  (M, K) float32, or (N, C, H, W) float32 for the convolution
    w_q: (O, K) int8, or (O, C, KH, KW) int8, values in [−127, 127]; w_scale (O,) float32
    bias: (O,) float32 or None; x_scale: float32 > 0; x_zero_point: int in [−128, 127]
    stride, padding, dilation: (h, w) pairs of ints; relu: bool
    y:  (M, O), or (N, O, OH, OW) float32 (NCHW, OH and OW as in conv2d.py)

computed exactly as (``round`` half to even; the convolution on the im2col matrix of x_q
padded with z, which is the exact 0, so K = C·KH·KW):

    x_q[m, k] = clamp(round(x[m, k] / s_x) + z, −128, 127)                        (int8)
    acc[m, o] = Σ_k x_q[m, k] · w_q[o, k] − z · Σ_k w_q[o, k]                    (int32, exact)
    y[m, o]   = float32(acc[m, o]) · float32(s_x · s_w[o]) + b[o],   then max(·, 0) if relu

every operation in float32 in that order, so every implementation gives the same bits: the
integer part is exact, and the float32 steps are the same IEEE operations.  K ≤ 65536 (the
caller checks): |acc| < 2³¹.

Implementations:

* ``*_numpy``: the reference, written as the definition: quantise, pad, im2col (strided
  view), ``qgemm_numpy`` (NumPy's integer matmul), subtract z·Σw, rescale, bias, ReLU, NCHW.
* ``*_numba``: the same result in three passes over memory instead of about ten:
  (1) the input quantised into float32 (exact small integers) in one flat compiled pass
  (copied into a z-bordered buffer when the convolution pads), which the float
  convolution's im2col loop (conv2d.py) turns into the (C·KH·KW, N·OH·OW) matrix;
  (2) float32 SGEMM with the weight as float32, exact while K ≤ 1024, every partial sum an
  integer below 2²⁴ (``SGEMM_EXACT_K``, as ``qgemm_sgemm``; beyond, K in chunks summed in
  int32), per sample straight into the NCHW output where the convolution has few patch
  rows (as conv2d.py does), else per group of samples whose product fits in
  ``EPILOGUE_BYTES``; (3) one compiled epilogue, reading the product from the cache:
  float32 accumulator → int32 − z·Σw → float32 · scale + bias → ReLU, in place, or from
  the (O, samples, OH·OW) product into NCHW.  No int32 or int8 matrix is materialised.
  Single-threaded, like the other Numba kernels.
"""
import numba
import numpy as np

from .conv2d import _batch_chunks, im2col_numba, output_hw
from .memory import empty
from .qgemm import SGEMM_EXACT_K, qgemm_numpy

# The fused convolution runs its GEMM on as many samples at a time as give a product of at
# most this size, so that the epilogue reads it from the cache rather than from memory.
EPILOGUE_BYTES = 512 * 1024

# -- the reference ---------------------------------------------------------------------------


def _quantize_numpy(x, scale, zero_point):
    q = np.rint(x.astype(np.float32, copy=False) / np.float32(scale)) + zero_point
    return np.clip(q, -128, 127).astype(np.int8)


def _epilogue_numpy(acc, w2d, w_scale, bias, x_scale, zero_point, relu):
    """(M, O) int32 product → float32 output: the definition's last two lines."""
    acc = acc - np.int32(zero_point) * w2d.sum(axis=1, dtype=np.int32)
    y = acc.astype(np.float32) * (np.float32(x_scale) * w_scale).astype(np.float32)
    if bias is not None:
        y += bias
    if relu:
        np.maximum(y, 0, out=y)
    return y


def qlayer_linear_numpy(x, w_q, w_scale, bias, x_scale, x_zero_point, relu):
    """Reference: quantise x, int32 product by ``qgemm_numpy``, rescale, bias, ReLU."""
    x_q = _quantize_numpy(x, x_scale, x_zero_point)
    acc = qgemm_numpy(x_q, w_q.T)
    return _epilogue_numpy(acc, w_q, w_scale, bias, x_scale, x_zero_point, relu)


def qlayer_conv2d_numpy(x, w_q, w_scale, bias, x_scale, x_zero_point, stride, padding,
                        dilation, relu):
    """Reference: quantise x, pad with z, im2col (N·OH·OW, C·KH·KW) as a strided view, the
    Linear reference on it, back to NCHW."""
    n, c, h, w = x.shape
    o, _, kh, kw = w_q.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    oh, ow = output_hw(x.shape, kh, kw, stride, padding, dilation)
    x_q = _quantize_numpy(x, x_scale, x_zero_point)
    xp = np.pad(x_q, ((0, 0), (0, 0), (ph, ph), (pw, pw)),
                constant_values=np.int8(x_zero_point))
    s = xp.strides
    cols = np.lib.stride_tricks.as_strided(
        xp, (n, oh, ow, c, kh, kw), (s[0], s[2] * sh, s[3] * sw, s[1], s[2] * dh, s[3] * dw))
    cols = np.ascontiguousarray(cols).reshape(n * oh * ow, c * kh * kw)
    w2d = w_q.reshape(o, -1)
    y = _epilogue_numpy(qgemm_numpy(cols, w2d.T), w2d, w_scale, bias, x_scale,
                        x_zero_point, relu)
    return np.ascontiguousarray(y.reshape(n, oh, ow, o).transpose(0, 3, 1, 2))


# -- the fused implementation ----------------------------------------------------------------


@numba.njit(cache=True, boundscheck=False)
def _quantize_into(x, out, scale, zero_point):
    """out ← clamp(round(x / s) + z, −128, 127) as float32, elementwise; x and out
    C-contiguous of the same size (a flat loop, which the compiler vectorises)."""
    s = np.float32(scale)
    z = np.float32(zero_point)
    lo, hi = np.float32(-128.0), np.float32(127.0)
    xf = x.reshape(-1)
    of = out.reshape(-1)
    for i in range(xf.size):
        q = np.rint(xf[i] / s) + z
        of[i] = lo if q < lo else (hi if q > hi else q)


def _quantize_padded(x, scale, zero_point, ph, pw):
    """x (N, C, H, W) quantised (float32) into (N, C, H + 2ph, W + 2pw), border z."""
    n, c, h, w = x.shape
    if ph == 0 and pw == 0:
        out = empty(x.shape, np.float32)
        _quantize_into(x, out, scale, zero_point)
        return out
    inner = empty(x.shape, np.float32)
    _quantize_into(x, inner, scale, zero_point)
    out = empty((n, c, h + 2 * ph, w + 2 * pw), np.float32)
    out.fill(np.float32(zero_point))
    out[:, :, ph:ph + h, pw:pw + w] = inner
    return out


@numba.njit(cache=True, inline="always")
def _rescale(v, zs, sc, b, has_bias, relu):
    """float32(int32(v) − zs) · sc + b, then ReLU: one output of the epilogue."""
    out = np.float32(np.int32(v) - zs) * sc
    if has_bias:
        out = out + b
    if relu and out < np.float32(0.0):
        out = np.float32(0.0)
    return out


@numba.njit(cache=True, boundscheck=False)
def _epilogue(acc, y, zsum, scale, bias, has_bias, relu):
    """y[a, o, p] ← float32(int32(acc[o, a, p]) − zsum[o]) · scale[o] + bias[o], then ReLU:
    the (O, A, P) product of one GEMM (float32 holding exact integers, or int32) written
    as NCHW, y (A, O, P); both C-contiguous."""
    o_n, a_n, p_n = acc.shape
    for a in range(a_n):
        for o in range(o_n):
            sc, b, zs = scale[o], bias[o], zsum[o]
            for p in range(p_n):
                y[a, o, p] = _rescale(acc[o, a, p], zs, sc, b, has_bias, relu)


@numba.njit(cache=True, boundscheck=False)
def _epilogue_inplace(y, zsum, scale, bias, has_bias, relu):
    """The same epilogue in place on y (A, O, P) C-contiguous (float32, exact integers).
    (Not ``_epilogue(y.transpose(1, 0, 2), y)``: on that strided view Numba's loop ran
    2.2× slower on seed000's first convolution, measured.)"""
    a_n, o_n, p_n = y.shape
    for a in range(a_n):
        for o in range(o_n):
            sc, b, zs = scale[o], bias[o], zsum[o]
            for p in range(p_n):
                y[a, o, p] = _rescale(y[a, o, p], zs, sc, b, has_bias, relu)


def _scales(w2d, w_scale, bias, x_scale, zero_point):
    zsum = np.int32(zero_point) * w2d.sum(axis=1, dtype=np.int32)
    scale = (np.float32(x_scale) * w_scale).astype(np.float32)
    has_bias = bias is not None
    b = bias.astype(np.float32, copy=False) if has_bias else scale   # unused when no bias
    return zsum, scale, b, has_bias


def _product(xf, wf, out_shape):
    """xf (M, K) float32 @ wf (K, O) float32 → exact integer products: float32 (M, O) when
    K ≤ SGEMM_EXACT_K, else int32 summed over chunks of K."""
    k = xf.shape[1]
    if k <= SGEMM_EXACT_K:
        return np.matmul(xf, wf, out=empty(out_shape, np.float32))
    acc = np.zeros(out_shape, np.int32)
    for k0 in range(0, k, SGEMM_EXACT_K):
        acc += np.matmul(xf[:, k0:k0 + SGEMM_EXACT_K], wf[k0:k0 + SGEMM_EXACT_K]).astype(
            np.int32)
    return acc


def qlayer_linear_numba(x, w_q, w_scale, bias, x_scale, x_zero_point, relu):
    """Quantise in one pass, float32 SGEMM (exact), one fused epilogue in place."""
    m, k = x.shape
    o = w_q.shape[0]
    zsum, scale, b, has_bias = _scales(w_q, w_scale, bias, x_scale, x_zero_point)
    xf = empty((m, k), np.float32)
    _quantize_into(np.ascontiguousarray(x, dtype=np.float32), xf, np.float32(x_scale),
                   x_zero_point)
    acc = _product(xf, w_q.T.astype(np.float32), (m, o))
    y = acc if acc.dtype == np.float32 else empty((m, o), np.float32)    # in place
    _epilogue_rows(acc, y, zsum, scale, b, has_bias, relu)
    return y


@numba.njit(cache=True, boundscheck=False)
def _epilogue_rows(acc, y, zsum, scale, bias, has_bias, relu):
    """y[m, o] ← the epilogue of acc[m, o] (channel last; in place allowed)."""
    for m in range(acc.shape[0]):
        for o in range(acc.shape[1]):
            y[m, o] = _rescale(acc[m, o], zsum[o], scale[o], bias[o], has_bias, relu)


def qlayer_conv2d_numba(x, w_q, w_scale, bias, x_scale, x_zero_point, stride, padding,
                        dilation, relu):
    """Quantise into a padded float32 buffer, im2col (conv2d.py's loop), SGEMM per batch
    chunk (per sample into NCHW when the patch rows are few), one fused epilogue."""
    n, c, h, w = x.shape
    o, _, kh, kw = w_q.shape
    (ph, pw) = padding
    oh, ow = output_hw(x.shape, kh, kw, stride, padding, dilation)
    w2d = w_q.reshape(o, -1)
    ckk = w2d.shape[1]
    zsum, scale, b, has_bias = _scales(w2d, w_scale, bias, x_scale, x_zero_point)
    wf = w2d.astype(np.float32)
    x = np.ascontiguousarray(x, dtype=np.float32)
    y = empty((n, o, oh, ow), np.float32)
    p_n = oh * ow
    per_sample = ckk <= p_n and ckk <= SGEMM_EXACT_K
    # samples per GEMM: its (O, samples·OH·OW) result stays in the cache for the epilogue
    step = max(1, EPILOGUE_BYTES // (4 * o * p_n))
    for s, e in _batch_chunks(n, p_n * ckk * 4):
        xq = _quantize_padded(x[s:e], np.float32(x_scale), x_zero_point, ph, pw)
        cols = im2col_numba(xq, kh, kw, stride, (0, 0), dilation)     # (CKK, n·OH·OW)
        del xq
        for s2 in range(0, e - s, step):
            e2 = min(s2 + step, e - s)
            yc = y[s + s2:s + e2].reshape(e2 - s2, o, p_n)
            part = cols[:, s2 * p_n:e2 * p_n]
            if per_sample:   # each sample's (O, OH·OW) product written into y, in place
                np.matmul(wf, part.reshape(ckk, e2 - s2, p_n).transpose(1, 0, 2), out=yc)
                _epilogue_inplace(yc, zsum, scale, b, has_bias, relu)
            else:            # one (O, samples·OH·OW) product, written as NCHW
                acc = _product(wf, part, (o, (e2 - s2) * p_n))
                _epilogue(acc.reshape(o, e2 - s2, p_n), yc, zsum, scale, b, has_bias, relu)
    return y
