"""Every differentiable op: a Function subclass (forward/backward formulas in its docstring)
and a snake_case wrapper that checks its arguments and calls ``Function.apply``."""
from .activation import (elu, gelu, hardtanh, leaky_relu, log_softmax, logsigmoid, logsumexp,
                         mish, relu, relu6, sigmoid, silu, softmax, softplus, tanh)
from .attention import scaled_dot_product_attention
from .conv import conv2d
from .conversion import cast, to_device
from .dropout import dropout
from .elementwise import (abs, acos, add, asin, atan, atan2, ceil, clip, cos, cosh, div, erf,
                          exp, exp2, expm1, floor, log, log1p, log2, log10, masked_fill,
                          maximum, minimum, mul, neg, pow, reciprocal, round, rsqrt, sign, sin,
                          sinh, sqrt, square, sub, tan, trunc, where)
from .embedding import embedding, one_hot
from .linalg import linear, matmul
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                   huber_loss, l1_loss, mse_loss, nll_loss, smooth_l1_loss)
from .norm import batch_norm, layer_norm
from .pool import avg_pool2d, max_pool2d
from .reduction import max, mean, min, std, sum, topk, var
from .shape import (broadcast_to, cat, concatenate, flatten, gather, getitem, pad, permute,
                    reshape, squeeze, stack, transpose, tril, triu, unsqueeze, view)

__all__ = [
    "gelu", "leaky_relu", "log_softmax", "logsumexp", "relu", "sigmoid", "softmax", "tanh",
    "softplus", "silu", "elu", "hardtanh", "relu6", "logsigmoid", "mish",
    "cast", "to_device",
    "abs", "add", "clip", "div", "exp", "log", "maximum", "minimum", "mul", "neg", "pow",
    "sqrt", "sub", "where", "masked_fill",
    "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh", "log2", "log10",
    "log1p", "expm1", "exp2", "square", "rsqrt", "reciprocal", "erf", "sign", "floor", "ceil",
    "trunc", "round",
    "matmul",
    "max", "mean", "min", "std", "sum", "var", "topk",
    "broadcast_to", "cat", "concatenate", "flatten", "getitem", "pad", "permute", "reshape", "view",
    "squeeze", "stack", "transpose", "unsqueeze", "gather", "tril", "triu",
    "scaled_dot_product_attention",
    "conv2d", "linear", "dropout", "embedding", "one_hot", "batch_norm", "layer_norm",
    "avg_pool2d", "max_pool2d",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "l1_loss",
    "mse_loss", "nll_loss", "smooth_l1_loss", "huber_loss",
]
