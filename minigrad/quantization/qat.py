"""Quantisation-aware training: fake quantisation with the straight-through estimator.

``prepare_qat(model)`` turns every Linear / Conv2d into ``FakeQuantLinear`` /
``FakeQuantConv2d`` (same parameters, same state-dict keys): in the forward their weight is
rounded to the int8 grid of its per-channel scale, and, once an input range is known, so is
their input, so the loss sees the rounding that int8 inference will do.  Rounding has a zero
derivative almost everywhere; the straight-through estimator passes the gradient through it
unchanged inside the representable range and stops it outside (where the value is clamped):

    forward:   x̂ = s · (clamp(round(x / s) + z, q_min, q_max) − z)
    backward:  ∂L/∂x = ∂L/∂x̂ · [q_min ≤ round(x / s) + z ≤ q_max]

In training mode each layer's observer keeps widening the input range with every batch; in
eval mode the range is frozen.  After fine-tuning, ``convert`` gives the int8 model.
"""
import numpy as np

from .. import functional as F
from .. import nn
from ..function import Function
from ..tensor import Tensor
from .observers import QMAX, QMIN, MinMaxObserver

__all__ = ["fake_quantize", "FakeQuantLinear", "FakeQuantConv2d", "prepare_qat"]


class FakeQuantize(Function):
    """Quantise then dequantise (per tensor, or per channel along axis 0 when ``scale`` is an
    array shaped to broadcast), with the straight-through gradient.

    forward:   x̂ = s · (clamp(round(x / s) + z, q_min, q_max) − z)
    backward:  dx = dy · [q_min ≤ round(x / s) + z ≤ q_max]
    """

    def forward(self, x, scale=1.0, zero_point=0, qmin=QMIN, qmax=QMAX):
        xp = self.xp
        s = xp.asarray(scale, dtype=x.dtype)
        q = xp.rint(x / s) + zero_point
        self.inside = (q >= qmin) & (q <= qmax)
        return ((xp.clip(q, qmin, qmax) - zero_point) * s).astype(x.dtype)

    def backward(self, dy):
        return self.xp.where(self.inside, dy, dy.dtype.type(0))


def fake_quantize(x, scale, zero_point=0, qmin=QMIN, qmax=QMAX):
    """x̂ = s · (clamp(round(x / s) + z, q_min, q_max) − z), gradient straight through inside
    the range.  ``scale``: a number, or a NumPy array that broadcasts against x."""
    return FakeQuantize.apply(x, scale=scale, zero_point=zero_point, qmin=qmin, qmax=qmax)


def _weight_scale(w):
    """Per-output-channel symmetric scale of the current weight (no gradient through it)."""
    a = np.abs(w._data.reshape(w.shape[0], -1)).max(axis=1)
    s = np.where(a > 0, a / 127, 1.0).astype(w._data.dtype)
    return s.reshape((-1,) + (1,) * (w.ndim - 1))


class _FakeQuantMixin:
    def _fake_inputs(self, x):
        obs = self.__dict__["_qobserver"]
        if self.training:
            obs.observe(x._data if isinstance(x, Tensor) else x, f"{self._short_repr()}")
        if obs.batches == 0:
            return x
        s, z = obs.calculate_qparams()
        return fake_quantize(x, float(s), z)

    def _fake_weight(self):
        return fake_quantize(self.weight, _weight_scale(self.weight), 0, -127, 127)


class FakeQuantLinear(_FakeQuantMixin, nn.Linear):
    """Linear whose weight (per channel) and input (per tensor) are fake-quantised to int8."""

    def forward(self, x):
        return self._call(F.linear, self._fake_inputs(x), self._fake_weight(), self.bias)


class FakeQuantConv2d(_FakeQuantMixin, nn.Conv2d):
    """Conv2d whose weight (per channel) and input (per tensor) are fake-quantised to int8."""

    def forward(self, x):
        return self._call(F.conv2d, self._fake_inputs(x), self._fake_weight(), self.bias,
                          stride=self.stride, padding=self.padding, dilation=self.dilation)


_QAT = {nn.Linear: FakeQuantLinear, nn.Conv2d: FakeQuantConv2d}


def prepare_qat(model, observer=MinMaxObserver, inplace=False, fuse=True):
    """A copy of ``model`` with every Linear / Conv2d fake-quantised (Linear/Conv2d → ReLU
    pairs of a Sequential fused first); fine-tune it in training mode, then ``convert`` it."""
    from .quantize import _check_model, _copy, _fuse_sequential_pairs
    _check_model(model, "prepare_qat")
    if not inplace:
        model = _copy(model)
    if fuse:
        _fuse_sequential_pairs(model)
    found = 0
    for m in model.modules():
        if type(m) in _QAT:
            # same object, now the fake-quantised class: parameters and keys stay as they are
            object.__setattr__(m, "__class__", _QAT[type(m)])
            object.__setattr__(m, "_qobserver", observer())
            found += 1
    if not found:
        raise ValueError(f"prepare_qat: {model._short_repr()} has no Linear or Conv2d layer "
                         f"to quantise")
    return model
