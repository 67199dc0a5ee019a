"""A real NCCL all_reduce and broadcast on the GPUs of mpiexec's ranks (one per GPU)."""
import numpy as np

import minigrad
import minigrad.distributed as dist

dist.init_process_group("nccl")
rank, world = dist.get_rank(), dist.get_world_size()
t = minigrad.tensor(np.full(1000, rank + 1, np.float32), device="cuda")
dist.all_reduce(t)
assert np.all(t.numpy() == world * (world + 1) / 2), t.numpy()[:4]
dist.broadcast(t, src=0)
dist.barrier()
print(f"rank {rank}: NCCL OK", flush=True)
dist.destroy_process_group()
