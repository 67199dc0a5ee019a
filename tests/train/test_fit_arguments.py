"""Principle 3 for the training loop: every argument of ``fit``, ``evaluate`` and ``predict``
(and of ``compile``, the callbacks and the losses) is checked before any work is done.

Each bad value must raise the declared error (TypeError for a wrong type, ValueError for a
wrong value; the OSError subclass for a path that cannot be written), with a message naming
the function and the argument, and leave the model's parameters, the optimizer's state,
minigrad's generator and the files as they were: no batch drawn, no epoch trained, no
checkpoint written."""
import inspect

import numpy as np
import pytest

import minigrad
from minigrad import nn, optim, train
from minigrad import random as mg_random
from minigrad.data import DataLoader, TensorDataset
from minigrad.optim import lr_scheduler
from minigrad.train import (EarlyStopping, LearningRateScheduler, LRSchedulerCallback,
                            ModelCheckpoint, losses)

from ..reliability.bad_inputs import snapshot

X = np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32)
Y = np.arange(8) % 4
FUNCTIONS = {"fit": train.fit, "evaluate": train.evaluate, "predict": train.predict}


class Objects:
    """A compiled Linear(3, 4) whose Adam has state (one step taken), the data, tmp_path."""

    def __init__(self, tmp):
        minigrad.manual_seed(0)
        self.model = nn.Linear(3, 4)
        train.compile(self.model, "adam", "sparse_categorical_crossentropy")
        self.opt = self.model.optimizer
        self.model(minigrad.tensor(X)).sum().backward()
        self.opt.step()
        self.opt.zero_grad()
        self.tmp = tmp
        (tmp / "a_dir").mkdir()

    def loader(self, *arrays, **options):
        return DataLoader(TensorDataset(*(arrays or (X, Y))), batch_size=4, **options)


def uncompiled(o):
    return nn.Linear(3, 4)


