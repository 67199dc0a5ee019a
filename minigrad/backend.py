"""Devices, array modules and the kernel registry.

This is the only module of minigrad that may import CuPy (lazily, on first use of
``device="cuda"``): ``import minigrad`` works on a machine without a GPU or CuPy.

Devices are the strings ``"cpu"`` (NumPy arrays) and ``"cuda"`` (CuPy arrays).  An array's
device is read off its type; nothing here copies between devices unless asked to
(:func:`to_device`).

Kernel registry: ``kernel(op, device)`` returns the function that computes ``op`` on
``device``.  The implementations are listed in ``minigrad_kernels.KERNELS`` and imported on
first use.  Which one runs is, in order of precedence:

1. a :func:`use_kernels` context (``with use_kernels(matmul="numpy"): ...``),
2. the environment variable ``MINIGRAD_KERNELS`` (``"matmul=numpy,erf:cpu=numpy"``),
   read once, the first time a kernel is looked up,
3. the device's default, ``minigrad_kernels.DEFAULTS``.

CPU memory: the kernels allocate from one allocator, ``minigrad_kernels.memory``, whose
host cache lets a training step reuse the memory the previous one freed; the user's knobs
are re-exported here (:func:`cpu_cache_info`, :func:`empty_cpu_cache`,
:func:`set_cpu_cache_limit`, ``MINIGRAD_CPU_CACHE_MB``; and, opt-in and process-wide on
glibc, :func:`keep_freed_cpu_memory` or ``MINIGRAD_MALLOC_TUNING=1``).  :func:`empty` is
the engine's one way to allocate.
"""
import builtins
import contextlib
import contextvars
import importlib
import os

import numpy as np

import minigrad_kernels
from minigrad_kernels import memory
from minigrad_kernels.memory import (cpu_cache_info, empty_cpu_cache, keep_freed_cpu_memory,
                                     set_cpu_cache_limit)

class device(str):
    """A device, PyTorch's ``torch.device``: ``device("cpu")``, ``device("cuda")``,
    ``device("cuda", 0)`` or ``device("cuda:0")`` (minigrad uses one GPU, index 0).

    It is the string ``"cpu"`` or ``"cuda"`` too, so ``t.device == "cpu"`` and
    ``t.device == minigrad.device("cpu")`` both hold, and its repr is the string's;
    ``.type`` and ``.index`` are PyTorch's attributes."""

    def __new__(cls, type, index=None):
        if isinstance(type, device) and index is None:
            return type
        if not isinstance(type, str):
            raise TypeError(f"device: expected a device name such as 'cpu' or 'cuda', got "
                            f"{type!r:.80} ({builtins.type(type).__name__})")
        name = type.lower() if index is None else f"{type.lower()}:{index}"
        if name in ("cuda:0",):
            name = "cuda"
        if name not in ("cpu", "cuda"):
            raise ValueError(f"unknown device {name!r}: expected 'cpu' or 'cuda' (minigrad "
                             f"uses one GPU: 'cuda' or 'cuda:0')")
        obj = super().__new__(cls, name)
        obj.type, obj.index = name, (0 if name == "cuda" else None)
        return obj

    # repr stays the string's ('cpu'), not torch's device(type='cpu'): messages, lists of
    # (device, impl) pairs and dict keys read as before

    def __reduce__(self):
        return device, (str(self),)


CPU = device("cpu")
CUDA = device("cuda")
DEVICES = (CPU, CUDA)

__all__ = [
    "device", "CPU", "CUDA", "DEVICES", "set_default_device", "get_default_device",
    "CudaUnavailableError", "KernelNotFoundError",
    "normalize_device", "device_of", "array_module", "xp_for", "to_device",
    "cuda_status", "is_cuda_available", "use_cuda_module",
    "kernel", "available_kernels", "selected_kernel", "use_kernels",
    "register_kernel", "unregister_kernel", "keep_freed_cpu_memory",
    "set_cpu_cache_limit", "empty_cpu_cache", "cpu_cache_info", "empty",
]


class CudaUnavailableError(RuntimeError):
    """``device="cuda"`` was asked for but CUDA cannot be used here (the message says why)."""


class KernelNotFoundError(LookupError):
    """No implementation of the op is registered under that name for that device."""


def empty(device, shape, dtype):
    """An uninitialised array on ``device``; large CPU arrays come from the host cache."""
    if normalize_device(device) == CPU:
        return memory.empty(shape, dtype)
    return xp_for(device).empty(shape, dtype=dtype)


# ---------------------------------------------------------------------------------------
# devices and array modules

def normalize_device(device):
    """Return ``"cpu"`` or ``"cuda"`` for a device name (``"cuda:0"`` is accepted as ``"cuda"``)."""
    if device is None:
        return CPU
    name = str(device).lower()
    if name == "cuda:0":
        name = CUDA
    if name not in DEVICES:
        raise ValueError(f"unknown device {str(device)!r}: expected 'cpu' or 'cuda'")
    return CPU if name == CPU else CUDA


_default_device = [CPU]


