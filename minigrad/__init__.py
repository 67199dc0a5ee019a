"""minigrad: a small reverse-mode autograd engine and neural-network library on NumPy
(CPU) and CuPy (GPU), written so that every formula can be read.

>>> import minigrad
>>> a = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
>>> b = minigrad.tensor([[5.0], [6.0]], requires_grad=True)
>>> (a @ b).relu().sum().backward()
>>> a.grad
tensor([[5., 6.],
        [5., 6.]])
"""
import numpy as _np

from . import accelerator, backend, backends, cuda, dtypes, random
from .backend import CudaUnavailableError, device, use_kernels
from .backend import get_default_device, set_default_device
from .creation import (arange, empty, empty_like, eye, from_numpy, full, full_like, linspace,
                       logspace, multinomial, normal, ones, ones_like, rand, rand_like,
                       randint, randint_like, randn, randn_like, randperm, zeros, zeros_like)
from .dtypes import (bool_, float16, float32, float64, get_default_dtype, int8, int16, int32,
                     int64, set_default_dtype, uint8)
from .function import AnomalyError, Function, GraphFreedError
from .grad_mode import (detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled,
                        no_grad, set_detect_anomaly, set_grad_enabled)
from .gradcheck import GradcheckError, gradcheck
from .random import Generator, initial_seed, manual_seed, seed
from .tensor import Tensor, as_tensor, tensor
from .threads import get_num_threads, set_num_threads
from . import functional  # noqa: E402  (after Tensor: functional re-exports the ops)
from .functional import gather, masked_fill, topk, tril, triu  # noqa: E402
# PyTorch's top-level functions (torch.cat, torch.tanh, ...): the functional ops whose
# signature is torch's, and Tensor methods that torch also offers as torch.X(tensor, ...)
from .functional import (abs, add, broadcast_to, cat, clamp, clip, concatenate,  # noqa: E402
                         conv2d, div, exp, flatten, log, log_softmax, logsumexp, matmul, max,
                         max_pool2d, maximum, mean, min, minimum, mul, permute, pow, relu,
                         reshape, sigmoid, softmax, sqrt, squeeze, stack, std, sub, sum, tanh,
                         transpose, unsqueeze, var, where)
from .functional import (acos, asin, atan, atan2, ceil, cos, cosh, erf, exp2,  # noqa: E402
                         expm1, floor, log1p, log2, log10, neg, reciprocal, round, rsqrt,
                         sign, sin, sinh, square, tan, trunc)
TENSOR_FUNCTIONS = ("all", "any", "argmax", "argmin", "clone", "detach", "eq", "ge", "gt",
                    "le", "logical_not", "lt", "mm", "narrow", "ne", "t")
globals().update({name: getattr(Tensor, name) for name in TENSOR_FUNCTIONS})
from . import autograd, data, distributed, metrics, nn, optim, quantization, utils  # noqa: E402
from .serialization import CheckpointFormatError, load, save  # noqa: E402
from .checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from .trace import BackwardTrace, trace_backward  # noqa: E402
from .doctor import doctor  # noqa: E402

__version__ = "0.1.0"

# PyTorch's dtype names (they shadow the builtins inside this namespace only, as in torch)
float, double, half = float32, float64, float16
long, int, short = int64, int32, int16    # noqa: A001
bool = bool_                              # noqa: A001
dtype = _np.dtype                         # isinstance(x.dtype, minigrad.dtype)


def __getattr__(name):
    """A name PyTorch has and minigrad lacks fails where it is used, saying so."""
    if name.startswith("__"):
        raise AttributeError(name)
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}: not implemented in "
                         f"minigrad (docs/pytorch.md lists the PyTorch names it has)")


class Size(tuple):
    """PyTorch's ``torch.Size``: a tuple of ints (``x.shape`` is a plain tuple, equal to it)."""


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when |input − other| ≤ atol + rtol·|other| everywhere (PyTorch's rule)."""
    # (``bool`` is minigrad.bool in this namespace; np.allclose returns a Python bool)
    return _np.allclose(input.numpy(), other.numpy(), rtol=rtol, atol=atol,
                        equal_nan=equal_nan)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(t):
    return dtypes.is_floating(t.dtype)


def numel(t):
    return t.numel()

__all__ = [
    "Tensor", "tensor", "as_tensor", "Function", "GraphFreedError",
    "zeros", "ones", "full", "zeros_like", "ones_like", "arange", "eye",
    "randn", "rand", "randint", "multinomial", "from_numpy", "empty", "empty_like",
    "full_like", "linspace", "logspace", "normal", "rand_like", "randn_like", "randint_like",
    "randperm", "seed", "initial_seed", "set_default_device", "get_default_device",
    "tril", "triu", "gather", "masked_fill", "topk",
    "abs", "add", "broadcast_to", "cat", "clamp", "clip", "concatenate", "conv2d", "div", "exp",
    "flatten", "log", "log_softmax", "logsumexp", "matmul", "max", "max_pool2d", "maximum",
    "mean", "min", "minimum", "mul", "permute", "pow", "relu", "reshape", "sigmoid",
    "softmax", "sqrt", "squeeze", "stack", "std", "sub", "sum", "tanh", "transpose",
    "unsqueeze", "var", "where", *TENSOR_FUNCTIONS,
    "acos", "asin", "atan", "atan2", "ceil", "cos", "cosh", "erf", "exp2", "expm1", "floor",
    "log1p", "log2", "log10", "neg", "reciprocal", "round", "rsqrt", "sign", "sin", "sinh",
    "square", "tan", "trunc",
    "bool_", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
    "float", "double", "half", "long", "int", "short", "bool", "dtype", "device",
    "set_default_dtype", "get_default_dtype", "is_tensor", "is_floating_point", "numel",
    "Size", "allclose",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "AnomalyError",
    "manual_seed", "Generator", "gradcheck", "GradcheckError",
    "set_num_threads", "get_num_threads",
    "use_kernels", "CudaUnavailableError",
    "save", "load", "save_checkpoint", "load_checkpoint", "CheckpointFormatError",
    "trace_backward", "BackwardTrace",
    "doctor",
    "accelerator", "autograd", "backend", "backends", "cuda", "data", "distributed", "dtypes",
    "functional",
    "metrics", "nn", "optim", "quantization", "random", "utils",
]
