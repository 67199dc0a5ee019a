"""The error function, elementwise (needed by the exact GELU).

Contract (every implementation):  erf(x) -> y,  y = 2/√π ∫₀ˣ e^(−t²) dt,  same shape and dtype.
"""
import math

import numpy as np

from ._arrays import from_host, is_cupy

_erf_ufunc = np.frompyfunc(math.erf, 1, 1)


def erf_numpy(x):
    """Reference: the C library's erf per element (exact to double precision; ~50 ns/element)."""
    x = np.asarray(x)
    return np.asarray(_erf_ufunc(x), dtype=x.dtype)   # frompyfunc gives objects (or a float)


def erf_cupy(x):
    """CuPy: ``cupyx.scipy.special.erf`` (an elementwise kernel).  Given NumPy arrays
    (the tests' CPU stand-in for the device) it computes the reference."""
    if is_cupy(x):
        import cupyx.scipy.special   # only reached with a CuPy array, so CuPy is installed
        return cupyx.scipy.special.erf(x)
    return from_host(erf_numpy(x.view(np.ndarray)), x)
