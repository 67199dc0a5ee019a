"""``minigrad.utils``: the home of PyTorch's ``torch.utils`` names that minigrad implements.

Only :mod:`minigrad.utils.data` (``Dataset``, ``DataLoader``, ``TensorDataset``,
``random_split``, the samplers…), whose objects are :mod:`minigrad.data`'s own.
"""
from . import data

__all__ = ["data"]
