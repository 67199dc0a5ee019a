"""Every registered Numba CUDA kernel against its op's NumPy reference.

Runs in one of two ways:
- under the CUDA simulator, in its own pytest process (``NUMBA_ENABLE_CUDASIM=1`` must be
  set before numba is first imported; ``make test`` does this), on NumPy arrays, with the
  tiny shapes and launch configurations of ``kernel_cases.SIM_CASES``;
- on a real GPU (these tests are then marked ``gpu``), on CuPy arrays, plus larger shapes
  with the default launch configurations.
In the ordinary test process (no simulator) they are marked ``gpu`` and deselected.
"""
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.functional as F
from minigrad import backend

from .kernel_cases import CASES, SIM_CASES, run_kernel

SIMULATOR = os.environ.get("NUMBA_ENABLE_CUDASIM") == "1"
pytestmark = [] if SIMULATOR else [pytest.mark.gpu]
NUMBA_CUDA_KERNELS = [k for k in backend.available_kernels(device="cuda")
                      if k[2] == "numba_cuda"]
# ops tested by explicit cases below (a few chosen shapes, not hypothesis draws): attention,
# whose forward and backward take ~0.5 s per case in the simulator
EXPLICIT_CASES = {"attention.forward", "attention.backward"}
DRAWN_KERNELS = [k for k in NUMBA_CUDA_KERNELS if k[0] in SIM_CASES]
# each simulated example takes ~0.01–1 s (the ci profile derandomizes the draws)
SIM_EXAMPLES = int(os.environ.get("MINIGRAD_SIM_EXAMPLES", "25"))


@pytest.fixture(scope="module")
def device_array():
    """Host array -> the array a CUDA kernel takes here: NumPy under the simulator, CuPy
    on a GPU."""
    if SIMULATOR:
        return lambda a: a
    available, reason = backend.cuda_status()
    if not available:
        pytest.skip(f"needs a CUDA GPU or NUMBA_ENABLE_CUDASIM=1: {reason}")
    return backend.xp_for("cuda").asarray


def host(array):
    return backend.to_device(array, "cpu") if backend.device_of(array) == "cuda" else array


def test_every_op_with_a_numba_cuda_kernel_has_simulator_cases():
    missing = {op for op, _, _ in NUMBA_CUDA_KERNELS} - set(SIM_CASES) - EXPLICIT_CASES
    assert not missing, f"add tiny cases for {missing} to kernel_cases.SIM_CASES"


@pytest.mark.parametrize("op, device, impl", DRAWN_KERNELS,
                         ids=["-".join(k) for k in DRAWN_KERNELS])
@settings(max_examples=SIM_EXAMPLES,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_numba_cuda_kernel_matches_reference(op, device, impl, data, device_array):
    args, launch = data.draw(SIM_CASES[op])
    with backend.use_kernels("cpu", **{op: "numpy"}):
        want = run_kernel(backend.kernel(op, "cpu"), args)
    with backend.use_kernels("cuda", **{op: impl}):
        got = run_kernel(backend.kernel(op, "cuda"), args, device_array, **launch)
    array_type = type(device_array(np.zeros(1)))
    _, rtol32, rtol64 = CASES[op]
    for g, w in zip(got, want, strict=True):
        # outputs are allocated with the input's array module: NumPy in, NumPy out
        assert type(g) is array_type, (type(g), array_type)
        w = np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
        rtol = rtol32 if w.dtype == np.float32 else rtol64
        np.testing.assert_allclose(host(g), w, rtol=rtol, atol=rtol)


def test_a_training_step_through_the_numba_cuda_kernels(device_array):
    """A conv → pool → linear → cross-entropy → Adam step with every op on its numba_cuda
    kernel (on the CPU stand-in device under the simulator) matches the CPU step."""
    from ..cuda_standin import standin

    def step(device):
        minigrad.manual_seed(0)
        model = minigrad.nn.Sequential(
            minigrad.nn.Conv2d(1, 2, 3, padding=1), minigrad.nn.ReLU(),
            minigrad.nn.MaxPool2d(2), minigrad.nn.Flatten(), minigrad.nn.Linear(2 * 3 * 3, 3))
        model.to(device)
        x = minigrad.randn(2, 1, 6, 6, device=device)
        y = minigrad.tensor([0, 2], device=device)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        grads = [p.grad.numpy() for p in model.parameters()]
        minigrad.optim.Adam(model.parameters(), lr=0.1).step()
        return [loss.numpy()] + grads + [p.numpy() for p in model.parameters()]

    want = step("cpu")
    kernels = {op.split(".")[0]: "numba_cuda" for op, _, _ in NUMBA_CUDA_KERNELS}
    if SIMULATOR:
        with backend.use_cuda_module(standin), backend.use_kernels("cuda", **kernels):
            got = step("cuda")
    else:
        with backend.use_kernels("cuda", **kernels):
            got = step("cuda")
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-4, atol=1e-5)


