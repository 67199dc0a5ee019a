"""Sequential and ModuleList: indexing, editing, nested names (PyTorch's keys)."""
import collections

import numpy as np
import pytest

import minigrad
from minigrad import nn

# The keys torch.nn gives this CNN (checked against PyTorch in test_torch_compat.py).
SMALL_CNN_KEYS = [
    "0.weight", "0.bias",
    "1.weight", "1.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked",
    "4.weight", "4.bias",
    "5.weight", "5.bias", "5.running_mean", "5.running_var", "5.num_batches_tracked",
    "9.weight", "9.bias",
]


def small_cnn():
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(4, 8, 3, padding="same"), nn.BatchNorm2d(8), nn.ReLU(), nn.AvgPool2d(2),
        nn.Flatten(), nn.Linear(8 * 2 * 2, 10), nn.Dropout(0.1))


def test_small_cnn_state_dict_keys_are_pytorchs():
    model = small_cnn()
    sd = model.state_dict()
    assert list(sd) == SMALL_CNN_KEYS
    assert sd["1.num_batches_tracked"].dtype == np.int64 and sd["1.num_batches_tracked"].ndim == 0
    assert model(minigrad.randn(2, 1, 8, 8)).shape == (2, 10)


def test_sequential_indexing_and_editing():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and list(seq) == [a, b, c]
    assert seq[0] is a and seq[-1] is c
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and list(tail._modules) == ["1", "2"]  # names kept
    with pytest.raises(IndexError, match="index 3 is out of range for 3 modules"):
        seq[3]
    d = nn.Tanh()
    seq[1] = d
    assert seq[1] is d
    del seq[0]
    assert list(seq._modules) == ["0", "1"] and list(seq) == [d, c]   # renumbered
    seq.insert(0, a)
    seq.append(nn.Sigmoid())
    assert [type(m).__name__ for m in seq] == ["Linear", "Tanh", "Linear", "Sigmoid"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    with pytest.raises(TypeError, match="not a Module"):
        seq.append(lambda x: x)
    x = minigrad.randn(4, 2)
    np.testing.assert_allclose(seq(x).numpy(), seq[3](c(d(a(x)))).numpy())


def test_sequential_from_ordered_dict_and_nested_names():
    model = nn.Sequential(collections.OrderedDict([
        ("features", nn.Sequential(nn.Linear(3, 3), nn.ReLU())),
        ("head", nn.Linear(3, 1))]))
    assert list(model.state_dict()) == ["features.0.weight", "features.0.bias",
                                        "head.weight", "head.bias"]
    assert model.head is model[1]
    assert [n for n, _ in model.named_modules()] == ["", "features", "features.0",
                                                     "features.1", "head"]


def test_module_list_registers_its_modules():
    class Tower(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
            self.layers += [nn.Linear(2, 1)]

        def forward(self, x):
            for layer in self.layers:
                x = layer(x)
            return x

    tower = Tower()
    assert len(tower.layers) == 3
    assert [n for n, _ in tower.named_parameters()][-2:] == ["layers.2.weight",
                                                            "layers.2.bias"]
    part = tower.layers[1:]
    assert isinstance(part, nn.ModuleList) and list(part._modules) == ["0", "1"]
    del tower.layers[0]
    assert list(tower.layers._modules) == ["0", "1"]
    assert tower(minigrad.randn(5, 2)).shape == (5, 1)
    with pytest.raises(NotImplementedError, match="forward"):
        tower.layers(minigrad.randn(1, 2))


def test_a_model_keeps_the_update_of_a_layer_before_the_failing_one():
    """As in PyTorch: the BatchNorm succeeds (its statistics move), then the Linear rejects
    its output.  Each layer's call is its own transaction; a model's is not."""
    model = nn.Sequential(nn.BatchNorm1d(3), nn.Linear(4, 2))
    x = minigrad.tensor(np.arange(6.0, dtype=np.float32).reshape(2, 3))
    with pytest.raises(ValueError, match=r"Sequential layer \(1\)"):
        model(x)
    assert model[0].num_batches_tracked.item() == 1
    assert model[0].running_mean.numpy().any()
