"""Helpers of the fuzz tests: byte mutations as hypothesis strategies, and a hang guard."""
import contextlib
import signal
import threading

from hypothesis import strategies as st

_MUTATIONS = ("flip", "truncate", "overwrite", "delete", "insert", "set_u32")


@st.composite
def mutated(draw, base, max_ops=6):
    """``base`` (bytes) with 1 to ``max_ops`` random edits: bit flips, a truncation,
    overwritten / deleted / inserted runs, and big-endian and little-endian 32-bit fields
    set to extreme values (sizes, counts and offsets in headers)."""
    data = bytearray(base)
    for _ in range(draw(st.integers(1, max_ops))):
        op = draw(st.sampled_from(_MUTATIONS))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "truncate":
            del data[at:]
        elif op == "overwrite":
            run = draw(st.binary(min_size=1, max_size=16))
            data[at:at + len(run)] = run
        elif op == "delete":
            del data[at:at + draw(st.integers(1, 64))]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "set_u32":
            value = draw(st.sampled_from([0, 1, 0x7FFFFFFF, 0xFFFFFFFF, 0x80000000]))
            order = draw(st.sampled_from(["big", "little"]))
            data[at:at + 4] = value.to_bytes(4, order)
    return bytes(data)


@contextlib.contextmanager
def no_hang(seconds=30):
    """Fail (AssertionError) if the block runs longer than ``seconds``: a guard against an
    endless loop, far above any real run time, not a speed check."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def hung(signum, frame):
        raise AssertionError(f"did not finish within {seconds} s: hung?")

    previous = signal.signal(signal.SIGALRM, hung)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
