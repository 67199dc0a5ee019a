"""Every op in the table: forward against NumPy, backward against float64 finite differences,
and the dtype/shape contract of its gradients in float32."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad

from .op_table import OPS
from .op_table_nn import NN_OPS

ALL_OPS = OPS + NN_OPS


def draw_case(data, op):
    if op.joint:
        shapes, params = data.draw(op.shapes, label="shapes and params")
    else:
        shapes = data.draw(op.shapes, label="shapes")
        params = data.draw(op.params(shapes), label="params")
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    rng = np.random.default_rng(seed)
    arrays = [op.value_gen(i)(rng, shape) for i, shape in enumerate(shapes)]
    return arrays, params


def as_tensors(arrays, dtype):
    return [minigrad.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]


@pytest.mark.parametrize("op", ALL_OPS, ids=lambda op: op.name)
@given(data=st.data())
def test_forward_matches_numpy(op, data):
    arrays, params = draw_case(data, op)
    expected = op.ref(*arrays, **params)
    for dtype, rtol in ((np.float64, 1e-10), (np.float32, op.fwd_rtol)):
        out = op.fn(*as_tensors(arrays, dtype), **params)
        assert out.dtype == dtype, f"{op.name} turned {np.dtype(dtype)} into {out.dtype}"
        assert out.shape == np.shape(expected)
        np.testing.assert_allclose(out.numpy(), expected, rtol=rtol, atol=rtol)


@pytest.mark.parametrize("op", ALL_OPS, ids=lambda op: op.name)
@given(data=st.data())
def test_backward_matches_finite_differences(op, data):
    arrays, params = draw_case(data, op)
    inputs = as_tensors(arrays, np.float64)
    assert minigrad.gradcheck(lambda *xs: op.fn(*xs, **params), inputs)


@pytest.mark.parametrize("op", ALL_OPS, ids=lambda op: op.name)
@given(data=st.data())
def test_float32_gradients_keep_dtype_and_agree(op, data):
    """Gradients of float32 inputs are float32, shaped like the input, and close to the
    float64 gradients."""
    arrays, params = draw_case(data, op)
    grads = {}
    for dtype in (np.float32, np.float64):
        inputs = as_tensors(arrays, dtype)
        out = op.fn(*inputs, **params)
        cotangent = np.random.default_rng(0).standard_normal(out.shape).astype(dtype)
        out.backward(minigrad.tensor(cotangent, dtype=dtype))
        for x in inputs:
            assert x.grad is not None and x.grad.dtype == dtype and x.grad.shape == x.shape
        grads[dtype] = [x.grad.numpy() for x in inputs]
    for g32, g64 in zip(grads[np.float32], grads[np.float64]):
        np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-3)
