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


def test_float32_exp_is_within_one_ulp():
    """The float32 polynomial (Cody–Waite reduction, 2ⁿ from its bits) against the exactly
    rounded e^x on 10⁶ points of [−87, 0] and the ends; exp_nonpositive_of dispatches on
    the precision (a float64 array gets the float64 polynomial's values)."""
    z = np.concatenate([np.linspace(-87, 0, 10**6, dtype=np.float32),
                        np.float32([0.0, -0.0, -1e-8, -1e-30, 1e-7])])
    out = np.empty_like(z)
    _fastmath.exp_nonpositive_of_loop(z, out)
    np.testing.assert_array_max_ulp(out, np.exp(z.astype(np.float64)).astype(np.float32),
                                    maxulp=1)
    below = np.float32([-87.5, -1e30, -np.inf])
    out = np.empty_like(below)
    _fastmath.exp_nonpositive_of_loop(below, out)
    assert (out == 0).all()
    z64 = z.astype(np.float64)
    got, want = np.empty_like(z64), np.empty_like(z64)
    _fastmath.exp_nonpositive_of_loop(z64, got)
    _fastmath.exp_nonpositive_loop(z64, want)
    np.testing.assert_array_equal(got, want)


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


@given(hnp.arrays(np.float32, st.integers(1, 300),
                  elements=st.floats(-40.0, 40.0, allow_nan=False, width=32)))
def test_tanh_terms_in_float32_are_within_a_few_ulp(u):
    """Computed in float32 (float32 arrays' path): ½(1 + tanh u) within 3 ulp of the exact
    value, 1 − tanh²u within 4 (each ulp of float32 at its own magnitude)."""
    half, sech2 = _terms(u)
    assert half.dtype == sech2.dtype == np.float32
    u64 = u.astype(np.float64)
    p = np.exp(-2 * np.abs(u64))
    want_half = np.where(u64 >= 0, 1 / (1 + p), p / (1 + p)).astype(np.float32)
    want_sech2 = (4 * p / (1 + p) ** 2).astype(np.float32)
    # below e^−87 p is 0 in float32: both terms are then 0 where the exact value is < 1e-37
    tiny = want_sech2 < 1e-37
    np.testing.assert_array_max_ulp(half[~tiny | (u64 > 0)], want_half[~tiny | (u64 > 0)],
                                    maxulp=3)
    np.testing.assert_array_max_ulp(sech2[~tiny], want_sech2[~tiny], maxulp=4)
    assert (sech2[tiny] < 1e-37).all()


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
