"""IDX files (the format of MNIST and Fashion-MNIST): read and write, gzipped or raw.

Layout (big-endian): two zero bytes, a data-type code, the number of dimensions ``ndim``, then
``ndim`` uint32 sizes, then the payload (the product of the sizes, items of the coded type):

    code  0x08 uint8   0x09 int8   0x0B int16   0x0C int32   0x0D float32   0x0E float64

A file is gunzipped when it starts with gzip's magic bytes ``1f 8b``, whatever its name.
Every defect (wrong magic, unknown code, truncated header or payload, extra bytes, wrong
number of dimensions, a broken gzip stream) raises :class:`IDXFormatError` naming the file.
"""
import gzip
import math
import os
import zlib

import numpy as np

__all__ = ["IDXFormatError", "read_idx", "write_idx", "IDX_DTYPES"]

# type code -> big-endian NumPy dtype of the payload
IDX_DTYPES = {
    0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}
GZIP_MAGIC = b"\x1f\x8b"


class IDXFormatError(ValueError):
    """An IDX file that is truncated, corrupt or not what was expected; names the file."""


def _read_bytes(path):
    """The file's bytes, gunzipped if it starts with gzip's magic; and whether it was."""
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.startswith(GZIP_MAGIC):
        return raw, False
    try:
        return gzip.decompress(raw), True
    except (OSError, EOFError, zlib.error) as exc:
        raise IDXFormatError(f"{path}: starts like a gzip file but cannot be decompressed "
                             f"({type(exc).__name__}: {exc})") from None


def read_idx(path, ndim=None, dtype=None):
    """Read an IDX file into a native-endian NumPy array of the shape its header gives.

    Args:
        path: the file, gzipped or raw.
        ndim: the number of dimensions expected (e.g. 3 for images (N, H, W), 1 for labels
            (N,)); None accepts any.
        dtype: the payload dtype expected (e.g. ``np.uint8``); None accepts any IDX type.

    Raises:
        IDXFormatError: the file is not a well-formed IDX file of that kind (the message
            names the file, what was expected and what was found).
    """
    path = os.fspath(path)
    raw, gzipped = _read_bytes(path)
    where = f"{path}{' (after gunzip)' if gzipped else ''}"
    if len(raw) < 4:
        raise IDXFormatError(f"{where}: {len(raw)} bytes, too short for the 4-byte IDX magic "
                             f"number (truncated header)")
    if raw[:2] != b"\x00\x00":
        raise IDXFormatError(f"{where}: magic number 0x{raw[:4].hex()}, expected two zero "
                             f"bytes first: not an IDX file")
    code, n = raw[2], raw[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise IDXFormatError(f"{where}: data type code 0x{code:02X}, expected one of {known}")
    item = IDX_DTYPES[code]
    if dtype is not None and item.newbyteorder("=") != np.dtype(dtype):
        raise IDXFormatError(f"{where}: data type {item.newbyteorder('=')} (code 0x{code:02X}), "
                             f"expected {np.dtype(dtype)}")
    if n == 0:
        raise IDXFormatError(f"{where}: 0 dimensions in the header, expected at least 1")
    if ndim is not None and n != ndim:
        raise IDXFormatError(f"{where}: {n} dimensions in the header, expected {ndim}")
    header = 4 + 4 * n
    if len(raw) < header:
        raise IDXFormatError(f"{where}: {len(raw)} bytes, too short for the {header}-byte "
                             f"header of a {n}-d IDX file (truncated header)")
    shape = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=n, offset=4))
    expected = math.prod(shape) * item.itemsize
    got = len(raw) - header
    if got != expected:
        what = "truncated payload" if got < expected else "extra bytes after the payload"
        raise IDXFormatError(f"{where}: the header gives shape {shape} of {item.newbyteorder('=')}"
                             f", i.e. {expected} bytes of data, but {got} bytes follow the "
                             f"header ({what})")
    array = np.frombuffer(raw, dtype=item, offset=header).reshape(shape)
    return array.astype(item.newbyteorder("="), copy=False)


def write_idx(path, array, compress=None):
    """Write ``array`` (any shape with ≥ 1 dimension, an IDX dtype) as an IDX file.

    Args:
        path: the file to write.
        array: uint8, int8, int16, int32, float32 or float64 array, at least 1-d.
        compress: gzip the file; None gzips when ``path`` ends with ``.gz``.
    """
    path = os.fspath(path)
    array = np.asarray(array)
    native = array.dtype.newbyteorder("=")
    if native not in _CODES:
        raise TypeError(f"write_idx: dtype {array.dtype} has no IDX code; expected one of "
                        f"{', '.join(str(d) for d in _CODES)}")
    if array.ndim == 0 or array.ndim > 255:
        raise ValueError(f"write_idx: expected 1 to 255 dimensions, got {array.ndim}")
    code = _CODES[native]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    data = header + np.ascontiguousarray(array, dtype=IDX_DTYPES[code]).tobytes()
    if compress is None:
        compress = path.endswith(".gz")
    if compress:
        data = gzip.compress(data, mtime=0)
    with open(path, "wb") as f:
        f.write(data)
