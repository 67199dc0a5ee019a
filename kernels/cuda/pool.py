"""2-d max pooling in Numba CUDA, one thread per output (forward) or per input (backward).

Contract (minigrad_kernels.pool):
    max_pool2d_forward(x, kernel, stride, padding) -> (y, arg)
    max_pool2d_backward(dy, arg, x_shape, kernel, stride, padding) -> dx

Forward: each thread scans its window clipped to the input (padding is −∞ and never wins),
keeping the FIRST maximum (strict >) and letting the first NaN win, as the reference does.
Backward gathers instead of scattering: the thread of dx[n, c, h, w] visits the outputs
whose window covers (h, w) and adds dy where arg points at (h, w) — no atomics, each dx
element written once, in any order of windows.
"""
import functools

import numpy as np
from numba import cuda, types

from ..memory import empty
from ..pool import _arg_dtype, output_size
from ._launch import SIMULATOR, blocks_for, launch, numba_type

DEFAULT_THREADS = 256
SIMULATOR_THREADS = 32
MAX_BLOCKS = 65535 * 16


@functools.lru_cache(maxsize=None)
def kernels(dtype):
    """(forward, backward) kernels for one dtype (their zero is of that dtype)."""
    zero = np.dtype(dtype).type(0)

    @cuda.jit
    def pool_forward(x, y, arg, kh, kw, sh, sw, ph, pw):
        n_size, c_size, h_size, w_size = x.shape
        oh, ow = y.shape[2], y.shape[3]
        total = n_size * c_size * oh * ow
        for e in range(cuda.grid(1), total, cuda.gridsize(1)):
            nc, ij = e // (oh * ow), e % (oh * ow)
            n, c = nc // c_size, nc % c_size
            i, j = ij // ow, ij % ow
            r0, s0 = i * sh - ph, j * sw - pw
            p_lo, p_hi = max(0, -r0), min(kh, h_size - r0)
            q_lo, q_hi = max(0, -s0), min(kw, w_size - s0)
            best = x[n, c, r0 + p_lo, s0 + q_lo]
            best_k = p_lo * kw + q_lo
            for p in range(p_lo, p_hi):
                for q in range(q_lo, q_hi):
                    v = x[n, c, r0 + p, s0 + q]
                    # strict: the first maximum wins ties; the first NaN wins everything
                    if v > best or (v != v and best == best):
                        best = v
                        best_k = p * kw + q
            y[n, c, i, j] = best
            arg[n, c, i, j] = best_k

    @cuda.jit
    def pool_backward(dy, arg, dx, kh, kw, sh, sw, ph, pw):
        n_size, c_size, h_size, w_size = dx.shape
        oh, ow = dy.shape[2], dy.shape[3]
        plane = h_size * w_size
        total = n_size * c_size * plane
        for e in range(cuda.grid(1), total, cuda.gridsize(1)):
            nc, hw = e // plane, e % plane
            n, c = nc // c_size, nc % c_size
            r, s = hw // w_size + ph, hw % w_size + pw      # position in the padded input
            # windows i with i·sh ≤ r < i·sh + KH, likewise j
            i_lo, i_hi = max(0, (r - kh) // sh + 1), min(oh, r // sh + 1)
            j_lo, j_hi = max(0, (s - kw) // sw + 1), min(ow, s // sw + 1)
            acc = zero
            for i in range(i_lo, i_hi):
                for j in range(j_lo, j_hi):
                    if arg[n, c, i, j] == (r - i * sh) * kw + (s - j * sw):
                        acc += dy[n, c, i, j]
            dx[n, c, hw // w_size, hw % w_size] = acc

    return pool_forward, pool_backward


def _grid(total, threads):
    threads = threads or (SIMULATOR_THREADS if SIMULATOR else DEFAULT_THREADS)
    return min(blocks_for(total, threads), MAX_BLOCKS), threads


def _check_padding(kernel, padding):
    """Each window must hold an input element (the kernels read its first one): padding at
    most half the kernel, PyTorch's rule, which F.max_pool2d enforces before any kernel."""
    if any(2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"max_pool2d: padding {tuple(padding)} must be at most half the "
                         f"kernel {tuple(kernel)}: a wider one makes windows with no input")


def max_pool2d_forward_numba_cuda(x, kernel, stride, padding, threads=None):
    """One thread per output element (see the module docstring)."""
    _check_padding(kernel, padding)
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = output_size(h, kh, sh, ph), output_size(w, kw, sw, pw)
    y = empty((n, c, oh, ow), like=x)
    arg = empty((n, c, oh, ow), _arg_dtype(kernel), like=x)
    if y.size:
        blocks, threads = _grid(y.size, threads)
        launch(kernels(x.dtype.str)[0], blocks, threads, x, x, y, arg, kh, kw, sh, sw, ph, pw)
    return y, arg


def max_pool2d_backward_numba_cuda(dy, arg, x_shape, kernel, stride, padding, threads=None):
    """One thread per input element, gathering from the windows that cover it."""
    _check_padding(kernel, padding)
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    dx = empty(tuple(x_shape), like=dy)
    if dx.size:
        blocks, threads = _grid(dx.size, threads)
        launch(kernels(dy.dtype.str)[1], blocks, threads, dy, dy, arg, dx, kh, kw, sh, sw,
               ph, pw)
    return dx


def kernel_signatures(dtype):
    """(name, kernel, argument types) for ``dtype`` and both argmax dtypes (PTX check)."""
    scalar = numba_type(np.dtype(dtype))
    forward, backward = kernels(np.dtype(dtype).str)
    x4 = types.Array(scalar, 4, "C")
    out = []
    for arg_dtype in (types.int8, types.int32):
        arg = types.Array(arg_dtype, 4, "C")
        ints = (types.int64,) * 6
        out.append((f"forward_{arg_dtype}", forward, (x4, x4, arg) + ints))
        out.append((f"backward_{arg_dtype}", backward, (x4, arg, x4) + ints))
    return out
