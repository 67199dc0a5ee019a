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
the Numba CPU and CUDA implementations do it in one, with the reference's operations in the
reference's order and precision, so their results are the same bits.
"""
import numba
import numpy as np

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
    """Reference: whole-array operations (any array module: it uses p's; also the CuPy
    implementation)."""
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


# ---------------------------------------------------------------------------------------
# Numba (CPU): one pass over the five arrays.  Every scalar is converted to the arrays'
# dtype first, as NumPy does with a Python float in an array operation, and each element
# goes through the reference's operations in its order (no fastmath: no fused
# multiply-adds), so the results are bit-identical to the reference's.

@numba.njit(cache=True, error_model="numpy")   # IEEE division: no zero test per element
def _adam_loop(p, g, m, v, v_max, amsgrad, maximize, weight_decay, decoupled, decay_factor,
               w, small_w, one_minus_w, beta2, one_minus_beta2, bias_correction2_sqrt, eps,
               step_size):
    for i in range(p.size):
        gi = -g[i] if maximize else g[i]
        pi = p[i]
        if weight_decay != 0:
            if decoupled:
                pi = pi * decay_factor
            else:
                gi = gi + weight_decay * pi
        mi = m[i]
        if small_w:                                   # _lerp's two forms
            mi = mi + w * (gi - mi)
        else:
            mi = gi - (gi - mi) * one_minus_w
        m[i] = mi
        vi = v[i] * beta2
        vi = vi + one_minus_beta2 * gi * gi
        v[i] = vi
        if amsgrad:
            vm = v_max[i]
            if vi > vm or vi != vi:                   # np.maximum: NaN wins
                vm = vi
            v_max[i] = vm
            vi = vm
        denom = np.sqrt(vi) / bias_correction2_sqrt + eps
        p[i] = pi - step_size * mi / denom


def adam_update_numba(p, g, m, v, v_max, step, lr, beta1, beta2, eps, weight_decay,
                      decoupled, maximize):
    """Numba: the reference's arithmetic in one compiled pass (float32/float64 C-contiguous
    arrays of one dtype; anything else runs the reference)."""
    arrays = (p, g, m, v) if v_max is None else (p, g, m, v, v_max)
    if not all(type(a) is np.ndarray and a.dtype == p.dtype and a.flags.c_contiguous
               for a in arrays) or p.dtype not in (np.float32, np.float64):
        return adam_update_numpy(p, g, m, v, v_max, step, lr, beta1, beta2, eps,
                                 weight_decay, decoupled, maximize)
    cast = p.dtype.type
    w = 1 - beta1
    bias_correction1 = 1 - beta1 ** step
    bias_correction2_sqrt = (1 - beta2 ** step) ** 0.5
    flat = [a.reshape(-1) for a in arrays]
    _adam_loop(flat[0], flat[1], flat[2], flat[3], flat[-1] if v_max is not None else flat[3],
               v_max is not None, bool(maximize), cast(weight_decay), bool(decoupled),
               cast(1 - lr * weight_decay), cast(w), abs(w) < 0.5, cast(1 - w), cast(beta2),
               cast(1 - beta2), cast(bias_correction2_sqrt), cast(eps),
               cast(lr / bias_correction1))

