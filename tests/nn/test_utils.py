"""nn.utils: gradient clipping against NumPy, parameter vectors, the L1 penalty."""
import math

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.nn import utils


def _params_with_grads(scale=1.0):
    rng = np.random.default_rng(0)
    params = [nn.Parameter(rng.standard_normal(s).astype(np.float32)) for s in
              [(3, 4), (4,), (2, 2, 2)]]
    for p in params:
        p.grad = minigrad.tensor(rng.standard_normal(p.shape).astype(np.float32) * scale)
    params.append(nn.Parameter(minigrad.zeros(2)))          # no grad: skipped
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_numpy(norm_type, max_norm):
    params = _params_with_grads()
    grads = [p.grad.numpy().astype(np.float64) for p in params[:3]]
    flat = np.concatenate([g.ravel() for g in grads])
    total = np.abs(flat).max() if norm_type == math.inf else \
        (np.abs(flat) ** norm_type).sum() ** (1 / norm_type)
    result = utils.clip_grad_norm_(iter(params), max_norm, norm_type)
    assert result.dtype == np.float32 and result.shape == ()
    np.testing.assert_allclose(result.item(), total, rtol=1e-6)
    coef = min(1.0, max_norm / (total + 1e-6))
    for p, g in zip(params, grads):
        np.testing.assert_allclose(p.grad.numpy(), g * coef, rtol=1e-6)
    if coef < 1:
        clipped = np.concatenate([p.grad.numpy().ravel() for p in params[:3]])
        after = np.abs(clipped).max() if norm_type == math.inf else \
            (np.abs(clipped.astype(np.float64)) ** norm_type).sum() ** (1 / norm_type)
        assert after == pytest.approx(max_norm, rel=1e-5)


def test_clip_grad_norm_edge_cases():
    assert utils.clip_grad_norm_([nn.Parameter(minigrad.zeros(2))], 1.0).item() == 0
    p = _params_with_grads()[0]
    assert utils.clip_grad_norm_(p, 1e9).item() > 0       # a single Tensor works
    p.grad._data[0, 0] = np.nan
    with pytest.raises(RuntimeError, match="non-finite"):
        utils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    before = p.grad.numpy()
    assert math.isnan(utils.clip_grad_norm_([p], 1.0).item())
    np.testing.assert_array_equal(p.grad.numpy(), before)   # nan: left alone
    with pytest.raises(TypeError, match="iterable of Tensors"):
        utils.clip_grad_norm_(3, 1.0)


def test_clip_grad_value():
    params = _params_with_grads(scale=3.0)
    before = [p.grad.numpy() for p in params[:3]]
    utils.clip_grad_value_(params, 1.5)
    for p, g in zip(params, before):
        np.testing.assert_array_equal(p.grad.numpy(), np.clip(g, -1.5, 1.5))


def test_parameters_to_vector_and_back():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = utils.parameters_to_vector(model.parameters())
    assert vec.shape == (model.num_parameters(),) and vec.requires_grad
    weights = [p._data for p in model.parameters()]
    utils.vector_to_parameters(vec * 2, model.parameters())
    assert [p._data for p in model.parameters()] == weights     # written in place
    np.testing.assert_allclose(utils.parameters_to_vector(model.parameters()).numpy(),
                               2 * vec.numpy())
    with pytest.raises(ValueError, match=r"expected \(11,\)"):
        utils.vector_to_parameters(minigrad.zeros(3), model.parameters())


def test_l1_penalty_value_and_gradient():
    model = nn.Linear(4, 3)
    x = minigrad.randn(2, 4)
    penalty = utils.l1_penalty(model.parameters())
    data = [p.numpy() for p in model.parameters()]
    np.testing.assert_allclose(penalty.item(), sum(np.abs(d).sum() for d in data), rtol=1e-6)
    model(x).sum().backward()
    plain = [p.grad.numpy() for p in model.parameters()]
    model.zero_grad()
    lam = 0.01
    (model(x).sum() + lam * utils.l1_penalty(model.parameters())).backward()
    for p, g, d in zip(model.parameters(), plain, data):
        np.testing.assert_allclose(p.grad.numpy(), g + lam * np.sign(d), rtol=1e-6)
    assert utils.l1_penalty([]).item() == 0
