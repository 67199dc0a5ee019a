"""RMSprop (Hinton's lecture 6e), optionally centered and with momentum."""
from .. import backend
from .optimizer import Optimizer, as_float, check_bool, check_real, lerp_

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop: steps divided by a running root-mean-square of the gradient.

    For a parameter θ with gradient g, each step (PyTorch's rule, in its order):

        g ← −g                         if maximize
        g ← g + λ·θ                    if λ = weight_decay ≠ 0
        v ← a·v + (1 − a)·g²           (a = alpha)
        if centered:
            ḡ ← a·ḡ + (1 − a)·g        (computed as ḡ + (1 − a)·(g − ḡ))
            d ← √(v − ḡ²) + ε
        else:
            d ← √v + ε
        if μ = momentum > 0:
            b ← μ·b + g/d
            θ ← θ − α·b
        else:
            θ ← θ − α·g/d

    ε is added outside the square root.

    Args:
        params: Tensors or parameter groups (see :class:`Optimizer`).
        lr (float): α ≥ 0.
        alpha (float): a ∈ [0, 1], the smoothing constant.
        eps (float): ε ≥ 0.
        weight_decay (float): λ ≥ 0.
        momentum (float): μ ≥ 0.
        centered (bool): divide by the estimated standard deviation of g instead of its RMS.
        maximize (bool): ascend instead of descend.

    State per parameter: ``step`` (an int, counted but unused by the rule), ``square_avg``
    (v), ``momentum_buffer`` (b) when μ > 0, ``grad_avg`` (ḡ) when centered.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _check_options(self, options):
        check_real(options, "lr")
        check_real(options, "alpha", 0.0, 1.0)
        check_real(options, "eps")
        check_real(options, "weight_decay")
        check_real(options, "momentum")
        check_bool(options, "centered")
        check_bool(options, "maximize")

    state_kinds = {"step": "step", "square_avg": "array ≥ 0", "momentum_buffer": "array",
                   "grad_avg": "array"}

    def _required_state(self, group):
        required = {"step", "square_avg"}
        if group["momentum"] > 0:
            required.add("momentum_buffer")
        if group["centered"]:
            required.add("grad_avg")
        return required

    def update(self, p, g, state, group):
        xp = backend.array_module(p)
        lr = as_float(group["lr"])
        alpha = as_float(group["alpha"])
        eps = as_float(group["eps"])
        momentum = as_float(group["momentum"])
        weight_decay = as_float(group["weight_decay"])
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(p)
        # Created when first needed, also when a scheduler turns momentum on later.
        if momentum > 0 and "momentum_buffer" not in state:
            state["momentum_buffer"] = xp.zeros_like(p)
        if group["centered"] and "grad_avg" not in state:
            state["grad_avg"] = xp.zeros_like(p)
        state["step"] += 1

        if group["maximize"]:
            g = -g
        if weight_decay != 0:
            g = g + weight_decay * p
        v = state["square_avg"]
        v *= alpha
        v += (1 - alpha) * g * g
        if group["centered"]:
            g_avg = state["grad_avg"]
            lerp_(g_avg, g, 1 - alpha)
            avg = xp.sqrt(v - g_avg * g_avg)
        else:
            avg = xp.sqrt(v)
        avg = avg + eps
        if momentum > 0:
            buf = state["momentum_buffer"]
            buf *= momentum
            buf += g / avg
            p -= lr * buf
        else:
            p -= lr * g / avg
