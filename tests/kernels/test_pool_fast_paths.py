"""The Numba max-pool kernels' 2 × 2 fast paths (unrolled forward, tiled backward) against
the NumPy reference: the generic kernel tests rarely draw that geometry."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from minigrad_kernels import pool


@st.composite
def two_by_two_case(draw):
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    h, w = draw(st.integers(2, 11)), draw(st.integers(2, 11))          # odd sizes included
    stride = draw(st.sampled_from([(2, 2), (1, 1), (1, 2), (3, 2)]))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # few distinct values (ties), and NaN / ±inf in some draws: the first NaN must win
    x = rng.integers(0, draw(st.sampled_from([2, 5, 1000])), (n, c, h, w)).astype(dtype)
    special = draw(st.sampled_from([None, np.nan, np.inf, -np.inf]))
    if special is not None:
        x[rng.random(x.shape) < 0.2] = special
    return x, ((2, 2), stride, (0, 0))


@given(two_by_two_case())
def test_2x2_forward_matches_reference(case):
    x, geometry = case
    y, arg = pool.max_pool2d_forward_numba(x, *geometry)
    y_ref, arg_ref = pool.max_pool2d_forward_numpy(x, *geometry)
    np.testing.assert_array_equal(y, y_ref)          # NaN positions must agree too
    np.testing.assert_array_equal(arg, arg_ref)
    assert y.dtype == y_ref.dtype and arg.dtype == arg_ref.dtype


@given(two_by_two_case())
def test_2x2_backward_matches_reference(case):
    x, geometry = case
    _, arg = pool.max_pool2d_forward_numpy(x, *geometry)
    dy = np.random.default_rng(3).standard_normal(arg.shape).astype(x.dtype)
    dx = pool.max_pool2d_backward_numba(dy, arg, x.shape, *geometry)
    rtol = 1e-6 if x.dtype == np.float32 else 1e-15   # overlapping windows add in any order
    np.testing.assert_allclose(dx, pool.max_pool2d_backward_numpy(dy, arg, x.shape, *geometry),
                               rtol=rtol, atol=rtol)


@pytest.mark.parametrize("impl", ["numpy", "numba"])
@pytest.mark.parametrize("geometry", [((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1))])
def test_backward_writes_exact_zeros_off_the_maximum(impl, geometry):
    """An infinite dy goes to its window's maximum only: every other element is 0, not
    inf·0 = NaN (and +0, like PyTorch, not −0 for a negative dy), in every implementation."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 6, 8)).astype(np.float32)
    forward = getattr(pool, f"max_pool2d_forward_{impl}")
    backward = getattr(pool, f"max_pool2d_backward_{impl}")
    _, arg = forward(x, *geometry)
    dy = rng.standard_normal(arg.shape).astype(np.float32)
    dy[0, 0, 0, 0], dy[1, 2, 0, 1] = np.inf, -np.inf
    dx = backward(dy, arg, x.shape, *geometry)
    assert not np.isnan(dx).any()
    assert np.isinf(dx).sum() == 2
    finite = np.where(np.isinf(dy), 0, dy)
    np.testing.assert_allclose(np.where(np.isinf(dx), 0, dx),
                               pool.max_pool2d_backward_numpy(finite, arg, x.shape, *geometry),
                               rtol=1e-6)     # overlapping windows: sums in another order
    assert not np.signbit(dx[dx == 0]).any()
