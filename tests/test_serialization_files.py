"""Files are never worse after a save, and any readable source loads (issue 15, principle 2).

Every class iterates over every entry point that writes a file — ``minigrad.save``,
``save_checkpoint``, ``write_idx``, the ``ModelCheckpoint`` callback and ``fit(checkpoint=)``
— or over every reader (``load``, ``load_checkpoint``, ``read_idx`` raw and gzipped)."""
import errno
import gc
import gzip
import io
import os
import signal
import stat
import subprocess
import sys
import threading
import tracemalloc
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from numpy.lib import format as npy_format

import minigrad
from minigrad import nn, train
from minigrad import serialization as S
from minigrad.data import IDXFormatError, read_idx, write_idx

ROOT = Path(__file__).resolve().parent.parent


# -- the entry points that write files -----------------------------------------------------------
@dataclass(frozen=True)
class Saver:
    name: str
    write: Callable          # (path, version: int) -> None
    version: Callable        # (path) -> the version the file holds
    zips: bool = True        # writes a minigrad.save archive (zipfile inside)

    def __repr__(self):
        return self.name


def _compiled_model():
    minigrad.manual_seed(0)
    model = train.Sequential(nn.Linear(2, 1))
    model.compile("sgd", "mse", lr=0.01)
    return model


def _model_checkpoint(path, version):
    callback = train.ModelCheckpoint(path, save_weights_only=False)
    callback.set_model(_compiled_model())
    callback.on_epoch_end(version - 1, {})


def _fit_checkpoint(path, version):
    x = np.zeros((4, 2), np.float32)
    _compiled_model().fit(x, x[:, :1], epochs=version, initial_epoch=version - 1,
                          verbose=0, checkpoint=path)


def _epoch(path):
    return minigrad.load(path)["epoch"]


SAVERS = [
    Saver("save", lambda p, v: minigrad.save({"v": np.full(3, v)}, p),
          lambda p: int(minigrad.load(p)["v"][0])),
    Saver("save_checkpoint", lambda p, v: minigrad.save_checkpoint(p, model=nn.Linear(2, 2),
                                                                   epoch=v), _epoch),
    Saver("write_idx", lambda p, v: write_idx(p, np.full(4, v, np.uint8)),
          lambda p: int(read_idx(p)[0]), zips=False),
    Saver("ModelCheckpoint", _model_checkpoint, _epoch),
    Saver("fit(checkpoint=)", _fit_checkpoint, _epoch),
]
ZIP_SAVERS = [s for s in SAVERS if s.zips]


def temps(directory):
    return sorted(n for n in os.listdir(directory) if n.endswith(".minigrad-tmp"))


@pytest.fixture
def umask():
    """Set a umask for the test; the previous one is put back."""
    previous = os.umask(0o022)
    yield os.umask
    os.umask(previous)


