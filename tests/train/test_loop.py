"""compile / fit / evaluate / predict: training works, reproducibility, data handling, modes,
losses by name, output."""
import subprocess
import sys

import numpy as np
import pytest

import minigrad
from minigrad import nn, optim, train
from minigrad.train import losses


def blobs(n=300, k=3, seed=0):
    """k well-separated Gaussian blobs in 2-D: float32 x (n, 2), int64 labels (n,)."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 0.0], [5.0, 0.0], [0.0, 5.0], [5.0, 5.0]])[:k]
    y = rng.integers(0, k, n)
    x = centers[y] + rng.normal(size=(n, 2))
    return x.astype(np.float32), y


def mlp(k=3, seed=0, extra=()):
    minigrad.manual_seed(seed)
    return train.Sequential(nn.Linear(2, 16), nn.ReLU(), *extra, nn.Linear(16, k))


def params(model):
    return {k: v.numpy() for k, v in model.state_dict().items()}


def test_fit_learns_separable_blobs():
    x, y = blobs()
    model = mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], lr=0.02)
    history = model.fit(x, y, epochs=8, batch_size=32, verbose=0, seed=1)
    loss = history.history["loss"]
    assert len(loss) == 8 and history.epoch == list(range(8))
    assert loss[-1] < 0.5 * loss[0]
    assert history.history["accuracy"][-1] > 0.95
    _, acc = model.evaluate(x, y, verbose=0)
    assert acc > 0.95


@pytest.mark.parametrize("name", ["sgd", "adam", "adamw", "rmsprop", "adagrad",
                                  optim.Adam])
def test_every_optimizer_name_trains(name):
    x, y = blobs(n=200)
    model = mlp()
    model.compile(optimizer=name, loss="sparse_categorical_crossentropy", lr=0.05)
    history = model.fit(x, y, epochs=3, verbose=0, seed=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert model.optimizer.param_groups[0]["lr"] == 0.05


def test_compile_defaults_and_instance():
    model = mlp()
    model.compile("sgd", "mse")
    assert isinstance(model.optimizer, optim.SGD) and model.optimizer.defaults["lr"] == 0.01
    opt = optim.SGD(model.parameters(), lr=0.3)
    model.compile(opt, "mse", lr=0.1)
    assert model.optimizer is opt and opt.param_groups[0]["lr"] == 0.1
    assert "_compile_config" not in model.state_dict()
    other = optim.SGD(mlp().parameters(), lr=0.1)
    with pytest.raises(ValueError, match="none of this model"):
        model.compile(other, "mse")
    with pytest.raises(ValueError, match="unknown loss"):
        model.compile("adam", "hinge")
    with pytest.raises(ValueError, match="unknown optimizer"):
        model.compile("lbfgs", "mse")
    with pytest.raises(RuntimeError, match="must be compiled"):
        mlp().fit(np.zeros((4, 2)), np.zeros(4))


def test_seeded_fit_is_reproducible_with_dropout():
    x, y = blobs(n=200)
    runs = []
    for _ in range(2):
        model = mlp(extra=(nn.Dropout(0.3),))
        model.compile("adam", "sparse_categorical_crossentropy")
        model.fit(x, y, epochs=2, batch_size=16, verbose=0, seed=123)
        runs.append(params(model))
    for k in runs[0]:
        np.testing.assert_array_equal(runs[0][k], runs[1][k])
    model = mlp(extra=(nn.Dropout(0.3),))
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, seed=124)
    assert any(not np.array_equal(runs[0][k], v) for k, v in params(model).items())


class Recorder(train.Model):
    """Identity-ish model that records every input batch it sees (and the mode)."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(1, 1)
        self.seen = []

    def forward(self, x):
        self.seen.append((self.training, x.numpy()[:, 0].copy()))
        return self.lin(x)


