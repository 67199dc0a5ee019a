"""``minigrad.distributed``: data-parallel training over MPI, NCCL or a world of one
(PyTorch's ``torch.distributed`` names).

>>> import minigrad.distributed as dist
>>> dist.init_process_group("mpi")              # mpiexec -n 2 python train.py
>>> model = dist.DistributedDataParallel(model)  # gradients averaged over the ranks
>>> sampler = DistributedSampler(dataset)        # each rank its shard (minigrad.data)

Importing this package imports neither ``mpi4py`` nor ``cupy``; ``init_process_group`` does,
for the backend it is asked for.  See docs/distributed.md.
"""
from .ddp import DistributedDataParallel
from .process_group import (DistributedError, DistributedTimeoutError, ReduceOp, Work,
                            all_gather, all_reduce, barrier, broadcast, destroy_process_group,
                            get_backend, get_rank, get_world_size, init, init_process_group,
                            is_available, is_initialized, reduce_scatter)

__all__ = ["init_process_group", "init", "is_initialized", "is_available", "get_rank",
           "get_world_size", "get_backend", "destroy_process_group", "barrier", "all_reduce",
           "broadcast", "all_gather", "reduce_scatter", "ReduceOp", "Work",
           "DistributedError", "DistributedTimeoutError", "DistributedDataParallel"]
