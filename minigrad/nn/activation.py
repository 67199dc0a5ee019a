"""Activation layers: elementwise nonlinearities and the softmax family (no parameters;
the formulas live in ``minigrad/ops/activation.py``)."""
import warnings

from .. import functional as F
from .module import Module

__all__ = ["ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax"]


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
