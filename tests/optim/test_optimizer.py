"""The Optimizer base: param groups, step/zero_grad semantics, in-place updates, option
checks, and state_dict / load_state_dict."""
import copy
import pickle

import numpy as np
import pytest

import minigrad
from minigrad import optim
from minigrad.tensor import Tensor

# Options that create every kind of state each optimizer has.
ALL_STATE = [
    (optim.SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (optim.Adam, dict(lr=0.05, amsgrad=True, weight_decay=0.01)),
    (optim.AdamW, dict(lr=0.05)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True)),
    (optim.Adagrad, dict(lr=0.1, lr_decay=0.01, initial_accumulator_value=0.1)),
    (optim.Adadelta, dict(lr=0.5, rho=0.8, weight_decay=0.01)),
]
ids = [cls.__name__ for cls, _ in ALL_STATE]


def make_params(seed=0, dtype=np.float32):
    rng = np.random.default_rng(seed)
    return [minigrad.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True)
            for s in [(3, 2), (4,), ()]]


def set_grads(params, rng):
    for p in params:
        p.grad = minigrad.tensor(rng.standard_normal(p.shape).astype(p.dtype))


def values(params):
    return [p.numpy() for p in params]


def assert_same_state_dict(a, b):
    assert a["param_groups"] == b["param_groups"]
    assert a["state"].keys() == b["state"].keys()
    for k in a["state"]:
        assert a["state"][k].keys() == b["state"][k].keys()
        for name, v in a["state"][k].items():
            np.testing.assert_array_equal(v, b["state"][k][name])


# -- groups ------------------------------------------------------------------------------------
def test_param_groups_use_their_own_options():
    a, b = minigrad.tensor([1.0], requires_grad=True), minigrad.tensor([1.0], requires_grad=True)
    opt = optim.SGD([{"params": [a], "lr": 0.5}, {"params": b}], lr=0.1, momentum=0.0)
    assert opt.param_groups[1]["lr"] == 0.1 and opt.param_groups[0]["momentum"] == 0.0
    assert opt.defaults["lr"] == 0.1
    a.grad, b.grad = minigrad.tensor([1.0]), minigrad.tensor([1.0])
    opt.step()
    np.testing.assert_allclose(a.numpy(), [0.5])
    np.testing.assert_allclose(b.numpy(), [0.9])


def test_add_param_group_trains_the_new_parameters():
    a, b = minigrad.tensor([1.0], requires_grad=True), minigrad.tensor([1.0], requires_grad=True)
    opt = optim.Adam([a], lr=0.1)
    opt.add_param_group({"params": [b], "lr": 0.2})
    assert opt.param_groups[1]["betas"] == (0.9, 0.999)
    a.grad, b.grad = minigrad.tensor([1.0]), minigrad.tensor([1.0])
    opt.step()
    np.testing.assert_allclose(b.numpy(), [0.8], rtol=1e-6)   # Adam's first step is ±lr


def test_a_tensor_subclass_can_be_optimized():
    class Parameter(Tensor):     # what nn.Parameter will be
        __slots__ = ()

    p = Parameter([1.0, 2.0], requires_grad=True)
    opt = optim.SGD([p], lr=1.0)
    p.grad = minigrad.tensor([1.0, 1.0])
    opt.step()
    np.testing.assert_allclose(p.numpy(), [0.0, 1.0])


@pytest.mark.parametrize("make, error, match", [
    (lambda w, z: optim.SGD([], lr=0.1), ValueError, "empty parameter list"),
    (lambda w, z: optim.SGD(w, lr=0.1), TypeError, "single Tensor"),
    (lambda w, z: optim.SGD({"params": [w]}, lr=0.1), TypeError, "one dict"),
    (lambda w, z: optim.SGD([w, 3.0], lr=0.1), TypeError, r"params\[1\] must be a Tensor"),
    (lambda w, z: optim.SGD([w * 2], lr=0.1), ValueError, "not a leaf"),
    (lambda w, z: optim.SGD([z], lr=0.1), TypeError, "dtype int64"),
    (lambda w, z: optim.SGD([w, w], lr=0.1), ValueError, "appears twice"),
    (lambda w, z: optim.SGD([{"params": {w}}], lr=0.1), TypeError, "got a set"),
    (lambda w, z: optim.SGD([{"params": [w]}, {"params": [w]}], lr=0.1), ValueError,
     "already in param group 0"),
    (lambda w, z: optim.SGD([{"lr": 0.1}], lr=0.1), ValueError, "no 'params'"),
])
def test_bad_params_are_rejected(make, error, match):
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    z = minigrad.tensor([1, 2])
    with pytest.raises(error, match=match):
        make(w, z)


