"""Fused softmax + cross-entropy on logits, per sample.

Contract (every implementation):

    softmax_xent(logits, target) -> (loss, probs)
    softmax_xent_backward(probs, target, dloss) -> dlogits

    logits (N, K) float; target either class indices (N,) int in [0, K) or class
    probabilities (N, K) float (one-hot included).
    probs = softmax(logits) row-wise, computed as e^(z − max z) / Σ e^(z − max z)
    loss[n] = −Σ_k t[n, k] · log probs[n, k]
            = logsumexp(z[n]) − Σ_k t[n, k] · z[n, k]       (for Σ_k t = 1)
    dlogits[n, k] = dloss[n] · (probs[n, k] · Σ_j t[n, j] − t[n, k])

log-probabilities are formed as z − max − log Σ e^(z − max), never as log(probs): finite for
logits of ±1e4 in float32.  The indices are validated by the caller.
"""
from ._arrays import arange, array_module


def softmax_xent_numpy(logits, target):
    """Reference: one max-shifted pass; the loss from the shifted logits (any array module:
    it uses the logits'; also the CuPy implementation)."""
    xp = array_module(logits)
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = xp.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    probs = exp / total
    log_total = xp.log(total)[:, 0]                                    # (N,)
    if target.ndim == 1:
        loss = log_total - shifted[arange(logits, len(target)), target]
    else:
        # −Σ t·(shifted − log_total); Σ t need not be 1 (e.g. label smoothing applied already)
        loss = log_total * target.sum(axis=1) - (target * shifted).sum(axis=1)
    return loss.astype(logits.dtype, copy=False), probs


def softmax_xent_backward_numpy(probs, target, dloss):
    """Reference: probs·Σt − t, scaled by each sample's dloss (any array module)."""
    if target.ndim == 1:
        grad = probs.copy()
        grad[arange(probs, len(target)), target] -= 1
    else:
        grad = probs * target.sum(axis=1, keepdims=True) - target
    return grad * dloss[:, None]