# -- attention: the FlashAttention kernels on explicit cases --------------------------------

# (B, L, S, E, Ev, dtype, is_causal, mask heads (0: none), dropout, tiles (BQ, BK, per row)):
# L and S ragged against the tiles and unequal both ways; the masks hold a fully masked row
ATTENTION_CASES = [
    (2, 7, 9, 5, 3, np.float64, False, 0, False, None),
    (2, 9, 6, 4, 6, np.float32, True, 0, False, None),          # causal, L > S
    (2, 6, 10, 4, 4, np.float64, True, 2, True, (4, 8, 2)),     # causal, L < S, (B, L, S)
    (1, 5, 7, 20, 17, np.float32, False, 1, True, (2, 4, 2)),   # (1, L, S), E in width 32
]


def _attention_arrays(batch, length, keys, feat, ev, dtype, mask_heads, dropout):
    rng = np.random.default_rng(length * 100 + keys)
    q, k = (rng.standard_normal((batch, n, feat)).astype(dtype) for n in (length, keys))
    v = rng.standard_normal((batch, keys, ev)).astype(dtype)
    dout = rng.standard_normal((batch, length, ev)).astype(dtype)
    mask = drop = None
    if mask_heads:
        bias = rng.standard_normal((mask_heads, length, keys))
        mask = np.where(rng.random(bias.shape) < 0.3, -np.inf, bias).astype(dtype)
        mask[:, 1] = -np.inf                                    # a row with no key
    if dropout:
        drop = ((rng.random((batch, length, keys)) > 0.3) / 0.7).astype(dtype)
    return q, k, v, dout, mask, drop


@pytest.mark.parametrize("case", ATTENTION_CASES, ids=[
    f"{c[5].__name__}-L{c[1]}-S{c[2]}{'-causal' * c[6]}{'-mask' * bool(c[7])}"
    f"{'-dropout' * c[8]}" for c in ATTENTION_CASES])
def test_attention_kernels_match_the_reference(case, device_array):
    from minigrad_kernels.attention import attention_backward_numpy, attention_forward_numpy
    from minigrad_kernels.cuda.attention import (attention_backward_numba_cuda,
                                                 attention_forward_numba_cuda)
    batch, length, keys, feat, ev, dtype, causal, mask_heads, dropout, tiles = case
    q, k, v, dout, mask, drop = _attention_arrays(batch, length, keys, feat, ev, dtype,
                                                  mask_heads, dropout)
    scale = 1 / np.sqrt(feat)
    want = attention_forward_numpy(q, k, v, scale, causal, mask, drop)
    want += attention_backward_numpy(dout, q, k, v, *want, scale, causal, mask, drop)

    def dev(a):
        return None if a is None else device_array(a)
    launch = {"tiles": tiles} if tiles else {}
    got = attention_forward_numba_cuda(dev(q), dev(k), dev(v), scale, causal, dev(mask),
                                       dev(drop), **launch)
    # backward from the reference's out and lse: each kernel checked on its own
    got += attention_backward_numba_cuda(dev(dout), dev(q), dev(k), dev(v), dev(want[0]),
                                         dev(want[1]), scale, causal, dev(mask), dev(drop),
                                         **launch)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    for name, g, w in zip(("out", "lse", "dq", "dk", "dv"), got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype, (name, g.shape, w.shape, g.dtype)
        np.testing.assert_allclose(host(g), w, rtol=rtol, atol=rtol, err_msg=name)
    if mask_heads:                      # the row with no key: lse −inf, out and dq exactly 0
        assert np.all(host(got[1])[:, 1] == -np.inf)
        assert not np.any(host(got[0])[:, 1]) and not np.any(host(got[2])[:, 1])


def test_attention_head_size_beyond_the_compiled_maximum_is_refused(device_array):
    from minigrad_kernels.cuda.attention import MAX_HEAD, attention_forward_numba_cuda
    q = device_array(np.zeros((1, 2, MAX_HEAD + 1), np.float32))
    v = device_array(np.zeros((1, 2, 4), np.float32))
    with pytest.raises(ValueError, match=rf"E = {MAX_HEAD + 1} exceeds .* maximum head "
                                         rf"size {MAX_HEAD}: q \(1, 2, {MAX_HEAD + 1}\)"):
        attention_forward_numba_cuda(q, q, v, 1.0)


def test_attention_through_the_op_on_the_numba_cuda_kernels(device_array):
    """F.scaled_dot_product_attention (4-d heads, a bool mask broadcast over heads) on the
    device with the attention kernels on numba_cuda: outputs and gradients match the CPU."""
    from ..cuda_standin import standin

    def run(device):
        rng = np.random.default_rng(5)
        q, k, v = (minigrad.tensor(rng.standard_normal((1, 2, n, 4)), device=device,
                                   requires_grad=True) for n in (5, 6, 6))
        allowed = minigrad.tensor(rng.random((5, 6)) < 0.7, device=device)
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed)
        (y * y).sum().backward()
        return [y.numpy()] + [t.grad.numpy() for t in (q, k, v)]

    want = run("cpu")
    if SIMULATOR:
        with backend.use_cuda_module(standin), backend.use_kernels("cuda",
                                                                   attention="numba_cuda"):
            got = run("cuda")
    else:
        with backend.use_kernels("cuda", attention="numba_cuda"):
            got = run("cuda")
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


