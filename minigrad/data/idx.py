"""IDX files (the format of MNIST and Fashion-MNIST): read and write, gzipped or raw.

Layout (big-endian): two zero bytes, a data-type code, the number of dimensions ``ndim``, then
``ndim`` uint32 sizes, then the payload (the product of the sizes, items of the coded type):

    code  0x08 uint8   0x09 int8   0x0B int16   0x0C int32   0x0D float32   0x0E float64

A file is gunzipped when it starts with gzip's magic bytes ``1f 8b``, whatever its name.
Every defect (wrong magic, unknown code, truncated header or payload, extra bytes, wrong
number of dimensions, a broken gzip stream) raises :class:`IDXFormatError` naming the file.
A pipe or FIFO is read into memory once (up to ``minigrad.serialization.MAX_STREAM_BYTES``);
:func:`write_idx` writes atomically, as :func:`minigrad.save` does.
"""
import gzip
import math
import zlib

import numpy as np

from ..serialization import atomic_write, file_path, open_source

__all__ = ["IDXFormatError", "read_idx", "write_idx", "IDX_DTYPES"]

# type code -> big-endian NumPy dtype of the payload
IDX_DTYPES = {
    0x08: np.dtype("u1"), 0x09: np.dtype("i1"), 0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}
GZIP_MAGIC = b"\x1f\x8b"
GZIP_MAX_RATIO = 1032    # deflate's best: a gzip file inflates to at most 1032x its size


class IDXFormatError(ValueError):
    """An IDX file that is truncated, corrupt or not what was expected; names the file."""


class _Source:
    """The file's bytes as a stream, gunzipped on the fly when it starts with gzip's magic.

    Read piece by piece, so that a header declaring a huge payload costs nothing: at most
    what the file really holds is ever read (a raw file's size is known before reading, a
    gzip file's bounds it)."""

    _CHUNK = 1 << 20       # inflated or read at a time: bounds what a gzip read allocates

    def __init__(self, path):
        self.path = path
        self.file, self.size = open_source(path, IDXFormatError, f"read_idx: {path}")
        self.gzipped = self.file.read(2) == GZIP_MAGIC
        self.file.seek(0)
        self.stream = gzip.GzipFile(fileobj=self.file, mode="rb") if self.gzipped \
            else self.file

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.gzipped:
            self.stream.close()
        self.file.close()

    @property
    def where(self):
        return f"{self.path}{' (after gunzip)' if self.gzipped else ''}"

    def read(self, n):
        """Up to ``n`` bytes (fewer only at the end of the data)."""
        out = bytearray(n)
        return bytes(out[:self.read_into(memoryview(out))])

    def read_into(self, buffer):
        """Fill ``buffer`` (a writable memoryview of bytes) piece by piece; the number of
        bytes read (fewer only at the end of the data)."""
        done = 0
        try:
            while done < len(buffer):
                got = self.stream.readinto(buffer[done:done + self._CHUNK])
                if not got:
                    break
                done += got
        except (OSError, EOFError, zlib.error) as exc:    # BadGzipFile is an OSError
            if not self.gzipped:
                raise
            raise IDXFormatError(f"{self.path}: starts like a gzip file but cannot be "
                                 f"decompressed ({type(exc).__name__}: {exc})") from None
        return done

    def skip(self):
        """Read to the end of the data, a chunk at a time; the number of bytes read."""
        buffer, total = memoryview(bytearray(self._CHUNK)), 0
        while got := self.read_into(buffer):
            total += got
        return total


