"""How a case is timed: gate, warm-up, calibrated samples, interleaving, median and IQR.

Each contestant of a case (an implementation, PyTorch, the reference) is a ``Participant``:
zero-argument calls, one per rotating input set, and the device whose clock times them.

1. Gate: the first call's output is compared with the NumPy reference; a wrong or crashing
   implementation is reported (FAILED, or UNAVAILABLE when a library or device it needs is
   missing) and never timed.  The first call is timed on its own: it holds the one-time
   costs (Numba's JIT compilation or its on-disk cache load, CuPy's kernel compilation,
   first-touch page faults) and is reported as ``first_call_s``.
2. Warm-up: more calls until ``warmup_s`` has passed; their median sizes the samples.
3. Samples: each is ``inner`` consecutive calls (enough to last ``sample_s``, so the clock's
   resolution and the call overhead do not dominate), cycling through the rotating input
   sets (together larger than the last-level cache where memory allows, so the cache
   holds no stale copy of the next call's inputs).  Rounds interleave the participants, in
   an order rotated each round, so drift (another process, frequency changes) hits all;
   each sample is preceded by one untimed call (see ``measure``: switching between thread
   pools costs what no participant pays on its own).
4. Per participant: the median time per call, the quartiles (IQR), the minimum.
"""
import functools
import statistics
import tracemalloc
from dataclasses import dataclass, field

import numpy as np

from minigrad_kernels import memory

# Exceptions that mean "cannot run here" (missing library or device), not "wrong result".
_UNAVAILABLE = ("ModuleNotFoundError", "ImportError", "CudaUnavailableError",
                "CudaSupportError", "CudaDriverError", "CUDARuntimeError", "NvrtcError")


@dataclass
class Participant:
    impl: str                  # implementation name, "pytorch", or "numpy (host)"
    kind: str                  # "kernel", "pytorch" or "reference"
    device: object             # whose clock times it (benchmarks.devices)
    calls: list                # zero-argument callables, one per rotating input set
    status: str = "ok"
    error: str = None
    first_call_s: float = None
    samples: list = field(default_factory=list)
    inner: int = 1
    extra_bytes: int = None

    def fail(self, status, error):
        self.status, self.error, self.calls = status, error, []


def mismatch(out, ref, rtol):
    """None when ``out`` matches ``ref`` (arrays or tuples of them), else what differs.

    Floats: max |out − ref| ≤ rtol · max |ref| (0 means bit-exact); integers: exact.
    """
    if isinstance(ref, (tuple, list)):
        if not isinstance(out, (tuple, list)) or len(out) != len(ref):
            return f"expected {len(ref)} outputs, got {type(out).__name__}"
        for i, (o, r) in enumerate(zip(out, ref)):
            why = mismatch(o, r, rtol)
            if why:
                return f"output {i}: {why}"
        return None
    out, ref = np.asarray(out), np.asarray(ref)
    if out.shape != ref.shape:
        return f"shape {out.shape}, reference {ref.shape}"
    if ref.dtype.kind in "iub":
        bad = int(np.count_nonzero(out != ref))
        return f"{bad} of {ref.size} integers differ" if bad else None
    if not np.all(np.isfinite(out) == np.isfinite(ref)):
        return "non-finite values where the reference has finite ones (or vice versa)"
    finite = np.isfinite(ref)
    if not finite.any():
        return None
    err = float(np.max(np.abs(out[finite].astype(np.float64) - ref[finite])))
    scale = float(np.max(np.abs(ref[finite]))) or 1.0
    if err > rtol * scale:
        return f"max |out - ref| = {err:.3g} > {rtol:g} * max |ref| ({scale:.3g})"
    return None


