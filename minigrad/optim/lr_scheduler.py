"""Learning-rate schedules: they set ``group["lr"]`` of an optimizer's parameter groups.

PyTorch's semantics and formulas, so a schedule gives the same numbers for the same calls:

* constructing a scheduler records ``group["initial_lr"]`` (once) and applies the schedule's
  value for step 0;
* call ``scheduler.step()`` after ``optimizer.step()``, once per epoch (or per batch, for
  OneCycleLR); ``get_last_lr()`` returns the learning rates it set last;
* most schedules are *chainable*: each step multiplies the current ``group["lr"]`` by a
  factor, so two schedulers on one optimizer compose, as in PyTorch.

>>> opt = minigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
>>> sched = minigrad.optim.lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
>>> for epoch in range(90):
...     train_one_epoch(model, opt)          # calls opt.step() per batch
...     sched.step()
"""
import math
import numbers
import types
import warnings
from collections import Counter

from .optimizer import Optimizer

__all__ = ["LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR",
           "CosineAnnealingLR", "LinearLR", "OneCycleLR", "ReduceLROnPlateau"]


def _per_group(name, optimizer, value):
    """One value per param group: a list/tuple of that length, or a scalar repeated."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name}: expected one value per param group ({n}), "
                             f"got {len(value)}")
        return list(value)
    return [value] * n


# -- value rules: checked by the constructors and again by load_state_dict -------------------
def _int(low):
    """An int ≥ low (not a bool, not 2.5)."""
    def check(value):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
            return f"an int ≥ {low}"
    return check


def _real(low=0.0, high=math.inf, low_open=False, high_open=True):
    """A real number in the interval (never NaN; ∞ only where the interval is closed)."""
    interval = f"{'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"

    def check(value):
        if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                or not ((low < value if low_open else low <= value)
                        and (value < high if high_open else value <= high)):
            return f"a real number in {interval}"
    return check


def _each(rule):
    """A list (one per param group) of values each following ``rule``."""
    def check(values):
        if not isinstance(values, (list, tuple)):
            return "a list (one value per param group)"
        for v in values:
            bad = rule(v)
            if bad:
                return f"a list of {bad.removeprefix('a ').removeprefix('an ')}s"
    return check


def _one_of(*choices):
    def check(value):
        if value not in choices:
            return " or ".join(map(repr, choices))
    return check


def _check_values(owner, rules, values):
    """Raise ValueError naming ``owner``, the attribute, what was expected and the value, for
    the first value of ``values`` that breaks its rule."""
    for name, rule in rules.items():
        if name in values:
            expected = rule(values[name])
            if expected:
                raise ValueError(f"{owner}: {name} must be {expected}, got "
                                 f"{values[name]!r:.80}")


def _check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"expected a minigrad.optim.Optimizer, got {type(optimizer).__name__}")


class LRScheduler:
    """Base class: a subclass implements ``get_lr()``, the learning rates for the step
    ``self.last_epoch`` (it may read the current ``group["lr"]`` and ``self.base_lrs``).

    Args:
        optimizer: the :class:`Optimizer` whose learning rates are set.
        last_epoch (int): -1 to start; the index of the last step when resuming (then every
            group must already hold ``"initial_lr"``).
    """

    _is_initial = False   # True during the step the constructor makes
    #: attribute -> rule, checked at construction and on load_state_dict (a checkpoint's
    #: values can be well-typed and still impossible: γ = NaN, step_size = 0).
    _rules = {"last_epoch": _int(-1), "_step_count": _int(0),
              "base_lrs": _each(_real()), "_last_lr": _each(_real())}

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(optimizer)
        _check_values(type(self).__name__, self._rules, {"last_epoch": last_epoch})
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(f"{type(self).__name__}: param group {i} has no "
                                   f"'initial_lr': resuming with last_epoch={last_epoch} needs "
                                   f"the optimizer's state from the checkpoint loaded first")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """The learning rates for step ``last_epoch``, one per group (used by step())."""
        raise NotImplementedError

    def get_last_lr(self):
        """The learning rates the last ``step()`` set, one per param group."""
        return list(self._last_lr)

    def step(self):
        """Advance the schedule by one step and set each group's ``lr``."""
        if self._step_count == 1 and self.optimizer._step_count == 0:
            warnings.warn("lr_scheduler.step() was called before optimizer.step(): the first "
                          "learning rate of the schedule is skipped; call optimizer.step() "
                          "first (PyTorch's order since 1.1)", UserWarning, stacklevel=2)
        self._step_count += 1
        self.last_epoch += 1
        values = self.get_lr()
        for group, lr, base in zip(self.optimizer.param_groups, values, self.base_lrs,
                                   strict=True):
            # a schedule that ends at 0 (LinearLR(end_factor=0)) can land a rounding error
            # below it, -5.6e-18; that is 0, not a negative rate for step() to refuse
            group["lr"] = 0.0 if -1e-12 * abs(base) <= lr < 0 else lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        """Every attribute but the optimizer (PyTorch's layout)."""
        return {k: v for k, v in self.__dict__.items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore attributes from :meth:`state_dict` (load the optimizer's state too).

        Everything is checked before anything changes: the entries must be this class's,
        and each value must follow its rule (``_rules``), so that a hand-edited or damaged
        checkpoint cannot set γ = NaN or step_size = 0.
        """
        where = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict):
            raise TypeError(f"{where}: expected a dict, got {type(state_dict).__name__}")
        expected = set(self.state_dict())
        if set(state_dict) != expected:
            raise ValueError(f"{where}: the state has entries {sorted(map(str, state_dict))}, "
                             f"expected {sorted(expected)}")
        _check_values(where, self._rules, state_dict)
        base_lrs = state_dict.get("base_lrs")
        if base_lrs is not None and len(base_lrs) != len(self.optimizer.param_groups):
            raise ValueError(f"{where}: the state has "
                             f"{len(base_lrs)} base_lrs, the optimizer "
                             f"{len(self.optimizer.param_groups)} param groups")
        self.__dict__.update(state_dict)

    def _current_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]


class LambdaLR(LRScheduler):
    """lr = initial_lr · f(epoch), with ``f = lr_lambda`` (one function, or one per group).

    >>> warmup = LambdaLR(opt, lambda epoch: min(1.0, (epoch + 1) / 5))
    """

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer(optimizer)
        if isinstance(lr_lambda, (list, tuple)):
            self.lr_lambdas = _per_group("LambdaLR lr_lambda", optimizer, lr_lambda)
        else:
            self.lr_lambdas = [lr_lambda] * len(optimizer.param_groups)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * fn(self.last_epoch) for fn, base in zip(self.lr_lambdas, self.base_lrs)]

    def state_dict(self):
        """As PyTorch: functions are not saved; a callable object's ``__dict__`` is."""
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}
        state["lr_lambdas"] = [None if isinstance(fn, types.FunctionType)
                               else dict(fn.__dict__) for fn in self.lr_lambdas]
        return state

    def load_state_dict(self, state_dict):
        lambdas = state_dict.get("lr_lambdas") if isinstance(state_dict, dict) else None
        if not isinstance(lambdas, list) or len(lambdas) != len(self.lr_lambdas) \
                or not all(saved is None or isinstance(saved, dict) for saved in lambdas):
            raise ValueError(f"LambdaLR.load_state_dict: lr_lambdas must be a list of "
                             f"{len(self.lr_lambdas)} entries (None or a dict), got "
                             f"{lambdas!r:.80}")
        super().load_state_dict({**state_dict, "lr_lambdas": self.lr_lambdas})
        for fn, saved in zip(self.lr_lambdas, lambdas):
            if saved is not None:
                fn.__dict__.update(saved)


class StepLR(LRScheduler):
    """lr ← lr·γ every ``step_size`` epochs: lr = initial_lr · γ^⌊epoch / step_size⌋."""

    _rules = {**LRScheduler._rules, "step_size": _int(1), "gamma": _real()}

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        _check_values("StepLR", self._rules, {"step_size": step_size, "gamma": gamma})
        self.step_size = int(step_size)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class MultiStepLR(LRScheduler):
    """lr ← lr·γ at each epoch in ``milestones`` (γ^k at a milestone listed k times)."""

    _rules = {**LRScheduler._rules, "gamma": _real(),
              "milestones": lambda c: None if isinstance(c, dict) and not _each(_int(0))(
                  list(c)) and not _each(_int(1))(list(c.values())) else "a Counter of ints"}

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        _check_values("MultiStepLR", {"milestones": _each(_int(0)), "gamma": _real()},
                      {"milestones": list(milestones) if isinstance(milestones, (list, tuple,
                       range, set)) else milestones, "gamma": gamma})
        self.milestones = Counter(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch not in self.milestones:
            return self._current_lrs()
        factor = self.gamma ** self.milestones[self.last_epoch]
        return [lr * factor for lr in self._current_lrs()]



class ExponentialLR(LRScheduler):
    """lr ← lr·γ every epoch: lr = initial_lr · γ^epoch."""

    _rules = {**LRScheduler._rules, "gamma": _real()}

    def __init__(self, optimizer, gamma, last_epoch=-1):
        _check_values("ExponentialLR", self._rules, {"gamma": gamma})
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current_lrs()
        return [lr * self.gamma for lr in self._current_lrs()]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from initial_lr down to η_min over ``T_max`` epochs (no restarts):

        η_t = η_min + ½·(η₀ − η_min)·(1 + cos(π·t / T_max))

    Implemented, like PyTorch, by the recursive (chainable) form of that formula:

        η_t = η_min + (η_{t−1} − η_min) · (1 + cos(π·t/T_max)) / (1 + cos(π·(t−1)/T_max))

    which equals the closed form up to rounding when nothing else changes lr, and which
    follows other schedulers' changes when chained.  Past T_max the cosine continues (the lr
    rises again), as in PyTorch.
    """

    _rules = {**LRScheduler._rules, "T_max": _int(1), "eta_min": _real()}

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        _check_values("CosineAnnealingLR", self._rules, {"T_max": T_max, "eta_min": eta_min})
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current_lrs()
        if self._step_count == 1 and t > 0:   # resumed: start from the closed form
            return [eta_min + (base - eta_min) * (1 + math.cos(t * math.pi / T)) / 2
                    for base in self.base_lrs]
        if (t - 1 - T) % (2 * T) == 0:
            # The ratio's denominator is 0 here (lr reached η_min): step up additively.
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for base, lr in zip(self.base_lrs, self._current_lrs())]
        return [(1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
                * (lr - eta_min) + eta_min for lr in self._current_lrs()]



class LinearLR(LRScheduler):
    """A linear ramp of the factor on initial_lr, from ``start_factor`` to ``end_factor`` over
    ``total_iters`` epochs, then constant (a warm-up with the defaults):

        lr = initial_lr · (s + (e − s)·min(epoch, total_iters)/total_iters)

    computed, like PyTorch, as the chainable ratio of consecutive factors.
    """

    _rules = {**LRScheduler._rules, "start_factor": _real(0, 1, low_open=True, high_open=False),
              "end_factor": _real(0, 1, high_open=False), "total_iters": _int(1)}

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        _check_values("LinearLR", self._rules, {"start_factor": start_factor,
                                                "end_factor": end_factor,
                                                "total_iters": total_iters})
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        s, e, n, t = self.start_factor, self.end_factor, self.total_iters, self.last_epoch
        if t == 0:
            return [lr * s for lr in self._current_lrs()]
        if self._is_initial or t > n:
            return self._current_lrs()
        return [lr * (1.0 + (e - s) / (n * s + (t - 1) * (e - s))) for lr in self._current_lrs()]



class OneCycleLR(LRScheduler):
    """The 1cycle policy (Smith & Topin, 2017), stepped once per batch: lr rises from
    max_lr/div_factor to max_lr over the first ``pct_start`` of the steps, then falls to
    max_lr/(div_factor·final_div_factor); momentum (or Adam's β₁) moves the opposite way
    between ``max_momentum`` and ``base_momentum``.

    Each phase anneals from a to b as pct goes 0 → 1: cos: b + (a − b)/2·(1 + cos(π·pct));
    linear: a + (b − a)·pct.  ``three_phase=True`` gives the paper's symmetric ramp and a
    final annealing phase.  Defaults are PyTorch's.

    Args:
        max_lr: the peak lr (one per group, or one for all).
        total_steps, or epochs and steps_per_epoch: the length of the cycle.
    """

    _rules = {**LRScheduler._rules, "total_steps": _int(1),
              "anneal_strategy": _one_of("cos", "linear"),
              "cycle_momentum": _one_of(True, False), "use_beta1": _one_of(True, False)}

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True,
                 base_momentum=0.85, max_momentum=0.95, div_factor=25.0,
                 final_div_factor=1e4, three_phase=False, last_epoch=-1):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        self.total_steps = self._cycle_length(total_steps, epochs, steps_per_epoch)
        _check_values("OneCycleLR", {
            **self._rules, "pct_start": _real(0, 1, high_open=False),
            "three_phase": _one_of(True, False), "div_factor": _real(low_open=True),
            "final_div_factor": _real(low_open=True), "max_lr": _each(_real()),
            "base_momentum": _each(_real()), "max_momentum": _each(_real())}, {
            "pct_start": pct_start, "anneal_strategy": anneal_strategy,
            "cycle_momentum": cycle_momentum, "three_phase": three_phase,
            "div_factor": div_factor, "final_div_factor": final_div_factor,
            **{name: value if isinstance(value, (list, tuple)) else [value] for name, value
               in [("max_lr", max_lr), ("base_momentum", base_momentum),
                   ("max_momentum", max_momentum)]}})
        self.anneal_strategy = anneal_strategy
        n = self.total_steps
        if three_phase:
            self._phases = [
                (float(pct_start * n) - 1, "initial_lr", "max_lr", "max_momentum",
                 "base_momentum"),
                (float(2 * pct_start * n) - 2, "max_lr", "initial_lr", "base_momentum",
                 "max_momentum"),
                (n - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"),
            ]
        else:
            self._phases = [
                (float(pct_start * n) - 1, "initial_lr", "max_lr", "max_momentum",
                 "base_momentum"),
                (n - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"),
            ]
        max_lrs = _per_group("OneCycleLR max_lr", optimizer, max_lr)
        if last_epoch == -1:
            for group, top in zip(optimizer.param_groups, max_lrs):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
                raise ValueError(f"OneCycleLR: cycle_momentum=True needs an optimizer with "
                                 f"momentum or betas, got {type(optimizer).__name__}; pass "
                                 f"cycle_momentum=False")
            self.use_beta1 = "betas" in optimizer.defaults
            tops = _per_group("OneCycleLR max_momentum", optimizer, max_momentum)
            bases = _per_group("OneCycleLR base_momentum", optimizer, base_momentum)
            if last_epoch == -1:
                for group, top, base in zip(optimizer.param_groups, tops, bases):
                    self._set_momentum(group, top)
                    group["max_momentum"] = top
                    group["base_momentum"] = base
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _cycle_length(total_steps, epochs, steps_per_epoch):
        def positive_int(name, value):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) \
                    or value <= 0:
                raise ValueError(f"OneCycleLR: {name} must be a positive int, got {value!r}")
            return int(value)
        if total_steps is not None:
            return positive_int("total_steps", total_steps)
        if epochs is not None and steps_per_epoch is not None:
            return positive_int("epochs", epochs) * positive_int("steps_per_epoch",
                                                                  steps_per_epoch)
        raise ValueError("OneCycleLR: give total_steps, or both epochs and steps_per_epoch")

    def _set_momentum(self, group, value):
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {t} times, but the cycle has "
                             f"total_steps={self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr_a, lr_b, mom_a, mom_b) in enumerate(self._phases):
                if t <= end or i == len(self._phases) - 1:
                    pct = (t - start) / (end - start)
                    lrs.append(self._anneal(group[lr_a], group[lr_b], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[mom_a], group[mom_b],
                                                               pct))
                    break
                start = end
        return lrs


class ReduceLROnPlateau(LRScheduler):
    """Multiply lr by ``factor`` when a metric has not improved for more than ``patience``
    epochs.

    ``step(metric)`` once per epoch with the monitored value (e.g. the validation loss).
    "Improved" means, with best the best value so far and θ = threshold:

        mode="min", threshold_mode="rel":  metric < best·(1 − θ)
        mode="min", threshold_mode="abs":  metric < best − θ
        mode="max", threshold_mode="rel":  metric > best·(1 + θ)
        mode="max", threshold_mode="abs":  metric > best + θ

    After more than ``patience`` epochs without improvement, lr ← max(lr·factor, min_lr)
    (skipped when that changes lr by less than ``eps``), then ``cooldown`` epochs pass in
    which bad epochs are not counted.  PyTorch's semantics; it sets no ``initial_lr``, and
    its ``step`` takes the metric.
    """

    _rules = {"last_epoch": _int(0), "_last_lr": _each(_real()),
              "mode": _one_of("min", "max"), "factor": _real(0, 1),
              "patience": _int(0), "threshold": _real(), "threshold_mode": _one_of("rel", "abs"),
              "cooldown": _int(0), "eps": _real(), "min_lrs": _each(_real()),
              "best": _real(-math.inf, math.inf, high_open=False),
              "num_bad_epochs": _int(0), "cooldown_counter": _int(0)}

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        _check_optimizer(optimizer)
        _check_values("ReduceLROnPlateau", self._rules, {
            "mode": mode, "factor": factor, "patience": patience, "threshold": threshold,
            "threshold_mode": threshold_mode, "cooldown": cooldown, "eps": eps,
            "min_lrs": min_lr if isinstance(min_lr, (list, tuple)) else [min_lr]})
        self.optimizer = optimizer
        self.factor = factor
        if isinstance(min_lr, (list, tuple)):
            self.default_min_lr = None
            self.min_lrs = _per_group("ReduceLROnPlateau min_lr", optimizer, min_lr)
        else:
            self.default_min_lr = min_lr
            self.min_lrs = [min_lr] * len(optimizer.param_groups)
        self.mode, self.threshold, self.threshold_mode = mode, threshold, threshold_mode
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.last_epoch = 0
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def is_better(self, a, best):
        """Whether the value ``a`` improves on ``best`` (see the class doc)."""
        if self.mode == "min":
            return a < (best * (1.0 - self.threshold) if self.threshold_mode == "rel"
                        else best - self.threshold)
        return a > (best * (self.threshold + 1.0) if self.threshold_mode == "rel"
                    else best + self.threshold)

    def step(self, metrics):
        """Record this epoch's metric (a number or a one-element tensor)."""
        current = float(metrics)
        self.last_epoch += 1
        if self.is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _reduce_lr(self):
        groups = self.optimizer.param_groups
        if len(self.min_lrs) != len(groups):
            if self.default_min_lr is None:
                raise RuntimeError(f"ReduceLROnPlateau: the optimizer now has {len(groups)} "
                                   f"param groups, min_lr has {len(self.min_lrs)} values; set "
                                   f"scheduler.min_lrs to one per group")
            self.min_lrs = [self.default_min_lr] * len(groups)
        for group, min_lr in zip(groups, self.min_lrs):
            old = float(group["lr"])
            new = max(old * self.factor, min_lr)
            if old - new > self.eps:
                group["lr"] = new

