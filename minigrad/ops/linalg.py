"""Matrix products (the hot path: the arithmetic runs in the registered ``matmul`` kernel)."""
import numpy as np

from ..function import Function
from ._util import binary_operands

__all__ = ["matmul"]


class MatMul(Function):
    """y = a @ b   (NumPy matmul rules: batch axes broadcast, 1-d operands are vectors)

    forward:   y[..., m, n] = Σₖ a[..., m, k] · b[..., k, n]
    backward:  da = dy @ bᵀ,   db = aᵀ @ dy
               (a 1-d operand is treated as a row/column matrix; broadcast batch axes are
               summed by the engine)
    """

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.kernel("matmul")(a, b)

    def backward(self, dy):
        a, b = self.saved
        mm, xp = self.kernel("matmul"), self.xp
        # A 1-d operand acts as a (1, K) row or (K, 1) column: promote both, and give dy
        # the promoted product's shape (y's shape with those unit axes put back).
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        batch = np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        dy = dy.reshape(batch + (a2.shape[-2], b2.shape[-1]))
        da = db = None
        if self.needs_input_grad[0]:
            da = mm(dy, xp.swapaxes(b2, -1, -2))              # (..., M, K)
            da = da.reshape(da.shape[:-2] + (a.shape[0],)) if a.ndim == 1 else da
        if self.needs_input_grad[1]:
            if b.ndim == 2 and dy.ndim == 2 and b.flags.f_contiguous and not b.flags.c_contiguous:
                # b is a transposed view (w.T in linear): dbᵀ = dyᵀ @ a in C order, so db has
                # b's layout and w's gradient arrives contiguous (copying a transposed
                # 5408×128 gradient into .grad cost more than the GEMM, measured)
                db = mm(dy.T, a2).T
            else:
                db = mm(xp.swapaxes(a2, -1, -2), dy)          # (..., K, N)
                db = db.reshape(db.shape[:-2] + (b.shape[0],)) if b.ndim == 1 else db
        return da, db   # broadcast batch axes are summed away by the engine


def matmul(a, b):
    """Matrix product ``a @ b`` with NumPy's rules; shapes are checked before any work."""
    a, b = binary_operands(a, b, "matmul", elementwise=False)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least 1 dimension, got "
                         f"a {a.shape} @ b {b.shape}")
    k_a = a.shape[-1]
    k_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if k_a != k_b:
        raise ValueError(f"matmul: inner dimensions differ: a {a.shape} @ b {b.shape} "
                         f"({k_a} != {k_b})")
    batch_a, batch_b = a.shape[:-2], b.shape[:-2]
    try:
        np.broadcast_shapes(batch_a, batch_b)
    except ValueError:
        raise ValueError(f"matmul: batch dimensions do not broadcast: a {a.shape} @ "
                         f"b {b.shape}") from None
    return MatMul.apply(a, b)
