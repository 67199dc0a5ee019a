"""Collectives on 2 MPI ranks against NumPy, a dead or hung rank, the local backend."""
import sys

import numpy as np
import pytest

import minigrad
import minigrad.distributed as dist

from .mpi import run_local, run_mpi


def test_importing_minigrad_imports_no_mpi_nor_cupy():
    import subprocess
    code = ("import sys, minigrad, minigrad.distributed, minigrad.data; "
            "print('mpi4py' in sys.modules, 'cupy' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.split() == ["False", "False"], out.stdout + out.stderr


def test_collectives_match_numpy_on_two_ranks():
    proc = run_mpi("collectives", timeout=120)
    assert "rank 0: " in proc.output and "rank 1: " in proc.output


def test_killed_rank_ends_the_job_with_an_error():
    proc = run_mpi("dead_rank", "kill", timeout=30, check=False)
    assert proc.returncode != 0
    assert "returned after the other rank died" not in proc.output
    assert "Killed" in proc.output or "signal 9" in proc.output.lower() or \
        "KILLED" in proc.output, proc.output


def test_an_uncaught_exception_on_one_rank_ends_every_rank():
    """Rank 0 waits in an all_reduce with no timeout; rank 1's script raises.  Without the
    abort-on-uncaught-exception hook rank 0 would wait forever (run_mpi fails on a hang)."""
    proc = run_mpi("dead_rank", "raise", timeout=60, check=False)
    assert proc.returncode != 0
    assert "ValueError: boom on rank 1" in proc.output, proc.output       # the traceback
    assert "uncaught ValueError on rank 1 of 2: aborting every rank" in proc.output
    assert "returned after the other rank died" not in proc.output


def test_hung_rank_gives_a_timeout_error_not_a_hang():
    proc = run_mpi("dead_rank", "hang", timeout=30, check=False)
    assert proc.returncode != 0
    assert "CLEAR ERROR: all_reduce on rank 0 of 2 did not complete within 3 s" in \
        proc.output, proc.output


@pytest.fixture
def local():
    dist.init_process_group("local")
    yield
    dist.destroy_process_group()


def test_local_world_of_one(local):
    assert dist.is_initialized() and dist.get_rank() == 0 and dist.get_world_size() == 1
    assert dist.get_backend() == "local"
    t = minigrad.tensor([1.0, 2.0])
    dist.all_reduce(t, op=dist.ReduceOp.AVG)
    dist.broadcast(t, src=0)
    out = [minigrad.zeros(2)]
    dist.all_gather(out, t)
    np.testing.assert_array_equal(out[0]._data, [1.0, 2.0])
    dist.all_reduce(t, async_op=True).wait()
    dist.barrier()
    np.testing.assert_array_equal(t._data, [1.0, 2.0])


def test_init_twice_and_destroy(local):
    with pytest.raises(dist.DistributedError, match="already initialized"):
        dist.init_process_group("local")
    dist.destroy_process_group()
    assert not dist.is_initialized()
    dist.init("local")


def test_local_backend_runs_a_ddp_script_unchanged():
    proc = run_local("equivalence", "mlp", "adam", "plain", "local")
    assert "EQUIVALENCE mlp adam plain world=1" in proc.output
