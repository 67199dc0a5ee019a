"""Agreement with PyTorch, without torch: replay the inputs stored in torch_reference.json
(written by make_torch_reference.py) and compare with the trajectories and learning rates
PyTorch produced.

The second half shows that the comparison can fail: deliberately wrong variants of the rules
(ε inside the square root, a dampened first momentum step, ...) must be told apart.
"""
import json
import pathlib

import numpy as np
import pytest

import minigrad
from minigrad import optim
from minigrad.optim import lr_scheduler

from .make_torch_reference import LAMBDAS

REFERENCE = json.loads(pathlib.Path(__file__).with_name("torch_reference.json")
                       .read_text(encoding="utf-8"))
OPTIMIZER_CASES = {case["name"]: case for case in REFERENCE["optimizers"]}
SCHEDULER_CASES = {case["name"]: case for case in REFERENCE["schedulers"]}


def replay_optimizer(case, cls=None):
    """minigrad's trajectory for a case: [step][param] -> flat array."""
    cls = cls or getattr(optim, case["optimizer"])
    dtype = np.dtype(case["dtype"])
    params = [minigrad.tensor(np.array(v, dtype=dtype).reshape(s), requires_grad=True)
              for v, s in zip(case["params"], case["shapes"])]
    if case["groups"]:
        arg = [dict(opts, params=[params[i] for i in ids]) for ids, opts in case["groups"]]
    else:
        arg = params
    opt = cls(arg, **case["kwargs"])
    trajectory = []
    for step_grads in case["grads"]:
        for p, g in zip(params, step_grads):
            p.grad = None if g is None else minigrad.tensor(np.array(g, dtype=dtype)
                                                            .reshape(p.shape))
        opt.step()
        trajectory.append([p.numpy().ravel() for p in params])
    return trajectory


def assert_trajectory_matches(case, trajectory):
    # float32: a few roundings per step, compounded over 6 steps; the JSON holds 8 digits.
    rtol, atol = (1e-5, 1e-6) if case["dtype"] == "float32" else (1e-7, 1e-9)
    for step, (got_row, want_row) in enumerate(zip(trajectory, case["trajectory"])):
        for i, (got, want) in enumerate(zip(got_row, want_row)):
            np.testing.assert_allclose(
                got, np.array(want), rtol=rtol, atol=atol,
                err_msg=f"{case['name']}: step {step + 1}, param {i} differs from PyTorch "
                        f"{REFERENCE['torch_version']}")


def test_reference_file_is_current():
    assert REFERENCE["torch_version"].startswith("2.")
    names = {case["optimizer"] for case in OPTIMIZER_CASES.values()}
    assert names == {"SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"}
    kinds = {spec[0] for case in SCHEDULER_CASES.values() for spec in case["schedulers"]}
    assert kinds == set(lr_scheduler.__all__) - {"LRScheduler"}


@pytest.mark.parametrize("name", list(OPTIMIZER_CASES))
def test_optimizer_matches_pytorch(name):
    case = OPTIMIZER_CASES[name]
    assert_trajectory_matches(case, replay_optimizer(case))


def replay_schedulers(case, classes=None):
    """(lrs, momenta) after construction and after each step, as the JSON records them."""
    classes = classes or {}
    params = [{"params": [minigrad.zeros(1, requires_grad=True)], "lr": lr}
              for lr in case["group_lrs"]]
    opt = getattr(optim, case["optimizer"])(params, **case["optimizer_kwargs"])
    scheds = []
    for cls_name, kwargs in case["schedulers"]:
        kwargs = dict(kwargs)
        if cls_name == "LambdaLR":
            fns = kwargs["lr_lambda"]
            kwargs["lr_lambda"] = [LAMBDAS[f] for f in fns] if isinstance(fns, list) \
                else LAMBDAS[fns]
        cls = classes.get(cls_name) or getattr(lr_scheduler, cls_name)
        scheds.append(cls(opt, **kwargs))

    def momenta():
        return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]

    lrs, moms = [[g["lr"] for g in opt.param_groups]], [momenta()]
    for step in range(case["n_steps"]):
        opt.step()
        for sched in scheds:
            if case["metrics"] is not None:
                sched.step(case["metrics"][step])
            else:
                sched.step()
        lrs.append(scheds[-1].get_last_lr())
        moms.append(momenta())
    return lrs, moms


