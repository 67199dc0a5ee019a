"""Every registered CPU kernel against its op's NumPy reference, and the references against
independent formulas."""
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import minigrad_kernels
from minigrad import backend

from .kernel_cases import CASES, run_kernel

CPU_KERNELS = backend.available_kernels(device="cpu")
# CuPy implementations run here on the cuda_device fixture (the CPU stand-in without a GPU);
# the Numba CUDA ones in tests/kernels/test_cuda_kernels.py (simulator or GPU).
CUPY_KERNELS = backend.available_kernels(device="cuda")
CUPY_KERNELS = [k for k in CUPY_KERNELS if k[2] != "numba_cuda"]


def assert_matches_reference(op, got, want):
    """``got`` and ``want``: tuples of outputs (see kernel_cases.run_kernel)."""
    _, rtol32, rtol64 = CASES[op]
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape and g.dtype == w.dtype
        rtol = rtol32 if w.dtype == np.float32 else rtol64
        np.testing.assert_allclose(backend.to_device(g, "cpu"), w, rtol=rtol, atol=rtol)


def test_every_kernel_op_has_test_inputs():
    missing = {op for op, _, _ in backend.available_kernels()} - set(CASES)
    assert not missing, f"add inputs for {missing} to tests/kernels/kernel_cases.py"


def test_every_op_has_a_numpy_reference_and_a_default():
    for op in {op for op, _, _ in backend.available_kernels()}:
        assert (op, "cpu", "numpy") in backend.available_kernels(op)
        assert (op, "cpu") in minigrad_kernels.DEFAULTS


@pytest.mark.parametrize("op, device, impl", CPU_KERNELS, ids=["-".join(k) for k in CPU_KERNELS])
@given(data=st.data())
def test_kernel_matches_reference(op, device, impl, data):
    args = data.draw(CASES[op][0])
    with backend.use_kernels(device, **{op: impl}):
        got = run_kernel(backend.kernel(op, device), args)
    with backend.use_kernels(device, **{op: "numpy"}):
        want = run_kernel(backend.kernel(op, device), args)
    assert_matches_reference(op, got, want)


@pytest.mark.parametrize("op, device, impl", CUPY_KERNELS, ids=["-".join(k) for k in CUPY_KERNELS])
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_cupy_kernel_matches_reference(op, device, impl, data, cuda_device):
    """On the device, results on the device: the stand-in refuses host arrays mixed in."""
    args = data.draw(CASES[op][0])
    with backend.use_kernels(cuda_device, **{op: impl}):
        got = run_kernel(backend.kernel(op, cuda_device), args,
                         lambda a: backend.to_device(a, cuda_device))
    for g in got:
        assert backend.device_of(g) == "cuda", f"{impl} {op} returned a host array"
    with backend.use_kernels("cpu", **{op: "numpy"}):
        want = run_kernel(backend.kernel(op, "cpu"), args)
    assert_matches_reference(op, got, want)


@given(data=st.data())
def test_matmul_reference_against_explicit_sum(data):
    a, b = data.draw(CASES["matmul"][0])
    a, b = a.astype(np.float64), b.astype(np.float64)
    c = minigrad_kernels.matmul.matmul_numpy(a, b)
    np.testing.assert_allclose(c, np.einsum("...mk,kn->...mn", a, b), rtol=1e-12, atol=1e-12)


def test_erf_reference_known_values_and_symmetry():
    from minigrad_kernels.erf import erf_numpy
    x = np.array([0.0, 0.5, 1.0, 2.0, 3.0, np.inf])
    want = np.array([0.0, 0.5204998778130465, 0.8427007929497149, 0.9953222650189527,
                     0.9999779095030014, 1.0])
    np.testing.assert_allclose(erf_numpy(x), want, rtol=1e-15)
    np.testing.assert_array_equal(erf_numpy(-x), -erf_numpy(x))
    assert erf_numpy(np.float32(1.0)).dtype == np.float32
    assert math.isclose(float(erf_numpy(np.array(0.25))), math.erf(0.25))


