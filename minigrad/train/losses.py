"""Keras-named losses for ``Model.compile``: each is called as ``loss(pred, target)`` on
Tensors and returns the batch mean (a 0-d Tensor).

minigrad models end in a ``Linear`` layer: they output LOGITS, so the classification losses
default to ``from_logits=True`` (the softmax / sigmoid is inside the loss, computed stably).
This is the one place where these names differ from Keras, whose default is
``from_logits=False``.  For a model that ends in ``Softmax`` / ``Sigmoid`` pass an instance
with ``from_logits=False``, e.g. ``compile(loss=CategoricalCrossentropy(from_logits=False))``:
the probabilities are then clipped to [ε, 1 − ε] (ε = 1e-7, as Keras) before the log.
"""
import numpy as np

from .. import functional as F
from .._check import check_bool
from ..tensor import Tensor

__all__ = ["Loss", "CategoricalCrossentropy", "SparseCategoricalCrossentropy",
           "BinaryCrossentropy", "MeanSquaredError", "MeanAbsoluteError", "get"]

EPSILON = 1e-7


def _target(pred, target):
    """``target`` as a Tensor on ``pred``'s device; float targets cast to pred's dtype,
    integer ones (class labels) kept."""
    if not isinstance(target, Tensor):
        target = Tensor(np.asarray(target), device=pred.device)
    if target.dtype.kind == "f" and target.dtype != pred.dtype:
        target = target.to(pred.dtype)
    return target


def _same_shape(name, pred, target):
    """Allow (N,) targets for (N, 1) outputs and the reverse, as Keras does; no broadcast."""
    if target.shape != pred.shape:
        if target.numel() != pred.numel() or pred.ndim == 0:
            raise ValueError(f"{name}: targets of shape {target.shape} do not match the "
                             f"model's output {pred.shape}")
        target = target.reshape(pred.shape)
    return target


class Loss:
    """Base class: ``__call__(pred, target)`` → mean loss over the batch (0-d Tensor)."""

    name = "loss"
    from_logits = None      # None: the loss does not involve logits

    def __call__(self, pred, target):
        raise NotImplementedError

    def __repr__(self):
        extra = "" if self.from_logits is None else f"from_logits={self.from_logits}"
        return f"{type(self).__name__}({extra})"


class CategoricalCrossentropy(Loss):
    """Cross-entropy with one-hot / probability targets (N, K) and outputs (N, K).

    Args:
        from_logits: True (default): ``pred`` are logits, softmax inside the loss.
            False: ``pred`` are probabilities (rows summing to 1), clipped to [ε, 1 − ε].
    """

    name = "categorical_crossentropy"

    def __init__(self, from_logits=True):
        self.from_logits = check_bool(type(self).__name__, "from_logits", from_logits)

    def __call__(self, pred, target):
        target = _target(pred, target)
        if target.dtype.kind in "biu" and target.shape == pred.shape:   # F.one_hot's int64
            target = target.to(pred.dtype)
        if target.dtype.kind != "f" or target.shape != pred.shape:
            raise ValueError(f"categorical_crossentropy: expects one-hot or probability "
                             f"targets of the output's shape {pred.shape}, got "
                             f"{target.shape} {target.dtype}; for integer class labels use "
                             f"loss='sparse_categorical_crossentropy'")
        if self.from_logits:
            return F.cross_entropy(pred, target)
        log_p = pred.clip(EPSILON, 1 - EPSILON).log()
        return -(target * log_p).sum(axis=-1).mean()


class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy with integer class labels (N,) (or (N, 1)) and outputs (N, K).

    Float labels holding whole numbers are accepted (cast to int64), as in Keras.

    Args:
        from_logits: True (default): ``pred`` are logits; False: probabilities.
    """

    name = "sparse_categorical_crossentropy"

    def __init__(self, from_logits=True):
        self.from_logits = check_bool(type(self).__name__, "from_logits", from_logits)

    def __call__(self, pred, target):
        if isinstance(target, Tensor):
            target = target.numpy()
        labels = np.asarray(target)
        if labels.ndim == 2 and labels.shape[1] == 1:
            labels = labels[:, 0]
        if labels.dtype.kind == "f":
            if not np.all(labels == np.round(labels)):
                raise ValueError("sparse_categorical_crossentropy: expects integer class "
                                 "labels, got non-integral floats; for one-hot or "
                                 "probability targets use loss='categorical_crossentropy'")
        if labels.dtype.kind not in "biuf" or labels.ndim != 1:
            raise ValueError(f"sparse_categorical_crossentropy: expects class labels of "
                             f"shape (N,), got {labels.shape} {labels.dtype}")
        labels = Tensor(labels.astype(np.int64), device=pred.device)
        if self.from_logits:
            return F.cross_entropy(pred, labels)
        return F.nll_loss(pred.clip(EPSILON, 1 - EPSILON).log(), labels)


class BinaryCrossentropy(Loss):
    """Binary cross-entropy with targets in [0, 1] of the output's shape ((N,) and (N, 1)
    are interchangeable).

    Args:
        from_logits: True (default): ``pred`` are logits (sigmoid inside, stable);
            False: probabilities, clipped to [ε, 1 − ε].
    """

    name = "binary_crossentropy"

    def __init__(self, from_logits=True):
        self.from_logits = check_bool(type(self).__name__, "from_logits", from_logits)

    def __call__(self, pred, target):
        target = _same_shape(self.name, pred, _target(pred, target))
        if self.from_logits:
            return F.binary_cross_entropy_with_logits(pred, target)
        return F.binary_cross_entropy(pred.clip(EPSILON, 1 - EPSILON), target)


class MeanSquaredError(Loss):
    """Mean of (pred − target)²; target of the output's shape ((N,) ≡ (N, 1))."""

    name = "mse"

    def __call__(self, pred, target):
        return F.mse_loss(pred, _same_shape(self.name, pred, _target(pred, target)))


class MeanAbsoluteError(Loss):
    """Mean of |pred − target|; target of the output's shape ((N,) ≡ (N, 1))."""

    name = "mae"

    def __call__(self, pred, target):
        return F.l1_loss(pred, _same_shape(self.name, pred, _target(pred, target)))


_BY_NAME = {
    "categorical_crossentropy": CategoricalCrossentropy,
    "sparse_categorical_crossentropy": SparseCategoricalCrossentropy,
    "binary_crossentropy": BinaryCrossentropy,
    "mse": MeanSquaredError, "mean_squared_error": MeanSquaredError,
    "mae": MeanAbsoluteError, "mean_absolute_error": MeanAbsoluteError,
}


class _Callable(Loss):
    """A user's ``fn(pred, target) -> 0-d Tensor``; float targets cast to pred's dtype."""

    def __init__(self, fn):
        self.fn = fn
        self.name = getattr(fn, "__name__", type(fn).__name__)

    def __call__(self, pred, target):
        return self.fn(pred, _target(pred, target))

    def __repr__(self):
        return f"{self.name}"


def get(loss):
    """A :class:`Loss` from a Keras name, a Loss instance or a callable(pred, target)."""
    if isinstance(loss, Loss):
        return loss
    if isinstance(loss, str):
        key = loss.lower()
        if key not in _BY_NAME:
            raise ValueError(f"compile: unknown loss {loss!r}; expected one of "
                             f"{sorted(_BY_NAME)} or a callable(pred, target)")
        return _BY_NAME[key]()
    if callable(loss):
        return _Callable(loss)
    raise TypeError(f"compile: loss must be a name, a minigrad.train.losses.Loss or a "
                    f"callable(pred, target), got {type(loss).__name__}")
