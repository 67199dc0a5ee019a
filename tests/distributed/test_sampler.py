"""DistributedSampler: PyTorch's shard and padding rules."""
import math

import numpy as np
import pytest

from minigrad.data import DataLoader, DistributedSampler, TensorDataset
from minigrad.utils.data import DistributedSampler as TorchName


def shards(n, world, **kw):
    return [list(DistributedSampler(range(n), num_replicas=world, rank=r, **kw))
            for r in range(world)]


@pytest.mark.parametrize("n, world", [(10, 2), (11, 2), (10, 3), (2, 5), (1, 1), (7, 4)])
def test_padding_covers_everything_evenly(n, world):
    parts = shards(n, world, shuffle=False)
    assert all(len(p) == math.ceil(n / world) for p in parts)
    assert sorted(set(i for p in parts for i in p)) == list(range(n))
    # PyTorch: range, padded with its first indices, every world-th from rank
    padded = (list(range(n)) * (world + 1))[:math.ceil(n / world) * world]
    assert parts == [padded[r::world] for r in range(world)]


@pytest.mark.parametrize("n, world", [(10, 3), (11, 2), (9, 3)])
def test_drop_last_drops_the_tail(n, world):
    parts = shards(n, world, shuffle=False, drop_last=True)
    assert all(len(p) == n // world for p in parts)
    flat = [i for p in parts for i in p]
    assert len(flat) == len(set(flat))


def test_shuffle_is_shared_by_the_ranks_and_changes_with_the_epoch():
    a = shards(20, 2, seed=3)
    b = shards(20, 2, seed=3)
    assert a == b and sorted(a[0] + a[1]) == list(range(20))
    s = DistributedSampler(range(20), num_replicas=2, rank=0, seed=3)
    first = list(s)
    s.set_epoch(1)
    assert list(s) != first and len(s) == 10


def test_defaults_without_a_group_and_the_torch_name():
    s = DistributedSampler(range(5))
    assert (s.num_replicas, s.rank) == (1, 0) and sorted(s) == list(range(5))
    assert TorchName is DistributedSampler


def test_with_a_dataloader():
    ds = TensorDataset(np.arange(10, dtype="float32"))
    s = DistributedSampler(ds, num_replicas=2, rank=1, shuffle=False)
    got = np.concatenate([b[0]._data for b in DataLoader(ds, batch_size=2, sampler=s)])
    np.testing.assert_array_equal(got, [1, 3, 5, 7, 9])
