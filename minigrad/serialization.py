"""``save`` / ``load``: checkpoints (state dicts) in a ``.npz`` file, without pickle.

What can be saved: Tensors, NumPy/CuPy arrays and NumPy scalars, and ``None``, bools, ints,
floats, strings, lists, tuples and dicts (keys: str, int, float, bool or None) of those —
a model's ``state_dict()``, an optimizer's ``state_dict()`` (``{"state": {int: {...}},
"param_groups": [...]}``) or a dict holding both and an epoch number.

The file is an ordinary NumPy ``.npz`` (a zip) holding

* one member per array, ``a0``, ``a1``, … (``.npy``: dtype, shape and bytes, exact), and
* ``__minigrad__``: a JSON manifest (as a uint8 array) with the format name and version
  and the structure, in which every array is a reference to its member and records
  whether it was a Tensor (and its ``requires_grad``), a Parameter, an array or a scalar.

Nothing is unpickled on load, so loading a file runs no code from it: the members are read
with ``zipfile`` and NumPy's ``.npy`` header parser (``ast.literal_eval``), object and
structured dtypes are refused, and every declared size is checked against the file's own
size before anything is allocated.  Whatever is wrong with a file — truncated, bit-flipped,
not a zip, a hostile manifest — :func:`load` raises :class:`CheckpointFormatError` (a
ValueError) naming the file and the defect.  Arrays shared by several entries (tied
weights) are stored once and come back shared.

Files are written by :func:`atomic_write` (also used by ``write_idx``): never left worse
than they were (old or new, same mode and owner, links kept).  :func:`open_source` reads a
pipe or FIFO once into memory, so ``load`` and ``read_idx`` take any readable source.
``save`` and ``load`` also take binary file objects (``io.BytesIO``, ``open(path, "wb")``),
as PyTorch's do: written directly (no atomicity is possible there) and read from their
current position.

Whole training states (optimizer, schedulers, generators, counters) are written with
:func:`minigrad.save_checkpoint`, which builds on this module (``minigrad/checkpoint.py``).
"""
import collections
import contextlib
import errno
import io
import json
import math
import os
import re
import socket
import stat
import struct
import sys
import warnings
import zipfile
import zlib

import numpy as np
from numpy.lib import format as npy_format

from . import backend
from .parameter import Parameter
from .tensor import Tensor, _is_cupy

__all__ = ["save", "load", "CheckpointFormatError"]

FORMAT = "minigrad.save"
VERSION = 1
MANIFEST = "__minigrad__"
_KINDS = "biufc"      # bool, integers, floats, complex: what an .npy holds without pickle
_READ_CHUNK = 4 * 2**20    # load reads arrays in pieces of this size (zipfile buffers one more)


# -- save -------------------------------------------------------------------------------------
class _Writer:
    """Turns an object into the JSON manifest's structure, collecting arrays as members."""

    def __init__(self):
        self.members = {}       # member name -> host ndarray
        self.by_id = {}         # id(original array) -> member name (shared arrays once)
        self.keep = []          # keeps the originals alive so that ids stay unique
        self.active = set()     # ids of the containers being written (cycle check)

    def member(self, array, where):
        if array.dtype.kind not in _KINDS:
            raise TypeError(f"save: {where} is an array of dtype {array.dtype}; only bool, "
                            f"integer, floating-point and complex arrays can be saved")
        name = self.by_id.get(id(array))
        if name is None:
            name = f"a{len(self.members)}"
            self.members[name] = backend.to_device(array, "cpu")
            self.by_id[id(array)] = name
            self.keep.append(array)
        return name

    def node(self, obj, where):
        if isinstance(obj, np.generic):     # before float: np.float64 is a float subclass
            return {"type": "scalar", "member": self.member(np.asarray(obj), where)}
        if obj is None or isinstance(obj, (bool, int, str)):
            return obj
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"type": "float", "value": repr(obj)}
        if isinstance(obj, Tensor):
            kind = "parameter" if isinstance(obj, Parameter) else "tensor"
            return {"type": kind, "member": self.member(obj._data, where),
                    "requires_grad": obj.requires_grad}
        if isinstance(obj, np.ndarray) or _is_cupy(obj):
            return {"type": "array", "member": self.member(obj, where)}
        if isinstance(obj, (list, tuple, dict)):
            if id(obj) in self.active:
                raise ValueError(f"save: {where} contains itself (a reference cycle)")
            self.active.add(id(obj))
            try:
                return self.container(obj, where)
            finally:
                self.active.discard(id(obj))
        hint = "; save its state_dict() instead" if hasattr(obj, "state_dict") else ""
        raise TypeError(f"save: cannot save {where}, an object of type "
                        f"{type(obj).__module__}.{type(obj).__qualname__}{hint}")

    def container(self, obj, where):
        if isinstance(obj, (list, tuple)):
            items = [self.node(v, f"{where}[{i}]") for i, v in enumerate(obj)]
            return {"type": "list" if isinstance(obj, list) else "tuple", "items": items}
        pairs = []
        for k, v in obj.items():
            if not (k is None or isinstance(k, (str, int, float))):
                raise TypeError(f"save: {where} has a key of type {type(k).__name__} "
                                f"({k!r}); keys must be str, int, float, bool or None")
            if isinstance(k, float) and not math.isfinite(k):
                raise TypeError(f"save: {where} has a non-finite float key {k!r}")
            pairs.append([k, self.node(v, f"{where}[{k!r}]")])
        kind = "ordered_dict" if isinstance(obj, collections.OrderedDict) else "dict"
        return {"type": kind, "items": pairs}


