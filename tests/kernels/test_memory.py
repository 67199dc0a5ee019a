"""The kernels' allocator: a cached block is handed out again only when nothing references
it; the knobs and environment variables that configure it."""
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad
from minigrad import backend, nn, optim
from minigrad_kernels import memory

BIG = memory.MIN_BYTES // 4  # float32 elements of the smallest cached request


@pytest.fixture(autouse=True)
def fresh_cache():
    old = memory.set_cpu_cache_limit(memory.DEFAULT_LIMIT)
    memory.empty_cpu_cache()
    yield
    memory.set_cpu_cache_limit(old)
    memory.empty_cpu_cache()


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int64, np.uint8, np.bool_])
def test_arrays_are_plain_contiguous_and_writable(dtype):
    columns = memory.MIN_BYTES // np.dtype(dtype).itemsize  # a cached size
    a = memory.empty((3, columns), dtype)
    assert a.shape == (3, columns) and a.dtype == dtype and a.base is not None
    assert a.flags.c_contiguous and a.flags.writeable and a.flags.aligned
    assert a.ctypes.data % 64 == 0                   # a cache line, as PyTorch aligns
    a[...] = 1
    assert (a == 1).all()


def test_small_requests_bypass_the_cache():
    before = memory.cpu_cache_info()
    a = memory.empty((10, 10), np.float32)
    assert a.base is None and a.shape == (10, 10)
    assert memory.cpu_cache_info()["misses"] == before["misses"]


def test_block_is_reused_only_after_every_view_is_gone():
    a = memory.empty((BIG,), np.float32)
    view = a[::3].reshape(-1, 1)
    address = a.ctypes.data
    del a
    b = memory.empty((BIG,), np.float32)   # the view still holds the block
    assert b.ctypes.data != address
    assert not np.shares_memory(b, view)
    del view
    c = memory.empty((BIG,), np.float32)   # now it is free
    assert c.ctypes.data == address
    assert memory.cpu_cache_info()["hits"] >= 1


def test_a_tensor_and_a_saved_array_keep_their_block():
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((4, BIG // 4 + 8),
                                                                   dtype=np.float32),
                        requires_grad=True)
    y = minigrad.functional.relu(x)                    # output + saved array from the cache
    expected = np.maximum(x.numpy(), 0)
    others = [memory.empty(y.shape, np.float32) for _ in range(4)]
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
            a = memory.empty((sizes[k],), np.float32)
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
    block = memory.MIN_BYTES  # BIG float32 elements
    memory.set_cpu_cache_limit(2 * block)
    for n in range(1, 8):      # seven sizes, each dropped at once: every miss trims first
        memory.empty((BIG * n,), np.float32)
    info = memory.cpu_cache_info()
    # the least recently used idle blocks went first: only the last one (7 blocks) is left
    assert info == {**info, "blocks": 1, "held_bytes": 7 * block, "idle_bytes": 7 * block,
                    "in_use_bytes": 0}
    kept = memory.empty((BIG,), np.float32)  # a miss: trims to 2 blocks first
    assert memory.cpu_cache_info()["held_bytes"] == block
    assert memory.empty_cpu_cache() == 0  # kept is in use
    del kept
    assert memory.empty_cpu_cache() == block
    assert memory.cpu_cache_info()["held_bytes"] == 0


def test_limit_zero_turns_caching_off():
    held = memory.empty((BIG,), np.float32)  # in use while the limit drops
    memory.set_cpu_cache_limit(0)
    assert memory.cpu_cache_info()["held_bytes"] == held.nbytes
    del held
    a = memory.empty((BIG,), np.float32)
    assert a.base is None
    assert memory.cpu_cache_info()["held_bytes"] == 0 and not memory.cpu_cache_info()["enabled"]
    with pytest.raises(ValueError, match="limit must be >= 0 bytes, got -1"):
        memory.set_cpu_cache_limit(-1)


def test_threads_never_get_the_same_block():
    errors = []

    def work(seed):
        rng = np.random.default_rng(seed)
        for _ in range(200):
            a = memory.empty((BIG * int(rng.integers(1, 3)),), np.float32)
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
    assert memory.cpu_cache_info()["hits"] > 0
    memory.set_cpu_cache_limit(0)
    plain = _train_steps()
    for a, b in zip(cached, plain):
        np.testing.assert_array_equal(a, b)


def test_backend_controls_and_environment(monkeypatch):
    assert backend.set_cpu_cache_limit(123 * 2**20) == memory.DEFAULT_LIMIT
    assert backend.cpu_cache_info()["limit_bytes"] == 123 * 2**20
    monkeypatch.setenv("MINIGRAD_CPU_CACHE_MB", "64")
    memory.configure_from_environment()
    assert backend.cpu_cache_info()["limit_bytes"] == 64 * 2**20
    for bad in ("lots", "nan", "inf", "-5"):
        monkeypatch.setenv("MINIGRAD_CPU_CACHE_MB", bad)
        with pytest.raises(ValueError, match=f"MINIGRAD_CPU_CACHE_MB must be a number of "
                                             f"megabytes >= 0 .* got '{bad}'"):
            memory.configure_from_environment()
    a = backend.empty("cpu", (BIG,), np.float32)
    assert a.base is not None                          # from the cache
    assert backend.empty_cpu_cache() == 0              # a is still in use
    del a
    assert backend.empty_cpu_cache() > 0


def test_empty_like_keeps_the_array_type_and_dtype():
    class Sub(np.ndarray):
        pass
    like = np.zeros(3, np.float64).view(Sub)
    a = memory.empty((2, BIG), like=like)
    assert type(a) is Sub and a.dtype == np.float64 and a.flags.c_contiguous
    b = memory.zeros((2, BIG), np.float32, like=np.zeros(1))
    assert type(b) is np.ndarray and b.base is not None and not b.any()


def test_a_kernels_scratch_comes_back_to_the_next_call():
    """The conv2d fast path takes its scratch (the im2col matrix, GEMM results) from the
    cache: the second call of a shape allocates no new block."""
    from minigrad_kernels.conv2d import conv2d_backward_weight_numba, conv2d_forward_numba
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 16, 20, 20)).astype(np.float32)
    w = rng.standard_normal((32, 16, 3, 3)).astype(np.float32)
    geometry = ((1, 1), (1, 1), (1, 1))
    for _ in range(2):
        y = conv2d_forward_numba(x, w, *geometry)
        conv2d_backward_weight_numba(y, x, w.shape, *geometry)
        misses = memory.cpu_cache_info()["misses"]
        del y
    y = conv2d_forward_numba(x, w, *geometry)
    conv2d_backward_weight_numba(y, x, w.shape, *geometry)
    assert memory.cpu_cache_info()["misses"] == misses
