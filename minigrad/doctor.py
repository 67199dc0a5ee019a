"""``minigrad.doctor()``: what minigrad runs on, whether CUDA is usable (and why not), and
which kernels each device has.  Also ``python -m minigrad doctor``."""
import importlib.metadata
import os
import platform
import sys

from . import backend

__all__ = ["doctor"]

# distribution name -> what to call it in the report
_PACKAGES = (
    ("numpy", "NumPy"), ("numba", "Numba"), ("numba-cuda", "numba-cuda"),
    ("cupy-cuda12x", "CuPy (CUDA 12 wheel)"), ("cupy-cuda13x", "CuPy (CUDA 13 wheel)"),
    ("cupy", "CuPy (source build)"),
    ("cuda-toolkit", "CUDA toolkit wheels"), ("nvidia-nvvm", "NVVM wheel"),
    ("nvidia-cuda-nvrtc", "NVRTC wheel"),
)


def _version(dist):
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


def _cuda_lines():
    available, reason = backend.cuda_status()
    lines = [f"CUDA usable: {'yes' if available else 'no'}"]
    if not available:
        lines.append(f"  why not: {reason}")
        return lines
    cupy = backend.xp_for("cuda")
    runtime = getattr(getattr(cupy, "cuda", None), "runtime", None)
    if runtime is None:          # a stand-in module (tests)
        lines.append(f"  array module: {getattr(cupy, '__name__', cupy)}")
        return lines

    def cuda_version(v):
        return f"{v // 1000}.{v % 1000 // 10}"
    try:
        lines.append(f"  driver supports CUDA {cuda_version(runtime.driverGetVersion())}, "
                     f"CuPy's runtime is CUDA {cuda_version(runtime.runtimeGetVersion())}")
        for i in range(runtime.getDeviceCount()):
            props = runtime.getDeviceProperties(i)
            name = props["name"].decode() if isinstance(props["name"], bytes) else props["name"]
            lines.append(f"  device {i}: {name}, compute capability "
                         f"{props['major']}.{props['minor']}, "
                         f"{props['totalGlobalMem'] / 2**30:.1f} GiB")
    except Exception as exc:     # a half-working driver: report it, do not fail
        lines.append(f"  (could not query the device: {type(exc).__name__}: {exc})")
    return lines


def _numba_cuda_lines():
    """What numba-cuda sees (imports numba.cuda: the doctor may be slow, never wrong)."""
    if _version("numba-cuda") is None:
        return ["Numba CUDA kernels: numba-cuda is not installed (pip install numba-cuda)"]
    try:
        from numba import cuda
    except Exception as exc:
        return [f"Numba CUDA kernels: numba.cuda does not import: {type(exc).__name__}: {exc}"]
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return ["Numba CUDA kernels: run in the simulator (NUMBA_ENABLE_CUDASIM=1)"]
    try:
        usable = cuda.is_available()
    except Exception as exc:
        usable, exc_text = False, f"{type(exc).__name__}: {exc}"
    else:
        exc_text = "no CUDA driver or device found" if not usable else ""
    line = "Numba CUDA kernels: " + ("can launch" if usable else f"cannot launch ({exc_text})")
    try:   # NVVM compiles kernels (PTX) even without a GPU: the CI check relies on it
        from numba.cuda.cudadrv import nvvm
        version = ".".join(map(str, nvvm.NVVM().get_version()))
        nvvm_text = f"NVVM {version} found (kernels compile to PTX)"
    except Exception as exc:
        nvvm_text = f"NVVM not found: {type(exc).__name__}: {str(exc).strip()[:160]}"
    return [line, f"  {nvvm_text}"]


def _kernel_lines():
    lines = ["kernels (op: device: implementations, * = selected now):"]
    ops = sorted({op for op, _, _ in backend.available_kernels()})
    for op in ops:
        parts = []
        for device in backend.DEVICES:
            impls = [impl for _, _, impl in backend.available_kernels(op, device)]
            if not impls:
                continue
            try:
                chosen = backend.selected_kernel(op, device)
            except LookupError:
                chosen = None
            parts.append(f"{device}: " + ", ".join(i + ("*" if i == chosen else "")
                                                   for i in impls))
        lines.append(f"  {op:<24} " + "   ".join(parts))
    return lines


def doctor(file=sys.stdout):
    """Print a report of versions, CUDA usability (with the reason when it is not usable)
    and the kernels registered per device; returns the report as a string.

    ``file=None`` only returns it.  Never raises because CUDA is missing.
    """
    from . import __version__
    lines = [f"minigrad {__version__} on Python {platform.python_version()} "
             f"({platform.system()} {platform.machine()})"]
    for dist, label in _PACKAGES:
        version = _version(dist)
        if version is not None or dist in ("numpy", "numba", "cupy-cuda12x"):
            lines.append(f"  {label}: {version or 'not installed'}")
    if os.environ.get("MINIGRAD_KERNELS"):
        lines.append(f"  MINIGRAD_KERNELS={os.environ['MINIGRAD_KERNELS']}")
    lines += _cuda_lines()
    lines += _numba_cuda_lines()
    lines += _kernel_lines()
    text = "\n".join(lines)
    if file is not None:
        print(text, file=file)
    return text
