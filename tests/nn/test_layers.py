"""Every layer against its functional form, its gradients (input and parameters) by finite
differences in float64, and the errors it raises (naming the layer).  One table row per
layer configuration."""
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad import functional as F
from minigrad import nn


def away_from_zero(rng, shape, low=0.2):
    """Normal draws with |x| ≥ low (no kinks of relu/abs within finite differences)."""
    x = rng.standard_normal(shape)
    return np.where(np.abs(x) < low, np.sign(x + 1e-12) * low, x)


def distinct(rng, shape):
    """All values different (no ties for max pooling)."""
    return rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 1.0


@dataclass
class Layer:
    name: str
    make: Callable                     # () -> Module
    inputs: Callable                   # rng -> list of arrays (float ones get gradients)
    reference: Callable                # (module, *tensors) -> Tensor, via minigrad.functional
    seeded: bool = False               # reseed before each call (dropout masks)
    eval: bool = False                 # run in evaluation mode
    kwargs: dict = field(default_factory=dict)

    def __repr__(self):
        return self.name


def normal(*shape):
    return lambda rng: [rng.standard_normal(shape)]


def bn_reference(m, x):
    return F.batch_norm(x, None, None, m.weight, m.bias, training=True, eps=m.eps)


def class_target(n, k):
    return lambda rng: [rng.standard_normal((n, k)), rng.integers(0, k, n)]


LAYERS = [
    Layer("linear", lambda: nn.Linear(3, 4), normal(2, 5, 3),
          lambda m, x: F.linear(x, m.weight, m.bias)),
    Layer("linear_no_bias", lambda: nn.Linear(3, 2, bias=False), normal(4, 3),
          lambda m, x: F.linear(x, m.weight)),
    Layer("conv2d", lambda: nn.Conv2d(2, 3, 3, stride=2, padding=1), normal(2, 2, 5, 5),
          lambda m, x: F.conv2d(x, m.weight, m.bias, stride=2, padding=1)),
    Layer("conv2d_same_dilated", lambda: nn.Conv2d(2, 2, (1, 3), padding="same", dilation=2,
                                                   bias=False),
          normal(1, 2, 3, 6), lambda m, x: F.conv2d(x, m.weight, None, padding=(0, 2),
                                                    dilation=2)),
    Layer("max_pool2d", lambda: nn.MaxPool2d(2), lambda rng: [distinct(rng, (2, 2, 4, 4))],
          lambda m, x: F.max_pool2d(x, 2)),
    Layer("max_pool2d_overlapping", lambda: nn.MaxPool2d(3, stride=1, padding=1),
          lambda rng: [distinct(rng, (1, 2, 4, 5))],
          lambda m, x: F.max_pool2d(x, 3, 1, 1)),
    Layer("avg_pool2d", lambda: nn.AvgPool2d(2, stride=1, padding=1), normal(1, 2, 3, 4),
          lambda m, x: F.avg_pool2d(x, 2, 1, 1)),
    Layer("flatten", lambda: nn.Flatten(), normal(2, 3, 2, 2), lambda m, x: x.reshape(2, 12)),
    Layer("flatten_range", lambda: nn.Flatten(0, 1), normal(2, 3, 4),
          lambda m, x: x.reshape(6, 4)),
    Layer("identity", lambda: nn.Identity(7, k=1), normal(3, 2), lambda m, x: x),
    Layer("relu", lambda: nn.ReLU(), lambda rng: [away_from_zero(rng, (3, 4))],
          lambda m, x: F.relu(x)),
    Layer("leaky_relu", lambda: nn.LeakyReLU(0.2), lambda rng: [away_from_zero(rng, (3, 4))],
          lambda m, x: F.leaky_relu(x, 0.2)),
    Layer("sigmoid", lambda: nn.Sigmoid(), normal(3, 4), lambda m, x: F.sigmoid(x)),
    Layer("tanh", lambda: nn.Tanh(), normal(3, 4), lambda m, x: F.tanh(x)),
    Layer("gelu", lambda: nn.GELU(), normal(3, 4), lambda m, x: F.gelu(x)),
    Layer("gelu_tanh", lambda: nn.GELU("tanh"), normal(3, 4),
          lambda m, x: F.gelu(x, approximate="tanh")),
    Layer("softmax", lambda: nn.Softmax(dim=1), normal(3, 4), lambda m, x: F.softmax(x, 1)),
    Layer("log_softmax", lambda: nn.LogSoftmax(dim=0), normal(3, 4),
          lambda m, x: F.log_softmax(x, 0)),
    Layer("dropout", lambda: nn.Dropout(0.3), normal(4, 5),
          lambda m, x: F.dropout(x, 0.3), seeded=True),
    Layer("dropout_eval", lambda: nn.Dropout(0.3), normal(4, 5), lambda m, x: x, eval=True),
    Layer("batch_norm1d", lambda: nn.BatchNorm1d(3), normal(4, 3), bn_reference),
    Layer("batch_norm1d_3d", lambda: nn.BatchNorm1d(3, affine=False), normal(2, 3, 4),
          bn_reference),
    Layer("batch_norm2d", lambda: nn.BatchNorm2d(3), normal(2, 3, 2, 3), bn_reference),
    # no process group: SyncBatchNorm is BatchNorm (its collectives: test_sync_batchnorm.py)
    Layer("sync_batch_norm", lambda: nn.SyncBatchNorm(3), normal(2, 3, 2, 3), bn_reference),
    Layer("batch_norm2d_eval", lambda: nn.BatchNorm2d(3), normal(2, 3, 2, 2),
          lambda m, x: F.batch_norm(x, m.running_mean, m.running_var, m.weight, m.bias),
          eval=True),
    Layer("layer_norm", lambda: nn.LayerNorm(4), normal(3, 4),
          lambda m, x: F.layer_norm(x, (4,), m.weight, m.bias)),
    Layer("layer_norm_2d_no_affine", lambda: nn.LayerNorm((2, 3), elementwise_affine=False),
          normal(2, 2, 3), lambda m, x: F.layer_norm(x, (2, 3))),
    Layer("embedding", lambda: nn.Embedding(5, 3, padding_idx=0),   # row 0: no gradient
          lambda rng: [rng.integers(1, 5, (2, 4))],
          lambda m, i: F.embedding(i, m.weight, padding_idx=0)),
    Layer("mse_loss", lambda: nn.MSELoss(), lambda rng: [rng.standard_normal((3, 2))] * 2,
          lambda m, x, t: F.mse_loss(x, t)),
    Layer("l1_loss_sum", lambda: nn.L1Loss(reduction="sum"),
          lambda rng: [away_from_zero(rng, (3, 2)), np.zeros((3, 2))],
          lambda m, x, t: F.l1_loss(x, t, reduction="sum")),
    Layer("cross_entropy", lambda: nn.CrossEntropyLoss(label_smoothing=0.1), class_target(4, 3),
          lambda m, z, t: F.cross_entropy(z, t, label_smoothing=0.1)),
    Layer("cross_entropy_probs", lambda: nn.CrossEntropyLoss(reduction="none"),
          lambda rng: [rng.standard_normal((3, 4)), rng.dirichlet(np.ones(4), 3)],
          lambda m, z, t: F.cross_entropy(z, t, reduction="none")),
    Layer("nll_loss", lambda: nn.NLLLoss(), class_target(4, 3),
          lambda m, z, t: F.nll_loss(z, t)),
    Layer("bce_loss", lambda: nn.BCELoss(),
          lambda rng: [rng.uniform(0.1, 0.9, (3, 2)), rng.uniform(0, 1, (3, 2))],
          lambda m, p, t: F.binary_cross_entropy(p, t)),
    Layer("bce_with_logits", lambda: nn.BCEWithLogitsLoss(reduction="sum"),
          lambda rng: [rng.standard_normal((3, 2)), rng.uniform(0, 1, (3, 2))],
          lambda m, z, t: F.binary_cross_entropy_with_logits(z, t, reduction="sum")),
]