def naive_max_pool(x, kernel, stride, padding):
    """Loops over windows; ties go to the first maximum in row-major window order."""
    n, c, h, w = x.shape
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    oh, ow = (h + 2 * ph - kh) // sh + 1, (w + 2 * pw - kw) // sw + 1
    y, where = np.empty((n, c, oh, ow)), np.empty((n, c, oh, ow, 2), dtype=int)
    for a in range(n):
        for b in range(c):
            for i in range(oh):
                for j in range(ow):
                    best = None
                    for p in range(kh):
                        for q in range(kw):
                            r, s = i * sh + p - ph, j * sw + q - pw
                            if 0 <= r < h and 0 <= s < w and (best is None or x[a, b, r, s] > best):
                                best, where[a, b, i, j] = x[a, b, r, s], (r, s)
                    y[a, b, i, j] = best
    return y, where


@given(data=st.data())
def test_max_pool_reference_routes_ties_to_the_first_maximum(data):
    from minigrad_kernels.pool import max_pool2d_backward_numpy, max_pool2d_forward_numpy
    x, geometry = data.draw(CASES["max_pool2d.forward"][0].map(lambda a: (a[0], a[1:])))
    y, arg = max_pool2d_forward_numpy(x, *geometry)
    want_y, where = naive_max_pool(x, *geometry)
    np.testing.assert_array_equal(y, want_y)
    dy = np.random.default_rng(0).standard_normal(y.shape)
    dx = max_pool2d_backward_numpy(dy, arg, x.shape, *geometry)
    want_dx = np.zeros(x.shape)
    for idx in np.ndindex(*y.shape):
        r, s = where[idx]
        want_dx[idx[0], idx[1], r, s] += dy[idx]
    np.testing.assert_allclose(dx, want_dx, rtol=1e-12)


@given(data=st.data())
def test_softmax_xent_reference_against_the_definition(data):
    from minigrad_kernels.softmax_xent import softmax_xent_backward_numpy, softmax_xent_numpy
    logits, target = data.draw(CASES["softmax_xent.forward"][0])
    loss, probs = softmax_xent_numpy(logits, target)
    assert np.isfinite(loss).all() and np.isfinite(probs).all()
    z = logits.astype(np.float64)
    log_p = z - z.max(1, keepdims=True)
    log_p -= np.log(np.exp(log_p).sum(1, keepdims=True))
    t = np.eye(z.shape[1])[target] if target.ndim == 1 else target.astype(np.float64)
    tol = 1e-4 if logits.dtype == np.float32 else 1e-10
    np.testing.assert_allclose(loss, -(t * log_p).sum(1), rtol=tol, atol=tol * 10)
    np.testing.assert_allclose(probs, np.exp(log_p), rtol=tol, atol=tol)
    dloss = np.linspace(0.5, 1.5, len(z))
    grad = softmax_xent_backward_numpy(probs, target, dloss)
    np.testing.assert_allclose(grad, (np.exp(log_p) * t.sum(1, keepdims=True) - t)
                               * dloss[:, None], rtol=tol, atol=tol)


@given(data=st.data())
def test_numba_adam_is_bit_identical_to_the_reference(data):
    """One pass with the reference's operations in its order and dtype: the same bits, so
    optimizer trajectories do not depend on which implementation ran."""
    from minigrad_kernels.adam_update import adam_update_numba, adam_update_numpy
    args = data.draw(CASES["adam_update"][0])
    want = run_kernel(adam_update_numpy, args)
    got = run_kernel(adam_update_numba, args)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_array_equal(np.atleast_1d(g).view(np.uint8),
                                      np.atleast_1d(w).view(np.uint8))


@pytest.mark.parametrize("values", [[True, False], [3, -2, 0], [-1.5, 2.0]])
def test_relu_keeps_numpys_result_for_every_dtype(values):
    import minigrad
    x = np.array(values)
    y = minigrad.functional.relu(minigrad.tensor(x)).numpy()
    want = np.maximum(x, 0)
    assert y.dtype == (want.dtype if x.dtype.kind != "f" else np.float64)
    np.testing.assert_array_equal(y, want)
