"""nn.init and the layers' default initialisation: PyTorch's formulas, statistics,
reproducibility through minigrad.manual_seed."""
import math

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.nn import init


@pytest.fixture(autouse=True)
def seeded():
    """The statistical checks below hold with overwhelming probability; a seed makes them
    deterministic."""
    minigrad.manual_seed(0)


@pytest.mark.parametrize("name, param, gain", [
    ("linear", None, 1), ("conv2d", None, 1), ("sigmoid", None, 1), ("tanh", None, 5 / 3),
    ("relu", None, math.sqrt(2)), ("leaky_relu", None, math.sqrt(2 / (1 + 0.01 ** 2))),
    ("leaky_relu", math.sqrt(5), math.sqrt(1 / 3)), ("selu", None, 0.75)])
def test_calculate_gain(name, param, gain):
    assert init.calculate_gain(name, param) == pytest.approx(gain)


def test_gain_and_fan_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")
    assert init._calculate_fan_in_and_fan_out(minigrad.zeros(8, 3, 5, 2)) == (30, 80)
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(minigrad.zeros(3))
    with pytest.raises(ValueError, match="fan_in, fan_out"):
        init.kaiming_normal_(minigrad.zeros(3, 3), mode="fan_avg")


def test_init_is_in_place_returns_the_tensor_and_works_on_parameters():
    p = nn.Parameter(minigrad.zeros(200, 300))
    data = p._data
    for fn in (init.uniform_, init.normal_, init.xavier_uniform_, init.kaiming_normal_,
               init.zeros_, init.ones_, init.eye_, lambda t: init.constant_(t, 0.5)):
        assert fn(p) is p and p._data is data and p.grad_fn is None
    assert (p.numpy() == 0.5).all() and p.requires_grad
    init.eye_(p)
    np.testing.assert_array_equal(p.numpy(), np.eye(200, 300))
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(minigrad.zeros(0, 3))


@pytest.mark.parametrize("fill, std", [
    (lambda t: init.normal_(t, 2.0, 0.5), 0.5),
    (lambda t: init.xavier_normal_(t, gain=2.0), 2.0 * math.sqrt(2 / (400 + 300))),
    (lambda t: init.kaiming_normal_(t, nonlinearity="relu"), math.sqrt(2 / 300)),
    (lambda t: init.kaiming_normal_(t, mode="fan_out", nonlinearity="tanh"), 5 / 3 / 20),
])
def test_normal_initialisers_have_the_right_spread(fill, std):
    t = fill(minigrad.zeros(400, 300))
    values = t.numpy()
    mean = 2.0 if std == 0.5 else 0.0
    assert abs(values.mean() - mean) < 4 * std / math.sqrt(values.size)
    assert values.std() == pytest.approx(std, rel=0.02)


@pytest.mark.parametrize("fill, bound", [
    (lambda t: init.uniform_(t, -0.3, 0.3), 0.3),
    (lambda t: init.xavier_uniform_(t), math.sqrt(6 / (400 + 300))),
    (lambda t: init.kaiming_uniform_(t, a=math.sqrt(5)), 1 / math.sqrt(300)),
    (lambda t: init.kaiming_uniform_(t, nonlinearity="relu"), math.sqrt(6 / 300)),
])
def test_uniform_initialisers_fill_their_interval(fill, bound):
    values = fill(minigrad.zeros(400, 300)).numpy()
    assert values.min() >= -bound and values.max() <= bound
    assert values.min() < -0.99 * bound and values.max() > 0.99 * bound
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)


@pytest.mark.parametrize("make, fan_in", [
    (lambda: nn.Linear(500, 400), 500),
    (lambda: nn.Conv2d(16, 300, (5, 3)), 16 * 5 * 3),
])
def test_linear_and_conv_default_init_is_pytorchs(make, fan_in):
    layer = make()
    bound = 1 / math.sqrt(fan_in)
    for p in (layer.weight, layer.bias):
        values = p.numpy()
        assert p.dtype == np.float32
        assert values.min() >= -bound and values.max() <= bound
    w = layer.weight.numpy()
    assert abs(w.mean()) < 4 * bound / math.sqrt(3 * w.size)
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.02)
    assert layer.bias.numpy().max() > 0.8 * bound


def test_other_layers_default_init():
    emb = nn.Embedding(1000, 64, padding_idx=2).weight.numpy()
    assert abs(emb.mean()) < 0.01 and emb.std() == pytest.approx(1, rel=0.02)
    assert not emb[2].any()
    bn = nn.BatchNorm2d(3)
    assert bn.weight.numpy().tolist() == [1, 1, 1] and bn.bias.numpy().tolist() == [0, 0, 0]
    assert bn.running_var.numpy().tolist() == [1, 1, 1]
    ln = nn.LayerNorm(4)
    assert ln.weight.numpy().tolist() == [1] * 4 and ln.bias.numpy().tolist() == [0] * 4


def test_initialisation_is_reproducible_with_manual_seed():
    def build():
        return nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 3),
                             nn.Embedding(4, 2))

    minigrad.manual_seed(42)
    a = build().state_dict()
    minigrad.manual_seed(42)
    b = build().state_dict()
    c = build().state_dict()
    assert all(np.array_equal(a[k].numpy(), b[k].numpy()) for k in a)
    assert not np.array_equal(a["0.weight"].numpy(), c["0.weight"].numpy())


def test_layers_take_dtype():
    layer = nn.Linear(3, 2, dtype=minigrad.float64)
    assert layer.weight.dtype == np.float64 and layer.bias.dtype == np.float64
    bn = nn.BatchNorm1d(2, dtype="float64")
    assert bn.running_mean.dtype == np.float64 and bn.num_batches_tracked.dtype == np.int64
