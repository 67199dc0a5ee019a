"""Fuzzing ``read_idx`` with hypothesis: random bytes, mutated valid files (raw and gzipped,
and gzipped after the mutation so that the IDX header itself is exercised), and headers
declaring huge arrays.  Every outcome is an array or an IDXFormatError naming the file; never
another exception, never an allocation beyond what the file holds, never a hang.

The ``ci`` profile runs 25 examples per test (seconds); ``-m slow`` runs a deeper search.
"""
import gzip
import os
import tempfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from minigrad.data import IDXFormatError, read_idx, write_idx

from ..fuzzing import mutated, no_hang

DEEP = settings(max_examples=3000, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_DIR = tempfile.mkdtemp(prefix="minigrad-idx-fuzz-")


def _valid(array, compress):
    path = os.path.join(_DIR, f"valid-{array.dtype}-{compress}")
    write_idx(path, array, compress=compress)
    with open(path, "rb") as f:
        return f.read()


RAW = {dtype: _valid(np.arange(24).astype(dtype).reshape(2, 3, 4), False)
       for dtype in ("uint8", "int16", "float64")}
GZ = _valid(np.arange(60, dtype=np.uint8).reshape(3, 4, 5), True)


def check(data, ndim=None, dtype=None):
    path = os.path.join(_DIR, "fuzzed.idx")
    with open(path, "wb") as f:
        f.write(data)
    with no_hang():
        try:
            array = read_idx(path, ndim=ndim, dtype=dtype)
        except IDXFormatError as exc:
            assert path in str(exc)
            return
    # What it read is exactly what the header promised.
    assert array.ndim >= 1 and array.dtype.isnative
    assert ndim is None or array.ndim == ndim


_ANY_RAW = st.sampled_from(sorted(RAW)).flatmap(lambda k: mutated(RAW[k]))


@given(st.binary(max_size=300), st.sampled_from([None, 1, 3]))
def test_random_bytes(data, ndim):
    check(data, ndim)


@given(st.binary(max_size=300))
def test_random_bytes_after_a_zero_magic(data):
    check(b"\x00\x00" + data)


@given(_ANY_RAW, st.sampled_from([None, 3]), st.sampled_from([None, np.uint8]))
def test_mutated_raw_files(data, ndim, dtype):
    check(data, ndim, dtype)


@given(mutated(GZ))
def test_mutated_gzip_files(data):
    check(data)


@given(_ANY_RAW)
def test_mutated_then_gzipped(data):
    check(gzip.compress(data, mtime=0))


@pytest.mark.slow
@DEEP
@given(st.one_of(st.binary(max_size=600), _ANY_RAW, mutated(GZ),
                 _ANY_RAW.map(lambda d: gzip.compress(d, mtime=0))))
def test_deep(data):
    check(data)


@pytest.mark.parametrize("compress", [False, True], ids=["raw", "gzip"])
@pytest.mark.parametrize("dims", [(0xFFFFFFFF,) * 3, (2 ** 31, 2 ** 31), (0xFFFFFFFF,) * 255])
def test_huge_declared_dims_are_refused_without_allocating(compress, dims):
    """A header declaring exabytes over a few bytes of data: a clear error from comparing
    sizes, before anything of that size is allocated or read."""
    header = bytes([0, 0, 0x0D, len(dims)]) + np.asarray(dims, ">u4").tobytes()
    data = header + bytes(64)
    if compress:
        data = gzip.compress(data, mtime=0)
    path = os.path.join(_DIR, "huge.idx")
    with open(path, "wb") as f:
        f.write(data)
    with no_hang(), pytest.raises(IDXFormatError, match=r"huge.idx.*bytes of data, but 64 "
                                                         r"bytes follow.*truncated payload"):
        read_idx(path)


def test_a_gzip_bomb_is_not_decompressed_beyond_the_declared_size():
    """64 MiB of zeros behind a header declaring 8 bytes: the reader stops one byte past
    the payload (peak memory far below the decompressed size) and reports extra bytes."""
    import tracemalloc

    header = bytes([0, 0, 0x08, 1]) + (8).to_bytes(4, "big")
    path = os.path.join(_DIR, "bomb.idx.gz")
    with gzip.open(path, "wb", compresslevel=1) as f:
        f.write(header)
        zeros = bytes(1 << 20)
        for _ in range(64):
            f.write(zeros)
    tracemalloc.start()
    try:
        with pytest.raises(IDXFormatError, match="extra bytes after the payload"):
            read_idx(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"peak {peak / 2**20:.1f} MiB while reading a 64 MiB bomb"
