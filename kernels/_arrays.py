"""Array-module helpers shared by the CuPy and CUDA implementations.

A GPU implementation takes device arrays and returns arrays of the same kind: CuPy arrays
in, CuPy arrays out; NumPy arrays in (the CUDA simulator, the tests' CPU stand-in for the
device, whose arrays are a NumPy subclass), arrays of the input's own type out.  CuPy is
never imported here unless a CuPy array was given, so this module costs nothing on a CPU.
"""
import sys

import numpy as np

from . import host_cache


def is_cupy(array):
    return type(array).__module__.split(".")[0] == "cupy"


def array_module(array):
    """``cupy`` for a CuPy array, else ``numpy`` (whose functions keep a NumPy subclass
    through ``__array_function__``)."""
    return sys.modules["cupy"] if is_cupy(array) else np


def empty(like, shape, dtype=None):
    """An uninitialised array of ``shape`` on ``like``'s device, of ``like``'s array type
    (a plain NumPy array comes from the host cache, see ``host_cache``)."""
    dtype = like.dtype if dtype is None else dtype
    if is_cupy(like):
        return sys.modules["cupy"].empty(shape, dtype=dtype)
    if type(like) is np.ndarray:
        return host_cache.empty(shape, dtype)
    return np.empty_like(like, shape=shape, dtype=dtype, order="C")


def zeros(like, shape, dtype=None):
    out = empty(like, shape, dtype)
    out.fill(0)
    return out


def from_host(host, like):
    """A host (NumPy) array as an array of ``like``'s kind: copied to the GPU for CuPy,
    viewed as ``like``'s NumPy subclass otherwise."""
    if is_cupy(like):
        return sys.modules["cupy"].asarray(host)
    return host if type(like) is np.ndarray else host.view(type(like))


def arange(like, n):
    """0, 1, …, n − 1 (intp) on ``like``'s device."""
    if is_cupy(like):
        return sys.modules["cupy"].arange(n)
    return from_host(np.arange(n), like)
