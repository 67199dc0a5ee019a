"""How many threads minigrad's CPU compute uses: PyTorch's ``torch.set_num_threads`` and
``torch.get_num_threads``.

On the CPU, minigrad's only multi-threaded code is the BLAS library under NumPy (OpenBLAS
in NumPy's wheels; MKL, BLIS or FlexiBLAS elsewhere): every matmul, linear layer,
convolution (as im2col + GEMM) and attention product is a BLAS call.  The Numba kernels are
serial on purpose (``minigrad_kernels.DEFAULTS`` says why) and the rest is NumPy, which
runs in the calling thread.  So the number of threads is the BLAS library's, which by
default is one per core.

Why set it: on a machine whose cores are shared with other jobs (or with a second process
of your own), OpenBLAS's worker threads spin while they wait for cores they do not get, and
small matrices gain nothing from a second thread anyway: notebook 10 measured its training
6x slower with two threads than with one on a busy 2-core machine.  ``set_num_threads(1)``
does from inside the program what ``OPENBLAS_NUM_THREADS=1`` does only if it is in the
environment before NumPy is imported (notebooks 10 and 11 call it first thing).

How it is done: through threadpoolctl (a dependency of minigrad; imported when these are
first called), which finds every BLAS library loaded in the process (OpenBLAS, MKL, BLIS,
FlexiBLAS) and calls its own thread-count function.  Where none can be controlled (Apple's
Accelerate, NumPy's BLAS in the macOS arm64 wheels, has no such function) both functions
raise a RuntimeError saying so.

Numba: if Numba's parallel thread pool is already running in this process (your own
``parallel=True`` code has run, or ``numba.get_num_threads()`` was called), its count is set
too, capped at ``NUMBA_NUM_THREADS``.  It is not started for this: minigrad's kernels never
use it, and starting it launches a thread per core.  ``import minigrad`` imports neither
Numba nor threadpoolctl, and this module does not either until it is called.

There is no ``set_num_interop_threads``: PyTorch's inter-op pool runs independent ops of a
graph at the same time, and minigrad runs ops one after another, in Python, in the
calling thread.  The environment variables OpenBLAS reads at start-up
(``OPENBLAS_NUM_THREADS``, ``OPENBLAS_CORETYPE``, ...) are neither read nor changed here.
"""
import sys

from ._check import check_int

__all__ = ["set_num_threads", "get_num_threads"]


def set_num_threads(n):
    """Use at most ``n`` threads for minigrad's CPU compute: the BLAS library under NumPy
    (every matmul, linear layer, convolution GEMM), and Numba's parallel pool if it is
    already running.  ``n`` is an int ≥ 1; a bad ``n`` raises and changes nothing.

    For the whole process, as in PyTorch (MKL's and Numba's counts are the calling
    thread's: their rule).  The BLAS may cap ``n`` at the thread count it was built for (64
    in NumPy's wheels): :func:`get_num_threads` returns what it accepted::

        minigrad.set_num_threads(1)     # a shared or busy machine: no spinning BLAS threads
    """
    n = check_int("set_num_threads", "n", n, low=1)
    libraries = _blas("set_num_threads")
    before = [lib.get_num_threads() for lib in libraries]
    for lib in libraries:
        lib.set_num_threads(n)
    refused = [(lib.internal_api, count) for lib in libraries
               if (count := _count(lib)) > n]
    if refused:
        for lib, count in zip(libraries, before):     # put back what was there
            lib.set_num_threads(count)
        raise RuntimeError(
            f"set_num_threads: the BLAS did not take {n} thread(s): "
            + ", ".join(f"{name} still uses {count}" for name, count in refused)
            + " (OpenBLAS's count can be changed only from the thread that changed it "
              "first: call set_num_threads from that thread, usually the main one)")
    numba = _running_numba()
    if numba is not None:
        numba.set_num_threads(min(n, numba.config.NUMBA_NUM_THREADS))


def get_num_threads():
    """The number of threads a BLAS call of minigrad's may use now: the BLAS library's
    thread count (the largest, if several BLAS libraries are loaded).  By default one per
    core, or ``OPENBLAS_NUM_THREADS`` if it was set when NumPy was imported; after
    ``set_num_threads(n)``, ``n`` (or the BLAS's cap, if lower)."""
    return max(_count(lib) for lib in _blas("get_num_threads"))


def _blas(who):
    """threadpoolctl's controllers of the BLAS libraries loaded in this process."""
    import threadpoolctl

    libraries = threadpoolctl.ThreadpoolController().select(user_api="blas").lib_controllers
    if not libraries:
        raise RuntimeError(f"{who}: found no BLAS library whose thread count can be set "
                           f"(NumPy's BLAS: {_numpy_blas_name()}); set OPENBLAS_NUM_THREADS"
                           f" / MKL_NUM_THREADS / VECLIB_MAXIMUM_THREADS before starting "
                           f"Python instead")
    return libraries


def _count(lib):
    """A library's thread count as an int ≥ 1 (BLIS reports -1, or None, when never set:
    1 thread)."""
    count = lib.get_num_threads()
    return count if isinstance(count, int) and count >= 1 else 1


def _numpy_blas_name():
    try:
        import numpy
        return numpy.__config__.CONFIG["Build Dependencies"]["blas"]["name"]
    except Exception:          # an old NumPy without CONFIG, or another layout of it
        return "unknown"


def _running_numba():
    """The numba module if its parallel thread pool is running, else None (never imports
    or starts anything)."""
    numba = sys.modules.get("numba")
    parallel = sys.modules.get("numba.np.ufunc.parallel")
    if numba is None or parallel is None or not getattr(parallel, "_is_initialized", False):
        return None
    return numba
