"""Every differentiable op: a Function subclass (forward/backward formulas in its docstring)
and a snake_case wrapper that checks its arguments and calls ``Function.apply``."""
from .activation import (gelu, leaky_relu, log_softmax, logsumexp, relu, sigmoid, softmax,
                         tanh)
from .attention import scaled_dot_product_attention
from .conv import conv2d
from .conversion import cast, to_device
from .dropout import dropout
from .elementwise import (abs, add, clip, div, exp, log, masked_fill, maximum, minimum, mul,
                          neg, pow, sqrt, sub, where)
from .embedding import embedding, one_hot
from .linalg import linear, matmul
from .loss import (binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy,
                   l1_loss, mse_loss, nll_loss)
from .norm import batch_norm, layer_norm
from .pool import avg_pool2d, max_pool2d
from .reduction import max, mean, min, std, sum, topk, var
from .shape import (broadcast_to, cat, concatenate, flatten, gather, getitem, pad, permute,
                    reshape, squeeze, stack, transpose, tril, triu, unsqueeze, view)

__all__ = [
    "gelu", "leaky_relu", "log_softmax", "logsumexp", "relu", "sigmoid", "softmax", "tanh",
    "cast", "to_device",
    "abs", "add", "clip", "div", "exp", "log", "maximum", "minimum", "mul", "neg", "pow",
    "sqrt", "sub", "where", "masked_fill",
    "matmul",
    "max", "mean", "min", "std", "sum", "var", "topk",
    "broadcast_to", "cat", "concatenate", "flatten", "getitem", "pad", "permute", "reshape", "view",
    "squeeze", "stack", "transpose", "unsqueeze", "gather", "tril", "triu",
    "scaled_dot_product_attention",
    "conv2d", "linear", "dropout", "embedding", "one_hot", "batch_norm", "layer_norm",
    "avg_pool2d", "max_pool2d",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "l1_loss",
    "mse_loss", "nll_loss",
]
