"""Shared test settings: hypothesis profiles (``ci`` is used when CI=true)."""
import os

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "dev", max_examples=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "ci", max_examples=25, deadline=None, derandomize=True, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.register_profile(
    "thorough", max_examples=300, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE",
                                     "ci" if os.environ.get("CI") else "dev"))


# -- the CUDA device: a real GPU when there is one, else the CPU stand-in ------------------

@pytest.fixture
def cuda_device():
    """``"cuda"``, usable for the test's duration: the real device when CUDA is available,
    otherwise the CPU stand-in of tests/cuda_standin.py (NumPy arrays dressed as device
    arrays), so the device code paths run in CI."""
    from minigrad import backend

    from .cuda_standin import standin
    if backend.is_cuda_available():
        yield "cuda"
        return
    with backend.use_cuda_module(standin):
        yield "cuda"

