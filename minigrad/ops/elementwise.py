"""Elementwise arithmetic: + − × ÷ **, maximum/minimum, where, and unary math.

Binary ops broadcast their inputs as NumPy does; their backward returns gradients of the
broadcast shape and the engine sums them back down (``function.unbroadcast``).
"""
import numpy as np

from .. import dtypes
from ..function import Function
from ..tensor import Tensor
from ._util import as_operand, binary_operands, check_broadcast, floating

__all__ = ["add", "sub", "mul", "div", "pow", "neg", "maximum", "minimum", "where",
           "masked_fill", "exp", "log", "sqrt", "abs", "clip"]


class Add(Function):
    """Elementwise sum (broadcasting is undone by the engine in backward).

    forward:   y = a + b
    backward:  da = dy,  db = dy
    """

    def forward(self, a, b):
        return a + b

    def backward(self, dy):
        return dy, dy


class Sub(Function):
    """Elementwise difference.

    forward:   y = a − b
    backward:  da = dy,  db = −dy
    """

    def forward(self, a, b):
        return a - b

    def backward(self, dy):
        return dy, (-dy if self.needs_input_grad[1] else None)


class Mul(Function):
    """Elementwise product.

    forward:   y = a · b
    backward:  da = dy · b,  db = dy · a
    """

    def forward(self, a, b):
        # each gradient needs only the other operand: keep no more than that
        self.save_for_backward(a if self.needs_input_grad[1] else None,
                               b if self.needs_input_grad[0] else None)
        return a * b

    def backward(self, dy):
        a, b = self.saved
        da = dy * b if self.needs_input_grad[0] else None
        db = dy * a if self.needs_input_grad[1] else None
        return da, db


class Div(Function):
    """Elementwise true division.

    forward:   y = a / b
    backward:  da = dy / b,  db = −dy · a / b² = −dy · y / b
    """

    def forward(self, a, b):
        y = a / b
        self.save_for_backward(b, y if self.needs_input_grad[1] else None)
        return y

    def backward(self, dy):
        b, y = self.saved
        da = dy / b if self.needs_input_grad[0] else None
        db = -dy * y / b if self.needs_input_grad[1] else None
        return da, db


class Pow(Function):
    """Elementwise power.

    forward:   y = aᵇ
    backward:  da = dy · b · aᵇ⁻¹,  db = dy · aᵇ · ln a   (db only when b needs it)

    As PyTorch: da = 0 where b = 0 (a⁰ is constant, even at a = 0), and db = 0 where a = 0
    and b ≥ 0 (0ᵇ is constant there), instead of the nan of 0·∞.
    """

    def forward(self, a, b):
        y = a ** b
        self.save_for_backward(a, b, y)
        return y

    def backward(self, dy):
        a, b, y = self.saved
        xp = self.xp
        da = db = None
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.needs_input_grad[0]:
                da = xp.where(b == 0, 0, dy * b * a ** (b - 1)).astype(dy.dtype, copy=False)
            if self.needs_input_grad[1]:
                db = xp.where((a == 0) & (b >= 0), 0, dy * y * xp.log(a)).astype(
                    dy.dtype, copy=False)
        return da, db


class Maximum(Function):
    """Elementwise maximum of two tensors.

    forward:   y = max(a, b)
    backward:  da = dy·[a > b] + dy/2·[a = b],  db likewise (ties split evenly)
    """

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.xp.maximum(a, b)

    def backward(self, dy):
        a, b = self.saved
        return _split(dy, a > b, a == b)


class Minimum(Function):
    """Elementwise minimum of two tensors.

    forward:   y = min(a, b)
    backward:  da = dy·[a < b] + dy/2·[a = b],  db likewise (ties split evenly)
    """

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.xp.minimum(a, b)

    def backward(self, dy):
        a, b = self.saved
        return _split(dy, a < b, a == b)


def _split(dy, a_wins, tie):
    share = a_wins + 0.5 * tie                     # a's share of dy; b gets the rest
    share = share.astype(dy.dtype, copy=False)
    return dy * share, dy * (1 - share)


class Where(Function):
    """Elementwise selection by a boolean condition.

    forward:   y = cond ? a : b
    backward:  da = dy·[cond],  db = dy·[¬cond]   (cond gets no gradient)
    """

    def forward(self, cond, a, b):
        self.save_for_backward(cond)
        return self.xp.where(cond, a, b)

    def backward(self, dy):
        (cond,) = self.saved
        zero = dy.dtype.type(0)
        da = self.xp.where(cond, dy, zero) if self.needs_input_grad[1] else None
        db = self.xp.where(cond, zero, dy) if self.needs_input_grad[2] else None
        return None, da, db


class Neg(Function):
    """Negation.

    forward:   y = −x
    backward:  dx = −dy
    """

    def forward(self, x):
        return -x

    def backward(self, dy):
        return -dy