def _build(layer, dtype):
    minigrad.manual_seed(0)
    module = layer.make().to(dtype)
    if layer.eval:
        module.eval()
        if isinstance(module, nn.BatchNorm2d):    # non-trivial running statistics
            rng = np.random.default_rng(1)
            module.load_state_dict({"running_mean": rng.standard_normal(3),
                                    "running_var": rng.uniform(0.5, 2, 3)}, strict=False)
    arrays = layer.inputs(np.random.default_rng(0))
    tensors = [minigrad.tensor(a.astype(dtype) if a.dtype.kind == "f" else a) for a in arrays]
    return module, tensors


def _run(layer, fn, *args):
    if layer.seeded:
        minigrad.manual_seed(123)
    return fn(*args)


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_forward_matches_the_functional_form(layer):
    module, inputs = _build(layer, np.float32)
    y = _run(layer, module, *inputs)
    want = _run(layer, layer.reference, module, *inputs)
    assert y.dtype == want.dtype and y.shape == want.shape
    np.testing.assert_allclose(y.numpy(), want.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("layer", LAYERS, ids=repr)
def test_gradients_of_input_and_parameters(layer):
    module, inputs = _build(layer, np.float64)
    first = inputs[0]
    if first.dtype.kind == "f":
        first.requires_grad = True
    params = list(module.parameters())
    assert all(p.dtype == np.float64 for p in params)
    n = len(inputs)
    assert minigrad.gradcheck(lambda *args: _run(layer, module, *args[:n]),
                              inputs + params)


@pytest.mark.parametrize("module, x, kind, message", [
    (nn.Linear(3, 4), minigrad.zeros(2, 5), ValueError,
     r"^Linear\(in_features=3, out_features=4, bias=True\): .*\(2, 5\)"),
    (nn.Conv2d(2, 3, 3), minigrad.zeros(1, 3, 5, 5), ValueError,
     r"^Conv2d\(2, 3, kernel_size=\(3, 3\), stride=\(1, 1\)\): .*3 channels"),
    (nn.Conv2d(2, 3, 3), minigrad.zeros(2, 5, 5), ValueError,
     r"^Conv2d\(2, 3.*\(N, C, H, W\), got \(2, 5, 5\)"),
    (nn.MaxPool2d(2), minigrad.zeros(2, 2), ValueError, r"^MaxPool2d\(kernel_size=2, .*\(2, 2\)"),
    (nn.AvgPool2d(3), minigrad.zeros(1, 1, 2, 2), ValueError, r"^AvgPool2d\(.*smaller than"),
    (nn.BatchNorm1d(3), minigrad.zeros(2, 3, 4, 4), ValueError,
     r"^BatchNorm1d\(3, .*\(N, C\) or \(N, C, L\).*got 4-d input of shape \(2, 3, 4, 4\)"),
    (nn.BatchNorm2d(3), minigrad.zeros(2, 3, 4), ValueError, r"^BatchNorm2d\(3, .*got 3-d"),
    (nn.BatchNorm2d(3), minigrad.zeros(2, 4, 2, 2), ValueError,
     r"^BatchNorm2d\(3, .*expected 3 channels \(axis 1\), got .*\(2, 4, 2, 2\)"),
    (nn.BatchNorm1d(3), minigrad.zeros(1, 3), ValueError, r"^BatchNorm1d.*more than 1 value"),
    (nn.BatchNorm1d(3), np.zeros((2, 3)), TypeError, r"^BatchNorm1d\(3.*got ndarray"),
    (nn.LayerNorm(4), minigrad.zeros(2, 5), ValueError, r"^LayerNorm\(\(4,\), .*\(2, 5\)"),
    (nn.Embedding(5, 3), minigrad.tensor([5]), IndexError, r"^Embedding\(5, 3\): .*index 5"),
    (nn.Embedding(5, 3), minigrad.zeros(2), TypeError, r"^Embedding\(5, 3\): .*integers"),
    (nn.Softmax(dim=2), minigrad.zeros(2, 3), ValueError, r"^Softmax\(dim=2\): .*out of range"),
    (nn.Flatten(2, 1), minigrad.zeros(2, 3, 4), ValueError, r"^Flatten\(start_dim=2, .*after"),
    (nn.Dropout(0.5), np.zeros(3), TypeError, r"^Dropout\(p=0.5, inplace=False\): "),
    (nn.ReLU(), [1.0], TypeError, r"^ReLU\(\): "),
])
def test_bad_inputs_raise_errors_naming_the_layer(module, x, kind, message):
    with pytest.raises(kind, match=message):
        module(x)


@pytest.mark.parametrize("loss, args, kind, message", [
    (nn.CrossEntropyLoss(), (minigrad.zeros(2, 3), minigrad.tensor([0, 3])), ValueError,
     r"^CrossEntropyLoss\(\): .*class 3 is out of range"),
    (nn.MSELoss(), (minigrad.zeros(2, 3), minigrad.zeros(3)), ValueError,
     r"^MSELoss\(\): .*same shape"),
    (nn.BCELoss(), (minigrad.full((2,), 2.0), minigrad.zeros(2)), ValueError,
     r"^BCELoss\(\): .*probabilities"),
])
def test_loss_errors_name_the_loss(loss, args, kind, message):
    with pytest.raises(kind, match=message):
        loss(*args)


@pytest.mark.parametrize("make, kind, message", [
    (lambda: nn.Conv2d(1, 1, 3, stride=2, padding="same"), ValueError, "strided"),
    (lambda: nn.Conv2d(1, 1, 2, padding="same"), ValueError, "uneven padding"),
    (lambda: nn.Conv2d(1, 1, 3, padding="full"), ValueError, "'same' or 'valid'"),
    (lambda: nn.Conv2d(1, 1, (1, 2, 3)), ValueError, "kernel_size must be an int or a pair"),
    (lambda: nn.Conv2d(2, 2, 3, groups=2), NotImplementedError, "groups=2"),
    (lambda: nn.MaxPool2d(2, ceil_mode=True), NotImplementedError, "ceil_mode=True"),
    (lambda: nn.AvgPool2d(2, count_include_pad=False), NotImplementedError,
     "count_include_pad"),
    (lambda: nn.Dropout(1.5), ValueError, "between 0 and 1"),
    (lambda: nn.GELU("fast"), ValueError, "approximate"),
    (lambda: nn.Embedding(3, 2, padding_idx=3), ValueError, "padding_idx"),
    (lambda: nn.Embedding(3, 2, max_norm=1.0), NotImplementedError, "max_norm"),
    (lambda: nn.MSELoss(reduction="avg"), ValueError, "reduction must be one of"),
    (lambda: nn.CrossEntropyLoss(weight=minigrad.ones(3)), NotImplementedError, "weight="),
    (lambda: nn.CrossEntropyLoss(label_smoothing=2.0), ValueError, "label_smoothing"),
    (lambda: nn.BCEWithLogitsLoss(pos_weight=minigrad.ones(1)), NotImplementedError,
     "pos_weight"),
])
def test_bad_options_are_refused_at_construction(make, kind, message):
    with pytest.raises(kind, match=message):
        make()


def test_layer_reprs_follow_pytorch():
    assert [repr(m) for m in (
        nn.Linear(784, 10), nn.Conv2d(1, 2, 3, padding="same"),
        nn.Conv2d(2, 3, (3, 5), stride=2, dilation=2, bias=False),
        nn.MaxPool2d(2), nn.AvgPool2d(3, 1, 1), nn.ReLU(), nn.ReLU(inplace=True),
        nn.LeakyReLU(0.2), nn.GELU(), nn.Softmax(dim=1), nn.Dropout(0.2),
        nn.BatchNorm1d(3, momentum=None, affine=False), nn.LayerNorm(5),
        nn.Embedding(10, 3, padding_idx=-1), nn.CrossEntropyLoss(), nn.Identity())] == [
        "Linear(in_features=784, out_features=10, bias=True)",
        "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1), padding=same)",
        "Conv2d(2, 3, kernel_size=(3, 5), stride=(2, 2), dilation=(2, 2), bias=False)",
        "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)",
        "AvgPool2d(kernel_size=3, stride=1, padding=1)", "ReLU()", "ReLU(inplace=True)",
        "LeakyReLU(negative_slope=0.2)", "GELU(approximate='none')", "Softmax(dim=1)",
        "Dropout(p=0.2, inplace=False)",
        "BatchNorm1d(3, eps=1e-05, momentum=None, affine=False, bias=False, "
        "track_running_stats=True)",
        "LayerNorm((5,), eps=1e-05, elementwise_affine=True, bias=True)",
        "Embedding(10, 3, padding_idx=9)", "CrossEntropyLoss()", "Identity()"]


def test_softmax_without_dim_uses_pytorchs_legacy_choice_with_a_warning():
    x = minigrad.randn(2, 3)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        y = nn.Softmax()(x)
    np.testing.assert_allclose(y.numpy(), F.softmax(x, 1).numpy())


@given(batch=st.lists(st.integers(1, 3), min_size=1, max_size=3), d=st.integers(1, 5),
       k=st.integers(1, 4), bias=st.booleans())
def test_linear_on_any_batch_shape(batch, d, k, bias):
    layer = nn.Linear(d, k, bias=bias).double()
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((*batch, d)),
                        requires_grad=True)
    y = layer(x)
    assert y.shape == (*batch, k)
    want = x.numpy() @ layer.weight.numpy().T + (layer.bias.numpy() if bias else 0)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-12)
    assert minigrad.gradcheck(lambda t, *params: layer(t), [x, *layer.parameters()],
                              mode="direction", n_directions=2)


