"""``DistributedSampler``: each rank of a data-parallel job its own shard of a dataset
(PyTorch's ``torch.utils.data.distributed.DistributedSampler``, the same padding rules).

>>> sampler = DistributedSampler(train_set, shuffle=True, seed=0)  # ranks from the group
>>> loader = DataLoader(train_set, batch_size=32, sampler=sampler)
>>> for epoch in range(epochs):
...     sampler.set_epoch(epoch)          # a new order each epoch, the same on every rank

Every rank draws the same permutation (from ``seed + epoch``), pads it by repeating its
first indices until its length is a multiple of ``num_replicas`` (or, with ``drop_last``,
drops the tail), and takes every ``num_replicas``-th index starting at ``rank``.  The shards
are disjoint (except for the padding) and together cover the dataset.
"""
import math

import numpy as np

from .._check import check_bool, check_int
from .dataloader import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """The indices of this rank's shard of ``dataset``.

    Args:
        dataset: a sized dataset (N items).
        num_replicas: the number of ranks (default: the process group's world size, or 1
            when no group is initialized).
        rank: this rank (default: the process group's rank, or 0).
        shuffle: a new random order each epoch (see ``set_epoch``); else 0 … N − 1.
        seed: the random order's seed; must be the same on every rank.
        drop_last: drop the tail so that every rank gets ``N // num_replicas`` indices;
            else pad with repeated indices to ``ceil(N / num_replicas)`` each.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        who = "DistributedSampler"
        if not hasattr(dataset, "__len__"):
            raise TypeError(f"{who}: dataset must be sized (have a __len__), got a "
                            f"{type(dataset).__name__}")
        if num_replicas is None or rank is None:
            from .. import distributed as dist
            initialized = dist.is_initialized()
            if num_replicas is None:
                num_replicas = dist.get_world_size() if initialized else 1
            if rank is None:
                rank = dist.get_rank() if initialized else 0
        self.num_replicas = check_int(who, "num_replicas", num_replicas, low=1)
        rank = check_int(who, "rank", rank)
        if not 0 <= rank < self.num_replicas:
            raise ValueError(f"{who}: rank must be in [0, {self.num_replicas - 1}] for "
                             f"num_replicas={self.num_replicas}, got {rank}")
        self.rank = rank
        self.shuffle = check_bool(who, "shuffle", shuffle)
        self.seed = check_int(who, "seed", seed, low=0)
        self.drop_last = check_bool(who, "drop_last", drop_last)
        self.dataset = dataset
        self.epoch = 0

    @property
    def num_samples(self):
        n = len(self.dataset)
        if self.drop_last and n % self.num_replicas:
            return math.ceil((n - self.num_replicas) / self.num_replicas)
        return math.ceil(n / self.num_replicas)

    @property
    def total_size(self):
        return self.num_samples * self.num_replicas

    def set_epoch(self, epoch):
        """The epoch number: with ``shuffle`` the order is drawn from ``seed + epoch``, so
        call it at each epoch's start (on every rank) for a new order."""
        self.epoch = check_int("DistributedSampler.set_epoch", "epoch", epoch, low=0)

    def _indices(self):
        n = len(self.dataset)
        if self.shuffle:
            indices = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            indices = np.arange(n)
        total = self.total_size
        if not self.drop_last:
            pad = total - n
            if pad > 0 and n > 0:
                indices = np.concatenate([indices, np.tile(indices, math.ceil(pad / n))[:pad]])
        else:
            indices = indices[:total]
        return indices[self.rank:total:self.num_replicas]

    def __iter__(self):
        return iter(self._indices().tolist())

    def __len__(self):
        return self.num_samples
