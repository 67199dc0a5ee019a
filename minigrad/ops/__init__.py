"""Every differentiable op: a Function subclass (forward/backward formulas in its docstring)
and a snake_case wrapper that checks its arguments and calls ``Function.apply``."""
from .activation import (gelu, leaky_relu, log_softmax, logsumexp, relu, sigmoid, softmax,
                         tanh)
from .conversion import cast, to_device
from .elementwise import (abs, add, clip, div, exp, log, maximum, minimum, mul, neg, pow,
                          sqrt, sub, where)
from .linalg import matmul
from .reduction import max, mean, min, sum, var
from .shape import (broadcast_to, cat, concatenate, flatten, getitem, pad, permute, reshape,
                    squeeze, stack, transpose, unsqueeze)

__all__ = [
    "gelu", "leaky_relu", "log_softmax", "logsumexp", "relu", "sigmoid", "softmax", "tanh",
    "cast", "to_device",
    "abs", "add", "clip", "div", "exp", "log", "maximum", "minimum", "mul", "neg", "pow",
    "sqrt", "sub", "where",
    "matmul",
    "max", "mean", "min", "sum", "var",
    "broadcast_to", "cat", "concatenate", "flatten", "getitem", "pad", "permute", "reshape",
    "squeeze", "stack", "transpose", "unsqueeze",
]