# -- 1. mode, owner and group ---------------------------------------------------------------------
@pytest.mark.parametrize("saver", SAVERS, ids=repr)
class TestModeAndOwner:
    @pytest.mark.parametrize("mode", [0o600, 0o640, 0o604, 0o755])
    def test_an_existing_file_keeps_its_mode(self, tmp_path, saver, mode):
        path = tmp_path / "f"
        saver.write(path, 1)
        os.chmod(path, mode)
        saver.write(path, 2)
        assert stat.S_IMODE(os.stat(path).st_mode) == mode
        assert saver.version(path) == 2 and os.listdir(tmp_path) == ["f"]

    def test_a_new_file_gets_the_umask_mode(self, tmp_path, saver, umask):
        umask(0o027)
        saver.write(tmp_path / "f", 1)
        assert stat.S_IMODE(os.stat(tmp_path / "f").st_mode) == 0o640

    def test_a_private_file_is_never_readable_by_others_while_written(self, tmp_path, saver,
                                                                      monkeypatch):
        """The temporary file replacing a 0600 file is created 0600, not 0644 then fixed."""
        path = tmp_path / "secret"
        saver.write(path, 1)
        os.chmod(path, 0o600)
        seen = []
        keep = S._keep_owner_and_mode
        monkeypatch.setattr(S, "_keep_owner_and_mode",
                            lambda fd, old: (seen.append(os.fstat(fd).st_mode), keep(fd, old)))
        saver.write(path, 2)
        assert seen and all(stat.S_IMODE(m) & 0o077 == 0 for m in seen)

    @pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
    def test_owner_and_group_are_kept(self, tmp_path, saver):
        path = tmp_path / "f"
        saver.write(path, 1)
        os.chown(path, 4321, 4322)
        saver.write(path, 2)
        st = os.stat(path)
        assert (st.st_uid, st.st_gid) == (4321, 4322) and saver.version(path) == 2

    @pytest.mark.skipif(os.geteuid() != 0, reason="giving a file to another user needs root")
    def test_an_owner_the_user_may_not_set_is_left_and_the_mode_still_kept(
            self, tmp_path, saver, monkeypatch):
        path = tmp_path / "f"
        saver.write(path, 1)
        os.chown(path, 4321, 4322)
        os.chmod(path, 0o640)

        def refuse(fd, uid, gid):
            raise PermissionError(errno.EPERM, "Operation not permitted")
        monkeypatch.setattr(S.os, "fchown", refuse)
        saver.write(path, 2)
        st = os.stat(path)
        assert st.st_uid == os.geteuid() and stat.S_IMODE(st.st_mode) == 0o640
        assert saver.version(path) == 2

    def test_a_read_only_file_is_refused_and_left_intact(self, tmp_path, saver, monkeypatch):
        """As ``open(path, "wb")`` would (os.access says so for a non-root user)."""
        path = tmp_path / "f"
        saver.write(path, 1)
        os.chmod(path, 0o444)
        before = path.read_bytes()
        monkeypatch.setattr(S.os, "access", lambda p, mode: False)
        says = r"cannot write '.*f': it is read-only \(mode -r--r--r--\)"
        with pytest.raises(PermissionError, match=None if "fit" in saver.name else says):
            saver.write(path, 2)            # (fit checks its checkpoint= path up front)
        assert path.read_bytes() == before and os.listdir(tmp_path) == ["f"]


# -- 2. symlinks ---------------------------------------------------------------------------------
@pytest.mark.parametrize("saver", SAVERS, ids=repr)
class TestSymlinks:
    @pytest.mark.parametrize("chain", [1, 2], ids=["link", "link to a link"])
    def test_a_save_writes_through_to_the_target_in_its_own_directory(
            self, tmp_path, saver, chain, monkeypatch):
        real, links = tmp_path / "real", tmp_path / "links"
        real.mkdir(), links.mkdir()
        target = real / "model.bin"
        saver.write(target, 1)
        os.chmod(target, 0o600)
        link = links / "latest"
        os.symlink("../real/model.bin", link)
        for i in range(chain - 1):           # latest -> latest.1 -> ../real/model.bin
            os.rename(link, links / f"latest.{i + 1}")
            os.symlink(f"latest.{i + 1}", link)
        renames = []
        replace = os.replace
        monkeypatch.setattr(S.os, "replace", lambda a, b: (renames.append((a, b)),
                                                           replace(a, b)))
        saver.write(link, 2)
        assert os.path.islink(link) and os.path.realpath(link) == str(target)
        assert saver.version(target) == 2 and saver.version(link) == 2
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
        [(tmp, dest)] = renames              # atomically: a temp in the target's directory
        assert os.path.dirname(tmp) == str(real) and dest == str(target)
        assert temps(real) == [] and temps(links) == []

    def test_a_dangling_link_gets_its_target_created(self, tmp_path, saver):
        """As editors do: the link is kept and now leads to the new file."""
        link = tmp_path / "latest"
        os.symlink("runs/model.bin", link)
        (tmp_path / "runs").mkdir()
        saver.write(link, 1)
        assert os.path.islink(link) and saver.version(tmp_path / "runs" / "model.bin") == 1

    def test_a_link_loop_is_refused_and_nothing_created(self, tmp_path, saver):
        os.symlink("b", tmp_path / "a")
        os.symlink("a", tmp_path / "b")
        with pytest.raises(OSError, match=r"cannot follow the symbolic link '.*a': it leads "
                                          r"to itself") as error:
            saver.write(tmp_path / "a", 1)
        assert error.value.errno == errno.ELOOP
        assert sorted(os.listdir(tmp_path)) == ["a", "b"]
        assert os.readlink(tmp_path / "a") == "b"


