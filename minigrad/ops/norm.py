"""Normalisation: batch norm (per channel, over the batch and spatial axes) and layer norm
(per sample, over the trailing axes).

Both are the formulas below, in one Function, Normalize, for any statistics axes.
``layer_norm`` runs its case (the trailing axes seen as one) as its own Function, LayerNorm,
whose two passes are the ``layer_norm`` kernels: one pass per row instead of about ten
whole-array operations.  With x̂ = (x − μ)·s, s = 1/√(σ² + ε), statistics over M elements,
y = γ·x̂ + β and dx̂ = dy·γ:

    dx = s/M · (M·dx̂ − Σ dx̂ − x̂·Σ(dx̂·x̂))      (batch statistics: μ, σ² depend on x)
    dx = s · dx̂                                    (fixed statistics: batch norm in eval)
    dγ = Σ dy·x̂,   dβ = Σ dy                      (the engine sums over γ's broadcast axes)

Synchronised batch norm (``nn.SyncBatchNorm``, data-parallel training) is the same Function
with the batch spread over processes: its sums — Σx and the count, then Σ(x − μ)², and in
backward Σ dx̂ and Σ dx̂·x̂ — are summed over every rank by an ``all_reduce_sum`` callable, so
μ, σ² and M are those of the global batch; dγ and dβ stay per rank (data-parallel training
averages parameter gradients).
"""
import math

from .._check import check_shape
from .. import dtypes
from ..function import Function
from ..grad_mode import no_grad
from ..tensor import Tensor
from ._util import check_params

__all__ = ["batch_norm", "layer_norm"]


