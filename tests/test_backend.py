"""Devices, CUDA detection, the kernel registry and what ``import minigrad`` loads."""
import os
import platform
import subprocess
import sys

import numpy as np
import pytest

import minigrad
from minigrad import backend


def run_python(code, **env):
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, **env}, timeout=120)
    return result


def test_import_is_light_and_compiles_nothing():
    out = run_python(
        "import sys, minigrad, minigrad.functional\n"
        "heavy = ('cupy', 'numba', 'matplotlib', 'tqdm', 'scipy', 'torch', "
        "'minigrad_kernels.matmul')\n"
        "print(sorted(m for m in sys.modules if m.startswith(heavy)))")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_cuda_unavailable_says_why():
    available, reason = minigrad.cuda.status()
    if available:
        pytest.skip("a CUDA device is present")
    assert not minigrad.cuda.is_available()
    assert reason and ("CuPy" in reason)
    with pytest.raises(minigrad.CudaUnavailableError, match="device 'cuda' is unavailable: "):
        minigrad.tensor([1.0], device="cuda")
    x = minigrad.tensor([1.0], requires_grad=True)
    with pytest.raises(minigrad.CudaUnavailableError):
        x.to("cuda")


class FakeCudaArray:
    """Looks like a CuPy array to ``device_of`` (no CuPy needed): for device-mismatch tests."""
    __module__ = "cupy._core.core"

    def __init__(self, shape):
        self.shape, self.dtype, self.ndim, self.size = shape, np.dtype("float32"), len(shape), 1


def test_mixing_devices_is_refused_before_any_work():
    cpu = minigrad.tensor([1.0, 2.0], requires_grad=True)
    gpu = minigrad.Tensor._wrap(FakeCudaArray((2,)))
    assert gpu.device == "cuda"
    with pytest.raises(RuntimeError, match=r"Add: expected all inputs on one device, got "
                                           r"\(2,\) on cpu, \(2,\) on cuda"):
        cpu + gpu
    with pytest.raises(RuntimeError, match="MatMul: expected all inputs on one device"):
        cpu @ gpu


def test_registry_lists_the_reference_kernels():
    assert ("matmul", "cpu", "numpy") in backend.available_kernels()
    assert backend.selected_kernel("matmul", "cpu") == "numpy"
    assert backend.kernel("matmul", "cpu")(np.eye(2), np.ones((2, 1))).shape == (2, 1)


def test_unknown_choices_list_what_exists():
    with pytest.raises(backend.KernelNotFoundError,
                       match=r"no implementation 'nonexistent'.*\('cpu', 'numpy'\)"):
        with backend.use_kernels(matmul="nonexistent"):
            pass
    with pytest.raises(backend.KernelNotFoundError, match="no kernel for op 'fft'"):
        backend.kernel("fft", "cpu")


@pytest.fixture
def counting_matmul():
    calls = []

    def matmul_counting(a, b):
        calls.append((a.shape, b.shape))
        return np.matmul(a, b)

    backend.register_kernel("matmul", "cpu", "counting", matmul_counting)
    yield calls
    backend.unregister_kernel("matmul", "cpu", "counting")


def test_use_kernels_switches_forward_and_backward_and_restores(counting_matmul):
    a = minigrad.tensor(np.ones((2, 3)), requires_grad=True)
    b = minigrad.tensor(np.ones((3, 4)), requires_grad=True)
    with minigrad.use_kernels(matmul="counting"):
        assert backend.selected_kernel("matmul", "cpu") == "counting"
        (a @ b).sum().backward()
    assert counting_matmul == [((2, 3), (3, 4)), ((2, 4), (4, 3)), ((3, 2), (2, 4))]
    assert backend.selected_kernel("matmul", "cpu") == "numpy"
    (a @ b).sum().backward()
    assert len(counting_matmul) == 3


def test_environment_variable_picks_kernels_once():
    ok = run_python("import minigrad.backend as b; print(b.selected_kernel('matmul', 'cpu'))",
                    MINIGRAD_KERNELS="matmul:cpu=numpy")
    assert ok.returncode == 0 and ok.stdout.strip() == "numpy", ok.stderr
    bad = run_python("import minigrad; minigrad.ones(2, 2) @ minigrad.ones(2, 2)",
                     MINIGRAD_KERNELS="matmul=blas9000")
    assert bad.returncode != 0
    assert "MINIGRAD_KERNELS: op 'matmul' has no implementation 'blas9000'" in bad.stderr
    malformed = run_python("import minigrad; minigrad.ones(2, 2) @ minigrad.ones(2, 2)",
                           MINIGRAD_KERNELS="matmul")
    assert "expected 'op=impl' or 'op:device=impl', got 'matmul'" in malformed.stderr


def test_device_names():
    assert backend.normalize_device("CPU") == "cpu"
    assert backend.normalize_device("cuda:0") == "cuda"
    with pytest.raises(ValueError, match="expected 'cpu' or 'cuda'"):
        backend.normalize_device("cuda:1")


_FAULTS_PER_ALLOCATION = """
import os, resource, sys, numpy as np
if sys.argv[1:] == ["default"]:
    os.environ.pop("MINIGRAD_MALLOC_TUNING", None)
import minigrad
if sys.argv[1:] == ["call"]:
    assert minigrad.backend.keep_freed_cpu_memory()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(3):
    np.ones(12 * 2**20, np.float32)          # 48 MB: above glibc's largest dynamic threshold
before = faults()
for _ in range(5):
    np.ones(12 * 2**20, np.float32)
print((faults() - before) / 5)
"""


@pytest.mark.skipif(not (sys.platform.startswith("linux")
                         and platform.libc_ver()[0] == "glibc"), reason="glibc malloc only")
def test_malloc_reuses_freed_arrays_only_when_asked():
    def faults_per_allocation(mode, **env):
        out = subprocess.run([sys.executable, "-c", _FAULTS_PER_ALLOCATION, mode],
                             capture_output=True, text=True, env={**os.environ, **env},
                             timeout=120)
        assert out.returncode == 0, out.stderr
        return float(out.stdout)
    assert faults_per_allocation("default") > 100          # import leaves glibc's malloc alone
    assert faults_per_allocation("none", MINIGRAD_MALLOC_TUNING="1") < 5   # reused: no new pages
    assert faults_per_allocation("call") < 5
