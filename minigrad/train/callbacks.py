"""Callbacks: code that ``fit`` runs at the start and end of training, epochs and batches.

``logs`` dicts hold floats: in ``on_batch_end`` the epoch's running means so far
(``loss`` and each metric), in ``on_epoch_end`` the epoch's means plus ``val_loss`` and
``val_<metric>`` when there is validation data.  A callback stops training by setting
``self.model.stop_training = True`` (fit checks it after every batch and every epoch).

Under data-parallel training (``minigrad.distributed``) every rank runs every callback with
the same logs (means over all ranks' samples), so their decisions agree; only rank 0 prints
and writes files (``ModelCheckpoint``).
"""
import errno
import inspect
import math
import os
import re
import string
import sys
import warnings

import numpy as np

from .._check import (check_bool, check_callable, check_choice, check_int, check_path,
                      check_real, check_str, got)
from ..optim.lr_scheduler import LRScheduler, ReduceLROnPlateau
from .config import get_config

__all__ = ["Callback", "CallbackList", "History", "EarlyStopping", "ModelCheckpoint",
           "LearningRateScheduler", "LRSchedulerCallback", "TerminateOnNaN"]


def _rank_zero():
    """False on the ranks other than 0 of an initialized ``minigrad.distributed`` group: they
    neither print nor write files."""
    dist = sys.modules.get("minigrad.distributed")
    return dist is None or not dist.is_initialized() or dist.get_rank() == 0


class Callback:
    """Base class: override the hooks you need; ``self.model`` and ``self.params``
    (``epochs``, ``steps``, ``verbose``) are set before training starts."""

    def __init__(self):
        self.model = None
        self.params = {}

    def set_model(self, model):
        self.model = model

    def set_params(self, params):
        self.params = dict(params)

    def on_train_begin(self, logs=None):
        """Called once before the first epoch."""

    def on_train_end(self, logs=None):
        """Called once after the last epoch, also when training stops early or is
        interrupted; ``logs`` are the last epoch's."""

    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of epoch ``epoch`` (counted from 0)."""

    def on_epoch_end(self, epoch, logs=None):
        """Called after the epoch's batches and its validation."""

    def on_batch_begin(self, batch, logs=None):
        """Called before training batch ``batch`` (counted from 0 in each epoch)."""

    def on_batch_end(self, batch, logs=None):
        """Called after the optimizer step of training batch ``batch``."""

    def state_dict(self):
        """What a checkpoint written by ``fit(checkpoint=...)`` keeps of this callback (a
        dict of what ``minigrad.save`` can write), or None for a callback whose behaviour
        does not depend on the epochs before (the default).  ``fit(resume=...)`` gives it
        back to :meth:`load_state_dict` after ``on_train_begin``."""
        return None

    def load_state_dict(self, state_dict):
        """Restore a :meth:`state_dict`; raise ValueError if it does not fit."""

    def _fit_check(self, model, keys):
        """Called by ``fit`` before anything runs: raise if this callback cannot work in this
        fit.  ``keys``: the log keys its ``on_epoch_end`` will see (None when a callback of
        the user's may add any).  Returns the keys it adds to the logs."""
        return ()


class CallbackList:
    """Calls each hook on every callback in order."""

    def __init__(self, callbacks, model, params):
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(params)

    def __getattr__(self, hook):
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args):
            for cb in self.callbacks:
                getattr(cb, hook)(*args)
        return call


def as_callback(obj, where="fit: callbacks"):
    """A Callback as is; a learning-rate scheduler wrapped in :class:`LRSchedulerCallback`."""
    if isinstance(obj, Callback):
        return obj
    if isinstance(obj, LRScheduler):
        return LRSchedulerCallback(obj)
    raise TypeError(f"{where} must be a Callback or an lr scheduler, got {got(obj)}")


def as_callbacks(callbacks):
    """fit's ``callbacks`` argument (None or a list) as a list of Callbacks; a lone callback
    is refused (Keras' rule: a list), with the fix in the message."""
    if callbacks is None:
        return []
    if isinstance(callbacks, (Callback, LRScheduler)):
        name = type(callbacks).__name__
        raise TypeError(f"fit: callbacks must be a list of Callbacks, got one {name}; pass "
                        f"callbacks=[{name}(...)]")
    if not isinstance(callbacks, (list, tuple)):
        raise TypeError(f"fit: callbacks must be a list of Callbacks, got {got(callbacks)}")
    return [as_callback(c, f"fit: callbacks[{i}]") for i, c in enumerate(callbacks)]


