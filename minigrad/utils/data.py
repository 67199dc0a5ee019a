"""``minigrad.utils.data``: PyTorch's ``torch.utils.data`` names for :mod:`minigrad.data`'s
datasets and loaders — the same objects, not copies (``minigrad.utils.data.DataLoader is
minigrad.data.DataLoader``), so a PyTorch script's ``from torch.utils.data import
DataLoader, TensorDataset`` runs with ``torch`` changed to ``minigrad``.

>>> from minigrad.utils.data import DataLoader, TensorDataset, random_split
>>> train, val = random_split(TensorDataset(x, y), [0.8, 0.2],
...                           generator=minigrad.Generator().manual_seed(42))
>>> for xb, yb in DataLoader(train, batch_size=64, shuffle=True, num_workers=2): ...

What differs from PyTorch: batches are made in the calling process whatever
``num_workers`` is (:func:`get_worker_info` returns None); ``pin_memory`` does nothing;
``batch_size=None`` and ``IterableDataset`` are not implemented; random orders are
reproducible for a seed but not PyTorch's; the batches of a :class:`TensorDataset` are tuples
(PyTorch's are lists).
"""
from ..data.dataloader import (BatchSampler, DataLoader, RandomSampler, Sampler,
                               SequentialSampler, SubsetRandomSampler, WeightedRandomSampler,
                               default_collate, default_convert, get_worker_info)
from ..data.distributed import DistributedSampler
from ..data.dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split

__all__ = ["Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split",
           "DataLoader", "Sampler", "SequentialSampler", "RandomSampler",
           "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler", "DistributedSampler",
           "default_collate", "default_convert", "get_worker_info"]
