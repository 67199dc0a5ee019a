"""minigrad.quantization: the arithmetic (round trip within half a step), quantised Linear and
Conv2d against the float layers within the documented bound, the static and dynamic flows,
saving at a quarter of the size with bit-identical outputs, PyTorch's quantize_dynamic on the
same weights (skipped without PyTorch), and the errors."""
import copy
import io
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import minigrad
import minigrad.functional as F
from minigrad import nn
from minigrad import quantization as Q

RNG = np.random.default_rng


def _mlp(seed=0):
    minigrad.manual_seed(seed)
    return nn.Sequential(nn.Linear(32, 64), nn.ReLU(), nn.Linear(64, 10))


def _cnn(seed=0):
    minigrad.manual_seed(seed)
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 4, 3, stride=2),
                         nn.Flatten(), nn.Linear(4 * 3 * 3, 5))


def _linear_bound(q, x, s_x):
    """(s_w/2)·Σ|x| + (s_x/2)·Σ|ŵ| per output, plus float32 slack."""
    s_w = q.weight_scale._data
    w_hat = q.dequantized_weight()
    b = np.abs(x).sum(-1, keepdims=True) * s_w / 2 + s_x / 2 * np.abs(w_hat).sum(1)
    return b * (1 + 1e-4) + 1e-5


# -- arithmetic --------------------------------------------------------------------------------

@settings(max_examples=50, deadline=None)
@given(lo=st.floats(-100, 0), width=st.floats(1e-3, 200), seed=st.integers(0, 2**16))
def test_round_trip_within_half_a_step(lo, width, seed):
    hi = lo + width
    x = RNG(seed).uniform(lo, hi, 200).astype(np.float32)
    scale, zp = Q.affine_qparams(lo, hi)
    x_hat = Q.dequantize(Q.quantize_per_tensor(x, scale, zp), scale, zp)
    assert np.abs(x_hat - x).max() <= scale / 2 * (1 + 1e-4) + 1e-6 * np.abs(x).max()
    assert Q.dequantize(Q.quantize_per_tensor(np.zeros(1), scale, zp), scale, zp)[0] == 0


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**16), spread=st.floats(1e-3, 1e3))
def test_weight_round_trip_within_half_a_step_per_channel(seed, spread):
    w = (RNG(seed).standard_normal((7, 5)) * spread).astype(np.float32)
    w[3] = 0                                                  # an all-zero channel
    q, s = Q.quantize_weight(w)
    assert q.dtype == np.int8 and s.dtype == np.float32 and s.shape == (7,)
    assert np.abs(q).max() <= 127
    err = np.abs(Q.dequantize(q, s, axis=0) - w)
    assert (err <= s[:, None] / 2 * (1 + 1e-4)).all()
    assert (q[3] == 0).all()


def test_histogram_observer_ignores_rare_outliers():
    x = RNG(0).standard_normal(100_000).astype(np.float32)
    x[0] = 1000.0
    mm, hist = Q.MinMaxObserver(), Q.HistogramObserver(percentile=99.9)
    for part in np.split(x, 4):
        mm.observe(part)
        hist.observe(part)
    assert mm.range()[1] == 1000.0
    lo, hi = hist.range()
    assert 2.5 < hi < 5 and -5 < lo < -2.5
    assert hist.calculate_qparams()[0] < mm.calculate_qparams()[0] / 50


# -- layers against the float model ------------------------------------------------------------

def test_dynamic_linear_within_the_bound():
    model = _mlp()
    q = Q.quantize_dynamic(model, {nn.Linear})
    assert isinstance(q[0], Q.DynamicQuantizedLinear) and isinstance(model[0], nn.Linear)
    x = RNG(1).standard_normal((16, 32)).astype(np.float32)
    y = q[0](minigrad.tensor(x))._data
    y_float = model[0](minigrad.tensor(x))._data
    s_x, _ = Q.affine_qparams(x.min(), x.max())
    assert (np.abs(y - y_float) <= _linear_bound(q[0], x, s_x)).all()
    # the whole model stays close: relative error of the logits
    err = np.abs(q(minigrad.tensor(x))._data - model(minigrad.tensor(x))._data).max()
    assert err < 0.02 * np.abs(model(minigrad.tensor(x))._data).max()


