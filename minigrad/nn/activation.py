"""Activation layers: elementwise nonlinearities and the softmax family (no parameters;
the formulas live in ``minigrad/ops/activation.py``)."""
import warnings

from .. import functional as F
from .._check import check_real
from .module import Module

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax", "SiLU",
           "ELU", "Softplus", "Hardtanh", "ReLU6", "LogSigmoid", "Mish"]


class ReLU(Module):
    """max(x, 0), elementwise, any shape.

    ``inplace`` is accepted for PyTorch compatibility; the result is always a new tensor
    (minigrad has no in-place differentiable ops), which gives the same values.
    """

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return self._call(F.relu, x)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """x for x > 0, ``negative_slope``·x otherwise, elementwise (``inplace`` as in ReLU)."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, x):
        return self._call(F.leaky_relu, x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace
                                                          else "")


class Sigmoid(Module):
    """1 / (1 + e⁻ˣ), elementwise."""

    def forward(self, x):
        return self._call(F.sigmoid, x)


class Tanh(Module):
    """tanh(x), elementwise."""

    def forward(self, x):
        return self._call(F.tanh, x)


class GELU(Module):
    """x·Φ(x) (``approximate="none"``) or its tanh approximation (``"tanh"``)."""

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got "
                             f"{approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return self._call(F.gelu, x, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class _InplaceActivation(Module):
    """An elementwise activation with PyTorch's ``inplace`` flag, accepted for compatibility:
    the result is always a new tensor (minigrad has no in-place differentiable ops), which
    gives the same values."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class SiLU(_InplaceActivation):
    """x·σ(x) (swish), elementwise."""

    def forward(self, x):
        return self._call(F.silu, x)


class Mish(_InplaceActivation):
    """x·tanh(ln(1 + eˣ)), elementwise."""

    def forward(self, x):
        return self._call(F.mish, x)


class ELU(Module):
    """x for x > 0, α(eˣ − 1) otherwise, elementwise (``inplace`` as in ReLU)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        check_real("ELU", "alpha", alpha)
        self.alpha, self.inplace = alpha, inplace

    def forward(self, x):
        return self._call(F.elu, x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softplus(Module):
    """ln(1 + e^(βx))/β, elementwise, and x itself where βx > ``threshold``."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        if check_real("Softplus", "beta", beta) == 0:
            raise ValueError(f"Softplus: beta must be a nonzero finite number, got {beta!r}")
        check_real("Softplus", "threshold", threshold)
        self.beta, self.threshold = beta, threshold

    def forward(self, x):
        return self._call(F.softplus, x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class Hardtanh(Module):
    """x clamped into [min_val, max_val], elementwise (gradient 0 at and beyond the bounds,
    as PyTorch); ``inplace`` as in ReLU."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        name = type(self).__name__
        if check_real(name, "min_val", min_val) > check_real(name, "max_val", max_val):
            raise ValueError(f"{name}: min_val cannot be greater than max_val, got "
                             f"min_val={min_val!r} and max_val={max_val!r}")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, x):
        return self._call(F.hardtanh, x, self.min_val, self.max_val)

    def extra_repr(self):
        return (f"min_val={self.min_val}, max_val={self.max_val}"
                + (", inplace=True" if self.inplace else ""))


class ReLU6(Hardtanh):
    """min(max(x, 0), 6), elementwise: ``Hardtanh(0, 6)`` (``inplace`` as in ReLU)."""

    def __init__(self, inplace=False):
        super().__init__(0.0, 6.0, inplace)

    def forward(self, x):
        return self._call(F.relu6, x)

    def extra_repr(self):
        return "inplace=True" if self.inplace else ""


class LogSigmoid(Module):
    """ln σ(x) = −ln(1 + e⁻ˣ), elementwise, computed stably."""

    def forward(self, x):
        return self._call(F.logsigmoid, x)


def _implicit_dim(owner, ndim):
    """PyTorch's legacy choice when ``dim`` is not given (with its deprecation warning)."""
    warnings.warn(f"Implicit dimension choice for {owner} has been deprecated. Change the "
                  f"call to include dim=X as an argument.", stacklevel=4)
    return 0 if ndim in (0, 1, 3) else 1


class Softmax(Module):
    """e^(xᵢ) / Σⱼ e^(xⱼ) along ``dim`` (computed stably); the output sums to 1 along dim."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        dim = self.dim if self.dim is not None else _implicit_dim("softmax", x.ndim)
        return self._call(F.softmax, x, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """ln softmax(x) along ``dim``, computed stably (not as the log of a softmax)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        dim = self.dim if self.dim is not None else _implicit_dim("log_softmax", x.ndim)
        return self._call(F.log_softmax, x, dim)

    def extra_repr(self):
        return f"dim={self.dim}"