def test_validation_split_takes_the_last_fraction_unshuffled():
    x = np.arange(10, dtype=np.float32)[:, None]
    y = np.arange(10, dtype=np.float32)
    model = Recorder()
    model.compile("sgd", "mse", lr=0.0)
    history = model.fit(x, y, epochs=1, batch_size=4, validation_split=0.3, verbose=0,
                        seed=0)
    train = np.concatenate([b for training, b in model.seen if training])
    val = np.concatenate([b for training, b in model.seen if not training])
    assert sorted(train.tolist()) == list(range(7))
    assert train.tolist() != list(range(7))          # shuffled
    assert val.tolist() == [7.0, 8.0, 9.0]            # the last 30 %, in order
    assert "val_loss" in history.history


def test_shuffle_false_and_iterable_batches():
    x = np.arange(6, dtype=np.float32)[:, None]
    y = np.zeros(6, dtype=np.float32)
    model = Recorder()
    model.compile("sgd", "mse", lr=0.0)
    model.fit(x, y, batch_size=4, shuffle=False, verbose=0)
    assert [b.tolist() for _, b in model.seen] == [[0, 1, 2, 3], [4, 5]]
    model.seen.clear()
    batches = [(x[:3], y[:3]), (minigrad.tensor(x[3:]), minigrad.tensor(y[3:]))]
    history = model.fit(batches, epochs=2, validation_data=batches, verbose=0)
    assert len(history.history["val_loss"]) == 2
    assert len(model.seen) == 8        # 2 epochs × (2 train + 2 validation batches)
    with pytest.raises(ValueError, match="one-shot"):
        model.fit(iter(batches), epochs=2, verbose=0)
    with pytest.raises(ValueError, match="validation_split"):
        model.fit(batches, validation_split=0.5, verbose=0)


