"""Every Numba CUDA kernel compiles to PTX for a real GPU (sm_90), with no GPU and no driver.

``numba.cuda.compile_ptx`` runs NVVM (from the ``cuda-toolkit[nvvm]`` wheels of the test
extra).  This catches what the simulator accepts but the CUDA compiler rejects (unsupported
Python, untyped constructs), and silent float64 promotion in float32 kernels: a float32
kernel's PTX must contain no ``.f64`` instruction (a bare ``-math.inf`` or ``0.5`` constant
would bring one in).

Runs in the ordinary test process (the simulator has no compiler).  Where numba-cuda or
NVVM is missing the tests skip with the reason — except in CI, where they must run.
"""
import importlib
import os

import pytest

import minigrad_kernels
from minigrad import backend

if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
    pytest.skip("the CUDA simulator cannot compile PTX: run without NUMBA_ENABLE_CUDASIM",
                allow_module_level=True)

CC = (9, 0)
MODULES = sorted({module for _, _, impl, module, _ in minigrad_kernels.KERNELS
                  if impl == "numba_cuda"})


def _unavailable(reason):
    if os.environ.get("CI"):
        pytest.fail(f"the PTX check must run in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def compile_ptx():
    try:
        from numba import cuda
    except ImportError as exc:
        _unavailable(f"numba-cuda is not installed ({exc}); pip install -e '.[test]'")

    @cuda.jit
    def probe(x):
        x[0] = 1.0
    try:
        cuda.compile_ptx(probe.py_func, "void(float32[::1])", cc=CC)
    except Exception as exc:   # NVVM not found, or too old for this compute capability
        _unavailable(f"numba.cuda.compile_ptx cannot run here: {type(exc).__name__}: "
                     f"{str(exc).strip()[:300]} (the cuda-toolkit[nvvm] wheels provide NVVM)")

    def compile(kernel, argtypes):
        ptx, _ = cuda.compile_ptx(kernel.py_func, argtypes, cc=CC)
        return ptx
    return compile


def _cases():
    for module in MODULES:
        for dtype in ("float32", "float64"):
            yield pytest.param(module, dtype, id=f"{module.rsplit('.', 1)[1]}-{dtype}")


def test_every_cuda_kernel_module_lists_its_kernels():
    assert MODULES, "no numba_cuda kernels registered"
    for module in MODULES:
        mod = importlib.import_module(module)
        assert callable(getattr(mod, "kernel_signatures", None)), \
            f"{module} must define kernel_signatures(dtype) for the PTX check"


@pytest.mark.parametrize("module, dtype", list(_cases()))
def test_kernels_compile_to_ptx_for_sm90(module, dtype, compile_ptx):
    signatures = importlib.import_module(module).kernel_signatures(dtype)
    assert signatures
    for name, kernel, argtypes in signatures:
        ptx = compile_ptx(kernel, argtypes)
        assert ".target sm_90" in ptx and ".entry" in ptx, name
        if dtype == "float32":
            f64 = [line.strip() for line in ptx.splitlines() if ".f64" in line]
            assert not f64, f"{module}.{name}: float64 instructions in a float32 kernel: " \
                            f"{f64[:5]}"
        else:
            assert ".f64" in ptx, f"{module}.{name}: a float64 kernel without float64 math?"


def test_kernel_registry_entries_import_without_a_gpu():
    """Importing the numba_cuda modules (as the registry does on first use) works here."""
    for op, _, impl in backend.available_kernels(device="cuda"):
        if impl == "numba_cuda":
            with backend.use_kernels("cuda", **{op: impl}):
                assert callable(backend.kernel(op, "cuda"))


def test_the_float64_check_catches_a_bare_python_constant(compile_ptx):
    """The check above can fail: -math.inf is a Python float, so max() with it is float64."""
    import math

    from numba import cuda, types

    @cuda.jit
    def promoting(x):
        x[0] = max(x[0], -math.inf)
    ptx = compile_ptx(promoting, (types.Array(types.float32, 1, "C"),))
    assert ".f64" in ptx
