"""Dropout: zero a random fraction p of the elements while training."""
from .. import backend, random
from ..function import Function
from ..tensor import Tensor

__all__ = ["dropout"]


class Dropout(Function):
    """Inverted dropout: the expected value of y is x, so evaluation needs no rescaling.

    forward:   y = x · m / (1 − p),  m ~ Bernoulli(1 − p) per element
    backward:  dx = dy · m / (1 − p)
    """

    def forward(self, x, p=0.5):
        keep = random.generator().random(x.shape) >= p        # drawn on the host, seeded
        scale = (keep / (1 - p)).astype(x.dtype)
        scale = backend.to_device(scale, backend.device_of(x))
        self.save_for_backward(scale)
        return x * scale

    def backward(self, dy):
        (scale,) = self.saved
        return dy * scale


def dropout(x, p=0.5, training=True):
    """Inverted dropout with probability ``p``; the identity when not training or p = 0."""
    if not isinstance(x, Tensor):
        raise TypeError(f"dropout: expected a Tensor, got {type(x).__name__}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    return Dropout.apply(x, p=float(p))
