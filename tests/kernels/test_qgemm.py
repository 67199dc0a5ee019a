"""The int8 GEMM kernels (kernels/qgemm.py): every implementation equals the reference bit for
bit on random inputs, the reference equals the definition, and the float32 path stays exact
across its K-splitting boundary and at the extreme values."""
import numpy as np
import pytest
from hypothesis import given, settings

from minigrad import backend
from minigrad_kernels import qgemm as q

from .kernel_cases import qgemm_args

IMPLS = [impl for _, _, impl in backend.available_kernels("qgemm", "cpu")]


def test_three_implementations_are_registered():
    assert set(IMPLS) == {"numpy", "sgemm", "numba"}


@pytest.mark.parametrize("impl", IMPLS)
@settings(max_examples=40, deadline=None)
@given(args=qgemm_args())
def test_qgemm_equals_reference_exactly(impl, args):
    a, b = args
    with backend.use_kernels("cpu", qgemm="numpy"):
        want = backend.kernel("qgemm", "cpu")(a, b)
    with backend.use_kernels("cpu", qgemm=impl):
        got = backend.kernel("qgemm", "cpu")(a.copy(), b)
    assert got.dtype == np.int32 and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@settings(max_examples=20, deadline=None)
@given(args=qgemm_args())
def test_reference_equals_the_definition(args):
    a, b = args
    want = (a.astype(np.int64)[:, :, None] * b.astype(np.int64)[None, :, :]).sum(axis=1)
    np.testing.assert_array_equal(q.qgemm_numpy(a, b), want)


@pytest.mark.parametrize("k", [q.SGEMM_EXACT_K, q.SGEMM_EXACT_K + 1, 4 * q.SGEMM_EXACT_K])
def test_sgemm_path_is_exact_at_the_worst_case(k):
    """Every product −128 · −128 = 2¹⁴: a chunk's sum reaches 2²⁴ exactly; one product more
    in a single float32 GEMM would be the first to round (2²⁴ + 2¹⁴ is still representable,
    but mixed signs beyond the bound are not), which the split avoids."""
    a = np.full((3, k), -128, np.int8)
    b = np.full((k, 2), -128, np.int8)
    np.testing.assert_array_equal(q.qgemm_sgemm(a, b), np.full((3, 2), k * 2**14, np.int32))
    rng = np.random.default_rng(k)
    a = rng.integers(-128, 128, (4, k)).astype(np.int8)
    b = rng.integers(-128, 128, (k, 5)).astype(np.int8)
    np.testing.assert_array_equal(q.qgemm_sgemm(a, b), q.qgemm_numpy(a, b))


def test_an_unsplit_float32_gemm_would_not_be_exact():
    """Why the split exists: beyond K·128² = 2²⁴, float32 accumulation rounds."""
    rng = np.random.default_rng(0)
    k = 16 * q.SGEMM_EXACT_K
    a = rng.choice(np.array([-128, 127], np.int8), (8, k))
    b = rng.choice(np.array([-128, 127], np.int8), (k, 8))
    b[:, :] = np.where(a[:1].T > 0, 127, -128)        # products all positive: sums grow
    naive = (a.astype(np.float32) @ b.astype(np.float32)).astype(np.int64)
    exact = q.qgemm_numpy(a, b).astype(np.int64)
    assert (naive != exact).any()
    np.testing.assert_array_equal(q.qgemm_sgemm(a, b), exact)