# -- 3. temporary files left by killed saves ------------------------------------------------------
def _dead_pid():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize("saver", SAVERS, ids=repr)
class TestStaleTemporaryFiles:
    def test_a_save_removes_the_temps_of_dead_processes_and_no_other(self, tmp_path, saver):
        path = tmp_path / "ck.npz"
        saver.write(path, 1)
        sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        dead, me, prefix = _dead_pid(), os.getpid(), S._tmp_prefix("ck.npz")
        stale = {"dead": f"{prefix}{dead}.0badf00d.minigrad-tmp",
                 "mine, interrupted": f"{prefix}{me}.0badf00d.minigrad-tmp"}
        kept = {"live": f"{prefix}{sleeper.pid}.0badf00d.minigrad-tmp",
                "mine, being written": f"{prefix}{me}.feedf00d.minigrad-tmp",
                "other host": f".ck.npz.otherhost.{dead}.0badf00d.minigrad-tmp",
                "other file": f"{S._tmp_prefix('ck2.npz')}{dead}.0badf00d.minigrad-tmp",
                "not ours": ".ck.npz.abcdefgh.tmp"}
        for name in [*stale.values(), *kept.values()]:
            (tmp_path / name).write_bytes(b"half a checkpoint")
        writing = str(tmp_path / kept["mine, being written"])
        S._IN_FLIGHT.add(writing)          # as another thread's save would have it
        try:
            saver.write(path, 2)
        finally:
            S._IN_FLIGHT.discard(writing)
            sleeper.kill()
            sleeper.wait()
        assert set(os.listdir(tmp_path)) == {"ck.npz", *kept.values()}
        assert saver.version(path) == 2

    def test_a_killed_save_leaves_one_temp_that_the_next_save_removes(self, tmp_path, saver):
        """A real SIGKILL in the middle of a save (at its fsync), in a child process."""
        path = tmp_path / "ck.npz"
        saver.write(path, 1)
        before = path.read_bytes()
        child = (f"import os, signal, sys\n"
                 f"from tests.test_serialization_files import SAVERS\n"
                 f"os.fsync = lambda fd: os.kill(os.getpid(), signal.SIGKILL)\n"
                 f"[s for s in SAVERS if s.name == {saver.name!r}][0].write({str(path)!r}, 2)\n")
        done = subprocess.run([sys.executable, "-c", child], cwd=ROOT, timeout=120)
        assert done.returncode == -signal.SIGKILL
        [left] = temps(tmp_path)
        assert left.startswith(S._tmp_prefix("ck.npz")) and path.read_bytes() == before
        saver.write(path, 3)
        assert os.listdir(tmp_path) == ["ck.npz"] and saver.version(path) == 3


