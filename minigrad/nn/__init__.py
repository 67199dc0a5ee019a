"""``minigrad.nn``: layers, models and their state (PyTorch's ``torch.nn``).

Layers are :class:`Module` subclasses whose forward calls ``minigrad.functional``; their
parameters are :class:`Parameter` tensors, initialised as PyTorch 2.x does, from minigrad's
seeded generator.  ``state_dict()`` keys are PyTorch's, so a PyTorch state dict converted to
NumPy arrays (``{k: v.numpy() for k, v in sd.items()}``) loads with ``load_state_dict``.

>>> from minigrad import nn
>>> model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
>>> logits = model(x)                                  # x (N, 1, 28, 28) -> (N, 10)
>>> loss = nn.CrossEntropyLoss()(logits, labels)
"""
from ..parameter import Parameter
from . import functional, init, utils
from .activation import (ELU, GELU, Hardtanh, LeakyReLU, LogSigmoid, LogSoftmax, Mish, ReLU,
                         ReLU6, Sigmoid, SiLU, Softmax, Softplus, Tanh)
from .attention import MultiheadAttention
from .container import ModuleList, Sequential
from .conv import Conv2d
from .dropout import Dropout
from .embedding import Embedding
from .linear import Flatten, Identity, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss,
                   NLLLoss, SmoothL1Loss)
from .module import IncompatibleKeys, Module
from .normalization import BatchNorm1d, BatchNorm2d, LayerNorm, SyncBatchNorm
from .pooling import AvgPool2d, MaxPool2d
from .rnn import GRU, LSTM, RNN
from .transformer import (Transformer, TransformerDecoder, TransformerDecoderLayer,
                          TransformerEncoder, TransformerEncoderLayer)

__all__ = [
    "Module", "Parameter", "IncompatibleKeys", "Sequential", "ModuleList",
    "Identity", "Linear", "Flatten", "Conv2d", "MaxPool2d", "AvgPool2d",
    "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "GELU", "Softmax", "LogSoftmax",
    "SiLU", "ELU", "Softplus", "Hardtanh", "ReLU6", "LogSigmoid", "Mish",
    "Dropout", "BatchNorm1d", "BatchNorm2d", "SyncBatchNorm", "LayerNorm", "Embedding",
    "MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder",
    "TransformerDecoderLayer", "TransformerDecoder", "Transformer",
    "RNN", "LSTM", "GRU",
    "MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
    "SmoothL1Loss", "HuberLoss",
    "functional", "init", "utils",
]