class Exp(Function):
    """Exponential, elementwise.

    forward:   y = eˣ
    backward:  dx = dy · y
    """

    def forward(self, x):
        y = self.xp.exp(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return dy * y


class Log(Function):
    """Natural logarithm, elementwise.

    forward:   y = ln x
    backward:  dx = dy / x
    """

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.log(x)

    def backward(self, dy):
        (x,) = self.saved
        return dy / x


class Sqrt(Function):
    """Square root, elementwise.

    forward:   y = √x
    backward:  dx = dy / (2y)
    """

    def forward(self, x):
        y = self.xp.sqrt(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return dy / (2 * y)


class Abs(Function):
    """Absolute value, elementwise.

    forward:   y = |x|
    backward:  dx = dy · sign(x)   (0 at x = 0)
    """

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.abs(x)

    def backward(self, dy):
        (x,) = self.saved
        return dy * self.xp.sign(x)


class Clip(Function):
    """Clamping into [lo, hi] (either bound optional).

    forward:   y = min(max(x, lo), hi)
    backward:  dx = dy · [lo ≤ x ≤ hi]
    """

    def forward(self, x, lo=None, hi=None):
        self.save_for_backward(x)
        self.lo, self.hi = lo, hi
        return self.xp.clip(x, lo, hi)

    def backward(self, dy):
        (x,) = self.saved
        inside = self.xp.ones(x.shape, dtype=bool)
        if self.lo is not None:
            inside &= x >= self.lo
        if self.hi is not None:
            inside &= x <= self.hi
        return dy * inside


def add(a, b):
    """a + b with broadcasting."""
    return Add.apply(*binary_operands(a, b, "add"))


def sub(a, b):
    """a − b with broadcasting."""
    return Sub.apply(*binary_operands(a, b, "sub"))


def mul(a, b):
    """a · b elementwise, with broadcasting."""
    return Mul.apply(*binary_operands(a, b, "mul"))


def div(a, b):
    """a / b (true division: integer operands give float32)."""
    return Div.apply(*binary_operands(a, b, "div", floating=True))


def pow(a, b):
    """aᵇ elementwise; either may be a number."""
    return Pow.apply(*binary_operands(a, b, "pow"))


def maximum(a, b):
    """Elementwise max(a, b); at ties the gradient is split evenly."""
    return Maximum.apply(*binary_operands(a, b, "maximum"))


def minimum(a, b):
    """Elementwise min(a, b); at ties the gradient is split evenly."""
    return Minimum.apply(*binary_operands(a, b, "minimum"))


def where(cond, a, b):
    """``a`` where ``cond`` is true, else ``b`` (cond: a bool tensor or array)."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        if not isinstance(cond, Tensor):
            raise TypeError("where: expected at least one Tensor among cond, a and b")
        a = as_operand(a, Tensor._wrap(cond.xp.zeros((), dtype=dtypes.default_float)),
                       "where")   # numbers take the default dtype, as in PyTorch
    a, b = binary_operands(a, b, "where")
    if isinstance(cond, bool):
        cond = Tensor._wrap(a.xp.asarray(cond))
    cond = as_operand(cond, a, "where")
    if cond.dtype != bool:
        raise TypeError(f"where: cond must be a bool tensor, got dtype {cond.dtype}")
    if not cond.shape == a.shape == b.shape:
        check_broadcast("where", cond.shape, a.shape, b.shape)
    return Where.apply(cond, a, b)


def masked_fill(x, mask, value):
    """``x`` with ``value`` wherever the bool ``mask`` (broadcastable to x's shape) is True;
    the gradient flows to x only where mask is False (PyTorch's ``masked_fill``)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"masked_fill: expected a Tensor, got {type(x).__name__}")
    mask = as_operand(mask, x, "masked_fill")
    if mask.dtype != bool:
        raise TypeError(f"masked_fill: mask must be a bool tensor, got dtype {mask.dtype}")
    check_broadcast("masked_fill", mask.shape, x.shape)
    if len(mask.shape) > x.ndim or any(m not in (1, n) for m, n in
                                       zip(mask.shape[::-1], x.shape[::-1])):
        raise ValueError(f"masked_fill: mask {mask.shape} must broadcast to the tensor's "
                         f"shape {x.shape} without enlarging it")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got "
                             f"shape {value.shape}")
        value = value.item()
    return where(mask, Tensor._wrap(x.xp.asarray(value, dtype=x.dtype)), x)


def neg(x):
    return Neg.apply(x)


def exp(x):
    return Exp.apply(floating(x))


def log(x):
    return Log.apply(floating(x))


def sqrt(x):
    return Sqrt.apply(floating(x))


def abs(x):
    return Abs.apply(x)


def clip(x, min=None, max=None):
    """Clamp values to ``[min, max]`` (either bound may be None); PyTorch's ``clamp``."""
    if min is None and max is None:
        raise ValueError("clip: at least one of min and max must be given, got min=None and "
                         "max=None")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        # tensor bounds: through where, so the bounds get gradients too and a value equal
        # to a bound keeps its gradient (as with number bounds and in PyTorch)
        check_broadcast("clip", x.shape, *(v.shape for v in (min, max) if hasattr(v, "shape")))
        y = x if min is None else where(x < min, min, x)
        return y if max is None else where(y > max, max, y)
    if not dtypes.is_floating(x.dtype) and (isinstance(min, float) or isinstance(max, float)):
        x = floating(x)
    return Clip.apply(x, lo=min, hi=max)
