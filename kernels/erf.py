"""The error function, elementwise (needed by the exact GELU).

Contract (every implementation):  erf(x) -> y,  y = 2/√π ∫₀ˣ e^(−t²) dt,  same shape and dtype.
"""
import math

import numpy as np

_erf_ufunc = np.frompyfunc(math.erf, 1, 1)


def erf_numpy(x):
    """Reference: the C library's erf per element (exact to double precision; ~50 ns/element)."""
    x = np.asarray(x)
    return np.asarray(_erf_ufunc(x), dtype=x.dtype)   # frompyfunc gives objects (or a float)
