"""Principle 1 of issue 15: a call that fails changes nothing.

Each class iterates over every object of its kind — every optimizer, every scheduler, every
stateful loader — and breaks each thing it checks, one at a time, then asserts that the call
raised and that nothing (parameters, gradients, optimizer state, scheduler attributes) moved.
"""
import copy
import inspect
import math
import warnings

import numpy as np
import pytest

import minigrad
from minigrad import nn, optim
from minigrad.optim import lr_scheduler as lrs

from ..optim.test_optimizer import ALL_STATE, ids, make_params, set_grads


def snapshot(params, opt):
    return ([p.numpy() for p in params],
            [None if p.grad is None else p.grad.numpy() for p in params],
            copy.deepcopy(opt.state_dict()))


def assert_unchanged(before, params, opt):
    values, grads, state = before
    for v, p in zip(values, params):
        np.testing.assert_array_equal(v, p.numpy())
    for g, p in zip(grads, params):
        assert (g is None) == (p.grad is None)
        if g is not None:
            np.testing.assert_array_equal(g, p.grad.numpy())
    now = opt.state_dict()
    assert now["param_groups"] == state["param_groups"]
    assert now["state"].keys() == state["state"].keys()
    for k, entry in state["state"].items():
        for name, value in entry.items():
            np.testing.assert_array_equal(value, now["state"][k][name])


def stepped(cls, options, steps=2):
    """Parameters and an optimizer after ``steps`` steps (so there is state to lose),
    with fresh gradients set for the next one."""
    params = make_params()
    opt = cls(params, **options)
    rng = np.random.default_rng(0)
    for _ in range(steps):
        set_grads(params, rng)
        opt.step()
    set_grads(params, rng)
    return params, opt


@pytest.mark.parametrize("cls, options", ALL_STATE, ids=ids)
class TestEveryOptimizerStepIsAllOrNothing:
    def test_a_bad_last_gradient_changes_no_parameter(self, cls, options):
        params, opt = stepped(cls, options)
        params[-1].grad._data = np.zeros(5, np.float32)   # behind the setter's back
        before = snapshot(params, opt)
        with pytest.raises(RuntimeError, match=rf"{cls.__name__}\.step: param group 0, "
                                               r"params\[2\] \(\) float32 has a grad of shape"):
            opt.step()
        assert_unchanged(before, params, opt)

    def test_a_non_finite_gradient_under_anomaly_mode_changes_nothing(self, cls, options):
        params, opt = stepped(cls, options)
        params[1].grad._data[2] = np.nan
        before = snapshot(params, opt)
        with minigrad.detect_anomaly(), pytest.raises(RuntimeError, match=r"params\[1\] \(4,\) "
                                                      r"has a non-finite gradient"):
            opt.step()
        assert_unchanged(before, params, opt)

    @pytest.mark.parametrize("bad", [math.nan, math.inf, -1.0, "0.1", None])
    def test_every_option_changed_to_a_bad_value_is_refused_at_step(self, cls, options, bad):
        params, opt = stepped(cls, options)
        for key, good in opt.defaults.items():
            if isinstance(good, bool) and isinstance(bad, float) and bad == -1.0:
                continue          # -1.0 is no bool either, but NaN already covers it
            before = snapshot(params, opt)
            opt.param_groups[0][key] = bad
            with pytest.raises(ValueError, match=rf"{cls.__name__}\.step: param group 0: "
                                                 rf"{key}"):
                opt.step()
            opt.param_groups[0][key] = good
            assert_unchanged(before, params, opt)

    def test_an_unknown_option_key_is_refused_with_a_suggestion(self, cls, options):
        params, opt = stepped(cls, options)
        opt.param_groups[0]["lrr"] = 0.5
        before = snapshot(params, opt)
        with pytest.raises(ValueError, match=r"param group 0: unknown option 'lrr' \(did you "
                                             r"mean 'lr'\?\)"):
            opt.step()
        assert_unchanged(before, params, opt)

    def test_scheduler_keys_are_not_unknown(self, cls, options):
        params, opt = stepped(cls, options)
        lrs.StepLR(opt, step_size=1)            # adds "initial_lr" to every group
        opt.step()

    @pytest.mark.parametrize("bad", [math.nan, math.inf])
    def test_a_non_finite_learning_rate_is_refused_at_construction(self, cls, options, bad):
        with pytest.raises(ValueError, match=rf"{cls.__name__}: lr must be in \[0.0, ∞\), "
                                             rf"got {bad}"):
            cls(make_params(), **{**options, "lr": bad})

    def test_state_follows_a_model_converted_to_float64(self, cls, options):
        """model.double() after steps: the state is converted (with a warning) and the
        next step equals that of an optimizer whose state was float64 all along."""
        params, opt = stepped(cls, options)
        twin_params = [minigrad.tensor(p.numpy().astype(np.float64), requires_grad=True)
                       for p in params]
        twin = cls(twin_params, **options)
        twin.load_state_dict(opt.state_dict())          # loads cast to float64
        for p, t in zip(params, twin_params):
            grad = p.grad.numpy().astype(np.float64)
            p._data = p._data.astype(np.float64)           # what Module.double() does
            p.grad = minigrad.tensor(grad)
            t.grad = minigrad.tensor(grad)
        with pytest.warns(UserWarning, match=r"is now float64 on cpu, its state .* was "
                                             r"float32 on cpu: converted"):
            opt.step()
        twin.step()
        for p, t in zip(params, twin_params):
            np.testing.assert_array_equal(p.numpy(), t.numpy())
            assert all(v.dtype == np.float64 for v in opt.state[p].values()
                       if isinstance(v, np.ndarray))


