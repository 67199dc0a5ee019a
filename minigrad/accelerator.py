"""PyTorch's ``torch.accelerator``: which accelerator, if any, this process can use."""
from . import backend

__all__ = ["is_available", "current_accelerator", "device_count"]


def is_available():
    """True when a CUDA device is usable (minigrad's only accelerator)."""
    return backend.is_cuda_available()


def current_accelerator():
    """``device("cuda")`` when it is usable, else None."""
    return backend.CUDA if is_available() else None


def device_count():
    return 1 if is_available() else 0
