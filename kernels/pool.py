"""2-d max pooling, NCHW.

Contract (every implementation):

    max_pool2d_forward(x, kernel, stride, padding) -> (y, arg)
    max_pool2d_backward(dy, arg, x_shape, kernel, stride, padding) -> dx

    x (N, C, H, W); kernel, stride, padding: (h, w) pairs; padding counts as −∞ and is at
    most half the kernel (PyTorch's rule: every window holds an input element; the Numba
    CUDA kernel refuses more).
    OH = (H + 2·ph − KH) // sh + 1, likewise OW.
    y[n, c, i, j] = max over the window at (i·sh − ph, j·sw − pw) of size KH × KW
    arg[n, c, i, j] = p·KW + q, the offset of the FIRST maximum in that window (int8 or
    int32); a NaN counts as the maximum (it propagates to y, and dy goes to it)
    dx: dy[n, c, i, j] added at the position arg points to, nothing elsewhere

Ties go to the first maximum only (PyTorch's convention): with ties common in real images,
sending dy to every tied element would multiply the gradient.
"""
import numba
import numpy as np

from ._arrays import array_module, half_via_single
from .memory import empty, zeros

# (the Numba implementations are at the end of the file, after the NumPy reference)
_U = np.uint64    # unsigned flat index in Numba loops: no negative-index wraparound check


def output_size(size, k, stride, padding):
    return (size + 2 * padding - k) // stride + 1


def _padded(x, padding, fill):
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    return array_module(x).pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)


def _arg_dtype(kernel):
    return np.int8 if kernel[0] * kernel[1] <= 127 else np.int32


