"""A rank dies (argv[1] == "kill": SIGKILL itself), hangs ("hang": never calls the
collective) or raises ("raise": an uncaught exception ends its script) before an all_reduce;
the others must fail with a clear error, not hang.  No timeout except for "hang": a raising
rank must end the job by itself."""
import os
import signal
import sys
import time

import numpy as np

import minigrad.distributed as dist

how = sys.argv[1]
dist.init_process_group("mpi", timeout=3 if how == "hang" else None)
rank = dist.get_rank()
dist.all_reduce(np.ones(4))            # everyone alive so far
print(f"rank {rank}: first all_reduce done", flush=True)
if rank == 1:
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    if how == "raise":
        raise ValueError("boom on rank 1")
    time.sleep(30)                      # "hang": never reaches the collective
    sys.exit(0)
try:
    dist.all_reduce(np.ones(1 << 16))
except dist.DistributedTimeoutError as exc:
    print(f"rank {rank}: CLEAR ERROR: {exc}", flush=True)
    # uncaught: minigrad's hook lets mpiexec forward the output, then ends the whole job
    # (an immediate MPI_Abort here could lose the line above in mpiexec's forwarding)
    raise
else:
    print(f"rank {rank}: all_reduce returned after the other rank died", flush=True)