def gate(participant, check):
    """Time the first call and check its output with ``check(output) -> None | why``."""
    output = []
    try:
        participant.first_call_s = participant.device.elapsed(
            lambda: output.append(participant.calls[0]()))
        why = check(participant.device.get(output[0]))
    except Exception as exc:  # a kernel may raise anything; report it, do not stop the run
        kind = "UNAVAILABLE" if type(exc).__name__ in _UNAVAILABLE else "FAILED"
        participant.fail(kind, f"{type(exc).__name__}: {exc}".strip()[:300])
        return
    if why:
        participant.fail("FAILED", f"wrong result: {why}")


def _run(participant, count, start):
    calls = participant.calls
    for j in range(count):
        calls[(start + j) % len(calls)]()


def measure(participants, repeats, warmup_s, sample_s, min_warmup=2, settle=True):
    """Warm up and time every participant that passed its gate, interleaved.

    ``min_warmup`` calls at least before the samples, and an untimed ``settle`` call before
    each sample (both turned off under the CUDA simulator, where a call takes seconds and
    its time means nothing)."""
    live = [p for p in participants if p.status == "ok"]
    for p in live:
        warm, spent = [], 0.0
        while len(warm) < min_warmup or (spent < warmup_s and len(warm) < 50):
            t = p.device.elapsed(functools.partial(_run, p, 1, len(warm)))
            warm.append(t)
            spent += t
        typical = statistics.median(warm) if warm else sample_s
        p.inner = max(1, min(10_000, int(round(sample_s / max(typical, 1e-9)))))
    for r in range(repeats):
        order = live[r % len(live):] + live[:r % len(live)] if live else []
        for p in order:
            # One untimed call first: after another library's call, its idle threads still
            # spin on the cores (OpenBLAS, PyTorch's OpenMP), and the first call of a new
            # library waits for them: measured 25-35 ms on 2 loaded cores, for a 12 us op.
            # Alone, as in training, a library never pays that switch.
            if settle:
                _run(p, 1, r * p.inner + p.inner)
            elapsed = p.device.elapsed(functools.partial(_run, p, p.inner, r * p.inner))
            p.samples.append(elapsed / p.inner)


def summary(participant):
    """Median, quartiles and minimum of a participant's per-call times (seconds)."""
    s = participant.samples
    if not s:
        return {}
    q1, median, q3 = (float(v) for v in np.percentile(s, [25, 50, 75]))
    return {"median_s": median, "q1_s": q1, "q3_s": q3, "min_s": float(min(s)),
            "samples": len(s), "calls_per_sample": participant.inner}


def _nbytes(values):
    if isinstance(values, (tuple, list)):
        return sum(_nbytes(v) for v in values)
    return int(getattr(values, "nbytes", 0))


def host_extra_bytes(call, new_outputs=True):
    """Peak memory a call allocates beyond what it returns, from tracemalloc (NumPy reports
    its array memory to it); ``new_outputs=False`` when what it returns existed before (an
    update in place): then all of the peak is extra.  minigrad's host cache
    (``minigrad_kernels.memory``) is turned off during the call, so that every array the
    kernel allocates, outputs and scratch alike, is a fresh ``numpy.empty`` that tracemalloc
    sees (a cache hit would allocate nothing it sees, and the figure would undercount)."""
    old_limit = memory.set_cpu_cache_limit(0)
    tracemalloc.start()
    try:
        out = call()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        memory.set_cpu_cache_limit(old_limit)
    return max(0, peak - (_nbytes(out) if new_outputs else 0))


def cupy_extra_bytes(cupy, call, new_outputs=True):
    """Growth of CuPy's memory pool over one call beyond its outputs (an upper bound of the
    peak extra memory: the pool keeps the blocks freed during the call); ``new_outputs``
    as in ``host_extra_bytes``."""
    pool = cupy.get_default_memory_pool()
    cupy.cuda.get_current_stream().synchronize()
    pool.free_all_blocks()
    before = pool.total_bytes()
    out = call()
    cupy.cuda.get_current_stream().synchronize()
    return max(0, pool.total_bytes() - before - (_nbytes(out) if new_outputs else 0))
