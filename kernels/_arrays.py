"""Array-module helpers shared by the kernels (allocation is ``memory.empty``).

A kernel takes arrays of one kind and returns arrays of that kind: CuPy arrays in, CuPy
arrays out; NumPy arrays in (the CUDA simulator, the tests' CPU stand-in for the device,
whose arrays are a NumPy subclass), arrays of the input's own type out.  CuPy is never
imported here unless a CuPy array was given, so this module costs nothing on a CPU.
"""
import functools
import sys

import numpy as np


def is_cupy(array):
    return type(array).__module__.split(".")[0] == "cupy"


def array_module(array):
    """``cupy`` for a CuPy array, else ``numpy`` (whose functions keep a NumPy subclass
    through ``__array_function__``)."""
    if type(array) is np.ndarray:       # the common case, without the module-name test
        return np
    return sys.modules["cupy"] if is_cupy(array) else np


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


def half_via_single(keep=()):
    """For a compiled kernel that has no float16 arithmetic (Numba has none): float16 array
    arguments are computed in float32 and the float outputs are returned as float16, except
    the outputs at positions ``keep`` (auxiliary results such as attention's log-sum-exp,
    which keep float32's precision for the backward).  Any other dtype passes through."""
    def wrap(kernel):
        def single(a):
            return a.astype(np.float32) if getattr(a, "dtype", None) == np.float16 else a

        @functools.wraps(kernel)
        def run(*args, **kwargs):
            if not any(getattr(a, "dtype", None) == np.float16
                       for a in (*args, *kwargs.values())):
                return kernel(*args, **kwargs)
            result = kernel(*map(single, args), **{k: single(v) for k, v in kwargs.items()})
            outputs = result if isinstance(result, tuple) else (result,)
            outputs = tuple(o if i in keep or getattr(o, "dtype", None) != np.float32
                            else o.astype(np.float16) for i, o in enumerate(outputs))
            return outputs if isinstance(result, tuple) else outputs[0]
        return run
    return wrap


def compiled_floats(*arrays):
    """True when every array (None skipped) is a float32 or float64 NumPy ndarray, all of
    one dtype: what the compiled Numba loops take (anything else goes to the reference)."""
    first = next((a for a in arrays if a is not None), None)
    return first is not None and all(
        a is None or (type(a) is np.ndarray and a.dtype == first.dtype) for a in arrays) \
        and first.dtype in (np.float32, np.float64)


def flat(array):
    """``array`` as a 1-D C-ordered array (a view when it already is contiguous): the
    compiled loops index flat arrays."""
    return np.ascontiguousarray(array).reshape(-1)
