"""Callbacks: EarlyStopping, ModelCheckpoint, LearningRateScheduler and the lr-scheduler
hook, TerminateOnNaN, and KeyboardInterrupt handling in fit."""
import os
import signal

import numpy as np
import pytest

import minigrad
from minigrad import nn, optim, train
from minigrad.optim import lr_scheduler
from minigrad.train import (Callback, EarlyStopping, LearningRateScheduler,
                            LRSchedulerCallback, ModelCheckpoint, TerminateOnNaN)


def data(n=40):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    return x, (x @ np.array([1.0, -2.0], dtype=np.float32))[:, None]


def model_(lr=0.05):
    minigrad.manual_seed(0)
    model = train.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
    model.compile("sgd", "mse", lr=lr)
    return model


def weights(model):
    return {k: v.numpy() for k, v in model.state_dict().items()}


def same(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


class Script(Callback):
    """Puts a scripted value in the epoch logs and snapshots the weights at each epoch end;
    must come before the callbacks that read the value."""

    def __init__(self, values, key="val_loss"):
        super().__init__()
        self.values, self.key, self.snapshots = values, key, []

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = float(self.values[epoch])
        self.snapshots.append(weights(self.model))


def test_early_stopping_stops_at_the_right_epoch_and_restores_best():
    x, y = data()
    model = model_()
    script = Script([5.0, 4.0, 3.0, 3.5, 3.2, 3.1, 2.0, 1.0])
    stop = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = model.fit(x, y, epochs=8, batch_size=8, callbacks=[script, stop], verbose=0)
    assert history.epoch == [0, 1, 2, 3, 4]         # best at 2; 3 and 4 without improvement
    assert stop.stopped_epoch == 4 and stop.best_epoch == 2
    assert same(weights(model), script.snapshots[2])
    assert not same(script.snapshots[2], script.snapshots[4])


def test_early_stopping_min_delta_mode_and_no_restore():
    x, y = data()
    model = model_()
    script = Script([0.5, 0.52, 0.6, 0.55, 0.7], key="val_accuracy")
    stop = EarlyStopping(monitor="val_accuracy", min_delta=0.05, patience=1)
    history = model.fit(x, y, epochs=5, callbacks=[script, stop], verbose=0)
    # mode auto -> max; 0.52 is not better than 0.5 + 0.05: stops at epoch 1.
    assert history.epoch == [0, 1] and stop.stopped_epoch == 1
    assert same(weights(model), script.snapshots[-1])        # not restored
    with pytest.warns(RuntimeWarning, match="not in the logs"):
        model.fit(x, y, epochs=1, callbacks=[EarlyStopping(monitor="val_nothing")],
                  verbose=0)


def test_model_checkpoint_saves_only_on_improvement(tmp_path):
    x, y = data()
    model = model_()
    script = Script([3.0, 2.0, 2.5, 1.0])
    pattern = ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}.npz"), save_best_only=True)
    best = ModelCheckpoint(tmp_path / "best.npz", save_best_only=True)
    model.fit(x, y, epochs=4, callbacks=[script, pattern, best], verbose=0)
    assert sorted(os.listdir(tmp_path)) == ["best.npz", "ckpt-01.npz", "ckpt-02.npz",
                                            "ckpt-04.npz"]
    saved = {k: v.numpy() for k, v in minigrad.load(tmp_path / "best.npz").items()}
    assert same(saved, script.snapshots[3])
    saved = {k: v.numpy() for k, v in minigrad.load(tmp_path / "ckpt-02.npz").items()}
    assert same(saved, script.snapshots[1])
    full = ModelCheckpoint(tmp_path / "full.npz", save_weights_only=False)
    model.fit(x, y, epochs=1, callbacks=[full], verbose=0)
    state = minigrad.load(tmp_path / "full.npz")
    assert state["epoch"] == 1 and set(state) == {"model", "optimizer", "epoch"}
    model.optimizer.load_state_dict(state["optimizer"])


def test_model_checkpoint_is_atomic(tmp_path, monkeypatch):
    x, y = data()
    model = model_()
    path = tmp_path / "last.npz"
    script = Script([1.0, 2.0, 3.0])
    model.fit(x, y, epochs=1, callbacks=[script, ModelCheckpoint(path)], verbose=0)
    first = script.snapshots[0]

    def broken_savez(f, members):
        f.write(b"PK\x03\x04 half a file")
        raise OSError("disk full")
    monkeypatch.setattr("minigrad.serialization._write_npz", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        model.fit(x, y, epochs=1, callbacks=[ModelCheckpoint(path)], verbose=0)
    assert os.listdir(tmp_path) == ["last.npz"]            # no temporary file left
    assert same({k: v.numpy() for k, v in minigrad.load(path).items()}, first)


def test_learning_rate_scheduler_sets_lr_per_epoch():
    x, y = data()
    model = model_(lr=0.1)
    seen = []

    class Spy(Callback):
        def on_batch_end(self, batch, logs=None):
            seen.append(self.model.optimizer.param_groups[0]["lr"])

    sched = LearningRateScheduler(lambda epoch, lr: 0.1 * 0.5 ** epoch)
    history = model.fit(x, y, epochs=3, batch_size=20, callbacks=[sched, Spy()], verbose=0)
    assert history.history["lr"] == pytest.approx([0.1, 0.05, 0.025])
    assert seen == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025, 0.025])
    history = model.fit(x, y, epochs=2, callbacks=[LearningRateScheduler(lambda e: 0.01)],
                        verbose=0)
    assert history.history["lr"] == [0.01, 0.01]


