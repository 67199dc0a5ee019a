"""The vectorised exp (minigrad_kernels._fastmath) and the tanh terms of
minigrad_kernels.gelu against NumPy's libm-backed functions, and the gradients of F.gelu
and F.layer_norm through the compiled kernels (the op table's gradient checks use shapes
below gelu.SMALL, where the reference runs)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
import minigrad.functional as F
from minigrad import backend
from minigrad_kernels import _fastmath, gelu

FINITE = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(hnp.arrays(np.float64, st.integers(1, 300),
                  elements=st.floats(-87.0, 0.0, allow_nan=False) | st.floats(-1e-6, 0.0)))
def test_exp_matches_numpy_to_1e13(z):
    out = np.empty_like(z)
    _fastmath.exp_nonpositive_loop(z, out)
    np.testing.assert_allclose(out, np.exp(z), rtol=1e-13, atol=0)


def test_exp_below_the_clamp_and_at_the_ends():
    z = np.array([0.0, -0.0, -87.0, -87.5, -1e300, -np.inf])
    out = np.empty_like(z)
    _fastmath.exp_nonpositive_loop(z, out)
    np.testing.assert_allclose(out[:3], np.exp(z[:3]), rtol=1e-13)
    assert (out[3:] == 0).all()


def _terms(u):
    half, sech2 = np.empty_like(u), np.empty_like(u)
    gelu._tanh_terms_loop(u, half, sech2)
    return half, sech2


@given(hnp.arrays(np.float64, st.integers(1, 300),
                  elements=st.floats(-50.0, 50.0, allow_nan=False) | st.floats(-1e-4, 1e-4)))
def test_tanh_terms_match_numpy(u):
    """½(1 + tanh u) and 1 − tanh²u: relative to exact-form references without cancellation
    (the logistic function and sech² through np.exp/np.cosh), and against np.tanh itself."""
    half, sech2 = _terms(u)
    # p = e^(−2|u|) is taken as 0 below e^−87 (|u| > 43.5): ½(1 + tanh u) for u ≪ 0 and
    # sech²u, both below 1e-37 there, become 0
    np.testing.assert_allclose(half, 1 / (1 + np.exp(-2 * u)), rtol=1e-13, atol=1e-37)
    cosh = np.cosh(np.minimum(np.abs(u), 300))
    np.testing.assert_allclose(sech2, 1 / (cosh * cosh), rtol=1e-13, atol=1e-37)
    t = np.tanh(u)
    np.testing.assert_allclose(2 * half - 1, t, rtol=0, atol=1e-13)
    np.testing.assert_allclose(sech2, 1 - t * t, rtol=0, atol=1e-13)


@given(hnp.arrays(np.float32, st.integers(1, 300),
                  elements=st.floats(-20.0, 20.0, allow_nan=False, width=32)))
def test_tanh_terms_round_to_float32_like_numpy(u):
    """In float32 the terms round to the value of the exact formula (within 1 ulp)."""
    half, sech2 = _terms(u.astype(np.float64))
    u64 = u.astype(np.float64)
    want = (1 / (1 + np.exp(-2 * u64))).astype(np.float32)
    np.testing.assert_array_max_ulp(half.astype(np.float32), want, maxulp=1)


@pytest.mark.parametrize("approximate", ["tanh", "none"])
def test_gelu_gradcheck_through_the_compiled_loops(approximate):
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((gelu.SMALL + 7,)) * 3,
                        dtype="float64", requires_grad=True)
    assert backend.selected_kernel("gelu.forward", "cpu") == "numba"
    assert minigrad.gradcheck(lambda a: F.gelu(a, approximate=approximate), [x])


@pytest.mark.parametrize("impl", ["numpy", "numba"])
@pytest.mark.parametrize("affine", [0, 1, 2])
def test_layer_norm_gradcheck_in_each_implementation(impl, affine):
    rng = np.random.default_rng(affine)
    x = minigrad.tensor(rng.standard_normal((3, 2, 5, 6)) + 2, dtype="float64",
                        requires_grad=True)
    params = [minigrad.tensor(rng.standard_normal((5, 6)), dtype="float64", requires_grad=True)
              for _ in range(affine)]
    with backend.use_kernels(layer_norm=impl):
        assert minigrad.gradcheck(lambda a, *p: F.layer_norm(a, (5, 6), *p), [x, *params])


def test_layer_norm_float32_matches_float64():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((12, 64, 128)) * 3 + 1
    g, b = rng.standard_normal(128), rng.standard_normal(128)
    outs = {}
    for dtype in ("float32", "float64"):
        xs = minigrad.tensor(x, dtype=dtype, requires_grad=True)
        gs = minigrad.tensor(g, dtype=dtype, requires_grad=True)
        bs = minigrad.tensor(b, dtype=dtype, requires_grad=True)
        y = F.layer_norm(xs, 128, gs, bs)
        (y * y).sum().backward()
        outs[dtype] = [t.numpy().astype(np.float64) for t in (y, xs.grad, gs.grad, bs.grad)]
    for got, want in zip(outs["float32"], outs["float64"]):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4 * np.abs(want).max())
