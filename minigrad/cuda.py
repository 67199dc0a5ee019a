"""``minigrad.cuda``: is the GPU usable, and if not, why."""
from .backend import cuda_status, is_cuda_available

__all__ = ["is_available", "status", "device_count", "current_device", "manual_seed",
           "manual_seed_all", "synchronize"]


def is_available():
    """True when CuPy is installed and a CUDA device answers (never raises)."""
    return is_cuda_available()


def status():
    """``(available, reason)``; reason says why CUDA is unusable (None when it works)."""
    return cuda_status()


def device_count():
    """1 when CUDA is usable (minigrad uses one GPU), else 0."""
    return 1 if is_cuda_available() else 0


def current_device():
    return 0


def manual_seed(seed):
    """Seed the draws for GPU tensors: they come from minigrad's one generator (drawn on the
    host and copied), so this is ``minigrad.manual_seed``."""
    from .random import manual_seed as seed_all
    return seed_all(seed)


manual_seed_all = manual_seed


def synchronize():
    """Wait for the GPU's queued work (nothing to do without CUDA)."""
    if is_cuda_available():
        import cupy
        cupy.cuda.get_current_stream().synchronize()