def save(obj, f):
    """Write ``obj`` (a state dict; see the module docstring) to ``f``: a file path or a
    binary file object (``io.BytesIO()``, ``open(path, "wb")``), as PyTorch's ``save``.

    A path is never left worse than it was (see :func:`atomic_write`): the file is written
    under a temporary name in its directory, flushed to disk and renamed over ``path`` in
    one step, so an interrupted save (a crash, a kill, Ctrl-C) leaves the old file or the
    new one, never a half-written file, and Ctrl-C raises KeyboardInterrupt.  An existing
    file keeps its mode, owner and group (a read-only one is refused, as ``open`` would);
    a symlink is followed and its target replaced (a dangling link's target is created).
    Temporary files are named ``.<name>.<host>.<pid>.<random>.minigrad-tmp``; one left by
    a killed process (or an ill-timed second Ctrl-C) is removed by the next save to the same
    path, once no live process is writing it.  CUDA arrays are copied to the host; the file
    is the same whatever device the tensors were on.  A path (str, bytes or os.PathLike)
    is used as given: no ``.npz`` is appended.

    A file object is written directly, from its current position, and flushed (not
    closed): there is no file to replace, so an interrupted save leaves it partly written
    — for the atomic guarantees, pass a path.  What cannot be saved (a Module itself rather
    than its ``state_dict()``, an arbitrary object) is refused before anything is written.

    >>> minigrad.save({"model": model.state_dict(), "optim": opt.state_dict(),
    ...                "epoch": 3}, "checkpoint.npz")
    >>> buffer = io.BytesIO(); minigrad.save(model.state_dict(), buffer)
    """
    if _is_file_object(f, "save"):
        members = _members(obj)
        if not callable(getattr(f, "flush", None)):
            f = _Flushed(f)             # zipfile flushes what it writes to
        _write_npz(f, members)
        f.flush()
        return
    save_as("save", obj, _path_or_file("save", f))


def save_as(func, obj, path):
    """:func:`save` to a path, with ``func`` (the caller the user called) naming it in path
    errors."""
    path = file_path(func, path)
    members = _members(obj)
    atomic_write(func, path, lambda f: _write_npz(f, members))


def _members(obj):
    """The archive's members for ``obj``: its arrays and the manifest (TypeError /
    ValueError for what cannot be saved, before anything is written)."""
    writer = _Writer()
    root = writer.node(obj, "obj")
    manifest = json.dumps({"format": FORMAT, "version": VERSION, "root": root},
                          ensure_ascii=True, allow_nan=False)
    members = dict(writer.members)
    members[MANIFEST] = np.frombuffer(manifest.encode("ascii"), dtype=np.uint8)
    return members


