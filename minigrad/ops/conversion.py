"""Dtype casts and device copies, both differentiable."""
from .. import backend, dtypes
from ..function import Function

__all__ = ["cast", "to_device"]


class Cast(Function):
    """Conversion to another dtype.

    forward:   y = x converted to ``dtype``
    backward:  dx = dy converted back to x's dtype
    """

    def forward(self, x, dtype=None):
        self.in_dtype = x.dtype
        return x.astype(dtype, copy=True)

    def backward(self, dy):
        return dy.astype(self.in_dtype)


class ToDevice(Function):
    """Copy to another device.

    forward:   y = x copied to ``device``
    backward:  dx = dy copied back to x's device
    """

    moves_between_devices = True

    def forward(self, x, device="cpu"):
        self.src = backend.device_of(x)
        return backend.to_device(x, device)

    def backward(self, dy):
        return backend.to_device(dy, self.src)


def cast(x, dtype, copy=False):
    """``x`` as ``dtype`` (returns ``x`` itself when the dtype already matches, unless copy)."""
    dtype = dtypes.as_dtype(dtype)
    if dtype == x.dtype and not copy:
        return x
    if not dtypes.is_floating(dtype):
        x = x.detach()   # integer results carry no gradient
    return Cast.apply(x, dtype=dtype)


def to_device(x, device):
    """``x`` copied to ``device`` (returns ``x`` itself when it is already there)."""
    device = backend.normalize_device(device)
    if device == x.device:
        return x
    backend.xp_for(device)   # raises CudaUnavailableError with the reason, before recording
    return ToDevice.apply(x, device=device)
