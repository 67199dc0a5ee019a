"""Elementwise arithmetic: + − × ÷ **, maximum/minimum, where, and unary math
(exponentials and logarithms, trigonometric and hyperbolic functions, erf, rounding).

Binary ops broadcast their inputs as NumPy does; their backward returns gradients of the
broadcast shape and the engine sums them back down (``function.unbroadcast``).
"""
import math

import numpy as np

from .. import dtypes
from .._check import check_int
from ..function import Function
from ..tensor import Tensor
from ._util import as_operand, binary_operands, check_broadcast, floating

__all__ = ["add", "sub", "mul", "div", "pow", "neg", "maximum", "minimum", "where",
           "masked_fill", "exp", "log", "sqrt", "abs", "clip",
           "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "log2",
           "log10", "log1p", "expm1", "exp2", "square", "rsqrt", "reciprocal", "erf", "sign",
           "floor", "ceil", "trunc", "round"]


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


# -- unary math --------------------------------------------------------------------------------

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


class Sin(Function):
    """Sine, elementwise.

    forward:   y = sin x
    backward:  dx = dy · cos x
    """

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.sin(x)

    def backward(self, dy):
        (x,) = self.saved
        return dy * self.xp.cos(x)


class Cos(Function):
    """Cosine, elementwise.

    forward:   y = cos x
    backward:  dx = −dy · sin x
    """

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.cos(x)

    def backward(self, dy):
        (x,) = self.saved
        return -dy * self.xp.sin(x)