# -- real GPU only: the default launch configurations on larger, ragged shapes -------------

@pytest.mark.skipif(SIMULATOR, reason="large shapes take minutes in the simulator")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_large_shapes_with_default_launch_configurations(dtype, device_array):
    rng = np.random.default_rng(0)
    from minigrad_kernels.cuda.matmul import matmul_numba_cuda
    from minigrad_kernels.cuda.softmax_xent import softmax_xent_numba_cuda
    a = rng.standard_normal((3, 517, 1031)).astype(dtype)
    b = rng.standard_normal((1031, 263)).astype(dtype)
    c = matmul_numba_cuda(device_array(a), device_array(b))
    rtol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(host(c), a @ b, rtol=rtol, atol=rtol * 30)
    logits = (rng.standard_normal((300, 32001)) * 10).astype(dtype)
    target = rng.integers(0, 32001, 300)
    loss, probs = softmax_xent_numba_cuda(device_array(logits), device_array(target))
    from minigrad_kernels.softmax_xent import softmax_xent_numpy
    want_loss, want_probs = softmax_xent_numpy(logits, target)
    np.testing.assert_allclose(host(loss), want_loss, rtol=rtol * 10, atol=rtol)
    np.testing.assert_allclose(host(probs), want_probs, rtol=rtol * 10, atol=rtol)


@pytest.mark.skipif(SIMULATOR, reason="large shapes take minutes in the simulator")
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("feat", [64, 128])
def test_attention_with_default_launch_configurations(dtype, feat, device_array):
    """Every tile configuration chooser picks (head widths 64 and 128), ragged lengths,
    causal with a (1, L, S) mask that empties a row, and dropout."""
    from minigrad_kernels.attention import attention_backward_numpy, attention_forward_numpy
    from minigrad_kernels.cuda.attention import (attention_backward_numba_cuda,
                                                 attention_forward_numba_cuda)
    q, k, v, dout, mask, drop = _attention_arrays(3, 201, 157, feat, feat - 7, dtype, 1, True)
    scale = 1 / np.sqrt(feat)
    want = attention_forward_numpy(q, k, v, scale, True, mask, drop)
    want += attention_backward_numpy(dout, q, k, v, *want, scale, True, mask, drop)
    got = attention_forward_numba_cuda(*map(device_array, (q, k, v)), scale, True,
                                       device_array(mask), device_array(drop))
    got += attention_backward_numba_cuda(*map(device_array, (dout, q, k, v) + want), scale,
                                         True, device_array(mask), device_array(drop))
    rtol = 1e-4 if dtype == np.float32 else 1e-11
    for name, g, w in zip(("out", "lse", "dq", "dk", "dv"), got, want, strict=True):
        np.testing.assert_allclose(host(g), w, rtol=rtol, atol=rtol, err_msg=name)


