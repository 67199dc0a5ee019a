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
from . import backend, cuda, dtypes, random
from .backend import CudaUnavailableError, use_kernels
from .creation import (arange, eye, from_numpy, full, multinomial, ones, ones_like, rand,
                       randint, randn, zeros, zeros_like)
from .dtypes import (bool_, float16, float32, float64, int8, int16, int32, int64, uint8)
from .function import AnomalyError, Function, GraphFreedError
from .grad_mode import (detect_anomaly, enable_grad, is_anomaly_enabled, is_grad_enabled,
                        no_grad, set_detect_anomaly, set_grad_enabled)
from .gradcheck import GradcheckError, gradcheck
from .random import Generator, manual_seed
from .tensor import Tensor, as_tensor, tensor
from . import functional  # noqa: E402  (after Tensor: functional re-exports the ops)
from .functional import gather, masked_fill, topk, tril, triu  # noqa: E402
from . import data, metrics, nn, optim  # noqa: E402
from .serialization import CheckpointFormatError, load, save  # noqa: E402
from .checkpoint import load_checkpoint, save_checkpoint  # noqa: E402
from .trace import BackwardTrace, trace_backward  # noqa: E402
from .doctor import doctor  # noqa: E402

__version__ = "0.1.0"

__all__ = [
    "Tensor", "tensor", "as_tensor", "Function", "GraphFreedError",
    "zeros", "ones", "full", "zeros_like", "ones_like", "arange", "eye",
    "randn", "rand", "randint", "multinomial", "from_numpy",
    "tril", "triu", "gather", "masked_fill", "topk",
    "bool_", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled",
    "detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled", "AnomalyError",
    "manual_seed", "Generator", "gradcheck", "GradcheckError",
    "use_kernels", "CudaUnavailableError",
    "save", "load", "save_checkpoint", "load_checkpoint", "CheckpointFormatError",
    "trace_backward", "BackwardTrace",
    "doctor",
    "backend", "cuda", "data", "dtypes", "functional", "metrics", "nn", "optim", "random",
]