@pytest.mark.parametrize("observer", ["minmax", "histogram"])
def test_static_linear_within_the_bound(observer):
    model = _mlp(2)
    x = RNG(3).standard_normal((64, 32)).astype(np.float32)
    prepared = Q.prepare(model, observer)
    for batch in np.split(x, 4):
        prepared(minigrad.tensor(batch))
    q = Q.convert(prepared)
    assert isinstance(q[0], Q.QuantizedLinear) and q[0].relu and isinstance(q[1], nn.Identity)
    y = q[0](minigrad.tensor(x))._data
    y_float = np.maximum(model[0](minigrad.tensor(x))._data, 0)
    s_x = q[0].input_scale
    if observer == "minmax":        # every input inside the calibrated range
        assert (np.abs(y - y_float) <= _linear_bound(q[0], x, s_x)).all()
    rel = np.abs(q(minigrad.tensor(x))._data - model(minigrad.tensor(x))._data).max()
    assert rel < 0.03 * np.abs(model(minigrad.tensor(x))._data).max()


def test_static_conv2d_within_the_bound():
    model = _cnn()
    x = RNG(4).standard_normal((6, 3, 8, 8)).astype(np.float32)
    prepared = Q.prepare(model)
    prepared(minigrad.tensor(x))
    q = Q.convert(prepared)
    assert isinstance(q[0], Q.QuantizedConv2d) and q[0].relu
    assert isinstance(q[2], Q.QuantizedConv2d) and not q[2].relu
    conv = model[0]
    y = q[0](minigrad.tensor(x))._data
    y_float = np.maximum(conv(minigrad.tensor(x))._data, 0)
    s_w = q[0].weight_scale._data
    s_x = q[0].input_scale
    sum_abs_x = F.conv2d(minigrad.tensor(np.abs(x)), minigrad.ones(1, 3, 3, 3),
                         padding=1)._data                           # Σ|x| in each window
    bound = (sum_abs_x * s_w[None, :, None, None] / 2
             + s_x / 2 * np.abs(q[0].dequantized_weight()).sum((1, 2, 3))[None, :, None, None])
    assert (np.abs(y - y_float) <= bound * (1 + 1e-4) + 1e-5).all()
    out, ref = q(minigrad.tensor(x))._data, model(minigrad.tensor(x))._data
    assert np.abs(out - ref).max() < 0.03 * np.abs(ref).max()


def test_fusion_changes_nothing_but_the_number_of_passes():
    model = _cnn(5)
    x = minigrad.tensor(RNG(5).standard_normal((2, 3, 8, 8)).astype(np.float32))
    fused, apart = Q.prepare(model), Q.prepare(model, fuse=False)
    fused(x)
    apart(x)
    fused, apart = Q.convert(fused), Q.convert(apart)
    assert isinstance(apart[1], nn.ReLU) and not apart[0].relu
    np.testing.assert_array_equal(fused(x)._data, apart(x)._data)
    explicit = Q.fuse_modules(model, [["0", "1"]])
    assert isinstance(explicit[0], Q.ConvReLU2d) and isinstance(explicit[1], nn.Identity)
    np.testing.assert_array_equal(explicit(x)._data, model(x)._data)


def test_a_pruned_model_quantises():
    from minigrad.nn.utils import prune
    model = _mlp(6)
    prune.l1_unstructured(model[0], "weight", 0.8)
    q = Q.quantize_dynamic(model)
    pruned = model[0].weight_mask._data == 0
    assert pruned.sum() == 1638 and (q[0].weight._data[pruned] == 0).all()
    assert prune.is_pruned(model) and not prune.is_pruned(q)


# -- saving ------------------------------------------------------------------------------------

def _size(obj):
    f = io.BytesIO()
    minigrad.save(obj, f)
    return len(f.getvalue()), f


