"""Matrix product.

Contract (every implementation):  matmul(a, b) -> c

    a: (..., M, K) or (K,)      b: (..., K, N) or (K,)
    c: NumPy's ``matmul`` broadcasting rules: batch dims broadcast, a 1-D operand is treated
       as a row (a) or column (b) vector and that dimension is dropped from c.
    c[..., m, n] = Σ_k a[..., m, k] · b[..., k, n]

Inputs share a device and a floating dtype; shapes are checked by the caller (the MatMul
Function), so a kernel may assume they are valid.
"""
import numpy as np

from . import host_cache
from ._arrays import array_module


def matmul_numpy(a, b):
    """Reference: NumPy's matmul (BLAS sgemm/dgemm for 2-D float inputs), into host-cache
    memory when both operands are matrices or stacks of them."""
    if a.ndim < 2 or b.ndim < 2:
        return np.matmul(a, b)
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
    return np.matmul(a, b, out=host_cache.empty(shape, np.result_type(a, b)))


def matmul_cupy(a, b):
    """CuPy: ``cupy.matmul`` (cuBLAS GEMM, batched over the leading axes)."""
    return array_module(a).matmul(a, b)
