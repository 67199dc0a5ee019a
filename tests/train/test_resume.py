"""fit(checkpoint=..., resume=...): a run interrupted after some epochs (or batches, with
checkpoint_every=) and resumed from its checkpoint ends bit-identical to a run that was never
interrupted (CPU, fixed seed) — parameters, optimizer state, lr scheduler, callbacks' states,
History and generator."""
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import minigrad
from minigrad import nn, optim, train
from minigrad.data import DataLoader, TensorDataset, transforms
from minigrad.optim import lr_scheduler
from minigrad.train import Callback, EarlyStopping, LRSchedulerCallback, ModelCheckpoint

EPOCHS = 5


def images(n=96, seed=0):
    """Three classes of 8×8 images told apart by where a bright square is, plus noise."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.normal(0, 0.3, size=(n, 1, 8, 8)).astype(np.float32)
    for i, label in enumerate(y):
        x[i, 0, 2 * label:2 * label + 3, 2:5] += 1.0
    return x, y


def cnn(seed):
    minigrad.manual_seed(seed)
    return train.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Dropout(0.3), nn.Flatten(),
                            nn.Linear(4 * 6 * 6, 3))


class Crash(Callback):
    """Simulates a crash (an exception fit does not catch) or a Ctrl-C at a given point."""

    def __init__(self, epoch, batch=None, error=RuntimeError):
        super().__init__()
        self.epoch, self.batch, self.error = epoch, batch, error

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch
        if epoch == self.epoch and self.batch is None:
            raise self.error("simulated crash")

    def on_batch_begin(self, batch, logs=None):
        if self.current == self.epoch and batch == self.batch:
            raise self.error("simulated crash")


def run(tmp_path, name, data, scheduler, init_seed=0, crash=None, resume=False, every=None):
    """Build, compile and fit a fresh model; returns (model, history, callbacks)."""
    model = cnn(init_seed)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], lr=0.01)
    if scheduler == "step":
        sched = LRSchedulerCallback(lr_scheduler.StepLR(model.optimizer, 2, gamma=0.5))
    elif scheduler == "onecycle":                    # stepped after every batch
        sched = LRSchedulerCallback(lr_scheduler.OneCycleLR(
            model.optimizer, max_lr=0.02, total_steps=EPOCHS * 6), per="batch")
    else:
        sched = LRSchedulerCallback(lr_scheduler.ReduceLROnPlateau(
            model.optimizer, factor=0.5, patience=0, threshold=0.5), monitor="val_loss")
    callbacks = [sched, EarlyStopping("val_loss", patience=10, restore_best_weights=True),
                 ModelCheckpoint(str(tmp_path / f"{name}-best.npz"), save_best_only=True)]
    if crash is not None:
        callbacks.append(crash)
    x, y = images()
    val = images(n=32, seed=1)
    if data == "arrays":
        kwargs = dict(x=x, y=y, batch_size=16)
    else:
        augment = transforms.RandomHorizontalFlip(seed=5) if data == "loader+seed" else \
            transforms.RandomHorizontalFlip()
        loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True,
                            seed=3 if data == "loader+seed" else None, transform=augment)
        kwargs = dict(x=loader)
    history = model.fit(**kwargs, validation_data=val, epochs=EPOCHS, verbose=0, seed=11,
                        callbacks=callbacks, checkpoint=tmp_path / f"{name}.ckpt",
                        resume=resume, checkpoint_every=every)
    return model, history, callbacks


def assert_same_run(a, b):
    (model_a, hist_a, cbs_a), (model_b, hist_b, cbs_b) = a, b
    for (k, va), (_, vb) in zip(model_a.state_dict().items(), model_b.state_dict().items()):
        assert va.numpy().tobytes() == vb.numpy().tobytes(), k
    opt_a, opt_b = model_a.optimizer.state_dict(), model_b.optimizer.state_dict()
    assert opt_a["param_groups"] == opt_b["param_groups"]
    for i, state in opt_a["state"].items():
        for key, value in state.items():
            assert np.asarray(value).tobytes() == np.asarray(opt_b["state"][i][key]).tobytes()
    assert hist_a.history == hist_b.history and hist_a.epoch == hist_b.epoch
    assert cbs_a[0].scheduler.state_dict() == cbs_b[0].scheduler.state_dict()
    assert (cbs_a[1].best, cbs_a[1].best_epoch, cbs_a[1].wait) == \
        (cbs_b[1].best, cbs_b[1].best_epoch, cbs_b[1].wait)
    assert cbs_a[2].best == cbs_b[2].best


@pytest.mark.parametrize("data, scheduler, crash", [
    ("arrays", "step", Crash(epoch=2)),
    ("arrays", "plateau", Crash(epoch=3, batch=2, error=KeyboardInterrupt)),
    ("loader", "step", Crash(epoch=1, batch=4)),
    ("loader+seed", "plateau", Crash(epoch=4)),
], ids=["arrays-crash-at-epoch-2", "arrays-ctrl-c-mid-epoch-3", "loader-crash-mid-epoch-1",
        "seeded-loader-crash-at-epoch-4"])
def test_interrupted_and_resumed_run_is_bit_identical(tmp_path, data, scheduler, crash):
    straight = run(tmp_path, "straight", data, scheduler)
    rng_after = minigrad.random.get_state()
    assert len(straight[1].epoch) == EPOCHS

    if crash.error is KeyboardInterrupt:          # fit catches it and returns
        interrupted = run(tmp_path, "run", data, scheduler, crash=crash)
        assert interrupted[1].interrupted and len(interrupted[1].epoch) == crash.epoch
    else:
        with pytest.raises(RuntimeError, match="simulated crash"):
            run(tmp_path, "run", data, scheduler, crash=crash)
    # A fresh process would build the model with other weights and another generator state:
    # everything must come from the checkpoint.
    resumed = run(tmp_path, "run", data, scheduler, init_seed=99, resume=True)
    assert_same_run(straight, resumed)
    assert minigrad.random.get_state() == rng_after
    assert (tmp_path / "run-best.npz").exists()


@pytest.mark.parametrize("data, scheduler, crash, every, at", [
    ("arrays", "step", Crash(epoch=2, batch=4), 3, (2, 3)),
    ("arrays", "onecycle", Crash(epoch=1, batch=5, error=KeyboardInterrupt), 2, (1, 4)),
    ("loader", "plateau", Crash(epoch=3, batch=1), 1, (3, 1)),
    ("loader+seed", "onecycle", Crash(epoch=4, batch=5), 5, (4, 1)),
], ids=["arrays", "arrays-per-batch-schedule-ctrl-c", "loader-every-batch", "seeded-loader"])
def test_resumed_inside_an_epoch_is_bit_identical(tmp_path, data, scheduler, crash, every,
                                                  at):
    """With checkpoint_every=n the checkpoint is also written every n batches (6 per epoch
    here); a resumed run replays the epoch's order, skips the batches done and continues."""
    straight = run(tmp_path, "straight", data, scheduler, every=every)
    if crash.error is KeyboardInterrupt:
        run(tmp_path, "run", data, scheduler, crash=crash, every=every)
    else:
        with pytest.raises(RuntimeError, match="simulated crash"):
            run(tmp_path, "run", data, scheduler, crash=crash, every=every)
    saved = minigrad.load(tmp_path / "run.ckpt")
    assert (saved["epoch"], saved["train"]["position"]["batch"]) == at
    resumed = run(tmp_path, "run", data, scheduler, init_seed=42, resume=True, every=every)
    assert_same_run(straight, resumed)