def _is_file_object(f, func):
    """Whether ``f`` is a binary file object for ``func`` (``save`` writes, ``load`` reads);
    a text-mode file raises TypeError."""
    if isinstance(f, (str, bytes, os.PathLike)):
        return False
    method = "write" if func == "save" else "read"
    if not callable(getattr(f, method, None)):
        return False
    mode = "wb" if func == "save" else "rb"
    if isinstance(f, io.TextIOBase):
        raise TypeError(f"{func}: f is a file opened in text mode ({type(f).__name__}); "
                        f"minigrad files are binary: open it with mode {mode!r}")
    able = getattr(f, "writable" if func == "save" else "readable", None)
    try:
        refused = callable(able) and not able()
    except ValueError:            # "I/O operation on closed file"
        raise ValueError(f"{func}: f ({type(f).__name__}) is closed") from None
    if refused:
        raise TypeError(f"{func}: f ({type(f).__name__}) is not open for "
                        f"{'writing' if func == 'save' else 'reading'}; open it with mode "
                        f"{mode!r}")
    return True


class _Flushed:
    """A file object with only ``write()``, given the ``flush()`` that zipfile calls."""

    def __init__(self, f):
        self.write = f.write

    def flush(self):
        pass


def _path_or_file(func, f):
    """``f`` when it is a path; else a TypeError saying what ``func`` takes."""
    if not isinstance(f, (str, bytes, os.PathLike)):
        method = "write()" if func == "save" else "read()"
        raise TypeError(f"{func}: f must be a file path (str, bytes or os.PathLike) or a "
                        f"binary file object with {method} (io.BytesIO, open(path, "
                        f"{'wb' if func == 'save' else 'rb'!r})), got {type(f).__name__}")
    return f


class _Archive(zipfile.ZipFile):
    """The ``.npz`` being written.  An interrupted write drops it unclosed: ZipFile's
    ``close()`` (also run when it is garbage-collected) would raise "Can't close the ZIP
    file" over the KeyboardInterrupt, and the temporary file is deleted anyway."""

    def __del__(self):
        pass


def _write_npz(f, members):
    """What ``np.savez`` writes (uncompressed ``.npy`` members, zip64), closed only when
    every member is complete."""
    archive = _Archive(f, "w", zipfile.ZIP_STORED, allowZip64=True)
    for name, array in members.items():
        with archive.open(f"{name}.npy", "w", force_zip64=True) as out:
            npy_format.write_array(out, np.asarray(array), allow_pickle=False)
    archive.close()


# -- files: paths, safe writing, reading any source ------------------------------------------
MAX_STREAM_BYTES = 2 * 2**30   # the most load / read_idx read from a pipe, FIFO or device
_TMP_SUFFIX = ".minigrad-tmp"
_HOST = re.sub(r"[^A-Za-z0-9-]", "_", socket.gethostname())[:32] or "host"
_IN_FLIGHT = set()             # the temporary files this process's saves are writing


def file_path(func, path):
    """``path`` as a str (bytes decoded as ``open`` decodes them), or TypeError / ValueError
    naming ``func``."""
    try:
        path = os.fsdecode(os.fspath(path))
    except TypeError:
        raise TypeError(f"{func}: path must be a file path (str, bytes or os.PathLike), got "
                        f"{type(path).__name__}") from None
    if "\0" in path:
        raise ValueError(f"{func}: path must not contain a NUL character, got {path!r}")
    return path


