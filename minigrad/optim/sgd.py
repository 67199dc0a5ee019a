"""Stochastic gradient descent, with momentum, Nesterov momentum and weight decay."""
from .. import backend
from .optimizer import Optimizer, as_float, check_bool, check_real

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (PyTorch's rule, step for step).

    For a parameter θ with gradient g, each step:

        g ← −g                        if maximize
        g ← g + λ·θ                   if λ = weight_decay ≠ 0   (L2 penalty ½λ‖θ‖²)
        if μ = momentum ≠ 0:
            b ← g                     at the first step
            b ← μ·b + (1 − τ)·g       afterwards                (τ = dampening)
            g ← g + μ·b               if nesterov
            g ← b                     otherwise
        θ ← θ − α·g                   (α = lr)

    The first momentum step stores g itself, not (1 − τ)·g: that is PyTorch's choice, kept
    so that trajectories agree.

    Args:
        params: Tensors or parameter groups (see :class:`Optimizer`).
        lr (float): α ≥ 0 (PyTorch's default, 1e-3).
        momentum (float): μ ≥ 0.
        dampening (float): τ ∈ [0, 1].
        weight_decay (float): λ ≥ 0.
        nesterov (bool): Nesterov momentum; needs μ > 0 and τ = 0.
        maximize (bool): ascend instead of descend.

    State per parameter: ``momentum_buffer`` (b), only when μ ≠ 0.

    >>> opt = minigrad.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    >>> opt.zero_grad(); loss_fn(model(x), y).backward(); opt.step()
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _check_options(self, options):
        check_real(options, "lr")
        check_real(options, "momentum")
        check_real(options, "dampening", 0.0, 1.0)
        check_real(options, "weight_decay")
        check_bool(options, "nesterov")
        check_bool(options, "maximize")
        if options["nesterov"] and (options["momentum"] <= 0 or options["dampening"] != 0):
            raise ValueError(f"nesterov=True needs momentum > 0 and dampening = 0, got "
                             f"momentum={options['momentum']!r}, "
                             f"dampening={options['dampening']!r}")

    state_kinds = {"momentum_buffer": "array"}

    def _required_state(self, group):
        return {"momentum_buffer"} if group["momentum"] != 0 else set()

    def update(self, p, g, state, group):
        lr = as_float(group["lr"])
        momentum = as_float(group["momentum"])
        weight_decay = as_float(group["weight_decay"])
        if group["maximize"]:
            g = -g
        if weight_decay != 0:
            g = g + weight_decay * p
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                # A copy (g may be p.grad's own array), made an array even for 0-d p.
                buf = backend.array_module(p).array(g, dtype=p.dtype, copy=True)
                state["momentum_buffer"] = buf
            else:
                buf *= momentum
                buf += (1 - as_float(group["dampening"])) * g
            g = g + momentum * buf if group["nesterov"] else buf
        p -= lr * g