def _impossible_states():
    """(name, kind, edit of a state dict given the optimizer's state kinds, the message):
    values of the right type that no step can produce."""
    def step(value):
        def edit(sd, kinds):
            sd["state"][max(sd["state"])]["step"] = value
        return edit
    yield "step_nan", "step", step(math.nan), "must be a step count"
    yield "step_zero", "step", step(0), "must be a step count"
    yield "step_negative", "step", step(-3), "must be a step count"
    yield "step_fraction", "step", step(2.5), "must be a step count"
    for kind, value, match in [("array", math.nan, "non-finite"),
                               ("array", math.inf, "non-finite"),
                               ("array ≥ 0", -1.0, "negative values")]:
        yield f"{kind}_{value}", kind, _set_last(kind, value), match


def _set_last(kind, value):
    """An edit that puts ``value`` into one element of the last parameter's first state
    array of ``kind`` (the last, so that a loader that wrote as it went would have written
    the others)."""
    def edit(sd, kinds):
        entry = sd["state"][max(sd["state"])]
        name = next(n for n in sorted(entry) if kinds[n] == kind)
        entry[name] = np.array(entry[name], copy=True)
        entry[name].reshape(-1)[0] = value
    return edit


@pytest.mark.parametrize("cls, options", ALL_STATE, ids=ids)
@pytest.mark.parametrize("name, kind, edit, match", list(_impossible_states()),
                         ids=[n for n, *_ in _impossible_states()])
def test_every_optimizer_refuses_impossible_state_values(cls, options, name, kind, edit,
                                                         match):
    if kind not in cls.state_kinds.values():
        pytest.skip(f"{cls.__name__} has no state of kind {kind!r}")
    params, opt = stepped(cls, options)
    saved = opt.state_dict()
    edit(saved, cls.state_kinds)
    other_params, other = stepped(cls, options, steps=1)
    before = snapshot(other_params, other)
    with pytest.raises(ValueError, match=match):
        other.load_state_dict(saved)
    assert_unchanged(before, other_params, other)


# -- schedulers --------------------------------------------------------------------------------
SCHEDULERS = {
    lrs.LambdaLR: dict(lr_lambda=lambda epoch: 0.9 ** epoch),
    lrs.StepLR: dict(step_size=2, gamma=0.5),
    lrs.MultiStepLR: dict(milestones=[1, 3], gamma=0.5),
    lrs.ExponentialLR: dict(gamma=0.9),
    lrs.CosineAnnealingLR: dict(T_max=5, eta_min=0.001),
    lrs.LinearLR: dict(start_factor=0.5, total_iters=3),
    lrs.OneCycleLR: dict(max_lr=0.5, total_steps=10),
    lrs.ReduceLROnPlateau: dict(patience=1),
}


def test_the_scheduler_list_is_complete():
    public = {getattr(lrs, n) for n in lrs.__all__ if n != "LRScheduler"}
    assert public == set(SCHEDULERS)


def _scheduler(cls, steps=2):
    params = make_params()
    opt = optim.SGD(params, lr=0.1, momentum=0.9)
    sched = cls(opt, **SCHEDULERS[cls])
    rng = np.random.default_rng(0)
    for _ in range(steps):
        set_grads(params, rng)
        opt.step()
        if cls is lrs.ReduceLROnPlateau:
            sched.step(1.0)
        else:
            sched.step()
    return opt, sched


