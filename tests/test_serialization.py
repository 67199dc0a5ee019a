"""save / load: exact round trips, the atomic write, and refusing bad files."""
import collections
import json
import os
import zipfile

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from minigrad import nn
from minigrad import serialization as S


def _same(a, b):
    """Equal structure, types, dtypes and bits (NaN included)."""
    assert type(a) is type(b), (a, b)
    if isinstance(a, minigrad.Tensor):
        assert a.requires_grad == b.requires_grad
        a, b = a._data, b._data
    if isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()
    elif isinstance(a, dict):
        assert list(a) == list(b) and [type(k) for k in a] == [type(k) for k in b]
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float):
        assert repr(a) == repr(b)                     # nan, inf and -0.0 exactly
    else:
        assert a == b


def test_model_state_dict_round_trip(tmp_path):
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(),
                          nn.Linear(2, 3))
    model.to(minigrad.float64)[1].num_batches_tracked.fill_(7)
    sd = model.state_dict()
    S.save(sd, tmp_path / "model.pt")                 # any name: no .npz appended
    assert os.listdir(tmp_path) == ["model.pt"]
    loaded = S.load(tmp_path / "model.pt")
    assert isinstance(loaded, collections.OrderedDict)
    _same(sd, loaded)
    fresh = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(),
                          nn.Linear(2, 3)).double()
    fresh.load_state_dict(loaded)
    x = minigrad.randn(2, 1, 3, 3, dtype="float64")
    model.eval(), fresh.eval()
    np.testing.assert_array_equal(fresh(x).numpy(), model(x).numpy())


def test_nested_optimizer_like_dict_round_trip(tmp_path):
    checkpoint = {
        "model": {"w": minigrad.tensor([1.5, -2.0]), "n": minigrad.tensor(3)},
        "optimizer": {
            "state": {0: {"step": 10, "exp_avg": np.full((2, 3), 0.1, np.float32),
                          "exp_avg_sq": np.arange(6, dtype=np.float64).reshape(2, 3)},
                      3: {"step": np.int64(4), "momentum_buffer": None}},
            "param_groups": [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8,
                              "amsgrad": False, "foreach": None, "params": [0, 3],
                              "name": "body"}]},
        "epoch": 12, "best": float("inf"), "worst": float("nan"), "neg": -0.0,
        "big": 2 ** 70, "scalars": [np.float32(0.1), np.bool_(True), np.uint8(255)],
        "empty": np.zeros((0, 4), np.int64), "zero_d": np.array(2.5, np.float16),
        "keys": {1.5: "float key", True: "bool key", None: "none key", "1": "str key"},
        "nothing": [], "tuple": (),
    }
    S.save(checkpoint, tmp_path / "ck.npz")
    _same(checkpoint, S.load(str(tmp_path / "ck.npz")))


@given(arrays=st.lists(hnp.arrays(
    dtype=st.sampled_from([np.float32, np.float64, np.int64, np.int8, np.bool_, np.float16]),
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)), max_size=3))
def test_arrays_and_tensors_round_trip_bit_exactly(tmp_path_factory, arrays):
    path = tmp_path_factory.mktemp("rt") / "a.npz"
    obj = {"arrays": arrays, "tensors": [minigrad.tensor(a) for a in arrays]}
    S.save(obj, path)
    _same(obj, S.load(path))


def test_parameters_and_shared_arrays(tmp_path):
    p = nn.Parameter(minigrad.ones(2))
    frozen = nn.Parameter(minigrad.ones(2), requires_grad=False)
    tied = nn.Module()
    tied.a, tied.b = nn.Linear(2, 2), nn.Linear(2, 2)
    tied.b.weight = tied.a.weight
    S.save({"p": p, "frozen": frozen, "tied": tied.state_dict()}, tmp_path / "f")
    out = S.load(tmp_path / "f")
    assert type(out["p"]) is nn.Parameter and out["p"].requires_grad
    assert type(out["frozen"]) is nn.Parameter and not out["frozen"].requires_grad
    assert out["tied"]["a.weight"]._data is out["tied"]["b.weight"]._data   # still shared
    # p, frozen, a.weight (= b.weight), a.bias, b.bias, and the manifest
    assert len(zipfile.ZipFile(tmp_path / "f").namelist()) == 5 + 1


@pytest.mark.parametrize("obj, where", [
    ({"a": {"b": [1, object()]}}, r"obj\['a'\]\['b'\]\[1\], an object of type builtins.object"),
    ({"model": nn.Linear(1, 1)}, r"obj\['model'\].*save its state_dict\(\) instead"),
    ({(1, 2): 3}, r"obj has a key of type tuple"),
    ({"s": np.array(["text"])}, r"obj\['s'\] is an array of dtype <U4"),
    ({"b": b"bytes"}, r"obj\['b'\], an object of type builtins.bytes"),
])
def test_unsupported_objects_are_refused_with_their_key_path(tmp_path, obj, where):
    with pytest.raises(TypeError, match=where):
        S.save(obj, tmp_path / "x")
    assert os.listdir(tmp_path) == []


def test_reference_cycles_are_refused(tmp_path):
    loop = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        S.save({"loop": loop}, tmp_path / "x")


def test_interrupted_save_keeps_the_old_file_and_no_temp_file(tmp_path, monkeypatch):
    path = tmp_path / "ck.npz"
    S.save({"version": 1}, path)
    original = path.read_bytes()

    def crash_mid_write(f, members):
        f.write(b"PK\x03\x04 half of an archive")
        raise KeyboardInterrupt("power cut")

    monkeypatch.setattr(S, "_write_npz", crash_mid_write)
    with pytest.raises(KeyboardInterrupt):
        S.save({"version": 2, "w": np.ones(1000)}, path)
    assert path.read_bytes() == original
    assert os.listdir(tmp_path) == ["ck.npz"]
    monkeypatch.undo()
    assert S.load(path) == {"version": 1}


