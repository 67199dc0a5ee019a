"""A cache of host memory blocks for the large arrays that a training step allocates and frees.

Why: every step of a CNN allocates the same few dozen multi-megabyte arrays (activations,
gradients, kernel outputs) and frees them again.  glibc's malloc returns such blocks to
the OS (munmap, or trimming the heap top), so the next step page-faults the same memory
back in, zero-filled, one 4 KiB page at a time: ~4 000 faults and 10 ms of a 30 ms step on
the seed CNNs (measured; docs/benchmarks.md).  Raising malloc's thresholds fixes that
process-wide (``minigrad.backend.keep_freed_cpu_memory``, opt-in); this cache fixes it for
minigrad's own arrays only, the way CuPy's memory pool does on the GPU.

How: ``empty(shape, dtype)`` hands out a view of a cached block (a 1-D ``uint8`` array) of
exactly the rounded size, starting on a 64-byte boundary.  A block is free again when
nothing references it: every view of it, however derived (reshape, slice, ``.T``, a
Tensor, a saved array, ``t.numpy()``), holds a reference to the block as its ``.base``, so
a block whose reference count is back to the cache's own reference has no user left.
The check is CPython's reference count (``sys.getrefcount``), so the cache switches itself
off on an interpreter without a GIL.

Bounds: requests under ``MIN_BYTES`` go to ``numpy.empty`` (malloc keeps small blocks
without faulting them again).  Blocks in use are the caller's memory, exactly as with
``numpy.empty``; idle blocks are kept up to ``limit`` bytes, a bound enforced whenever the
cache would grow (a request that finds no idle block of its size first releases the least
recently used idle blocks beyond the limit), so the cache holds at most what was in use at
its last growth plus ``limit``.  ``limit = 0`` turns the cache off (every request is a
plain ``numpy.empty``, and blocks still cached are released as they become idle).
``release()`` frees every idle block now.

Arrays in, arrays out: nothing here knows about Tensors; minigrad's backend sets the limit
from ``MINIGRAD_CPU_CACHE_MB`` and exposes ``cpu_cache_info`` / ``empty_cpu_cache``.
"""
import math
import os
import sys
import threading

import numpy as np

__all__ = ["MIN_BYTES", "DEFAULT_LIMIT", "empty", "release", "info", "set_limit", "limit"]

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


def empty(shape, dtype):
    """An uninitialised C-contiguous NumPy array, from the cache when it is large."""
    return _cache.empty(shape, dtype)


def release():
    """Free every idle cached block now; returns the bytes released."""
    return _cache.release()


def info():
    """Counts: limit, bytes held (in use + idle), blocks, hits and misses since start."""
    return _cache.info()


def limit():
    return _cache.limit


def set_limit(nbytes):
    """Keep at most ``nbytes`` of idle blocks (0: no caching), enforced now and whenever the
    cache would grow.  Returns the old limit."""
    nbytes = int(nbytes)
    if nbytes < 0:
        raise ValueError(f"host cache limit must be >= 0 bytes, got {nbytes}")
    with _cache.lock:
        old, _cache.limit = _cache.limit, nbytes
        _cache._trim(nbytes)
    return old
