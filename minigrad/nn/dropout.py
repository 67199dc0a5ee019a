"""``Dropout``: randomly zeroes elements while training."""
from .. import functional as F
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """In training mode, zero each element with probability ``p`` and scale the rest by
    1/(1 − p) (inverted dropout); in evaluation mode (``eval()``), the identity.

    Masks come from minigrad's seeded generator.  ``inplace`` is accepted for PyTorch
    compatibility; the result is always a new tensor.  Any input shape; no parameters.
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p <= 1:
            raise ValueError(f"Dropout: probability p has to be between 0 and 1, but got {p!r}")
        self.p, self.inplace = float(p), inplace

    def forward(self, x):
        return self._call(F.dropout, x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
