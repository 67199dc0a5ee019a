"""The activation and loss layers of issue 20 (SiLU, ELU, Softplus, Hardtanh, ReLU6,
LogSigmoid, Mish; SmoothL1Loss, HuberLoss): each is its functional form, with PyTorch's
arguments, defaults and repr, and the same outputs and gradients as PyTorch where installed."""
import numpy as np
import pytest

import minigrad
from minigrad import functional as F
from minigrad import nn

try:
    import torch
except ImportError:          # PyTorch is an oracle here, not a dependency (not in CI)
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed (it is only "
                                                       "the oracle of these tests)")

# (layer, its functional form, the PyTorch layer's constructor call as text)
LAYERS = [
    (lambda: nn.SiLU(), F.silu, "SiLU()"),
    (lambda: nn.ELU(), F.elu, "ELU()"),
    (lambda: nn.ELU(alpha=0.5), lambda x: F.elu(x, 0.5), "ELU(alpha=0.5)"),
    (lambda: nn.Softplus(), F.softplus, "Softplus()"),
    (lambda: nn.Softplus(beta=2, threshold=3), lambda x: F.softplus(x, 2, 3),
     "Softplus(beta=2, threshold=3)"),
    (lambda: nn.Hardtanh(), F.hardtanh, "Hardtanh()"),
    (lambda: nn.Hardtanh(-2, 0.5), lambda x: F.hardtanh(x, -2, 0.5), "Hardtanh(-2, 0.5)"),
    (lambda: nn.ReLU6(), F.relu6, "ReLU6()"),
    (lambda: nn.LogSigmoid(), F.logsigmoid, "LogSigmoid()"),
    (lambda: nn.Mish(), F.mish, "Mish()"),
]
IDS = [text for *_, text in LAYERS]


def x_values(dtype=np.float32):
    rng = np.random.default_rng(0)
    values = np.concatenate([rng.uniform(-8, 8, 22), [-2.0, -1.0, 0.0, 0.5, 6.0, 30.0]])
    return values.reshape(2, 7, 2).astype(dtype)


@pytest.mark.parametrize("make, functional, text", LAYERS, ids=IDS)
def test_layer_is_its_functional_form(make, functional, text):
    layer = make()
    x = minigrad.tensor(x_values(), requires_grad=True)
    y = layer(x)
    np.testing.assert_array_equal(y.numpy(), functional(x).numpy())
    assert y.shape == x.shape and y.dtype == np.float32
    y.sum().backward()
    assert x.grad.shape == x.shape
    assert list(layer.parameters()) == [] and layer.state_dict() == {}


@pytest.mark.parametrize("make, functional, text", LAYERS, ids=IDS)
def test_layers_work_in_a_sequential(make, functional, text):
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), make(), nn.Linear(3, 1))
    model(minigrad.randn(5, 4)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())


def test_reprs_follow_pytorch():
    layers = [nn.SiLU(), nn.SiLU(inplace=True), nn.ELU(), nn.ELU(alpha=2, inplace=True),
              nn.Softplus(), nn.Softplus(beta=2, threshold=10), nn.Hardtanh(),
              nn.Hardtanh(-2, 2, True), nn.ReLU6(), nn.ReLU6(inplace=True), nn.LogSigmoid(),
              nn.Mish(), nn.SmoothL1Loss(), nn.HuberLoss()]
    assert [repr(m) for m in layers] == [
        "SiLU()", "SiLU(inplace=True)", "ELU(alpha=1.0)", "ELU(alpha=2, inplace=True)",
        "Softplus(beta=1.0, threshold=20.0)", "Softplus(beta=2, threshold=10)",
        "Hardtanh(min_val=-1.0, max_val=1.0)", "Hardtanh(min_val=-2, max_val=2, inplace=True)",
        "ReLU6()", "ReLU6(inplace=True)", "LogSigmoid()", "Mish()", "SmoothL1Loss()",
        "HuberLoss()"]


