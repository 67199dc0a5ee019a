"""Matrix product.

Contract (every implementation):  matmul(a, b) -> c

    a: (..., M, K) or (K,)      b: (..., K, N) or (K,)
    c: NumPy's ``matmul`` broadcasting rules: batch dims broadcast, a 1-D operand is treated
       as a row (a) or column (b) vector and that dimension is dropped from c.
    c[..., m, n] = Σ_k a[..., m, k] · b[..., k, n]

Inputs share a device and a floating dtype; shapes are checked by the caller (the MatMul
Function), so a kernel may assume they are valid.
"""
import math

import numpy as np

from ._arrays import array_module
from .memory import MIN_BYTES, empty


def matmul_numpy(a, b):
    """Reference: the array module's matmul, dot for two matrices (BLAS / cuBLAS GEMM for
    floats; also the CuPy implementation), into an array from ``memory.empty`` when both
    operands are matrices or stacks of them."""
    xp = array_module(a)
    dtype = a.dtype if a.dtype == b.dtype else np.result_type(a.dtype, b.dtype)
    if a.ndim == 2 and b.ndim == 2:
        # two matrices: dot, the same GEMM with less dispatch than the matmul ufunc (0.5
        # against 0.8 µs on 4×4, where the dispatch is the whole cost)
        shape = (a.shape[0], b.shape[1])
        if shape[0] * shape[1] * dtype.itemsize < MIN_BYTES:
            return xp.dot(a, b)
        return xp.dot(a, b, out=empty(shape, dtype, like=a))
    if a.ndim > 2 and b.ndim == 2 and a.flags.c_contiguous:
        # a stack times one matrix is one GEMM over the stacked rows: (…·M, K) @ (K, N),
        # not NumPy's loop of …-many small ones (5-20 % faster on a GPT's Linear inputs)
        return matmul_numpy(a.reshape(-1, a.shape[-1]), b).reshape(*a.shape[:-1], b.shape[1])
    if a.ndim < 2 or b.ndim < 2:
        return xp.matmul(a, b)
    shape = np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2], b.shape[-1])
    if math.prod(shape) * dtype.itemsize < MIN_BYTES:    # the cache would only pass it on
        return xp.matmul(a, b)
    return xp.matmul(a, b, out=empty(shape, dtype, like=a))