class Tan(Function):
    """Tangent, elementwise.

    forward:   y = tan x
    backward:  dx = dy · (1 + y²)
    """

    def forward(self, x):
        y = self.xp.tan(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return dy * (1 + y * y)


class Asin(Function):
    """Inverse sine, elementwise (NaN outside [−1, 1]).

    forward:   y = arcsin x
    backward:  dx = dy / √(1 − x²)
    """

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.arcsin(x)

    def backward(self, dy):
        (x,) = self.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            return dy / self.xp.sqrt(1 - x * x)


class Acos(Function):
    """Inverse cosine, elementwise (NaN outside [−1, 1]).

    forward:   y = arccos x
    backward:  dx = −dy / √(1 − x²)
    """

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.arccos(x)

    def backward(self, dy):
        (x,) = self.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            return -dy / self.xp.sqrt(1 - x * x)


class Atan(Function):
    """Inverse tangent, elementwise.

    forward:   y = arctan x
    backward:  dx = dy / (1 + x²)
    """

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.arctan(x)

    def backward(self, dy):
        (x,) = self.saved
        return dy / (1 + x * x)


class Atan2(Function):
    """The angle of the point (b, a), elementwise, in (−π, π] (NumPy's ``arctan2(a, b)``).

    forward:   y = atan2(a, b)
    backward:  da = dy · b / (a² + b²),  db = −dy · a / (a² + b²)   (NaN at a = b = 0, as
               PyTorch)
    """

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.xp.arctan2(a, b)

    def backward(self, dy):
        a, b = self.saved
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = dy / (a * a + b * b)
            da = scale * b if self.needs_input_grad[0] else None
            db = -scale * a if self.needs_input_grad[1] else None
        return da, db


class Sinh(Function):
    """Hyperbolic sine, elementwise.

    forward:   y = sinh x = (eˣ − e⁻ˣ)/2
    backward:  dx = dy · cosh x
    """

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.sinh(x)

    def backward(self, dy):
        (x,) = self.saved
        return dy * self.xp.cosh(x)


class Cosh(Function):
    """Hyperbolic cosine, elementwise.

    forward:   y = cosh x = (eˣ + e⁻ˣ)/2
    backward:  dx = dy · sinh x
    """

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.cosh(x)

    def backward(self, dy):
        (x,) = self.saved
        return dy * self.xp.sinh(x)


class Log2(Function):
    """Base-2 logarithm, elementwise.

    forward:   y = log₂ x
    backward:  dx = dy / (x · ln 2)
    """

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.log2(x)

    def backward(self, dy):
        (x,) = self.saved
        return dy / (x * _LN2)


class Log10(Function):
    """Base-10 logarithm, elementwise.

    forward:   y = log₁₀ x
    backward:  dx = dy / (x · ln 10)
    """

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.log10(x)

    def backward(self, dy):
        (x,) = self.saved
        return dy / (x * _LN10)


class Log1p(Function):
    """ln(1 + x), elementwise, accurate for small |x| (where 1 + x would round).

    forward:   y = ln(1 + x)
    backward:  dx = dy / (1 + x)
    """

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.log1p(x)

    def backward(self, dy):
        (x,) = self.saved
        return dy / (1 + x)


class Expm1(Function):
    """eˣ − 1, elementwise, accurate for small |x| (where eˣ − 1 would cancel).

    forward:   y = eˣ − 1
    backward:  dx = dy · (y + 1)
    """

    def forward(self, x):
        y = self.xp.expm1(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return dy * (y + 1)


class Exp2(Function):
    """Power of two, elementwise.

    forward:   y = 2ˣ
    backward:  dx = dy · y · ln 2
    """

    def forward(self, x):
        y = self.xp.exp2(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return dy * y * _LN2


class Square(Function):
    """Square, elementwise (integer tensors stay integer, as in PyTorch).

    forward:   y = x²
    backward:  dx = 2x · dy
    """

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, dy):
        (x,) = self.saved
        return 2 * x * dy


class Rsqrt(Function):
    """Reciprocal square root, elementwise.

    forward:   y = 1/√x
    backward:  dx = −½ · dy · y³
    """

    def forward(self, x):
        with np.errstate(divide="ignore"):          # 1/√0 = inf, as PyTorch
            y = 1 / self.xp.sqrt(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return -0.5 * dy * y * y * y


class Reciprocal(Function):
    """Reciprocal, elementwise.

    forward:   y = 1/x
    backward:  dx = −dy · y²
    """

    def forward(self, x):
        with np.errstate(divide="ignore"):          # 1/0 = inf, as PyTorch
            y = 1 / x
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return -dy * y * y


class Erf(Function):
    """The error function, elementwise (the registered ``erf`` kernel, as in GELU).

    forward:   y = erf x = 2/√π ∫₀ˣ e^(−t²) dt
    backward:  dx = dy · 2/√π · e^(−x²)
    """

    def forward(self, x):
        self.save_for_backward(x)
        return self.kernel("erf")(x)

    def backward(self, dy):
        (x,) = self.saved
        return dy * _TWO_OVER_SQRT_PI * self.xp.exp(-x * x)


class _ZeroGradient:
    """Mixin of the piecewise-constant ops: their gradient is 0 everywhere (PyTorch's
    convention, also at the jumps, where the derivative does not exist)."""

    def backward(self, dy):
        return self.xp.zeros_like(dy)


class Sign(_ZeroGradient, Function):
    """The sign, elementwise: −1, 0 or 1 (NaN stays NaN).

    forward:   y = sign x
    backward:  dx = 0
    """

    def forward(self, x):
        return self.xp.sign(x)


class Floor(_ZeroGradient, Function):
    """Rounding down, elementwise.

    forward:   y = ⌊x⌋
    backward:  dx = 0
    """

    def forward(self, x):
        return self.xp.floor(x)


class Ceil(_ZeroGradient, Function):
    """Rounding up, elementwise.

    forward:   y = ⌈x⌉
    backward:  dx = 0
    """

    def forward(self, x):
        return self.xp.ceil(x)


class Trunc(_ZeroGradient, Function):
    """Rounding toward zero, elementwise.

    forward:   y = sign x · ⌊|x|⌋
    backward:  dx = 0
    """

    def forward(self, x):
        return self.xp.trunc(x)


class Round(_ZeroGradient, Function):
    """Rounding to the nearest integer (halves to even, as PyTorch and NumPy), or to
    ``decimals`` decimal places.

    forward:   y = round(x · 10ᵈ) / 10ᵈ   (d = decimals; halves to even)
    backward:  dx = 0
    """

    def forward(self, x, decimals=0):
        return self.xp.round(x, decimals)


def sin(x):
    """sin x elementwise (integer tensors give float32, as PyTorch)."""
    return Sin.apply(floating(x))


def cos(x):
    """cos x elementwise."""
    return Cos.apply(floating(x))


def tan(x):
    """tan x elementwise."""
    return Tan.apply(floating(x))


def asin(x):
    """arcsin x elementwise, in [−π/2, π/2] (NaN outside [−1, 1])."""
    return Asin.apply(floating(x))


def acos(x):
    """arccos x elementwise, in [0, π] (NaN outside [−1, 1])."""
    return Acos.apply(floating(x))


def atan(x):
    """arctan x elementwise, in (−π/2, π/2)."""
    return Atan.apply(floating(x))


def atan2(input, other):
    """atan2(input, other): the angle of the point (other, input), in (−π, π], with
    broadcasting (PyTorch's ``torch.atan2(y, x)``)."""
    return Atan2.apply(*binary_operands(input, other, "atan2", floating=True))


def sinh(x):
    """sinh x elementwise."""
    return Sinh.apply(floating(x))


def cosh(x):
    """cosh x elementwise."""
    return Cosh.apply(floating(x))


def log2(x):
    """log₂ x elementwise."""
    return Log2.apply(floating(x))


def log10(x):
    """log₁₀ x elementwise."""
    return Log10.apply(floating(x))


def log1p(x):
    """ln(1 + x) elementwise, accurate near x = 0."""
    return Log1p.apply(floating(x))


def expm1(x):
    """eˣ − 1 elementwise, accurate near x = 0."""
    return Expm1.apply(floating(x))


def exp2(x):
    """2ˣ elementwise."""
    return Exp2.apply(floating(x))


def square(x):
    """x² elementwise (integer tensors stay integer, as PyTorch)."""
    return Square.apply(x)


def rsqrt(x):
    """1/√x elementwise."""
    return Rsqrt.apply(floating(x))


def reciprocal(x):
    """1/x elementwise (integer tensors give float32, as PyTorch)."""
    return Reciprocal.apply(floating(x))


def erf(x):
    """The error function 2/√π ∫₀ˣ e^(−t²) dt, elementwise."""
    return Erf.apply(floating(x))


def sign(x):
    """−1, 0 or 1 elementwise, with the input's dtype; its gradient is 0 (as PyTorch)."""
    if isinstance(x, Tensor) and x.dtype == bool:
        return Tensor._wrap(x._data.copy())     # sign of a bool is itself (as PyTorch)
    return Sign.apply(x)


def floor(x):
    """⌊x⌋ elementwise (integer tensors are returned as a copy); gradient 0."""
    return Floor.apply(x)


def ceil(x):
    """⌈x⌉ elementwise (integer tensors are returned as a copy); gradient 0."""
    return Ceil.apply(x)


def trunc(x):
    """x rounded toward 0 elementwise (integer tensors are returned as a copy); gradient 0."""
    return Trunc.apply(x)


def round(x, *, decimals=0):
    """x rounded to the nearest integer, halves to even (or to ``decimals`` decimal places,
    negative ones to tens, hundreds, ...), as ``torch.round``; gradient 0."""
    decimals = check_int("round", "decimals", decimals)
    return Round.apply(x, decimals=decimals)