# (function, argument, name of the bad value, kwargs(o) -> the call's arguments, error,
#  pieces of the message).  x and y are X, Y unless the kwargs say otherwise.
BAD = [
    # -- fit -------------------------------------------------------------------------------
    ("fit", "model", "int", lambda o: {"model": 5}, TypeError, ["5 (int)"]),
    ("fit", "model", "uncompiled", lambda o: {"model": uncompiled(o)}, RuntimeError,
     ["must be compiled", "model.compile"]),
    ("fit", "x", "str", lambda o: {"x": "abc", "y": None}, TypeError, ["'abc' (str)"]),
    ("fit", "x", "None", lambda o: {"x": None, "y": None}, TypeError, ["None (NoneType)"]),
    ("fit", "x", "strings", lambda o: {"x": np.array(["a"] * 8)}, TypeError, ["dtype <U1"]),
    ("fit", "x", "no samples", lambda o: {"x": X[:0], "y": Y[:0]}, ValueError,
     ["no samples", "(0, 3)"]),
    ("fit", "x", "empty list", lambda o: {"x": [], "y": None}, ValueError,
     ["no samples", "(0,)"]),
    ("fit", "x", "empty DataLoader", lambda o: {
        "x": DataLoader(TensorDataset(X, Y), batch_size=16, drop_last=True), "y": None},
     ValueError, ["no samples", "DataLoader of 0 batches", "batch_size=16"]),
    ("fit", "x", "list of arrays", lambda o: {"x": [X, Y], "y": None}, ValueError,
     ["item 0 is ndarray of shape (8, 3)", "not an (x, y) pair"]),
    ("fit", "x", "DataLoader without targets", lambda o: {"x": o.loader(X), "y": None},
     ValueError, ["DataLoader whose batches have 1 fields", "(x, y) pairs"]),
    ("fit", "y", "with a DataLoader", lambda o: {"x": o.loader(), "y": Y}, ValueError,
     ["y must be None when x is a DataLoader", "ndarray"]),
    ("fit", "y", "None with arrays", lambda o: {"y": None}, ValueError,
     ["y is required", "y=None"]),
    ("fit", "y", "too short", lambda o: {"y": Y[:5]}, ValueError, ["8 samples", "y has 5"]),
    ("fit", "y", "strings", lambda o: {"y": np.array(["a"] * 8)}, TypeError, ["dtype <U1"]),
    ("fit", "epochs", "float", lambda o: {"epochs": 2.0}, TypeError, ["2.0 (float)"]),
    ("fit", "epochs", "str", lambda o: {"epochs": "3"}, TypeError, ["'3' (str)"]),
    ("fit", "epochs", "bool", lambda o: {"epochs": True}, TypeError, ["True (bool)"]),
    ("fit", "epochs", "negative", lambda o: {"epochs": -1}, ValueError, ["int ≥ 0", "-1"]),
    ("fit", "batch_size", "zero", lambda o: {"batch_size": 0}, ValueError, ["int ≥ 1", "0"]),
    ("fit", "batch_size", "float", lambda o: {"batch_size": 32.0}, TypeError,
     ["32.0 (float)"]),
    ("fit", "batch_size", "str", lambda o: {"batch_size": "32"}, TypeError, ["'32' (str)"]),
    ("fit", "batch_size", "bool", lambda o: {"batch_size": False}, TypeError,
     ["False (bool)"]),
    ("fit", "batch_size", "None", lambda o: {"batch_size": None}, TypeError,
     ["None (NoneType)"]),
    ("fit", "validation_split", "str", lambda o: {"validation_split": "0.2"}, TypeError,
     ["[0, 1)", "'0.2' (str)"]),
    ("fit", "validation_split", "one", lambda o: {"validation_split": 1.0}, ValueError,
     ["[0, 1)", "1.0"]),
    ("fit", "validation_split", "negative", lambda o: {"validation_split": -0.1}, ValueError,
     ["-0.1"]),
    ("fit", "validation_split", "nan", lambda o: {"validation_split": float("nan")},
     ValueError, ["nan"]),
    ("fit", "validation_split", "bool", lambda o: {"validation_split": True}, TypeError,
     ["True (bool)"]),
    ("fit", "validation_split", "empty training set", lambda o: {"validation_split": 0.99},
     ValueError, ["validation_split=0.99 of 8 samples", "empty"]),
    ("fit", "validation_data", "bare array", lambda o: {"validation_data": X}, TypeError,
     ["(x_val, y_val)", "ndarray of shape (8, 3)"]),
    ("fit", "validation_data", "str", lambda o: {"validation_data": "val"}, TypeError,
     ["'val' (str)"]),
    ("fit", "validation_data", "number", lambda o: {"validation_data": 0.2}, TypeError,
     ["0.2 (float)"]),
    ("fit", "validation_data", "triple", lambda o: {"validation_data": (X, Y, Y)}, ValueError,
     ["tuple of 3 items", "not all (x, y) pairs"]),
    ("fit", "validation_data", "other sample shape", lambda o: {
        "validation_data": (X[:, :2], Y)}, ValueError, ["(2,)", "x has (3,)"]),
    ("fit", "validation_data", "no samples", lambda o: {"validation_data": (X[:0], Y[:0])},
     ValueError, ["no samples", "(0, 3)"]),
    ("fit", "validation_data", "y too short", lambda o: {"validation_data": (X, Y[:3])},
     ValueError, ["8 samples", "y has 3"]),
    ("fit", "validation_data", "empty list", lambda o: {"validation_data": []}, ValueError,
     ["no samples", "empty list"]),
    ("fit", "shuffle", "str", lambda o: {"shuffle": "yes"}, TypeError,
     ["True or False", "'yes' (str)"]),
    ("fit", "shuffle", "int", lambda o: {"shuffle": 1}, TypeError, ["1 (int)"]),
    ("fit", "shuffle", "None", lambda o: {"shuffle": None}, TypeError, ["None (NoneType)"]),
    ("fit", "callbacks", "one callback", lambda o: {"callbacks": EarlyStopping()}, TypeError,
     ["list of Callbacks", "EarlyStopping", "callbacks=[EarlyStopping(...)]"]),
    ("fit", "callbacks", "one scheduler", lambda o: {
        "callbacks": lr_scheduler.StepLR(o.opt, 1)}, TypeError, ["StepLR", "callbacks=["]),
    ("fit", "callbacks", "not callbacks", lambda o: {"callbacks": [EarlyStopping(), 3]},
     TypeError, ["callbacks[1]", "3 (int)"]),
    ("fit", "callbacks", "str", lambda o: {"callbacks": "early_stopping"}, TypeError,
     ["'early_stopping' (str)"]),
    ("fit", "callbacks", "val key without validation", lambda o: {
        "callbacks": [ModelCheckpoint(o.tmp / "{val_loss:.3f}.ckpt")]}, ValueError,
     ["ModelCheckpoint", "'val_loss'", "no validation data"]),
    ("fit", "callbacks", "unknown key", lambda o: {
        "callbacks": [ModelCheckpoint(o.tmp / "{acc}.ckpt")], "validation_data": (X, Y)},
     ValueError, ["ModelCheckpoint", "'acc'", "'val_loss'"]),
    ("fit", "callbacks", "lr logged after", lambda o: {
        "callbacks": [ModelCheckpoint(o.tmp / "{lr}.ckpt"),
                      LearningRateScheduler(lambda e, lr: lr)]},
     ValueError, ["ModelCheckpoint", "'lr'"]),
    ("fit", "callbacks", "missing directory", lambda o: {
        "callbacks": [ModelCheckpoint(o.tmp / "missing" / "m.ckpt")]}, FileNotFoundError,
     ["ModelCheckpoint", "does not exist", "missing"]),
    ("fit", "callbacks", "plateau without validation", lambda o: {
        "callbacks": [lr_scheduler.ReduceLROnPlateau(o.opt)]}, ValueError,
     ["ReduceLROnPlateau monitors 'val_loss'", "no validation data"]),
    ("fit", "callbacks", "scheduler of another optimizer", lambda o: {
        "callbacks": [lr_scheduler.StepLR(optim.SGD(nn.Linear(3, 4).parameters(), lr=0.1),
                                          1)]},
     ValueError, ["StepLR", "another optimizer"]),
    ("fit", "verbose", "bool", lambda o: {"verbose": True}, TypeError,
     ["0, 1 or 2", "True (bool)"]),
    ("fit", "verbose", "three", lambda o: {"verbose": 3}, ValueError, ["0, 1 or 2", "3"]),
    ("fit", "verbose", "str", lambda o: {"verbose": "1"}, TypeError, ["'1' (str)"]),
    ("fit", "verbose", "float", lambda o: {"verbose": 1.0}, TypeError, ["1.0 (float)"]),
    ("fit", "seed", "str", lambda o: {"seed": "abc"}, TypeError, ["'abc' (str)"]),
    ("fit", "seed", "negative", lambda o: {"seed": -1}, ValueError, ["int ≥ 0", "-1"]),
    ("fit", "seed", "float", lambda o: {"seed": 1.5}, TypeError, ["1.5 (float)"]),
    ("fit", "initial_epoch", "float", lambda o: {"initial_epoch": 1.0}, TypeError,
     ["1.0 (float)"]),
    ("fit", "initial_epoch", "negative", lambda o: {"initial_epoch": -1}, ValueError, ["-1"]),
    ("fit", "initial_epoch", "after epochs", lambda o: {"initial_epoch": 5, "epochs": 2},
     ValueError, ["≤ epochs", "initial_epoch=5", "epochs=2"]),
    ("fit", "initial_epoch", "str", lambda o: {"initial_epoch": "0"}, TypeError,
     ["'0' (str)"]),
    ("fit", "checkpoint", "int", lambda o: {"checkpoint": 5}, TypeError, ["path", "5 (int)"]),
    ("fit", "checkpoint", "missing directory", lambda o: {
        "checkpoint": o.tmp / "missing" / "run.ckpt"}, FileNotFoundError,
     ["does not exist", "run.ckpt", "missing"]),
    ("fit", "checkpoint", "a directory", lambda o: {"checkpoint": o.tmp / "a_dir"},
     IsADirectoryError, ["is a directory", "a_dir"]),
    ("fit", "resume", "int", lambda o: {"resume": 1}, TypeError,
     ["None, True, False or a path", "1 (int)"]),
    ("fit", "resume", "missing file", lambda o: {"resume": o.tmp / "none.ckpt"},
     FileNotFoundError, ["no checkpoint to resume from", "none.ckpt"]),
    ("fit", "resume", "True without checkpoint", lambda o: {"resume": True}, ValueError,
     ["resume=True", "checkpoint="]),
    ("fit", "checkpoint_every", "zero", lambda o: {"checkpoint_every": 0,
                                                   "checkpoint": o.tmp / "run.ckpt"},
     ValueError, ["int ≥ 1", "0"]),
    ("fit", "checkpoint_every", "float", lambda o: {"checkpoint_every": 2.5,
                                                    "checkpoint": o.tmp / "run.ckpt"},
     TypeError, ["2.5 (float)"]),
    ("fit", "checkpoint_every", "without checkpoint", lambda o: {"checkpoint_every": 2},
     ValueError, ["checkpoint=path", "checkpoint=None"]),
    ("fit", "checkpoint_every", "str", lambda o: {"checkpoint_every": "2",
                                                  "checkpoint": o.tmp / "run.ckpt"},
     TypeError, ["'2' (str)"]),
    # -- evaluate --------------------------------------------------------------------------
    ("evaluate", "model", "int", lambda o: {"model": 5}, TypeError, ["5 (int)"]),
    ("evaluate", "model", "uncompiled", lambda o: {"model": uncompiled(o)}, RuntimeError,
     ["must be compiled", "model.compile"]),
    ("evaluate", "x", "str", lambda o: {"x": "abc", "y": None}, TypeError, ["'abc' (str)"]),
    ("evaluate", "x", "no samples", lambda o: {"x": X[:0], "y": Y[:0]}, ValueError,
     ["no samples", "(0, 3)"]),
    ("evaluate", "x", "empty list", lambda o: {"x": [], "y": None}, ValueError,
     ["no samples"]),
    ("evaluate", "x", "DataLoader without targets", lambda o: {"x": o.loader(X), "y": None},
     ValueError, ["1 fields", "(x, y) pairs"]),
    ("evaluate", "y", "with a DataLoader", lambda o: {"x": o.loader(), "y": Y}, ValueError,
     ["y must be None when x is a DataLoader"]),
    ("evaluate", "y", "None with arrays", lambda o: {"y": None}, ValueError,
     ["y is required", "y=None"]),
    ("evaluate", "y", "too short", lambda o: {"y": Y[:5]}, ValueError, ["y has 5"]),
    ("evaluate", "batch_size", "zero", lambda o: {"batch_size": 0}, ValueError,
     ["int ≥ 1", "0"]),
    ("evaluate", "batch_size", "float", lambda o: {"batch_size": 2.5}, TypeError,
     ["2.5 (float)"]),
    ("evaluate", "batch_size", "str", lambda o: {"batch_size": "32"}, TypeError,
     ["'32' (str)"]),
    ("evaluate", "verbose", "bool", lambda o: {"verbose": True}, TypeError,
     ["True (bool)"]),
    ("evaluate", "verbose", "five", lambda o: {"verbose": 5}, ValueError, ["0, 1 or 2", "5"]),
    ("evaluate", "verbose", "str", lambda o: {"verbose": "0"}, TypeError, ["'0' (str)"]),
    ("evaluate", "return_dict", "str", lambda o: {"return_dict": "yes"}, TypeError,
     ["True or False", "'yes' (str)"]),
    ("evaluate", "return_dict", "int", lambda o: {"return_dict": 1}, TypeError, ["1 (int)"]),
    # -- predict ---------------------------------------------------------------------------
    ("predict", "model", "int", lambda o: {"model": 5}, TypeError, ["5 (int)"]),
    ("predict", "model", "str", lambda o: {"model": "mlp"}, TypeError, ["'mlp' (str)"]),
    ("predict", "x", "str", lambda o: {"x": "abc"}, TypeError, ["'abc' (str)"]),
    ("predict", "x", "None", lambda o: {"x": None}, TypeError, ["None (NoneType)"]),
    ("predict", "x", "no samples", lambda o: {"x": X[:0]}, ValueError,
     ["no samples", "(0, 3)"]),
    ("predict", "x", "empty DataLoader", lambda o: {"x": DataLoader(X, batch_size=9,
                                                                     drop_last=True)},
     ValueError, ["no samples", "DataLoader of 0 batches"]),
    ("predict", "batch_size", "zero", lambda o: {"batch_size": 0}, ValueError, ["0"]),
    ("predict", "batch_size", "float", lambda o: {"batch_size": 2.5}, TypeError,
     ["2.5 (float)"]),
    ("predict", "batch_size", "None", lambda o: {"batch_size": None}, TypeError,
     ["None (NoneType)"]),
    ("predict", "verbose", "three", lambda o: {"verbose": 3}, ValueError, ["0, 1 or 2", "3"]),
    ("predict", "verbose", "bool", lambda o: {"verbose": True}, TypeError, ["True (bool)"]),
    ("predict", "verbose", "str", lambda o: {"verbose": "0"}, TypeError, ["'0' (str)"]),
]


