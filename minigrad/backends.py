"""PyTorch's ``torch.backends`` probes and switches, answered truthfully for minigrad.

Scripts written for PyTorch often start with ``torch.backends.cudnn.benchmark = True`` or
ask ``torch.backends.mps.is_available()``: here cuDNN and Apple's MPS are never used, so the
probes say False and the cuDNN switches are plain attributes that change nothing.
"""
import types

__all__ = ["cudnn", "mps"]

cudnn = types.SimpleNamespace(
    enabled=True, benchmark=False, deterministic=False, allow_tf32=False,
    is_available=lambda: False,          # minigrad's GPU kernels are CuPy's and its own
    version=lambda: None)

mps = types.SimpleNamespace(is_available=lambda: False, is_built=lambda: False)
