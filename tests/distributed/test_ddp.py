"""DistributedDataParallel on 2 ranks × batch 32 equals 1 process × batch 64 (20 steps)."""
import numpy as np
import pytest

import minigrad
import minigrad.distributed as dist
import minigrad.functional as F
from minigrad import nn

from .mpi import run_mpi


@pytest.mark.parametrize("model, optimizer, mode", [
    ("mlp", "sgd", "plain"), ("mlp", "adam", "plain"), ("cnn", "sgd", "plain"),
    ("cnn", "adam", "plain"), ("mlp", "sgd", "no_sync"), ("cnn", "adam", "no_sync"),
    ("bn", "sgd", "plain"), ("syncbn", "sgd", "plain"), ("syncbn", "adam", "no_sync")])
def test_ddp_equals_one_process_with_the_global_batch(model, optimizer, mode):
    proc = run_mpi("equivalence", model, optimizer, mode, timeout=120)
    assert f"EQUIVALENCE {model} {optimizer} {mode}" in proc.output, proc.output


@pytest.fixture
def local():
    dist.init_process_group("local")
    yield
    dist.destroy_process_group()


def test_ddp_wraps_and_delegates(local):
    minigrad.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    ddp = dist.DistributedDataParallel(net)
    assert ddp.module is net
    x = minigrad.randn(5, 3)
    np.testing.assert_array_equal(ddp(x)._data, net(x)._data)
    # PyTorch's keys: "module." in front; the module's own state_dict has none
    assert all(k.startswith("module.") for k in ddp.state_dict())
    assert set(net.state_dict()) == {k[len("module."):] for k in ddp.state_dict()}
    with ddp.no_sync():
        assert not ddp.require_backward_grad_sync
    assert ddp.require_backward_grad_sync
    F.cross_entropy(ddp(x), minigrad.tensor([0, 1, 0, 1, 1])).backward()
    assert all(p.grad is not None for p in net.parameters())


def test_buckets_are_reverse_order_and_capped(local):
    net = nn.Sequential(nn.Linear(100, 100), nn.Linear(100, 100), nn.Linear(100, 10))
    ddp = dist.DistributedDataParallel(net, bucket_cap_mb=40_400 / 2**20)
    params = list(net.parameters())
    buckets = [b.params for b in ddp._buckets]
    assert [p for b in buckets for p in b] == params[::-1]
    assert all(sum(p._data.nbytes for p in b) <= 40_400 for b in buckets)
    assert len(buckets) == 3


def test_fit_under_ddp_equals_one_process_and_resumes(tmp_path):
    """fit(batch_size=16) on 2 ranks = fit(batch_size=32) in one process (parameters and
    the logged means); a checkpointed-and-resumed DDP run = an uninterrupted one; only rank
    0 prints; DataLoaders with a DistributedSampler likewise."""
    proc = run_mpi("fit_ddp", tmp_path, timeout=120)
    for line in ("FIT EQUIVALENCE", "RESUME", "LOADER"):
        assert line in proc.output, proc.output
    assert proc.output.count("Epoch 1/3 ") == 2          # rank 0's DDP fit and its reference
