"""Fully connected layers and shape helpers: ``Linear``, ``Identity``, ``Flatten``."""

from .._check import check_int
from .. import functional as F
from ._util import empty_parameter, reset_weight_and_bias, size
from .module import Module

__all__ = ["Identity", "Linear", "Flatten"]


class Identity(Module):
    """Returns its input unchanged (any constructor arguments are ignored)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Linear(Module):
    """y = x Wᵀ + b: a fully connected layer.

    Args:
        in_features: size D of each input sample; input shape (..., D).
        out_features: size K of each output sample; output shape (..., K).
        bias: whether to learn b.
        device, dtype: where and how to create the parameters (CPU, float32 by default).

    Parameters: ``weight`` (K, D) and ``bias`` (K,), both initialised as in PyTorch from
    U(−1/√D, 1/√D) (the weight through ``kaiming_uniform_(a=√5)``).
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = size(in_features, "in_features", "Linear")
        self.out_features = size(out_features, "out_features", "Linear")
        self.weight = empty_parameter((self.out_features, self.in_features), dtype, device)
        if bias:
            self.bias = empty_parameter((self.out_features,), dtype, device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the weight and bias again (PyTorch's default initialisation)."""
        reset_weight_and_bias(self.weight, self.bias)

    def forward(self, x):
        """x (..., in_features) → (..., out_features)."""
        return self._call(F.linear, x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Flatten(Module):
    """Merges axes ``start_dim`` … ``end_dim`` into one: (N, C, H, W) → (N, C·H·W) by
    default (the batch axis is kept)."""

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = check_int("Flatten", "start_dim", start_dim)
        self.end_dim = check_int("Flatten", "end_dim", end_dim)

    def forward(self, x):
        return self._call(F.flatten, x, self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"
