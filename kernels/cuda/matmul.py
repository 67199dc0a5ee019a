"""Matrix product as a tiled, register-blocked GEMM in Numba CUDA (float32 and float64).

Contract: ``matmul(a, b) -> c`` with NumPy's matmul rules (minigrad_kernels.matmul).

One block computes a BM × BN tile of c for one batch entry.  The K axis is walked in steps of
BK: the block's threads copy an A tile (BM × BK) and a B tile (BK × BN) into shared memory,
synchronise, and each thread accumulates a TM × TN patch of c in registers from them —
TM + TN shared loads feed TM·TN multiply-adds, which is what makes a GEMM compute-bound
rather than shared-memory-bound.  A thread's rows are ty, ty + BM/TM, … and its columns
tx, tx + BN/TN, … (strided, not contiguous): neighbouring threads then read neighbouring
shared-memory words (no bank conflicts) and write neighbouring elements of c (coalesced).
Ragged edges: tiles are zero-filled past M, N or K, and stores past M or N are skipped.
"""
import functools

import numpy as np
from numba import cuda, types

from ..memory import empty
from ._launch import SIMULATOR, launch, numba_type

# (BM, BN, BK, TM, TN): 256 threads, 8×8 outputs each; under the simulator 16 threads
DEFAULT_TILES = (128, 128, 8, 8, 8)
SIMULATOR_TILES = (8, 8, 4, 2, 2)
MAX_GRID_YZ = 65535       # CUDA's limit on a grid's y and z dimensions


@functools.lru_cache(maxsize=None)
def gemm_kernel(bm, bn, bk, tm, tn, dtype):
    """The GEMM kernel for one tile configuration and dtype (compiled on first launch)."""
    if bm % tm or bn % tn:
        raise ValueError(f"matmul: tile {bm}×{bn} is not a multiple of the per-thread "
                         f"patch {tm}×{tn}")
    ty_count, tx_count = bm // tm, bn // tn
    threads = ty_count * tx_count
    scalar = numba_type(np.dtype(dtype))
    zero = np.dtype(dtype).type(0)

    @cuda.jit
    def gemm(a, b, c, y0, z0):
        """c[z] = a[z or 0] @ b[z or 0];  a (Ba, M, K), b (Bb, K, N), c (B, M, N); this
        launch covers the row tiles from y0 and the matrices from z0 (grid y/z ≤ 65 535)."""
        a_tile = cuda.shared.array((bk, bm), scalar)       # transposed: a_tile[k, m]
        b_tile = cuda.shared.array((bk, bn), scalar)
        acc = cuda.local.array((tm, tn), scalar)
        a_col = cuda.local.array(tm, scalar)
        b_row = cuda.local.array(tn, scalar)
        tid = cuda.threadIdx.x
        ty, tx = tid // tx_count, tid % tx_count
        z = cuda.blockIdx.z + z0
        za = z if a.shape[0] > 1 else 0
        zb = z if b.shape[0] > 1 else 0
        m_size, k_size, n_size = a.shape[1], a.shape[2], b.shape[2]
        m0, n0 = (cuda.blockIdx.y + y0) * bm, cuda.blockIdx.x * bn
        for i in range(tm):
            for j in range(tn):
                acc[i, j] = zero
        for k0 in range(0, k_size, bk):
            for e in range(tid, bm * bk, threads):         # consecutive threads: consecutive k
                mm, kk = e // bk, e % bk
                if m0 + mm < m_size and k0 + kk < k_size:
                    a_tile[kk, mm] = a[za, m0 + mm, k0 + kk]
                else:
                    a_tile[kk, mm] = zero
            for e in range(tid, bk * bn, threads):         # consecutive threads: consecutive n
                kk, nn = e // bn, e % bn
                if k0 + kk < k_size and n0 + nn < n_size:
                    b_tile[kk, nn] = b[zb, k0 + kk, n0 + nn]
                else:
                    b_tile[kk, nn] = zero
            cuda.syncthreads()
            for kk in range(bk):
                for i in range(tm):
                    a_col[i] = a_tile[kk, ty + i * ty_count]
                for j in range(tn):
                    b_row[j] = b_tile[kk, tx + j * tx_count]
                for i in range(tm):
                    for j in range(tn):
                        acc[i, j] += a_col[i] * b_row[j]
            cuda.syncthreads()                              # before the next tiles overwrite
        for i in range(tm):
            m = m0 + ty + i * ty_count
            if m < m_size:
                for j in range(tn):
                    n = n0 + tx + j * tx_count
                    if n < n_size:
                        c[z, m, n] = acc[i, j]

    return gemm, threads


