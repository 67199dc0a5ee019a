"""Every registered CPU kernel against its op's NumPy reference, and the references against
independent formulas."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad_kernels
from minigrad import backend

from .kernel_cases import CASES

CPU_KERNELS = backend.available_kernels(device="cpu")


def test_every_kernel_op_has_test_inputs():
    missing = {op for op, _, _ in backend.available_kernels()} - set(CASES)
    assert not missing, f"add inputs for {missing} to tests/kernels/kernel_cases.py"


def test_every_op_has_a_numpy_reference_and_a_default():
    for op in {op for op, _, _ in backend.available_kernels()}:
        assert (op, "cpu", "numpy") in backend.available_kernels(op)
        assert (op, "cpu") in minigrad_kernels.DEFAULTS


@pytest.mark.parametrize("op, device, impl", CPU_KERNELS, ids="-".join)
@given(data=st.data())
def test_kernel_matches_reference(op, device, impl, data):
    strategy, rtol32, rtol64 = CASES[op]
    args = data.draw(strategy)
    with backend.use_kernels(device, **{op: impl}):
        got = backend.kernel(op, device)(*args)
    with backend.use_kernels(device, **{op: "numpy"}):
        want = backend.kernel(op, device)(*args)
    assert got.shape == want.shape and got.dtype == want.dtype
    rtol = rtol32 if want.dtype == np.float32 else rtol64
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol)


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