def test_resume_true_without_a_file_starts_afresh(tmp_path):
    fresh = run(tmp_path, "a", "arrays", "step", resume=True)
    plain = run(tmp_path, "b", "arrays", "step")
    assert_same_run(fresh, plain)


def test_resume_after_the_last_epoch_trains_no_more(tmp_path):
    done = run(tmp_path, "run", "arrays", "step")
    again = run(tmp_path, "run", "arrays", "step", init_seed=5, resume=True)
    assert_same_run(done, again)


def test_early_stopping_state_survives_a_resume(tmp_path):
    """A run that EarlyStopping ended stays ended: the resumed fit runs no epoch and
    restores the best weights as the uninterrupted run did."""
    def go(name, resume=False, init_seed=0):
        model = cnn(init_seed)
        model.compile(optimizer=optim.SGD(model.parameters(), lr=0.0),
                      loss="sparse_categorical_crossentropy")
        stop = EarlyStopping("loss", patience=1, min_delta=1.0, restore_best_weights=True)
        x, y = images()
        history = model.fit(x, y, epochs=6, verbose=0, seed=0, callbacks=[stop],
                            checkpoint=tmp_path / name, resume=resume)
        return model, history, stop
    model_a, hist_a, stop_a = go("a.ckpt")
    assert stop_a.stopped_epoch == 1 and len(hist_a.epoch) == 2
    model_b, hist_b, stop_b = go("a.ckpt", resume=True, init_seed=4)
    assert hist_b.epoch == hist_a.epoch and stop_b.best == stop_a.best
    for va, vb in zip(model_a.parameters(), model_b.parameters()):
        np.testing.assert_array_equal(va.numpy(), vb.numpy())