def atomic_write(func, path, write):
    """Write a file with ``write(f)`` (``f``: a binary file) so that ``path`` is never worse.

    * The data goes to a temporary file in the target's directory, is flushed and fsynced,
      then renamed over the target: readers see the old file or the new one.
    * A symlink is followed and its target replaced, so the link and its other users see
      the new data (a dangling link's target is created, as editors do).
    * An existing file's mode, owner and group are kept (owner and group where the user may
      set them); a new file gets the umask's mode.
    * If anything fails, the temporary file is removed and the exception propagates; an
      interrupt raised anywhere inside (even while zipfile closes) propagates as itself.
    * Temporary files are ``.<name>.<host>.<pid>.<random>.minigrad-tmp``; those left by a
      killed process of this host, or by an interrupt in this one, are removed first (no
      file accumulates); a live process's file being written is never touched.
    * A FIFO or device (``/dev/stdout``) is written directly: there is no file to replace.
    """
    target = os.path.realpath(path)
    if os.path.islink(target):
        raise OSError(errno.ELOOP, f"{func}: cannot follow the symbolic link {path!r}: it "
                      f"leads to itself")
    try:
        old = os.stat(target)
    except (FileNotFoundError, NotADirectoryError):
        old = None
    if old is not None and stat.S_ISDIR(old.st_mode):
        raise IsADirectoryError(errno.EISDIR, f"{func}: expected a file path, got the "
                                f"directory {path!r}")
    outer = sys.exc_info()[1]
    if old is not None and not stat.S_ISREG(old.st_mode):
        with open(target, "wb") as f:
            _as_interrupt(write, f, outer=outer)
        return
    directory, name = os.path.split(target)
    if not os.path.isdir(directory):
        if os.path.exists(directory):
            raise NotADirectoryError(errno.ENOTDIR, f"{func}: cannot write {path!r}: "
                                     f"{os.path.basename(directory)!r} is not a directory")
        raise FileNotFoundError(errno.ENOENT, f"{func}: cannot write {path!r}: its "
                                f"directory does not exist")
    if old is not None and not os.access(target, os.W_OK):
        raise PermissionError(errno.EACCES, f"{func}: cannot write {path!r}: it is "
                              f"read-only (mode {stat.filemode(old.st_mode)})")
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, f"{func}: cannot write {path!r}: no permission "
                              f"to create a file in its directory")
    _remove_stale_temps(directory, name)
    tmp = os.path.join(directory, f"{_tmp_prefix(name)}{os.getpid()}.{os.urandom(8).hex()}"
                                  f"{_TMP_SUFFIX}")
    _IN_FLIGHT.add(tmp)       # before it exists: another thread's cleanup must spare it
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                     0o666 if old is None else 0o600)   # 0600 while it replaces a file
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            if old is not None:
                _keep_owner_and_mode(f.fileno(), old)
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        try:                  # (an interrupt may land just after os.open created it)
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        interrupt = _interrupt_in(exc, outer)
        if interrupt is not None:
            raise interrupt from None
        raise
    finally:
        _IN_FLIGHT.discard(tmp)
    _fsync_directory(directory)


def _as_interrupt(fn, *args, outer):
    try:
        return fn(*args)
    except BaseException as exc:
        interrupt = _interrupt_in(exc, outer)
        if interrupt is not None:
            raise interrupt from None
        raise


def _interrupt_in(exc, outer):
    """The KeyboardInterrupt (or SystemExit…) behind ``exc``, raised during this write, or
    None: an error raised while unwinding from an interrupt must not replace it."""
    while exc is not None and exc is not outer:
        if not isinstance(exc, Exception):
            return exc
        exc = exc.__context__
    return None


def _tmp_prefix(name):
    return f".{name[:100]}.{_HOST}."


def _remove_stale_temps(directory, name):
    """Delete the temporary files that saves to ``name`` left when interrupted or killed:
    those of processes of this host that no longer exist, and this process's own that no
    save is writing; never a file that a live process may still be writing."""
    pattern = re.compile(re.escape(_tmp_prefix(name)) + r"(\d{1,10})\.[0-9a-f]+"
                         + re.escape(_TMP_SUFFIX))
    with contextlib.suppress(OSError):
        for entry in os.listdir(directory):
            match = pattern.fullmatch(entry)
            tmp = os.path.join(directory, entry)
            if match and _is_stale(tmp, int(match[1])):
                with contextlib.suppress(OSError):
                    os.unlink(tmp)


def _is_stale(tmp, pid):
    if pid == os.getpid():
        return tmp not in _IN_FLIGHT
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (OSError, OverflowError):    # PermissionError: another user's live process
        pass
    return False


def _keep_owner_and_mode(fd, old):
    """Give the new file the old one's owner, group and mode (chown first: it clears the
    setuid bits); an owner or group the user may not set is left as it is."""
    st = os.fstat(fd)
    if (st.st_uid, st.st_gid) != (old.st_uid, old.st_gid):
        for owner in (old.st_uid, -1):
            with contextlib.suppress(PermissionError):
                os.fchown(fd, owner, old.st_gid)
                break
    os.fchmod(fd, stat.S_IMODE(old.st_mode))


