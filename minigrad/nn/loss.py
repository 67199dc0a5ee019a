"""Loss layers: call as ``loss_fn(input, target)``; ``reduction`` is ``"mean"`` (default),
``"sum"`` or ``"none"`` (one loss per element/sample).  Formulas: ``minigrad/ops/loss.py``.
"""
from .. import functional as F
from .._check import check_real
from ..tensor import Tensor
from ._util import unsupported
from .module import Module

__all__ = ["MSELoss", "L1Loss", "CrossEntropyLoss", "NLLLoss", "BCELoss", "BCEWithLogitsLoss",
           "SmoothL1Loss", "HuberLoss"]

_REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    """Holds ``reduction``; PyTorch's deprecated ``size_average``/``reduce`` and the
    per-class ``weight`` exist only for its argument order (None is the only value)."""

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(f"{self._get_name()}: reduction must be one of {_REDUCTIONS}, "
                             f"got {reduction!r}")
        unsupported(self._get_name(), size_average=(size_average, None), reduce=(reduce, None))
        self.reduction = reduction


class MSELoss(_Loss):
    """(input − target)², reduced; input and target of the same shape."""

    def forward(self, input, target):
        return self._call(F.mse_loss, input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """|input − target|, reduced; input and target of the same shape."""

    def forward(self, input, target):
        return self._call(F.l1_loss, input, target, reduction=self.reduction)


class SmoothL1Loss(_Loss):
    """½(input − target)²/β where |input − target| < β, |input − target| − ½β elsewhere,
    reduced; β = 0 is the L1 loss.  Input and target of the same shape."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        check_real("SmoothL1Loss", "beta", beta, low=0.0)
        self.beta = beta

    def forward(self, input, target):
        return self._call(F.smooth_l1_loss, input, target, reduction=self.reduction,
                          beta=self.beta)


class HuberLoss(_Loss):
    """½(input − target)² where |input − target| < δ, δ(|input − target| − ½δ) elsewhere,
    reduced (δ = ``delta`` > 0).  Input and target of the same shape."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        check_real("HuberLoss", "delta", delta, low=0.0, low_open=True)
        self.delta = delta

    def forward(self, input, target):
        return self._call(F.huber_loss, input, target, reduction=self.reduction,
                          delta=self.delta)


class _ClassLoss(_Loss):
    """Losses over class scores (N, K) with integer targets (N,) that may be ignored."""

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        unsupported(self._get_name(), weight=(weight, None))
        self.weight, self.ignore_index = None, int(ignore_index)

    def _kept(self, scores, target, loss_fn):
        """``loss_fn(scores, target, reduction)`` leaving out the samples whose integer
        target is ``ignore_index`` ("mean" averages over the others: PyTorch's rule)."""
        if not isinstance(target, Tensor):
            target = Tensor(target)
        keep = target._data != self.ignore_index
        if target.dtype.kind not in "iu" or bool(keep.all()):
            return self._call(loss_fn, scores, target, reduction=self.reduction)
        # Ignored samples get class 0 (any valid class) and then a weight of 0.
        safe = Tensor._wrap(target.xp.where(keep, target._data, 0))
        per_sample = self._call(loss_fn, scores, safe, reduction="none")
        per_sample = per_sample * Tensor._wrap(keep.astype(per_sample.dtype))
        if self.reduction == "none":
            return per_sample
        total = per_sample.sum()
        if self.reduction == "sum":
            return total
        count = int(keep.sum())
        return total / count if count else total * float("nan")   # 0/0, as PyTorch


class CrossEntropyLoss(_ClassLoss):
    """Cross-entropy of softmax(input) against ``target``, computed from logits.

    input: logits (N, K) (or (K,)); target: class indices (N,) int — a sample whose target
    is ``ignore_index`` is left out (of the mean's count too) — or class probabilities
    (N, K) float.  ``label_smoothing`` ε: the target becomes (1 − ε)·t + ε/K.
    ``weight`` (per-class weights) exists for PyTorch's argument order; only None works.
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, ignore_index, reduce, reduction)
        if not 0.0 <= label_smoothing <= 1.0:
            raise ValueError(f"CrossEntropyLoss: label_smoothing must be in [0, 1], got "
                             f"{label_smoothing}")
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        def loss(scores, t, reduction):
            return F.cross_entropy(scores, t, reduction=reduction,
                                   label_smoothing=self.label_smoothing)
        return self._kept(input, target, loss)


class NLLLoss(_ClassLoss):
    """Negative log-likelihood −input[n, target[n]] of log-probabilities (N, K) (from
    ``LogSoftmax``) and class indices (N,); ``ignore_index`` as in CrossEntropyLoss."""

    def forward(self, input, target):
        return self._kept(input, target, F.nll_loss)


class BCELoss(_Loss):
    """Binary cross-entropy −(t·log p + (1 − t)·log(1 − p)) of probabilities ``input`` in
    [0, 1] and targets of the same shape.  ``weight``: None only."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        unsupported("BCELoss", weight=(weight, None))
        self.weight = None

    def forward(self, input, target):
        return self._call(F.binary_cross_entropy, input, target, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of sigmoid(input), computed stably from logits; target of the
    same shape.  ``weight`` and ``pos_weight``: None only."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        unsupported("BCEWithLogitsLoss", weight=(weight, None), pos_weight=(pos_weight, None))
        self.weight, self.pos_weight = None, None

    def forward(self, input, target):
        return self._call(F.binary_cross_entropy_with_logits, input, target,
                          reduction=self.reduction)
