"""Parameter initialisation (PyTorch's ``torch.nn.init``): each function fills a Tensor IN
PLACE (under ``no_grad``) and returns it.

Every random draw comes from ``minigrad.random.generator()`` (in float64 on the host, then
cast to the tensor's dtype and copied to its device), so ``minigrad.manual_seed`` makes an
initialisation reproducible on every device.

Fans, for a weight of shape (out, in, *kernel): fan_in = in·∏kernel, fan_out = out·∏kernel.
"""
import math
import warnings

import numpy as np

from .. import backend, random
from ..grad_mode import no_grad
from ..tensor import Tensor

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_", "eye_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]


def _check(op, tensor):
    if not isinstance(tensor, Tensor):
        raise TypeError(f"init.{op}: expected a Tensor, got {type(tensor).__name__}")


def _fill(tensor, values):
    """Write ``values`` (a host array or a number) into ``tensor``'s array in place."""
    with no_grad():
        if isinstance(values, np.ndarray):
            tensor.copy_(backend.to_device(values.astype(tensor.dtype), tensor.device))
        else:
            tensor.fill_(values)
    return tensor


def calculate_gain(nonlinearity, param=None):
    """The recommended scale for a nonlinearity (PyTorch's table): 1 for linear/conv/sigmoid,
    5/3 for tanh, √2 for relu, √(2/(1 + slope²)) for leaky_relu (slope ``param``, default
    0.01), 3/4 for selu."""
    linear = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
              "conv_transpose2d", "conv_transpose3d")
    if nonlinearity in linear or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor):
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel); needs ≥ 2 dimensions."""
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out can not be computed for a tensor with fewer "
                         f"than 2 dimensions (got shape {tensor.shape})")
    receptive = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive, tensor.shape[0] * receptive


def _calculate_correct_fan(tensor, mode):
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"mode {mode!r} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def uniform_(tensor, a=0.0, b=1.0):
    """Fill with draws from U(a, b)."""
    _check("uniform_", tensor)
    return _fill(tensor, random.generator().uniform(a, b, size=tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    """Fill with draws from N(mean, std²)."""
    _check("normal_", tensor)
    return _fill(tensor, random.generator().normal(mean, std, size=tensor.shape))


def constant_(tensor, val):
    """Fill with ``val``."""
    _check("constant_", tensor)
    return _fill(tensor, val)


def zeros_(tensor):
    return constant_(tensor, 0)


def ones_(tensor):
    return constant_(tensor, 1)


def eye_(tensor):
    """Fill a 2-d tensor with the identity matrix."""
    _check("eye_", tensor)
    if tensor.ndim != 2:
        raise ValueError(f"init.eye_: only 2-d tensors are supported, got {tensor.shape}")
    return _fill(tensor, np.eye(*tensor.shape))


def xavier_uniform_(tensor, gain=1.0):
    """Glorot & Bengio (2010): U(−a, a), a = gain·√(6 / (fan_in + fan_out))."""
    _check("xavier_uniform_", tensor)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    a = gain * math.sqrt(6.0 / float(fan_in + fan_out))
    return uniform_(tensor, -a, a)


def xavier_normal_(tensor, gain=1.0):
    """Glorot & Bengio (2010): N(0, std²), std = gain·√(2 / (fan_in + fan_out))."""
    _check("xavier_normal_", tensor)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / float(fan_in + fan_out)))


def _kaiming_std(op, tensor, a, mode, nonlinearity):
    _check(op, tensor)
    if 0 in tensor.shape:
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return None
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He et al. (2015): U(−bound, bound), bound = gain·√(3 / fan), gain from
    ``calculate_gain(nonlinearity, a)``; fan is fan_in or fan_out (``mode``).

    With a = √5 (what Linear and Conv2d use) bound = 1/√fan_in.
    """
    std = _kaiming_std("kaiming_uniform_", tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """He et al. (2015): N(0, std²), std = gain / √fan (see :func:`kaiming_uniform_`)."""
    std = _kaiming_std("kaiming_normal_", tensor, a, mode, nonlinearity)
    if std is None:
        return tensor
    return normal_(tensor, 0.0, std)
