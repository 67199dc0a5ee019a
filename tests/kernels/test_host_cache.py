"""The host array cache: a block is handed out again only when nothing references it."""
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad
from minigrad import backend, nn, optim
from minigrad_kernels import host_cache

BIG = host_cache.MIN_BYTES // 4          # float32 elements of the smallest cached request


@pytest.fixture(autouse=True)
def fresh_cache():
    old = host_cache.set_limit(host_cache.DEFAULT_LIMIT)
    host_cache.release()
    yield
    host_cache.set_limit(old)
    host_cache.release()


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.uint8, np.bool_])
def test_arrays_are_plain_contiguous_and_writable(dtype):
    columns = host_cache.MIN_BYTES // np.dtype(dtype).itemsize      # a cached size
    a = host_cache.empty((3, columns), dtype)
    assert a.shape == (3, columns) and a.dtype == dtype and a.base is not None
    assert a.flags.c_contiguous and a.flags.writeable and a.flags.aligned
    assert a.ctypes.data % 64 == 0                   # a cache line, as PyTorch aligns
    a[...] = 1
    assert (a == 1).all()


def test_small_requests_bypass_the_cache():
    before = host_cache.info()
    a = host_cache.empty((10, 10), np.float32)
    assert a.base is None and a.shape == (10, 10)
    assert host_cache.info()["misses"] == before["misses"]


def test_block_is_reused_only_after_every_view_is_gone():
    a = host_cache.empty((BIG,), np.float32)
    view = a[::3].reshape(-1, 1)
    address = a.ctypes.data
    del a
    b = host_cache.empty((BIG,), np.float32)          # the view still holds the block
    assert b.ctypes.data != address
    assert not np.shares_memory(b, view)
    del view
    c = host_cache.empty((BIG,), np.float32)          # now it is free
    assert c.ctypes.data == address
    assert host_cache.info()["hits"] >= 1


def test_a_tensor_and_a_saved_array_keep_their_block():
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((4, BIG // 4 + 8),
                                                                   dtype=np.float32),
                        requires_grad=True)
    y = minigrad.functional.relu(x)                    # output + saved array from the cache
    expected = np.maximum(x.numpy(), 0)
    others = [host_cache.empty(y.shape, np.float32) for _ in range(4)]
    for o in others:
        o.fill(-7)
        assert not np.shares_memory(o, y.numpy())
    np.testing.assert_array_equal(y.numpy(), expected)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), (expected > 0).astype(np.float32))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["alloc", "view", "drop"]),
                          st.integers(0, 3), st.integers(0, 10**6)), max_size=40))
def test_live_arrays_never_share_memory_or_lose_contents(program):
    """A random program of allocations (four sizes), derived views and drops: every live
    array keeps the value written into it and no two live arrays overlap."""
    sizes = [BIG, BIG + 1, 2 * BIG, 3 * BIG + 5]
    live = []                       # (array, value written into it, allocation number)
    for number, (op, k, value) in enumerate(program):
        if op == "alloc":
            a = host_cache.empty((sizes[k],), np.float32)
            a.fill(value)
            live.append((a, value, number))
        elif op == "view" and live:
            a, v, origin = live[k % len(live)]
            live.append((a[1::2], v, origin))
        elif op == "drop" and live:
            live.pop(k % len(live))
        for i, (a, v, origin) in enumerate(live):
            assert (a == v).all()
            for b, _, other in live[i + 1:]:
                if other != origin:        # only views of one allocation may overlap
                    assert not np.shares_memory(a, b)


def test_idle_blocks_are_bounded_by_the_limit():
    block = host_cache.MIN_BYTES                        # BIG float32 elements
    host_cache.set_limit(2 * block)
    for n in range(1, 8):      # seven sizes, each dropped at once: every miss trims first
        host_cache.empty((BIG * n,), np.float32)
    info = host_cache.info()
    # the least recently used idle blocks went first: only the last one (7 blocks) is left
    assert info == {**info, "blocks": 1, "held_bytes": 7 * block, "idle_bytes": 7 * block,
                    "in_use_bytes": 0}
    kept = host_cache.empty((BIG,), np.float32)         # a miss: trims to 2 blocks first
    assert host_cache.info()["held_bytes"] == block
    assert host_cache.release() == 0                    # kept is in use
    del kept
    assert host_cache.release() == block
    assert host_cache.info()["held_bytes"] == 0


def test_limit_zero_turns_caching_off():
    held = host_cache.empty((BIG,), np.float32)         # in use while the limit drops
    host_cache.set_limit(0)
    assert host_cache.info()["held_bytes"] == held.nbytes
    del held
    a = host_cache.empty((BIG,), np.float32)
    assert a.base is None
    assert host_cache.info()["held_bytes"] == 0 and not host_cache.info()["enabled"]
    with pytest.raises(ValueError, match="limit must be >= 0 bytes, got -1"):
        host_cache.set_limit(-1)


def test_threads_never_get_the_same_block():
    errors = []

    def work(seed):
        rng = np.random.default_rng(seed)
        for _ in range(200):
            a = host_cache.empty((BIG * int(rng.integers(1, 3)),), np.float32)
            a.fill(seed)
            if not (a == seed).all():
                errors.append(seed)

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def _train_steps(steps=3):
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                          nn.Linear(8 * 13 * 13, 10))
    opt = optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(0)
    x = minigrad.tensor(rng.standard_normal((64, 1, 28, 28), dtype=np.float32))
    y = minigrad.tensor(rng.integers(0, 10, 64))
    for _ in range(steps):
        opt.zero_grad()
        minigrad.functional.cross_entropy(model(x), y).backward()
        opt.step()
    return [p.numpy().copy() for p in model.parameters()]


def test_training_is_bit_identical_with_and_without_the_cache():
    cached = _train_steps()
    assert host_cache.info()["hits"] > 0
    host_cache.set_limit(0)
    plain = _train_steps()
    for a, b in zip(cached, plain):
        np.testing.assert_array_equal(a, b)


def test_backend_controls_and_environment(monkeypatch):
    assert backend.set_cpu_cache_limit(123 * 2**20) == host_cache.DEFAULT_LIMIT
    assert backend.cpu_cache_info()["limit_bytes"] == 123 * 2**20
    monkeypatch.setenv("MINIGRAD_CPU_CACHE_MB", "64")
    backend._cache_limit_from_env()
    assert backend.cpu_cache_info()["limit_bytes"] == 64 * 2**20
    for bad in ("lots", "nan", "inf", "-5"):
        monkeypatch.setenv("MINIGRAD_CPU_CACHE_MB", bad)
        with pytest.raises(ValueError, match=f"MINIGRAD_CPU_CACHE_MB must be a number of "
                                             f"megabytes >= 0 .* got '{bad}'"):
            backend._cache_limit_from_env()
    a = backend.empty("cpu", (BIG,), np.float32)
    assert a.base is not None                          # from the cache
    assert backend.empty_cpu_cache() == 0              # a is still in use
    del a
    assert backend.empty_cpu_cache() > 0