def _ours(callback):
    """Whether the callback is one of this module's classes (whose logs fit knows)."""
    return type(callback).__module__ == __name__


class History(Callback):
    """What ``fit`` returns: ``history`` (dict of lists: ``loss``, each metric,
    ``val_loss``, ``val_<metric>``, one value per completed epoch) and ``epoch`` (the
    indices of the completed epochs); ``step_loss``, the loss of every training batch in
    order (a curve with one point per step), and ``epoch_steps``, how many steps had run at
    the end of each completed epoch.  ``interrupted`` is True when fit stopped on a
    KeyboardInterrupt."""

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []
        self.step_loss = []
        self.epoch_steps = []
        self.interrupted = False

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        self.epoch_steps.append(len(self.step_loss))
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)

    def __repr__(self):
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"

    def state_dict(self):
        return {"history": {k: list(v) for k, v in self.history.items()},
                "epoch": list(self.epoch), "step_loss": list(self.step_loss),
                "epoch_steps": list(self.epoch_steps)}

    def load_state_dict(self, state_dict):
        """Also takes the state of a History saved before ``step_loss`` existed."""
        keys = ("history", "epoch", "step_loss", "epoch_steps")
        if isinstance(state_dict, dict) and set(state_dict) == set(keys[:2]):
            state_dict = {**state_dict, "step_loss": [], "epoch_steps": []}
        state = _checked_state(self, state_dict, keys)
        history, epochs = state["history"], state["epoch"]
        steps, ends = state["step_loss"], state["epoch_steps"]
        if not isinstance(history, dict) or not isinstance(epochs, list) or not all(
                isinstance(v, list) and len(v) <= len(epochs) for v in history.values()) \
                or not isinstance(steps, list) or not isinstance(ends, list) \
                or not all(isinstance(v, (int, float)) for v in steps) \
                or not all(isinstance(e, int) for e in ends) \
                or ends != sorted(ends) or any(e > len(steps) for e in ends):
            raise ValueError(f"History.load_state_dict: expected {{'history': {{key: list}}, "
                             f"'epoch': list, 'step_loss': list, 'epoch_steps': "
                             f"non-decreasing list}}, got {state_dict!r:.200}")
        self.history = {k: list(v) for k, v in history.items()}
        self.epoch = list(epochs)
        self.step_loss, self.epoch_steps = [float(v) for v in steps], list(ends)


def _checked_state(callback, state_dict, keys):
    """``state_dict`` if it is a dict with exactly ``keys``, else a ValueError."""
    if not isinstance(state_dict, dict) or set(state_dict) != set(keys):
        got = sorted(map(str, state_dict)) if isinstance(state_dict, dict) else \
            type(state_dict).__name__
        raise ValueError(f"{type(callback).__name__}.load_state_dict: expected a dict with "
                         f"keys {sorted(keys)}, got {got}")
    return state_dict


class _Monitor(Callback):
    """Shared by EarlyStopping and ModelCheckpoint: which value, and which way is better."""

    def __init__(self, monitor, mode, min_delta=0.0):
        super().__init__()
        who = type(self).__name__
        check_str(who, "monitor", monitor)
        check_choice(who, "mode", mode, ("auto", "min", "max"))
        check_real(who, "min_delta", min_delta)
        if mode == "auto":
            name = monitor.lower()
            mode = "max" if ("acc" in name or name.endswith(("auc", "f1", "precision",
                                                              "recall"))) else "min"
        self.monitor, self.mode, self.min_delta = monitor, mode, abs(float(min_delta))

    def improved(self, current, best):
        if best is None:
            return True
        if self.mode == "min":
            return current < best - self.min_delta
        return current > best + self.min_delta

    def current(self, logs):
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"{type(self).__name__}: the monitored value {self.monitor!r} is "
                          f"not in the logs (available: {sorted(logs or {})}); skipped",
                          RuntimeWarning, stacklevel=3)
        return value


def _optimizer(model):
    return get_config(model).optimizer