def test_attributes_are_pytorchs():
    assert (nn.ELU().alpha, nn.ELU().inplace) == (1.0, False)
    assert (nn.Softplus().beta, nn.Softplus().threshold) == (1.0, 20.0)
    assert (nn.Hardtanh().min_val, nn.Hardtanh().max_val) == (-1.0, 1.0)
    assert (nn.ReLU6().min_val, nn.ReLU6().max_val) == (0.0, 6.0)
    assert isinstance(nn.ReLU6(), nn.Hardtanh)
    assert nn.SmoothL1Loss().beta == 1.0 and nn.SmoothL1Loss().reduction == "mean"
    assert nn.HuberLoss().delta == 1.0 and nn.HuberLoss(reduction="sum").reduction == "sum"


@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.ELU(alpha="1"), TypeError, "ELU: alpha must be a finite number"),
    (lambda: nn.ELU(alpha=float("nan")), ValueError, "ELU: alpha must be a finite number"),
    (lambda: nn.Softplus(beta=0), ValueError, "Softplus: beta must be a nonzero"),
    (lambda: nn.Softplus(threshold=None), TypeError, "Softplus: threshold must be"),
    (lambda: nn.Hardtanh(1.0, -1.0), ValueError, "Hardtanh: min_val cannot be greater"),
    (lambda: nn.SmoothL1Loss(beta=-0.5), ValueError, "SmoothL1Loss: beta must be"),
    (lambda: nn.SmoothL1Loss(reduction="avg"), ValueError, "SmoothL1Loss: reduction"),
    (lambda: nn.SmoothL1Loss(size_average=True), NotImplementedError, "size_average"),
    (lambda: nn.HuberLoss(delta=0.0), ValueError, "HuberLoss: delta must be"),
    (lambda: nn.HuberLoss(reduction="avg"), ValueError, "HuberLoss: reduction"),
])
def test_bad_options_are_refused_at_construction(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_loss_layers_are_their_functional_forms():
    rng = np.random.default_rng(1)
    a = minigrad.tensor(rng.standard_normal((4, 3)) * 2)
    b = minigrad.tensor(rng.standard_normal((4, 3)))
    for reduction in ("mean", "sum", "none"):
        np.testing.assert_array_equal(
            nn.SmoothL1Loss(reduction=reduction, beta=0.5)(a, b).numpy(),
            F.smooth_l1_loss(a, b, reduction, beta=0.5).numpy())
        np.testing.assert_array_equal(
            nn.HuberLoss(reduction=reduction, delta=2.0)(a, b).numpy(),
            F.huber_loss(a, b, reduction, delta=2.0).numpy())


def test_loss_layer_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"HuberLoss\(\): huber_loss: input \(2, 3\) and "
                                         r"target \(3,\) must have the same shape"):
        nn.HuberLoss()(minigrad.zeros(2, 3), minigrad.zeros(3))


@needs_torch
@pytest.mark.parametrize("make, functional, text", LAYERS, ids=IDS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_layers_match_pytorch(make, functional, text, dtype):
    theirs = eval("torch.nn." + text)      # noqa: S307  (our own constant strings)
    assert repr(make()) == repr(theirs)
    values = x_values(dtype)
    x = minigrad.tensor(values, requires_grad=True)
    tx = torch.tensor(values, requires_grad=True)
    y, ty = make()(x), theirs(tx)
    y.sum().backward()
    ty.sum().backward()
    tol = 2e-6 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=tol, atol=tol)


@needs_torch
@pytest.mark.parametrize("ours, theirs", [
    (lambda: nn.SmoothL1Loss(), lambda: torch.nn.SmoothL1Loss()),
    (lambda: nn.SmoothL1Loss(reduction="sum", beta=0.25),
     lambda: torch.nn.SmoothL1Loss(reduction="sum", beta=0.25)),
    (lambda: nn.HuberLoss(), lambda: torch.nn.HuberLoss()),
    (lambda: nn.HuberLoss(reduction="none", delta=1.5),
     lambda: torch.nn.HuberLoss(reduction="none", delta=1.5)),
])
def test_loss_layers_match_pytorch(ours, theirs):
    rng = np.random.default_rng(2)
    a, b = (rng.standard_normal((5, 4)) * 2).astype(np.float32), \
        rng.standard_normal((5, 4)).astype(np.float32)
    x, tx = minigrad.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    y, ty = ours()(x, minigrad.tensor(b)), theirs()(tx, torch.tensor(b))
    y.sum().backward()
    ty.sum().backward()
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=2e-6, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=2e-6, atol=1e-6)