def assert_schedule_matches(case, lrs, moms):
    for step, (got, want) in enumerate(zip(lrs, case["lrs"])):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=0,
                                   err_msg=f"{case['name']}: lr after {step} steps")
    if case["momenta"] is not None:
        for step, (got, want) in enumerate(zip(moms, case["momenta"])):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=0,
                                       err_msg=f"{case['name']}: momentum after {step} steps")


@pytest.mark.parametrize("name", list(SCHEDULER_CASES))
def test_scheduler_matches_pytorch(name):
    case = SCHEDULER_CASES[name]
    assert_schedule_matches(case, *replay_schedulers(case))


# -- the comparison must be able to fail: wrong variants of the rules --------------------------
class AdamVariant(optim.Adam):
    """PyTorch's Adam rule written plainly; subclasses move ε.  Unchanged, it must pass (so a
    variant fails because of its ε, not because of the rewrite)."""

    @staticmethod
    def denominator(v, bias_correction2, eps):
        return np.sqrt(v / bias_correction2) + eps

    def update(self, p, g, state, group):
        if not state:
            state.update(step=0, m=np.zeros_like(p), v=np.zeros_like(p), v_max=np.zeros_like(p))
        state["step"] += 1
        (b1, b2), t, lr, wd = group["betas"], state["step"], group["lr"], group["weight_decay"]
        g = -g if group["maximize"] else g
        if group["decoupled_weight_decay"]:
            p *= 1 - lr * wd
        else:
            g = g + wd * p
        m, v, v_max = state["m"], state["v"], state["v_max"]
        m[...] = b1 * m + (1 - b1) * g
        v[...] = b2 * v + (1 - b2) * g * g
        np.maximum(v_max, v, out=v_max)
        v = v_max if group["amsgrad"] else v
        p -= lr / (1 - b1 ** t) * m / self.denominator(v, 1 - b2 ** t, group["eps"])


class AdamEpsInsideSqrt(AdamVariant):
    """θ ← θ − α·m̂/√(v̂ + ε)."""

    @staticmethod
    def denominator(v, bias_correction2, eps):
        return np.sqrt(v / bias_correction2 + eps)


class AdamEpsBeforeBiasCorrection(AdamVariant):
    """θ ← θ − α·m̂·√(1 − β₂ᵗ)/(√v + ε): the paper's "efficient" form, not PyTorch's."""

    @staticmethod
    def denominator(v, bias_correction2, eps):
        return (np.sqrt(v) + eps) / np.sqrt(bias_correction2)


class AdamWCoupled(optim.AdamW):
    """AdamW whose decay goes through the gradient (plain Adam's L2)."""

    def update(self, p, g, state, group):
        super().update(p, g + group["weight_decay"] * p, state, dict(group, weight_decay=0))


class SGDDampenedFirstStep(optim.SGD):
    """b₁ ← (1 − τ)·g instead of PyTorch's b₁ ← g."""

    def update(self, p, g, state, group):
        if "momentum_buffer" not in state and group["momentum"] != 0:
            state["momentum_buffer"] = np.zeros_like(p)
        super().update(p, g, state, group)


class SGDSkippedParamsStillMove(optim.SGD):
    """A parameter without a gradient is updated as if its gradient were 0."""

    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    p.grad = minigrad.zeros_like(p)
        return super().step(closure)


class RMSpropVariant(optim.RMSprop):
    """PyTorch's RMSprop rule written plainly; unchanged, it must pass."""

    @staticmethod
    def denominator(var, eps):
        return np.sqrt(var) + eps

    def update(self, p, g, state, group):
        a = group["alpha"]
        if not state:
            state.update(v=np.zeros_like(p), g_mean=np.zeros_like(p), b=np.zeros_like(p))
        g = -g if group["maximize"] else g
        g = g + group["weight_decay"] * p
        state["v"][...] = a * state["v"] + (1 - a) * g * g
        state["g_mean"][...] = a * state["g_mean"] + (1 - a) * g
        var = state["v"] - state["g_mean"] ** 2 if group["centered"] else state["v"]
        step = g / self.denominator(var, group["eps"])
        if group["momentum"] > 0:
            state["b"][...] = group["momentum"] * state["b"] + step
            step = state["b"]
        p -= group["lr"] * step


