"""Quantisation-aware training: fake quantisation's values and straight-through gradient, and
a fine-tuned fake-quantised model converting to an int8 model with the same outputs."""
import numpy as np
import pytest

import minigrad
import minigrad.functional as F
from minigrad import nn
from minigrad import quantization as Q


def test_fake_quantize_values_and_straight_through_gradient():
    x = minigrad.tensor(np.array([-3.0, -0.26, 0.0, 0.24, 0.26, 1.0, 3.0], np.float32),
                        requires_grad=True)
    y = Q.fake_quantize(x, 0.5, 0, -4, 4)               # grid step 0.5, range [−2, 2]
    np.testing.assert_array_equal(y._data, [-2.0, -0.5, 0.0, 0.0, 0.5, 1.0, 2.0])
    (y * minigrad.tensor(np.arange(7, dtype=np.float32))).sum().backward()
    np.testing.assert_array_equal(x.grad._data, [0, 1, 2, 3, 4, 5, 0])   # clamped: no gradient


def test_fake_quantize_per_channel_matches_quantize_weight():
    w = np.random.default_rng(0).standard_normal((4, 6)).astype(np.float32)
    q, s = Q.quantize_weight(w)
    fq = Q.fake_quantize(minigrad.tensor(w), s[:, None], 0, -127, 127)
    np.testing.assert_array_equal(fq._data, Q.dequantize(q, s, axis=0))


def test_qat_fine_tunes_then_converts_to_the_same_outputs():
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 6 * 6, 3))
    x = minigrad.randn(16, 1, 6, 6)
    t = minigrad.tensor(np.arange(16) % 3)
    qat = Q.prepare_qat(model)
    assert isinstance(qat[0][0], Q.FakeQuantConv2d) and isinstance(qat[3], Q.FakeQuantLinear)
    assert isinstance(model[0], nn.Conv2d) and type(model[0]) is nn.Conv2d   # a copy
    opt = minigrad.optim.SGD(qat.parameters(), lr=0.1)
    losses = []
    for _ in range(15):
        opt.zero_grad()
        loss = F.cross_entropy(qat(x), t)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    qat.eval()
    q = Q.convert(qat)
    assert isinstance(q[0], Q.QuantizedConv2d) and q[0].relu
    np.testing.assert_allclose(q(x)._data, qat(x)._data, rtol=0, atol=1e-5)


def test_prepare_qat_errors():
    with pytest.raises(ValueError, match="prepare_qat: Sequential.*no Linear or Conv2d"):
        Q.prepare_qat(nn.Sequential(nn.ReLU()))
    qat = Q.prepare_qat(nn.Sequential(nn.Linear(2, 2)))
    with pytest.raises(RuntimeError, match="has seen no calibration batch"):
        Q.convert(qat)
