"""Adadelta: its first step in closed form, its state, and its trajectory against PyTorch
where installed (the stored reference in torch_reference.json runs without it)."""
import math

import numpy as np
import pytest

import minigrad
from minigrad import optim
from minigrad.optim import lr_scheduler

try:
    import torch
except ImportError:          # PyTorch is an oracle here, not a dependency (not in CI)
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed (it is only "
                                                       "the oracle of these tests)")


def test_defaults_are_pytorchs():
    opt = optim.Adadelta([minigrad.zeros(2, requires_grad=True)])
    assert opt.defaults == dict(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, maximize=False)


def test_first_step_in_closed_form():
    """u = v = 0: Δ = √ε/√((1 − ρ)g² + ε)·g, then θ ← θ − α·Δ."""
    w = minigrad.tensor([1.0, -2.0, 0.5], dtype="float64", requires_grad=True)
    g = np.array([0.3, -4.0, 0.0])
    opt = optim.Adadelta([w], lr=0.5, rho=0.8, eps=1e-4)
    w.grad = minigrad.tensor(g)
    opt.step()
    delta = math.sqrt(1e-4) / np.sqrt(0.2 * g * g + 1e-4) * g
    np.testing.assert_allclose(w.numpy(), [1.0, -2.0, 0.5] - 0.5 * delta, rtol=1e-14)
    state = opt.state[w]
    assert state["step"] == 1 and sorted(state) == ["acc_delta", "square_avg", "step"]
    np.testing.assert_allclose(state["square_avg"], 0.2 * g * g, rtol=1e-14)
    np.testing.assert_allclose(state["acc_delta"], 0.2 * delta * delta, rtol=1e-14)


def test_rho_zero_and_one_are_allowed():
    for rho in (0.0, 1.0):
        w = minigrad.tensor([1.0], requires_grad=True)
        opt = optim.Adadelta([w], rho=rho)
        w.grad = minigrad.tensor([1.0])
        opt.step()
        assert np.isfinite(w.numpy()).all()


def _run(framework, options, n_steps, dtype, seed, scheduler=None):
    """Trajectory ([step][param] arrays) and final states of Adadelta in ``framework``
    ("minigrad" or "torch") on parameters and gradients drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (5,), ()]
    init = [rng.standard_normal(s) for s in shapes]
    grads = [[rng.standard_normal(s) * rng.uniform(0.1, 3) for s in shapes]
             for _ in range(n_steps)]
    if framework == "torch":
        make, module, schedulers = torch.tensor, torch.optim, torch.optim.lr_scheduler
    else:
        make, module, schedulers = minigrad.tensor, optim, lr_scheduler
    params = [make(v.astype(dtype), requires_grad=True) for v in init]
    opt = module.Adadelta(params, **options)
    sched = scheduler(schedulers, opt) if scheduler else None
    out = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = make(g.astype(dtype))
        opt.step()
        if sched is not None:
            sched.step()
        out.append([np.array(p.detach().numpy()) for p in params])
    return out, [opt.state[p] for p in params]


CASES = [
    dict(),
    dict(lr=0.5, rho=0.7, eps=1e-3, weight_decay=0.1),
    dict(lr=2.0, rho=0.95, maximize=True),
    dict(lr=1.0, rho=0.0, eps=1e-8),
]


@needs_torch
@pytest.mark.parametrize("dtype, rtol, atol", [(np.float64, 1e-12, 1e-14),
                                               (np.float32, 1e-5, 1e-6)])
@pytest.mark.parametrize("options", CASES, ids=[str(c) for c in CASES])
def test_trajectory_and_state_match_pytorch(options, dtype, rtol, atol):
    ours, our_states = _run("minigrad", options, 25, dtype, 0)
    theirs, their_states = _run("torch", options, 25, dtype, 0)
    for step, (a, b) in enumerate(zip(ours, theirs)):
        for i, (x, y) in enumerate(zip(a, b)):
            np.testing.assert_allclose(x, y, rtol=rtol, atol=atol,
                                       err_msg=f"step {step + 1}, param {i}")
    for ours_state, theirs_state in zip(our_states, their_states):
        assert set(ours_state) == set(theirs_state)
        assert ours_state["step"] == int(theirs_state["step"]) == 25
        for key in ("square_avg", "acc_delta"):
            np.testing.assert_allclose(ours_state[key], theirs_state[key].numpy(), rtol=rtol,
                                       atol=atol)


@needs_torch
def test_with_step_lr_matches_pytorch():
    """The MNIST example's idiom: Adadelta(lr=1.0) with StepLR(step_size=1, gamma=0.7)."""
    def step_lr(schedulers, opt):
        return schedulers.StepLR(opt, step_size=1, gamma=0.7)

    ours, _ = _run("minigrad", dict(lr=1.0), 8, np.float64, 1, step_lr)
    theirs, _ = _run("torch", dict(lr=1.0), 8, np.float64, 1, step_lr)
    for a, b in zip(ours, theirs):
        for x, y in zip(a, b):
            np.testing.assert_allclose(x, y, rtol=1e-12, atol=1e-14)


@needs_torch
def test_state_dict_loads_pytorchs_converted_state():
    """A torch Adadelta state dict, its tensors converted to NumPy, loads and continues."""
    rng = np.random.default_rng(5)
    w0 = rng.standard_normal((2, 3))
    tw = torch.tensor(w0, requires_grad=True)
    topt = torch.optim.Adadelta([tw], lr=0.5)
    w = minigrad.tensor(w0, requires_grad=True)
    opt = optim.Adadelta([w], lr=0.5)
    for _ in range(3):
        g = rng.standard_normal((2, 3))
        tw.grad = torch.tensor(g)
        topt.step()
    sd = topt.state_dict()
    converted = {"state": {k: {n: (v.numpy() if n != "step" else int(v.item()))
                               for n, v in s.items()} for k, s in sd["state"].items()},
                 "param_groups": [{k: v for k, v in g.items()
                                   if k in opt.defaults or k == "params"}
                                  for g in sd["param_groups"]]}
    opt.load_state_dict(converted)
    w._data[...] = tw.detach().numpy()
    g = rng.standard_normal((2, 3))
    tw.grad, w.grad = torch.tensor(g), minigrad.tensor(g)
    topt.step()
    opt.step()
    np.testing.assert_allclose(w.numpy(), tw.detach().numpy(), rtol=1e-12)
