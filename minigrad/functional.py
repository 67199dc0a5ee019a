"""``minigrad.functional`` (import as ``F``): every op as a function.

The ops themselves live in ``minigrad/ops`` (one Function per op, formulas in its
docstring); this module is the public place to call them from, PyTorch's ``F``.
"""
from .ops import (abs, acos, add, asin, atan, atan2, avg_pool2d, batch_norm,
                  binary_cross_entropy, binary_cross_entropy_with_logits, broadcast_to, cat,
                  ceil, clip, concatenate, conv2d, cos, cosh, cross_entropy, div, dropout, elu,
                  embedding, erf, exp, exp2, expm1, flatten, floor, gather, gelu, hardtanh,
                  huber_loss, l1_loss, layer_norm, leaky_relu, linear, log, log1p, log2, log10,
                  log_softmax, logsigmoid, logsumexp, masked_fill, matmul, max, max_pool2d,
                  maximum, mean, min, minimum, mish, mse_loss, mul, neg, nll_loss, one_hot, pad,
                  permute, pow, reciprocal, relu, relu6, reshape, round, rsqrt,
                  scaled_dot_product_attention, sigmoid, sign, silu, sin, sinh, smooth_l1_loss,
                  softmax, softplus, sqrt, square, squeeze, stack, std, sub, sum, tan, tanh, topk,
                  transpose, tril, triu, trunc, unsqueeze, var, where)

clamp = clip

__all__ = [
    "relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax", "log_softmax", "logsumexp",
    "softplus", "silu", "elu", "hardtanh", "relu6", "logsigmoid", "mish",
    "matmul", "concatenate", "cat", "stack", "pad", "where", "maximum", "minimum",
    "add", "sub", "mul", "div", "pow", "exp", "log", "sqrt", "abs", "clip", "clamp", "neg",
    "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "log2", "log10",
    "log1p", "expm1", "exp2", "square", "rsqrt", "reciprocal", "erf", "sign", "floor", "ceil",
    "trunc", "round",
    "sum", "mean", "max", "min", "var", "std",
    "reshape", "transpose", "permute", "flatten", "squeeze", "unsqueeze", "broadcast_to",
    "gather", "tril", "triu", "masked_fill", "topk",
    "linear", "scaled_dot_product_attention",
    "conv2d", "max_pool2d", "avg_pool2d", "dropout", "batch_norm", "layer_norm",
    "embedding", "one_hot",
    "cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "smooth_l1_loss", "huber_loss",
]
