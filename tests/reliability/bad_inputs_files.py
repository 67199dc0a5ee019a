"""Bad inputs of saving and reading files (the SAVING group of docs/errors.md): saves that
must leave the old file intact and its mode, links and neighbours as they were, and sources
that cannot be read the usual way (pipes, bytes paths, compressed headers that lie)."""
import gzip
import io
import os
import threading

import numpy as np

import minigrad
from minigrad import nn
from minigrad import serialization as S
from minigrad.data.idx import IDXFormatError, read_idx, write_idx
from minigrad.serialization import CheckpointFormatError

from .bad_inputs import SAVING, case, idx_file, saved_model_file, seeded


def fifo_with(tmp, name, data):
    """A FIFO that a thread fills with ``data`` once a reader opens it (a reader that stops
    early leaves the thread a BrokenPipeError, which ends it)."""
    path = tmp / name
    os.mkfifo(path)

    def feed():
        try:
            with open(path, "wb") as f:
                f.write(data)
        except BrokenPipeError:
            pass
    threading.Thread(target=feed, daemon=True).start()
    return path


def with_stream_limit(limit, fn):
    """Run ``fn`` with ``minigrad.serialization.MAX_STREAM_BYTES`` = ``limit``."""
    saved, S.MAX_STREAM_BYTES = S.MAX_STREAM_BYTES, limit
    try:
        return fn()
    finally:
        S.MAX_STREAM_BYTES = saved


def model_and(**paths):
    """Build: a seeded Linear(3, 4) and the paths given (functions of tmp)."""
    return seeded(lambda tmp: {"model": nn.Linear(3, 4),
                               **{k: make(tmp) for k, make in paths.items()}})


def directory(tmp, name):
    (tmp / name).mkdir()
    return tmp / name


def link_loop(tmp, name):
    os.symlink(name, tmp / name)
    return tmp / name


def gzip_bomb(tmp):
    """A gzip IDX file whose header claims 4 GiB of uint8 over 1 MiB of zeros."""
    path = tmp / "bomb.idx.gz"
    header = bytes([0, 0, 0x08, 1]) + (2**32 - 1).to_bytes(4, "big")
    path.write_bytes(gzip.compress(header + bytes(1 << 20), compresslevel=9, mtime=0))
    return path


# -- reading: pipes and FIFOs, bytes paths, directories -------------------------------------------

case("load_fifo_over_the_limit", SAVING,
     "`load` of a FIFO holding more than `MAX_STREAM_BYTES` (set to 512 here; 2 GiB by default)",
     lambda tmp: {"source": fifo_with(tmp, "model.fifo",
                                      saved_model_file(tmp, "model.npz").read_bytes())},
     lambda o: with_stream_limit(512, lambda: minigrad.load(o.source)), CheckpointFormatError,
     ["load: 'model.fifo'", "a pipe, FIFO or device cannot seek", "expected at most 512 bytes",
      "MAX_STREAM_BYTES", "got more", "copy it to a regular file"])
case("read_idx_fifo_over_the_limit", SAVING,
     "`read_idx` of a FIFO holding more than `MAX_STREAM_BYTES` (set to 16 here)",
     lambda tmp: {"source": fifo_with(tmp, "images.fifo", idx_file(
         tmp, "images.idx", lambda b: b).read_bytes())},
     lambda o: with_stream_limit(16, lambda: read_idx(o.source)), IDXFormatError,
     ["read_idx: ", "images.fifo: a pipe, FIFO or device cannot seek",
      "expected at most 16 bytes", "MAX_STREAM_BYTES", "got more"])
case("load_bytes_path_with_nul", SAVING, "`load(b\"model\\x00.npz\")`: a NUL in a bytes path",
     lambda tmp: {}, lambda o: minigrad.load(b"model\x00.npz"), ValueError,
     ["load: path must not contain a NUL character", "got 'model\\x00.npz'"])
case("load_bytes_path_missing", SAVING, "`load` of a bytes path that does not exist",
     lambda tmp: {"path": tmp / "missing.npz"}, lambda o: minigrad.load(bytes(o.path)),
     FileNotFoundError, ["No such file or directory", "'missing.npz'"])
case("load_text_file_object", SAVING, "`load` of a file opened in text mode",
     lambda tmp: {"path": saved_model_file(tmp, "model.npz")},
     lambda o: minigrad.load(io.StringIO("not bytes")), TypeError,
     ["load: f is a file opened in text mode (StringIO)", "open it with mode 'rb'"])
case("load_directory", SAVING, "`load` of a directory",
     lambda tmp: {"dir": directory(tmp, "checkpoints")}, lambda o: minigrad.load(o.dir),
     IsADirectoryError, ["load: 'checkpoints'", "expected a file, got a directory"])
