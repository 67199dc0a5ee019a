"""nn.SyncBatchNorm: the statistics of the global batch.  Two "ranks" run here as two
threads whose ``all_reduce_sum`` sums their arrays (a barrier, like MPI's Allreduce); each
rank's output and gradients must be the rows of one BatchNorm over both ranks' samples.
(The same on real MPI processes, under DDP and with an optimizer:
tests/distributed/workers/equivalence.py, model "syncbn".)"""
import threading

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad import functional as F
from minigrad.ops.norm import sync_batch_norm


class ThreadWorld:
    """``all_reduce_sum`` for ``n`` threads: every caller gets the sum of all n arrays."""

    def __init__(self, n):
        self.n, self.arrays, self.calls = n, [None] * n, 0
        self.barrier = threading.Barrier(n)

    def all_reduce_sum(self, rank):
        def reduce(array):
            self.arrays[rank] = array.copy()
            self.barrier.wait()
            total = sum(self.arrays)
            self.barrier.wait()          # every rank has read before the next call writes
            array[...] = total
            if rank == 0:
                self.calls += 1
        return reduce


def run_ranks(world, fn):
    results, errors = [None] * world.n, []

    def target(rank):
        try:
            results[rank] = fn(rank)
        except Exception as exc:        # noqa: BLE001 - reported below
            errors.append(exc)
            world.barrier.abort()
    threads = [threading.Thread(target=target, args=(r,)) for r in range(world.n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.parametrize("shape,split", [((6, 3, 2, 3), (2, 4)), ((5, 4), (3, 2)),
                                         ((4, 2, 5), (2, 2))])
def test_ranks_together_equal_one_batch_norm_over_all_samples(shape, split):
    rng = np.random.default_rng(0)
    x_all = rng.standard_normal(shape) * 3 + 1
    dy_all = rng.standard_normal(shape)
    c = shape[1]
    gamma, beta = rng.standard_normal(c), rng.standard_normal(c)

    def f64(a, grad=True):
        return minigrad.tensor(a, dtype=minigrad.float64, requires_grad=grad)

    # the reference: one process, the whole batch
    x, w, b = f64(x_all), f64(gamma), f64(beta)
    rm, rv = f64(np.zeros(c), False), f64(np.ones(c), False)
    y = F.batch_norm(x, rm, rv, w, b, training=True, momentum=0.1)
    y.backward(minigrad.tensor(dy_all))

    world = ThreadWorld(2)
    bounds = np.cumsum((0,) + split)

    def rank_step(rank):
        part = slice(bounds[rank], bounds[rank + 1])
        xr, wr, br = f64(x_all[part]), f64(gamma), f64(beta)
        rmr, rvr = f64(np.zeros(c), False), f64(np.ones(c), False)
        yr = sync_batch_norm(xr, rmr, rvr, wr, br, True, 0.1, 1e-5,
                             world.all_reduce_sum(rank))
        yr.backward(minigrad.tensor(dy_all[part]))
        return yr, xr.grad, wr.grad, br.grad, rmr, rvr

    results = run_ranks(world, rank_step)
    assert world.calls == 3          # forward: Σx with M, Σ(x − μ)²; backward: the two sums
    for rank, (yr, dx, _, _, rmr, rvr) in enumerate(results):
        part = slice(bounds[rank], bounds[rank + 1])
        np.testing.assert_allclose(yr.numpy(), y.numpy()[part], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(dx.numpy(), x.grad.numpy()[part], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(rmr.numpy(), rm.numpy(), rtol=1e-12)   # global M − 1
        np.testing.assert_allclose(rvr.numpy(), rv.numpy(), rtol=1e-12)
    # γ and β: each rank's share; their sum is the whole batch's gradient (DDP sums them)
    np.testing.assert_allclose(results[0][2].numpy() + results[1][2].numpy(),
                               w.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(results[0][3].numpy() + results[1][3].numpy(),
                               b.grad.numpy(), rtol=1e-10)


def test_local_statistics_would_differ():
    """The negative control: each rank normalising its own share is not the global batch."""
    rng = np.random.default_rng(1)
    x_all = rng.standard_normal((6, 3)) + np.arange(6)[:, None]    # shares with other means
    y = F.batch_norm(minigrad.tensor(x_all), None, None, training=True)
    y0 = F.batch_norm(minigrad.tensor(x_all[:3]), None, None, training=True)
    assert not np.allclose(y0.numpy(), y.numpy()[:3], atol=1e-3)


def test_convert_shares_parameters_and_buffers_and_keeps_the_state_dict():
    minigrad.manual_seed(0)
    net = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU(), nn.Flatten(),
                        nn.Linear(2 * 4 * 4, 3), nn.BatchNorm1d(3, affine=False))
    net.eval()
    keys, weight, mean = list(net.state_dict()), net[1].weight, net[1].running_mean
    x = minigrad.randn(4, 1, 6, 6)
    before = net(x).numpy()
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    assert converted is net
    assert type(net[1]) is nn.SyncBatchNorm and type(net[5]) is nn.SyncBatchNorm
    assert net[1].weight is weight and net[1].running_mean is mean
    assert net[5].weight is None and not net[5].training
    assert list(net.state_dict()) == keys
    np.testing.assert_array_equal(net(x).numpy(), before)
    single = nn.SyncBatchNorm.convert_sync_batchnorm(nn.BatchNorm1d(4))
    assert type(single) is nn.SyncBatchNorm and single.num_features == 4
    with pytest.raises(ValueError, match="only the default process group"):
        nn.SyncBatchNorm.convert_sync_batchnorm(net, process_group="world")


def test_float16_counts_past_65504_stay_exact():
    """The global count (here 80 000) is summed in float32 at least: in float16 it would
    be inf, and every output NaN."""
    rng = np.random.default_rng(2)
    x_all = (rng.standard_normal((4, 1, 100, 100)) * 2 + 3).astype(np.float16)
    world = ThreadWorld(2)

    def rank_step(rank):
        xr = minigrad.tensor(x_all[2 * rank:2 * rank + 2])
        return sync_batch_norm(xr, None, None, None, None, True, 0.1, 1e-5,
                               world.all_reduce_sum(rank)).numpy()

    y = np.concatenate(run_ranks(world, rank_step))
    assert y.dtype == np.float16 and np.isfinite(y).all()
    x64 = x_all.astype(np.float64)
    want = (x64 - x64.mean()) / np.sqrt(x64.var() + 1e-5)
    np.testing.assert_allclose(y, want, atol=2e-2)