def test_evaluate_and_predict_shapes_and_returns():
    x, y = blobs(n=70)
    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy", "acc"])
    out = model.predict(x, batch_size=32)
    assert isinstance(out, np.ndarray) and out.shape == (70, 3) and out.dtype == np.float32
    np.testing.assert_allclose(out, model(minigrad.tensor(x)).numpy(), rtol=1e-6)
    assert model.predict(minigrad.tensor(x)).shape == (70, 3)
    assert model.predict([(x[:10], y[:10]), (x[10:], y[10:])]).shape == (70, 3)
    result = model.evaluate(x, y, batch_size=16, verbose=0)
    assert isinstance(result, list) and len(result) == 3
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "accuracy", "acc"]
    # The mean over samples: the same as one batch of everything.
    whole = model.evaluate(x, y, batch_size=70, verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(whole["loss"], rel=1e-5)
    model.compile("adam", "sparse_categorical_crossentropy")
    assert isinstance(model.evaluate(x, y, verbose=0), float)


def test_modes_switched_and_restored():
    x, y = blobs(n=64)
    model = mlp(extra=(nn.BatchNorm1d(16), nn.Dropout(0.5)))
    model.compile("adam", "sparse_categorical_crossentropy")
    bn = model[2]
    model.eval()
    running = bn.running_mean.numpy()
    model.fit(x, y, epochs=1, verbose=0)
    assert not any(m.training for m in model.modules())          # eval restored
    assert not np.array_equal(running, bn.running_mean.numpy())  # trained in train mode
    model.train()
    bn.eval()            # a frozen BatchNorm inside a training model stays frozen
    before = bn.running_mean.numpy()
    model.evaluate(x, y, verbose=0)
    model.predict(x)
    np.testing.assert_array_equal(before, bn.running_mean.numpy())   # eval: no update
    assert model.training and model[3].training and not bn.training
    # Dropout off in predict: deterministic outputs.
    np.testing.assert_array_equal(model.predict(x), model.predict(x))


def test_losses_by_name():
    rng = np.random.default_rng(0)
    logits = minigrad.tensor(rng.normal(size=(5, 3)).astype(np.float32))
    labels = np.array([0, 2, 1, 1, 0])
    onehot = np.eye(3, dtype=np.float32)[labels]
    sparse = losses.get("sparse_categorical_crossentropy")(logits, labels).item()
    cat = losses.get("categorical_crossentropy")(logits, onehot).item()
    z = logits.numpy()
    ref = np.mean(np.log(np.exp(z).sum(1)) - z[np.arange(5), labels])
    assert sparse == pytest.approx(ref, rel=1e-5) and cat == pytest.approx(ref, rel=1e-5)
    int_onehot = minigrad.functional.one_hot(minigrad.tensor(labels), 3)     # int64
    assert losses.get("categorical_crossentropy")(logits, int_onehot).item() == \
        pytest.approx(ref, rel=1e-5)
    probs = logits.softmax(axis=-1)
    assert losses.CategoricalCrossentropy(from_logits=False)(probs, onehot).item() == \
        pytest.approx(ref, rel=1e-4)
    assert losses.SparseCategoricalCrossentropy(from_logits=False)(
        probs, labels.astype(np.float32)).item() == pytest.approx(ref, rel=1e-4)
    with pytest.raises(ValueError, match="sparse_categorical_crossentropy"):
        losses.get("categorical_crossentropy")(logits, labels)
    out = minigrad.tensor(rng.normal(size=(5, 1)).astype(np.float32))
    t = np.array([1, 0, 1, 1, 0], dtype=np.float32)            # (N,) for (N, 1) outputs
    p = 1 / (1 + np.exp(-out.numpy()[:, 0]))
    bce = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert losses.get("binary_crossentropy")(out, t).item() == pytest.approx(bce, rel=1e-5)
    assert losses.get("mse")(out, t).item() == pytest.approx(
        np.mean((out.numpy()[:, 0] - t) ** 2), rel=1e-5)
    assert losses.get("mae")(out, t).item() == pytest.approx(
        np.mean(np.abs(out.numpy()[:, 0] - t)), rel=1e-5)
    with pytest.raises(ValueError, match="do not match"):
        losses.get("mse")(out, np.zeros(4))


def test_binary_and_onehot_accuracy_and_callable_loss():
    x, y = blobs(n=200, k=2)
    model = mlp(k=1)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"], lr=0.02)
    history = model.fit(x, y, epochs=10, verbose=0, seed=0)
    assert history.history["accuracy"][-1] > 0.95
    pred = model.predict(x)[:, 0]
    assert model.evaluate(x, y, verbose=0)[1] == pytest.approx(np.mean((pred > 0) == y))
    x, y = blobs(n=200)
    model = mlp()
    model.compile("adam", nn.CrossEntropyLoss(), metrics=["accuracy"], lr=0.02)
    model.fit(x, y, epochs=5, verbose=0, seed=0)
    onehot = np.eye(3, dtype=np.float32)[y]
    model.compile(model.optimizer, "categorical_crossentropy", metrics=["accuracy"])
    loss, acc = model.evaluate(x, onehot, verbose=0)
    assert acc == pytest.approx(np.mean(model.predict(x).argmax(1) == y)) and acc > 0.9


def test_verbose_output(capsys):
    x, y = blobs(n=64)
    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, validation_split=0.25, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x)
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
    model.fit(x, y, epochs=2, verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2 and lines[1].startswith("Epoch 2/2") and "accuracy:" in lines[1]
    model.fit(x, y, epochs=1, verbose=1)        # a tqdm bar on (non-tty) stdout
    out = capsys.readouterr().out
    assert "Epoch 1/1" in out and "loss:" in out


def test_verbose_1_without_tqdm_prints_lines(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)      # import fails
    x, y = blobs(n=64)
    model = mlp()
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, epochs=2, verbose=1)
    model.evaluate(x, y)
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split(" - ")[0] for line in lines] == ["Epoch 1/2", "Epoch 2/2", "evaluate"]


def test_import_minigrad_stays_light():
    code = ("import sys, minigrad, minigrad.train, minigrad.metrics; "
            "print([m for m in sys.modules if m.split('.')[0] in ('tqdm', 'matplotlib')])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"
