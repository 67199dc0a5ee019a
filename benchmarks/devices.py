"""Where a benchmark runs: its array module, copies to and from it, synchronisation, clock.

Three devices share one interface, so the harness never tests which one it has:

* ``CpuDevice``: NumPy arrays, ``time.perf_counter``.
* ``CupyDevice``: a real GPU: CuPy arrays, CUDA events recorded around the timed calls.
* ``SimulatorDevice``: ``NUMBA_ENABLE_CUDASIM=1``: the ``cuda`` implementations run on
  NumPy arrays, the Numba CUDA kernels under Numba's CUDA simulator.  It checks the
  implementations and the harness on tiny cases; its times are meaningless (the simulator
  interprets every thread in Python) and every row it produces says so.

``cuda_device()`` picks the simulator when the environment asks for it, else the real GPU
when CuPy sees one, else returns ``None`` and why.
"""
import os
import time

import numpy as np


def _map_arrays(values, fn, array_type):
    """``values`` with every array of ``array_type`` replaced by ``fn(array)``; tuples and
    lists are walked (outputs such as ``(y, arg)``), anything else is kept."""
    if isinstance(values, array_type):
        return fn(values)
    if isinstance(values, (tuple, list)):
        return type(values)(_map_arrays(v, fn, array_type) for v in values)
    return values


class CpuDevice:
    """NumPy on the host; wall-clock time."""

    name = "cpu"          # the registry's device name
    simulated = False
    xp = np

    def put(self, values):
        """Fresh copies of every array in ``values`` (each rotating input set owns its memory)."""
        return _map_arrays(values, lambda a: np.array(a, copy=True), np.ndarray)

    def get(self, values):
        """Every array in ``values`` as a NumPy array on the host."""
        return values

    def synchronize(self):
        pass

    def elapsed(self, run):
        """Seconds taken by ``run()`` (everything it started has finished when this returns)."""
        start = time.perf_counter()
        run()
        return time.perf_counter() - start

    def describe(self):
        return {"name": "cpu", "simulated": False, "timer": "time.perf_counter"}


class CupyDevice(CpuDevice):
    """A CUDA GPU through CuPy; time from CUDA events on the current stream."""

    name = "cuda"

    def __init__(self, cupy):
        self.xp = self.cupy = cupy

    def put(self, values):
        return _map_arrays(values, self.cupy.asarray, np.ndarray)

    def get(self, values):
        return _map_arrays(values, self.cupy.asnumpy, self.cupy.ndarray)

    def synchronize(self):
        self.cupy.cuda.get_current_stream().synchronize()

    def elapsed(self, run):
        # Events measure the GPU's time between them, not the host's launch overhead alone;
        # a call that launched nothing on the GPU reads as ~0.
        start, end = self.cupy.cuda.Event(), self.cupy.cuda.Event()
        start.record()
        run()
        end.record()
        end.synchronize()
        return self.cupy.cuda.get_elapsed_time(start, end) / 1e3

    def describe(self):
        runtime = self.cupy.cuda.runtime
        props = runtime.getDeviceProperties(self.cupy.cuda.Device().id)
        name = props["name"]
        return {"name": "cuda", "simulated": False, "timer": "CUDA events (CuPy)",
                "gpu": name.decode() if isinstance(name, bytes) else name,
                "gpu_memory_bytes": int(props["totalGlobalMem"]),
                "l2_cache_bytes": int(props.get("l2CacheSize", 0)),
                "cuda_runtime": runtime.runtimeGetVersion(),
                "cuda_driver": runtime.driverGetVersion(),
                "cupy": self.cupy.__version__}


class SimulatorDevice(CpuDevice):
    """The ``cuda`` implementations on NumPy arrays under Numba's CUDA simulator."""

    name = "cuda"
    simulated = True

    def describe(self):
        return {"name": "cuda", "simulated": True, "timer": "time.perf_counter",
                "note": "Numba CUDA simulator (NUMBA_ENABLE_CUDASIM=1): correctness and "
                        "harness check only; its times mean nothing"}


def cuda_device():
    """``(device, None)`` for the simulator or the real GPU, or ``(None, why not)``.

    The simulator wins when ``NUMBA_ENABLE_CUDASIM=1``, even on a machine with a GPU: numba
    then replaced ``numba.cuda`` by the simulator in this process, whose kernels take NumPy
    arrays, not CuPy's.  ``backend.cuda_status()`` only asks CuPy, which the variable does
    not affect."""
    from minigrad import backend
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return SimulatorDevice(), None
    available, reason = backend.cuda_status()
    if available:
        return CupyDevice(backend.xp_for("cuda")), None
    return None, (f"{reason}; set NUMBA_ENABLE_CUDASIM=1 to check the cuda implementations "
                  "under Numba's simulator on tiny cases")


def last_level_cache_bytes(device):
    """The cache that rotating input buffers must overflow: the CPU's L3 (or L2) from sysfs,
    the GPU's L2; 32 MiB when unknown."""
    if isinstance(device, CupyDevice):
        size = device.describe().get("l2_cache_bytes")
        return size or 32 * 2**20
    for index in (3, 2):
        try:
            with open(f"/sys/devices/system/cpu/cpu0/cache/index{index}/size") as f:
                text = f.read().strip()
        except OSError:
            continue
        units = {"K": 2**10, "M": 2**20, "G": 2**30}
        return int(text[:-1]) * units[text[-1]] if text[-1] in units else int(text)
    return 32 * 2**20
