"""Activations and the numerically stable softmax family.

softmax, log_softmax and logsumexp subtract the row maximum before exponentiating, so
logits of ±1e4 give finite results in float32.
"""
from .._check import check_real
from ..function import Function
from ._util import floating, normalize_axes, pick

__all__ = ["relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax",
           "logsumexp", "softplus", "silu", "elu", "hardtanh", "relu6", "logsigmoid", "mish"]


class ReLU(Function):
    """Rectified linear unit, elementwise.

    forward:   y = max(x, 0)
    backward:  dx = dy · [x > 0]
    """

    def forward(self, x):
        y = self.kernel("relu.forward")(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved          # y > 0 ⇔ x > 0; the kernel writes an exact 0 elsewhere
        return self.kernel("relu.backward")(dy, y)


class LeakyReLU(Function):
    """Leaky ReLU with negative slope α, elementwise.

    forward:   y = x if x > 0 else α·x
    backward:  dx = dy · (1 if x > 0 else α)
    """

    def forward(self, x, negative_slope=0.01):
        self.save_for_backward(x)
        self.slope = negative_slope
        return self.xp.where(x > 0, x, x * x.dtype.type(negative_slope))

    def backward(self, dy):
        (x,) = self.saved
        return self.xp.where(x > 0, dy, dy * dy.dtype.type(self.slope))


class Sigmoid(Function):
    """Logistic sigmoid, elementwise; computed from e^(−|x|) so no exponential overflows.

    forward:   y = σ(x) = 1 / (1 + e⁻ˣ)
    backward:  dx = dy · y · (1 − y)
    """

    def forward(self, x):
        e = self.xp.exp(-self.xp.abs(x))
        y = self.xp.where(x >= 0, 1 / (1 + e), e / (1 + e))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return dy * y * (1 - y)


class Tanh(Function):
    """Hyperbolic tangent, elementwise.

    forward:   y = tanh(x)
    backward:  dx = dy · (1 − y²)
    """

    def forward(self, x):
        y = self.xp.tanh(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return dy * (1 - y * y)


class GELU(Function):
    """Gaussian error linear unit, exact ("none") or its tanh approximation ("tanh").

    forward:   exact:  y = x·Φ(x),  Φ(x) = ½(1 + erf(x/√2))
               tanh:   u = √(2/π)(x + 0.044715x³),  y = ½x(1 + tanh u)
    backward:  exact:  dx = dy · (Φ(x) + x·φ(x)),  φ(x) = e^(−x²/2) / √(2π)
               tanh:   dx = dy · (½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²))
    Both directions are the ``gelu.forward``/``gelu.backward`` kernels (minigrad_kernels.gelu):
    only x is saved, and backward recomputes tanh u or Φ(x) in its one pass.
    """

    def forward(self, x, approximate="none"):
        self.approximate = approximate
        self.save_for_backward(x)          # backward recomputes tanh u or Φ(x) from x
        return self.kernel("gelu.forward")(x, approximate)

    def backward(self, dy):
        (x,) = self.saved
        return self.kernel("gelu.backward")(dy, x, self.approximate)


class Softmax(Function):
    """Softmax along ``axis``, shifted by the maximum so nothing overflows.

    forward:   yᵢ = e^(xᵢ − m) / Σⱼ e^(xⱼ − m),  m = maxⱼ xⱼ
    backward:  dx = y · (dy − Σⱼ dyⱼ·yⱼ)
    """

    def forward(self, x, axis=-1):
        self.axis = axis
        e = self.xp.exp(x - x.max(axis=axis, keepdims=True))
        y = e / e.sum(axis=axis, keepdims=True)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return y * (dy - (dy * y).sum(axis=self.axis, keepdims=True))


class LogSoftmax(Function):
    """Log-softmax along ``axis``, shifted by the maximum so nothing overflows.

    forward:   yᵢ = xᵢ − m − ln Σⱼ e^(xⱼ − m),  m = maxⱼ xⱼ
    backward:  dx = dy − softmax(x) · Σⱼ dyⱼ,   softmax(x) = eʸ
    """

    def forward(self, x, axis=-1):
        self.axis = axis
        shifted = x - x.max(axis=axis, keepdims=True)
        y = shifted - self.xp.log(self.xp.exp(shifted).sum(axis=axis, keepdims=True))
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        return dy - self.xp.exp(y) * dy.sum(axis=self.axis, keepdims=True)


class LogSumExp(Function):
    """log Σ exp over axes, shifted by the maximum so nothing overflows.

    forward:   y = m + ln Σᵢ e^(xᵢ − m),  m = max xᵢ  (over ``axes``)
    backward:  dxᵢ = dy · e^(xᵢ − y)
    """

    def forward(self, x, axes=None, keepdims=False):
        xp = self.xp
        m = x.max(axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)         # all −inf rows: avoid (−inf) − (−inf)
        y = xp.log(xp.exp(x - m).sum(axis=axes, keepdims=True)) + m
        self.save_for_backward(x, y)
        self.axes, self.keepdims = axes, keepdims
        return y if keepdims else y.squeeze(axis=axes)

    def backward(self, dy):
        x, y = self.saved
        if not self.keepdims:
            dy = self.xp.expand_dims(dy, self.axes)
        return dy * self.xp.exp(x - y)


def relu(x):
    """max(x, 0) elementwise."""
    return ReLU.apply(x)


def leaky_relu(x, negative_slope=0.01):
    """x for x > 0, negative_slope·x otherwise."""
    return LeakyReLU.apply(x, negative_slope=float(negative_slope))


def sigmoid(x):
    """1 / (1 + e⁻ˣ), computed without overflow."""
    return Sigmoid.apply(floating(x))


def tanh(x):
    return Tanh.apply(floating(x))


def gelu(x, approximate="none"):
    """x·Φ(x) (``approximate="none"``, PyTorch's default) or its tanh approximation."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GELU.apply(floating(x), approximate=approximate)


def _one_axis(x, axis, op):
    if x.ndim == 0:
        raise ValueError(f"{op}: needs at least a 1-d tensor, got a 0-d tensor")
    (a,) = normalize_axes(axis, x.ndim, op)
    return a


def softmax(x, axis=-1, *, dim=None):
    """Softmax along ``axis`` (PyTorch's ``dim`` is accepted too)."""
    axis, x = (axis if dim is None else dim), floating(x)
    return Softmax.apply(x, axis=_one_axis(x, axis, "softmax"))


def log_softmax(x, axis=-1, *, dim=None):
    """ln softmax(x) along ``axis``, computed stably (not as log of softmax)."""
    axis, x = (axis if dim is None else dim), floating(x)
    return LogSoftmax.apply(x, axis=_one_axis(x, axis, "log_softmax"))


def logsumexp(x, axis=None, keepdims=False, *, dim=None, keepdim=None):
    """ln Σ eˣ over ``axis`` (all axes when None), computed stably."""
    axis = pick(axis, dim)
    keepdims, x = (keepdims if keepdim is None else keepdim), floating(x)
    return LogSumExp.apply(x, axes=normalize_axes(axis, x.ndim, "logsumexp"),
                           keepdims=bool(keepdims))


# -- smooth and clipped activations ------------------------------------------------------------

def _softplus(xp, z):
    """ln(1 + eᶻ) without overflow: max(z, 0) + ln(1 + e^(−|z|))."""
    return xp.maximum(z, 0) + xp.log1p(xp.exp(-xp.abs(z)))


def _sigmoid(xp, z):
    """σ(z) = 1/(1 + e⁻ᶻ) without overflow (from e^(−|z|))."""
    e = xp.exp(-xp.abs(z))
    return xp.where(z >= 0, 1 / (1 + e), e / (1 + e))


class Softplus(Function):
    """Softplus, a smooth ReLU, elementwise; linear where βx > threshold (as PyTorch), and
    computed as (max(βx, 0) + ln(1 + e^(−|βx|)))/β elsewhere, so no exponential overflows.

    forward:   y = ln(1 + e^(βx)) / β   if βx ≤ threshold,   y = x otherwise
    backward:  dx = dy · σ(βx)          if βx ≤ threshold,   dx = dy otherwise
    """

    def forward(self, x, beta=1.0, threshold=20.0):
        xp = self.xp
        z = x * x.dtype.type(beta)
        self.save_for_backward(x)
        self.beta, self.threshold = beta, threshold
        return xp.where(z > threshold, x, _softplus(xp, z) / x.dtype.type(beta))

    def backward(self, dy):
        (x,) = self.saved
        z = x * x.dtype.type(self.beta)
        return self.xp.where(z > self.threshold, dy, dy * _sigmoid(self.xp, z))


class SiLU(Function):
    """Sigmoid-weighted linear unit (swish), elementwise.

    forward:   y = x · σ(x)
    backward:  dx = dy · σ(x) · (1 + x · (1 − σ(x)))
    """

    def forward(self, x):
        s = _sigmoid(self.xp, x)
        self.save_for_backward(x, s)
        return x * s

    def backward(self, dy):
        x, s = self.saved
        return dy * s * (1 + x * (1 - s))


class ELU(Function):
    """Exponential linear unit with scale α, elementwise.

    forward:   y = x if x > 0,   y = α·(eˣ − 1) otherwise
    backward:  dx = dy if x > 0,  dx = dy · α·eˣ otherwise
    """

    def forward(self, x, alpha=1.0):
        xp = self.xp
        self.alpha = alpha
        self.save_for_backward(x)
        negative = x.dtype.type(alpha) * xp.expm1(xp.minimum(x, 0))   # no overflow for x > 0
        return xp.where(x > 0, x, negative)

    def backward(self, dy):
        (x,) = self.saved
        xp = self.xp
        return xp.where(x > 0, dy, dy * x.dtype.type(self.alpha) * xp.exp(xp.minimum(x, 0)))


class Hardtanh(Function):
    """Clamping into [min_val, max_val], with PyTorch's gradient: 0 at the bounds too.

    forward:   y = min(max(x, min_val), max_val)
    backward:  dx = dy · [min_val < x < max_val]
    """

    def forward(self, x, min_val=-1.0, max_val=1.0):
        self.save_for_backward(x)
        self.min_val, self.max_val = min_val, max_val
        return self.xp.clip(x, x.dtype.type(min_val), x.dtype.type(max_val))

    def backward(self, dy):
        (x,) = self.saved
        inside = (x > self.min_val) & (x < self.max_val)
        return self.xp.where(inside, dy, dy.dtype.type(0))


class LogSigmoid(Function):
    """ln σ(x), elementwise, computed as min(x, 0) − ln(1 + e^(−|x|)) (no overflow, and no
    ln 0 for very negative x).

    forward:   y = ln σ(x) = −ln(1 + e⁻ˣ)
    backward:  dx = dy · (1 − σ(x)) = dy · σ(−x)
    """

    def forward(self, x):
        xp = self.xp
        self.save_for_backward(x)
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, dy):
        (x,) = self.saved
        return dy * _sigmoid(self.xp, -x)


class Mish(Function):
    """Mish (Misra, 2019), elementwise; softplus computed without overflow.

    forward:   y = x · tanh(sp),   sp = ln(1 + eˣ)
    backward:  dx = dy · (tanh(sp) + x · σ(x) · (1 − tanh²(sp)))
    """

    def forward(self, x):
        xp = self.xp
        t = xp.tanh(_softplus(xp, x))
        self.save_for_backward(x, t)
        return x * t

    def backward(self, dy):
        x, t = self.saved
        return dy * (t + x * _sigmoid(self.xp, x) * (1 - t * t))


def softplus(x, beta=1.0, threshold=20.0):
    """ln(1 + e^(βx))/β elementwise, a smooth ReLU, and x itself where βx > threshold (as
    PyTorch); computed without overflow.  β must be nonzero."""
    beta = check_real("softplus", "beta", beta)
    if beta == 0:
        raise ValueError("softplus: beta must be a nonzero finite number (ln(1 + e^(βx))/β "
                         "divides by β), got 0")
    threshold = check_real("softplus", "threshold", threshold)
    return Softplus.apply(floating(x), beta=beta, threshold=threshold)


def silu(x, inplace=False):
    """x·σ(x) elementwise (swish).  ``inplace`` is accepted for PyTorch compatibility: the
    result is always a new tensor (assign it: ``x = F.silu(x)``)."""
    return SiLU.apply(floating(x))


def elu(x, alpha=1.0, inplace=False):
    """x for x > 0, α(eˣ − 1) otherwise.  ``inplace`` as in :func:`silu`."""
    alpha = check_real("elu", "alpha", alpha)
    return ELU.apply(floating(x), alpha=alpha)


def hardtanh(x, min_val=-1.0, max_val=1.0, inplace=False):
    """x clamped into [min_val, max_val]; its gradient is 0 outside (min_val, max_val), the
    bounds included (PyTorch's rule).  ``inplace`` as in :func:`silu`."""
    min_val = check_real("hardtanh", "min_val", min_val)
    max_val = check_real("hardtanh", "max_val", max_val)
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got "
                         f"min_val={min_val!r} and max_val={max_val!r}")
    return Hardtanh.apply(floating(x), min_val=min_val, max_val=max_val)


def relu6(x, inplace=False):
    """min(max(x, 0), 6) elementwise: ``hardtanh(x, 0, 6)``, with its gradient (0 at x = 0
    and x = 6).  ``inplace`` as in :func:`silu`."""
    return Hardtanh.apply(floating(x), min_val=0.0, max_val=6.0)


def logsigmoid(x):
    """ln σ(x) = −ln(1 + e⁻ˣ) elementwise, computed stably."""
    return LogSigmoid.apply(floating(x))


def mish(x, inplace=False):
    """x·tanh(ln(1 + eˣ)) elementwise.  ``inplace`` as in :func:`silu`."""
    return Mish.apply(floating(x))