def read_idx(path, ndim=None, dtype=None):
    """Read an IDX file into a native-endian NumPy array of the shape its header gives.

    Args:
        path: the file (str, bytes or os.PathLike), gzipped or raw; a pipe or FIFO is read
            into memory once, up to ``minigrad.serialization.MAX_STREAM_BYTES``.
        ndim: the number of dimensions expected (e.g. 3 for images (N, H, W), 1 for labels
            (N,)); None accepts any.
        dtype: the payload dtype expected (e.g. ``np.uint8``); None accepts any IDX type.

    Raises:
        IDXFormatError: the file is not a well-formed IDX file of that kind (the message
            names the file, what was expected and what was found).  The payload's size is
            checked against the header before it is read: a corrupt header cannot make
            ``read_idx`` allocate more memory than the file holds.  A gzip file's payload
            is allocated only when its size is at most ``GZIP_MAX_RATIO`` times the file's
            (deflate's limit), then checked as it inflates: a gzip bomb's header is refused
            after inflating in pieces of 1 MiB, allocating nothing of its declared size.
    """
    path = file_path("read_idx", path)
    with _Source(path) as source:
        head = source.read(4)
        where = source.where
        code, n = _check_magic(head, where, ndim, dtype)
        item = IDX_DTYPES[code]
        header = 4 + 4 * n
        dims = source.read(4 * n)
        if len(dims) < 4 * n:
            raise IDXFormatError(f"{where}: {4 + len(dims)} bytes, too short for the "
                                 f"{header}-byte header of a {n}-d IDX file (truncated "
                                 f"header)")
        shape = tuple(int(d) for d in np.frombuffer(dims, dtype=">u4"))
        expected = math.prod(shape) * item.itemsize
        if not source.gzipped and source.size - header != expected:
            _wrong_payload(where, shape, item, expected, source.size - header)
        if source.gzipped and header + expected > GZIP_MAX_RATIO * source.size:
            # a header that lies (or a bomb): count what is there, allocating nothing
            _wrong_payload(where, shape, item, expected, source.skip(),
                           f"; a {source.size}-byte gzip file inflates to at most "
                           f"{GZIP_MAX_RATIO}x that")
        data = np.empty(expected, dtype=np.uint8)      # filled as the stream inflates
        got = source.read_into(memoryview(data))
        extra = source.read(1)            # also makes gzip check its CRC and length
        if got != expected or extra:
            _wrong_payload(where, shape, item, expected,
                           f"more than {expected}" if extra else got)
    array = data.view(item).reshape(shape)
    if not item.isnative:                 # in place: one copy of the data in memory
        array = array.byteswap(inplace=True).view(item.newbyteorder("="))
    return array


def _check_magic(head, where, ndim, dtype):
    """(type code, number of dimensions) from the 4 magic bytes, checked."""
    if len(head) < 4:
        raise IDXFormatError(f"{where}: {len(head)} bytes, too short for the 4-byte IDX "
                             f"magic number (truncated header)")
    if head[:2] != b"\x00\x00":
        raise IDXFormatError(f"{where}: magic number 0x{head[:4].hex()}, expected two zero "
                             f"bytes first: not an IDX file")
    code, n = head[2], head[3]
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_DTYPES)
        raise IDXFormatError(f"{where}: data type code 0x{code:02X}, expected one of {known}")
    native = IDX_DTYPES[code].newbyteorder("=")
    if dtype is not None and native != np.dtype(dtype):
        raise IDXFormatError(f"{where}: data type {native} (code 0x{code:02X}), expected "
                             f"{np.dtype(dtype)}")
    if n == 0:
        raise IDXFormatError(f"{where}: 0 dimensions in the header, expected at least 1")
    if ndim is not None and n != ndim:
        raise IDXFormatError(f"{where}: {n} dimensions in the header, expected {ndim}")
    return code, n


def _wrong_payload(where, shape, item, expected, got, note=""):
    """``got``: the number of bytes after the header, or a phrase when not all were read."""
    short = isinstance(got, int) and got < expected
    what = "truncated payload" if short else "extra bytes after the payload"
    raise IDXFormatError(f"{where}: the header gives shape {shape} of "
                         f"{item.newbyteorder('=')}, i.e. {expected} bytes of data, but "
                         f"{got} bytes follow the header ({what}{note})")


def write_idx(path, array, compress=None):
    """Write ``array`` (any shape with ≥ 1 dimension, an IDX dtype) as an IDX file.

    Args:
        path: the file to write (atomically: see :func:`minigrad.serialization.atomic_write`;
            an existing file keeps its mode, a symlink its target).
        array: uint8, int8, int16, int32, float32 or float64 array, at least 1-d.
        compress: gzip the file; None gzips when ``path`` ends with ``.gz``.
    """
    path = file_path("write_idx", path)
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
    atomic_write("write_idx", path, lambda f: f.write(data))
