"""``minigrad.functional`` (import as ``F``): every op as a function.

The ops themselves live in ``minigrad/ops`` (one Function per op, formulas in its
docstring); this module is the public place to call them from, PyTorch's ``F``.
"""
from .ops import (abs, add, broadcast_to, cat, clip, concatenate, div, exp, flatten, gelu,
                  leaky_relu, log, log_softmax, logsumexp, matmul, max, maximum, mean, min,
                  minimum, mul, pad, permute, pow, relu, reshape, sigmoid, softmax, sqrt,
                  squeeze, stack, sub, sum, tanh, transpose, unsqueeze, var, where)

clamp = clip

__all__ = [
    "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax", "logsumexp",
    "matmul", "concatenate", "cat", "stack", "pad", "where", "maximum", "minimum",
    "add", "sub", "mul", "div", "pow", "exp", "log", "sqrt", "abs", "clip", "clamp",
    "sum", "mean", "max", "min", "var",
    "reshape", "transpose", "permute", "flatten", "squeeze", "unsqueeze", "broadcast_to",
]