def test_dynamic_model_saves_4x_smaller_and_loads_bit_identical():
    model = nn.Sequential(nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    q = Q.quantize_dynamic(model)
    float_bytes, _ = _size(model.state_dict())
    q_bytes, f = _size(q.state_dict())
    assert float_bytes / q_bytes > 3.5
    f.seek(0)
    sd = minigrad.load(f)
    assert sd["0.weight"].dtype == np.int8 and sd["0.weight_scale"].dtype == np.float32
    skeleton = Q.quantize_dynamic(nn.Sequential(nn.Linear(256, 256), nn.ReLU(),
                                                nn.Linear(256, 10)))
    skeleton.load_state_dict(sd)
    x = minigrad.randn(5, 256)
    np.testing.assert_array_equal(skeleton(x)._data, q(x)._data)


def test_static_model_loads_bit_identical(tmp_path):
    model = _cnn(7)
    p = Q.prepare(model)
    p(minigrad.randn(4, 3, 8, 8))
    q = Q.convert(p)
    minigrad.save(q.state_dict(), tmp_path / "q.pt")
    skeleton = Q.convert(Q.prepare(_cnn(8)), strict=False)
    skeleton.load_state_dict(minigrad.load(tmp_path / "q.pt"))
    x = minigrad.randn(3, 3, 8, 8)
    np.testing.assert_array_equal(skeleton(x)._data, q(x)._data)


# -- PyTorch -----------------------------------------------------------------------------------

def test_dynamic_linear_against_pytorch_quantize_dynamic():
    """Not bit-exact: PyTorch's x86 engine quantises activations to 7 bits (reduce_range)
    and its per-channel weight scale is max|w|/127.5, ours max|w|/127.  Each is within its
    own error bound of the float layer, so they differ by at most the sum of the bounds; and
    ours, with 8-bit activations, is the closer to the float layer."""
    torch = pytest.importorskip("torch", reason="PyTorch (the oracle) is not installed")
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic
    rng = RNG(0)
    w = rng.standard_normal((16, 64)).astype(np.float32)
    b = rng.standard_normal(16).astype(np.float32)
    x = rng.standard_normal((32, 64)).astype(np.float32)
    t = torch.nn.Sequential(torch.nn.Linear(64, 16))
    t.load_state_dict({"0.weight": torch.from_numpy(w), "0.bias": torch.from_numpy(b)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tq = quantize_dynamic(t, {torch.nn.Linear: per_channel_dynamic_qconfig})
        y_torch = tq(torch.from_numpy(x)).detach().numpy()
    m = nn.Sequential(nn.Linear(64, 16))
    m.load_state_dict({"0.weight": w, "0.bias": b})
    q = Q.quantize_dynamic(m)
    y = q(minigrad.tensor(x))._data
    y_float = x @ w.T + b
    s_x, _ = Q.affine_qparams(x.min(), x.max())
    ours = _linear_bound(q[0], x, s_x)
    torch_s_x = (max(x.max(), 0) - min(x.min(), 0)) / 127           # 7-bit activations
    torch_w_hat = tq[0].weight().dequantize().numpy()
    torch_s_w = tq[0].weight().q_per_channel_scales().numpy()
    theirs = (np.abs(x).sum(-1, keepdims=True) * torch_s_w / 2
              + torch_s_x / 2 * np.abs(torch_w_hat).sum(1)) * (1 + 1e-4) + 1e-5
    assert (np.abs(y_torch - y_float) <= theirs).all()
    assert (np.abs(y - y_float) <= ours).all()
    assert (np.abs(y - y_torch) <= ours + theirs).all()
    assert np.sqrt(np.mean((y - y_float) ** 2)) < np.sqrt(np.mean((y_torch - y_float) ** 2))


# -- errors ------------------------------------------------------------------------------------

def test_convert_of_an_uncalibrated_model_names_the_layer():
    p = Q.prepare(_mlp())
    with pytest.raises(RuntimeError, match=r"convert: 0 Linear\(in_features=32.*no calibration"):
        Q.convert(p)
    with pytest.raises(RuntimeError, match="was not prepared"):
        Q.convert(_mlp())


def test_unsupported_layers():
    with pytest.raises(TypeError, match="quantize_dynamic: Conv2d layers cannot be"):
        Q.quantize_dynamic(_cnn(), {nn.Conv2d})
    with pytest.raises(ValueError, match="has no Linear or Conv2d layer"):
        Q.prepare(nn.Sequential(nn.ReLU()))
    with pytest.raises(TypeError, match=r"fuse_modules: supported pairs.*0 Linear"):
        Q.fuse_modules(_mlp(), [["0", "2"]])


def test_nan_weights_name_the_layer():
    model = _mlp()
    with minigrad.no_grad():
        model[2].weight._data[1, 1] = np.nan
    before = copy.deepcopy(model.state_dict())
    with pytest.raises(ValueError, match=r"quantize_dynamic: 2 Linear\(in_features=64.*NaN"):
        Q.quantize_dynamic(model)
    assert all(np.array_equal(before[k]._data, v._data, equal_nan=True)
               for k, v in model.state_dict().items())


def test_int8_state_dict_into_a_float_model():
    sd = Q.quantize_dynamic(_mlp()).state_dict()
    with pytest.raises(RuntimeError, match="0.weight_scale"):
        _mlp().load_state_dict(sd)