def gemm3(a, b, tiles=None):
    """c (B, M, N) = a (Ba, M, K) @ b (Bb, K, N) with Ba, Bb ∈ {1, B}; any strides."""
    bm, bn, bk, tm, tn = tiles or (SIMULATOR_TILES if SIMULATOR else DEFAULT_TILES)
    batch = max(a.shape[0], b.shape[0])
    m, n = a.shape[1], b.shape[2]
    dtype = np.result_type(a.dtype, b.dtype)
    c = empty((batch, m, n), dtype, like=a)
    if c.size == 0:
        return c
    if a.shape[2] == 0:
        c.fill(0)
        return c
    kernel, threads = gemm_kernel(bm, bn, bk, tm, tn, dtype.str)
    a, b = a.astype(dtype, copy=False), b.astype(dtype, copy=False)
    # grid y (row tiles) and z (matrices) are limited to 65 535 blocks: larger M or batches
    # go in several launches, each told where it starts
    row_tiles, col_tiles = (m + bm - 1) // bm, (n + bn - 1) // bn
    for z0 in range(0, batch, MAX_GRID_YZ):
        for y0 in range(0, row_tiles, MAX_GRID_YZ):
            grid = (col_tiles, min(MAX_GRID_YZ, row_tiles - y0), min(MAX_GRID_YZ, batch - z0))
            launch(kernel, grid, threads, a, a, b, c, y0, z0)
    return c


def _as_batch(x, batch, rows, cols):
    """x (..., rows, cols) as (1 or prod(batch), rows, cols), broadcast copies only when
    the batch axes really differ."""
    own = x.shape[:-2]
    if int(np.prod(own, dtype=np.int64)) == 1:
        return x.reshape(1, rows, cols)
    if tuple(own) != tuple(batch):
        x = np.broadcast_to(x, tuple(batch) + (rows, cols))
    return x.reshape(-1, rows, cols)


def matmul_numba_cuda(a, b, tiles=None):
    """Tiled register-blocked GEMM (see the module docstring); ``tiles`` = (BM, BN, BK, TM,
    TN) overrides the launch configuration (the tests pass small ones)."""
    a2 = a[None, :] if a.ndim == 1 else a                  # a row vector
    b2 = b[:, None] if b.ndim == 1 else b                  # a column vector
    m, k = a2.shape[-2:]
    n = b2.shape[-1]
    batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    c = gemm3(_as_batch(a2, batch, m, k), _as_batch(b2, batch, k, n), tiles)
    c = c.reshape(tuple(batch) + (m, n))
    if a.ndim == 1:
        c = c[..., 0, :]
    if b.ndim == 1:
        c = c[..., 0]
    return c


def kernel_signatures(dtype):
    """(name, kernel, argument types) of every kernel here for ``dtype``, as launched with
    the default configuration: the PTX check compiles these for a real GPU."""
    scalar = numba_type(np.dtype(dtype))
    kernel, _ = gemm_kernel(*DEFAULT_TILES, np.dtype(dtype).str)
    c3 = types.Array(scalar, 3, "C")
    strided = types.Array(scalar, 3, "A")              # transposed views (conv's dw)
    i64 = types.int64
    return [("gemm", kernel, (c3, c3, c3, i64, i64)),
            ("gemm_strided", kernel, (c3, strided, c3, i64, i64))]