@pytest.mark.parametrize("cls, options, match", [
    (optim.SGD, dict(lr=-0.1), r"lr must be in \[0.0, ∞\), got -0.1"),
    (optim.SGD, dict(lr=float("nan")), "lr must be in"),
    (optim.SGD, dict(lr="0.1"), "lr must be a real number, got '0.1'"),
    (optim.SGD, dict(momentum=-0.5), "momentum must be in"),
    (optim.SGD, dict(dampening=1.5), r"dampening must be in \[0.0, 1.0\]"),
    (optim.SGD, dict(nesterov=True), "nesterov=True needs momentum > 0"),
    (optim.SGD, dict(nesterov=True, momentum=0.9, dampening=0.1), "and dampening = 0"),
    (optim.SGD, dict(maximize="no"), "maximize must be True or False"),
    (optim.Adam, dict(betas=(1.0, 0.999)), r"betas\[0\] must be in \[0.0, 1.0\), got 1.0"),
    (optim.Adam, dict(betas=(0.9, -0.1)), r"betas\[1\] must be in"),
    (optim.Adam, dict(betas=0.9), r"betas must be a pair"),
    (optim.Adam, dict(eps=-1e-8), "eps must be in"),
    (optim.Adam, dict(weight_decay=-1), "weight_decay must be in"),
    (optim.AdamW, dict(lr=-1), "AdamW: lr must be in"),
    (optim.RMSprop, dict(alpha=1.5), "alpha must be in"),
    (optim.RMSprop, dict(momentum=-0.1), "momentum must be in"),
    (optim.Adagrad, dict(lr_decay=-0.1), "lr_decay must be in"),
    (optim.Adagrad, dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
    (optim.Adadelta, dict(rho=1.5), r"Adadelta: rho must be in \[0.0, 1.0\], got 1.5"),
    (optim.Adadelta, dict(eps=-1e-6), "Adadelta: eps must be in"),
])
def test_bad_options_are_rejected_with_the_value(cls, options, match):
    w = minigrad.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=match):
        cls([w], **options)


def test_a_bad_group_option_names_the_group():
    w, v = minigrad.tensor([1.0], requires_grad=True), minigrad.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match=r"SGD \(param group 1\): lr must be in"):
        optim.SGD([{"params": [w]}, {"params": [v], "lr": -1.0}], lr=0.1)


# -- step and zero_grad -------------------------------------------------------------------------
@pytest.mark.parametrize("cls, options", ALL_STATE, ids=ids)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_step_updates_in_place_and_keeps_dtypes(cls, options, dtype):
    params = make_params(dtype=dtype)
    arrays = [p._data for p in params]
    versions = [p._version for p in params]
    opt = cls(params, **options)
    rng = np.random.default_rng(1)
    for _ in range(3):
        set_grads(params, rng)
        opt.step()
    for p, a, version in zip(params, arrays, versions):
        assert p._data is a, "p._data must stay the same array: other code holds it"
        assert p.dtype == dtype and p._version == version + 3
        for name, value in opt.state[p].items():
            if name == "step":
                assert type(value) is int and value == 3
            else:
                assert value.dtype == dtype and value.shape == p.shape, name


@pytest.mark.parametrize("cls, options", ALL_STATE, ids=ids)
def test_params_without_grad_are_skipped(cls, options):
    params = make_params()
    before = values(params)
    opt = cls(params, **options)
    rng = np.random.default_rng(2)
    for _ in range(2):
        set_grads(params, rng)
        params[1].grad = None
        opt.step()
    np.testing.assert_array_equal(params[1].numpy(), before[1])
    assert params[1] not in opt.state or not opt.state[params[1]]
    assert not np.array_equal(params[0].numpy(), before[0])
    assert 1 not in opt.state_dict()["state"]


