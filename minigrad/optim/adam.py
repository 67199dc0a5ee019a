"""Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019)."""
from .. import backend
from .optimizer import Optimizer, as_float, check_betas, check_bool, check_real

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam: steps scaled by running estimates of the gradient's first and second moments.

    For a parameter θ with gradient g, at step t = 1, 2, … (PyTorch's rule, in its order):

        g ← −g                              if maximize
        θ ← θ·(1 − α·λ)                     if decoupled_weight_decay  (AdamW)
        g ← g + λ·θ                         otherwise, if λ = weight_decay ≠ 0
        m ← β₁·m + (1 − β₁)·g               first moment   (computed as m + (1 − β₁)·(g − m))
        v ← β₂·v + (1 − β₂)·g²              second moment
        v̂ ← max(v̂, v)                       if amsgrad, and v̂ replaces v below
        θ ← θ − α/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)

    that is θ ← θ − α·m̂/(√v̂ + ε) with the bias-corrected m̂ = m/(1 − β₁ᵗ),
    v̂ = v/(1 − β₂ᵗ): ε is added after the bias correction of √v.

    Args:
        params: Tensors or parameter groups (see :class:`Optimizer`).
        lr (float): α ≥ 0.
        betas (tuple): (β₁, β₂), each in [0, 1).
        eps (float): ε ≥ 0, added to the denominator.
        weight_decay (float): λ ≥ 0; an L2 penalty added to g (Adam), or a decay of θ itself
            (AdamW, ``decoupled_weight_decay=True``).
        amsgrad (bool): use the running maximum of v (Reddi et al., 2018).
        maximize (bool): ascend instead of descend.
        decoupled_weight_decay (bool): AdamW's weight decay (as in PyTorch's Adam).

    State per parameter: ``step`` (t, an int), ``exp_avg`` (m), ``exp_avg_sq`` (v) and, with
    amsgrad, ``max_exp_avg_sq`` (v̂); arrays of the parameter's dtype.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False):
        defaults = dict(lr=lr, betas=tuple(betas) if isinstance(betas, list) else betas,
                        eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                        maximize=maximize, decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _check_options(self, options):
        check_real(options, "lr")
        check_betas(options)
        check_real(options, "eps")
        check_real(options, "weight_decay")
        check_bool(options, "amsgrad")
        check_bool(options, "maximize")
        check_bool(options, "decoupled_weight_decay")

    state_kinds = {"step": "step", "exp_avg": "array", "exp_avg_sq": "array ≥ 0",
                   "max_exp_avg_sq": "array ≥ 0"}

    def _required_state(self, group):
        required = {"step", "exp_avg", "exp_avg_sq"}
        return required | {"max_exp_avg_sq"} if group["amsgrad"] else required

    def update(self, p, g, state, group):
        xp = backend.array_module(p)
        lr = as_float(group["lr"])
        beta1, beta2 = (as_float(b) for b in group["betas"])
        eps = as_float(group["eps"])
        weight_decay = as_float(group["weight_decay"])
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p)
            state["exp_avg_sq"] = xp.zeros_like(p)
        if group["amsgrad"] and "max_exp_avg_sq" not in state:   # also when turned on later
            state["max_exp_avg_sq"] = xp.zeros_like(p)
        state["step"] += 1
        # the step's arithmetic (formulas above) is the registered "adam_update" kernel:
        # whole-array passes on the CPU, one fused launch with the numba_cuda kernel
        backend.kernel("adam_update", backend.device_of(p))(
            p, g, state["exp_avg"], state["exp_avg_sq"],
            state["max_exp_avg_sq"] if group["amsgrad"] else None, state["step"], lr,
            beta1, beta2, eps, weight_decay, bool(group["decoupled_weight_decay"]),
            bool(group["maximize"]))


class AdamW(Adam):
    """Adam with decoupled weight decay: θ shrinks by the factor (1 − α·λ) each step, apart
    from the gradient, instead of λ·θ being added to g (which Adam's 1/√v̂ would rescale).

        θ ← θ·(1 − α·λ)
        m, v, m̂, v̂ as in :class:`Adam`
        θ ← θ − α·m̂/(√v̂ + ε)

    The same arguments as :class:`Adam`, but weight_decay defaults to λ = 1e-2.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize,
                         decoupled_weight_decay=True)

    def add_param_group(self, param_group):
        super().add_param_group(param_group)
        self._prepare_group(self.param_groups[-1])

    def _prepare_group(self, group):
        # As torch.optim.AdamW: the decay is always decoupled, whatever a group or a loaded
        # state dict says.
        group["decoupled_weight_decay"] = True