# -- 4. interrupts: KeyboardInterrupt anywhere in a save ----------------------------------------
def _raise_on_call(n, original):
    calls = []

    def patched(*args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            raise KeyboardInterrupt("Ctrl-C")
        return original(*args, **kwargs)
    return patched


# where: (object, attribute, which call raises); the zipfile ones only for archives
POINTS = {
    "writing the first .npy member": (npy_format, "write_array", 1),
    "writing the second .npy member": (npy_format, "write_array", 2),
    "opening a member (zipfile's writing flag set, no handle yet)":
        (zipfile._ZipWriteFile, "__init__", 1),
    "closing a member": (zipfile._ZipWriteFile, "close", 1),
    "writing the archive's end records": (zipfile.ZipFile, "_write_end_record", 1),
    "fsync": (os, "fsync", 1),
    "rename": (os, "replace", 1),
}


def _interrupt_cases():
    for saver in SAVERS[:4]:             # fit catches the interrupt: see the fit test below
        for point, (owner, name, n) in POINTS.items():
            if saver.zips or owner is os:
                yield pytest.param(saver, owner, name, n, id=f"{saver.name}-{point}")


class TestInterrupts:
    @pytest.mark.parametrize("saver, owner, name, n", list(_interrupt_cases()))
    def test_an_interrupt_is_an_interrupt_and_the_old_file_stays(self, tmp_path, saver,
                                                                 owner, name, n, monkeypatch):
        path = tmp_path / "ck.npz"
        saver.write(path, 1)
        before = path.read_bytes()
        unraisable = []
        monkeypatch.setattr(sys, "unraisablehook", unraisable.append)
        monkeypatch.setattr(owner, name, _raise_on_call(n, getattr(owner, name)))
        with pytest.raises(KeyboardInterrupt) as error:
            saver.write(path, 2)
        assert type(error.value) is KeyboardInterrupt
        del error
        gc.collect()                   # an abandoned ZipFile would complain here
        assert path.read_bytes() == before and os.listdir(tmp_path) == ["ck.npz"]
        assert unraisable == []
        assert saver.version(path) == 1

    def test_an_error_after_an_earlier_interrupt_is_not_turned_into_one(self, tmp_path,
                                                                         monkeypatch):
        """A save run while handling the user's own KeyboardInterrupt (a last checkpoint)
        reports its real failure."""
        def disk_full(fd):
            raise OSError(errno.ENOSPC, "No space left on device")
        monkeypatch.setattr(S.os, "fsync", disk_full)
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            with pytest.raises(OSError, match="No space left"):
                minigrad.save({"w": np.ones(3)}, tmp_path / "last.npz")
        assert os.listdir(tmp_path) == []

    @pytest.mark.parametrize("owner, name, n", list(POINTS.values()), ids=list(POINTS))
    def test_fit_stops_cleanly_when_its_checkpoint_write_is_interrupted(
            self, tmp_path, monkeypatch, capsys, owner, name, n):
        """Ctrl-C anywhere in the checkpoint's write (e.g. while zipfile opens a member: the
        "Can't close the ZIP file" window) stops fit like any Ctrl-C; the previous epoch's
        checkpoint is intact."""
        path = tmp_path / "run.ckpt"
        _fit_checkpoint(path, 1)
        before = path.read_bytes()
        monkeypatch.setattr(owner, name, _raise_on_call(n, getattr(owner, name)))
        x = np.zeros((4, 2), np.float32)
        history = _compiled_model().fit(x, x[:, :1], epochs=1, verbose=0, checkpoint=path)
        assert history.interrupted and "interrupted" in capsys.readouterr().err
        assert path.read_bytes() == before and os.listdir(tmp_path) == ["run.ckpt"]


# -- 5. any readable source: pipes, FIFOs, bytes paths -------------------------------------------
def _feed(open_writer, data):
    """Write ``data`` from a thread (a pipe holds only 64 KiB); a reader that stops early
    (a refused source) leaves the writer a BrokenPipeError, which is fine."""
    def run():
        try:
            with open_writer() as f:
                f.write(data)
        except BrokenPipeError:
            pass
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def pipe_source(tmp_path, data, kind):
    """A path that reads ``data`` through a pipe: ``/dev/fd/N`` (as ``<(cat f)`` gives)
    or a FIFO made with mkfifo."""
    if kind == "fifo":
        path = tmp_path / "source.fifo"
        os.mkfifo(path)
        return str(path), _feed(lambda: open(path, "wb"), data), None
    r, w = os.pipe()
    return f"/dev/fd/{r}", _feed(lambda: os.fdopen(w, "wb"), data), r


@dataclass(frozen=True)
class Reader:
    name: str
    write: Callable          # (path) -> None: a file it reads
    read: Callable           # (path) -> a value to compare
    error: type = ValueError

    def __repr__(self):
        return self.name


READERS = [
    Reader("load", lambda p: minigrad.save({"w": np.arange(100_000.0)}, p),
           lambda p: minigrad.load(p)["w"], S.CheckpointFormatError),
    Reader("load_checkpoint", lambda p: minigrad.save_checkpoint(p, epoch=7, rng=False),
           lambda p: np.array(minigrad.load_checkpoint(p)["epoch"]), S.CheckpointFormatError),
    Reader("read_idx", lambda p: write_idx(p, np.arange(300_000, dtype=np.int32),
                                           compress=False), read_idx, IDXFormatError),
    Reader("read_idx gzip", lambda p: write_idx(p, np.arange(300_000, dtype=np.int32),
                                                compress=True), read_idx, IDXFormatError),
]


@pytest.mark.parametrize("reader", READERS, ids=repr)
class TestAnySource:
    @pytest.mark.parametrize("kind", ["pipe", "fifo"])
    def test_a_pipe_or_fifo_is_read_once(self, tmp_path, reader, kind):
        """More than a pipe's 64 KiB buffer, so the writer really streams."""
        reader.write(tmp_path / "file")
        data = (tmp_path / "file").read_bytes()
        path, writer, fd = pipe_source(tmp_path, data, kind)
        try:
            got = reader.read(path)
        finally:
            if fd is not None:
                os.close(fd)
        writer.join(10)
        np.testing.assert_array_equal(got, reader.read(tmp_path / "file"))

    def test_a_pipe_over_the_limit_is_refused_with_the_limit(self, tmp_path, reader,
                                                             monkeypatch):
        reader.write(tmp_path / "file")
        data = (tmp_path / "file").read_bytes()
        monkeypatch.setattr(S, "MAX_STREAM_BYTES", 100)
        path, writer, _ = pipe_source(tmp_path, data, "fifo")
        with pytest.raises(reader.error, match=r"source.fifo.*cannot seek.*expected at most "
                                               r"100 bytes \(minigrad.serialization."
                                               r"MAX_STREAM_BYTES\), got more"):
            reader.read(path)
        writer.join(10)

    def test_bytes_paths_work_as_open_takes_them(self, tmp_path, reader):
        path = os.fsencode(tmp_path / "caf\xe9-\udcff.bin")      # not valid UTF-8
        reader.write(path)
        np.testing.assert_array_equal(reader.read(path), reader.read(os.fsdecode(path)))

    def test_a_directory_is_named_as_such(self, tmp_path, reader):
        with pytest.raises(IsADirectoryError, match=r"expected a file, got a directory"):
            reader.read(tmp_path)


@pytest.mark.parametrize("saver", SAVERS[:3], ids=repr)   # the ones taking a path directly
def test_saving_to_bytes_paths_and_fifos(tmp_path, saver):
    """A bytes path is a path; a FIFO is written into (there is no file to replace)."""
    saver.write(os.fsencode(tmp_path / "b\xff"), 5)
    assert saver.version(tmp_path / "b\xff") == 5
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    received = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    saver.write(fifo, 6)
    reader.join(10)
    (tmp_path / "copy").write_bytes(received[0])
    assert saver.version(tmp_path / "copy") == 6 and stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_load_reads_a_file_object_from_its_position(tmp_path):
    """(Refused before issue 20; tests/compat/test_save_load_files.py has the rest.)"""
    minigrad.save({"a": 1}, tmp_path / "f")
    with open(tmp_path / "f", "rb") as f:
        assert minigrad.load(f) == {"a": 1}


# -- 6. gzip IDX files whose header lies --------------------------------------------------------
def _gzip_idx(path, declared, actual, level=6):
    """A uint8 IDX file declaring ``declared`` items, holding ``actual`` zero bytes."""
    with gzip.open(path, "wb", compresslevel=level) as f:
        f.write(bytes([0, 0, 0x08, 1]) + declared.to_bytes(4, "big"))
        for start in range(0, actual, 1 << 20):
            f.write(bytes(min(1 << 20, actual - start)))
    return path


def _peak(fn):
    """(exception, peak bytes traced while ``fn`` ran)."""
    tracemalloc.start()
    try:
        fn()
    except Exception as exc:      # noqa: BLE001  (the caller checks which)
        error = exc
    else:
        error = None
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return error, peak


class TestGzipBombs:
    @pytest.mark.parametrize("actual", [1 << 20, 64 << 20], ids=["1 MiB", "64 MiB"])
    def test_a_header_claiming_4_GiB_is_refused_allocating_nothing_of_it(self, tmp_path,
                                                                         actual):
        path = _gzip_idx(tmp_path / "bomb.idx.gz", 2**32 - 1, actual, level=9)
        size = os.path.getsize(path)
        error, peak = _peak(lambda: read_idx(path))
        assert isinstance(error, IDXFormatError)
        for piece in ["bomb.idx.gz (after gunzip)", "shape (4294967295,) of uint8",
                      "4294967295 bytes of data", f"but {actual} bytes follow the header",
                      "truncated payload", f"a {size}-byte gzip file inflates to at most "
                      f"1032x that"]:
            assert piece in str(error)
        assert peak < 6 << 20, f"peak {peak / 2**20:.1f} MiB"

    def test_a_plausible_header_over_a_short_stream_names_both_sizes(self, tmp_path):
        path = _gzip_idx(tmp_path / "short.idx.gz", 5000, 3000)
        with pytest.raises(IDXFormatError, match=r"short.idx.gz \(after gunzip\): .*5000 "
                                                 r"bytes of data, but 3000 bytes follow the "
                                                 r"header \(truncated payload\)"):
            read_idx(path)

    def test_extra_data_after_the_payload_stops_at_one_byte(self, tmp_path):
        path = _gzip_idx(tmp_path / "long.idx.gz", 3000, 5000)
        with pytest.raises(IDXFormatError, match=r"3000 bytes of data, but more than 3000 "
                                                 r"bytes follow the header \(extra bytes"):
            read_idx(path)

    def test_the_ratio_bound_accepts_the_most_compressible_real_files(self, tmp_path):
        """16 MiB of zeros at level 9: deflate's best ratio (about 1030:1) still loads."""
        n = 16 << 20
        path = _gzip_idx(tmp_path / "zeros.idx.gz", n, n, level=9)
        assert (n + 8) / os.path.getsize(path) > 1000
        assert read_idx(path).shape == (n,)

    def test_a_valid_file_is_read_with_one_copy_of_its_data(self, tmp_path):
        """Inflated straight into the array and byte-swapped in place: the peak is the
        array plus a bounded chunk, not two arrays."""
        a = np.tile(np.arange(256, dtype=np.float32), 1 << 14)     # 16 MiB, big-endian on disk
        for name, slack in [("a.idx", 1 << 20), ("a.idx.gz", 4 << 20)]:   # gzip's buffers
            write_idx(tmp_path / name, a)
            got = []
            error, peak = _peak(lambda got=got, p=tmp_path / name: got.append(read_idx(p)))
            assert error is None and peak < a.nbytes + slack, f"{peak / 2**20:.1f} MiB"
            np.testing.assert_array_equal(got[0], a)


def test_the_save_docstring_and_training_guide_document_the_temporary_files():
    for text in (S.save.__doc__, (ROOT / "docs" / "training.md").read_text("utf-8")):
        assert ".minigrad-tmp" in text and "killed" in text


def test_write_npz_writes_what_np_load_reads(tmp_path):
    """save's own zip writer keeps np.savez's layout: NumPy reads the file."""
    minigrad.save({"w": np.arange(6.0).reshape(2, 3)}, tmp_path / "f.npz")
    with np.load(tmp_path / "f.npz") as z:
        np.testing.assert_array_equal(z["a0"], np.arange(6.0).reshape(2, 3))
        assert S.MANIFEST in z.files


def test_a_failed_write_mid_archive_keeps_the_old_file(tmp_path, monkeypatch):
    """A crash after half an archive was written: old file intact, no temp left."""
    path = tmp_path / "ck.npz"
    minigrad.save({"version": 1}, path)
    before = path.read_bytes()

    def crash_mid_write(f, members):
        f.write(b"PK\x03\x04 half of an archive")
        raise OSError(errno.EIO, "Input/output error")
    monkeypatch.setattr(S, "_write_npz", crash_mid_write)
    with pytest.raises(OSError, match="Input/output"):
        minigrad.save({"version": 2}, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["ck.npz"]


def test_io_bytes_sources_are_not_paths():
    with pytest.raises(TypeError, match="read_idx: path must be a file path"):
        read_idx(io.BytesIO(b"\x00\x00\x08\x01"))