def test_resume_with_other_callbacks_or_model_changes_nothing(tmp_path):
    run(tmp_path, "run", "arrays", "step")
    model = cnn(1)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    x, y = images()
    with pytest.raises(ValueError, match=r"callbacks \['LRSchedulerCallback', "
                                         r"'EarlyStopping', 'ModelCheckpoint'\].*has \[\]"):
        model.fit(x, y, epochs=EPOCHS, verbose=0, resume=tmp_path / "run.ckpt")
    other = train.Sequential(nn.Flatten(), nn.Linear(64, 3))
    other.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    other_before = [p.numpy().copy() for p in other.parameters()]
    callbacks = [LRSchedulerCallback(lr_scheduler.StepLR(other.optimizer, 2)),
                 EarlyStopping("val_loss"), ModelCheckpoint(str(tmp_path / "x.npz"))]
    with pytest.raises(RuntimeError, match="Missing key") as info:
        other.fit(x, y, epochs=EPOCHS, verbose=0, callbacks=callbacks,
                  resume=tmp_path / "run.ckpt")
    assert "nothing was changed" in "".join(getattr(info.value, "__notes__", []))
    for p, b in zip(other.parameters(), other_before):
        np.testing.assert_array_equal(p.numpy(), b)
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_resume_argument_errors(tmp_path):
    model = cnn(0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x, y = images()
    with pytest.raises(ValueError, match="resume=True resumes from the checkpoint= file"):
        model.fit(x, y, verbose=0, resume=True)
    minigrad.save({"w": np.zeros(2)}, tmp_path / "weights.npz")
    with pytest.raises(minigrad.CheckpointFormatError, match="not a checkpoint written by "
                                                             "save_checkpoint"):
        model.fit(x, y, verbose=0, resume=tmp_path / "weights.npz")
    minigrad.save_checkpoint(tmp_path / "manual.ckpt", model=model, epoch=1)
    with pytest.raises(minigrad.CheckpointFormatError, match="without fit's training state"):
        model.fit(x, y, verbose=0, resume=tmp_path / "manual.ckpt")
    with pytest.raises(ValueError, match="not both"):
        model.fit(x, y, verbose=0, resume=tmp_path / "manual.ckpt", initial_epoch=1)
    with pytest.raises(FileNotFoundError):
        model.fit(x, y, verbose=0, resume=tmp_path / "missing.ckpt")


class Slow(Callback):
    """Makes each batch take a while, so that the test can kill the process mid-run."""

    def on_batch_end(self, batch, logs=None):
        time.sleep(0.08)


def test_a_killed_process_resumes_bit_identically(tmp_path):
    """SIGKILL at an arbitrary point (possibly during a checkpoint write): the last
    checkpoint is intact and the resumed run ends as the uninterrupted one."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    code = ("import sys, pathlib; sys.path.insert(0, '.'); "
            "from tests.train.test_resume import run, Slow; "
            f"run(pathlib.Path({str(tmp_path)!r}), 'run', 'loader', 'onecycle', "
            "crash=Slow(), every=1)")
    child = subprocess.Popen([sys.executable, "-c", code], cwd=root)
    try:
        step, deadline = 0, time.monotonic() + 120
        while step < 4 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
            if (tmp_path / "run.ckpt").exists():
                step = minigrad.load(tmp_path / "run.ckpt")["step"]
        assert child.poll() is None, "the training process ended before it was killed"
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    saved = minigrad.load(tmp_path / "run.ckpt")
    assert 4 <= saved["step"] < EPOCHS * 6
    straight = run(tmp_path, "straight", "loader", "onecycle", every=1)
    resumed = run(tmp_path, "run", "loader", "onecycle", init_seed=42, resume=True, every=1)
    assert_same_run(straight, resumed)
