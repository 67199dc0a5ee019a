"""Helpers shared by the layer files."""
import math

import numpy as np

from .. import creation
from ..parameter import Parameter
from . import init


def empty_parameter(shape, dtype, device):
    """A zero Parameter of ``shape`` (float32 unless ``dtype``), filled by the layer's init."""
    return Parameter(creation.zeros(*shape, dtype=dtype, device=device))


def size(value, name, owner, minimum=0):
    """``value`` as an int ≥ ``minimum`` (a layer's feature count, channels...)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{owner}: {name} must be an int ≥ {minimum}, got {value!r}")
    return int(value)


def reset_weight_and_bias(weight, bias):
    """PyTorch's default for Linear and Conv layers: W ~ kaiming_uniform(a=√5), i.e.
    U(−1/√fan_in, 1/√fan_in), and b ~ U(−1/√fan_in, 1/√fan_in)."""
    init.kaiming_uniform_(weight, a=math.sqrt(5))
    if bias is not None:
        fan_in, _ = init._calculate_fan_in_and_fan_out(weight)
        bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
        init.uniform_(bias, -bound, bound)


def unsupported(owner, **options):
    """Reject PyTorch options (``name=(value, default)``) whose non-default values minigrad
    does not implement; they exist so that PyTorch's argument order works."""
    for name, (value, default) in options.items():
        differs = value is not None if default is None else value != default
        if differs:
            raise NotImplementedError(f"{owner}: {name}={value!r} is not supported "
                                      f"(only {default!r})")
