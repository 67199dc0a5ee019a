"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d`` (per channel, over the batch),
``SyncBatchNorm`` (the same over the batches of every data-parallel process) and
``LayerNorm`` (per sample, over the trailing axes).  Formulas: ``minigrad/ops/norm.py``."""
import functools

import numpy as np

from .. import creation, dtypes
from .. import functional as F
from ..grad_mode import no_grad
from ..tensor import Tensor
from . import init
from ._util import empty_parameter, size
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "SyncBatchNorm", "LayerNorm"]


class _BatchNorm(Module):
    """What BatchNorm1d and BatchNorm2d share; subclasses set ``_ranks`` and ``_shapes``."""

    _ranks = ()
    _shapes = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features = size(num_features, "num_features", self._get_name())
        self.eps, self.momentum = eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = empty_parameter((self.num_features,), dtype, device)
            if bias:
                self.bias = empty_parameter((self.num_features,), dtype, device)
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            float_dtype = dtypes.as_dtype(dtype) if dtype is not None else None
            self.register_buffer("running_mean", creation.zeros(
                self.num_features, dtype=float_dtype, device=device or "cpu"))
            self.register_buffer("running_var", creation.ones(
                self.num_features, dtype=float_dtype, device=device or "cpu"))
            self.register_buffer("num_batches_tracked", creation.full(
                (), 0, dtype=dtypes.int64, device=device or "cpu"))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """Running mean 0, running variance 1, no batches tracked."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self):
        """Weight 1, bias 0 and fresh running statistics (PyTorch's initialisation)."""
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def _check_input(self, x):
        if not isinstance(x, Tensor):
            self._fail(f"expected a Tensor, got {type(x).__name__}", TypeError)
        if x.ndim not in self._ranks:
            self._fail(f"expected {self._shapes} input with C = {self.num_features}, got "
                       f"{x.ndim}-d input of shape {x.shape}")
        if x.shape[1] != self.num_features:
            self._fail(f"expected {self.num_features} channels (axis 1), got input of shape "
                       f"{x.shape}")

    def forward(self, x):
        """Normalise per channel: with this batch's statistics when training (updating the
        running ones), with the running statistics in evaluation mode."""
        self._check_input(x)
        factor = 0.0 if self.momentum is None else self.momentum
        counting = self.training and self.track_running_stats
        if counting and self.momentum is None:     # cumulative moving average
            factor = 1.0 / (int(self.num_batches_tracked.item()) + 1)
        use_batch_stats = self.training or self.running_mean is None
        keep_stats = not self.training or self.track_running_stats
        y = self._call(self._batch_norm(), x, self.running_mean if keep_stats else None,
                       self.running_var if keep_stats else None, self.weight, self.bias,
                       training=use_batch_stats, momentum=factor, eps=self.eps)
        if counting:    # after the op: a failed forward changes no state
            with no_grad():
                self.num_batches_tracked += 1
        return y

    def _batch_norm(self):
        """The functional op that normalises (SyncBatchNorm's reduces over the ranks)."""
        return F.batch_norm

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of (N, C) or (N, C, L) inputs, per channel C.

    y = γ·(x − μ)/√(σ² + ε) + β, μ and σ² (biased) over N (and L) while training, the
    running estimates in evaluation mode; running r ← (1 − momentum)·r + momentum·batch
    value (variance unbiased), or a cumulative average when ``momentum=None``.

    Parameters (``affine``): ``weight`` γ (C,) = 1, ``bias`` β (C,) = 0 (unless
    ``bias=False``).  Buffers
    (``track_running_stats``): ``running_mean`` (C,) = 0, ``running_var`` (C,) = 1,
    ``num_batches_tracked`` () int64 = 0.
    """

    _ranks = (2, 3)
    _shapes = "(N, C) or (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of (N, C, H, W) inputs, per channel C (statistics over N, H, W);
    otherwise as :class:`BatchNorm1d`."""

    _ranks = (4,)
    _shapes = "4-d (N, C, H, W)"


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation whose training statistics are those of the global batch: under
    data-parallel training (``minigrad.distributed``, N processes) μ and σ² are taken over
    the samples of every rank together, and so are the sums of the backward, so N ranks of
    B samples train as one process of N·B with :class:`BatchNorm2d`.  (Plain BatchNorm under
    DDP normalises each rank's B samples alone.)  Inputs (N, C), (N, C, L) or (N, C, H, W).

    Per training step: two all_reduces in forward (Σx with the count, then Σ(x − μ)²; 2C + 1
    numbers) and one in backward (Σ dx̂ and Σ dx̂·x̂; 2C numbers).  Every rank must call it
    the same number of times in the same order, as any collective.  In evaluation mode, or
    without an initialised process group of two or more ranks, it is :class:`BatchNorm2d`.
    The running statistics use the global batch, so they stay equal on every rank.

    ``process_group``: only the default group (None) is supported.  Convert a model's
    batch norms with :meth:`convert_sync_batchnorm`.
    """

    _ranks = (2, 3, 4)
    _shapes = "(N, C), (N, C, L) or (N, C, H, W)"

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None):
        if process_group is not None:
            raise ValueError(f"SyncBatchNorm: only the default process group (None) is "
                             f"supported, got process_group={process_group!r}")
        super().__init__(num_features, eps, momentum, affine, track_running_stats,
                         device=device, dtype=dtype)
        self.process_group = None

    def _batch_norm(self):
        from .. import distributed
        from ..ops.norm import sync_batch_norm

        if not (self.training and distributed.is_initialized()
                and distributed.get_world_size() > 1):
            return F.batch_norm
        return functools.partial(sync_batch_norm, all_reduce_sum=distributed.all_reduce)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """``module`` with every BatchNorm1d/BatchNorm2d replaced by a SyncBatchNorm that
        holds the same Parameters and buffers (shared, not copied) and training mode;
        a batch norm given as ``module`` itself is returned converted."""
        if process_group is not None:
            raise ValueError(f"convert_sync_batchnorm: only the default process group (None) "
                             f"is supported, got process_group={process_group!r}")
        if isinstance(module, (BatchNorm1d, BatchNorm2d)):
            sync = cls.__new__(cls)
            Module.__init__(sync)
            for name in ("num_features", "eps", "momentum", "affine", "track_running_stats"):
                setattr(sync, name, getattr(module, name))
            sync.process_group = None
            for name, p in module._parameters.items():
                sync.register_parameter(name, p)
            for name, b in module._buffers.items():
                sync.register_buffer(name, b)
            sync.train(module.training)
            return sync
        for name, child in list(module._modules.items()):
            if child is not None:
                converted = cls.convert_sync_batchnorm(child)
                if converted is not child:
                    setattr(module, name, converted)
        return module


class LayerNorm(Module):
    """Layer normalisation: y = γ·(x − μ)/√(σ² + ε) + β, μ and σ² (biased) over the trailing
    axes ``normalized_shape`` of each sample.

    Args:
        normalized_shape: an int or a shape S; the input is (..., *S).
        eps: added to the variance.
        elementwise_affine: learn ``weight`` γ (S) = 1 and ``bias`` β (S) = 0.
        bias: learn β (when ``elementwise_affine``).
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        if not isinstance(normalized_shape, (tuple, list)):
            raise TypeError(f"LayerNorm: normalized_shape must be an int or a tuple of ints, "
                            f"got {normalized_shape!r:.80} ({type(normalized_shape).__name__})")
        self.normalized_shape = tuple(size(n, "normalized_shape", "LayerNorm", 1)
                                      for n in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        if elementwise_affine:
            self.weight = empty_parameter(self.normalized_shape, dtype, device)
            if bias:
                self.bias = empty_parameter(self.normalized_shape, dtype, device)
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.elementwise_affine:
            init.ones_(self.weight)
            if self.bias is not None:
                init.zeros_(self.bias)

    def forward(self, x):
        """x (..., *normalized_shape) → the same shape."""
        return self._call(F.layer_norm, x, self.normalized_shape, self.weight, self.bias,
                          self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")