def _call(function, o, kwargs):
    kwargs = dict(kwargs)
    model = kwargs.pop("model", o.model)
    x = kwargs.pop("x", X)
    if function == "predict":
        return train.predict(model, x, **kwargs)
    y = kwargs.pop("y", Y)
    kwargs.setdefault("verbose", 0)
    return FUNCTIONS[function](model, x, y, **kwargs)


def _files(tmp):
    return sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*"))


class TestFitArguments:
    """Every argument of fit / evaluate / predict, each with several bad values."""

    @pytest.mark.parametrize("function, argument, what, kwargs, error, says", BAD,
                             ids=[f"{f}-{a}-{w}" for f, a, w, *_ in BAD])
    def test_bad_value_is_named_and_changes_nothing(self, function, argument, what, kwargs,
                                                    error, says, tmp_path):
        o = Objects(tmp_path)
        arguments = kwargs(o)                      # built first: schedulers touch the groups
        watched = {"model": o.model, "opt": o.opt, "rng": mg_random}
        before, files = snapshot(watched), _files(tmp_path)
        with pytest.raises(Exception) as info:
            _call(function, o, arguments)
        assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
        message = str(info.value)
        if not (argument == "model" and error is RuntimeError):
            assert f"{function}:" in message, message
        assert argument in message, message
        assert all(piece in message for piece in says), message
        after = snapshot(watched)
        assert [k for k in watched if before[k] != after[k]] == []
        assert _files(tmp_path) == files                 # no checkpoint, no saved model

    @pytest.mark.parametrize("function", sorted(FUNCTIONS))
    def test_every_argument_has_several_bad_values(self, function):
        arguments = list(inspect.signature(FUNCTIONS[function]).parameters)
        counts = {a: sum(1 for f, arg, *_ in BAD if f == function and arg == a)
                  for a in arguments}
        assert {a: n for a, n in counts.items() if n < 2} == {}

    def test_valid_calls_still_train(self, tmp_path):
        """The boundary refuses only what is wrong: the forms the checks must let through."""
        o = Objects(tmp_path)
        history = train.fit(o.model, X, Y, epochs=np.int64(2), batch_size=np.int32(4),
                            validation_split=0, shuffle=np.bool_(True), verbose=0, seed=3,
                            callbacks=(EarlyStopping(monitor="loss"),
                                       ModelCheckpoint(tmp_path / "{epoch}-{loss:.2f}.npz",
                                                       monitor="loss")))
        assert history.epoch == [0, 1]
        batches = [(X[:4], Y[:4]), (X[4:], Y[4:])]
        history = train.fit(o.model, batches, epochs=1, validation_data=batches * 2,
                            callbacks=[ModelCheckpoint(tmp_path / "{val_loss:.3f}.npz")],
                            verbose=0, checkpoint=tmp_path / "run.ckpt")
        assert "val_loss" in history.history and (tmp_path / "run.ckpt").exists()
        assert train.predict(o.model, o.loader(X)).shape == (8, 4)
        assert isinstance(train.evaluate(o.model, o.loader(), verbose=0), float)

    def test_generator_yielding_nothing_is_refused_after_no_step(self, tmp_path):
        """An iterable without len() can only be found empty by iterating it."""
        o = Objects(tmp_path)
        before = snapshot({"model": o.model, "opt": o.opt})
        with pytest.raises(ValueError, match="fit: x yielded no batches in epoch 1"):
            train.fit(o.model, iter([]), verbose=0)
        assert snapshot({"model": o.model, "opt": o.opt}) == before