class Normalize(Function):
    """Batch or layer normalisation (γ, β optional, already broadcastable against x);
    μ, σ² (biased) over ``stat_axes`` of this batch, or the fixed ``stats`` given.

    forward:   y = γ·x̂ + β,  x̂ = (x − μ)·s,  s = 1/√(σ² + ε)
    backward:  dx̂ = dy·γ;  dx = s/M · (M·dx̂ − Σ dx̂ − x̂·Σ(dx̂·x̂))  (batch statistics, M
               elements each),  dx = s · dx̂  (fixed statistics);  dγ = Σ dy·x̂,  dβ = Σ dy
    With ``all_reduce_sum`` (an in-place sum of an array over every rank) the batch
    statistics' sums, M included, are over every rank's batch.
    """

    def forward(self, x, *affine, stat_axes=(), eps=1e-5, stats=None, all_reduce_sum=None):
        self.all_reduce_sum, self.count = all_reduce_sum, None
        if stats is not None:
            mean, var = stats
        elif all_reduce_sum is None:
            mean = x.mean(axis=stat_axes, keepdims=True)
            var = x.var(axis=stat_axes, keepdims=True)
        else:                      # two passes, as var() does: Σx and M, then Σ(x − μ)²
            # in x's precision, as mean() and var() sum, but at least float32: the count
            # must stay exact (float16 stops at 65 504)
            acc = self.xp.promote_types(x.dtype, self.xp.float32)
            total = x.sum(axis=stat_axes, keepdims=True, dtype=acc)
            sums = self.xp.append(total.ravel(), x.size // total.size).astype(acc)
            all_reduce_sum(sums)
            self.count = float(sums[-1])
            mean = (sums[:-1] / sums[-1]).reshape(total.shape).astype(x.dtype)
            squares = ((x - mean) ** 2).sum(axis=stat_axes, keepdims=True, dtype=acc)
            all_reduce_sum(squares)
            var = (squares / self.count).astype(x.dtype)
        invstd = (1 / self.xp.sqrt(var + eps)).astype(x.dtype, copy=False)
        xhat = (x - mean) * invstd
        self.stat_axes, self.batch_stats = stat_axes, stats is None
        self.batch_mean, self.batch_var = mean, var       # for batch_norm's running update
        gamma = affine[0] if affine else None
        self.save_for_backward(xhat, invstd, gamma)
        y = xhat if gamma is None else xhat * gamma
        return y if len(affine) < 2 else y + affine[1]

    def backward(self, dy):
        xhat, invstd, gamma = self.saved
        axes = self.stat_axes
        dxhat = dy if gamma is None else dy * gamma
        if self.batch_stats:
            m = xhat.size // invstd.size
            sum_dxhat = dxhat.sum(axis=axes, keepdims=True)
            sum_dxhat_xhat = (dxhat * xhat).sum(axis=axes, keepdims=True)
            if self.all_reduce_sum is not None:        # the global batch's sums and M
                sums = self.xp.concatenate([sum_dxhat.ravel(), sum_dxhat_xhat.ravel()])
                self.all_reduce_sum(sums)
                c = sum_dxhat.size
                sum_dxhat = sums[:c].reshape(sum_dxhat.shape)
                sum_dxhat_xhat = sums[c:].reshape(sum_dxhat.shape)
                m = self.count
            dx = invstd / m * (m * dxhat - sum_dxhat - xhat * sum_dxhat_xhat)
        else:
            dx = dxhat * invstd
        if gamma is None:
            return dx
        dgamma = dy * xhat if self.needs_input_grad[1] else None
        if len(self.needs_input_grad) == 2:
            return dx, dgamma
        return dx, dgamma, (dy if self.needs_input_grad[2] else None)


class LayerNorm(Function):
    """Normalize's case that layer norm is: batch statistics over the trailing axes, which
    are seen as one (x as rows (R, C), C = the normalised shape's size), γ and β of that
    shape.  Both passes are the ``layer_norm.forward``/``layer_norm.backward`` kernels
    (minigrad_kernels.layer_norm), which keep x, μ and s instead of x̂.

    forward:   y = γ·x̂ + β,  x̂ = (x − μ)·s,  s = 1/√(σ² + ε)  (μ, σ² of each row)
    backward:  dx̂ = dy·γ;  dx = s/C · (C·dx̂ − Σ dx̂ − x̂·Σ(dx̂·x̂)) (sums along the row);
               dγ = Σ dy·x̂,  dβ = Σ dy  (sums over the rows)
    """

    def forward(self, x, *affine, size, eps=1e-5):
        self.x_shape = x.shape
        self.affine_shape = affine[0].shape if affine else None
        gamma, beta = (tuple(p.reshape(-1) for p in affine) + (None, None))[:2]
        rows = x.reshape(-1, size)
        y, mean, invstd = self.kernel("layer_norm.forward")(rows, gamma, beta, eps)
        self.save_for_backward(rows, mean, invstd, gamma)
        return y.reshape(x.shape)

    def backward(self, dy):
        rows, mean, invstd, gamma = self.saved
        dx, dgamma, dbeta = self.kernel("layer_norm.backward")(dy.reshape(rows.shape), rows,
                                                               mean, invstd, gamma)
        grads = (dx.reshape(self.x_shape), dgamma.reshape(self.affine_shape or dgamma.shape),
                 dbeta.reshape(self.affine_shape or dbeta.shape))
        needed = self.needs_input_grad
        return tuple(g if i == 0 or needed[i] else None
                     for i, g in enumerate(grads[:len(needed)]))


def _check_param(op, name, p, size, x):
    if p is None:
        return
    if not isinstance(p, Tensor) or not dtypes.is_floating(p.dtype):
        got = type(p).__name__ if not isinstance(p, Tensor) else f"dtype {p.dtype}"
        raise TypeError(f"{op}: {name} must be a floating-point Tensor, got {got}")
    if p.shape != size:
        raise ValueError(f"{op}: {name} has shape {p.shape}, expected {size}")
    # running statistics are cast to the input's dtype; the affine parameters must match it
    check_params(op, x, check_dtype=name in ("weight", "bias"), **{name: p})


def _check_input(op, x):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(x).__name__}")
    if not dtypes.is_floating(x.dtype):
        raise TypeError(f"{op}: input must be floating point, got dtype {x.dtype} (convert "
                        f"with .float())")


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation of x (N, C), (N, C, L) or (N, C, H, W) per channel C.

    training: normalise with this batch's mean and (biased) variance and, if running stats
    are given, update them in place: r ← (1 − momentum)·r + momentum·batch statistic (the
    variance stored unbiased, ·M/(M − 1)) — PyTorch's convention.  Otherwise normalise
    with the running statistics.
    """
    return _batch_norm("batch_norm", x, running_mean, running_var, weight, bias, training,
                       momentum, eps)


def sync_batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps,
                    all_reduce_sum):
    """:func:`batch_norm` whose training statistics are those of the batch of every rank
    together: ``all_reduce_sum(array)`` sums an array over the ranks in place (what
    ``nn.SyncBatchNorm`` passes; the running statistics' M is the global one too)."""
    return _batch_norm("SyncBatchNorm", x, running_mean, running_var, weight, bias, training,
                       momentum, eps, all_reduce_sum)


def _batch_norm(op, x, running_mean, running_var, weight, bias, training, momentum, eps,
                all_reduce_sum=None):
    _check_input(op, x)
    if x.ndim not in (2, 3, 4):
        raise ValueError(f"{op}: expected input (N, C), (N, C, L) or (N, C, H, W), got "
                         f"{x.shape}")
    c = x.shape[1]
    for name, p in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        _check_param(op, name, p, (c,), x)
    stat_axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, c) + (1,) * (x.ndim - 2)
    use_batch = training or running_mean is None or running_var is None
    m = x._data.size // c
    if use_batch and m <= 1:
        raise ValueError(f"{op}: expected more than 1 value per channel when training, got "
                         f"input {x.shape}")
    stats = None if use_batch else (running_mean._data.reshape(shape).astype(x.dtype),
                                    running_var._data.reshape(shape).astype(x.dtype))
    if weight is None and bias is not None:   # γ = 1, a constant
        weight = Tensor._wrap(x.xp.ones(c, dtype=x.dtype))
    affine = [p.reshape(shape) for p in (weight, bias) if p is not None]
    reduce = all_reduce_sum if use_batch else None
    y = Normalize.apply(x, *affine, stat_axes=stat_axes, eps=eps, stats=stats,
                        all_reduce_sum=reduce)
    if training and running_mean is not None and running_var is not None:
        fn = y.grad_fn
        if fn is None and reduce is None:   # not recorded (no_grad): the statistics again
            mean, var = x._data.mean(axis=stat_axes), x._data.var(axis=stat_axes)
        else:
            if fn is None:                  # the same collectives as the forward's
                fn = Normalize(x.xp, x.device, (False,))
                fn.forward(x._data, stat_axes=stat_axes, eps=eps, all_reduce_sum=reduce)
            mean, var = fn.batch_mean.reshape(c), fn.batch_var.reshape(c)
            m = m if fn.count is None else fn.count
        # both new values first, then two writes: nothing can fail half-way through them
        new_mean = (1 - momentum) * running_mean._data + momentum * mean
        new_var = (1 - momentum) * running_var._data + momentum * var * (m / (m - 1))
        with no_grad():
            running_mean.copy_(new_mean)
            running_var.copy_(new_var)
    return y


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Layer normalisation over the trailing axes ``normalized_shape`` of x, per sample."""
    op = "layer_norm"
    _check_input(op, x)
    shape = check_shape(normalized_shape if isinstance(normalized_shape, (tuple, list))
                         else (normalized_shape,), op)
    if x.shape[x.ndim - len(shape):] != shape or len(shape) > x.ndim:
        raise ValueError(f"{op}: input {x.shape} does not end with normalized_shape {shape}")
    _check_param(op, "weight", weight, shape, x)
    _check_param(op, "bias", bias, shape, x)
    if weight is None and bias is not None:   # γ = 1, a constant
        weight = Tensor._wrap(x.xp.ones(shape, dtype=x.dtype))
    affine = [p for p in (weight, bias) if p is not None]
    return LayerNorm.apply(x, *affine, size=math.prod(shape), eps=eps)