case("load_checkpoint_int_path", SAVING, "`load_checkpoint` of an int (a file descriptor?)",
     model_and(), lambda o: minigrad.load_checkpoint(3, model=o.model), TypeError,
     ["load_checkpoint: path must be a file path", "got int"])
case("read_idx_directory", SAVING, "`read_idx` of a directory named like a file",
     lambda tmp: {"dir": directory(tmp, "train-images.idx")}, lambda o: read_idx(o.dir),
     IsADirectoryError, ["read_idx: ", "train-images.idx: expected a file, got a directory"])
case("read_idx_bytes_path_with_nul", SAVING, "`read_idx` of a bytes path holding a NUL",
     lambda tmp: {}, lambda o: read_idx(b"labels\x00.idx"), ValueError,
     ["read_idx: path must not contain a NUL character", "got 'labels\\x00.idx'"])

# -- reading: gzip IDX files whose header lies -----------------------------------------------------

case("read_idx_gzip_bomb", SAVING,
     "a 1 KiB gzip IDX file whose header claims 4 GiB (1 MiB of zeros inside)",
     lambda tmp: {"path": gzip_bomb(tmp)}, lambda o: read_idx(o.path), IDXFormatError,
     ["bomb.idx.gz (after gunzip)", "shape (4294967295,) of uint8", "4294967295 bytes of data",
      "but 1048576 bytes follow the header", "truncated payload",
      "gzip file inflates to at most 1032x that"])
case("read_idx_gzip_short", SAVING, "a gzip IDX file whose data is 3 bytes short",
     lambda tmp: {"path": idx_file(tmp, "short.idx.gz",
                                   lambda b: gzip.compress(b[:-3], mtime=0))},
     lambda o: read_idx(o.path), IDXFormatError,
     ["short.idx.gz (after gunzip)", "shape (3, 4) of uint8", "12 bytes of data",
      "but 9 bytes follow the header", "truncated payload"])
case("read_idx_gzip_extra", SAVING, "a gzip IDX file with bytes after its data",
     lambda tmp: {"path": idx_file(tmp, "long.idx.gz",
                                   lambda b: gzip.compress(b + bytes(5), mtime=0))},
     lambda o: read_idx(o.path), IDXFormatError,
     ["long.idx.gz (after gunzip)", "12 bytes of data",
      "but more than 12 bytes follow the header", "extra bytes after the payload"])

# -- saving: where the file cannot go --------------------------------------------------------------

for func, save in [("save", lambda o, p: minigrad.save(o.model.state_dict(), p)),
                   ("save_checkpoint", lambda o, p: minigrad.save_checkpoint(p, model=o.model)),
                   ("write_idx", lambda o, p: write_idx(p, np.zeros(3, np.uint8)))]:
    case(f"{func}_to_a_directory", SAVING, f"`{func}` to a directory's path",
         model_and(dir=lambda tmp: directory(tmp, "checkpoints")),
         lambda o, save=save: save(o, o.dir), IsADirectoryError,
         [f"{func}: expected a file path, got the directory 'checkpoints'"])
    case(f"{func}_missing_directory", SAVING, f"`{func}` into a directory that does not exist",
         model_and(dir=lambda tmp: tmp / "missing_dir"),
         lambda o, save=save: save(o, o.dir / "model.npz"), FileNotFoundError,
         [f"{func}: cannot write 'missing_dir/model.npz'", "its directory does not exist"])
case("save_under_a_file", SAVING, "`save` to `model.npz/x`, under a file as if a directory",
     model_and(path=lambda tmp: saved_model_file(tmp, "model.npz")),
     lambda o: minigrad.save({}, o.path / "x"), NotADirectoryError,
     ["save: cannot write 'model.npz/x'", "'model.npz' is not a directory"])
case("save_symlink_loop", SAVING, "`save` to a symlink that leads to itself",
     model_and(link=lambda tmp: link_loop(tmp, "loop.npz")),
     lambda o: minigrad.save(o.model.state_dict(), o.link), OSError,
     ["save: cannot follow the symbolic link 'loop.npz'", "it leads to itself"])
case("save_checkpoint_int_path", SAVING, "`save_checkpoint` to an int (a file descriptor?)",
     model_and(), lambda o: minigrad.save_checkpoint(3, model=o.model), TypeError,
     ["save_checkpoint: path must be a file path (str, bytes or os.PathLike)", "got int"])
case("write_idx_file_object", SAVING, "`write_idx` to a file object instead of a path",
     lambda tmp: {}, lambda o: write_idx(io.BytesIO(), np.zeros(3, np.uint8)), TypeError,
     ["write_idx: path must be a file path (str, bytes or os.PathLike)", "got BytesIO"])
