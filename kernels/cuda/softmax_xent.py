"""Fused softmax + cross-entropy in Numba CUDA: one block per row, numerically stable.

Contract (minigrad_kernels.softmax_xent):
    softmax_xent(logits, target) -> (loss, probs)
    softmax_xent_backward(probs, target, dloss) -> dlogits

Forward, per row z (K logits) and one block of T threads:
1. each thread walks k = tid, tid + T, … keeping an online (max m, Σ e^(z − m)) pair: a new
   maximum rescales the sum by e^(m_old − m_new), so z is read once for both;
2. the T pairs are combined in shared memory by a tree reduction (pairs (m₁, s₁), (m₂, s₂)
   → (m, s₁e^(m₁−m) + s₂e^(m₂−m)) with m = max(m₁, m₂)); with probability targets Σt is
   reduced alongside;
3. a second pass writes probs = e^(z − m) / s and, for probability targets, reduces
   Σ t·(z − m); loss = log s − (z[t] − m) (index) or log s · Σt − Σ t·(z − m).
z is read twice and probs written once.  Reductions use shared memory and barriers only (no
warp shuffles: the simulator has none).  All constants are of the logits' dtype, so a float32
kernel has no float64 instruction (checked on its PTX).
"""
import functools
import math

import numpy as np
from numba import cuda, types

from ..memory import empty
from ._launch import SIMULATOR, launch, numba_type

DEFAULT_THREADS = 256
SIMULATOR_THREADS = 8


def _check_threads(threads):
    if threads < 1 or threads & (threads - 1):
        raise ValueError(f"softmax_xent: threads per block must be a power of two, got "
                         f"{threads}")


@functools.lru_cache(maxsize=None)
def forward_kernel(threads, dtype, index_target):
    """The forward kernel for ``threads`` per block (a power of two), one dtype and one kind
    of target (class indices or probabilities)."""
    _check_threads(threads)
    scalar = numba_type(np.dtype(dtype))
    typ = np.dtype(dtype).type
    zero, one, neg_inf = typ(0), typ(1), typ(-np.inf)

    @cuda.jit
    def xent_forward(logits, target, loss, probs):
        row = cuda.blockIdx.x
        tid = cuda.threadIdx.x
        k_size = logits.shape[1]
        sh_m = cuda.shared.array(threads, scalar)
        sh_s = cuda.shared.array(threads, scalar)
        sh_t = cuda.shared.array(threads, scalar)
        m, s, t_sum = neg_inf, zero, zero
        for k in range(tid, k_size, threads):          # pass 1: online max and sum
            z = logits[row, k]
            if z > m:
                s = s * math.exp(m - z) + one
                m = z
            elif m > neg_inf:
                s += math.exp(z - m)
            elif z != z:        # NaN while m is still −inf (it compares false): keep it in s
                s = z
            if not index_target:
                t_sum += target[row, k]
        sh_m[tid], sh_s[tid], sh_t[tid] = m, s, t_sum
        cuda.syncthreads()
        half = threads // 2
        while half > 0:
            if tid < half:
                # combine two parts; an empty part (s = 0) leaves the other unchanged.  Inline:
                # a device function would need a driver to compile for the PTX check.
                m1, s1 = sh_m[tid], sh_s[tid]
                m2, s2 = sh_m[tid + half], sh_s[tid + half]
                if s1 == zero:
                    sh_m[tid], sh_s[tid] = m2, s2
                elif s2 != zero:
                    m = max(m1, m2)
                    sh_m[tid], sh_s[tid] = m, s1 * math.exp(m1 - m) + s2 * math.exp(m2 - m)
                sh_t[tid] += sh_t[tid + half]
            cuda.syncthreads()
            half //= 2
        m, s, t_sum = sh_m[0], sh_s[0], sh_t[0]
        cuda.syncthreads()                              # everyone has read sh_*[0]
        inv = one / s
        picked = zero
        for k in range(tid, k_size, threads):          # pass 2: probabilities
            shifted = logits[row, k] - m
            probs[row, k] = math.exp(shifted) * inv
            if not index_target:
                picked += target[row, k] * shifted
        if index_target:
            if tid == 0:
                loss[row] = math.log(s) - (logits[row, target[row]] - m)
        else:
            sh_t[tid] = picked
            cuda.syncthreads()
            half = threads // 2
            while half > 0:
                if tid < half:
                    sh_t[tid] += sh_t[tid + half]
                cuda.syncthreads()
                half //= 2
            if tid == 0:
                loss[row] = math.log(s) * t_sum - sh_t[0]

    return xent_forward


