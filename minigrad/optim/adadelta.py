"""Adadelta (Zeiler, 2012)."""
from .. import backend
from .optimizer import Optimizer, as_float, check_bool, check_real

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta: steps whose size is the ratio of two running root-mean-squares, of past
    steps and of gradients, so the units of θ need no learning rate (lr scales the step).

    For a parameter θ with gradient g, each step (PyTorch's rule, in its order):

        g ← −g                                if maximize
        g ← g + λ·θ                           if λ = weight_decay ≠ 0
        v ← ρ·v + (1 − ρ)·g²                  running mean of squared gradients
        Δ ← √(u + ε) / √(v + ε) · g           the step (u: of the previous steps)
        u ← ρ·u + (1 − ρ)·Δ²                  running mean of squared steps
        θ ← θ − α·Δ

    ε is added inside both square roots; u and v start at 0, so the first steps are about
    √ε/√((1 − ρ)·g² + ε) · g (small: Adadelta starts slowly).

    Args:
        params: Tensors or parameter groups (see :class:`Optimizer`).
        lr (float): α ≥ 0, a factor on Δ (1.0 is the paper's rule).
        rho (float): ρ ∈ [0, 1], the decay of both running means.
        eps (float): ε ≥ 0.
        weight_decay (float): λ ≥ 0.
        maximize (bool): ascend instead of descend.

    State per parameter: ``step`` (an int, counted but unused by the rule), ``square_avg``
    (v) and ``acc_delta`` (u), arrays of the parameter's dtype.
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _check_options(self, options):
        check_real(options, "lr")
        check_real(options, "rho", 0.0, 1.0)
        check_real(options, "eps")
        check_real(options, "weight_decay")
        check_bool(options, "maximize")

    state_kinds = {"step": "step", "square_avg": "array ≥ 0", "acc_delta": "array ≥ 0"}

    def update(self, p, g, state, group):
        xp = backend.array_module(p)
        lr = as_float(group["lr"])
        rho = as_float(group["rho"])
        eps = as_float(group["eps"])
        weight_decay = as_float(group["weight_decay"])
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(p)
            state["acc_delta"] = xp.zeros_like(p)
        state["step"] += 1

        if group["maximize"]:
            g = -g
        if weight_decay != 0:
            g = g + weight_decay * p
        v, u = state["square_avg"], state["acc_delta"]
        v *= rho
        v += (1 - rho) * g * g
        delta = xp.sqrt(u + eps) / xp.sqrt(v + eps) * g
        u *= rho
        u += (1 - rho) * delta * delta
        p -= lr * delta
