"""``minigrad.cuda``: is the GPU usable, and if not, why."""
from .backend import cuda_status, is_cuda_available

__all__ = ["is_available", "status"]


def is_available():
    """True when CuPy is installed and a CUDA device answers (never raises)."""
    return is_cuda_available()


def status():
    """``(available, reason)``; reason says why CUDA is unusable (None when it works)."""
    return cuda_status()
