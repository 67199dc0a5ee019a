"""The ``"nccl"`` backend: NCCL collectives between GPUs through ``cupy.cuda.nccl``.

One process per GPU, started by ``mpiexec``: MPI carries NCCL's unique id from rank 0 to the
others at start-up (a few bytes, the only thing pickled) and chooses each process's GPU (its
rank among the processes on its machine).  The collectives run on CuPy's current stream on
CuPy arrays (a Tensor on ``"cuda"``).  ``cupy`` and ``mpi4py`` are passed in as modules so
the plumbing can be unit-tested with stand-ins on a machine without a GPU.
"""
import numpy as np

from .process_group import DistributedError, ReduceOp, _Done

__all__ = ["NCCLBackend"]

# NCCL's data type and reduction codes (nccl.h)
_NCCL_DTYPES = {np.dtype("int8"): 0, np.dtype("uint8"): 1, np.dtype("int32"): 2,
                np.dtype("uint32"): 3, np.dtype("int64"): 4, np.dtype("uint64"): 5,
                np.dtype("float16"): 6, np.dtype("float32"): 7, np.dtype("float64"): 8}
_NCCL_OPS = {ReduceOp.SUM: 0, ReduceOp.PRODUCT: 1, ReduceOp.MAX: 2, ReduceOp.MIN: 3,
             ReduceOp.AVG: 4}       # ncclAvg needs NCCL >= 2.10


def _local_rank(comm, MPI):
    """This process's rank among the processes on its machine."""
    return comm.Split_type(MPI.COMM_TYPE_SHARED).Get_rank()


class NCCLBackend:
    name = "nccl"
    sum_comm = None        # no MPI short path: sums go through NCCL

    def __init__(self, timeout=None, cupy=None, mpi=None):
        if cupy is None:
            try:
                import cupy
            except ImportError as exc:
                raise ImportError("init_process_group(backend='nccl') needs CuPy with NCCL "
                                  "(pip install \"minigrad[gpu]\") and mpi4py "
                                  "(pip install \"minigrad[distributed]\")") from exc
        if mpi is None:
            try:
                from mpi4py import MPI as mpi
            except ImportError as exc:
                raise ImportError("init_process_group(backend='nccl') starts through MPI: "
                                  "pip install \"minigrad[distributed]\" and run under "
                                  "mpiexec") from exc
        self.cupy, self.MPI = cupy, mpi
        nccl = cupy.cuda.nccl
        self.mpi_comm = mpi.COMM_WORLD.Dup()
        self.rank, self.world_size = self.mpi_comm.Get_rank(), self.mpi_comm.Get_size()
        self.timeout = timeout
        n_gpus = cupy.cuda.runtime.getDeviceCount()
        local = _local_rank(self.mpi_comm, mpi)
        if local >= n_gpus:
            raise DistributedError(f"init_process_group(backend='nccl'): rank {self.rank} is "
                                   f"process {local} on its machine, which has {n_gpus} "
                                   f"GPU(s): start one process per GPU")
        cupy.cuda.Device(local).use()
        uid = nccl.get_unique_id() if self.rank == 0 else None
        uid = self.mpi_comm.bcast(uid, root=0)
        self.comm = nccl.NcclCommunicator(self.world_size, uid, self.rank)

    def _stream(self):
        return self.cupy.cuda.get_current_stream().ptr

    def _check(self, array, what):
        if not type(array).__module__.startswith("cupy"):
            raise TypeError(f"{what}: the nccl backend reduces CuPy arrays (Tensors on "
                            f"'cuda'), got {type(array).__name__}")
        if array.dtype not in _NCCL_DTYPES:
            raise TypeError(f"{what}: NCCL has no {array.dtype} type")
        if not array.flags.c_contiguous:
            raise ValueError(f"{what}: the nccl backend needs a contiguous array")
        return _NCCL_DTYPES[array.dtype]

    def all_reduce(self, array, op, async_op):
        dtype = self._check(array, "all_reduce")
        self.comm.allReduce(array.data.ptr, array.data.ptr, array.size, dtype, _NCCL_OPS[op],
                            self._stream())
        # queued on the stream: later kernels on it see the result (async_op or not)
        return (lambda: None) if async_op else None

    def all_reduce_sum(self, array):
        self.all_reduce(array, ReduceOp.SUM, False)

    def iallreduce_sum(self, buf):
        self.all_reduce(buf, ReduceOp.SUM, True)
        return _Done()

    def wait_request(self, request, what):
        pass

    def broadcast(self, array, src):
        dtype = self._check(array, "broadcast")
        self.comm.bcast(array.data.ptr, array.size, dtype, src, self._stream())

    def all_gather(self, array):
        dtype = self._check(array, "all_gather")
        out = self.cupy.empty((self.world_size,) + array.shape, array.dtype)
        self.comm.allGather(array.data.ptr, out.data.ptr, array.size, dtype, self._stream())
        return out

    def barrier(self):
        self.cupy.cuda.get_current_stream().synchronize()
        self.mpi_comm.Barrier()

    def close(self):
        try:
            self.comm.destroy()
            self.mpi_comm.Free()
        except Exception:       # noqa: BLE001 - already gone at exit
            pass
