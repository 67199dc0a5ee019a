"""Fuzzing ``minigrad.load`` and ``minigrad.load_checkpoint`` with hypothesis: random bytes,
mutated valid files (the zip's bytes, and the members' bytes re-zipped with correct CRCs so
that the .npy headers and the JSON manifest themselves are exercised), and headers declaring
huge arrays.  Every outcome is a loaded object or a CheckpointFormatError naming the file
(load_checkpoint may also say the checkpoint does not fit: ValueError/RuntimeError); never
another exception, never a huge allocation or a hang, and a failed load_checkpoint changes
nothing.

The ``ci`` profile runs 25 examples per test (seconds); ``-m slow`` runs a deeper search.
"""
import io
import json
import os
import tempfile
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
from minigrad import nn, optim
from minigrad.optim import lr_scheduler

from .fuzzing import mutated, no_hang

DEEP = settings(max_examples=1500, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_DIR = tempfile.mkdtemp(prefix="minigrad-fuzz-")


def _setup():
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    model(minigrad.randn(5, 3)).sum().backward()
    opt.step()
    return model, opt, lr_scheduler.StepLR(opt, 2)


def _valid_checkpoint():
    model, opt, sched = _setup()
    path = os.path.join(_DIR, "valid.ckpt")
    minigrad.save_checkpoint(path, model=model, optimizer=opt, scheduler=sched, epoch=3,
                             extra={"nan": float("nan"), "pair": (1, "a"), "k": {2: None}})
    with open(path, "rb") as f:
        return f.read()


VALID = _valid_checkpoint()
MEMBERS = {info.filename: zipfile.ZipFile(io.BytesIO(VALID)).read(info)
           for info in zipfile.ZipFile(io.BytesIO(VALID)).infolist()}


def _write(data, name="fuzzed.ckpt"):
    path = os.path.join(_DIR, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def _zip(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


def check_load(data):
    """load() returns or raises CheckpointFormatError naming the file: nothing else."""
    path = _write(data)
    with no_hang():
        try:
            minigrad.load(path)
        except minigrad.CheckpointFormatError as exc:
            assert repr(path) in str(exc)


def _state(model, opt, sched):
    return ([v.numpy().tobytes() for v in model.state_dict().values()],
            repr(opt.state_dict()), repr(sched.state_dict()), opt._step_count,
            repr(minigrad.random.get_state()))


def check_load_checkpoint(data):
    """load_checkpoint() returns, or raises a clear error and changes nothing."""
    path = _write(data)
    objects = _setup()
    before = _state(*objects)
    with no_hang():
        try:
            minigrad.load_checkpoint(path, *objects)
        except (ValueError, RuntimeError) as exc:     # CheckpointFormatError is a ValueError
            message = str(exc) + "".join(getattr(exc, "__notes__", []))
            assert os.path.basename(path) in message, message
            assert _state(*objects) == before


# -- the tests: each runs under the active profile, and deeper with -m slow ------------------
def _random_bytes():
    return st.one_of(st.binary(max_size=600),
                     st.binary(max_size=600).map(lambda b: b"PK\x03\x04" + b))


def _mutated_member():
    """(member name, its mutated bytes): the archive is rebuilt around them, CRCs right."""
    return st.sampled_from(sorted(MEMBERS)).flatmap(
        lambda name: st.tuples(st.just(name), mutated(MEMBERS[name], max_ops=3)))


def _rezipped(pair):
    name, data = pair
    return _zip({**MEMBERS, name: data})


@given(_random_bytes())
def test_random_bytes(data):
    check_load(data)


@given(mutated(VALID))
def test_mutated_archive(data):
    check_load(data)


@given(_mutated_member())
def test_mutated_members(pair):
    check_load(_rezipped(pair))


@given(_mutated_member())
def test_mutated_members_into_load_checkpoint(pair):
    check_load_checkpoint(_rezipped(pair))


@given(mutated(VALID))
def test_mutated_archive_into_load_checkpoint(data):
    check_load_checkpoint(data)


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
    | st.sampled_from(["tensor", "parameter", "array", "scalar", "float", "list", "dict",
                       "a0", "a1", "items", "member", "type"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(["type", "member", "items", "value", "requires_grad", "x"]), inner,
        max_size=4),
    max_leaves=20)


@given(_JSON)
def test_arbitrary_manifests(root):
    """A well-formed archive whose manifest is any JSON structure over the real members."""
    manifest = json.dumps({"format": "minigrad.save", "version": 1, "root": root})
    members = {**MEMBERS, "__minigrad__.npy": _npy(np.frombuffer(manifest.encode(),
                                                                   np.uint8))}
    check_load(_zip(members))


def _npy(array):
    out = io.BytesIO()
    np.save(out, array, allow_pickle=False)
    return out.getvalue()


@pytest.mark.slow
@DEEP
@given(st.one_of(_random_bytes(), mutated(VALID),
                 _mutated_member().map(_rezipped)))
def test_deep_load(data):
    check_load(data)


@pytest.mark.slow
@DEEP
@given(st.one_of(mutated(VALID), _mutated_member().map(_rezipped)))
def test_deep_load_checkpoint(data):
    check_load_checkpoint(data)


# -- the hand-made worst cases ----------------------------------------------------------------
def _header(shape, descr="<f8"):
    """An .npy 1.0 header declaring ``shape`` (followed by no data)."""
    text = repr({"descr": descr, "fortran_order": False, "shape": shape})
    text += " " * (63 - (len(text) + 10) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode()


@pytest.mark.parametrize("shape", [(2 ** 40,), (2 ** 31, 2 ** 31, 2 ** 31), (10 ** 12, 0, 5),
                                   (-1, 3)])
def test_huge_declared_shapes_are_refused_before_allocating(shape):
    """A member claiming terabytes: refused from its header, nothing allocated."""
    members = {**MEMBERS, "a0.npy": _header(shape) + b"\x00" * 64}
    path = _write(_zip(members), "huge.ckpt")
    with no_hang(), pytest.raises(minigrad.CheckpointFormatError,
                                  match=r"huge.ckpt.*member 'a0' declares (the )?shape"):
        minigrad.load(path)


def test_member_larger_than_the_file_is_refused():
    data = bytearray(VALID)
    # The central directory's "uncompressed size" field of the first member: 4 GiB − 1.
    at = data.index(b"PK\x01\x02") + 24
    data[at:at + 4] = (0xFFFFFFFF).to_bytes(4, "little")
    path = _write(bytes(data), "big.ckpt")
    with pytest.raises(minigrad.CheckpointFormatError, match="more than the whole file"):
        minigrad.load(path)


def test_compressed_members_are_refused():
    path = os.path.join(_DIR, "compressed.npz")
    np.savez_compressed(path, __minigrad__=np.frombuffer(b'{"format": "minigrad.save", '
                                                         b'"version": 1, "root": 1}', np.uint8))
    with pytest.raises(minigrad.CheckpointFormatError, match="compressed"):
        minigrad.load(path)


@pytest.mark.parametrize("manifest, message", [
    ('{"format": "minigrad.save", "version": 1, "root": ' + "[" * 5000 + "]" * 5000 + "}",
     "not valid JSON|nested too deeply"),
    ('{"format": "minigrad.save", "version": 1, "root": ' + "9" * 5000 + "}",
     "not valid JSON"),
    ('{"format": "minigrad.save", "version": 1, "root": {"type": "float", "value": 3}}',
     "non-finite float entry holds '3'"),
    ('{"format": "minigrad.save", "version": 1, "root": {"type": "scalar", "member": "a0"}}',
     "scalar entry refers to an array of shape"),
    ('{"format": "minigrad.save", "version": 1, "root": {"type": "parameter", "member": "a0",'
     ' "requires_grad": "yes"}}', "requires_grad is yes"),
])
def test_hostile_manifests(manifest, message):
    members = {"__minigrad__.npy": _npy(np.frombuffer(manifest.encode(), np.uint8)),
               "a0.npy": _npy(np.zeros((2, 2)))}
    path = _write(_zip(members), "hostile.ckpt")
    with pytest.raises(minigrad.CheckpointFormatError, match=message):
        minigrad.load(path)


@pytest.mark.parametrize("depth", [600, 3000])
def test_deeply_nested_lists_are_refused(depth):
    """A manifest nested deeper than Python recurses: a clear error, not a crash."""
    root = '{"type": "list", "items": [' * depth + "]}" * depth
    raw = '{"format": "minigrad.save", "version": 1, "root": ' + root + "}"
    members = {"__minigrad__.npy": _npy(np.frombuffer(raw.encode(), np.uint8))}
    path = _write(_zip(members), "deep.ckpt")
    with pytest.raises(minigrad.CheckpointFormatError, match="nested too deeply|not valid "
                                                             "JSON.*RecursionError"):
        minigrad.load(path)
