"""Matrix products (the hot path: the arithmetic runs in the registered ``matmul`` kernel)."""
import numpy as np

from ..function import Function
from ._util import binary_operands, check_float, check_params

__all__ = ["matmul", "linear"]


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
        batch = () if a2.ndim == b2.ndim == 2 else \
            np.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
        dy = dy.reshape(batch + (a2.shape[-2], b2.shape[-1]))
        da = db = None
        if self.needs_input_grad[0]:
            da = mm(dy, xp.swapaxes(b2, -1, -2))              # (..., M, K)
            da = da.reshape(da.shape[:-2] + (a.shape[0],)) if a.ndim == 1 else da
        if self.needs_input_grad[1]:
            db = mm(xp.swapaxes(a2, -1, -2), dy)              # (..., K, N)
            db = db.reshape(db.shape[:-2] + (b.shape[0],)) if b.ndim == 1 else db
        return da, db   # broadcast batch axes are summed away by the engine


def matmul(a, b):
    """Matrix product ``a @ b`` with NumPy's rules; shapes are checked before any work."""
    a, b = binary_operands(a, b, "matmul", elementwise=False)
    shape_a, shape_b = a._data.shape, b._data.shape
    if not shape_a or not shape_b:
        raise ValueError(f"matmul: both operands need at least 1 dimension, got "
                         f"a {shape_a} @ b {shape_b}")
    k_b = shape_b[0] if len(shape_b) == 1 else shape_b[-2]
    if shape_a[-1] != k_b:
        raise ValueError(f"matmul: inner dimensions differ: a {shape_a} @ b {shape_b} "
                         f"({shape_a[-1]} != {k_b})")
    if len(shape_a) > 2 and len(shape_b) > 2:
        try:
            np.broadcast_shapes(shape_a[:-2], shape_b[:-2])
        except ValueError:
            raise ValueError(f"matmul: batch dimensions do not broadcast: a {shape_a} @ "
                             f"b {shape_b}") from None
    return MatMul.apply(a, b)


class Linear(Function):
    """A fully connected layer, PyTorch's layout: W (out, in), b (out,), x (..., in).

    forward:   y = x Wᵀ + b
    backward:  dx = dy W,   dW = Σ dyᵀ x,   db = Σ dy   (Σ over every axis but the last)
    """

    def forward(self, x, w, b=None):
        self.save_for_backward(x, w)
        y = self.kernel("matmul")(x, w.T)
        if b is not None:
            y += b
        return y

    def backward(self, dy):
        x, w = self.saved
        mm = self.kernel("matmul")
        dx = mm(dy, w) if self.needs_input_grad[0] else None
        dy2 = dy.reshape(-1, dy.shape[-1])                       # (N, out)
        dw = mm(dy2.T, x.reshape(-1, x.shape[-1])) if self.needs_input_grad[1] else None
        if len(self.needs_input_grad) == 2:
            return dx, dw
        return dx, dw, (dy2.sum(axis=0) if self.needs_input_grad[2] else None)


def linear(x, weight, bias=None):
    """y = x Wᵀ + b  for x (..., in), W (out, in) (PyTorch's layout), b (out,)."""
    check_float("linear", input=x, weight=weight, bias=bias)
    check_params("linear", x, weight=weight, bias=bias)
    if weight.ndim != 2:
        raise ValueError(f"linear: weight must be (out_features, in_features), got shape "
                         f"{weight.shape}")
    if x.ndim == 0 or x.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: input has shape {x.shape}, expected (..., "
                         f"{weight.shape[1]}) to match weight {weight.shape}")
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"linear: bias has shape {bias.shape}, expected "
                         f"({weight.shape[0]},)")
    return Linear.apply(x, weight) if bias is None else Linear.apply(x, weight, bias)
