"""The error function, elementwise (needed by the exact GELU).

Contract (every implementation):  erf(x) -> y,  y = 2/√π ∫₀ˣ e^(−t²) dt,  same shape and dtype.
"""
import math

import numba
import numpy as np

from ._arrays import from_host, is_cupy
from .memory import empty

_erf_ufunc = np.frompyfunc(math.erf, 1, 1)


def erf_numpy(x):
    """Reference: the C library's erf per element (exact to double precision; ~50 ns/element)."""
    x = np.asarray(x)
    return np.asarray(_erf_ufunc(x), dtype=x.dtype)   # frompyfunc gives objects (or a float)


@numba.njit(cache=True)
def _erf_loop(x, y):
    for i in range(x.size):
        y[i] = math.erf(x[i])


def erf_numba(x):
    """The same libm erf in a compiled loop (~10 ns/element instead of ~50: no Python
    object per element); float32/float64 NumPy arrays, the reference otherwise."""
    if type(x) is not np.ndarray or x.dtype not in (np.float32, np.float64) or x.ndim == 0:
        return erf_numpy(x)
    y = empty(x.shape, x.dtype)
    _erf_loop(np.ascontiguousarray(x).reshape(-1), y.reshape(-1))
    return y


def erf_cupy(x):
    """CuPy: ``cupyx.scipy.special.erf`` (an elementwise kernel).  Given NumPy arrays
    (the tests' CPU stand-in for the device) it computes the reference."""
    if is_cupy(x):
        import cupyx.scipy.special   # only reached with a CuPy array, so CuPy is installed
        return cupyx.scipy.special.erf(x)
    return from_host(erf_numpy(x.view(np.ndarray)), x)