@pytest.mark.skipif(SIMULATOR, reason="CuPy streams exist on a real GPU only")
def test_kernels_launch_on_cupys_current_stream(device_array):
    """Launched on the stream CuPy is using (no synchronisation of the default stream): the
    result is complete once that stream alone is synchronised."""
    cupy = backend.xp_for("cuda")
    from minigrad_kernels.cuda import _launch
    from minigrad_kernels.cuda.matmul import matmul_numba_cuda
    rng = np.random.default_rng(0)
    a = rng.standard_normal((300, 200)).astype(np.float32)
    b = rng.standard_normal((200, 100)).astype(np.float32)
    stream = cupy.cuda.Stream(non_blocking=True)
    with stream:
        c = matmul_numba_cuda(cupy.asarray(a), cupy.asarray(b))
        assert stream.ptr in _launch._streams
    stream.synchronize()
    np.testing.assert_allclose(cupy.asnumpy(c), a @ b, rtol=1e-4, atol=1e-3)


@pytest.mark.parametrize("position", [0, 1, 5])
def test_softmax_xent_row_with_a_nan_gives_nan(position, device_array):
    """A NaN logit makes its row's loss and probabilities NaN, as in the reference, also
    when it is the first value a thread reads (its running max still −inf: a NaN compares
    false with everything, so the online sum used to skip it); other rows are unchanged."""
    from minigrad_kernels.cuda.softmax_xent import softmax_xent_numba_cuda
    from minigrad_kernels.softmax_xent import softmax_xent_numpy
    logits = np.random.default_rng(0).standard_normal((3, 10)).astype(np.float32)
    logits[1, position] = np.nan
    target = np.array([2, 3, 4])
    want_loss, want_probs = softmax_xent_numpy(logits, target)
    loss, probs = softmax_xent_numba_cuda(device_array(logits), device_array(target),
                                          threads=4)
    loss, probs = host(loss), host(probs)
    assert np.isnan(want_loss[1]) and np.isnan(want_probs[1]).all()
    assert np.isnan(loss[1]) and np.isnan(probs[1]).all()
    np.testing.assert_allclose(loss[[0, 2]], want_loss[[0, 2]], rtol=1e-5)
    np.testing.assert_allclose(probs[[0, 2]], want_probs[[0, 2]], rtol=1e-5, atol=1e-7)


def test_max_pool_padding_beyond_half_the_kernel_is_refused(device_array):
    """With padding > kernel/2 a window can lie wholly in the padding, and the kernel would
    read past the input: refused (PyTorch's rule, also F.max_pool2d's), before any launch;
    padding of exactly half the kernel still matches the reference."""
    from minigrad_kernels.cuda.pool import (max_pool2d_backward_numba_cuda,
                                            max_pool2d_forward_numba_cuda)
    from minigrad_kernels.pool import max_pool2d_forward_numpy
    x = np.random.default_rng(0).standard_normal((1, 2, 5, 5)).astype(np.float32)
    with pytest.raises(ValueError, match="at most half the kernel"):
        max_pool2d_forward_numba_cuda(device_array(x), (2, 2), (2, 2), (2, 1))
    with pytest.raises(ValueError, match="at most half the kernel"):
        max_pool2d_backward_numba_cuda(device_array(np.zeros((1, 2, 4, 4), np.float32)),
                                       device_array(np.zeros((1, 2, 4, 4), np.int8)),
                                       x.shape, (3, 3), (2, 2), (1, 2))
    want_y, want_arg = max_pool2d_forward_numpy(x, (3, 3), (2, 2), (1, 1))
    y, arg = max_pool2d_forward_numba_cuda(device_array(x), (3, 3), (2, 2), (1, 1),
                                           threads=8)
    np.testing.assert_array_equal(host(y), want_y)
    np.testing.assert_array_equal(host(arg), want_arg)


@pytest.mark.parametrize("a_batch, b_batch", [(5, 5), (5, 1), (1, 5)])
def test_matmul_past_the_grid_limit_goes_in_several_launches(a_batch, b_batch, device_array,
                                                             monkeypatch):
    """Grid y (row tiles) and z (matrices) hold at most 65 535 blocks; with the limit
    lowered to 2, a batch of 5 and 5 row tiles take 3 × 3 launches: every block must
    compute the tile its launch offsets name."""
    from minigrad_kernels.cuda import matmul as cuda_matmul
    monkeypatch.setattr(cuda_matmul, "MAX_GRID_YZ", 2)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((a_batch, 37, 6)).astype(np.float32)     # 37 rows: 5 tiles of 8
    b = rng.standard_normal((b_batch, 6, 11)).astype(np.float32)
    got = cuda_matmul.gemm3(device_array(a), device_array(b), tiles=(8, 8, 4, 2, 2))
    np.testing.assert_allclose(host(got), np.matmul(a, b), rtol=1e-5, atol=1e-5)
