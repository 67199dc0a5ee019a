"""train.Model and train.Sequential: Modules with compile/fit; a plain Module has neither."""
import numpy as np
import pytest

import minigrad
from minigrad import nn, train


class Net(train.Model):
    def __init__(self):
        super().__init__()
        self.hidden, self.out = nn.Linear(2, 8), nn.Linear(8, 1)

    def forward(self, x):
        return self.out(self.hidden(x).relu())


def data():
    x = np.random.default_rng(0).random((32, 2), dtype=np.float32)
    return x, x.sum(axis=1, keepdims=True)


def test_a_model_subclass_compiles_and_fits_with_the_modules_keys():
    minigrad.manual_seed(0)
    model = Net()
    assert isinstance(model, nn.Module)
    assert list(model.state_dict()) == ["hidden.weight", "hidden.bias", "out.weight",
                                        "out.bias"]
    model.compile("adam", "mse", lr=0.05)
    history = model.fit(*data(), epochs=5, verbose=0, seed=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.predict(data()[0]).shape == (32, 1)
    assert Net.fit is train.fit and Net.compile is train.compile      # one implementation


def test_sequential_is_an_nn_sequential_with_the_same_keys_and_slices():
    layers = [nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 1)]
    plain, model = nn.Sequential(*layers), train.Sequential(*layers)
    assert isinstance(model, nn.Sequential) and isinstance(model, train.Model)
    assert list(model.state_dict()) == list(plain.state_dict()) == \
        ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert model[0].weight is plain[0].weight                           # shared layers
    assert type(model[:2]) is train.Sequential and list(model[1:]._modules) == ["1", "2"]
    model.compile("sgd", "mse")
    model.fit(*data(), epochs=1, verbose=0)


def test_a_plain_module_says_where_fit_is_and_trains_through_the_functions():
    module = nn.Sequential(nn.Linear(2, 1))
    for name in ("compile", "fit", "evaluate", "predict"):
        with pytest.raises(AttributeError, match=rf"has no attribute '{name}': .*"
                                                 rf"minigrad\.train\.Model.*train\.{name}\("):
            getattr(module, name)
    with pytest.raises(AttributeError, match=r"no attribute 'fitt'$"):
        _ = module.fitt
    train.compile(module, "sgd", "mse")
    history = train.fit(module, *data(), epochs=2, verbose=0)
    assert len(history.epoch) == 2
    assert isinstance(train.evaluate(module, *data(), verbose=0), float)