CONSTRUCTORS = [
    (lambda: EarlyStopping(patience="3"), TypeError, ["EarlyStopping: patience", "'3' (str)"]),
    (lambda: EarlyStopping(patience=2.5), TypeError, ["EarlyStopping: patience",
                                                      "2.5 (float)"]),
    (lambda: EarlyStopping(patience=-1), ValueError, ["EarlyStopping: patience", "-1"]),
    (lambda: EarlyStopping(min_delta="0.1"), TypeError, ["EarlyStopping: min_delta",
                                                         "'0.1' (str)"]),
    (lambda: EarlyStopping(min_delta=float("nan")), ValueError, ["EarlyStopping: min_delta",
                                                                 "nan"]),
    (lambda: EarlyStopping(monitor=3), TypeError, ["EarlyStopping: monitor", "3 (int)"]),
    (lambda: EarlyStopping(monitor=""), ValueError, ["EarlyStopping: monitor", "''"]),
    (lambda: EarlyStopping(mode="maximum"), ValueError, ["EarlyStopping: mode",
                                                         "'maximum'"]),
    (lambda: EarlyStopping(baseline="1"), TypeError, ["EarlyStopping: baseline",
                                                      "'1' (str)"]),
    (lambda: EarlyStopping(restore_best_weights="yes"), TypeError,
     ["EarlyStopping: restore_best_weights", "'yes' (str)"]),
    (lambda: EarlyStopping(verbose=2), ValueError, ["EarlyStopping: verbose", "0 or 1", "2"]),
    (lambda: ModelCheckpoint(5), TypeError, ["ModelCheckpoint: filepath", "5 (int)"]),
    (lambda: ModelCheckpoint("ckpt-{epoch"), ValueError, ["ModelCheckpoint: filepath",
                                                          "'ckpt-{epoch'", "template"]),
    (lambda: ModelCheckpoint("ckpt-{}.npz"), ValueError, ["ModelCheckpoint: filepath",
                                                          "positional"]),
    (lambda: ModelCheckpoint("{val_loss:d}.npz"), ValueError, ["ModelCheckpoint: filepath",
                                                               "'d'"]),
    (lambda: ModelCheckpoint("m.npz", save_best_only="True"), TypeError,
     ["ModelCheckpoint: save_best_only", "'True' (str)"]),
    (lambda: ModelCheckpoint("m.npz", save_weights_only=0), TypeError,
     ["ModelCheckpoint: save_weights_only", "0 (int)"]),
    (lambda: ModelCheckpoint("m.npz", mode=None), TypeError, ["ModelCheckpoint: mode",
                                                              "None (NoneType)"]),
    (lambda: LearningRateScheduler(0.1), TypeError, ["LearningRateScheduler: schedule",
                                                     "0.1 (float)"]),
    (lambda: LearningRateScheduler(lambda e: 0.1, verbose="1"), TypeError,
     ["LearningRateScheduler: verbose", "'1' (str)"]),
    (lambda: LRSchedulerCallback("step"), TypeError, ["LRSchedulerCallback: scheduler",
                                                      "'step' (str)"]),
    (lambda: LRSchedulerCallback(lr_scheduler.StepLR(optim.SGD(
        nn.Linear(1, 1).parameters(), lr=0.1), 1), per="step"), ValueError,
     ["LRSchedulerCallback: per", "'step'"]),
    (lambda: LRSchedulerCallback(lr_scheduler.StepLR(optim.SGD(
        nn.Linear(1, 1).parameters(), lr=0.1), 1), monitor=None), TypeError,
     ["LRSchedulerCallback: monitor", "None (NoneType)"]),
    (lambda: train.compile(nn.Linear(3, 4), "sgd", "mse", lr="0.1"), TypeError,
     ["compile: lr", "'0.1' (str)"]),
    (lambda: train.compile(nn.Linear(3, 4), "sgd", "mse", lr=float("inf")), ValueError,
     ["compile: lr", "inf"]),
    (lambda: train.compile(nn.Linear(3, 4), "sgd", "mse", metrics={"out": "mae"}), TypeError,
     ["compile: metrics", "dict"]),
    (lambda: losses.CategoricalCrossentropy(from_logits="no"), TypeError,
     ["CategoricalCrossentropy: from_logits", "'no' (str)"]),
    (lambda: losses.BinaryCrossentropy(from_logits=0), TypeError,
     ["BinaryCrossentropy: from_logits", "0 (int)"]),
]


@pytest.mark.parametrize("call, error, says", CONSTRUCTORS,
                         ids=[f"{s[0].split(':')[0]}-{i}" for i, (_, _, s)
                              in enumerate(CONSTRUCTORS)])
def test_callback_compile_and_loss_arguments(call, error, says):
    with pytest.raises(Exception) as info:
        call()
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    assert all(piece in str(info.value) for piece in says), str(info.value)


def test_compile_refusal_keeps_the_previous_configuration():
    model = nn.Linear(3, 4)
    config = train.compile(model, "sgd", "mse")
    with pytest.raises(TypeError):
        train.compile(model, "adam", "mse", lr="0.1")
    assert train.get_config(model) is config and model.optimizer is config.optimizer
