"""Issue 20, item 3: ``.data`` is a Tensor that shares memory outside autograd, and the
in-place methods have PyTorch's names and signatures (PyTorch as the oracle where installed)."""
import numpy as np
import pytest

import minigrad
from minigrad import nn

try:
    import torch
except ImportError:      # the oracle is optional: CI has no PyTorch
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")


def test_data_is_a_tensor_sharing_memory_outside_autograd():
    w = minigrad.randn(3, requires_grad=True)
    d = w.data
    assert isinstance(d, minigrad.Tensor) and not d.requires_grad and d.grad_fn is None
    d[0] = 5.0                                   # writes through to w
    assert w[0].item() == 5.0
    assert w.requires_grad and w.is_leaf


def test_the_manual_sgd_loop_through_data():
    minigrad.manual_seed(0)
    model = nn.Linear(3, 1)
    x, y = minigrad.randn(16, 3), minigrad.randn(16, 1)
    losses = []
    for _ in range(20):
        loss = ((model(x) - y) ** 2).mean()
        losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.1 * p.grad                  # grad mode on: .data is outside autograd
    assert losses[-1] < 0.7 * losses[0]


@pytest.mark.parametrize("step", [
    lambda p, lr: p.data.add_(p.grad, alpha=-lr),
    lambda p, lr: p.data.sub_(lr * p.grad),
    lambda p, lr: p.data.copy_(p.data - lr * p.grad),
])
def test_in_place_updates_through_data_equal_the_formula(step):
    p = minigrad.tensor([1.0, -2.0, 3.0], requires_grad=True)
    (p * p).sum().backward()                     # grad = 2p
    step(p, 0.25)
    np.testing.assert_allclose(p.numpy(), [0.5, -1.0, 1.5])


def test_in_place_methods_refuse_a_tensor_that_requires_grad_in_grad_mode():
    p = minigrad.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="add_: in-place change of a tensor"):
        p.add_(1.0)
    with minigrad.no_grad():
        p.add_(1.0)                              # allowed: a parameter update


def test_initialisers_through_data():
    minigrad.manual_seed(0)
    w = minigrad.zeros(400, 50, requires_grad=True)
    w.data.normal_(0, 0.01)
    assert abs(w.numpy().std() - 0.01) < 5e-4 and abs(w.numpy().mean()) < 5e-4
    w.data.uniform_(-0.5, 0.5)
    assert -0.5 <= w.numpy().min() and w.numpy().max() < 0.5 and w.dtype == np.float32
    w.data.fill_(0)
    w.data.clamp_(min=1.0)
    assert (w.numpy() == 1.0).all()
    w.data.zero_()
    assert not w.numpy().any()


def test_assigning_data_replaces_the_values():
    p = nn.Parameter(minigrad.zeros(2, 2))
    p.data = minigrad.ones(3)                    # any shape, as in PyTorch
    assert p.shape == (3,) and isinstance(p, nn.Parameter) and p.requires_grad
    with pytest.raises(TypeError, match=r"assigning \.data of a tensor \(3,\) float32: "
                                        r"expected a Tensor, got ndarray"):
        p.data = np.zeros(3)


def test_clamp_needs_a_bound():
    with pytest.raises(ValueError, match="clamp_: give min or max"):
        minigrad.zeros(2).clamp_()


@needs_torch
@pytest.mark.parametrize("name, args, kwargs", [
    ("add_", (2.0,), {}), ("add_", ("other",), {"alpha": -0.5}), ("sub_", ("other",), {}),
    ("sub_", ("other",), {"alpha": 3}), ("mul_", ("other",), {}), ("div_", (4.0,), {}),
    ("clamp_", (), {"min": -0.5}), ("clamp_", (-0.2, 0.3), {}), ("fill_", (7.0,), {}),
    ("zero_", (), {}), ("copy_", ("other",), {}),
])
def test_in_place_methods_match_pytorch(name, args, kwargs):
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3, 4))
    ours, theirs = minigrad.tensor(a), torch.tensor(a)

    def resolve(args, other):
        return tuple(other if x == "other" else x for x in args)
    result = getattr(ours, name)(*resolve(args, minigrad.tensor(b)), **kwargs)
    getattr(theirs, name)(*resolve(args, torch.tensor(b)), **kwargs)
    assert result is ours
    # alpha·other may be fused into one rounding in PyTorch (an FMA): last bit
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-15, atol=1e-15)