def _fsync_directory(directory):
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def open_source(path, error, who):
    """(binary file, size in bytes) of the file ``path`` to read, seekable.

    A pipe, FIFO or device (``<(cat file)``, ``/dev/stdin``) cannot seek and has no size:
    it is read once into memory, up to ``MAX_STREAM_BYTES``; more raises ``error`` (the
    reader's format error), with ``who`` (the function and file) first in the message.
    """
    try:
        f = open(path, "rb")
    except IsADirectoryError:
        raise IsADirectoryError(errno.EISDIR, f"{who}: expected a file, got a "
                                f"directory") from None
    st = os.fstat(f.fileno())
    if stat.S_ISREG(st.st_mode):
        return f, st.st_size
    limit, parts, size = MAX_STREAM_BYTES, [], 0
    with f:
        while chunk := f.read(min(_READ_CHUNK, limit + 1 - size)):
            parts.append(chunk)
            size += len(chunk)
    if size > limit:
        raise error(f"{who}: a pipe, FIFO or device cannot seek, so it is read into memory: "
                    f"expected at most {limit} bytes (minigrad.serialization."
                    f"MAX_STREAM_BYTES), got more; copy it to a regular file")
    return io.BytesIO(b"".join(parts)), size


# -- load -------------------------------------------------------------------------------------
class CheckpointFormatError(ValueError):
    """A file :func:`load` cannot read: not written by :func:`save`, truncated or corrupt.

    The message names the file and says what was expected and what was found.  A subclass
    of ValueError.
    """


class _CorruptFile(ValueError):
    """Internal: what is wrong, reported by load() with the file's name."""


# What the zipfile / numpy.lib.format / json machinery raises on malformed bytes.  Missing
# files and permissions (OSError subclasses) are re-raised as they are.
_FORMAT_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, KeyError,
                  OSError, struct.error, NotImplementedError, OverflowError, IndexError,
                  TypeError, SyntaxError, RuntimeError, zlib.error)
_ACCESS_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError)


def load(f, map_location=None, weights_only=True):
    """Read an object written by :func:`save`, as PyTorch's ``load``.

    Tensors come back as Tensors (Parameters as Parameters, with their ``requires_grad``),
    NumPy arrays and scalars as NumPy arrays and scalars, containers as they were (an
    OrderedDict as an OrderedDict), with exact dtypes and values.

    Args:
        f: a file path (str, bytes or os.PathLike) or a binary file object (``io.BytesIO``,
            ``open(path, "rb")``), read from its current position to its end; a file
            object is not closed.  A pipe, FIFO or device (``<(zcat ckpt.npz.gz)``,
            ``/dev/stdin``) or a file object that cannot seek is read into memory once, up
            to ``MAX_STREAM_BYTES`` (2 GiB), since reading a zip needs seeking.
        map_location: ``None`` or ``"cpu"`` (or ``minigrad.device("cpu")``): everything on
            the host; ``"cuda"``: Tensors and arrays on the GPU (CuPy arrays).  PyTorch's
            dict and function forms are not implemented.
        weights_only: True, False or None, accepted for PyTorch's sake.  minigrad never
            unpickles: every file is read as PyTorch's ``weights_only=True`` reads one
            (tensors, arrays, numbers, strings and containers only; nothing in the file is
            executed), whatever this says — ``False`` does not enable pickle.

    Raises:
        CheckpointFormatError (a ValueError): the file is not a minigrad file, or it is
            truncated or corrupt; the message names the file and what is wrong.  Every
            size is checked against the file's own size before memory is allocated, so a
            corrupt header cannot make ``load`` allocate more than the file holds.  Also
            raised for a pipe holding more than ``MAX_STREAM_BYTES``.
        FileNotFoundError, PermissionError, IsADirectoryError: as ``open`` raises them.
    """
    is_object = _is_file_object(f, "load")
    path = None if is_object else file_path("load", _path_or_file("load", f))
    if map_location is not None and not isinstance(map_location, str):
        kind = ("a dict" if isinstance(map_location, dict) else "a function"
                if callable(map_location) else None)
        extra = (f"; {kind} (PyTorch's storage remapping) is not implemented" if kind
                 else "")
        shown = kind if callable(map_location) else f"{map_location!r:.80}"   # no address
        raise TypeError(f"load: map_location must be None, 'cpu' or 'cuda' (or a "
                        f"minigrad.device), got {shown}{extra}")
    if not (weights_only is None or isinstance(weights_only, (bool, np.bool_))):
        raise TypeError(f"load: weights_only must be True, False or None, got "
                        f"{weights_only!r:.80} ({type(weights_only).__name__})")
    device = backend.normalize_device(map_location)
    backend.xp_for(device)       # CudaUnavailableError before reading, with the reason
    name = _object_name(f) if is_object else repr(path)
    try:
        source = _object_source(f, name) if is_object else \
            open_source(path, CheckpointFormatError, f"load: {name}")
        manifest, arrays = _read(source)
        try:
            return _Reader(arrays, device).node(manifest["root"], "obj")
        except RecursionError:
            raise _CorruptFile("the manifest is nested too deeply") from None
    except _CorruptFile as exc:
        raise CheckpointFormatError(f"load: {name} is not a valid minigrad file: "
                                    f"{exc}") from None