def _bad_values(rule_name, good):
    """Values of the right type (or of a nearly right one) that the rule must refuse."""
    if isinstance(good, bool):
        return ["yes", 1.5]
    if isinstance(good, str):
        return ["other", 3]
    if isinstance(good, (list, tuple)):
        return [[math.nan] * len(good), "0.1", [-1.0] * len(good)]
    if isinstance(good, dict):            # MultiStepLR's milestones Counter
        return [{1.5: 1}, {1: 0}, [1, 3]]
    if isinstance(good, int):
        return [-5, 2.5, math.nan, "3"]
    return [math.nan, "0.1", -7.0]


@pytest.mark.parametrize("cls", list(SCHEDULERS), ids=lambda c: c.__name__)
class TestEverySchedulerLoadChecksValues:
    def test_each_rule_refuses_bad_values_and_changes_nothing(self, cls):
        opt, sched = _scheduler(cls)
        saved = copy.deepcopy(sched.state_dict())
        for name in cls._rules:
            for bad in _bad_values(name, saved[name]):
                if cls is lrs.ReduceLROnPlateau and name == "best" and bad == -7.0:
                    continue              # any real number can be the best so far
                _, target = _scheduler(cls, steps=1)
                before = copy.deepcopy(target.state_dict())
                lr_before = [g["lr"] for g in target.optimizer.param_groups]
                with pytest.raises(ValueError, match=rf"{cls.__name__}\.load_state_dict: "
                                                     rf"{name} must be"):
                    target.load_state_dict({**saved, name: bad})
                after = target.state_dict()
                assert after.keys() == before.keys()
                for k in before:
                    if k != "lr_lambdas":
                        assert repr(after[k]) == repr(before[k]), (name, bad, k)
                assert [g["lr"] for g in target.optimizer.param_groups] == lr_before

    def test_a_state_of_another_class_is_refused(self, cls):
        _, sched = _scheduler(cls)
        with pytest.raises(ValueError, match=r"the state has entries .* expected"):
            sched.load_state_dict({**sched.state_dict(), "something_else": 1})

    def test_a_good_state_round_trips(self, cls):
        _, sched = _scheduler(cls, steps=3)
        _, other = _scheduler(cls, steps=1)
        other.load_state_dict(copy.deepcopy(sched.state_dict()))
        assert other.get_last_lr() == sched.get_last_lr()


@pytest.mark.parametrize("make, match", [
    (lambda opt: lrs.StepLR(opt, 2, gamma=math.nan), "gamma must be a real number"),
    (lambda opt: lrs.StepLR(opt, 2.5), "step_size must be an int, got 2.5|step_size must be an "
                                       "int ≥ 1, got 2.5"),
    (lambda opt: lrs.MultiStepLR(opt, [1.5, 3]), "milestones must be"),
    (lambda opt: lrs.ExponentialLR(opt, -0.5), "gamma must be a real number in"),
    (lambda opt: lrs.CosineAnnealingLR(opt, 5, eta_min=math.inf), "eta_min must be"),
    (lambda opt: lrs.OneCycleLR(opt, math.nan, 10), "max_lr must be"),
    (lambda opt: lrs.OneCycleLR(opt, 0.1, 10, div_factor=0), "div_factor must be"),
    (lambda opt: lrs.ReduceLROnPlateau(opt, patience=-1), "patience must be an int ≥ 0"),
    (lambda opt: lrs.ReduceLROnPlateau(opt, factor=math.nan), "factor must be"),
    (lambda opt: lrs.ReduceLROnPlateau(opt, min_lr=math.nan), "min_lrs must be"),
    (lambda opt: lrs.StepLR(opt, 2, last_epoch=-2), "last_epoch must be an int ≥ -1"),
])
def test_scheduler_constructors_check_values_and_change_nothing(make, match):
    opt = optim.SGD(make_params(), lr=0.1, momentum=0.9)
    groups = copy.deepcopy([{k: v for k, v in g.items() if k != "params"}
                            for g in opt.param_groups])
    with pytest.raises(ValueError, match=match):
        make(opt)
    assert [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups] == groups


# -- every stateful loader: a failure at the last entry writes none of the others --------------
def _module_state_with_live_graph():
    """Module.load_state_dict onto a model whose second layer's weight is saved for a
    backward that has not run, under anomaly mode (its write would fail)."""
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    state = {k: v.detach() * 0 + 1 for k, v in model.state_dict().items()}
    return model, state


def test_module_load_state_dict_checks_every_destination_first():
    model, state = _module_state_with_live_graph()
    with minigrad.detect_anomaly():
        with minigrad.no_grad():
            hidden = model[0](minigrad.randn(5, 3))
        loss = model[1](hidden).sum()                  # saves model[1].weight
        before = {k: v.numpy() for k, v in model.state_dict().items()}
        with pytest.raises(RuntimeError, match=r"load_state_dict: '1\.weight': in-place "
                                               r"change of a tensor \(2, 4\)"):
            model.load_state_dict(state)
        for k, v in model.state_dict().items():        # '0.weight', '0.bias' not written
            np.testing.assert_array_equal(v.numpy(), before[k])
        loss.backward()
    model.load_state_dict(state)                       # after backward it may be written


