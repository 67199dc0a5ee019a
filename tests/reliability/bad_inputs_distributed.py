"""Bad inputs of minigrad.distributed (init, collectives, DistributedDataParallel,
DistributedSampler), issue 16."""
import numpy as np

import minigrad
import minigrad.distributed as dist
from minigrad import nn
from minigrad.data import DistributedSampler

from .bad_inputs import ARGS, DATA, T, case  # noqa: F401

DIST = DATA


def local(fn):
    """Run ``fn(o)`` inside a "local" process group (left as it was found)."""
    def act(o):
        fresh = not dist.is_initialized()
        if fresh:
            dist.init_process_group("local")
        try:
            return fn(o)
        finally:
            if fresh:
                dist.destroy_process_group()
    return act


case("dist_unknown_backend", DIST, "`init_process_group` with a backend that does not exist",
     lambda tmp: {}, lambda o: dist.init_process_group("gloo"), ValueError,
     ["init_process_group", "unknown backend 'gloo'", "mpi, nccl, local"])
case("dist_bad_timeout", DIST, "`init_process_group` with a negative timeout",
     lambda tmp: {}, lambda o: dist.init_process_group("local", timeout=-1), ValueError,
     ["init_process_group", "timeout must be a positive number of seconds", "-1"])
case("dist_not_initialized", DIST, "a collective before `init_process_group`",
     lambda tmp: {"x": T(3)}, lambda o: dist.all_reduce(o.x), dist.DistributedError,
     ["all_reduce", "not initialized", "init_process_group('mpi')"])
case("dist_all_reduce_list", DIST, "`all_reduce` of a list instead of a Tensor",
     lambda tmp: {}, local(lambda o: dist.all_reduce([1.0, 2.0])), TypeError,
     ["all_reduce", "tensor must be a Tensor or an array", "list"])
case("dist_all_reduce_op", DIST, "`all_reduce` with an unknown reduction",
     lambda tmp: {"x": T(3)}, local(lambda o: dist.all_reduce(o.x, op="mean")), ValueError,
     ["all_reduce", "op must be a ReduceOp", "'mean'"])
case("dist_all_reduce_avg_int", DIST, "`all_reduce` averaging an integer tensor",
     lambda tmp: {"x": minigrad.tensor(np.arange(3))},
     local(lambda o: dist.all_reduce(o.x, op=dist.ReduceOp.AVG)), TypeError,
     ["all_reduce", "ReduceOp.AVG needs a floating-point tensor", "int64"])
case("dist_broadcast_src", DIST, "`broadcast` from a rank that does not exist",
     lambda tmp: {"x": T(3)}, local(lambda o: dist.broadcast(o.x, src=1)), ValueError,
     ["broadcast", "src 1 is not a rank", "size 1"])
case("dist_all_gather_length", DIST, "`all_gather` into a list of the wrong length",
     lambda tmp: {"x": T(3), "a": T(3, seed=1), "b": T(3, seed=2)},
     local(lambda o: dist.all_gather([o.a, o.b], o.x)), ValueError,
     ["all_gather", "tensor_list has 2 tensors", "one per rank (1)"])
case("dist_all_gather_shape", DIST, "`all_gather` into tensors of another shape",
     lambda tmp: {"x": T(3), "a": T(4, seed=1)},
     local(lambda o: dist.all_gather([o.a], o.x)), ValueError,
     ["all_gather", "tensor_list[0] is (4,)", "expected (3,)"])
case("ddp_not_a_module", DIST, "`DistributedDataParallel` of something that is not a Module",
     lambda tmp: {}, local(lambda o: dist.DistributedDataParallel(lambda x: x)), TypeError,
     ["DistributedDataParallel", "minigrad.nn.Module", "function"])
case("ddp_bucket_cap", DIST, "`DistributedDataParallel` with a bucket of 0 MB",
     lambda tmp: {"m": nn.Linear(2, 2)},
     local(lambda o: dist.DistributedDataParallel(o.m, bucket_cap_mb=0)), ValueError,
     ["DistributedDataParallel", "bucket_cap_mb must be a positive", "0"])
case("ddp_not_initialized", DIST, "`DistributedDataParallel` before `init_process_group`",
     lambda tmp: {"m": nn.Linear(2, 2)}, lambda o: dist.DistributedDataParallel(o.m),
     dist.DistributedError, ["DistributedDataParallel", "not initialized",
                             "init_process_group('mpi')"])
case("sampler_rank_too_large", DIST, "`DistributedSampler` with rank ≥ num_replicas",
     lambda tmp: {}, lambda o: DistributedSampler(range(10), num_replicas=2, rank=2),
     ValueError, ["DistributedSampler", "rank must be in [0, 1]", "got 2"])
case("sampler_num_replicas", DIST, "`DistributedSampler` with num_replicas=0",
     lambda tmp: {}, lambda o: DistributedSampler(range(10), num_replicas=0, rank=0),
     ValueError, ["DistributedSampler: num_replicas must be an int ≥ 1", "0"])
case("sampler_unsized", DIST, "`DistributedSampler` of a dataset without a length",
     lambda tmp: {}, lambda o: DistributedSampler(iter(range(3)), num_replicas=1, rank=0),
     TypeError, ["DistributedSampler", "must be sized", "range_iterator"])
case("sampler_epoch", DIST, "`DistributedSampler.set_epoch` with a negative epoch",
     lambda tmp: {"s": DistributedSampler(range(4), num_replicas=1, rank=0)},
     lambda o: o.s.set_epoch(-1), ValueError,
     ["DistributedSampler.set_epoch", "epoch must be an int ≥ 0", "-1"])