def _object_name(f):
    """How messages name a file object: its file's name, or its type."""
    name = getattr(f, "name", None)
    if isinstance(name, (str, bytes)):
        return f"the file object of {os.fsdecode(name)!r}"
    return f"the {type(f).__name__} object"


class _Window:
    """The bytes of a seekable file object from ``start`` to its end, as a file of their
    own (what zipfile reads); closing it leaves the object open."""

    def __init__(self, f, start, size):
        self.f, self.start, self.size, self.pos = f, start, size, 0

    def seekable(self):
        return True

    def readable(self):
        return True

    def tell(self):
        return self.pos

    def seek(self, offset, whence=0):
        base = (0, self.pos, self.size)[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self.pos = base + offset
        return self.pos

    def read(self, n=-1):
        left = max(self.size - self.pos, 0)
        n = left if n is None or n < 0 else min(n, left)
        self.f.seek(self.start + self.pos)
        data = self.f.read(n)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"load: f.read() returned {type(data).__name__}, expected bytes: "
                            f"open the file in binary mode ('rb')")
        self.pos += len(data)
        return bytes(data)

    def close(self):
        self.f.seek(self.start + self.size)     # consumed, as a read to the end leaves it

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _object_source(f, name):
    """(a binary file, its size) for a file object: a window on it from its position when it
    can seek, else its bytes read once into memory (up to ``MAX_STREAM_BYTES``)."""
    try:
        seekable = bool(f.seekable()) if callable(getattr(f, "seekable", None)) else \
            callable(getattr(f, "seek", None)) and callable(getattr(f, "tell", None))
    except (OSError, ValueError):
        seekable = False
    if seekable:
        start = f.tell()
        end = f.seek(0, io.SEEK_END)
        end = f.tell() if end is None else end
        f.seek(start)
        return _Window(f, start, max(end - start, 0)), max(end - start, 0)
    limit, parts, size = MAX_STREAM_BYTES, [], 0
    while chunk := f.read(min(_READ_CHUNK, limit + 1 - size)):
        if not isinstance(chunk, (bytes, bytearray, memoryview)):
            raise TypeError(f"load: f.read() returned {type(chunk).__name__}, expected "
                            f"bytes: open the file in binary mode ('rb')")
        parts.append(bytes(chunk))
        size += len(chunk)
    if size > limit:
        raise CheckpointFormatError(
            f"load: {name}: a file object that cannot seek is read into memory: expected "
            f"at most {limit} bytes (minigrad.serialization.MAX_STREAM_BYTES), got more; "
            f"write it to a file or an io.BytesIO")
    return io.BytesIO(b"".join(parts)), size


