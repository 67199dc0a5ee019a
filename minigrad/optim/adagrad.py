"""Adagrad (Duchi, Hazan & Singer, 2011)."""
from .. import backend
from .optimizer import Optimizer, as_float, check_bool, check_real

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad: each coordinate's step divided by the root of its summed squared gradients.

    For a parameter θ with gradient g, at step t = 1, 2, … (PyTorch's rule, in its order):

        g ← −g                            if maximize
        g ← g + λ·θ                       if λ = weight_decay ≠ 0
        α_t ← α / (1 + (t − 1)·η)         (η = lr_decay)
        s ← s + g²                        (s starts at initial_accumulator_value)
        θ ← θ − α_t · g / (√s + ε)

    ε is added outside the square root.

    Args:
        params: Tensors or parameter groups (see :class:`Optimizer`).
        lr (float): α ≥ 0.
        lr_decay (float): η ≥ 0.
        weight_decay (float): λ ≥ 0.
        initial_accumulator_value (float): s at the start, ≥ 0.
        eps (float): ε ≥ 0.
        maximize (bool): ascend instead of descend.

    State per parameter: ``step`` (t, an int) and ``sum`` (s).  PyTorch creates this state
    for every parameter in the constructor; here it is created at a parameter's first step,
    like the other optimizers' (the trajectory is the same).
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, *, maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _check_options(self, options):
        for name in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            check_real(options, name)
        check_bool(options, "maximize")

    state_kinds = {"step": "step", "sum": "array ≥ 0"}

    def update(self, p, g, state, group):
        xp = backend.array_module(p)
        lr = as_float(group["lr"])
        weight_decay = as_float(group["weight_decay"])
        if not state:
            state["step"] = 0
            state["sum"] = xp.full_like(p, as_float(group["initial_accumulator_value"]))
        state["step"] += 1
        t = state["step"]

        if group["maximize"]:
            g = -g
        if weight_decay != 0:
            g = g + weight_decay * p
        clr = lr / (1 + (t - 1) * as_float(group["lr_decay"]))
        s = state["sum"]
        s += g * g
        std = xp.sqrt(s) + as_float(group["eps"])
        p -= clr * g / std
