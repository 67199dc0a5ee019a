"""Issue 20, item 9: ``minigrad.save(obj, f)`` and ``minigrad.load(f, map_location=None,
weights_only=True)`` take binary file objects (``io.BytesIO``, an open file) as well as paths,
as PyTorch's do; ``save(model)`` keeps refusing (no pickle).  PyTorch runs the same program
as the oracle where installed (skipped with a reason otherwise)."""
import io
import os
import threading

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad import serialization as S
from minigrad.serialization import CheckpointFormatError
from minigrad.utils.data import default_collate

try:
    import torch
except ImportError:      # the oracle is optional: CI has no PyTorch
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")


def state():
    minigrad.manual_seed(0)
    model = nn.Linear(3, 2)
    return {"model": model.state_dict(), "epoch": 4, "ids": np.arange(3, dtype=np.int32),
            "name": "run"}


def same(a, b):
    assert a.keys() == b.keys()
    for key in a["model"]:
        np.testing.assert_array_equal(a["model"][key].numpy(), b["model"][key].numpy())
    assert a["epoch"] == b["epoch"] and a["name"] == b["name"]
    np.testing.assert_array_equal(a["ids"], b["ids"])
    assert b["ids"].dtype == np.int32


@pytest.mark.parametrize("weights_only", [True, False, None])
def test_bytesio_round_trip(weights_only):
    obj = state()
    buffer = io.BytesIO()
    minigrad.save(obj, buffer)
    assert not buffer.closed and buffer.tell() == len(buffer.getvalue()) > 0
    buffer.seek(0)
    same(obj, minigrad.load(buffer, weights_only=weights_only))
    assert not buffer.closed and buffer.tell() == len(buffer.getvalue())


def test_bytes_equal_the_file_a_path_save_writes(tmp_path):
    obj = state()
    buffer = io.BytesIO()
    minigrad.save(obj, buffer)
    minigrad.save(obj, tmp_path / "m.npz")
    assert buffer.getvalue() == (tmp_path / "m.npz").read_bytes()
    same(obj, minigrad.load(io.BytesIO((tmp_path / "m.npz").read_bytes())))


def test_open_files_in_binary_mode(tmp_path):
    obj = state()
    with open(tmp_path / "m.pt", "wb") as f:
        minigrad.save(obj, f)
        assert not f.closed
    with open(tmp_path / "m.pt", "rb") as f:
        same(obj, minigrad.load(f, map_location=minigrad.device("cpu")))
        assert not f.closed
    same(obj, minigrad.load(tmp_path / "m.pt"))          # what went through f is a file


def test_load_reads_from_the_current_position():
    obj = state()
    buffer = io.BytesIO()
    buffer.write(b"a header of the caller's own")
    start = buffer.tell()
    minigrad.save(obj, buffer)
    buffer.seek(start)
    same(obj, minigrad.load(buffer))


class Stream:
    """A file object that can only be read forward (a socket, a pipe's reader)."""

    def __init__(self, data):
        self.data = io.BytesIO(data)

    def read(self, n=-1):
        return self.data.read(n)

    def seekable(self):
        return False


class Sink:
    """A file object that can only be written (no seek, no tell)."""

    def __init__(self):
        self.chunks = []

    def write(self, b):
        self.chunks.append(bytes(b))
        return len(b)


def test_unseekable_objects_are_read_into_memory_and_written_forward():
    obj = state()
    sink = Sink()
    minigrad.save(obj, sink)
    same(obj, minigrad.load(Stream(b"".join(sink.chunks))))


def test_pipes_as_file_objects():
    obj = state()
    read_fd, write_fd = os.pipe()
    with os.fdopen(read_fd, "rb") as reader, os.fdopen(write_fd, "wb") as writer:
        thread = threading.Thread(target=lambda: (minigrad.save(obj, writer), writer.close()))
        thread.start()
        loaded = minigrad.load(reader)
        thread.join(10)
    same(obj, loaded)


def test_unseekable_object_over_the_limit_is_refused(monkeypatch):
    buffer = io.BytesIO()
    minigrad.save(state(), buffer)
    monkeypatch.setattr(S, "MAX_STREAM_BYTES", 100)
    with pytest.raises(CheckpointFormatError, match=r"load: the Stream object: a file object "
                                                    r"that cannot seek .* at most 100 bytes"):
        minigrad.load(Stream(buffer.getvalue()))


def test_save_of_a_module_is_refused_before_anything_is_written():
    buffer = io.BytesIO()
    with pytest.raises(TypeError, match=r"save: cannot save obj, an object of type "
                                        r"minigrad.nn.*Linear; save its state_dict\(\) instead"):
        minigrad.save(nn.Linear(2, 2), buffer)
    assert buffer.getvalue() == b""


def opened(path, mode, fn):
    with open(path, mode) as f:
        return fn(f)


