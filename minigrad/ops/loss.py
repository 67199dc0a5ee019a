"""Losses.  Each takes ``reduction="mean" | "sum" | "none"`` (PyTorch's meaning).

Cross-entropy is one fused Function on logits (the ``softmax_xent.*`` kernels): stable for
logits of ±1e4 and with the simple gradient softmax − target.
"""
from .. import dtypes
from .._check import check_real
from ..function import Function
from ..tensor import Tensor
from .elementwise import abs as _abs
from .reduction import mean as _mean
from .reduction import sum as _sum

__all__ = ["cross_entropy", "nll_loss", "mse_loss", "l1_loss", "binary_cross_entropy",
           "binary_cross_entropy_with_logits", "smooth_l1_loss", "huber_loss"]

_REDUCTIONS = ("mean", "sum", "none")


def _reduce(loss, reduction):
    if reduction == "mean":
        return _mean(loss)
    if reduction == "sum":
        return _sum(loss)
    return loss


def _check_reduction(op, reduction):
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be one of {_REDUCTIONS}, got {reduction!r}")


class SoftmaxCrossEntropy(Function):
    """Per-sample cross-entropy of softmax(z) against a target distribution t (or index).

    forward:   loss[n] = logsumexp(z[n]) − Σ_k t[n, k] · z[n, k]     (= −Σ_k t log softmax(z))
    backward:  dz[n, k] = dloss[n] · (softmax(z)[n, k] · Σ_j t[n, j] − t[n, k])
               dt[n, k] = −dloss[n] · log softmax(z)[n, k]   (probability targets that
               require grad, e.g. a learned teacher; class indices get none)
    """

    def forward(self, logits, target):
        loss, probs = self.kernel("softmax_xent.forward")(logits, target)
        # the logits are kept only when the target needs a gradient (for log softmax)
        self.save_for_backward(probs, target, logits if self.needs_input_grad[1] else None)
        return loss

    def backward(self, dloss):
        probs, target, logits = self.saved
        dz = self.kernel("softmax_xent.backward")(probs, target, dloss) \
            if self.needs_input_grad[0] else None
        dt = None
        if self.needs_input_grad[1]:
            xp = self.xp
            shifted = logits - logits.max(axis=1, keepdims=True)
            log_p = shifted - xp.log(xp.exp(shifted).sum(axis=1, keepdims=True))
            dt = -dloss[:, None] * log_p
        return dz, dt


def _class_targets(op, logits, target, k):
    """Validate ``target`` for (N, K) logits: (N,) integer indices or (N, K) probabilities."""
    if not isinstance(target, Tensor):
        target = Tensor(target)
    if target.device != logits.device:
        raise RuntimeError(f"{op}: logits on {logits.device}, target on {target.device}")
    n = logits.shape[0]
    if target.dtype.kind in "iu":
        if target.shape != (n,):
            raise ValueError(f"{op}: class-index target must have shape ({n},) for logits "
                             f"{logits.shape}, got {target.shape}")
        if n and (int(target._data.min()) < 0 or int(target._data.max()) >= k):
            bad = int(target._data.min()) if int(target._data.min()) < 0 else \
                int(target._data.max())
            raise ValueError(f"{op}: target class {bad} is out of range for {k} classes "
                             f"(expected 0 ≤ target < {k})")
        return target
    if dtypes.is_floating(target.dtype):
        if target.shape != logits.shape:
            raise ValueError(f"{op}: a probability target must have the logits' shape "
                             f"{logits.shape}, got {target.shape}; class indices must be "
                             f"an integer tensor (got dtype {target.dtype})")
        return target
    raise TypeError(f"{op}: target must hold integer class indices or float probabilities, "
                    f"got dtype {target.dtype}")


def cross_entropy(logits, target, reduction="mean", label_smoothing=0.0):
    """Cross-entropy between softmax(logits) and ``target``, computed from logits.

    logits (N, K) (or (K,) for one sample); target: class indices (N,) int, or class
    probabilities (N, K) float (one-hot included).  ``label_smoothing`` ε mixes the target
    with the uniform distribution: t' = (1 − ε)·t + ε/K.
    """
    _check_reduction("cross_entropy", reduction)
    if not isinstance(logits, Tensor) or not dtypes.is_floating(logits.dtype):
        raise TypeError("cross_entropy: logits must be a floating-point Tensor")
    if logits.ndim == 1:   # one sample: a batch of one
        target = target if isinstance(target, Tensor) else Tensor(target)
        target = target.reshape(1) if target.dtype.kind in "iu" else target.reshape(1, -1)
        loss = cross_entropy(logits.reshape(1, -1), target, "none", label_smoothing)
        return loss.reshape(()) if reduction == "none" else _reduce(loss, reduction)
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: logits must be (N, K) or (K,), got {logits.shape}")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"cross_entropy: label_smoothing must be in [0, 1], got "
                         f"{label_smoothing}")
    k = logits.shape[1]
    target = _class_targets("cross_entropy", logits, target, k)
    if target.dtype.kind in "iu":
        if label_smoothing:   # smoothed indices become a (constant) distribution
            target = Tensor._wrap(logits.xp.eye(k, dtype=logits.dtype)[target._data])
    else:
        target = target.to(logits.dtype)            # differentiable, a no-op if equal
    if label_smoothing:
        target = target * (1 - label_smoothing) + label_smoothing / k
    # The target tensor itself goes in (not a fresh wrapper around its array), so an
    # in-place change to it before backward is caught by the version check.
    loss = SoftmaxCrossEntropy.apply(logits, target)
    return _reduce(loss, reduction)


