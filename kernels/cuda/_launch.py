"""What every Numba CUDA launch wrapper here shares: the stream, the device views of CuPy
arrays, grid sizing, and launch configurations that shrink under the simulator.

``cuda`` is imported at module level on purpose: with ``NUMBA_ENABLE_CUDASIM=1`` the
simulator replaces ``numba.cuda`` when numba is first imported, and kernels defined against a
locally imported ``cuda`` would miss it.
"""
import contextlib
import os
import sys

import numba
from numba import cuda

from .._arrays import is_cupy

# Under the simulator each CUDA thread is a Python thread: the default launch
# configurations (hundreds of threads per block) are replaced by small ones.
SIMULATOR = os.environ.get("NUMBA_ENABLE_CUDASIM", "0") == "1"

_streams = {}   # CuPy stream pointer -> Numba stream object wrapping it


def launch_stream(array):
    """The stream to launch on: CuPy's current stream for CuPy arrays (so the kernel is
    ordered with CuPy's work without any synchronisation), else the default stream."""
    if not is_cupy(array):
        return 0
    ptr = sys.modules["cupy"].cuda.get_current_stream().ptr
    stream = _streams.get(ptr)
    if stream is None:
        stream = _streams[ptr] = cuda.external_stream(ptr)
    return stream


def device_view(array):
    """A Numba device array over a CuPy array's memory, without synchronising the stream it
    was made on (we launch on that same stream); NumPy arrays (the simulator) as they are."""
    if is_cupy(array):
        return cuda.as_cuda_array(array, sync=False)
    if not array.flags.writeable:
        # NumPy arguments are copied to the (simulated) device and back after the launch,
        # which fails on read-only views such as broadcasts: give a private copy
        return array.copy()
    return array


_device_count = []    # CuPy's GPU count, read once


def on_device_of(array):
    """A context in which Numba works on the GPU that holds CuPy ``array``.

    Numba keeps its own current device, apart from CuPy's: with several GPUs a kernel on
    an array of GPU 1 would otherwise be launched on GPU 0 (Numba's default).  With one GPU
    (or a NumPy array) there is nothing to choose and nothing is done."""
    if not is_cupy(array):
        return contextlib.nullcontext()
    if not _device_count:
        _device_count.append(sys.modules["cupy"].cuda.runtime.getDeviceCount())
    if _device_count[0] < 2:
        return contextlib.nullcontext()
    return cuda.gpus[array.device.id]


def launch(kernel, grid, block, like, *args):
    """``kernel[grid, block, stream](*args)`` on ``like``'s GPU and stream, CuPy arrays
    viewed without synchronisation."""
    with on_device_of(like):
        stream = launch_stream(like)
        args = tuple(device_view(a) if hasattr(a, "shape") else a for a in args)
        if stream == 0:
            kernel[grid, block](*args)
        else:
            kernel[grid, block, stream](*args)


def blocks_for(n, threads):
    """Blocks of ``threads`` covering ``n`` items (at least 1)."""
    return max(1, (n + threads - 1) // threads)


def numba_type(dtype):
    """The Numba scalar type of a NumPy dtype (for shared/local array declarations)."""
    return numba.from_dtype(dtype)