@pytest.mark.parametrize("call, error, says", [
    (lambda tmp: opened(tmp / "t.txt", "w", lambda f: minigrad.save({}, f)), TypeError,
     ["save: f is a file opened in text mode (TextIOWrapper)", "'wb'"]),
    (lambda tmp: opened(tmp / "t.txt", "r", minigrad.load), TypeError,
     ["load: f is a file opened in text mode (TextIOWrapper)", "'rb'"]),
    (lambda tmp: opened(tmp / "t.txt", "ab", minigrad.load), TypeError,
     ["load: f (BufferedWriter) is not open for reading; open it with mode 'rb'"]),
    (lambda tmp: opened(tmp / "t.txt", "rb", lambda f: minigrad.save({}, f)), TypeError,
     ["save: f (BufferedReader) is not open for writing; open it with mode 'wb'"]),
    (lambda tmp: opened(tmp / "t.txt", "rb", lambda f: (f.close(), minigrad.load(f))),
     ValueError, ["load: f (BufferedReader) is closed"]),
    (lambda tmp: minigrad.load(io.StringIO("PK")), TypeError,
     ["load: f is a file opened in text mode (StringIO)"]),
    (lambda tmp: minigrad.load(3), TypeError,
     ["load: f must be a file path (str, bytes or os.PathLike) or a binary file object",
      "read()", "got int"]),
    (lambda tmp: minigrad.save({}, 3), TypeError,
     ["save: f must be a file path (str, bytes or os.PathLike) or a binary file object",
      "write()", "got int"]),
    (lambda tmp: minigrad.save({}, io.BytesIO(b"x").read), TypeError,
     ["save: f must be a file path", "got builtin_function_or_method"]),
    (lambda tmp: minigrad.load(io.BytesIO(), weights_only="yes"), TypeError,
     ["load: weights_only must be True, False or None", "'yes' (str)"]),
    (lambda tmp: minigrad.load(io.BytesIO(), map_location=lambda s, loc: s), TypeError,
     ["load: map_location must be None, 'cpu' or 'cuda'", "a function", "not implemented"]),
    (lambda tmp: minigrad.load(io.BytesIO(b"not a zip at all")), CheckpointFormatError,
     ["load: the BytesIO object is not a valid minigrad file", "not a zip"]),
    (lambda tmp: opened(tmp / "t.txt", "rb", minigrad.load), CheckpointFormatError,
     ["load: the file object of", "t.txt' is not a valid minigrad file"]),
    (lambda tmp: minigrad.load(io.BytesIO()), CheckpointFormatError,
     ["load: the BytesIO object is not a valid minigrad file"]),
])
def test_bad_file_objects(tmp_path, call, error, says):
    (tmp_path / "t.txt").write_text("text")
    with pytest.raises(Exception) as info:
        call(tmp_path)
    assert type(info.value) is error
    assert all(piece in str(info.value) for piece in says), str(info.value)


def test_truncated_bytes_name_the_object():
    buffer = io.BytesIO()
    minigrad.save(state(), buffer)
    with pytest.raises(CheckpointFormatError, match="load: the BytesIO object is not a valid "
                                                    "minigrad file"):
        minigrad.load(io.BytesIO(buffer.getvalue()[:-30]))


# -- the same program under both frameworks --------------------------------------------------------
def round_trip_program(torch, nn):
    """Save a model's state_dict to memory and to an open file, load both into a new model
    (the PyTorch idiom); returns the reloaded models' outputs and weights."""
    torch.manual_seed(0)
    model = nn.Linear(4, 3)
    with torch.no_grad():
        model.weight.data = torch.tensor(np.arange(12, dtype=np.float32).reshape(3, 4) / 10)
        model.bias.data = torch.tensor(np.array([0.5, -0.5, 0.0], np.float32))
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    copy = nn.Linear(4, 3)
    copy.load_state_dict(torch.load(buffer, weights_only=True))
    x = torch.tensor(np.ones((2, 4), np.float32))
    return copy(x).detach().numpy(), {k: v.numpy() for k, v in copy.state_dict().items()}


def test_round_trip_program():
    out, weights = round_trip_program(minigrad, nn)
    np.testing.assert_allclose(out[0], [0.5 + 0.6, -0.5 + 2.2, 3.8], rtol=1e-6)
    assert set(weights) == {"weight", "bias"}


@needs_torch
def test_round_trip_program_matches_pytorch():
    mine_out, mine_weights = round_trip_program(minigrad, nn)
    theirs_out, theirs_weights = round_trip_program(torch, torch.nn)
    np.testing.assert_allclose(mine_out, theirs_out, rtol=1e-6)
    for key in theirs_weights:
        np.testing.assert_array_equal(mine_weights[key], theirs_weights[key])


@needs_torch
def test_both_refuse_text_mode_files(tmp_path):
    with open(tmp_path / "t.txt", "w") as f:
        with pytest.raises(TypeError):
            minigrad.save({}, f)
        with pytest.raises(TypeError):
            torch.save({}, f)


def test_file_objects_and_the_cuda_device(cuda_device):
    """Device tensors are written from the host, map_location puts them back on the device,
    and default_collate stacks them there."""
    w = minigrad.tensor(np.arange(6, dtype=np.float32).reshape(2, 3), device=cuda_device)
    buffer = io.BytesIO()
    minigrad.save({"w": w}, buffer)
    buffer.seek(0)
    on_device = minigrad.load(buffer, map_location=cuda_device)["w"]
    assert on_device.device == "cuda"
    np.testing.assert_array_equal(on_device.cpu().numpy(), w.cpu().numpy())
    batch = default_collate([w, w])                  # stacked on the device
    assert batch.device == "cuda" and batch.shape == (2, 2, 3)
