"""``minigrad.functional`` (import as ``F``): every op as a function.

The ops themselves live in ``minigrad/ops`` (one Function per op, formulas in its
docstring); this module is the public place to call them from, PyTorch's ``F``.
"""
from .ops import (abs, add, avg_pool2d, batch_norm, binary_cross_entropy,
                  binary_cross_entropy_with_logits, broadcast_to, cat, clip, concatenate,
                  conv2d, cross_entropy, div, dropout, embedding, exp, flatten, gather, gelu,
                  l1_loss, layer_norm, leaky_relu, linear, log, log_softmax, logsumexp,
                  masked_fill, matmul, max,
                  max_pool2d, maximum, mean, min, minimum, mse_loss, mul, nll_loss, one_hot,
                  pad, permute, pow, relu, reshape, scaled_dot_product_attention, sigmoid,
                  softmax, sqrt, squeeze, stack, std, sub, sum, tanh, topk, transpose, tril,
                  triu, unsqueeze, var, where)

clamp = clip

__all__ = [
    "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax", "logsumexp",
    "matmul", "concatenate", "cat", "stack", "pad", "where", "maximum", "minimum",
    "add", "sub", "mul", "div", "pow", "exp", "log", "sqrt", "abs", "clip", "clamp",
    "sum", "mean", "max", "min", "var", "std",
    "reshape", "transpose", "permute", "flatten", "squeeze", "unsqueeze", "broadcast_to",
    "gather", "tril", "triu", "masked_fill", "topk",
    "linear", "scaled_dot_product_attention",
    "conv2d", "max_pool2d", "avg_pool2d", "dropout", "batch_norm", "layer_norm",
    "embedding", "one_hot",
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]
