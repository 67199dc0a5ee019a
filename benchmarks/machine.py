"""The machine: what it is (CPU, BLAS kernel, GPU, versions) and its limits, measured now.

Limits, measured in the same run as the kernels so that load and clock drift weigh on both:

* peak GEMM: float32 ``matmul`` of two n×n matrices, 2n³ flops, best of several calls, for
  each available BLAS (NumPy's; PyTorch's when installed; cuBLAS through CuPy / PyTorch on a
  GPU).  The best of them is the peak a row is compared with.
* memory bandwidth: a large copy ``dst[...] = src`` (bytes read + bytes written, as STREAM's
  Copy counts them; a write-allocate cache moves one more read that is not counted), best of
  several.  Arrays are far larger than any cache.
"""
import os
import platform
import sys
import time

import numpy as np

OPENBLAS_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")


def reexec_without_openblas_env(module, argv, environ=os.environ, execve=os.execve):
    """Replace this process by ``python -m module *argv`` with both OpenBLAS variables unset
    (OpenBLAS reads them once, when it is loaded: they cannot be changed in a running
    process; worker processes inherit the environment).  Nothing happens when neither is
    set.  ``openblas_env()`` then says the benchmark unset them."""
    if not any(v in environ for v in OPENBLAS_VARS):
        return
    env = {k: v for k, v in environ.items() if k not in OPENBLAS_VARS}
    env["MINIGRAD_BENCH_UNSET_OPENBLAS"] = "1"     # so that the report can say so
    sys.stdout.flush()
    execve(sys.executable, [sys.executable, "-m", module] + list(argv), env)


def openblas_env():
    """The OpenBLAS variables of this process, and whether a benchmark unset them."""
    return {"OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
            "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
            "openblas_env_unset_by_harness":
                os.environ.get("MINIGRAD_BENCH_UNSET_OPENBLAS") == "1"}


