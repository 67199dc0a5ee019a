"""Learning-rate schedules against their closed forms, call-order semantics, checkpoints and
errors.  (Agreement with PyTorch's numbers is in test_torch_reference.py.)"""
import math
import warnings
from bisect import bisect_right

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad import optim
from minigrad.optim import lr_scheduler as lrs


def make_optimizer(group_lrs=(0.1, 0.02), cls=optim.SGD, **options):
    groups = [{"params": [minigrad.zeros(2, requires_grad=True)], "lr": lr} for lr in group_lrs]
    return cls(groups, **options)


def run(opt, sched, n, metrics=None):
    """The lrs after construction and after each of n (optimizer step, scheduler step)."""
    out = [[g["lr"] for g in opt.param_groups]]
    for i in range(n):
        opt.step()
        sched.step() if metrics is None else sched.step(metrics[i])
        out.append(sched.get_last_lr())
        assert out[-1] == [g["lr"] for g in opt.param_groups]
    return out


def assert_schedule(got, closed_form, base_lrs):
    want = [[closed_form(t, base) for base in base_lrs] for t in range(len(got))]
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-15)


base_lrs = st.lists(st.sampled_from([1.0, 0.1, 0.003]), min_size=1, max_size=2)
gammas = st.sampled_from([0.1, 0.5, 0.9, 0.97])


