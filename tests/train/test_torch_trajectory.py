"""A seed CNN trained by minigrad follows PyTorch's training trajectory step by step when
both start from the same weights and see the same batches (skipped without PyTorch).

This checks the whole training path at once (conv/pool/linear kernels, cross-entropy,
backward, Adam) against the reference implementation, not just each piece alone.
"""
import numpy as np
import pytest

import minigrad
from minigrad import functional as F
from minigrad import nn, optim

torch = pytest.importorskip("torch")


def test_model_a_follows_pytorch_for_20_adam_steps():
    from benchmarks.cnn_throughput import MODELS, build
    rng = np.random.default_rng(0)
    x = rng.random((20 * 16, 1, 28, 28), dtype=np.float32)
    y = rng.integers(0, 10, len(x))
    torch.manual_seed(0)
    t_model, m_model = build(torch.nn, MODELS["A"][0]), build(nn, MODELS["A"][0])
    m_model.load_state_dict({k: v.detach().numpy() for k, v in t_model.state_dict().items()})
    t_opt = torch.optim.Adam(t_model.parameters(), lr=1e-3)
    m_opt = optim.Adam(m_model.parameters(), lr=1e-3)
    for step in range(20):
        xb, yb = x[step * 16:(step + 1) * 16], y[step * 16:(step + 1) * 16]
        t_opt.zero_grad()
        t_loss = torch.nn.functional.cross_entropy(t_model(torch.from_numpy(xb)),
                                                   torch.from_numpy(yb))
        t_loss.backward()
        t_opt.step()
        m_opt.zero_grad()
        m_loss = F.cross_entropy(m_model(minigrad.tensor(xb)), minigrad.tensor(yb))
        m_loss.backward()
        m_opt.step()
        assert m_loss.item() == pytest.approx(t_loss.item(), rel=1e-4), step
    for name, value in t_model.state_dict().items():
        np.testing.assert_allclose(m_model.state_dict()[name].numpy(), value.numpy(),
                                   atol=2e-4, err_msg=name)
