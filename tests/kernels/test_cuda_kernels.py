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
    missing = {op for op, _, _ in NUMBA_CUDA_KERNELS} - set(SIM_CASES)
    assert not missing, f"add tiny cases for {missing} to kernel_cases.SIM_CASES"


@pytest.mark.parametrize("op, device, impl", NUMBA_CUDA_KERNELS,
                         ids=["-".join(k) for k in NUMBA_CUDA_KERNELS])
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
