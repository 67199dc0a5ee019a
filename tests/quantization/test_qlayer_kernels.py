"""The fused quantised-layer kernels (kernels/qlayer.py): the reference equals the definition
computed independently (int64 products, the float32 epilogue written out), the fused Numba
implementation equals the reference bit for bit (also across batch chunks and its sub-
batches), and the quantised layers give the same bits with either implementation."""
import numpy as np
import pytest
from hypothesis import given, settings

import minigrad
from minigrad import backend, nn
from minigrad import quantization as Q
from minigrad_kernels import conv2d as conv_kernels
from minigrad_kernels import qlayer as L

from ..kernels.kernel_cases import qlayer_conv2d_args, qlayer_linear_args


def _definition_linear(x, w_q, w_scale, bias, s, z, relu):
    """The contract, line by line, with int64 products."""
    x_q = np.clip(np.rint(x / np.float32(s)) + z, -128, 127).astype(np.int64)
    w = w_q.astype(np.int64)
    acc = x_q @ w.T - z * w.sum(axis=1)
    y = acc.astype(np.float32) * (np.float32(s) * w_scale).astype(np.float32)
    if bias is not None:
        y = y + bias
    return np.maximum(y, np.float32(0)) if relu else y


def _definition_conv2d(x, w_q, w_scale, bias, s, z, stride, padding, dilation, relu):
    """Every output pixel from its window of the z-padded input, by explicit loops."""
    n, c, h, w = x.shape
    o, _, kh, kw = w_q.shape
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    ow = (w + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    x_q = np.clip(np.rint(x / np.float32(s)) + z, -128, 127).astype(np.int64)
    xp = np.full((n, c, h + 2 * padding[0], w + 2 * padding[1]), z, np.int64)
    xp[:, :, padding[0]:padding[0] + h, padding[1]:padding[1] + w] = x_q
    rows = np.empty((n, oh, ow, c * kh * kw), np.float32)
    for i in range(oh):
        for j in range(ow):
            r0, c0 = i * stride[0], j * stride[1]
            win = xp[:, :, r0:r0 + dilation[0] * (kh - 1) + 1:dilation[0],
                     c0:c0 + dilation[1] * (kw - 1) + 1:dilation[1]]
            rows[:, i, j] = win.reshape(n, -1)
    # rows hold the exact integers x_q: back to int64 for the product
    w2 = w_q.reshape(o, -1).astype(np.int64)
    acc = rows.reshape(-1, c * kh * kw).astype(np.int64) @ w2.T - z * w2.sum(axis=1)
    y = acc.astype(np.float32) * (np.float32(s) * w_scale).astype(np.float32)
    if bias is not None:
        y = y + bias
    if relu:
        y = np.maximum(y, np.float32(0))
    return y.reshape(n, oh, ow, o).transpose(0, 3, 1, 2)


@settings(max_examples=60, deadline=None)
@given(args=qlayer_linear_args())
def test_linear_reference_is_the_definition(args):
    want = _definition_linear(*args)
    got = L.qlayer_linear_numpy(*args)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)


@settings(max_examples=60, deadline=None)
@given(args=qlayer_conv2d_args())
def test_conv2d_reference_is_the_definition(args):
    want = _definition_conv2d(*args)
    got = L.qlayer_conv2d_numpy(*args)
    assert got.dtype == np.float32 and got.flags.c_contiguous
    np.testing.assert_array_equal(got, want)


@settings(max_examples=80, deadline=None)
@given(args=qlayer_linear_args())
def test_fused_linear_equals_the_reference_bit_for_bit(args):
    np.testing.assert_array_equal(L.qlayer_linear_numba(*args), L.qlayer_linear_numpy(*args))


@settings(max_examples=80, deadline=None)
@given(args=qlayer_conv2d_args())
def test_fused_conv2d_equals_the_reference_bit_for_bit(args):
    got = L.qlayer_conv2d_numba(*args)
    assert got.dtype == np.float32 and got.flags.c_contiguous
    np.testing.assert_array_equal(got, L.qlayer_conv2d_numpy(*args))


