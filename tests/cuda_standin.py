"""A CPU stand-in for the CUDA device, for tests on machines without a GPU.

``StandinArray`` is a NumPy array that minigrad's backend treats as living on ``"cuda"``;
``standin`` is a module-like object with CuPy's surface (``ndarray``, ``asarray``,
``asnumpy``, the array functions) that makes and returns such arrays.  Installed with
``minigrad.backend.use_cuda_module(standin)``, every ``device="cuda"`` code path runs on
NumPy: ``to()``, device checks, state dicts and optimizers across devices, training.

What it catches, like CuPy would: a host array (``numpy.ndarray`` with dimensions) mixed
into a ufunc or array function with a device array — e.g. a mask drawn with ``np.random``
multiplied into a device tensor, ``np.zeros`` used as an accumulator for device data;
results that fall back to host arrays or NumPy scalars (CuPy's reductions return 0-d device
arrays, and so does the stand-in).  What it cannot catch: ``np.asarray(device_array)``
(NumPy unwraps its own subclasses silently, CuPy raises) and anything about performance.
"""
import types

import numpy as np

__all__ = ["StandinArray", "standin", "HostDeviceMixError"]


class HostDeviceMixError(TypeError):
    """A host (NumPy) array was given to an operation on device arrays (CuPy refuses too)."""


def _is_host_array(x):
    return isinstance(x, np.ndarray) and not isinstance(x, StandinArray) and x.ndim > 0


def _flatten(args):
    for a in args:
        if isinstance(a, (list, tuple)):
            yield from _flatten(a)
        else:
            yield a


def _refuse_host(where, args):
    for a in _flatten(args):
        if _is_host_array(a):
            raise HostDeviceMixError(
                f"{where}: a host numpy.ndarray {a.shape} {a.dtype} given with device arrays "
                f"(CuPy refuses this: copy it to the device with xp.asarray first)")


def _unwrap(x):
    if isinstance(x, StandinArray):
        return x.view(np.ndarray)
    if isinstance(x, (list, tuple)):
        return type(x)(_unwrap(a) for a in x)
    if isinstance(x, dict):
        return {k: _unwrap(v) for k, v in x.items()}
    return x


def _wrap(x):
    """Results on the device: arrays become StandinArrays, NumPy scalars 0-d ones (CuPy
    returns 0-d arrays where NumPy returns scalars)."""
    if isinstance(x, StandinArray):
        return x
    if isinstance(x, np.ndarray):
        return x.view(StandinArray)
    if isinstance(x, np.generic):
        return np.asarray(x).view(StandinArray)
    if isinstance(x, (list, tuple)):
        return type(x)(_wrap(a) for a in x)
    return x


class StandinArray(np.ndarray):
    """An ndarray that the backend treats as a ``"cuda"`` array (see the module docstring)."""

    def __array_ufunc__(self, ufunc, method, *inputs, out=None, **kwargs):
        where = f"{ufunc.__name__}.{method}" if method != "__call__" else ufunc.__name__
        _refuse_host(where, inputs + (out or ()))
        if out is not None:
            kwargs["out"] = tuple(_unwrap(o) for o in out)
        result = getattr(ufunc, method)(*_unwrap(inputs), **kwargs)
        if method == "at":
            return None
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(result)

    def __array_function__(self, func, types_, args, kwargs):
        _refuse_host(func.__name__, list(args) + list(kwargs.values()))
        return _wrap(func(*_unwrap(args), **_unwrap(kwargs)))

    def __getitem__(self, index):
        return _wrap(super().__getitem__(_unwrap(index)))

    def __setitem__(self, index, value):
        _refuse_host("__setitem__", [value])
        super().__setitem__(_unwrap(index), _unwrap(value))

    # methods implemented in C that return NumPy scalars or plain arrays
    def argmax(self, *args, **kwargs):
        return _wrap(self.view(np.ndarray).argmax(*args, **kwargs))

    def argmin(self, *args, **kwargs):
        return _wrap(self.view(np.ndarray).argmin(*args, **kwargs))

    def nonzero(self):
        return _wrap(self.view(np.ndarray).nonzero())

    def get(self):
        """A host copy (CuPy's ``ndarray.get``)."""
        return np.array(self.view(np.ndarray), copy=True)


class _Ufunc:
    """A ufunc of the stand-in module: host arrays refused, results on the device; its
    methods (``at``, ``reduce``...) dispatch to StandinArray.__array_ufunc__."""

    def __init__(self, ufunc):
        self._ufunc = ufunc

    def __call__(self, *args, **kwargs):
        _refuse_host(self._ufunc.__name__, list(args) + list(kwargs.values()))
        return _wrap(self._ufunc(*(_device(a) for a in args), **kwargs))

    def __getattr__(self, name):
        return getattr(self._ufunc, name)


def _device(x):
    return x.view(StandinArray) if isinstance(x, np.ndarray) else x


def _copy_to_device(a, dtype=None, **kwargs):
    """cupy.asarray / cupy.array: a host or device array (or Python data) copied in."""
    return np.array(_unwrap(a), dtype=dtype, **kwargs).view(StandinArray)


class _StandinModule(types.ModuleType):
    """CuPy's surface over NumPy: creation functions return StandinArrays, functions given
    host arrays refuse them."""

    ndarray = StandinArray

    def __init__(self):
        super().__init__("minigrad_cuda_standin",
                         "A CPU stand-in for CuPy (tests/cuda_standin.py)")
        self.__version__ = f"stand-in on NumPy {np.__version__}"

    @staticmethod
    def asarray(a, dtype=None, order=None):
        if isinstance(a, StandinArray) and (dtype is None or a.dtype == dtype):
            return a
        return _copy_to_device(a, dtype=dtype, order=order)

    @staticmethod
    def array(a, dtype=None, copy=True, order="K", ndmin=0):
        if not copy and isinstance(a, StandinArray) and (dtype is None or a.dtype == dtype):
            return a
        return _copy_to_device(a, dtype=dtype, order=order, ndmin=ndmin)

    @staticmethod
    def asnumpy(a):
        return a.get() if isinstance(a, StandinArray) else np.asarray(a)

    @staticmethod
    def get_array_module(*arrays):
        return standin if any(isinstance(a, StandinArray) for a in arrays) else np

    def __getattr__(self, name):
        attr = getattr(np, name)
        if isinstance(attr, types.ModuleType):
            raise AttributeError(f"the CUDA stand-in has no submodule {name!r}")
        if isinstance(attr, np.ufunc):
            return _Ufunc(attr)
        if isinstance(attr, type) or not callable(attr):
            return attr            # dtypes, constants, errstate...

        def device_function(*args, **kwargs):
            _refuse_host(name, list(args) + list(kwargs.values()))
            return _wrap(attr(*_unwrap(args), **_unwrap(kwargs)))
        device_function.__name__ = name
        return device_function


standin = _StandinModule()
