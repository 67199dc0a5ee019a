"""The "nccl" backend's plumbing with stand-ins for CuPy and MPI (no GPU needed): device
choice, the unique id's broadcast, the NCCL calls' arguments; the real thing is marked gpu."""
import importlib.util
import types

import numpy as np
import pytest

import minigrad.distributed as dist
from minigrad.distributed import process_group as pg
from minigrad.distributed.nccl import NCCLBackend

from .mpi import run_mpi


class FakeArray:
    """What the backend reads of a CuPy array: a device pointer, size, dtype, layout."""

    def __init__(self, values):
        self.values = np.ascontiguousarray(values)
        self.data = types.SimpleNamespace(ptr=self.values.ctypes.data)
        self.size, self.dtype, self.flags = self.values.size, self.values.dtype, \
            self.values.flags
        self.shape = self.values.shape


FakeArray.__module__ = "cupy._core.core"


def fake_cupy(n_gpus, calls):
    class Communicator:
        def __init__(self, world, uid, rank):
            calls.append(("init", world, uid, rank))

        def allReduce(self, send, recv, count, dtype, op, stream):
            calls.append(("allReduce", send == recv, count, dtype, op, stream))

        def bcast(self, buf, count, dtype, root, stream):
            calls.append(("bcast", count, dtype, root, stream))

        def destroy(self):
            calls.append(("destroy",))

    class Device:
        def __init__(self, i):
            self.i = i

        def use(self):
            calls.append(("use", self.i))

    cuda = types.SimpleNamespace(
        nccl=types.SimpleNamespace(get_unique_id=lambda: (7, 7, 7),
                                   NcclCommunicator=Communicator),
        runtime=types.SimpleNamespace(getDeviceCount=lambda: n_gpus),
        Device=Device,
        get_current_stream=lambda: types.SimpleNamespace(ptr=1234, synchronize=lambda: None))
    return types.SimpleNamespace(cuda=cuda)


def fake_mpi(rank, world, local_rank, calls):
    class Comm:
        def Dup(self):
            return self

        def Get_rank(self):
            return rank

        def Get_size(self):
            return world

        def Split_type(self, kind):
            assert kind == "shared"
            return types.SimpleNamespace(Get_rank=lambda: local_rank)

        def bcast(self, obj, root):
            calls.append(("mpi_bcast", obj, root))
            return obj if rank == root else (7, 7, 7)

        def Barrier(self):
            pass

        def Free(self):
            pass

    return types.SimpleNamespace(COMM_WORLD=Comm(), COMM_TYPE_SHARED="shared")


def test_rank_picks_its_local_gpu_and_gets_the_unique_id_over_mpi():
    calls = []
    b = NCCLBackend(cupy=fake_cupy(4, calls), mpi=fake_mpi(rank=5, world=8, local_rank=1,
                                                           calls=calls))
    assert (b.rank, b.world_size) == (5, 8)
    assert ("use", 1) in calls
    assert ("mpi_bcast", None, 0) in calls           # rank 5 receives rank 0's id
    assert ("init", 8, (7, 7, 7), 5) in calls


def test_all_reduce_and_broadcast_calls():
    calls = []
    b = NCCLBackend(cupy=fake_cupy(1, calls), mpi=fake_mpi(0, 2, 0, calls))
    a = FakeArray(np.zeros(10, np.float32))
    b.all_reduce(a, pg.ReduceOp.SUM, False)
    b.all_reduce(FakeArray(np.zeros(3, np.float16)), pg.ReduceOp.MAX, False)
    b.broadcast(FakeArray(np.zeros(4, np.int64)), 1)
    assert ("allReduce", True, 10, 7, 0, 1234) in calls        # in place, float32, sum
    assert ("allReduce", True, 3, 6, 2, 1234) in calls         # float16, max
    assert ("bcast", 4, 4, 1, 1234) in calls                   # int64 from rank 1
    with pytest.raises(TypeError, match="CuPy arrays"):
        b.all_reduce(np.zeros(3, np.float32), pg.ReduceOp.SUM, False)
    with pytest.raises(TypeError, match="NCCL has no bool"):
        b.all_reduce(FakeArray(np.zeros(3, bool)), pg.ReduceOp.SUM, False)
    b.close()
    assert ("destroy",) in calls


def test_more_processes_than_gpus_is_refused():
    with pytest.raises(dist.DistributedError, match="one process per GPU"):
        NCCLBackend(cupy=fake_cupy(2, []), mpi=fake_mpi(2, 3, 2, []))


@pytest.mark.gpu
def test_real_nccl_all_reduce():
    if importlib.util.find_spec("cupy") is None:
        pytest.skip("CuPy is not installed")
    proc = run_mpi("nccl_real", n=1, timeout=120)
    assert "NCCL OK" in proc.output