def nll_loss(log_probs, target, reduction="mean"):
    """Negative log-likelihood: −log_probs[n, target[n]] (log_probs from log_softmax).

    Backward: d log_probs[n, k] = −dy[n] at k = target[n], 0 elsewhere (through indexing).
    """
    _check_reduction("nll_loss", reduction)
    if log_probs.ndim != 2:
        raise ValueError(f"nll_loss: log_probs must be (N, K), got {log_probs.shape}")
    target = _class_targets("nll_loss", log_probs, target, log_probs.shape[1])
    if target.dtype.kind not in "iu":
        raise TypeError(f"nll_loss: target must be integer class indices, got dtype "
                        f"{target.dtype}")
    index = log_probs.xp.arange(log_probs.shape[0])
    return _reduce(-log_probs[Tensor._wrap(index), target], reduction)


def _check_same_shape(op, a, b):
    if not isinstance(b, Tensor):
        b = Tensor(b, dtype=a.dtype)
    if b.device != a.device:
        raise RuntimeError(f"{op}: input on {a.device}, target on {b.device}")
    if a.shape != b.shape:
        raise ValueError(f"{op}: input {a.shape} and target {b.shape} must have the same "
                         f"shape (broadcasting a loss is almost always a bug)")
    if not dtypes.is_floating(b.dtype):
        b = b.to(a.dtype)
    return b


def mse_loss(input, target, reduction="mean"):
    """(input − target)², reduced.   d input = 2 (input − target) · dy (through the ops)."""
    _check_reduction("mse_loss", reduction)
    target = _check_same_shape("mse_loss", input, target)
    diff = input - target
    return _reduce(diff * diff, reduction)


def l1_loss(input, target, reduction="mean"):
    """|input − target|, reduced.   d input = sign(input − target) · dy."""
    _check_reduction("l1_loss", reduction)
    target = _check_same_shape("l1_loss", input, target)
    return _reduce(_abs(input - target), reduction)


class BinaryCrossEntropy(Function):
    """Binary cross-entropy of probabilities p against targets t, per element.

    forward:   loss = −(t·log p + (1 − t)·log(1 − p)), each log clamped at −100 (as PyTorch)
    backward:  dp = dy · (p − t) / max(p·(1 − p), 1e-12),   dt = dy · (log(1 − p) − log p)
    """

    def forward(self, p, t):
        xp = self.xp
        log_p = xp.maximum(xp.log(p), -100)
        log_1p = xp.maximum(xp.log1p(-p), -100)
        self.save_for_backward(p, t, log_p, log_1p)
        return -(t * log_p + (1 - t) * log_1p)

    def backward(self, dy):
        p, t, log_p, log_1p = self.saved
        dp = dy * (p - t) / self.xp.maximum(p * (1 - p), 1e-12) \
            if self.needs_input_grad[0] else None
        dt = dy * (log_1p - log_p) if self.needs_input_grad[1] else None
        return dp, dt


class BCEWithLogits(Function):
    """Binary cross-entropy of sigmoid(z) against targets t, computed without overflow.

    forward:   loss = max(z, 0) − z·t + log(1 + e^(−|z|))
    backward:  dz = dy · (σ(z) − t),   dt = −dy · z
    """

    def forward(self, z, t):
        xp = self.xp
        self.save_for_backward(z, t)
        return xp.maximum(z, 0) - z * t + xp.log1p(xp.exp(-xp.abs(z)))

    def backward(self, dy):
        z, t = self.saved
        xp = self.xp
        e = xp.exp(-xp.abs(z))
        sig = xp.where(z >= 0, 1 / (1 + e), e / (1 + e))
        dz = dy * (sig - t) if self.needs_input_grad[0] else None
        dt = -dy * z if self.needs_input_grad[1] else None
        return dz, dt


