"""Layer normalisation over the last axis of a matrix of rows (LayerNorm's common case).

Contract (every implementation):

    layer_norm_forward(x, gamma, beta, eps) -> (y, mean, invstd)
    layer_norm_backward(dy, x, mean, invstd, gamma) -> (dx, dgamma, dbeta)

    x, y, dy, dx (R, C); gamma, beta (C,) or None (γ = 1, β = 0); mean, invstd (R,):
    μ = the row's mean, σ² its biased variance, invstd = 1/√(σ² + ε), all in x's dtype;
    x̂ = (x − μ)·invstd,  y = γ·x̂ + β.
    Backward, x̂ recomputed from x, mean and invstd, dx̂ = dy·γ:
        dx = invstd/C · (C·dx̂ − Σ_c dx̂ − x̂·Σ_c dx̂·x̂)      (sums along the row)
        dγ = Σ_r dy·x̂,  dβ = Σ_r dy                          (sums over the rows, (C,))
    dγ and dβ are returned whether γ and β were given or not (the caller drops them).

The caller (``minigrad.ops.norm.layer_norm``) collapses the normalised trailing axes to C
and the leading ones to R.  Forward writes y and two numbers per row, nothing of x's size
besides y: backward reads x again instead of a saved x̂.
"""
import numba
import numpy as np

from ._arrays import compiled_floats, flat
from .memory import empty


def layer_norm_forward_numpy(x, gamma, beta, eps):
    """Reference: whole-array mean, var and products (any array module: it uses x's
    methods; also the CuPy implementation)."""
    mean = x.mean(axis=-1, keepdims=True)
    var = x.var(axis=-1, keepdims=True)
    invstd = (1 / (var + eps) ** 0.5).astype(x.dtype, copy=False)
    y = (x - mean) * invstd
    if gamma is not None:
        y = y * gamma
    if beta is not None:
        y = y + beta
    return y, mean[:, 0], invstd[:, 0]


def layer_norm_backward_numpy(dy, x, mean, invstd, gamma):
    """Reference: the formulas in whole-array operations (any array module)."""
    mean, invstd = mean[:, None], invstd[:, None]
    xhat = (x - mean) * invstd
    dxhat = dy if gamma is None else dy * gamma
    c = x.shape[-1]
    dx = invstd / c * (c * dxhat - dxhat.sum(axis=-1, keepdims=True)
                       - xhat * (dxhat * xhat).sum(axis=-1, keepdims=True))
    return dx, (dy * xhat).sum(axis=0), dy.sum(axis=0)


# ---------------------------------------------------------------------------------------
# Numba: one row at a time (a GPT's row of 128–1024 values stays in L1 between its
# passes), single-threaded (see minigrad_kernels.DEFAULTS), over flat C-contiguous arrays.
# Sums in float64; x̂ from the mean and invstd *as stored* (x's dtype), so that backward
# recomputes exactly forward's x̂.  reassoc lets the row sums vectorise; no nnan/ninf.
# error_model="numpy": no zero-divisor test (it would keep the loops scalar).

_FAST = {"nsz", "arcp", "contract", "reassoc"}


@numba.njit(cache=True, fastmath=_FAST, error_model="numpy")
def _forward_loop(x, gamma, beta, has_gamma, has_beta, eps, rows, cols, y, mean, invstd):
    for r in range(rows):
        o = r * cols
        total = 0.0
        for c in range(cols):
            total += x[o + c]
        mean[r] = total / cols                  # rounded to x's dtype by the store
        mu = mean[r]
        m = np.float64(mu)
        squares = 0.0
        for c in range(cols):
            d = x[o + c] - m
            squares += d * d
        invstd[r] = 1.0 / np.sqrt(squares / cols + eps)
        s = invstd[r]
        for c in range(cols):
            v = (x[o + c] - mu) * s
            if has_gamma:
                v = v * gamma[c]
            if has_beta:
                v = v + beta[c]
            y[o + c] = v


@numba.njit(cache=True, fastmath=_FAST, error_model="numpy")
def _backward_loop(dy, x, mean, invstd, gamma, has_gamma, rows, cols, dx, dgamma, dbeta):
    for r in range(rows):
        o = r * cols
        mu, s = mean[r], invstd[r]
        sum_g = 0.0
        sum_gx = 0.0
        for c in range(cols):
            d = dy[o + c]
            xh = (x[o + c] - mu) * s
            g = d * gamma[c] if has_gamma else d
            sum_g += g
            sum_gx += g * xh
            dgamma[c] += d * xh
            dbeta[c] += d
        mean_g = sum_g / cols
        mean_gx = sum_gx / cols
        for c in range(cols):
            xh = (x[o + c] - mu) * s
            g = dy[o + c] * gamma[c] if has_gamma else dy[o + c]
            dx[o + c] = s * (g - mean_g - xh * mean_gx)


def _flat(a, like):
    """a flat and C-contiguous, or a 1-element stand-in for an absent γ or β."""
    return np.ones(1, like.dtype) if a is None else flat(a)


def layer_norm_forward_numba(x, gamma, beta, eps):
    """One compiled pass per row (float32/float64 NumPy arrays of one dtype; the reference
    otherwise, and for an empty x)."""
    if x.size == 0 or not compiled_floats(x, gamma, beta):
        return layer_norm_forward_numpy(x, gamma, beta, eps)
    rows, cols = x.shape
    y = empty(x.shape, x.dtype)
    mean, invstd = np.empty(rows, x.dtype), np.empty(rows, x.dtype)
    _forward_loop(_flat(x, x), _flat(gamma, x), _flat(beta, x), gamma is not None,
                  beta is not None, float(eps), rows, cols, y.reshape(-1), mean, invstd)
    return y, mean, invstd


def layer_norm_backward_numba(dy, x, mean, invstd, gamma):
    """One compiled pass per row, dγ and dβ accumulated in float64 (float32/float64 NumPy
    arrays of one dtype; the reference otherwise, and for an empty x)."""
    if x.size == 0 or not compiled_floats(dy, x, mean, invstd, gamma):
        return layer_norm_backward_numpy(dy, x, mean, invstd, gamma)
    rows, cols = x.shape
    dx = empty(x.shape, x.dtype)
    dgamma, dbeta = np.zeros(cols), np.zeros(cols)
    _backward_loop(_flat(dy, x), _flat(x, x), _flat(mean, x), _flat(invstd, x), _flat(gamma, x),
                   gamma is not None, rows, cols, dx.reshape(-1), dgamma, dbeta)
    return dx, dgamma.astype(x.dtype), dbeta.astype(x.dtype)
