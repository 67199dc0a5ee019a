"""``DistributedDataParallel``: the same model on every rank, gradients averaged in buckets.

How it works (PyTorch's DDP and Horovod's tensor fusion):

* At wrap time rank 0's parameters and buffers are broadcast, so every rank starts equal.
* The parameters that require grad are packed, in reverse registration order (roughly the
  order backward produces their gradients), into buckets of at most ``bucket_cap_mb``
  megabytes each, one flat buffer per bucket (one dtype per bucket).
* During ``backward()`` a hook (``minigrad.function.register_grad_ready_hook``) copies each
  parameter's gradient into its bucket as soon as it is final; when a bucket is full its
  allreduce is started with a non-blocking ``MPI_Iallreduce`` while backward goes on with
  the earlier layers.  Buckets are started in the same order on every rank.
* At the end of backward every bucket is waited for, divided by the world size and copied
  back into ``.grad``: each rank ends with the mean gradient of the global batch, so the
  optimizer steps agree on every rank.
"""
import contextlib

from .. import function
from ..nn.module import Module
from ..tensor import Tensor
from . import process_group as pg

__all__ = ["DistributedDataParallel"]


class _Bucket:
    __slots__ = ("params", "offsets", "buffer", "ready", "request", "index")

    def __init__(self, index, params, dtype):
        self.index, self.params = index, params
        self.offsets, n = [], 0
        for p in params:
            self.offsets.append(n)
            n += p._data.size
        self.buffer = params[0].xp.empty(n, dtype)     # on the parameters' device
        self.ready = set()
        self.request = None


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the default process group.

    Call ``init_process_group`` first; every rank builds the same model, wraps it, and feeds
    it its own shard of each batch (``DistributedSampler``).  Gradients after
    ``loss.backward()`` are the mean over all ranks.

    Args:
        module: the model (a :class:`minigrad.nn.Module`), on the CPU.
        bucket_cap_mb: size of a gradient bucket in megabytes (MiB); larger buckets mean
            fewer, larger messages, smaller ones more overlap with backward.
        broadcast_buffers: broadcast rank 0's buffers (BatchNorm's running statistics) at
            every forward in training mode, as PyTorch does.  The batch statistics used
            in training are still each rank's own (no SyncBatchNorm).
        device_ids, output_device, dim, find_unused_parameters, gradient_as_bucket_view,
        static_graph: accepted for PyTorch compatibility; unused.

    ``ddp.module`` is the wrapped model.  ``ddp.state_dict()`` keys start with ``"module."``
    as PyTorch's do; save ``ddp.module.state_dict()`` to load it into an unwrapped model.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=True, process_group=None, bucket_cap_mb=25,
                 find_unused_parameters=False, gradient_as_bucket_view=False,
                 static_graph=False):
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be a minigrad.nn.Module, "
                            f"got {type(module).__name__}")
        if isinstance(bucket_cap_mb, bool) or not isinstance(bucket_cap_mb, (int, float)) \
                or not bucket_cap_mb > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be a positive "
                             f"number of megabytes, got {bucket_cap_mb!r}")
        group = pg._require("DistributedDataParallel")
        super().__init__()
        self.module = module
        object.__setattr__(self, "_group", group)
        object.__setattr__(self, "broadcast_buffers", bool(broadcast_buffers))
        object.__setattr__(self, "bucket_cap_mb", bucket_cap_mb)
        object.__setattr__(self, "require_backward_grad_sync", True)
        # rank 0's weights everywhere
        for t in list(module.parameters()) + list(module.buffers()):
            pg.broadcast(t._data, 0)
        params = [p for p in module.parameters() if p.requires_grad]
        for p in params:
            if p.device != "cpu" and group.name != "nccl":
                raise ValueError(f"DistributedDataParallel: parameter on {p.device}; the "
                                 f"{group.name!r} backend reduces CPU tensors")
        object.__setattr__(self, "_buckets", self._make_buckets(params, bucket_cap_mb))
        where = {}
        for b in self._buckets:
            for i, p in enumerate(b.params):
                where[id(p)] = (b, i)
        object.__setattr__(self, "_where", where)
        object.__setattr__(self, "_next_launch", 0)
        object.__setattr__(self, "_queued", False)
        # a world of one has nothing to average: no hooks, the model trains as it is
        object.__setattr__(self, "_handles", [] if group.world_size == 1 else [
            function.register_grad_ready_hook(p, self._grad_ready) for p in params])

    @staticmethod
    def _make_buckets(params, cap_mb):
        cap = cap_mb * 1024 * 1024
        buckets, current, size, dtype = [], [], 0, None
        for p in reversed(params):
            nbytes = p._data.nbytes
            if current and (p.dtype != dtype or size + nbytes > cap):
                buckets.append(_Bucket(len(buckets), current, dtype))
                current, size = [], 0
            current.append(p)
            size += nbytes
            dtype = p._data.dtype
        if current:
            buckets.append(_Bucket(len(buckets), current, dtype))
        return buckets

    # -- forward -----------------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        if self._queued:                 # a backward that raised left buckets behind
            self._finish()
        if self.broadcast_buffers and self.training and self._group.world_size > 1:
            for b in self.module.buffers():
                pg.broadcast(b._data, 0)
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Backwards inside this block only accumulate gradients locally; the first backward
        after it averages everything accumulated (gradient accumulation)."""
        old = self.require_backward_grad_sync
        object.__setattr__(self, "require_backward_grad_sync", False)
        try:
            yield
        finally:
            object.__setattr__(self, "require_backward_grad_sync", old)

    # -- backward ----------------------------------------------------------------------------
    def _grad_ready(self, p, dx):
        if not self.require_backward_grad_sync:
            return
        if not self._queued:
            object.__setattr__(self, "_queued", True)
            function.queue_callback(self._finish)
        bucket, i = self._where[id(p)]
        self._fill(bucket, i, dx)
        if len(bucket.ready) == len(bucket.params):
            self._launch_ready()
        elif self._next_launch < len(self._buckets):
            request = self._buckets[self._next_launch - 1].request \
                if self._next_launch else None
            if request is not None:
                request.Test()          # let MPI progress the allreduce in flight

    def _fill(self, bucket, i, dx):
        p, start = bucket.params[i], bucket.offsets[i]
        view = bucket.buffer[start:start + p._data.size]
        if dx is None:
            if p._grad is None:
                view[...] = 0
            else:
                view[...] = p._grad._data.reshape(-1)
        elif p._grad is None:                     # .grad = what earlier backwards left + dx
            view[...] = dx.reshape(-1)
        else:
            p.xp.add(p._grad._data.reshape(-1), dx.reshape(-1), out=view)
        bucket.ready.add(i)

    def _launch_ready(self):
        """Start every full bucket from the next one in order (the same on every rank)."""
        buckets = self._buckets
        while self._next_launch < len(buckets) and \
                len(buckets[self._next_launch].ready) == len(buckets[self._next_launch].params):
            b = buckets[self._next_launch]
            if self._group.world_size > 1 and b.buffer.size:
                b.request = self._group.iallreduce_sum(b.buffer)
            object.__setattr__(self, "_next_launch", self._next_launch + 1)

    def _finish(self):
        """End of backward: complete every bucket, average, write back into ``.grad``."""
        object.__setattr__(self, "_queued", False)
        object.__setattr__(self, "bucket_launches", {
            "during_backward": self._next_launch,
            "after": len(self._buckets) - self._next_launch})
        for b in self._buckets:          # parameters backward did not reach: their .grad
            for i in range(len(b.params)):
                if i not in b.ready:
                    self._fill(b, i, None)
        self._launch_ready()
        world = self._group.world_size
        for b in self._buckets:
            if b.request is not None:
                self._group.wait_request(b.request, "DistributedDataParallel gradient "
                                                    "allreduce")
                b.request = None
            if world > 1:
                b.buffer /= world
            for p, start in zip(b.params, b.offsets):
                flat = b.buffer[start:start + p._data.size].reshape(p._data.shape)
                if p._grad is None:
                    p._grad = Tensor._wrap(flat.copy())
                else:
                    p._grad._data[...] = flat
            b.ready.clear()
        object.__setattr__(self, "_next_launch", 0)

    def remove_hooks(self):
        """Unregister the gradient hooks (the wrapped module then trains locally again)."""
        for h in self._handles:
            h.remove()
        self._handles.clear()

    def extra_repr(self):
        return (f"world_size={self._group.world_size}, buckets={len(self._buckets)}, "
                f"bucket_cap_mb={self.bucket_cap_mb}")