def test_step_does_not_change_the_gradient():
    w = minigrad.tensor([1.0, -2.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.1, momentum=0.9, weight_decay=0.1, maximize=True)
    w.grad = minigrad.tensor([0.5, 0.5])
    grad_array = w.grad._data
    opt.step()
    opt.step()   # the momentum buffer must not be the gradient's array
    np.testing.assert_array_equal(grad_array, [0.5, 0.5])


def test_zero_grad():
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    v = minigrad.tensor([1.0], requires_grad=True)
    opt = optim.SGD([w, v], lr=0.1)
    (w * w).sum().backward()
    grad = w.grad
    opt.zero_grad(set_to_none=False)
    assert w.grad is grad and np.array_equal(grad.numpy(), [0.0, 0.0]) and v.grad is None
    opt.zero_grad()
    assert w.grad is None


def test_step_with_a_closure_runs_it_with_grad_on():
    w = minigrad.tensor([3.0], requires_grad=True)
    opt = optim.SGD([w], lr=0.25)
    calls = []

    def closure():
        opt.zero_grad()
        loss = (w * w).sum()
        loss.backward()
        calls.append(minigrad.is_grad_enabled())
        return loss

    with minigrad.no_grad():
        loss = opt.step(closure)
    assert calls == [True] and loss.item() == 9.0
    np.testing.assert_allclose(w.numpy(), [1.5])     # 3 − 0.25·6
    assert opt.step() is None


def test_a_retained_graph_sees_the_update():
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    y = (w * w).sum()
    y.backward(retain_graph=True)
    optim.SGD([w], lr=0.1).step()
    with pytest.raises(RuntimeError, match="changed in place"):
        y.backward()


@pytest.mark.parametrize("grad, match", [
    (np.ones(3, np.float32), r"grad of shape \(3,\); expected the parameter's shape"),
    (np.ones(2, np.float64), "grad of dtype float64; expected the parameter's dtype"),
])
def test_a_wrong_grad_is_reported(grad, match):
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    opt = optim.Adam([w])
    with pytest.raises(RuntimeError, match=r"assigning \.grad of a tensor \(2,\) float32"):
        w.grad = minigrad.tensor(grad)      # refused where it happens, as in PyTorch
    w.grad = minigrad.zeros(2)
    w.grad._data = grad                      # behind the setter's back: step still checks
    where = r"Adam.step: param group 0, params\[0\] \(2,\) float32 has a "
    with pytest.raises(RuntimeError, match=where + match):
        opt.step()


def test_repr_lists_the_options():
    text = repr(optim.SGD([minigrad.tensor([1.0], requires_grad=True)], lr=0.3))
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "lr: 0.3" in text


# -- state_dict -------------------------------------------------------------------------------
def train(opt, params, rng, steps):
    trajectory = []
    for _ in range(steps):
        set_grads(params, rng)
        opt.step()
        trajectory.append(values(params))
    return trajectory


def groups_of(params, options):
    return [{"params": params[:2], "lr": options["lr"] * 0.5}, {"params": params[2:]}]


@pytest.mark.parametrize("cls, options", ALL_STATE, ids=ids)
def test_state_dict_round_trip_continues_the_same_trajectory(cls, options):
    params = make_params()
    opt = cls(groups_of(params, options), **options)
    train(opt, params, np.random.default_rng(3), 3)
    saved = pickle.loads(pickle.dumps(opt.state_dict()))     # as a checkpoint file would
    snapshot = copy.deepcopy(opt.state_dict())
    copies = [minigrad.tensor(p.numpy(), requires_grad=True) for p in params]
    expected = train(opt, params, np.random.default_rng(4), 3)
    assert_same_state_dict(saved, snapshot)   # the arrays are copies, not the live state

    fresh = cls(groups_of(copies, dict(options, lr=1.0)), **dict(options, lr=1.0))
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["lr"] == options["lr"] * 0.5   # options come from the dict
    assert fresh.param_groups[0]["params"] == copies[:2]
    got = train(fresh, copies, np.random.default_rng(4), 3)
    for a, b in zip(got, expected):
        for x, y in zip(a, b):
            np.testing.assert_array_equal(x, y)
    saved["state"][0][next(k for k in saved["state"][0] if k != "step")] += 1.0
    assert_same_state_dict(fresh.state_dict(), opt.state_dict())   # loading copied the arrays


def test_state_dict_layout_is_pytorchs():
    params = make_params()
    opt = optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.1}])
    train(opt, params, np.random.default_rng(5), 2)
    params[2].grad = None
    sd = opt.state_dict()
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1, 2]]
    assert sd["param_groups"][1]["lr"] == 0.1 and sd["param_groups"][0]["lr"] == 1e-3
    assert list(sd["state"]) == [0, 1, 2]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    assert sd["state"][1]["step"] == 2
    assert isinstance(sd["state"][1]["exp_avg"], np.ndarray)


def test_load_casts_to_the_parameters_dtype():
    p64 = make_params(dtype=np.float64)
    opt64 = optim.Adam(p64, lr=0.1)
    train(opt64, p64, np.random.default_rng(6), 2)
    p32 = make_params()
    opt32 = optim.Adam(p32, lr=0.1)
    opt32.load_state_dict(opt64.state_dict())
    for p in p32:
        assert opt32.state[p]["exp_avg"].dtype == np.float32


def test_load_keeps_options_that_schedulers_add():
    params = make_params()
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    optim.lr_scheduler.StepLR(opt, step_size=2)
    train(opt, params, np.random.default_rng(7), 1)
    fresh = optim.SGD(make_params(), lr=0.1, momentum=0.9)
    fresh.load_state_dict(opt.state_dict())
    assert fresh.param_groups[0]["initial_lr"] == 0.1