@given(base_lrs, st.integers(1, 5), gammas, st.integers(0, 15))
def test_step_lr(base, step_size, gamma, n):
    opt = make_optimizer(base)
    got = run(opt, lrs.StepLR(opt, step_size, gamma), n)
    assert_schedule(got, lambda t, b: b * gamma ** (t // step_size), base)


@given(base_lrs, st.lists(st.integers(1, 12), max_size=4), gammas, st.integers(0, 15))
def test_multistep_lr(base, milestones, gamma, n):
    opt = make_optimizer(base)
    got = run(opt, lrs.MultiStepLR(opt, milestones, gamma), n)
    ms = sorted(milestones)     # a milestone listed twice decays twice
    assert_schedule(got, lambda t, b: b * gamma ** bisect_right(ms, t), base)


@given(base_lrs, gammas, st.integers(0, 15))
def test_exponential_lr(base, gamma, n):
    opt = make_optimizer(base)
    got = run(opt, lrs.ExponentialLR(opt, gamma), n)
    assert_schedule(got, lambda t, b: b * gamma ** t, base)


@given(base_lrs, st.integers(1, 8), st.sampled_from([0.0, 1e-4, 0.01]), st.integers(0, 30))
def test_cosine_annealing_lr_follows_the_closed_form(base, T_max, eta_min, n):
    opt = make_optimizer(base)
    got = run(opt, lrs.CosineAnnealingLR(opt, T_max, eta_min), n)
    # Also past T_max, where the cosine goes on (and the recursion has a special case).
    assert_schedule(got, lambda t, b: eta_min + (b - eta_min) *
                    (1 + math.cos(math.pi * t / T_max)) / 2, base)


@given(base_lrs, st.sampled_from([0.1, 0.5, 1.0]), st.sampled_from([0.0, 0.3, 1.0]),
       st.integers(1, 6), st.integers(0, 10))
def test_linear_lr(base, start, end, total, n):
    opt = make_optimizer(base)
    got = run(opt, lrs.LinearLR(opt, start, end, total), n)
    assert_schedule(got, lambda t, b: b * (start + (end - start) * min(t, total) / total), base)


def test_lambda_lr_one_function_per_group():
    opt = make_optimizer((0.1, 0.2))
    sched = lrs.LambdaLR(opt, [lambda e: 1 / (e + 1), lambda e: 0.5 ** e])
    got = run(opt, sched, 4)
    assert_schedule(got, lambda t, b: b * (1 / (t + 1) if b == 0.1 else 0.5 ** t), (0.1, 0.2))


@pytest.mark.parametrize("three_phase", [False, True])
@pytest.mark.parametrize("anneal_strategy", ["cos", "linear"])
def test_one_cycle_lr_shape(three_phase, anneal_strategy):
    opt = make_optimizer((0.1,), momentum=0.9)
    sched = lrs.OneCycleLR(opt, max_lr=1.0, total_steps=20, pct_start=0.25,
                           anneal_strategy=anneal_strategy, three_phase=three_phase)
    moms = [opt.param_groups[0]["momentum"]]
    got = [opt.param_groups[0]["lr"]]
    for _ in range(19):
        opt.step()
        sched.step()
        got.append(sched.get_last_lr()[0])
        moms.append(opt.param_groups[0]["momentum"])
    assert got[0] == pytest.approx(1.0 / 25) and moms[0] == pytest.approx(0.95)
    assert got[4] == pytest.approx(1.0) and moms[4] == pytest.approx(0.85)   # 0.25·20 − 1
    if three_phase:
        assert got[8] == pytest.approx(1.0 / 25) and moms[8] == pytest.approx(0.95)
    assert got[19] == pytest.approx(1.0 / 25 / 1e4)
    assert opt.param_groups[0]["initial_lr"] == pytest.approx(0.04)
    opt.step()
    sched.step()                         # step total_steps is allowed, as in PyTorch
    with pytest.raises(ValueError, match="stepped 21 times, but the cycle has total_steps=20"):
        sched.step()


def test_one_cycle_cycles_adams_beta1():
    opt = make_optimizer((0.1,), cls=optim.Adam, betas=(0.9, 0.99))
    lrs.OneCycleLR(opt, max_lr=0.01, epochs=2, steps_per_epoch=5)
    assert opt.param_groups[0]["betas"] == (0.95, 0.99)


def test_reduce_lr_on_plateau_waits_more_than_patience():
    opt = make_optimizer((1.0,))
    sched = lrs.ReduceLROnPlateau(opt, patience=2, factor=0.5)
    got = run(opt, sched, 6, metrics=[1.0, 1.0, 1.0, 1.0, 0.5, minigrad.tensor(0.5)])
    assert [g[0] for g in got] == [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5]
    assert sched.best == 0.5 and sched.num_bad_epochs == 1


def test_reduce_lr_on_plateau_respects_min_lr_and_cooldown():
    opt = make_optimizer((1.0, 1.0))
    sched = lrs.ReduceLROnPlateau(opt, mode="max", patience=0, cooldown=1, min_lr=[0.0, 0.3],
                                  factor=0.5)
    got = run(opt, sched, 6, metrics=[1.0] * 6)
    # bad epochs 2, 4, 6 reduce (the epoch after each reduction is a cooldown).
    assert got == [[1.0, 1.0], [1.0, 1.0], [0.5, 0.5], [0.5, 0.5], [0.25, 0.3], [0.25, 0.3],
                   [0.125, 0.3]]


# -- call order, initial_lr, checkpoints ----------------------------------------------------------
def test_scheduler_records_initial_lr_once():
    opt = make_optimizer((0.1,))
    lrs.ExponentialLR(opt, 0.5)
    opt.param_groups[0]["lr"] = 0.7
    second = lrs.StepLR(opt, 2)
    assert opt.param_groups[0]["initial_lr"] == 0.1 and second.base_lrs == [0.1]


def test_stepping_the_scheduler_first_warns():
    opt = make_optimizer((0.1,))
    sched = lrs.StepLR(opt, 2)
    with pytest.warns(UserWarning, match="before optimizer.step"):
        sched.step()
    opt = make_optimizer((0.1,))
    sched = lrs.StepLR(opt, 2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        opt.step()
        sched.step()
        sched.step()


def test_resuming_needs_initial_lr():
    with pytest.raises(KeyError, match="param group 0 has no 'initial_lr'"):
        lrs.StepLR(make_optimizer((0.1,)), 2, last_epoch=3)


SCHEDULES = [
    (lambda opt: lrs.StepLR(opt, 3, 0.5), None),
    (lambda opt: lrs.CosineAnnealingLR(opt, 5, 1e-3), None),
    (lambda opt: lrs.LinearLR(opt, 0.2, 1.0, 4), None),
    (lambda opt: lrs.OneCycleLR(opt, [1.0, 0.3], total_steps=12), None),
    (lambda opt: lrs.ReduceLROnPlateau(opt, patience=1, factor=0.5, cooldown=1),
     [1.0, 0.9, 0.95, 0.95, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9]),
]


@pytest.mark.parametrize("make, metrics", SCHEDULES,
                         ids=["StepLR", "Cosine", "LinearLR", "OneCycleLR", "Plateau"])
def test_scheduler_state_dict_round_trip(make, metrics):
    opt = make_optimizer(momentum=0.9)
    sched = make(opt)
    first = run(opt, sched, 5, metrics)
    saved_opt, saved_sched = opt.state_dict(), sched.state_dict()
    expected = run(opt, sched, 6, metrics and metrics[5:])

    fresh_opt = make_optimizer((0.5, 0.5), momentum=0.9)
    fresh = make(fresh_opt)                  # PyTorch's order: scheduler, then the loads
    fresh_opt.load_state_dict(saved_opt)
    fresh.load_state_dict(saved_sched)
    assert fresh.get_last_lr() == first[-1]
    assert run(fresh_opt, fresh, 6, metrics and metrics[5:]) == expected


def test_lambda_lr_state_dict_saves_callable_objects_not_functions():
    class Warmup:
        def __init__(self, n):
            self.n = n

        def __call__(self, epoch):
            return min(1.0, (epoch + 1) / self.n)

    opt = make_optimizer()
    sched = lrs.LambdaLR(opt, [Warmup(4), lambda e: 1.0])
    state = sched.state_dict()
    assert state["lr_lambdas"] == [{"n": 4}, None] and "optimizer" not in state
    state["lr_lambdas"][0]["n"] = 10
    other = lrs.LambdaLR(make_optimizer(), [Warmup(4), lambda e: 1.0])
    other.load_state_dict(state)
    assert other.lr_lambdas[0].n == 10


@pytest.mark.parametrize("make, error, match", [
    (lambda opt: lrs.StepLR(opt, 0), ValueError, "step_size must be an int ≥ 1, got 0"),
    (lambda opt: lrs.LinearLR(opt, start_factor=0), ValueError,
     r"start_factor must be a real number in \(0, 1\], got 0"),
    (lambda opt: lrs.LinearLR(opt, end_factor=2), ValueError,
     r"end_factor must be a real number in \[0, 1\], got 2"),
    (lambda opt: lrs.CosineAnnealingLR(opt, 0), ValueError, "T_max must be an int ≥ 1, got 0"),
    (lambda opt: lrs.LambdaLR(opt, [lambda e: 1]), ValueError, "one value per param group"),
    (lambda opt: lrs.OneCycleLR(opt, 1.0), ValueError, "give total_steps, or both epochs"),
    (lambda opt: lrs.OneCycleLR(opt, 1.0, total_steps=0), ValueError, "positive int"),
    (lambda opt: lrs.OneCycleLR(opt, 1.0, 10, pct_start=1.5), ValueError, "pct_start"),
    (lambda opt: lrs.OneCycleLR(opt, 1.0, 10, anneal_strategy="exp"), ValueError, "'cos'"),
    (lambda opt: lrs.ReduceLROnPlateau(opt, factor=1.0), ValueError,
     r"factor must be a real number in \[0, 1\), got 1.0"),
    (lambda opt: lrs.ReduceLROnPlateau(opt, mode="low"), ValueError, "'min' or 'max'"),
    (lambda opt: lrs.ReduceLROnPlateau(opt, threshold_mode="x"), ValueError, "'rel' or 'abs'"),
    (lambda opt: lrs.ReduceLROnPlateau(opt, min_lr=[0.1]), ValueError, "per param group"),
    (lambda opt: lrs.StepLR(object(), 2), TypeError, "expected a minigrad.optim.Optimizer"),
])
def test_bad_scheduler_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make(make_optimizer())


def test_one_cycle_momentum_needs_an_optimizer_with_momentum():
    opt = make_optimizer(cls=optim.Adagrad)
    with pytest.raises(ValueError, match="cycle_momentum=True needs an optimizer with "):
        lrs.OneCycleLR(opt, 1.0, total_steps=10)
    lrs.OneCycleLR(opt, 1.0, total_steps=10, cycle_momentum=False)


def test_a_schedule_that_ends_at_zero_steps_without_a_negative_rate():
    """LinearLR's chained factors reach end_factor=0 as about -5.6e-18; the scheduler
    sets 0, so that step(), which refuses negative rates, keeps working."""
    opt = make_optimizer((0.1,))
    sched = lrs.LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=3)
    for _ in range(5):
        opt.step()
        sched.step()
        assert opt.param_groups[0]["lr"] >= 0
    assert opt.param_groups[0]["lr"] == 0.0
