"""Loss modules beyond the layer table: ignore_index (PyTorch's mean over kept samples)."""
import numpy as np
import pytest

import minigrad
from minigrad import functional as F
from minigrad import nn


def _logits(n=5, k=3):
    return minigrad.tensor(np.random.default_rng(0).standard_normal((n, k)), requires_grad=True)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_ignore_index_leaves_samples_out(reduction):
    z = _logits()
    target = minigrad.tensor([0, -100, 2, 1, -100])
    kept = [0, 2, 3]
    loss = nn.CrossEntropyLoss(reduction=reduction, label_smoothing=0.1)(z, target)
    per = F.cross_entropy(z, minigrad.tensor([0, 0, 2, 1, 0]), reduction="none",
                          label_smoothing=0.1).numpy()
    want = {"mean": per[kept].mean(), "sum": per[kept].sum(),
            "none": np.where(np.isin(np.arange(5), kept), per, 0.0)}[reduction]
    np.testing.assert_allclose(loss.numpy(), want, rtol=1e-12)
    loss.sum().backward()
    assert not z.grad.numpy()[[1, 4]].any()          # ignored samples get no gradient
    assert z.grad.numpy()[kept].any()


def test_nll_loss_ignore_index_and_all_ignored():
    logp = F.log_softmax(_logits(), 1)
    loss = nn.NLLLoss(ignore_index=1)(logp, minigrad.tensor([1, 0, 1, 2, 2]))
    data = logp.numpy()
    np.testing.assert_allclose(loss.item(), -(data[1, 0] + data[3, 2] + data[4, 2]) / 3)
    all_ignored = nn.NLLLoss(ignore_index=1)(logp, minigrad.tensor([1, 1, 1, 1, 1]))
    assert np.isnan(all_ignored.item())              # 0 / 0, as in PyTorch


def test_probability_targets_are_not_filtered():
    z = _logits(2, 3)
    t = minigrad.tensor([[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]], dtype="float64")
    np.testing.assert_allclose(nn.CrossEntropyLoss()(z, t).numpy(),
                               F.cross_entropy(z, t).numpy())