def _read(source):
    """The manifest (a dict) and every array member of the file, checked; ``source`` is
    (binary file, size), closed at the end."""
    f, size = source
    with f:
        if f.read(4) != b"PK\x03\x04":
            raise _CorruptFile("it is not a zip/.npz archive (wrong magic bytes); was it "
                               "written by minigrad.save?")
        f.seek(0)
        try:
            with zipfile.ZipFile(f) as archive:
                infos = archive.infolist()
                names = [info.filename for info in infos]
                if len(set(names)) != len(names):
                    raise _CorruptFile("the archive lists a member name twice")
                members = {}
                for info in infos:
                    if not info.filename.endswith(".npy"):
                        raise _CorruptFile(f"member {info.filename!r} is not an .npy array")
                    members[info.filename[:-4]] = _read_member(archive, info, size)
        except (_CorruptFile, *_ACCESS_ERRORS):
            raise
        except _FORMAT_ERRORS as exc:
            raise _CorruptFile(f"the archive is truncated or corrupt ({type(exc).__name__}: "
                               f"{exc})") from None
    if MANIFEST not in members:
        raise _CorruptFile(f"it has no {MANIFEST!r} manifest (an .npz written by something "
                           f"else?)")
    manifest = _parse_manifest(members.pop(MANIFEST))
    return manifest, members


