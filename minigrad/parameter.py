"""``Parameter``: a Tensor that a Module registers as one of its learnable weights (public
as ``minigrad.nn.Parameter``; it lives below ``nn`` so that ``serialization`` can use it)."""
import numpy as np

from . import dtypes
from .tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A leaf Tensor that, assigned as a Module attribute, is registered as a parameter
    (listed by ``parameters()``, saved by ``state_dict()``, updated by optimizers).

    ``Parameter(data=None, requires_grad=True)``:

    * ``data`` a Tensor: the Parameter **shares** its array (and in-place version count),
      as ``torch.nn.Parameter(t)`` does; it is a new leaf even if ``data`` was computed.
    * ``data`` an array, list or number: **copied**, with ``minigrad.tensor``'s dtype rules
      (a NumPy array keeps its dtype; Python floats become float32).
    * ``data`` None: an empty float32 parameter of shape (0,).

    ``requires_grad=True`` needs a floating-point dtype; an integer Parameter must say
    ``requires_grad=False``.  Results of ops on a Parameter are ordinary Tensors.

    >>> w = Parameter(minigrad.zeros(3))
    >>> w
    Parameter containing:
    tensor([0., 0., 0.], requires_grad=True)
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty((0,), dtype=dtypes.default_float)
        if isinstance(data, Tensor):
            self._data = data._data
            self._versions = data._versions      # one memory, one version count
        else:
            Tensor.__init__(self, data)
        self._grad = None
        self._fn = None
        self._retains_grad = False
        self._requires_grad = False
        self.requires_grad = requires_grad       # checks that the dtype is floating

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
