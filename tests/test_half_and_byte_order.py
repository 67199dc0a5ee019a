"""float16 through every layer (the compiled kernels compute in float32 and return float16),
and big-endian arrays normalised to the machine's byte order (issue 15)."""
import numpy as np
import pytest

import minigrad
from minigrad import functional as F
from minigrad import nn

LAYERS = {
    "Conv2d": lambda: nn.Conv2d(2, 3, 3, padding=1),
    "Conv2d_stride2": lambda: nn.Conv2d(2, 3, 3, stride=2),
    "MaxPool2d": lambda: nn.MaxPool2d(2),
    "MaxPool2d_3x3": lambda: nn.MaxPool2d(3, stride=1, padding=1),
    "AvgPool2d": lambda: nn.AvgPool2d(2),
    "BatchNorm2d": lambda: nn.BatchNorm2d(2),
}


@pytest.mark.parametrize("name", LAYERS)
def test_float16_layers_match_float32_and_keep_float16(name):
    x64 = np.random.default_rng(0).standard_normal((2, 2, 6, 6))
    minigrad.manual_seed(0)
    half = LAYERS[name]().to("float16")
    minigrad.manual_seed(0)
    single = LAYERS[name]()
    with minigrad.no_grad():          # the same (float16-rounded) weights in both
        for p, q in zip(half.parameters(), single.parameters()):
            q.copy_(p._data.astype(np.float32))
    x = minigrad.tensor(x64.astype(np.float16), requires_grad=True)
    xs = minigrad.tensor(x64.astype(np.float16).astype(np.float32), requires_grad=True)
    y, ys = half(x), single(xs)
    (y * y).sum().backward()
    (ys * ys).sum().backward()
    assert y.dtype == np.float16 and x.grad.dtype == np.float16
    # float16 keeps 11 significant bits: a relative error of a few 2⁻¹¹
    np.testing.assert_allclose(y.numpy().astype(np.float32), ys.numpy(), rtol=4e-3, atol=4e-3)
    np.testing.assert_allclose(x.grad.numpy().astype(np.float32), xs.grad.numpy(),
                               rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("is_causal", [False, True])
def test_float16_attention_matches_float32(is_causal):
    rng = np.random.default_rng(1)
    q, k, v = (rng.standard_normal((2, 5, 8)).astype(np.float16) for _ in range(3))
    half = [minigrad.tensor(a, requires_grad=True) for a in (q, k, v)]
    single = [minigrad.tensor(a.astype(np.float32), requires_grad=True) for a in (q, k, v)]
    y = F.scaled_dot_product_attention(*half, is_causal=is_causal)
    ys = F.scaled_dot_product_attention(*single, is_causal=is_causal)
    y.sum().backward()
    ys.sum().backward()
    assert y.dtype == np.float16
    np.testing.assert_allclose(y.numpy().astype(np.float32), ys.numpy(), atol=5e-3)
    for a, b in zip(half, single):
        assert a.grad.dtype == np.float16
        np.testing.assert_allclose(a.grad.numpy().astype(np.float32), b.grad.numpy(),
                                   atol=2e-2)


@pytest.mark.parametrize("dtype", [">f4", ">f8", ">i8", "<f4"])
def test_big_endian_arrays_become_native_tensors(dtype):
    a = np.arange(6).reshape(2, 3).astype(dtype)
    t = minigrad.tensor(a)
    assert t.dtype.isnative and t.dtype == np.dtype(dtype).newbyteorder("=")
    np.testing.assert_array_equal(t.numpy(), a)


def test_a_big_endian_batch_goes_through_a_float32_layer():
    minigrad.manual_seed(0)
    layer = nn.Linear(3, 2)
    a = np.random.default_rng(0).standard_normal((4, 3))
    y_be = layer(minigrad.tensor(a.astype(">f4")))
    y = layer(minigrad.tensor(a.astype(np.float32)))
    np.testing.assert_array_equal(y_be.numpy(), y.numpy())


def test_a_big_endian_dtype_argument_means_the_native_one():
    assert minigrad.zeros(2, dtype=">f8").dtype == np.float64
    minigrad.manual_seed(0)
    assert nn.Linear(2, 2).to(">f4").weight.dtype == np.float32