PEAK_SIZES = {"tiny": (256, 8 * 2**20), "quick": (1024, 128 * 2**20),
              "full": (2048, 256 * 2**20)}      # (GEMM n, bytes copied) per level


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def blas_info():
    """Every BLAS loaded in this process, as threadpoolctl reports it (the ``architecture``
    field is the kernel OpenBLAS chose at load time, e.g. Haswell or SkylakeX)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "threadpoolctl is not installed (pip install minigrad[bench]): BLAS unknown"
    keys = ("internal_api", "version", "architecture", "threading_layer", "num_threads",
            "prefix", "filepath")
    return [{k: lib.get(k) for k in keys} for lib in threadpool_info()
            if lib.get("user_api") == "blas"]


def blas_summary(info):
    """One line: which BLAS, which kernel, how many threads."""
    if isinstance(info, str):
        return info
    if not info:
        return "no BLAS library found by threadpoolctl"
    return "; ".join(f"{lib['internal_api']} {lib['version']} kernel={lib['architecture']} "
                     f"threads={lib['num_threads']} ({os.path.basename(lib['filepath'])})"
                     for lib in info)


def versions():
    """Versions of the packages that matter, read from their metadata (nothing imported)."""
    from importlib import metadata
    found = {"python": sys.version.split()[0], "numpy": np.__version__}
    for name, dists in (("numba", ["numba"]), ("numba_cuda", ["numba-cuda"]),
                        ("torch", ["torch"]),
                        ("cupy", ["cupy", "cupy-cuda12x", "cupy-cuda13x", "cupy-cuda11x"]),
                        ("threadpoolctl", ["threadpoolctl"]), ("matplotlib", ["matplotlib"]),
                        ("minigrad", ["minigrad"])):
        found[name] = None
        for dist in dists:
            try:
                found[name] = metadata.version(dist)
                break
            except metadata.PackageNotFoundError:
                continue
    return found


def machine_info(threads):
    info = {"cpu": cpu_model(), "cpu_count": os.cpu_count(),
            "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
            else os.cpu_count(),
            "threads": threads, "platform": platform.platform(),
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
            **openblas_env(), "blas": blas_info(), "versions": versions()}
    torch = sys.modules.get("torch")       # only when the run compares with PyTorch
    if torch is not None:
        info["torch_threads"] = torch.get_num_threads()
        info["torch_blas"] = ("MKL" if torch.backends.mkl.is_available() else
                              "not MKL (see torch.__config__.show())")
    return info


def _best_rate(run, work, repeats, min_time=0.2):
    """Highest work/second over ``repeats`` calls (at least ``min_time`` seconds in all)."""
    best, spent, count = 0.0, 0.0, 0
    while count < repeats or spent < min_time:
        t = run()
        spent, count = spent + t, count + 1
        best = max(best, work / t)
        if count >= 50:
            break
    return best


def _host_timer(fn):
    def run():
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    return run


def cpu_peaks(level, torch=None):
    """``{"gemm_gflops": {...per BLAS, "best": ...}, "copy_gbps": ...}`` on the host."""
    n, nbytes = PEAK_SIZES[level]
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((n, n), dtype=np.float32) for _ in range(2))
    out = np.empty((n, n), np.float32)
    flops, repeats = 2.0 * n**3, 3 if level == "tiny" else 7
    # best of at least half a second: on a shared machine the quiet moments are what count
    min_time = 0.0 if level == "tiny" else 0.5
    np.matmul(a, b, out=out)
    gemm = {"numpy": _best_rate(_host_timer(lambda: np.matmul(a, b, out=out)), flops,
                                repeats, min_time) / 1e9}
    if torch is not None:
        ta, tb, tout = torch.from_numpy(a), torch.from_numpy(b), torch.from_numpy(out)
        torch.matmul(ta, tb, out=tout)
        gemm["pytorch"] = _best_rate(_host_timer(lambda: torch.matmul(ta, tb, out=tout)),
                                     flops, repeats, min_time) / 1e9
    gemm["best"] = max(gemm.values())
    src = np.ones(nbytes // 4, np.float32)
    dst = np.empty_like(src)
    dst[...] = src
    copy = _best_rate(_host_timer(lambda: np.copyto(dst, src)), 2.0 * nbytes, repeats,
                      min_time) / 1e9
    return {"gemm_n": n, "gemm_gflops": gemm, "copy_bytes": nbytes, "copy_gbps": copy}


def best_of(earlier, later):
    """Two measurements of the same limits merged: the higher of each figure, both kept."""
    if earlier is None:
        return dict(later, measurements=[dict(later)])
    if later["gemm_gflops"].get("best") is None:       # the simulator measures nothing
        return earlier
    merged = dict(later, measurements=earlier["measurements"] + [dict(later)])
    merged["gemm_gflops"] = {k: max(v, earlier["gemm_gflops"].get(k) or 0)
                             for k, v in later["gemm_gflops"].items()}
    merged["copy_gbps"] = max(later["copy_gbps"], earlier["copy_gbps"])
    return merged


def gpu_peaks(device, level, torch=None):
    """The same limits on the GPU: cuBLAS through CuPy (and PyTorch), a device copy."""
    if device.simulated:
        return {"note": "simulator: no limit to measure", "gemm_gflops": {"best": None},
                "copy_gbps": None}
    cupy = device.cupy
    n = {"tiny": 512, "quick": 4096, "full": 8192}[level]
    nbytes = {"tiny": 64 * 2**20, "quick": 1 * 2**30, "full": 2 * 2**30}[level]
    a = cupy.random.standard_normal((n, n), dtype=cupy.float32)
    b = cupy.random.standard_normal((n, n), dtype=cupy.float32)
    out = cupy.empty((n, n), cupy.float32)
    flops = 2.0 * n**3
    cupy.matmul(a, b, out=out)
    gemm = {"cupy": _best_rate(lambda: device.elapsed(lambda: cupy.matmul(a, b, out=out)),
                               flops, 10) / 1e9}
    if torch is not None and torch.cuda.is_available():
        ta, tb, tout = (torch.as_tensor(x, device="cuda") for x in (a, b, out))
        torch.matmul(ta, tb, out=tout)
        gemm["pytorch"] = _best_rate(
            lambda: device.elapsed(lambda: torch.matmul(ta, tb, out=tout)), flops, 10) / 1e9
    gemm["best"] = max(gemm.values())
    src = cupy.ones(nbytes // 4, cupy.float32)
    dst = cupy.empty_like(src)
    dst[...] = src
    copy = _best_rate(lambda: device.elapsed(lambda: cupy.copyto(dst, src)), 2.0 * nbytes,
                      10) / 1e9
    return {"gemm_n": n, "gemm_gflops": gemm, "copy_bytes": nbytes, "copy_gbps": copy}
