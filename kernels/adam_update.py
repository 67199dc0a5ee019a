"""One Adam (and AdamW) step on one parameter, in place.

Contract (every implementation):

    adam_update(p, g, m, v, v_max, step, lr, beta1, beta2, eps, weight_decay,
                decoupled, maximize) -> None

    p, g, m, v (and v_max, or None without amsgrad): arrays of one shape, dtype and
    device; p, m, v, v_max are updated in place.  step t ≥ 1 counts this update; the
    others are Python numbers and bools (minigrad.optim.Adam's options).

    g' = −g if maximize else g
    weight decay λ: p ← p·(1 − lr·λ) if decoupled (AdamW), else g' ← g' + λ·p
    m ← m + (1 − β₁)·(g' − m)            (torch's lerp, same rounding)
    v ← β₂·v + (1 − β₂)·g'²
    v_max ← max(v_max, v), and v̂ = v_max (amsgrad) or v
    p ← p − lr/(1 − β₁ᵗ) · m / (√v̂ / √(1 − β₂ᵗ) + ε)

The reference does it in about a dozen whole-array passes (each a kernel launch on a GPU);
the Numba CUDA implementation does it in one.
"""
from ._arrays import array_module


def _lerp(a, b, w, xp):
    """a ← a + w·(b − a), in torch's lerp_ form for this w (the two forms round differently;
    matching them keeps trajectories equal to PyTorch's)."""
    if abs(w) < 0.5:
        a += w * (b - a)
    else:
        xp.subtract(b, (b - a) * (1 - w), out=a)


def adam_update_numpy(p, g, m, v, v_max, step, lr, beta1, beta2, eps, weight_decay,
                      decoupled, maximize):
    """Reference: whole-array NumPy operations (any array module: it uses p's)."""
    xp = array_module(p)
    if maximize:
        g = -g
    if weight_decay != 0:
        if decoupled:
            p *= 1 - lr * weight_decay
        else:
            g = g + weight_decay * p
    _lerp(m, g, 1 - beta1, xp)
    v *= beta2
    v += (1 - beta2) * g * g
    bias_correction1 = 1 - beta1 ** step
    bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
    step_size = lr / bias_correction1
    if v_max is not None:
        xp.maximum(v_max, v, out=v_max)
        v = v_max
    denom = xp.sqrt(v) / bias_correction2_sqrt + eps
    p -= step_size * m / denom


def adam_update_cupy(p, g, m, v, v_max, step, lr, beta1, beta2, eps, weight_decay,
                     decoupled, maximize):
    """CuPy: the reference's passes as CuPy elementwise kernels."""
    adam_update_numpy(p, g, m, v, v_max, step, lr, beta1, beta2, eps, weight_decay,
                      decoupled, maximize)