@pytest.mark.parametrize("c, k", [(1, 3), (16, 3), (120, 3)])   # per sample / one GEMM / split K
def test_fused_conv2d_across_batch_chunks_and_sub_batches(monkeypatch, c, k):
    """Tiny workspace and epilogue budgets: every sample its own chunk and sub-batch."""
    rng = np.random.default_rng(c)
    x = rng.standard_normal((5, c, 9, 8)).astype(np.float32)
    w_q = rng.integers(-127, 128, (7, c, k, k)).astype(np.int8)
    w_scale = rng.random(7).astype(np.float32)
    bias = rng.standard_normal(7).astype(np.float32)
    args = (x, w_q, w_scale, bias, np.float32(0.03), -11, (1, 2), (1, 0), (1, 1), True)
    want = L.qlayer_conv2d_numpy(*args)
    np.testing.assert_array_equal(L.qlayer_conv2d_numba(*args), want)
    monkeypatch.setattr(conv_kernels, "WORKSPACE_BYTES", 1)
    monkeypatch.setattr(L, "EPILOGUE_BYTES", 1)
    np.testing.assert_array_equal(L.qlayer_conv2d_numba(*args), want)


def test_seed000_shapes_bit_for_bit():
    """The first convolution of seed000's CNN at batch 16 (K = 9: the per-sample path),
    then its second (K = 288: one GEMM per sub-batch, written as NCHW)."""
    rng = np.random.default_rng(0)
    for c, o, side in [(1, 32, 28), (32, 64, 13)]:
        x = rng.random((16, c, side, side), dtype=np.float32)
        w_q = rng.integers(-127, 128, (o, c, 3, 3)).astype(np.int8)
        args = (x, w_q, rng.random(o).astype(np.float32) * 0.01,
                rng.standard_normal(o).astype(np.float32), np.float32(1 / 255), -128,
                (1, 1), (0, 0), (1, 1), True)
        np.testing.assert_array_equal(L.qlayer_conv2d_numba(*args),
                                      L.qlayer_conv2d_numpy(*args))


def test_layers_give_the_same_bits_with_either_implementation():
    minigrad.manual_seed(3)
    model = nn.Sequential(nn.Conv2d(2, 6, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(6, 4, 3, stride=2), nn.Flatten(), nn.Linear(16, 8),
                          nn.ReLU(), nn.Linear(8, 3))
    x = minigrad.randn(5, 2, 10, 10)
    prepared = Q.prepare(model)
    prepared(x)
    static = Q.convert(prepared)
    dynamic = Q.quantize_dynamic(model)
    for q in (static, dynamic):
        with backend.use_kernels("cpu", qlayer="numpy"):
            want = q(x)._data
        with backend.use_kernels("cpu", qlayer="numba"):
            got = q(x)._data
        np.testing.assert_array_equal(got, want)


def test_static_input_qparams_are_one_buffer_and_load_back_exactly(tmp_path):
    """[scale, zero point] in one float32 buffer per layer (one tensor in the file instead
    of two); the zero point is an integer, exact in float32."""
    minigrad.manual_seed(4)
    model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 2))
    prepared = Q.prepare(model)
    prepared(minigrad.randn(8, 6) * 3 - 1)
    q = Q.convert(prepared)
    sd = q.state_dict()
    assert list(sd) == ["0.weight", "0.weight_scale", "0.bias", "0.input_qparams",
                        "2.weight", "2.weight_scale", "2.bias", "2.input_qparams"]
    s, z = q[0].input_scale, q[0].input_zero_point
    assert isinstance(z, int) and -128 <= z <= 127 and s.dtype == np.float32
    minigrad.save(sd, tmp_path / "q.pt")
    skeleton = Q.convert(Q.prepare(nn.Sequential(nn.Linear(6, 5), nn.ReLU(),
                                                 nn.Linear(5, 2))), strict=False)
    assert skeleton[0].input_zero_point == 0 and skeleton[0].input_scale == 1
    skeleton.load_state_dict(minigrad.load(tmp_path / "q.pt"))
    assert (skeleton[0].input_scale, skeleton[0].input_zero_point) == (s, z)
    x = minigrad.randn(4, 6)
    np.testing.assert_array_equal(skeleton(x)._data, q(x)._data)