class RMSpropEpsInsideSqrt(RMSpropVariant):
    """d ← √(v + ε) instead of √v + ε."""

    @staticmethod
    def denominator(var, eps):
        return np.sqrt(var + eps)


class AdagradDecayOffByOne(optim.Adagrad):
    """α_t = α/(1 + t·η) instead of α/(1 + (t − 1)·η)."""

    def update(self, p, g, state, group):
        t = state.get("step", 0) + 1
        lr = group["lr"] * (1 + (t - 1) * group["lr_decay"]) / (1 + t * group["lr_decay"])
        super().update(p, g, state, dict(group, lr=lr))


OPTIMIZER_MUTANTS = [
    (AdamEpsInsideSqrt, ["adam-eps-wd", "adam-amsgrad"]),
    (AdamEpsBeforeBiasCorrection, ["adam-eps-wd"]),
    (AdamWCoupled, ["adamw", "adamw-strong-decay"]),
    (SGDDampenedFirstStep, ["sgd-dampening-wd"]),
    (SGDSkippedParamsStillMove, ["sgd-groups-skip"]),
    (RMSpropEpsInsideSqrt, ["rmsprop-eps", "rmsprop-all"]),
    (AdagradDecayOffByOne, ["adagrad-decay-init"]),
]


@pytest.mark.parametrize("cls, names", [(AdamVariant, ["adam-eps-wd", "adam-amsgrad",
                                                        "adam-small-betas",
                                                        "adamw-strong-decay"]),
                                         (RMSpropVariant, ["rmsprop-eps", "rmsprop-all"])],
                         ids=["AdamVariant", "RMSpropVariant"])
def test_the_plain_rewrites_behind_the_variants_pass(cls, names):
    for name in names:
        case = OPTIMIZER_CASES[name]
        if case["optimizer"] == "AdamW":
            case = dict(case, kwargs=dict(case["kwargs"], decoupled_weight_decay=True))
        assert_trajectory_matches(case, replay_optimizer(case, cls))


@pytest.mark.parametrize("cls, names", OPTIMIZER_MUTANTS, ids=lambda x: getattr(x, "__name__",
                                                                                 ""))
def test_a_wrong_optimizer_rule_is_caught(cls, names):
    for name in names:
        case = OPTIMIZER_CASES[name]
        with pytest.raises(AssertionError, match="differs from PyTorch"):
            assert_trajectory_matches(case, replay_optimizer(case, cls))


class CosineClosedFormOffByOne(lr_scheduler.CosineAnnealingLR):
    def get_lr(self):
        t = self.last_epoch + 1
        return [self.eta_min + (b - self.eta_min) * (1 + np.cos(np.pi * t / self.T_max)) / 2
                for b in self.base_lrs]


class PlateauPatienceInclusive(lr_scheduler.ReduceLROnPlateau):
    """Reduces after ``patience`` bad epochs instead of more than ``patience``."""

    def step(self, metrics):
        self.patience -= 1
        try:
            super().step(metrics)
        finally:
            self.patience += 1


class OneCycleWithoutMomentum(lr_scheduler.OneCycleLR):
    def _set_momentum(self, group, value):
        pass


SCHEDULER_MUTANTS = [
    ({"CosineAnnealingLR": CosineClosedFormOffByOne}, ["cosine", "cosine-eta-min-restart"]),
    ({"ReduceLROnPlateau": PlateauPatienceInclusive}, ["plateau-min", "plateau-max-rel"]),
    ({"OneCycleLR": OneCycleWithoutMomentum}, ["onecycle-sgd"]),
]


@pytest.mark.parametrize("classes, names", SCHEDULER_MUTANTS,
                         ids=lambda x: next(iter(x.values())).__name__
                         if isinstance(x, dict) else "")
def test_a_wrong_schedule_is_caught(classes, names):
    for name in names:
        case = SCHEDULER_CASES[name]
        with pytest.raises(AssertionError, match=name):
            assert_schedule_matches(case, *replay_schedulers(case, classes))