def _takes_lr(fn):
    """Whether a schedule takes (epoch, lr) rather than (epoch)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):       # a builtin without a signature: try two
        return True
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return True
    return sum(p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) for p in params) >= 2


def _snapshot(model):
    """A copy of every parameter and buffer (state_dict's tensors share the live arrays)."""
    return {k: v.numpy() for k, v in model.state_dict().items()}


class EarlyStopping(_Monitor):
    """Stop training when ``monitor`` has not improved for ``patience`` epochs.

    Args:
        monitor: a key of the epoch logs ("val_loss", "val_accuracy", "loss"…).
        min_delta: a change smaller than this is not an improvement.
        patience: epochs without improvement after which training stops.
        mode: "min", "max" or "auto" (max for accuracy-like names, else min).
        baseline: a value the monitored quantity must beat; until it does, epochs count
            as without improvement.
        restore_best_weights: at the end of training (stopped or not, or interrupted),
            put back the parameters and buffers of the best epoch.
        verbose: 1 prints a line when it stops / restores.

    After training, ``stopped_epoch`` is the epoch at which it stopped training (0 if it
    did not) and ``best_epoch`` the best one.
    """

    def __init__(self, monitor="val_loss", min_delta=0.0, patience=0, mode="auto",
                 baseline=None, restore_best_weights=False, verbose=0):
        super().__init__(monitor, mode, min_delta)
        self.patience = check_int("EarlyStopping", "patience", patience, low=0)
        self.baseline = check_real("EarlyStopping", "baseline", baseline, none=True)
        self.restore_best_weights = check_bool("EarlyStopping", "restore_best_weights",
                                               restore_best_weights)
        self.verbose = check_choice("EarlyStopping", "verbose", verbose, (0, 1))

    def on_train_begin(self, logs=None):
        self.wait, self.stopped_epoch, self.best_epoch = 0, 0, 0
        self.best, self.best_weights = None, None

    def on_epoch_end(self, epoch, logs=None):
        current = self.current(logs)
        if current is None:
            return
        self.wait += 1
        if self.improved(current, self.best):
            self.best, self.best_epoch = current, epoch
            if self.restore_best_weights:
                self.best_weights = _snapshot(self.model)
            if self.baseline is None or self.improved(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    _STATE = ("wait", "stopped_epoch", "best_epoch", "best", "best_weights")

    def state_dict(self):
        if not hasattr(self, "wait"):        # before on_train_begin
            self.on_train_begin()
        return {k: getattr(self, k) for k in self._STATE}

    def load_state_dict(self, state_dict):
        state = _checked_state(self, state_dict, self._STATE)
        weights = state["best_weights"]
        if weights is not None and not isinstance(weights, dict):
            raise ValueError(f"EarlyStopping.load_state_dict: best_weights must be None or a "
                             f"state dict, got {type(weights).__name__}")
        for k in self._STATE:
            setattr(self, k, state[k])

    def on_train_end(self, logs=None):
        if self.stopped_epoch and self.verbose and _rank_zero():
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose and _rank_zero():
                print(f"Restoring model weights from the end of the best epoch: "
                      f"{self.best_epoch + 1}")
            self.model.load_state_dict(self.best_weights)


class ModelCheckpoint(_Monitor):
    """Save the model after every epoch (or only when ``monitor`` improved) with
    ``minigrad.save``, which writes atomically: a crash or an interrupt leaves the previous
    file intact.

    Args:
        filepath: the file; may hold ``{epoch}`` (1-based) and log keys, e.g.
            ``"ckpt-{epoch:02d}-{val_loss:.3f}.npz"``.
        monitor, mode: as in :class:`EarlyStopping`.
        save_best_only: save only when the monitored value improved on the best so far.
        save_weights_only: True: the model's ``state_dict()``.  False: a dict
            ``{"model": state_dict, "optimizer": optimizer state_dict, "epoch": n}``
            (minigrad never pickles a whole model).
        verbose: 1 prints a line per save.

    ``last_saved`` is the path written last (None before the first save).
    """

    def __init__(self, filepath, monitor="val_loss", save_best_only=False,
                 save_weights_only=True, mode="auto", verbose=0):
        super().__init__(monitor, mode)
        check_path("ModelCheckpoint", "filepath", filepath)
        self.fields = _template_fields(str(filepath))
        self.filepath = filepath
        self.save_best_only = check_bool("ModelCheckpoint", "save_best_only", save_best_only)
        self.save_weights_only = check_bool("ModelCheckpoint", "save_weights_only",
                                            save_weights_only)
        self.verbose = check_choice("ModelCheckpoint", "verbose", verbose, (0, 1))
        self.best, self.last_saved = None, None

    def _fit_check(self, model, keys):
        path = str(self.filepath)
        if keys is not None:
            missing = sorted(set(self.fields) - set(keys) - {"epoch"})
            if missing:
                val = [k for k in missing if k.startswith("val_")]
                why = ("fit has no validation data (pass validation_data= or "
                       "validation_split=)" if val and not any(k.startswith("val_")
                                                               for k in keys)
                       else "fit will not log them")
                raise ValueError(f"fit: callbacks: ModelCheckpoint's filepath {path!r} uses "
                                 f"{', '.join(map(repr, missing))}, which will not be in the "
                                 f"epoch logs: {why}; the logs will have "
                                 f"{sorted({'epoch', *keys})}")
        directory = os.path.dirname(os.path.abspath(path)) if "{" not in \
            os.path.dirname(path) else None
        if directory is not None and not os.path.isdir(directory):
            raise FileNotFoundError(errno.ENOENT, f"fit: callbacks: ModelCheckpoint's "
                                    f"filepath {path!r} is in a directory that does not "
                                    f"exist", directory)
        return ()

    def on_epoch_end(self, epoch, logs=None):
        from ..serialization import save

        logs = logs or {}
        if self.save_best_only:
            current = self.current(logs)
            if current is None or not self.improved(current, self.best):
                return
            self.best = current
        path = str(self.filepath).format(epoch=epoch + 1, **logs)
        if self.save_weights_only:
            obj = self.model.state_dict()
        else:
            obj = {"model": self.model.state_dict(),
                   "optimizer": _optimizer(self.model).state_dict(),
                   "epoch": epoch + 1}
        if _rank_zero():
            save(obj, path)
        self.last_saved = path
        if self.verbose and _rank_zero():
            print(f"Epoch {epoch + 1}: saved the model to {path}")

    def state_dict(self):
        return {"best": self.best, "last_saved": self.last_saved}

    def load_state_dict(self, state_dict):
        state = _checked_state(self, state_dict, ("best", "last_saved"))
        self.best, self.last_saved = state["best"], state["last_saved"]


def _template_fields(path):
    """The names that ``path.format(epoch=..., **logs)`` needs ({epoch}, {val_loss:.3f}...);
    a template that cannot be formatted raises ValueError here, not after an epoch."""
    try:
        fields = [f for _, f, _, _ in string.Formatter().parse(path) if f is not None]
    except ValueError as exc:
        raise ValueError(f"ModelCheckpoint: filepath {path!r} is not a valid template "
                         f"({exc}); write literal braces as {{{{ and }}}}") from None
    names = [re.match(r"[^.\[]*", f).group() for f in fields]
    if any(not n or n.isdigit() for n in names):
        raise ValueError(f"ModelCheckpoint: filepath {path!r} has a positional field; "
                         f"expected names such as {{epoch}} or {{val_loss:.3f}}")
    try:
        path.format(**{n: 1 if n == "epoch" else 0.5 for n in names})
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise ValueError(f"ModelCheckpoint: filepath {path!r} is not a valid template for "
                         f"an epoch number and float logs ({type(exc).__name__}: {exc})") \
            from None
    return names


class LearningRateScheduler(Callback):
    """Set the learning rate of every param group at the start of each epoch to
    ``schedule(epoch, lr)`` (or ``schedule(epoch)``), epoch counted from 0, lr the
    current one; the value is logged as ``lr``.

    >>> LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch >= 2 else lr)
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        check_callable("LearningRateScheduler", "schedule", schedule)
        self.schedule = schedule
        self.verbose = check_choice("LearningRateScheduler", "verbose", verbose, (0, 1))

    def _fit_check(self, model, keys):
        return ("lr",)

    def on_epoch_begin(self, epoch, logs=None):
        groups = _optimizer(self.model).param_groups
        if _takes_lr(self.schedule):
            lr = float(self.schedule(epoch, float(groups[0]["lr"])))
        else:
            lr = float(self.schedule(epoch))
        if not math.isfinite(lr) or lr < 0:
            raise ValueError(f"LearningRateScheduler: the schedule returned {lr!r} for epoch "
                             f"{epoch}; expected a finite number ≥ 0")
        for group in groups:
            group["lr"] = lr
        if self.verbose and _rank_zero():
            print(f"Epoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = float(_optimizer(self.model).param_groups[0]["lr"])


class LRSchedulerCallback(Callback):
    """Step a ``minigrad.optim.lr_scheduler`` object during fit.

    Build the scheduler on ``model.optimizer`` after ``compile``.  ``scheduler.step()``
    runs after each epoch (``per="epoch"``) or each batch (``per="batch"``, for OneCycleLR);
    a ReduceLROnPlateau gets the epoch's ``monitor`` value.  The lr is logged as ``lr``
    (the value used by the epoch that just ended).  An lr scheduler put directly in fit's
    callbacks list is wrapped in this with the defaults.
    """

    def __init__(self, scheduler, monitor="val_loss", per="epoch"):
        super().__init__()
        if not isinstance(scheduler, LRScheduler):
            raise TypeError(f"LRSchedulerCallback: scheduler must be a "
                            f"minigrad.optim.lr_scheduler scheduler, got {got(scheduler)}")
        check_str("LRSchedulerCallback", "monitor", monitor)
        check_choice("LRSchedulerCallback", "per", per, ("epoch", "batch"))
        if per == "batch" and isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError("LRSchedulerCallback: ReduceLROnPlateau steps per epoch, got "
                             "per='batch'")
        self.scheduler, self.monitor, self.per = scheduler, monitor, per

    def _check_optimizer(self, model, where):
        if self.scheduler.optimizer is not _optimizer(model):
            raise ValueError(f"{where}: the {type(self.scheduler).__name__} was built on "
                             f"another optimizer than the model's (build it on "
                             f"model.optimizer)")

    def _fit_check(self, model, keys):
        self._check_optimizer(model, "fit: callbacks: LRSchedulerCallback")
        if keys is not None and self.per == "epoch" and \
                isinstance(self.scheduler, ReduceLROnPlateau) and self.monitor not in keys:
            why = ("; fit has no validation data (pass validation_data= or validation_split=)"
                   if self.monitor.startswith("val_") and not any(k.startswith("val_")
                                                                 for k in keys) else "")
            raise ValueError(f"fit: callbacks: ReduceLROnPlateau monitors {self.monitor!r}, "
                             f"which will not be in the epoch logs {sorted(keys)}{why}")
        return ("lr",)

    def on_train_begin(self, logs=None):
        self._check_optimizer(self.model, "LRSchedulerCallback")

    def on_epoch_begin(self, epoch, logs=None):
        self._lr = float(self.scheduler.optimizer.param_groups[0]["lr"])

    def on_batch_end(self, batch, logs=None):
        if self.per == "batch":
            self.scheduler.step()

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["lr"] = self._lr
        if self.per != "epoch":
            return
        if isinstance(self.scheduler, ReduceLROnPlateau):
            value = (logs or {}).get(self.monitor)
            if value is None:
                raise KeyError(f"LRSchedulerCallback: ReduceLROnPlateau monitors "
                               f"{self.monitor!r}, which is not in the logs "
                               f"{sorted(logs or {})}")
            self.scheduler.step(value)
        else:
            self.scheduler.step()

    def state_dict(self):
        """The scheduler's state (the learning rates themselves are in the optimizer's) and
        the lr at the current epoch's start (logged at its end)."""
        return {"class": type(self.scheduler).__name__, "state": self.scheduler.state_dict(),
                "epoch_lr": getattr(self, "_lr", None)}

    def load_state_dict(self, state_dict):
        state = _checked_state(self, state_dict, ("class", "state", "epoch_lr"))
        current = self.scheduler.state_dict()
        name = type(self.scheduler).__name__
        if state["class"] != name or not isinstance(state["state"], dict) \
                or set(state["state"]) != set(current):
            raise ValueError(f"LRSchedulerCallback.load_state_dict: the state is of a "
                             f"{state['class']!s:.80} with entries "
                             f"{sorted(map(str, state['state']))[:20]}, the scheduler is a "
                             f"{name} with entries {sorted(current)}")
        self.scheduler.load_state_dict(state["state"])
        if state["epoch_lr"] is not None:
            self._lr = state["epoch_lr"]


class TerminateOnNaN(Callback):
    """Stop training at the first batch whose loss is NaN or infinite (prints a line)."""

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and not np.isfinite(loss):
            if _rank_zero():
                print(f"Batch {batch}: invalid loss {loss}, terminating training")
            self.model.stop_training = True
