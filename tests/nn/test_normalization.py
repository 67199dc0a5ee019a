"""BatchNorm's modes and running statistics; LayerNorm's options."""
import numpy as np
import pytest

import minigrad
from minigrad import nn


def _x(*shape, seed=0):
    return minigrad.tensor(np.random.default_rng(seed).standard_normal(shape) * 2 + 1)


def test_batch_norm_training_updates_running_stats_like_pytorch():
    bn = nn.BatchNorm2d(3, momentum=0.2).double()
    x = _x(4, 3, 2, 2)
    y = bn(x).numpy()
    data = x.numpy()
    mean, var = data.mean(axis=(0, 2, 3)), data.var(axis=(0, 2, 3))
    m = 4 * 2 * 2
    np.testing.assert_allclose(bn.running_mean.numpy(), 0.2 * mean)
    np.testing.assert_allclose(bn.running_var.numpy(), 0.8 + 0.2 * var * m / (m - 1))
    assert bn.num_batches_tracked.item() == 1 and bn.num_batches_tracked.dtype == np.int64
    want = (data - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(y, want, atol=1e-12)


def test_batch_norm_eval_uses_running_stats_and_changes_nothing():
    bn = nn.BatchNorm1d(3).double()
    for seed in range(3):
        bn(_x(8, 3, seed=seed))
    state = {k: v.numpy().copy() for k, v in bn.state_dict().items()}
    bn.eval()
    x = _x(5, 3, seed=9)
    want = (x.numpy() - state["running_mean"]) / np.sqrt(state["running_var"] + 1e-5)
    np.testing.assert_allclose(bn(x).numpy(), want, atol=1e-12)
    assert all(np.array_equal(v.numpy(), state[k]) for k, v in bn.state_dict().items())
    assert bn(minigrad.zeros(1, 3, dtype="float64")).shape == (1, 3)   # one sample is fine


def test_batch_norm_cumulative_average_when_momentum_is_none():
    bn = nn.BatchNorm1d(2, momentum=None).double()
    batches = [_x(6, 2, seed=s) for s in range(3)]
    for b in batches:
        bn(b)
    np.testing.assert_allclose(bn.running_mean.numpy(),
                               np.mean([b.numpy().mean(axis=0) for b in batches], axis=0))
    assert bn.num_batches_tracked.item() == 3


def test_batch_norm_without_running_stats_always_uses_the_batch():
    bn = nn.BatchNorm1d(2, track_running_stats=False)
    assert bn.running_mean is None and list(bn.state_dict()) == ["weight", "bias"]
    x = _x(5, 2).float()
    train = bn(x).numpy()
    np.testing.assert_allclose(bn.eval()(x).numpy(), train)


@pytest.mark.parametrize("make, x, error", [
    (lambda: nn.BatchNorm1d(3), minigrad.zeros(2, 4), ValueError),       # the layer's check
    (lambda: nn.BatchNorm1d(3), minigrad.zeros(1, 3), ValueError),       # the op's check
    (lambda: nn.BatchNorm1d(3, momentum=None), minigrad.zeros(1, 3), ValueError),
    (lambda: nn.BatchNorm1d(3), minigrad.zeros(4, 3, dtype=minigrad.float64), TypeError),
    (lambda: nn.BatchNorm2d(2), minigrad.zeros(1, 2, 1, 1), ValueError),
    (lambda: nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(3)), minigrad.zeros(5, 3),
     ValueError),
])
def test_a_failed_forward_writes_no_state(make, x, error):
    """No undo log: a layer that updates state in forward (BatchNorm: running statistics,
    counter) checks and computes first and writes last, so a failed call writes nothing —
    the version counters show that nothing was written and put back."""
    model = make()
    before = {k: (b.numpy().copy(), b._version) for k, b in model.named_buffers()}
    with pytest.raises(error):
        model(x)
    after = {k: (b.numpy(), b._version) for k, b in model.named_buffers()}
    for k, (value, version) in before.items():
        np.testing.assert_array_equal(after[k][0], value)
        assert after[k][1] == version, k


def test_batch_norm_options_and_reset():
    bn = nn.BatchNorm2d(2, affine=True, bias=False)
    assert [n for n, _ in bn.named_parameters()] == ["weight"]
    bn(_x(2, 2, 2, 2).float())
    bn.reset_running_stats()
    assert bn.running_mean.numpy().tolist() == [0, 0] and bn.num_batches_tracked.item() == 0


def test_layer_norm_normalises_each_sample_over_the_trailing_axes():
    ln = nn.LayerNorm((2, 3), eps=0.0).double()
    x = _x(4, 2, 3)
    y = ln(x).numpy()
    np.testing.assert_allclose(y.mean(axis=(1, 2)), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(axis=(1, 2)), 1, atol=1e-12)
    no_bias = nn.LayerNorm(3, bias=False)
    assert [n for n, _ in no_bias.named_parameters()] == ["weight"]
    assert no_bias(_x(2, 3).float()).shape == (2, 3)