def set_default_device(device):
    """The device of tensors that creation functions and layers make when given no
    ``device`` (PyTorch's ``torch.set_default_device``); "cuda" must be usable."""
    device = normalize_device(device)
    xp_for(device)                 # raises CudaUnavailableError with the reason
    _default_device[0] = device


def get_default_device():
    return _default_device[0]


def device_of(array):
    """The device an array lives on, read off its type (CuPy is never imported for this)."""
    if isinstance(array, (np.ndarray, np.generic)):
        if _standin_array is not None and isinstance(array, _standin_array):
            return CUDA
        return CPU
    if type(array).__module__.split(".")[0] == "cupy":
        return CUDA
    raise TypeError(f"expected a NumPy or CuPy array, got {type(array).__name__}")


def array_module(array):
    """``numpy`` or ``cupy``: the module whose functions operate on ``array``."""
    return xp_for(device_of(array))


def xp_for(device):
    """The array module of a device: ``numpy`` for ``"cpu"``, ``cupy`` for ``"cuda"``."""
    if normalize_device(device) == CPU:
        return np
    return _cupy()


def to_device(array, device):
    """Copy ``array`` to ``device`` (returns it unchanged if it is already there)."""
    device = normalize_device(device)
    if device_of(array) == device:
        return array
    if device == CPU:
        return array.get()
    return _cupy().asarray(array)


# ---------------------------------------------------------------------------------------
# lazy CUDA detection

_cuda_state = None  # (cupy module or None, reason it is unusable or None)
_standin_array = None   # the array type of a module installed by use_cuda_module, if any


def _probe_cuda():
    """Import CuPy and touch the device once; remember the outcome and why it failed."""
    global _cuda_state
    if _cuda_state is not None:
        return _cuda_state
    try:
        import cupy
    except ImportError as exc:
        _cuda_state = (None, f"CuPy is not installed ({exc}); install minigrad[gpu-cuda12] "
                             "or minigrad[gpu-cuda13] to match your CUDA driver")
        return _cuda_state
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:  # CuPy raises its own CUDARuntimeError / driver errors
        _cuda_state = (None, f"CuPy {cupy.__version__} is installed but the CUDA driver or "
                             f"runtime is unusable: {type(exc).__name__}: {exc}")
        return _cuda_state
    if count == 0:
        _cuda_state = (None, f"CuPy {cupy.__version__} found no CUDA device")
        return _cuda_state
    _cuda_state = (cupy, None)
    return _cuda_state


def cuda_status():
    """``(available, reason)``: whether ``device="cuda"`` works, and if not, why not."""
    cupy, reason = _probe_cuda()
    return cupy is not None, reason


def is_cuda_available():
    """True when CuPy is installed and sees at least one CUDA device."""
    return cuda_status()[0]


@contextlib.contextmanager
def use_cuda_module(module):
    """Run ``device="cuda"`` on ``module`` instead of CuPy inside a ``with`` block.

    ``module`` has CuPy's surface: ``ndarray`` (its array type, a ``numpy.ndarray``
    subclass), ``asarray`` (host → device), the array functions, and arrays with ``.get()``
    (device → host).  The tests use a CPU stand-in (tests/cuda_standin.py) so that every
    device code path — ``to()``, device checks, optimizers, checkpoints — runs in CI
    without a GPU.  Not thread-safe; not for use beside a real CUDA device.
    """
    global _cuda_state, _standin_array
    if not (isinstance(getattr(module, "ndarray", None), type)
            and issubclass(module.ndarray, np.ndarray) and module.ndarray is not np.ndarray):
        raise TypeError("use_cuda_module: expected a module whose ndarray is a "
                        f"numpy.ndarray subclass, got {module!r}")
    saved = _cuda_state, _standin_array
    _cuda_state, _standin_array = (module, None), module.ndarray
    try:
        yield module
    finally:
        _cuda_state, _standin_array = saved


def _cupy():
    cupy, reason = _probe_cuda()
    if cupy is None:
        raise CudaUnavailableError(f"device 'cuda' is unavailable: {reason}")
    return cupy


# ---------------------------------------------------------------------------------------
# kernel registry

_SPECS = {(op, device, impl): (module, func)
          for op, device, impl, module, func in minigrad_kernels.KERNELS}
_loaded = {}                     # (op, device, impl) -> function, filled on first use
_env_choice = None               # {(op, device): impl} from MINIGRAD_KERNELS, read once
_context_choice = contextvars.ContextVar("minigrad_kernel_choice", default=None)
_resolved = {}                   # (op, device) -> function outside use_kernels (kernel())


def register_kernel(op, device, impl, fn):
    """Add an implementation at run time (an experiment, a test double, a plug-in).

    ``fn`` follows the op's contract (see ``minigrad_kernels/<op>.py``).  Select it with
    :func:`use_kernels` or ``MINIGRAD_KERNELS``; the device default does not change.
    """
    key = (op, normalize_device(device), impl)
    if key in _SPECS:
        raise ValueError(f"register_kernel: {key} is already registered")
    if not callable(fn):
        raise TypeError(f"register_kernel: fn must be callable, got {type(fn).__name__}")
    _SPECS[key] = None
    _loaded[key] = fn
    _resolved.clear()


