"""IDX files: round trips and every kind of corruption, each naming the file."""
import gzip

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from minigrad.data import IDXFormatError, read_idx, write_idx

DTYPES = [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("compress", [False, True])
def test_round_trip(tmp_path, dtype, compress):
    a = (np.arange(2 * 3 * 4) - 5).astype(dtype).reshape(2, 3, 4)
    path = tmp_path / ("a.idx.gz" if compress else "a.idx")
    write_idx(path, a)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
    b = read_idx(path, ndim=3, dtype=dtype)
    assert b.dtype == np.dtype(dtype) and b.dtype.isnative
    np.testing.assert_array_equal(a, b)


@given(hnp.arrays(st.sampled_from(DTYPES), hnp.array_shapes(min_dims=1, max_dims=4, min_side=0,
                                                            max_side=5)),
       st.booleans())
def test_round_trip_any_shape(tmp_path_factory, a, compress):
    path = tmp_path_factory.mktemp("idx") / "a"
    write_idx(path, a, compress=compress)
    np.testing.assert_array_equal(read_idx(path), a)


def test_gzip_detected_by_content_not_name(tmp_path):
    a = np.arange(10, dtype=np.uint8)
    write_idx(tmp_path / "labels", a, compress=True)         # no .gz in the name
    np.testing.assert_array_equal(read_idx(tmp_path / "labels"), a)
    write_idx(tmp_path / "raw.gz", a, compress=False)        # .gz name, raw content
    np.testing.assert_array_equal(read_idx(tmp_path / "raw.gz"), a)


def test_known_bytes(tmp_path):
    """The header layout by hand: 00 00 08 01, size 3 big-endian, then the bytes."""
    path = tmp_path / "l"
    path.write_bytes(b"\x00\x00\x08\x01\x00\x00\x00\x03\x07\x08\x09")
    np.testing.assert_array_equal(read_idx(path), [7, 8, 9])
    path.write_bytes(b"\x00\x00\x0c\x01\x00\x00\x00\x01\x00\x00\x01\x02")
    assert read_idx(path).tolist() == [258]


def _good():
    return b"\x00\x00\x08\x02\x00\x00\x00\x02\x00\x00\x00\x03" + bytes(range(6))


CORRUPT = {
    "wrong magic": (b"\x01\x02" + _good()[2:], "not an IDX file"),
    "unknown type code": (b"\x00\x00\x07" + _good()[3:], "data type code 0x07"),
    "zero dims": (b"\x00\x00\x08\x00", "0 dimensions"),
    "empty": (b"", "too short"),
    "truncated magic": (b"\x00\x00", "too short"),
    "truncated header": (_good()[:9], "truncated header"),
    "truncated payload": (_good()[:-1], "truncated payload"),
    "extra bytes": (_good() + b"\x00", "extra bytes"),
    "bad gzip": (b"\x1f\x8b\x08\x00garbage-not-deflate", "cannot be decompressed"),
    "truncated gzip": (gzip.compress(_good())[:-12], "cannot be decompressed"),
}


@pytest.mark.parametrize("case", sorted(CORRUPT))
def test_corrupt_files_name_the_file(tmp_path, case):
    content, why = CORRUPT[case]
    path = tmp_path / f"corrupt-{case.replace(' ', '-')}"
    path.write_bytes(content)
    with pytest.raises(IDXFormatError, match=why) as info:
        read_idx(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def test_corrupt_inside_gzip_says_after_gunzip(tmp_path):
    path = tmp_path / "t.gz"
    path.write_bytes(gzip.compress(_good()[:-2]))
    with pytest.raises(IDXFormatError, match=r"after gunzip.*truncated payload"):
        read_idx(path)


def test_wrong_dims_and_dtype(tmp_path):
    path = tmp_path / "x"
    write_idx(path, np.zeros((2, 3), np.uint8))
    with pytest.raises(IDXFormatError, match="2 dimensions in the header, expected 3"):
        read_idx(path, ndim=3)
    with pytest.raises(IDXFormatError, match="data type uint8.*expected float32"):
        read_idx(path, dtype=np.float32)


def test_write_rejects_unsupported(tmp_path):
    with pytest.raises(TypeError, match="no IDX code"):
        write_idx(tmp_path / "x", np.zeros(3, np.int64))
    with pytest.raises(ValueError, match="1 to 255 dimensions"):
        write_idx(tmp_path / "x", np.uint8(3))
