"""Helpers for training loops: gradient clipping, flattening parameters, L1 regularisation."""
import math
import numbers

import numpy as np

from ... import dtypes
from ... import functional as F
from ...grad_mode import no_grad
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters", "l1_penalty"]


def _as_list(parameters, op):
    if isinstance(parameters, Tensor):
        return [parameters]
    try:
        params = list(parameters)
    except TypeError:
        raise TypeError(f"{op}: expected a Tensor or an iterable of Tensors, got "
                        f"{type(parameters).__name__}") from None
    for i, p in enumerate(params):
        if not isinstance(p, Tensor):
            raise TypeError(f"{op}: element {i} is a {type(p).__name__}, expected a Tensor")
    return params


def _non_negative(op, name, value):
    """``value`` as a float ≥ 0 (inf allowed: no limit), or the error naming it."""
    if isinstance(value, Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {name} must be a real number, got {value!r} "
                        f"({type(value).__name__})")
    value = float(value)
    if not value >= 0:        # NaN fails too
        raise ValueError(f"{op}: {name} must be ≥ 0, got {value!r}")
    return value


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scale the gradients IN PLACE so that their total norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of all gradients taken together (as if
    concatenated into one vector; ``float("inf")`` for the largest |g|).  If it exceeds
    max_norm, every gradient is multiplied by max_norm / (total + 1e-6) (PyTorch's rule).

    Args:
        parameters: a Tensor or an iterable of Tensors (``model.parameters()``); those
            without a ``.grad`` are skipped.
        max_norm: the largest total norm allowed.
        norm_type: p > 0 (or inf).
        error_if_nonfinite: raise if the total norm is nan or ±inf (else leave the
            gradients alone when it is nan).

    Returns:
        The total norm before clipping, a 0-d Tensor (the gradients' dtype and device).
    """
    params = _as_list(parameters, "clip_grad_norm_")
    max_norm = _non_negative("clip_grad_norm_", "max_norm", max_norm)
    norm_type = _non_negative("clip_grad_norm_", "norm_type", norm_type)
    if not norm_type > 0:
        raise ValueError(f"clip_grad_norm_: norm_type must be > 0 (or inf), got {norm_type}")
    grads = [p.grad for p in params if p.grad is not None]
    if not grads:
        return Tensor._wrap(np.zeros((), dtype=dtypes.default_float))
    inf = norm_type == math.inf
    parts = []       # per gradient: max |g| (inf-norm) or Σ|g|^p, in float64 on its device
    for g in grads:
        if norm_type == 2.0:       # Σg² as a dot product: one pass after the cast, not four
            a = g._data.astype(dtypes.float64, copy=False).reshape(-1)
            parts.append(float(g.xp.dot(a, a)))
            continue
        a = g.xp.abs(g._data.astype(dtypes.float64, copy=False))
        parts.append(0.0 if a.size == 0 else float(a.max() if inf else (a ** norm_type).sum()))
    if any(math.isnan(x) for x in parts):
        total = math.nan
    else:
        total = max(parts) if inf else sum(parts) ** (1 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(f"The total norm of order {norm_type} for gradients from "
                           f"`parameters` is non-finite ({total}), so it cannot be clipped. "
                           f"To disable this error and scale the gradients by the "
                           f"non-finite norm anyway, set `error_if_nonfinite=False`")
    coef = max_norm / (total + 1e-6)
    if coef < 1:
        for g in grads:
            g *= g.dtype.type(coef)
    first = grads[0]
    return Tensor._wrap(first.xp.asarray(total, dtype=first.dtype))


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient IN PLACE to [−clip_value, clip_value]."""
    params = _as_list(parameters, "clip_grad_value_")
    clip_value = _non_negative("clip_grad_value_", "clip_value", clip_value)
    for p in params:
        if p.grad is not None:
            p.grad.xp.clip(p.grad._data, -clip_value, clip_value, out=p.grad._data)


def parameters_to_vector(parameters):
    """All parameters flattened and joined into one 1-d Tensor (differentiable)."""
    params = _as_list(parameters, "parameters_to_vector")
    if not params:
        raise ValueError("parameters_to_vector: got no parameters")
    return F.cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-d ``vec`` into the parameters, IN PLACE (the
    inverse of :func:`parameters_to_vector`; the Parameter objects and arrays stay)."""
    params = _as_list(parameters, "vector_to_parameters")
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, got {type(vec).__name__}")
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.shape[0] != total:
        raise ValueError(f"vector_to_parameters: vec has shape {vec.shape}, the parameters "
                         f"hold {total} elements: expected ({total},)")
    start = 0
    with no_grad():
        for p in params:
            n = p.numel()
            p.copy_(vec._data[start:start + n].reshape(p.shape).astype(p.dtype, copy=False))
            start += n


def l1_penalty(parameters):
    """Σ |θ| over every element of the parameters: a differentiable 0-d Tensor.

    L1 regularisation: add ``lam * l1_penalty(model.parameters())`` to the loss; its
    gradient lam·sign(θ) pushes weights towards exactly 0 (sparse weights).  (For L2 use
    the optimizer's ``weight_decay``.)
    """
    params = _as_list(parameters, "l1_penalty")
    if not params:
        return Tensor._wrap(np.zeros((), dtype=dtypes.default_float))
    total = params[0].abs().sum()
    for p in params[1:]:
        total = total + p.abs().sum()
    return total


from . import prune  # noqa: E402,F401  (torch.nn.utils.prune)