def unregister_kernel(op, device, impl):
    """Remove an implementation added with :func:`register_kernel`."""
    key = (op, normalize_device(device), impl)
    if _SPECS.get(key, ...) is not None:
        raise ValueError(f"unregister_kernel: {key} was not added with register_kernel")
    del _SPECS[key]
    _loaded.pop(key, None)
    _resolved.clear()


def available_kernels(op=None, device=None):
    """Sorted ``(op, device, impl)`` triples registered, optionally filtered by op and device."""
    return sorted(key for key in _SPECS
                  if (op is None or key[0] == op)
                  and (device is None or key[1] == normalize_device(device)))


def _check_choice(op, device, impl, source):
    if (op, device, impl) not in _SPECS:
        raise _not_found(source, op, device, impl)


def _not_found(source, op, device, impl=None):
    """The KernelNotFoundError for ``impl`` of ``op`` on ``device`` (None: any device; no
    ``impl``: the default), listing what exists."""
    where = "any device" if device is None else repr(device)
    known = sorted((d, i) for o, d, i in _SPECS if o == op and device in (None, d))
    if not known:
        ops = sorted({o for o, _, _ in _SPECS})
        return KernelNotFoundError(f"{source}: no kernel for op {op!r} on {where}; ops with "
                                   f"kernels: {ops}")
    if device is not None:
        known = [i for _, i in known]
    if impl is None:
        return KernelNotFoundError(f"{source}: op {op!r} has kernels on {where} but no "
                                   f"default; pick one of {known} with use_kernels()")
    listed = "available" if device is not None else "available (device, impl)"
    return KernelNotFoundError(f"{source}: op {op!r} has no implementation {impl!r} on "
                               f"{where}; {listed}: {known}")


def _parse_choices(text, source):
    """Parse ``"op=impl,op:device=impl"`` into ``{(op, device): impl}``.

    Without ``:device`` the choice applies to every device that has that implementation.
    """
    choices = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        if "=" not in item:
            raise ValueError(f"{source}: expected 'op=impl' or 'op:device=impl', got {item!r}")
        target, impl = (s.strip() for s in item.split("=", 1))
        op, _, device = target.partition(":")
        choices.update(_expand_choice(op, device or None, impl, source))
    return choices


def _family(op):
    """The registered ops that a choice for ``op`` covers: itself, or a family's entries."""
    members = sorted({o for o, _, _ in _SPECS if o.split(".")[0] == op and o != op})
    return members or [op]


def _expand_choice(op, device, impl, source):
    choices = {}
    for member in _family(op):
        choices.update(_expand_one(member, device, impl, source))
    return choices


def _expand_one(op, device, impl, source):
    if device is not None:
        device = normalize_device(device)
        _check_choice(op, device, impl, source)
        return {(op, device): impl}
    devices = [d for d in DEVICES if (op, d, impl) in _SPECS]
    if not devices:
        raise _not_found(source, op, None, impl)
    return {(op, d): impl for d in devices}


def _env_choices():
    global _env_choice
    if _env_choice is None:
        _env_choice = _parse_choices(os.environ.get("MINIGRAD_KERNELS", ""),
                                     "MINIGRAD_KERNELS")
    return _env_choice


def selected_kernel(op, device):
    """The implementation name that :func:`kernel` would return for ``op`` on ``device``."""
    device = normalize_device(device)
    key = (op, device)
    impl = ((_context_choice.get() or {}).get(key) or _env_choices().get(key)
            or minigrad_kernels.DEFAULTS.get(key))
    if impl is None:
        raise _not_found("kernel lookup", op, device)
    if (op, device, impl) not in _SPECS:   # e.g. unregistered while still selected
        _check_choice(op, device, impl, "kernel lookup")
    return impl


def kernel(op, device):
    """The function that computes ``op`` on ``device`` (see the module docstring for the choice)."""
    if _context_choice.get() is None:       # outside use_kernels: the answer is remembered
        fn = _resolved.get((op, device))
        if fn is None:
            fn = _resolved[op, device] = _lookup(op, device)
        return fn
    return _lookup(op, device)


def _lookup(op, device):
    key = (op, normalize_device(device), selected_kernel(op, device))
    fn = _loaded.get(key)
    if fn is None:
        module, func = _SPECS[key]
        fn = getattr(importlib.import_module(module), func)
        _loaded[key] = fn
    return fn


@contextlib.contextmanager
def use_kernels(device=None, **choices):
    """Pick implementations per op inside a ``with`` block.

    ``with use_kernels(matmul="numpy"):`` applies to every device that has a ``numpy``
    matmul; ``use_kernels("cuda", matmul="cupy")`` to one device.  A family name
    (``conv2d=...``) picks the implementation of each of its entries (``conv2d.forward``,
    ``conv2d.backward_input``, ...).  Unknown ops or
    implementations raise at once, listing what exists.
    """
    new = dict(_context_choice.get() or {})
    for op, impl in choices.items():
        new.update(_expand_choice(op, device, impl, "use_kernels"))
    token = _context_choice.set(new)
    try:
        yield
    finally:
        _context_choice.reset(token)

