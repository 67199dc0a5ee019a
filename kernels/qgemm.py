"""Integer matrix product of int8 operands with int32 accumulation (quantised Linear/Conv2d).

Contract (every implementation):  qgemm(a, b) -> c

    a: (M, K) int8      b: (K, N) int8 (any strides: a Linear passes its weight's transpose)
    c: (M, N) int32,    c[m, n] = Σ_k a[m, k] · b[k, n]      (exact integer arithmetic)

Every implementation gives the same bits: the products are at most 128² = 2¹⁴ in magnitude,
so c is exact in int32 while K ≤ 2³¹ / 2¹⁴ = 131072 (checked by the caller).  The caller
requantises: y = s_a · s_b · (c − z_a · Σ_k b[k, n]) + bias.

Implementations:

* ``qgemm_numpy``: the reference, NumPy's integer matmul on int32 copies (no BLAS: slow).
* ``qgemm_sgemm``: the operands cast to float32 and multiplied by SGEMM (BLAS), K split into
  chunks of at most 1024.  Exact: every partial sum of a chunk is an integer of magnitude
  ≤ 1024 · 2¹⁴ = 2²⁴, and float32 represents every integer up to 2²⁴ exactly, so no
  rounding happens in any order of summation; the chunks are added in int32.
* ``qgemm_numba``: a Numba loop accumulating in int32 (single-threaded, like the other Numba
  kernels; b transposed once so the inner loop reads both operands contiguously).
"""
import numpy as np

from ._arrays import array_module

# 2**24 / 128**2: the longest K whose float32 partial sums of int8 products are all exact
SGEMM_EXACT_K = 1024


def qgemm_numpy(a, b):
    """Reference: c = a · b in int32, written as the definition."""
    xp = array_module(a)
    return xp.matmul(a.astype(xp.int32), b.astype(xp.int32))


def qgemm_sgemm(a, b):
    """float32 SGEMM on chunks of K ≤ 1024 (exact, see the module docstring), summed in
    int32."""
    xp = array_module(a)
    K = a.shape[1]
    af = a.astype(xp.float32)
    bf = b.astype(xp.float32)
    if K <= SGEMM_EXACT_K:
        return xp.matmul(af, bf).astype(xp.int32)
    c = xp.zeros((a.shape[0], b.shape[1]), dtype=xp.int32)
    for k0 in range(0, K, SGEMM_EXACT_K):
        c += xp.matmul(af[:, k0:k0 + SGEMM_EXACT_K], bf[k0:k0 + SGEMM_EXACT_K]).astype(xp.int32)
    return c


_numba_loop = None


def _compile():
    global _numba_loop
    if _numba_loop is None:
        import numba

        @numba.njit(cache=True, nogil=True)
        def loop(a, bt, c):
            M, K = a.shape
            N = bt.shape[0]
            for m in range(M):
                for n in range(N):
                    acc = np.int32(0)
                    for k in range(K):
                        acc += np.int32(a[m, k]) * np.int32(bt[n, k])
                    c[m, n] = acc
        _numba_loop = loop
    return _numba_loop


def qgemm_numba(a, b):
    """int32 accumulation in a compiled loop over contiguous rows of a and of bᵀ."""
    c = np.empty((a.shape[0], b.shape[1]), dtype=np.int32)
    _compile()(np.ascontiguousarray(a), np.ascontiguousarray(b.T), c)
    return c