def test_a_backward_that_fails_accumulates_into_no_leaf():
    a = minigrad.randn(3, requires_grad=True)
    b = minigrad.randn(3, requires_grad=True)
    a.grad = minigrad.ones(3)
    z = b.exp()                                        # Exp saves its output z
    loss = (a * 2.0).sum() + z.sum()
    with minigrad.no_grad():
        z *= 2.0                                       # ... which is then changed
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()
    np.testing.assert_array_equal(a.grad.numpy(), np.ones(3, np.float32))
    assert b.grad is None


def test_dataloader_load_state_dict_changes_nothing_on_a_bad_state():
    data = minigrad.data.TensorDataset(np.arange(20, dtype=np.float32))
    loader = minigrad.data.DataLoader(data, batch_size=4, shuffle=True, seed=0)
    state = loader.state_dict()
    broken = copy.deepcopy(state)
    broken["rng"] = {"bit_generator": "PCG64", "state": "garbage"}
    with pytest.raises((ValueError, TypeError)):
        loader.load_state_dict(broken)
    first = [b[0].numpy() for b in loader]
    twin = minigrad.data.DataLoader(data, batch_size=4, shuffle=True, seed=0)
    for x, y in zip(first, (b[0].numpy() for b in twin)):
        np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("value, error, match", [
    (lambda t: minigrad.zeros(5), RuntimeError, r"the gradient has shape \(5,\)"),
    (lambda t: minigrad.zeros(3, dtype="float64"), RuntimeError,
     "the gradient has dtype float64"),
    (lambda t: np.zeros(3, np.float32), TypeError, "expected a Tensor or None, got ndarray"),
    (lambda t: 0.0, TypeError, "expected a Tensor or None, got float"),
])
@pytest.mark.parametrize("make", [lambda: minigrad.randn(3, requires_grad=True),
                                  lambda: nn.Parameter(minigrad.randn(3))],
                         ids=["Tensor", "Parameter"])
def test_grad_assignment_is_checked_where_it_happens(make, value, error, match):
    t = make()
    t.grad = minigrad.ones(3)
    with pytest.raises(error, match=r"assigning \.grad of a tensor \(3,\) float32 on cpu: "
                       + match):
        t.grad = value(t)
    np.testing.assert_array_equal(t.grad.numpy(), np.ones(3, np.float32))
    t.grad = None
    assert t.grad is None


@pytest.mark.parametrize("call, match", [
    (lambda ps: nn.utils.clip_grad_norm_(ps, max_norm=-1), "max_norm must be ≥ 0, got -1.0"),
    (lambda ps: nn.utils.clip_grad_norm_(ps, max_norm=math.nan), "max_norm must be ≥ 0"),
    (lambda ps: nn.utils.clip_grad_norm_(ps, max_norm="1"), "max_norm must be a real number"),
    (lambda ps: nn.utils.clip_grad_norm_(ps, 1.0, norm_type=0), "norm_type must be > 0"),
    (lambda ps: nn.utils.clip_grad_value_(ps, -0.5), "clip_value must be ≥ 0"),
    (lambda ps: nn.utils.clip_grad_value_(ps, math.nan), "clip_value must be ≥ 0, got nan"),
])
def test_gradient_clipping_refuses_bad_limits_and_changes_nothing(call, match):
    params = make_params()
    set_grads(params, np.random.default_rng(0))
    grads = [p.grad.numpy() for p in params]
    with pytest.raises((ValueError, TypeError), match=match):
        call(params)
    for g, p in zip(grads, params):
        np.testing.assert_array_equal(g, p.grad.numpy())


def test_every_loader_in_the_library_is_covered():
    """Every public ``load_state_dict`` is one of those this module breaks."""
    # Compose: tests/data/test_transforms.py::
    #     test_compose_and_loader_load_state_dict_are_all_or_nothing
    covered = {nn.Module, optim.Optimizer, lrs.LRScheduler, lrs.LambdaLR,
               minigrad.data.DataLoader, minigrad.data.transforms.Compose}
    found = set()
    for module in (nn, optim, lrs, minigrad.data):
        for name in dir(module):
            obj = getattr(module, name)
            if inspect.isclass(obj) and "load_state_dict" in vars(obj):
                found.add(obj)
    assert found <= covered, f"load_state_dict without a transaction test: {found - covered}"


def test_a_warning_free_step_for_matching_state():
    params, opt = stepped(optim.Adam, dict(lr=0.1))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
