"""Every op in the table: forward against NumPy, backward against float64 finite differences,
and the dtype/shape contract of its gradients in float32."""
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
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


def _on(value, device):
    """Tensors and arrays (also inside tuples/lists) moved to ``device``."""
    if isinstance(value, minigrad.Tensor):
        return value.to(device)
    if isinstance(value, np.ndarray):
        return minigrad.backend.to_device(value, device)
    if isinstance(value, (tuple, list)):
        return type(value)(_on(v, device) for v in value)
    return value


@pytest.mark.parametrize("op", ALL_OPS, ids=lambda op: op.name)
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_op_on_the_cuda_device_matches_cpu(op, data, cuda_device):
    """Forward and backward on the CUDA device (the CPU stand-in without a GPU: it refuses
    host arrays mixed into device computations) give the CPU's values, with the output and
    every gradient on the device."""
    arrays, params = draw_case(data, op)
    results = {}
    for device in ("cpu", cuda_device):
        minigrad.manual_seed(0)                   # random ops draw the same numbers
        inputs = [minigrad.tensor(np.asarray(a, np.float64), requires_grad=True,
                                  device=device) for a in arrays]
        out = op.fn(*inputs, **{k: _on(v, device) for k, v in params.items()})
        assert out.device == device, f"{op.name} returned a tensor on {out.device}"
        cotangent = np.random.default_rng(0).standard_normal(out.shape)
        out.backward(minigrad.tensor(cotangent, dtype=out.dtype, device=device))
        for x in inputs:
            assert x.grad.device == device, f"{op.name}: a gradient on {x.grad.device}"
        results[device] = [out.numpy()] + [x.grad.numpy() for x in inputs]
    for got, want in zip(results[cuda_device], results["cpu"], strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