def max_pool2d_forward_numpy(x, kernel, stride, padding):
    """Reference: a running maximum over the KH·KW strided slices of x (one per window
    offset), each an (N, C, OH, OW) view; a strict ``>`` keeps the first maximum (any array
    module: it uses x's; also the CuPy implementation)."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw) = kernel, stride
    oh, ow = output_size(h, kh, sh, padding[0]), output_size(w, kw, sw, padding[1])
    xp = array_module(x)
    x_pad = _padded(x, padding, -np.inf)
    y = x_pad[:, :, 0:sh * (oh - 1) + 1:sh, 0:sw * (ow - 1) + 1:sw].copy()
    arg = zeros((n, c, oh, ow), _arg_dtype(kernel), like=x)
    for k in range(1, kh * kw):
        p, q = divmod(k, kw)
        window = x_pad[:, :, p:p + sh * (oh - 1) + 1:sh, q:q + sw * (ow - 1) + 1:sw]
        better = (window > y).view(np.int8)           # strict: the first maximum wins ties
        xp.maximum(y, window, out=y)                   # (maximum propagates NaN)
        # arg = k where better, else unchanged; arithmetic, because masked assignment
        # (arg[better] = k, copyto(where=)) is several times slower in NumPy
        arg -= better * arg
        arg += better * arg.dtype.type(k)
    nan = xp.isnan(y)
    if nan.any():   # rare: point arg at each NaN window's first NaN, so dy goes there
        for k in reversed(range(kh * kw)):
            p, q = divmod(k, kw)
            window = x_pad[:, :, p:p + sh * (oh - 1) + 1:sh, q:q + sw * (ow - 1) + 1:sw]
            arg[nan & xp.isnan(window)] = k
    return y, arg


def max_pool2d_backward_numpy(dy, arg, x_shape, kernel, stride, padding):
    """Reference: for each window offset (p, q), a strided add of dy where arg == offset
    (any array module: it uses dy's; also the CuPy implementation)."""
    n, c, h, w = x_shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    _, _, oh, ow = dy.shape
    xp = array_module(dy)
    dx = zeros((n, c, h + 2 * ph, w + 2 * pw), like=dy)
    zero = xp.zeros((), dtype=dy.dtype)
    for p in range(kh):
        for q in range(kw):
            rows = slice(p, p + sh * (oh - 1) + 1, sh)
            cols = slice(q, q + sw * (ow - 1) + 1, sw)
            # where, not dy·mask: dy is added at the maximum only (an infinite dy would
            # put inf·0 = NaN everywhere else)
            dx[:, :, rows, cols] += xp.where(arg == p * kw + q, dy, zero)
    return dx[:, :, ph:ph + h, pw:pw + w].copy()      # C order


# ---------------------------------------------------------------------------------------
# Numba: one pass per (n, c) plane, no temporaries.  Single-threaded on purpose (see
# minigrad_kernels.DEFAULTS): OpenBLAS's threads and a parallel region contend for the cores.

@numba.njit(cache=True)
def _max_pool_2x2_first_max_row(x, y, arg, plane, i, sh, sw):
    """One output row of a 2 × 2 pooling, NaN-aware: the first NaN, else the first maximum."""
    for j in range(y.shape[2]):
        best = x[plane, i * sh, j * sw]
        best_k = 0
        for k in range(1, 4):
            v = x[plane, i * sh + k // 2, j * sw + k % 2]
            if v > best or (v != v and best == best):
                best = v
                best_k = k
        y[plane, i, j] = best
        arg[plane, i, j] = best_k


@numba.njit(cache=True, boundscheck=False)
def _max_pool_2x2_planes(x, y, arg, sh, sw):
    """x (P, H, W) planes → y, arg (P, OH, OW), C-contiguous, for 2 × 2 windows without
    padding (every window inside the plane).  The four comparisons are unrolled, which lets
    LLVM turn them into selects (a loop over a window of run-time size compiles to
    unpredictable branches: measured 3-4× slower than NumPy's vectorised passes), on flat
    views with unsigned indices (no wraparound checks: 2.5-3.5× faster than 3-d indexing,
    measured on 64×32×26×26).  Plain ``>`` ignores NaN, so each row also ORs a NaN test of
    its inputs (an OR, unlike a float sum, vectorises: 1.6× faster than summing them) and
    is redone NaN-aware when it found one (rare)."""
    planes, h, w = x.shape
    oh, ow = y.shape[1], y.shape[2]
    xf, yf, argf = x.reshape(-1), y.reshape(-1), arg.reshape(-1)
    for plane in range(planes):
        for i in range(oh):
            top = (plane * h + i * sh) * w            # first input row of the windows
            out = (plane * oh + i) * ow
            if sw == 2:       # the constant stride lets LLVM vectorise (no gathers)
                nan = _max_pool_2x2_row(xf, yf, argf, top, top + w, out, ow, 2)
            else:
                nan = _max_pool_2x2_row(xf, yf, argf, top, top + w, out, ow, sw)
            if nan:
                _max_pool_2x2_first_max_row(x, y, arg, plane, i, sh, sw)


@numba.njit(inline="always")
def _max_pool_2x2_row(xf, yf, argf, top, bottom, out, ow, sw):
    """One output row from input rows ``top`` and ``bottom`` (flat offsets); True if an
    input was NaN."""
    nan = False
    for j in range(ow):
        s = j * sw
        a, b = xf[_U(top + s)], xf[_U(top + s + 1)]
        c, d = xf[_U(bottom + s)], xf[_U(bottom + s + 1)]
        nan |= (a != a) | (b != b) | (c != c) | (d != d)
        best, best_k = a, 0          # strict >: the first maximum wins ties
        if b > best:
            best, best_k = b, 1
        if c > best:
            best, best_k = c, 2
        if d > best:
            best, best_k = d, 3
        yf[_U(out + j)] = best
        argf[_U(out + j)] = best_k
    return nan


@numba.njit(cache=True)
def _max_pool_backward_planes(dy, arg, dx, kw, sh, sw, ph, pw):
    """dy, arg (P, OH, OW) → dx (P, H, W) (overwritten)."""
    planes, oh, ow = dy.shape
    for plane in range(planes):
        dys, args, dxs = dy[plane], arg[plane], dx[plane]
        dxs[:] = 0               # dx arrives uninitialised: one pass, no separate zeroing
        for i in range(oh):
            for j in range(ow):
                k = args[i, j]
                dxs[i * sh + k // kw - ph, j * sw + k % kw - pw] += dys[i, j]


@numba.njit(cache=True, boundscheck=False)
def _max_pool_2x2_tiled_backward_planes(dy, arg, dx, planes, oh, ow, h, w, zero):
    """dy, arg (P·OH·OW,) → dx (P·H·W,), flat C-order views, for 2 × 2 windows with stride
    2 and no padding: the windows tile dx, so each element is written once (dy or 0), with
    no zeroing pass and no read-modify-write; a last odd row or column, outside every
    window, gets 0.  dx is written one row at a time (row 2i from offsets 0 and 1 of the
    windows, then row 2i + 1 from offsets 2 and 3): two sequential streams instead of four
    interleaved stores, with unsigned flat indices (no wraparound checks): 2.3× faster than
    the 2-D loop (measured on 64×32×24×24).  ``zero`` is dx's 0 (not g·0, which is NaN for
    an infinite g)."""
    for plane in range(planes):
        for i in range(oh):
            src = (plane * oh + i) * ow
            for half in range(2):
                row = (plane * h + 2 * i + half) * w
                first = 2 * half
                for j in range(ow):
                    g = dy[_U(src + j)]
                    k = arg[_U(src + j)]
                    dx[_U(row + 2 * j)] = g if k == first else zero
                    dx[_U(row + 2 * j + 1)] = g if k == first + 1 else zero
                for s in range(2 * ow, w):
                    dx[_U(row + s)] = zero
        for r in range(2 * oh, h):
            for s in range(w):
                dx[_U((plane * h + r) * w + s)] = zero


@half_via_single()
def max_pool2d_forward_numba(x, kernel, stride, padding):
    """Numba for 2 × 2 windows without padding (nn.MaxPool2d(2), by far the common case;
    3× faster than the NumPy reference, measured); any other geometry runs the NumPy
    reference, whose KH·KW vectorised passes beat a generic compiled loop."""
    if tuple(kernel) != (2, 2) or tuple(padding) != (0, 0):
        return max_pool2d_forward_numpy(x, kernel, stride, padding)
    n, c, h, w = x.shape
    (sh, sw) = stride
    oh, ow = output_size(h, 2, sh, 0), output_size(w, 2, sw, 0)
    y = empty((n, c, oh, ow), x.dtype)
    arg = empty((n, c, oh, ow), _arg_dtype(kernel))
    _max_pool_2x2_planes(np.ascontiguousarray(x).reshape(n * c, h, w),
                         y.reshape(n * c, oh, ow), arg.reshape(n * c, oh, ow), sh, sw)
    return y, arg


@half_via_single()
def max_pool2d_backward_numba(dy, arg, x_shape, kernel, stride, padding):
    """Numba: each dy element added once at its window's first maximum (for tiling 2 × 2
    windows, stride 2, no padding: each dx element written once)."""
    n, c, h, w = x_shape
    (_, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = dy.shape[2], dy.shape[3]
    dx = empty(x_shape, dy.dtype)
    if tuple(kernel) == (2, 2) and tuple(stride) == (2, 2) and tuple(padding) == (0, 0):
        _max_pool_2x2_tiled_backward_planes(
            np.ascontiguousarray(dy).reshape(-1), np.ascontiguousarray(arg).reshape(-1),
            dx.reshape(-1), n * c, oh, ow, h, w, dx.dtype.type(0))
    else:
        planes = (np.ascontiguousarray(dy).reshape(n * c, oh, ow),
                  np.ascontiguousarray(arg).reshape(n * c, oh, ow), dx.reshape(n * c, h, w))
        _max_pool_backward_planes(*planes, kw, sh, sw, ph, pw)
    return dx

