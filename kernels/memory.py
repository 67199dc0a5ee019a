"""Memory reuse, in one place: the host block cache every kernel allocates from, and
glibc's malloc thresholds for the rest of the process.

Why: every step of a CNN allocates the same few dozen multi-megabyte arrays (activations,
gradients, kernel outputs, im2col matrices) and frees them again.  glibc's malloc returns
such blocks to the OS (munmap, or trimming the heap top), so the next step page-faults the
same memory back in, zero-filled, one 4 KiB page at a time: ~4 000 faults and 10 ms of a
30 ms step on the seed CNNs (measured; docs/benchmarks.md).  The cache fixes that for the
kernels' arrays, the way CuPy's memory pool does on the GPU; ``keep_freed_cpu_memory``
(opt-in, process-wide) fixes it for every other array.

``empty(shape, dtype, like=x)`` is the one allocation call of the kernels: outputs and
scratch alike (a scratch array, say an im2col matrix that is not kept, goes back to the
cache when the call drops it, and the next call of that shape gets the same block).
A plain NumPy request hands out a view of a cached block (a 1-D ``uint8`` array) of
exactly the rounded size, starting on a 64-byte boundary.  A block is free again when
nothing references it: every view of it, however derived (reshape, slice, ``.T``, a
Tensor, a saved array, ``t.numpy()``), holds a reference to the block as its ``.base``, so
a block whose reference count is back to the cache's own reference has no user left.
The check is CPython's reference count (``sys.getrefcount``), so the cache switches itself
off on an interpreter without a GIL.

Bounds: requests under ``MIN_BYTES`` go to ``numpy.empty`` (malloc keeps small blocks
without faulting them again).  Blocks in use are the caller's memory, exactly as with
``numpy.empty``; idle blocks are kept up to a limit, enforced whenever the cache would grow
(a request that finds no idle block of its size first releases the least recently used
idle blocks beyond the limit), so the cache holds at most what was in use at its last
growth plus the limit.  A limit of 0 turns the cache off (every request is a plain
``numpy.empty``, and blocks still cached are released as they become idle).

Read once, at import: ``MINIGRAD_CPU_CACHE_MB`` (the limit; default 1 GiB) and
``MINIGRAD_MALLOC_TUNING=1`` (calls ``keep_freed_cpu_memory()``).  Arrays in, arrays out:
nothing here knows about Tensors; ``minigrad.backend`` re-exports the four user knobs
(``cpu_cache_info``, ``empty_cpu_cache``, ``set_cpu_cache_limit``, ``keep_freed_cpu_memory``).
"""
import ctypes
import math
import os
import sys
import threading

import numpy as np

from ._arrays import is_cupy

__all__ = ["MIN_BYTES", "DEFAULT_LIMIT", "empty", "zeros", "cpu_cache_info", "empty_cpu_cache",
           "set_cpu_cache_limit", "keep_freed_cpu_memory", "configure_from_environment"]

# Smaller requests go to numpy.empty: below glibc's default mmap threshold (128 KiB) malloc
# serves them from its heap, which reuses freed blocks without page faults.
MIN_BYTES = 128 * 2**10
DEFAULT_LIMIT = 1 * 2**30      # idle bytes kept; the working set of a step is far below
_PAGE = 4096
# Arrays start on a 64-byte boundary (a cache line, an AVX-512 vector), as PyTorch's do:
# malloc's large blocks start 16 bytes past a page, and OpenBLAS's SGEMM ran 5-15 % slower
# on such operands (measured on model B's conv GEMMs).
_ALIGN = 64


def _refcount_of_idle_block():
    """What ``sys.getrefcount(entry[0])`` reads for a block that only the cache holds."""
    entry = [np.empty(1, np.uint8), 0, 0]
    return sys.getrefcount(entry[0])


_IDLE = _refcount_of_idle_block()
_GIL = getattr(sys, "_is_gil_enabled", lambda: True)()   # reference counts are exact