def test_lr_scheduler_objects_step_per_epoch():
    x, y = data()
    model = model_(lr=0.1)
    step = lr_scheduler.StepLR(model.optimizer, step_size=2, gamma=0.1)
    history = model.fit(x, y, epochs=5, callbacks=[step], verbose=0)   # wrapped implicitly
    assert history.history["lr"] == pytest.approx([0.1, 0.1, 0.01, 0.01, 0.001])
    assert model.optimizer.param_groups[0]["lr"] == pytest.approx(1e-3)   # epoch 5: 0.001

    model = model_(lr=0.1)
    plateau = lr_scheduler.ReduceLROnPlateau(model.optimizer, factor=0.5, patience=0)
    script = Script([1.0, 1.0, 1.0, 0.5])
    history = model.fit(x, y, epochs=4, callbacks=[script, LRSchedulerCallback(plateau)],
                        verbose=0)
    assert history.history["lr"] == pytest.approx([0.1, 0.1, 0.05, 0.025])

    model = model_(lr=0.1)
    linear = lr_scheduler.LinearLR(model.optimizer, start_factor=0.5, total_iters=4)
    model.fit(x, y, epochs=1, batch_size=10, verbose=0,
              callbacks=[LRSchedulerCallback(linear, per="batch")])
    assert model.optimizer.param_groups[0]["lr"] == pytest.approx(0.1)   # 4 batches: ramp done
    other = optim.SGD(model_().parameters(), lr=0.1)
    with pytest.raises(ValueError, match="another optimizer"):
        model.fit(x, y, callbacks=[lr_scheduler.StepLR(other, 1)], verbose=0)


def test_terminate_on_nan(capsys):
    x, y = data()
    model = model_()
    calls = []

    def loss(pred, target):
        calls.append(1)
        value = ((pred - target) ** 2).mean()
        return value * float("nan") if len(calls) == 3 else value

    model.compile(model.optimizer, loss)
    history = model.fit(x, y, epochs=5, batch_size=8, callbacks=[TerminateOnNaN()],
                        verbose=0)
    assert len(calls) == 3 and history.epoch == [0]
    assert np.isnan(history.history["loss"][0])
    assert "invalid loss" in capsys.readouterr().out


class InterruptAt(Callback):
    def __init__(self, epoch, batch):
        super().__init__()
        self.at, self.epoch = (epoch, batch), None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise KeyboardInterrupt


def test_keyboard_interrupt_stops_gracefully(tmp_path, capsys):
    x, y = data()
    model = train.Sequential(nn.Linear(2, 4), nn.Dropout(0.2), nn.Linear(4, 1))
    model.compile("sgd", "mse", lr=0.05)
    model.eval()
    path = tmp_path / "ckpt.npz"
    stop = EarlyStopping(monitor="loss", patience=5, restore_best_weights=True)
    history = model.fit(x, y, epochs=5, batch_size=8, verbose=0,
                        callbacks=[ModelCheckpoint(path, monitor="loss"), stop,
                                   InterruptAt(epoch=1, batch=2)])
    assert history.interrupted and history.epoch == [0]
    assert len(history.history["loss"]) == 1
    assert "interrupted" in capsys.readouterr().err
    assert not model.training and not model[1].training      # the previous mode
    assert all(p.grad is None for p in model.parameters())
    assert same(weights(model), {k: v.numpy() for k, v in minigrad.load(path).items()})
    assert stop.best_epoch == 0                                  # restored on train end
    assert model.predict(x).shape == (40, 1)
    again = model.fit(x, y, epochs=1, verbose=0)                 # still usable
    assert not again.interrupted and len(again.epoch) == 1


def test_sigint_during_the_optimizer_step_lets_the_step_finish():
    if signal.getsignal(signal.SIGINT) is not signal.default_int_handler:
        pytest.skip("SIGINT has a custom handler in this process")
    x, y = data()

    class InterruptingSGD(optim.SGD):
        steps = 0

        def step(self, closure=None):
            type(self).steps += 1
            if type(self).steps == 3:
                # Mid-step: the first parameter is updated, then Ctrl-C arrives.
                self._interrupt_next = True
            return super().step(closure)

        def update(self, p, g, state, group):
            super().update(p, g, state, group)
            if getattr(self, "_interrupt_next", False):
                self._interrupt_next = False
                os.kill(os.getpid(), signal.SIGINT)

    reference = model_()
    reference.compile(optim.SGD(reference.parameters(), lr=0.05), "mse")
    reference.fit(x[:24], y[:24], batch_size=8, shuffle=False, verbose=0)   # 3 steps
    model = model_()
    model.compile(InterruptingSGD(model.parameters(), lr=0.05), "mse")
    history = model.fit(x, y, epochs=2, batch_size=8, shuffle=False, verbose=0)
    assert history.interrupted and InterruptingSGD.steps == 3
    assert same(weights(model), weights(reference))      # all of step 3, nothing more
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
