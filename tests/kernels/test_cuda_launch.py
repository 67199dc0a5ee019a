"""The launch plumbing's choice of GPU, with stand-ins for CuPy and Numba's device list: it
needs no GPU, and runs in the ordinary test process."""
import sys
import types

import numpy as np
import pytest

from minigrad_kernels.cuda import _launch


class _Device:
    """Stands for ``numba.cuda.gpus[i]``: a context that makes GPU i Numba's current one."""

    def __init__(self, index, log):
        self.index, self.log = index, log

    def __enter__(self):
        self.log.append(("enter", self.index))

    def __exit__(self, *exc):
        self.log.append(("exit", self.index))


class _Kernel:
    def __init__(self, log):
        self.log = log

    def __getitem__(self, config):
        return lambda *args: self.log.append(("launch", config, args))


def _cupy_array(device_id):
    """An object that ``is_cupy`` takes for a CuPy array on GPU ``device_id``."""
    cls = type("ndarray", (), {"__module__": "cupy._core.core", "shape": (4,)})
    array = cls()
    array.device = types.SimpleNamespace(id=device_id)
    return array


@pytest.fixture
def stand_ins(monkeypatch):
    log = []
    monkeypatch.setattr(_launch, "_device_count", [])
    monkeypatch.setattr(_launch, "launch_stream", lambda like: 0)
    monkeypatch.setattr(_launch, "device_view", lambda a: a)
    monkeypatch.setattr(_launch.cuda, "gpus", [_Device(i, log) for i in range(4)],
                        raising=False)

    def with_gpus(count):
        cupy = types.ModuleType("cupy")
        cupy.cuda = types.SimpleNamespace(
            runtime=types.SimpleNamespace(getDeviceCount=lambda: count))
        monkeypatch.setitem(sys.modules, "cupy", cupy)
        return log
    return with_gpus


def test_with_several_gpus_numba_launches_on_the_arrays_gpu(stand_ins):
    log = stand_ins(3)
    x = _cupy_array(2)
    _launch.launch(_Kernel(log), 8, 32, x, x, 5)
    assert log == [("enter", 2), ("launch", (8, 32), (x, 5)), ("exit", 2)]


def test_with_one_gpu_or_a_numpy_array_no_device_is_selected(stand_ins):
    log = stand_ins(1)
    x = _cupy_array(0)
    _launch.launch(_Kernel(log), 1, 16, x, x)
    host = np.zeros(3)
    _launch.launch(_Kernel(log), 1, 16, host, host)
    assert [entry[0] for entry in log] == ["launch", "launch"]