@st.composite
def conv_geometry(draw):
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 1)), draw(st.integers(0, 1)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    hw = tuple(draw(st.integers(max(1, d * (kk - 1) + 1 - 2 * p), d * (kk - 1) + 4))
               for kk, p, d in zip(k, padding, dilation))
    return k, stride, padding, dilation, hw


@given(geometry=conv_geometry(), c=st.integers(1, 3), o=st.integers(1, 3))
def test_conv2d_output_shape_and_gradients(geometry, c, o):
    k, stride, padding, dilation, (h, w) = geometry
    layer = nn.Conv2d(c, o, k, stride, padding, dilation).double()
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((2, c, h, w)),
                        requires_grad=True)
    y = layer(x)
    oh, ow = ((size + 2 * p - d * (kk - 1) - 1) // s + 1
              for size, p, d, kk, s in zip((h, w), padding, dilation, k, stride))
    assert y.shape == (2, o, oh, ow)
    want = F.conv2d(x, layer.weight, layer.bias, stride, padding, dilation)
    np.testing.assert_array_equal(y.numpy(), want.numpy())
    assert minigrad.gradcheck(lambda t, *params: layer(t), [x, *layer.parameters()],
                              mode="direction", n_directions=2)


def test_a_failed_dropout_draws_no_mask():
    state = minigrad.random.get_state()
    with pytest.raises(TypeError, match="Dropout"):
        nn.Dropout(0.5)(np.ones(3))
    assert minigrad.random.get_state() == state