class _Cache:
    def __init__(self, limit_bytes):
        self.lock = threading.Lock()
        self.blocks = {}    # rounded size -> [[block, last use, offset of byte 0], ...]
        self.limit = int(limit_bytes)
        self.tick = 0
        self.hits = 0
        self.misses = 0

    def empty(self, shape, dtype):
        dtype = np.dtype(dtype)
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        nbytes = dtype.itemsize * math.prod(shape)
        if nbytes < MIN_BYTES or self.limit <= 0 or not _GIL or dtype.hasobject:
            if self.limit <= 0 and self.blocks:       # turned off: let go of what is left
                with self.lock:
                    self._trim(0)
            return np.empty(shape, dtype)
        size = -(-nbytes // _PAGE) * _PAGE
        with self.lock:
            self.tick += 1
            for entry in self.blocks.get(size, ()):
                if sys.getrefcount(entry[0]) == _IDLE:
                    entry[1] = self.tick
                    self.hits += 1
                    return self._view(entry, nbytes, dtype, shape)
            self.misses += 1
            self._trim(self.limit)      # before growing: idle blocks of other sizes go first
            block = np.empty(size + _ALIGN, np.uint8)
            entry = [block, self.tick, -block.ctypes.data % _ALIGN]
            self.blocks.setdefault(size, []).append(entry)
            return self._view(entry, nbytes, dtype, shape)

    @staticmethod
    def _view(entry, nbytes, dtype, shape):
        # sliced from the block itself, so the view's .base is the block (what the
        # reference count watches), not an intermediate aligned view
        start = entry[2]
        return entry[0][start:start + nbytes].view(dtype).reshape(shape)

    def _idle_entries(self):
        return [(entry[1], size, entry) for size, entries in self.blocks.items()
                for entry in entries if sys.getrefcount(entry[0]) == _IDLE]

    def _trim(self, keep_bytes):
        """Release the least recently used idle blocks until at most ``keep_bytes`` stay
        idle; the lock is held.  Returns the bytes released."""
        idle = sorted(self._idle_entries(), key=lambda t: t[0])
        excess = sum(size for _, size, _ in idle) - keep_bytes
        released, evict = 0, set()
        for _, size, entry in idle:
            if released >= excess:
                break
            evict.add(id(entry))
            released += size
        if evict:      # by identity: list.remove would compare the arrays inside
            self.blocks = {size: kept for size, entries in self.blocks.items()
                           if (kept := [e for e in entries if id(e) not in evict])}
        return released

    def release(self):
        with self.lock:
            return self._trim(0)

    def info(self):
        with self.lock:
            held = sum(size * len(entries) for size, entries in self.blocks.items())
            idle = sum(size for _, size, _ in self._idle_entries())
            return {"limit_bytes": self.limit, "held_bytes": held, "idle_bytes": idle,
                    "in_use_bytes": held - idle,
                    "blocks": sum(len(entries) for entries in self.blocks.values()),
                    "hits": self.hits, "misses": self.misses,
                    "enabled": self.limit > 0 and _GIL}

    def reset_lock_after_fork(self):
        self.lock = threading.Lock()


_cache = _Cache(DEFAULT_LIMIT)
if hasattr(os, "register_at_fork"):    # a lock held by another thread at fork stays held
    os.register_at_fork(after_in_child=_cache.reset_lock_after_fork)


def empty(shape, dtype=None, like=None):
    """An uninitialised C-contiguous array of ``shape``, of ``like``'s array type and device
    (default: a NumPy array) and dtype (default: ``like``'s).  Large NumPy arrays come from
    the cache, CuPy arrays from CuPy's pool; a NumPy subclass (the tests' device stand-in,
    the CUDA simulator's arrays) keeps its type."""
    dtype = like.dtype if dtype is None else dtype
    if like is None or type(like) is np.ndarray:
        return _cache.empty(shape, dtype)
    if is_cupy(like):
        return sys.modules["cupy"].empty(shape, dtype=dtype)
    return np.empty_like(like, shape=shape, dtype=dtype, order="C")


def zeros(shape, dtype=None, like=None):
    out = empty(shape, dtype, like)
    out.fill(0)
    return out


def set_cpu_cache_limit(nbytes):
    """Keep at most ``nbytes`` of idle memory in minigrad's host cache (0 turns it off);
    returns the previous limit.  Default 1 GiB, or ``MINIGRAD_CPU_CACHE_MB`` at import.
    The bound is enforced now and whenever the cache would grow.

    minigrad's large CPU arrays (kernel outputs, activations, gradients) come from a cache
    of blocks that is reused once nothing references an array any more, so a training step
    reuses the memory the previous step freed instead of page-faulting it in again (see
    ``minigrad_kernels.memory``).  Only minigrad's own allocations use it; nothing
    process-wide changes."""
    nbytes = int(nbytes)
    if nbytes < 0:
        raise ValueError(f"host cache limit must be >= 0 bytes, got {nbytes}")
    with _cache.lock:
        old, _cache.limit = _cache.limit, nbytes
        _cache._trim(nbytes)
    return old


def empty_cpu_cache():
    """Free the idle blocks of the host cache now (like ``torch.cuda.empty_cache``);
    returns the bytes released.  Arrays still in use are not touched."""
    return _cache.release()


def cpu_cache_info():
    """The host cache's counters: ``limit_bytes``, ``held_bytes`` (``in_use_bytes`` +
    ``idle_bytes``), ``blocks``, ``hits``, ``misses``, ``enabled``."""
    return _cache.info()


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3        # glibc's mallopt parameter numbers


def keep_freed_cpu_memory(mmap_threshold=64 * 2**20, trim_threshold=256 * 2**20):
    """Make glibc's malloc keep freed memory for reuse; True if it was applied.

    By default glibc serves blocks above 128 KB-32 MB from fresh ``mmap`` pages and returns
    them to the OS on ``free``, and trims the heap top past twice that size: a training step,
    which frees and reallocates the same multi-megabyte arrays every step, then pays a page
    fault (and a zero-fill) for every 4 KB page of them, every step (about 4 000 faults per
    step of the benchmark CNNs, measured; 25-30 % of the step's CPU time on the development
    VM).  Below ``mmap_threshold`` blocks come from the heap, and up to ``trim_threshold``
    bytes of free heap top stay mapped, so the next step reuses them without faults (the
    cost: freed memory stays with the process, as with a caching allocator; with a
    fragmented heap that can be well above ``trim_threshold``).
    Opt-in: call it before training, or set ``MINIGRAD_MALLOC_TUNING=1`` before importing
    minigrad.  A no-op (False) outside glibc.  Process-wide, like any malloc setting.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)
    except OSError:
        return False
    if not (hasattr(libc, "gnu_get_libc_version") and hasattr(libc, "mallopt")):
        return False                       # glibc only: musl's mallopt does nothing
    mallopt = libc.mallopt
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, int(mmap_threshold))
                and mallopt(_M_TRIM_THRESHOLD, int(trim_threshold)))


def configure_from_environment():
    """Apply ``MINIGRAD_CPU_CACHE_MB`` and ``MINIGRAD_MALLOC_TUNING`` (done once, at import)."""
    text = os.environ.get("MINIGRAD_CPU_CACHE_MB")
    if text is not None:
        try:
            megabytes = float(text)
        except ValueError:
            megabytes = -1.0
        if not 0 <= megabytes < float("inf"):          # also refuses nan
            raise ValueError(f"MINIGRAD_CPU_CACHE_MB must be a number of megabytes >= 0 (0 "
                             f"turns the cache off), got {text!r}")
        set_cpu_cache_limit(int(megabytes * 2**20))
    if os.environ.get("MINIGRAD_MALLOC_TUNING", "0") == "1":
        keep_freed_cpu_memory()


configure_from_environment()