def _read_member(archive, info, archive_size):
    """One ``.npy`` member: its header is read and checked (dtype, and shape against the
    member's size, itself at most the archive's) before its bytes are."""
    name = info.filename[:-4]
    if info.compress_type != zipfile.ZIP_STORED:
        raise _CorruptFile(f"member {name!r} is compressed (zip method {info.compress_type});"
                           f" minigrad.save writes uncompressed members")
    if info.file_size > archive_size:
        raise _CorruptFile(f"member {name!r} declares {info.file_size} bytes, more than the "
                           f"whole file ({archive_size} bytes): truncated or corrupt")
    with archive.open(info) as f:
        shape, fortran_order, dtype = _npy_header(f, name)
        if dtype.hasobject or dtype.kind not in _KINDS or dtype.fields is not None:
            raise _CorruptFile(f"member {name!r} cannot be read: it has dtype {dtype}, which "
                               f"minigrad never writes (object arrays would need pickle; "
                               f"load uses allow_pickle=False)")
        if any(not isinstance(d, int) or d < 0 for d in shape):
            raise _CorruptFile(f"member {name!r} declares the shape {shape}")
        nbytes = math.prod(shape) * dtype.itemsize
        held = info.file_size - f.tell()
        if nbytes != held:
            raise _CorruptFile(f"member {name!r} declares shape {shape} of {dtype}, i.e. "
                               f"{nbytes} bytes, but holds {held} bytes")
        # read in chunks straight into the array: one copy of the data in memory, not two
        data = np.empty(nbytes, dtype=np.uint8)
        done = 0
        while done < nbytes:
            chunk = f.read(min(_READ_CHUNK, nbytes - done))
            if not chunk:
                raise _CorruptFile(f"member {name!r} is truncated: {done} of {nbytes} bytes")
            data[done:done + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
            done += len(chunk)
        f.read(1)                      # reach the member's end: the zip's CRC is checked there
    return data.view(dtype).reshape(shape, order="F" if fortran_order else "C")


def _npy_header(f, name):
    """(shape, fortran_order, dtype) from an .npy header, which NumPy parses with
    ``ast.literal_eval`` (no code runs)."""
    try:
        version = npy_format.read_magic(f)
        with warnings.catch_warnings():      # a corrupt header's odd escapes warn
            warnings.simplefilter("ignore", (DeprecationWarning, SyntaxWarning))
            if version == (1, 0):
                return npy_format.read_array_header_1_0(f)
            if version == (2, 0):
                return npy_format.read_array_header_2_0(f)
    except (zipfile.BadZipFile, *_ACCESS_ERRORS):
        raise
    except Exception as exc:     # noqa: BLE001  any failure to parse it is a corrupt header
        # (ValueError, SyntaxError, tokenize.TokenError, MemoryError on absurd literals…)
        raise _CorruptFile(f"member {name!r} has a malformed .npy header "
                           f"({type(exc).__name__}: {str(exc)[:200]})") from None
    raise _CorruptFile(f"member {name!r} has .npy format version {version}, expected 1.0 "
                       f"or 2.0")


def _parse_manifest(raw):
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise _CorruptFile(f"the manifest is a {raw.dtype} array of shape {raw.shape}, "
                           f"expected uint8 bytes")
    try:
        manifest = json.loads(raw.tobytes().decode("ascii"))
    except (ValueError, RecursionError) as exc:     # JSONDecodeError, UnicodeDecodeError…
        raise _CorruptFile(f"the manifest is not valid JSON ({type(exc).__name__}: "
                           f"{str(exc)[:200]})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        got = manifest.get("format") if isinstance(manifest, dict) else None
        raise _CorruptFile(f"the manifest's format is {str(got)[:80]!r}, expected "
                           f"{FORMAT!r}")
    version = manifest.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise _CorruptFile(f"the manifest's version is {str(version)[:80]}, expected an int")
    if version > VERSION:
        raise _CorruptFile(f"it was written in format version {version}; this minigrad "
                           f"reads versions up to {VERSION} (upgrade minigrad)")
    if "root" not in manifest:
        raise _CorruptFile("the manifest has no 'root' entry")
    return manifest


class _Reader:
    """Rebuilds the object from the manifest's structure and the array members."""

    def __init__(self, arrays, device):
        self.arrays, self.device = arrays, device
        self.placed = {}       # member name -> the array on the device (shared when shared)

    def array(self, node, where, host=False):
        name = node.get("member")
        if not isinstance(name, str) or name not in self.arrays:
            raise _CorruptFile(f"{where} refers to the array member {str(name)[:80]!r}, "
                               f"which the archive lacks")
        if host:
            return self.arrays[name]
        if name not in self.placed:
            self.placed[name] = backend.to_device(self.arrays[name], self.device)
        return self.placed[name]

    def node(self, node, where):
        if node is None or isinstance(node, (bool, int, float, str)):
            return node
        if not isinstance(node, dict) or not isinstance(node.get("type"), str):
            raise _CorruptFile(f"{where}: unexpected manifest entry {str(node)[:80]}")
        kind = node["type"]
        if kind in ("tensor", "parameter"):
            return self.tensor(node, kind, where)
        if kind == "array":
            return self.array(node, where)
        if kind == "scalar":
            array = self.array(node, where, host=True)
            if array.ndim != 0:
                raise _CorruptFile(f"{where}: a scalar entry refers to an array of shape "
                                   f"{array.shape}")
            return array[()]
        if kind == "float":
            value = node.get("value")
            if value not in ("nan", "inf", "-inf"):
                raise _CorruptFile(f"{where}: a non-finite float entry holds "
                                   f"{str(value)[:80]!r}, expected 'nan', 'inf' or '-inf'")
            return float(value)
        if kind in ("list", "tuple"):
            items = [self.node(v, f"{where}[{i}]")
                     for i, v in enumerate(self._items(node, where))]
            return items if kind == "list" else tuple(items)
        if kind in ("dict", "ordered_dict"):
            out = collections.OrderedDict() if kind == "ordered_dict" else {}
            for pair in self._items(node, where):
                if not isinstance(pair, list) or len(pair) != 2:
                    raise _CorruptFile(f"{where}: a dict entry is not a [key, value] pair")
                key = pair[0]
                if not (key is None or isinstance(key, (str, int, float))):
                    raise _CorruptFile(f"{where}: a dict key of type {type(key).__name__}")
                out[key] = self.node(pair[1], f"{where}[{key!r:.80}]")
            return out
        raise _CorruptFile(f"{where}: unknown entry type {kind[:80]!r}")

    def tensor(self, node, kind, where):
        array = self.array(node, where)
        grad = node.get("requires_grad", False)
        if not isinstance(grad, bool):
            raise _CorruptFile(f"{where}: requires_grad is {str(grad)[:80]}, expected a bool")
        if grad and array.dtype.kind != "f":
            raise _CorruptFile(f"{where}: a {array.dtype} tensor marked requires_grad")
        if kind == "parameter":
            return Parameter(Tensor._wrap(array), requires_grad=grad)
        return Tensor._wrap(array, requires_grad=grad)

    @staticmethod
    def _items(node, where):
        items = node.get("items")
        if not isinstance(items, list):
            raise _CorruptFile(f"{where}: a {node['type']} entry without an item list")
        return items