@functools.lru_cache(maxsize=None)
def backward_kernel(threads, dtype, index_target):
    """The backward kernel, parametrised as :func:`forward_kernel`."""
    _check_threads(threads)
    scalar = numba_type(np.dtype(dtype))
    typ = np.dtype(dtype).type
    zero, one = typ(0), typ(1)

    @cuda.jit
    def xent_backward(probs, target, dloss, dlogits):
        """dlogits[n, k] = dloss[n] · (probs[n, k] · Σt − t[n, k]), one block per row."""
        row = cuda.blockIdx.x
        tid = cuda.threadIdx.x
        k_size = probs.shape[1]
        scale = dloss[row]
        if index_target:
            label = target[row]
            for k in range(tid, k_size, threads):
                hit = one if k == label else zero
                dlogits[row, k] = scale * (probs[row, k] - hit)
        else:
            sh_t = cuda.shared.array(threads, scalar)
            t_sum = zero
            for k in range(tid, k_size, threads):
                t_sum += target[row, k]
            sh_t[tid] = t_sum
            cuda.syncthreads()
            half = threads // 2
            while half > 0:
                if tid < half:
                    sh_t[tid] += sh_t[tid + half]
                cuda.syncthreads()
                half //= 2
            t_sum = sh_t[0]
            for k in range(tid, k_size, threads):
                dlogits[row, k] = scale * (probs[row, k] * t_sum - target[row, k])

    return xent_backward


def _threads(threads):
    return threads or (SIMULATOR_THREADS if SIMULATOR else DEFAULT_THREADS)


def softmax_xent_numba_cuda(logits, target, threads=None):
    """Fused forward (see the module docstring); ``threads`` per block (a power of two)."""
    threads = _threads(threads)
    n, k = logits.shape
    loss = empty((n,), like=logits)
    probs = empty((n, k), like=logits)
    if n == 0:
        return loss, probs
    index_target = target.ndim == 1
    if not index_target:
        target = target.astype(logits.dtype, copy=False)
    kernel = forward_kernel(threads, logits.dtype.str, index_target)
    launch(kernel, n, threads, logits, logits, target, loss, probs)
    return loss, probs


def softmax_xent_backward_numba_cuda(probs, target, dloss, threads=None):
    """Fused backward: dlogits = dloss · (probs · Σt − t), one block per row."""
    threads = _threads(threads)
    n, k = probs.shape
    dlogits = empty((n, k), like=probs)
    if n == 0:
        return dlogits
    index_target = target.ndim == 1
    if not index_target:
        target = target.astype(probs.dtype, copy=False)
    kernel = backward_kernel(threads, probs.dtype.str, index_target)
    launch(kernel, n, threads, probs, probs, target, dloss.astype(probs.dtype, copy=False),
           dlogits)
    return dlogits


def kernel_signatures(dtype):
    """(name, kernel, argument types) for ``dtype`` and both kinds of target (PTX check)."""
    scalar = numba_type(np.dtype(dtype))
    rows, vec = types.Array(scalar, 2, "C"), types.Array(scalar, 1, "C")
    index = types.Array(types.int64, 1, "C")
    out = []
    for index_target, target in ((True, index), (False, rows)):
        kind = "index" if index_target else "probs"
        out.append((f"forward_{kind}", forward_kernel(DEFAULT_THREADS, np.dtype(dtype).str,
                                                      index_target), (rows, target, vec, rows)))
        out.append((f"backward_{kind}", backward_kernel(DEFAULT_THREADS, np.dtype(dtype).str,
                                                        index_target), (rows, target, vec, rows)))
    return out