def test_saved_file_has_an_ordinary_mode(tmp_path):
    S.save({}, tmp_path / "x")
    mask = os.umask(0)
    os.umask(mask)
    assert os.stat(tmp_path / "x").st_mode & 0o777 == 0o666 & ~mask


@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "ok.npz"
    S.save({"w": np.arange(1000.0), "step": 3}, path)
    return path


@pytest.mark.parametrize("keep", [lambda n: 10, lambda n: n // 2, lambda n: n - 30],
                         ids=["10 bytes", "half", "all but 30 bytes"])
def test_truncated_files_give_a_clear_value_error(saved, keep):
    data = saved.read_bytes()
    saved.write_bytes(data[:keep(len(data))])
    with pytest.raises(ValueError, match=r"ok.npz' is not a valid minigrad file: "):
        S.load(saved)


def test_corrupted_bytes_give_a_clear_value_error(saved):
    data = bytearray(saved.read_bytes())
    start = data.index(b"\x00\x00\x00\x00\x00\x00\xf0?")      # inside the float data
    data[start + 8:start + 16] = b"\xff" * 8
    saved.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="corrupt.*CRC"):
        S.load(saved)


def test_files_that_are_not_minigrad_checkpoints(tmp_path):
    cases = {"random.bin": b"\x00\x01 not a zip at all",
             "empty.npz": b""}
    for name, content in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(ValueError, match=f"{name}' is not a valid minigrad file"):
            S.load(tmp_path / name)
    np.save(tmp_path / "plain.npy", np.zeros(3))
    with pytest.raises(ValueError, match="wrong magic bytes"):
        S.load(tmp_path / "plain.npy")
    np.savez(tmp_path / "other.npz", x=np.zeros(3))
    with pytest.raises(ValueError, match="no '__minigrad__' manifest"):
        S.load(tmp_path / "other.npz")
    with pytest.raises(FileNotFoundError):
        S.load(tmp_path / "missing.npz")


def _with_manifest(path, manifest, **arrays):
    raw = np.frombuffer(json.dumps(manifest).encode(), dtype=np.uint8)
    np.savez(path, __minigrad__=raw, **arrays)


@pytest.mark.parametrize("manifest, message", [
    ({"format": "other", "version": 1, "root": None}, "format is 'other'"),
    ({"format": "minigrad.save", "version": 99, "root": None}, "format version 99"),
    ({"format": "minigrad.save", "version": 1,
      "root": {"type": "tensor", "member": "a7"}}, "lacks"),
    ({"format": "minigrad.save", "version": 1, "root": {"type": "weird"}},
     "unknown entry type 'weird'"),
])
def test_bad_manifests_are_reported(tmp_path, manifest, message):
    _with_manifest(tmp_path / "m.npz", manifest)
    with pytest.raises(ValueError, match=message):
        S.load(tmp_path / "m.npz")


def test_a_pickled_object_array_is_refused(tmp_path):
    path = tmp_path / "evil.npz"
    manifest = {"format": "minigrad.save", "version": 1,
                "root": {"type": "array", "member": "a0"}}
    evil = np.array([{"runs": "code on unpickling"}], dtype=object)
    _with_manifest(path, manifest, a0=evil)            # np.savez pickles object arrays
    with pytest.raises(ValueError, match=r"member 'a0' cannot be read.*allow_pickle=False"):
        S.load(path)


def test_map_location(tmp_path):
    S.save({"w": minigrad.ones(2)}, tmp_path / "x")
    assert S.load(tmp_path / "x", map_location="cpu")["w"].device == "cpu"
    with pytest.raises(TypeError, match="map_location"):
        S.load(tmp_path / "x", map_location={"cuda": "cpu"})
    if minigrad.backend.is_cuda_available():
        out = S.load(tmp_path / "x", map_location="cuda")
        assert out["w"].device == "cuda"
    else:
        with pytest.raises(minigrad.CudaUnavailableError):
            S.load(tmp_path / "x", map_location="cuda")


def test_cuda_tensors_are_saved_from_the_host(tmp_path, cuda_device):
    """On the GPU, or on the CPU stand-in device without one (tests/cuda_standin.py)."""
    t = minigrad.randn(3, 2).to(cuda_device)
    S.save({"t": t, "a": t._data}, tmp_path / "g")
    out = S.load(tmp_path / "g")
    assert out["t"].device == "cpu" and minigrad.backend.device_of(out["a"]) == "cpu"
    np.testing.assert_array_equal(out["t"].numpy(), t.numpy())
    back = S.load(tmp_path / "g", map_location=cuda_device)
    assert back["t"].device == "cuda"
    np.testing.assert_array_equal(back["t"].numpy(), t.numpy())


def test_load_holds_one_copy_of_an_array_not_two(tmp_path):
    """Arrays are read in chunks straight into their buffer: loading a 64 MiB array peaks
    near 64 MiB (plus a chunk), not at twice that."""
    import tracemalloc
    path = tmp_path / "big.npz"
    minigrad.save({"w": minigrad.tensor(np.zeros(16 * 2**20, np.float32))}, path)
    tracemalloc.start()
    try:
        loaded = minigrad.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert loaded["w"].shape == (16 * 2**20,)
    assert peak < 1.5 * 64 * 2**20, f"peak {peak / 2**20:.0f} MiB for a 64 MiB array"