def test_adamw_stays_decoupled_after_loading_adams_state():
    params = make_params()
    opt = optim.Adam(params, weight_decay=0.1)
    train(opt, params, np.random.default_rng(8), 1)
    adamw = optim.AdamW(make_params())
    adamw.load_state_dict(opt.state_dict())
    assert adamw.param_groups[0]["decoupled_weight_decay"] is True


def _bad_dicts():
    def edit(fn):
        def make(sd):
            sd = copy.deepcopy(sd)
            fn(sd)
            return sd
        return make

    def drop(key):
        return edit(lambda sd: sd["state"][0].pop(key))

    return [
        ("groups", edit(lambda sd: sd["param_groups"].append(dict(sd["param_groups"][0]))),
         "the optimizer has 2 param groups, the state dict 3"),
        ("params", edit(lambda sd: sd["param_groups"][1]["params"].pop()),
         "param group 1 has 2 parameters, the state dict's group 1 has 1"),
        ("shape", edit(lambda sd: sd["state"][1].update(exp_avg=np.zeros((5,), np.float32))),
         r"parameter 1 \(4,\): state 'exp_avg' has shape \(5,\), expected the parameter's "
         r"shape \(4,\)"),
        ("missing", drop("exp_avg_sq"), r"missing: \['exp_avg_sq'\]"),
        ("unknown", edit(lambda sd: sd["state"][0].update(momentum_buffer=np.zeros((3, 2)))),
         r"unknown: \['momentum_buffer'\]"),
        ("amsgrad", edit(lambda sd: sd["param_groups"][0].update(amsgrad=True)),
         r"missing: \['max_exp_avg_sq'\]"),
        ("class", edit(lambda sd: sd["param_groups"][0].pop("betas")),
         r"group 0 lacks the options \['betas'\]"),
        ("option", edit(lambda sd: sd["param_groups"][1].update(lr=-1.0)),
         r"state dict's param group 1\): lr must be in"),
        ("index", edit(lambda sd: sd["state"].update({7: sd["state"][0]})),
         "state for parameter index 7, which none of its param groups lists"),
        ("step", edit(lambda sd: sd["state"][0].update(step="3")), "'step' must be a step count"),
        ("keys", edit(lambda sd: sd.pop("state")), "expected a dict with keys"),
    ]


@pytest.mark.parametrize("what, make_bad, match", _bad_dicts(), ids=[b[0] for b in _bad_dicts()])
def test_a_bad_state_dict_is_refused_and_changes_nothing(what, make_bad, match):
    params = make_params()
    opt = optim.Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.1}])
    train(opt, params, np.random.default_rng(9), 2)
    good = opt.state_dict()
    bad = make_bad(good)
    other_params = make_params(1)
    other = optim.Adam([{"params": other_params[:1]}, {"params": other_params[1:], "lr": 0.3}])
    train(other, other_params, np.random.default_rng(10), 1)
    before = copy.deepcopy(other.state_dict())
    groups_before = other.param_groups
    with pytest.raises(ValueError, match=match):
        other.load_state_dict(bad)
    assert_same_state_dict(other.state_dict(), before)
    assert other.param_groups is groups_before and other.param_groups[1]["lr"] == 0.3
    other.load_state_dict(good)      # and the right one still loads
    assert_same_state_dict(other.state_dict(), good)


@pytest.mark.parametrize("cls, options", ALL_STATE, ids=ids)
def test_cuda_trajectory_matches_cpu(cls, options, cuda_device):
    """On the GPU, or on the CPU stand-in device without one (tests/cuda_standin.py)."""
    cpu = make_params()
    gpu = [minigrad.tensor(p.numpy(), requires_grad=True, device=cuda_device) for p in cpu]
    arrays = [p._data for p in gpu]
    opt_cpu, opt_gpu = cls(cpu, **options), cls(gpu, **options)
    rng = np.random.default_rng(11)
    for _ in range(4):
        set_grads(cpu, rng)
        for c, g in zip(cpu, gpu):
            g.grad = minigrad.tensor(c.grad.numpy(), device=cuda_device)
        opt_cpu.step()
        opt_gpu.step()
    for c, g, a in zip(cpu, gpu, arrays):
        assert g._data is a and g.device == "cuda"
        np.testing.assert_allclose(g.numpy(), c.numpy(), rtol=1e-5, atol=1e-6)
    sd = opt_gpu.state_dict()
    opt_cpu.load_state_dict(sd)                       # CuPy state onto CPU parameters
    assert all(minigrad.backend.device_of(v) == "cpu" for s in opt_cpu.state.values()
               for k, v in s.items() if k != "step")