def binary_cross_entropy(input, target, reduction="mean"):
    """BCE of probabilities ``input`` ∈ [0, 1] against targets ∈ [0, 1] (same shape)."""
    _check_reduction("binary_cross_entropy", reduction)
    target = _check_same_shape("binary_cross_entropy", input, target)
    data = input._data
    if data.size and (float(data.min()) < 0 or float(data.max()) > 1):
        raise ValueError(f"binary_cross_entropy: input must be probabilities in [0, 1], got "
                         f"values in [{float(data.min()):.4g}, {float(data.max()):.4g}]; for "
                         f"logits use binary_cross_entropy_with_logits")
    _check_probabilities("binary_cross_entropy", target)
    return _reduce(BinaryCrossEntropy.apply(input, target), reduction)


def _check_probabilities(op, target):
    """Targets are probabilities: a 2 (or a NaN) would give a number, silently wrong."""
    data = target._data
    if data.size and not (float(data.min()) >= 0 and float(data.max()) <= 1):
        raise ValueError(f"{op}: target must be probabilities in [0, 1], got values in "
                         f"[{float(data.min()):.4g}, {float(data.max()):.4g}]")


def binary_cross_entropy_with_logits(input, target, reduction="mean"):
    """BCE of sigmoid(input) against ``target`` (same shape), computed stably from logits."""
    _check_reduction("binary_cross_entropy_with_logits", reduction)
    target = _check_same_shape("binary_cross_entropy_with_logits", input, target)
    _check_probabilities("binary_cross_entropy_with_logits", target)
    return _reduce(BCEWithLogits.apply(input, target), reduction)


class SmoothL1(Function):
    """Smooth L1 loss of input a against target t, per element (d = a − t, β > 0): quadratic
    near 0, linear beyond β; its gradient is continuous.

    forward:   loss = ½·d²/β   if |d| < β,   loss = |d| − ½·β   otherwise
    backward:  da = dy · d/β   if |d| < β,   da = dy · sign(d)  otherwise;   dt = −da
    """

    def forward(self, a, t, beta=1.0):
        xp = self.xp
        d = a - t
        self.save_for_backward(d)
        self.beta = beta
        ad = xp.abs(d)
        b = d.dtype.type(beta)
        return xp.where(ad < b, 0.5 * d * d / b, ad - 0.5 * b)

    def backward(self, dy):
        (d,) = self.saved
        xp = self.xp
        b = d.dtype.type(self.beta)
        da = dy * xp.where(xp.abs(d) < b, d / b, xp.sign(d))
        return (da if self.needs_input_grad[0] else None,
                -da if self.needs_input_grad[1] else None)


class Huber(Function):
    """Huber loss of input a against target t, per element (d = a − t, δ > 0): quadratic
    near 0, linear beyond δ (= δ · smooth L1 with β = δ).

    forward:   loss = ½·d²           if |d| < δ,   loss = δ·(|d| − ½·δ)   otherwise
    backward:  da = dy · d           if |d| < δ,   da = dy · δ·sign(d)    otherwise;  dt = −da
    """

    def forward(self, a, t, delta=1.0):
        xp = self.xp
        d = a - t
        self.save_for_backward(d)
        self.delta = delta
        ad = xp.abs(d)
        dl = d.dtype.type(delta)
        return xp.where(ad < dl, 0.5 * d * d, dl * (ad - 0.5 * dl))

    def backward(self, dy):
        (d,) = self.saved
        xp = self.xp
        dl = d.dtype.type(self.delta)
        da = dy * xp.where(xp.abs(d) < dl, d, dl * xp.sign(d))
        return (da if self.needs_input_grad[0] else None,
                -da if self.needs_input_grad[1] else None)


def _loss_input(op, input):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if not dtypes.is_floating(input.dtype):
        raise TypeError(f"{op}: input must be floating point, got dtype {input.dtype} "
                        f"(convert with .float())")


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """Smooth L1 loss: ½(input − target)²/β where |input − target| < β, |input − target| − ½β
    elsewhere, reduced; β = 0 gives the L1 loss (as PyTorch).  Same shapes."""
    _check_reduction("smooth_l1_loss", reduction)
    beta = check_real("smooth_l1_loss", "beta", beta, low=0.0)
    _loss_input("smooth_l1_loss", input)
    target = _check_same_shape("smooth_l1_loss", input, target)
    if beta == 0:
        return l1_loss(input, target, reduction)
    return _reduce(SmoothL1.apply(input, target.to(input.dtype), beta=beta), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Huber loss: ½(input − target)² where |input − target| < δ, δ(|input − target| − ½δ)
    elsewhere, reduced (δ > 0).  Same shapes.  ``weight`` exists for PyTorch's argument
    order; only None works."""
    _check_reduction("huber_loss", reduction)
    delta = check_real("huber_loss", "delta", delta, low=0.0, low_open=True)
    if weight is not None:
        raise NotImplementedError("huber_loss: weight is not supported (only None)")
    _loss_input("huber_loss", input)
    target = _check_same_shape("huber_loss", input, target)
    return _reduce(Huber.apply(input, target.to(input.dtype), delta=delta), reduction)
