"""``fit``, ``evaluate`` and ``predict``: the Keras-style loops over a compiled Module."""
import contextlib
import math
import os
import signal
import sys
import threading

import numpy as np

from .. import random as mg_random
from ..grad_mode import no_grad
from ..tensor import Tensor
from .callbacks import CallbackList, History, as_callback
from .config import as_array, get_config
from .progress import ProgressLogger, format_logs, make_bar
from .resume import CheckpointWriter, EpochPosition, resume_path, resume as load_resume

__all__ = ["fit", "evaluate", "predict"]


# -- data ------------------------------------------------------------------------------------
class _Arrays:
    """Whole arrays (x, y) on the host, cut into batches by vectorised indexing."""

    def __init__(self, x, y, where):
        self.x = as_array(x, f"{where}: x")
        self.y = None if y is None else as_array(y, f"{where}: y")
        if self.x.ndim == 0:
            raise ValueError(f"{where}: x must have a batch axis, got a scalar")
        if self.y is not None and len(self.y) != len(self.x):
            raise ValueError(f"{where}: x has {len(self.x)} samples, y has {len(self.y)}")

    def __len__(self):
        return len(self.x)

    def steps(self, batch_size):
        return math.ceil(len(self) / batch_size)

    def batches(self, batch_size, shuffle=False):
        n = len(self)
        order = mg_random.generator().permutation(n) if shuffle else np.arange(n)
        for start in range(0, n, batch_size):
            index = order[start:start + batch_size]
            yield self.x[index], (None if self.y is None else self.y[index])

    def split(self, fraction):
        """(train, validation): the validation part is the LAST fraction, unshuffled."""
        cut = int(math.floor(len(self) * (1.0 - fraction)))
        if cut == 0 or cut == len(self):
            raise ValueError(f"fit: validation_split={fraction} of {len(self)} samples leaves "
                             f"an empty training or validation set")
        head, tail = _Arrays.__new__(_Arrays), _Arrays.__new__(_Arrays)
        head.x, tail.x = self.x[:cut], self.x[cut:]
        head.y, tail.y = (None, None) if self.y is None else (self.y[:cut], self.y[cut:])
        return head, tail


class _Batches:
    """An iterable of ready batches: (x, y) pairs (or bare x for predict), e.g. a DataLoader;
    used as given (batch_size and shuffle do not apply)."""

    def __init__(self, iterable):
        self.iterable = iterable

    def steps(self, batch_size):
        try:
            return len(self.iterable)
        except TypeError:
            return None

    def batches(self, batch_size, shuffle=False):
        for item in self.iterable:
            if isinstance(item, (tuple, list)) and len(item) == 2:
                yield item[0], item[1]
            else:
                yield item, None


def _data(x, y, where):
    if isinstance(x, (np.ndarray, Tensor)) or y is not None:
        return _Arrays(x, y, where)
    if isinstance(x, (list, tuple)):
        try:
            return _Arrays(np.asarray(x), None, where)
        except (TypeError, ValueError):
            pass
    if hasattr(x, "__iter__"):
        return _Batches(x)
    raise TypeError(f"{where}: x must be an array, a Tensor or an iterable of (x, y) "
                    f"batches, got {type(x).__name__}")


def _validation(validation_data):
    if isinstance(validation_data, (tuple, list)) and len(validation_data) == 2 \
            and isinstance(validation_data[0], (np.ndarray, Tensor)):
        return _Arrays(validation_data[0], validation_data[1], "fit: validation_data")
    if isinstance(validation_data, (tuple, list)) and len(validation_data) != 2:
        raise ValueError("fit: validation_data must be (x_val, y_val) or an iterable of "
                         "(x, y) batches")
    return _Batches(validation_data)


def _target_array(y):
    if y is None:
        raise ValueError("fit/evaluate: no targets: pass y, or batches that are (x, y) pairs")
    return as_array(y, "y")


# -- the model's side ------------------------------------------------------------------------
def _placement(model):
    """(device, floating dtype) of the model's first parameter (cpu, float32 without one)."""
    for p in model.parameters():
        return p.device, p.dtype
    return "cpu", np.dtype("float32")


def _inputs(x, placement):
    """A batch as a Tensor on the model's device; floats cast to the model's dtype."""
    device, dtype = placement
    t = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    if t.dtype.kind == "f" and t.dtype != dtype:
        t = t.to(dtype)
    return t if t.device == device else t.to(device)


def _modes(model):
    return [(m, m.training) for m in model.modules()]


def _restore_modes(modes):
    # Module by module: a sub-module that was in eval mode (a frozen BatchNorm) stays so.
    for module, training in modes:
        object.__setattr__(module, "training", training)


def _loss_value(loss):
    if not isinstance(loss, Tensor) or loss.numel() != 1:
        got = loss.shape if isinstance(loss, Tensor) else type(loss).__name__
        raise TypeError(f"the loss must return a one-element Tensor, got {got}")
    return loss


class _Means:
    """Sample-weighted running means of the batch values."""

    def __init__(self):
        self.sums, self.count = {}, 0

    def add(self, values, n):
        for k, v in values.items():
            self.sums[k] = self.sums.get(k, 0.0) + v * n
        self.count += n

    def means(self):
        return {k: s / self.count for k, s in self.sums.items()} if self.count else {}


def _batch_values(config, loss, pred, target):
    values = {"loss": float(loss.item())}
    if config.metrics:
        pred_np = pred.detach().numpy()
        for metric in config.metrics:
            values[metric.name] = metric(pred_np, target)
    return values


# -- KeyboardInterrupt ----------------------------------------------------------------------
class _InterruptGuard:
    """While fit runs (in the main thread, with Python's default SIGINT handler), Ctrl-C
    raises KeyboardInterrupt at once, except inside ``critical()`` (the optimizer step),
    where it is held until the block ends: parameters are never half-updated."""

    def __init__(self):
        self.depth, self.pending, self.previous = 0, False, None

    def __enter__(self):
        if threading.current_thread() is threading.main_thread() \
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self.previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc):
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)
            self.previous = None

    def _handler(self, signum, frame):
        if self.depth:
            self.pending = True
        else:
            raise KeyboardInterrupt

    @contextlib.contextmanager
    def critical(self, raise_pending=True):
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1
        if self.pending and not self.depth and raise_pending:
            self.pending = False
            raise KeyboardInterrupt


# -- fit -------------------------------------------------------------------------------------
def _check_fit_args(epochs, batch_size, validation_split, verbose, initial_epoch):
    for name, value, low in (("epochs", epochs, 0), ("batch_size", batch_size, 1),
                             ("initial_epoch", initial_epoch, 0)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"fit: {name} must be an int ≥ {low}, got {value!r}")
    if not 0.0 <= validation_split < 1.0:
        raise ValueError(f"fit: validation_split must be in [0, 1), got {validation_split!r}")
    if verbose not in (0, 1, 2):
        raise ValueError(f"fit: verbose must be 0, 1 or 2, got {verbose!r}")


def _train_epoch(model, config, data, batch_size, shuffle, callbacks, guard, placement,
                 position, resume_at=None):
    """One epoch of training batches; ``position`` follows the progress (for mid-epoch
    checkpoints), ``resume_at`` (from a checkpoint) skips the batches already done."""
    model.train()
    optimizer = config.optimizer
    position.means = means = _Means()
    batches = data.batches(batch_size, shuffle)      # a generator: draws nothing yet
    first = 0
    if resume_at is None:
        position.begin(position.epoch)
    else:
        position.skip(batches, resume_at)
        first = resume_at["batch"]
    for batch, (x, y) in enumerate(batches, start=first):
        callbacks.on_batch_begin(batch, {})
        target = _target_array(y)
        optimizer.zero_grad()
        pred = model(_inputs(x, placement))
        loss = _loss_value(config.loss(pred, target))
        loss.backward()
        with guard.critical():
            optimizer.step()
        means.add(_batch_values(config, loss, pred, target), len(target))
        position.batch = batch + 1
        callbacks.on_batch_end(batch, means.means())
        if model.stop_training:
            break
    return means.means()


def _run_eval(model, config, data, batch_size, placement, bar=None):
    model.eval()
    means = _Means()
    with no_grad():
        for x, y in data.batches(batch_size):
            target = _target_array(y)
            pred = model(_inputs(x, placement))
            loss = _loss_value(config.loss(pred, target))
            means.add(_batch_values(config, loss, pred, target), len(target))
            if bar is not None:
                bar.set_postfix_str(format_logs(means.means()), refresh=False)
                bar.update(1)
    if not means.count:
        raise ValueError("evaluate: the data has no samples")
    return means.means()


def fit(model, x, y=None, epochs=1, batch_size=32, validation_split=0.0,
        validation_data=None, shuffle=True, callbacks=None, verbose=1, seed=None,
        initial_epoch=0, checkpoint=None, resume=None, checkpoint_every=None):
    """Train a compiled model; returns a :class:`History`.

    Args:
        x, y: NumPy arrays or Tensors (N, ...) — batches are taken by indexing, floats
            cast to the model's dtype and put on its device — or ``x`` an iterable of
            (x, y) batches (a DataLoader, a list) used as given, with ``y=None``.
        epochs: train until this epoch (counted from ``initial_epoch``).
        batch_size: samples per batch (arrays only).
        validation_split: the LAST fraction of x/y (before shuffling) is held out for
            validation (Keras' rule).
        validation_data: ``(x_val, y_val)`` or an iterable of batches; overrides
            validation_split.
        shuffle: a new permutation each epoch, from ``minigrad.random``'s generator.
        callbacks: ``minigrad.train`` Callbacks (and lr schedulers, stepped per epoch).
        verbose: 0 silent, 1 a tqdm bar per epoch, 2 one line per epoch.
        seed: if given, ``minigrad.manual_seed(seed)`` first: shuffling and dropout
            masks are reproducible.
        checkpoint: a file to which the whole training state is written (atomically)
            at the end of every epoch: model, optimizer, lr schedulers, callbacks'
            states, History, random generators (see ``minigrad.save_checkpoint``).
        resume: a checkpoint file written by ``checkpoint=``: training continues after
            its last epoch, and gives bit-identical results to a run that was never
            interrupted (CPU, same arguments and callbacks).  ``resume=True``: resume
            from ``checkpoint`` if that file exists, else start afresh.
        checkpoint_every: also write the checkpoint every this many training batches,
            so that a resumed run continues inside the epoch (bit-identically too).

    The model is in train mode for the batches and eval mode (under no_grad) for the
    validation; every sub-module's previous mode is restored at the end.

    Ctrl-C (KeyboardInterrupt) stops training at once and is NOT re-raised: the
    optimizer step in progress completes first (no half-updated parameters), the
    callbacks' ``on_train_end`` runs (EarlyStopping may restore the best weights),
    a one-line notice goes to stderr and the History of the completed epochs is
    returned, with ``history.interrupted = True``.  (Ctrl-C is held back only in the
    main thread and while Python's default SIGINT handler is installed; a
    KeyboardInterrupt raised by a callback stops training the same way.)
    """
    config = get_config(model)
    _check_fit_args(epochs, batch_size, validation_split, verbose, initial_epoch)
    if checkpoint is not None:
        checkpoint = os.fspath(checkpoint)
    if checkpoint_every is not None and (
            isinstance(checkpoint_every, bool) or not isinstance(checkpoint_every, int)
            or checkpoint_every < 1 or checkpoint is None):
        raise ValueError(f"fit: checkpoint_every must be None or an int ≥ 1 (batches), with "
                         f"checkpoint=path; got {checkpoint_every!r}")
    resume_from = resume_path(resume, checkpoint)
    if resume_from is not None and initial_epoch:
        raise ValueError(f"fit: give resume= or initial_epoch=, not both (the checkpoint "
                         f"says where to start), got initial_epoch={initial_epoch}")
    # A resume that fails changes nothing: not even the generator that seed= reseeds here.
    generator_before = mg_random.get_state() if resume_from is not None else None
    if seed is not None:
        mg_random.manual_seed(seed)
    train = _data(x, y, "fit")
    if isinstance(train, _Batches) and iter(train.iterable) is train.iterable \
            and epochs - initial_epoch > 1:
        raise ValueError("fit: x is a one-shot iterator; several epochs need a re-iterable "
                         "(a list of batches, a DataLoader)")
    val = None
    if validation_data is not None:
        val = _validation(validation_data)
    elif validation_split:
        if not isinstance(train, _Arrays):
            raise ValueError("fit: validation_split needs arrays x and y; pass "
                             "validation_data with batches")
        train, val = train.split(validation_split)
    history, progress = History(), ProgressLogger(verbose)
    user = [as_callback(c) for c in (callbacks or [])]
    params = {"epochs": epochs, "steps": train.steps(batch_size), "verbose": verbose}
    loaders = [d.iterable for d in (train, val)         # DataLoaders' own generators
               if isinstance(d, _Batches) and hasattr(d.iterable, "state_dict")]
    position = EpochPosition(loaders)
    writer = [] if checkpoint is None else [CheckpointWriter(checkpoint, checkpoint_every,
                                                             history, user, position)]
    # History after the user's callbacks, which may add to the logs (lr), as in Keras; the
    # checkpoint after both, so that it holds the whole epoch.
    cbs = CallbackList([*user, history, *writer, progress], model, params)
    placement, modes, logs = _placement(model), _modes(model), {}
    model.stop_training = False
    guard = _InterruptGuard()
    try:
        with guard:
            try:
                cbs.on_train_begin({})
                at = None
                if resume_from is not None:     # after on_train_begin, which resets states
                    try:
                        initial_epoch, model.stop_training, at, step = load_resume(
                            resume_from, model, history, user, position)
                    except Exception:
                        mg_random.set_state(generator_before)
                        raise
                    for w in writer:
                        w.step = step
                for epoch in range(initial_epoch, epochs):
                    if model.stop_training:     # resumed from a run that had stopped
                        break
                    position.epoch = epoch
                    if at is None:
                        cbs.on_epoch_begin(epoch, {})
                    else:                       # the callbacks began this epoch before
                        progress.on_epoch_begin(epoch, {})
                        if progress.bar is not None:
                            progress.bar.update(at["batch"])
                    logs = _train_epoch(model, config, train, batch_size, shuffle, cbs, guard,
                                        placement, position, at)
                    at = None
                    if val is not None:
                        val_logs = _run_eval(model, config, val, batch_size, placement)
                        logs.update({f"val_{k}": v for k, v in val_logs.items()})
                    with guard.critical():      # a checkpoint being written, the History
                        cbs.on_epoch_end(epoch, logs)
                    if model.stop_training:
                        break
            except KeyboardInterrupt:
                history.interrupted = True
                config.optimizer.zero_grad()
                progress.close()
                done = len(history.epoch)
                print(f"fit: interrupted (KeyboardInterrupt) after {done} complete epoch"
                      f"{'' if done == 1 else 's'}; returning the History so far",
                      file=sys.stderr, flush=True)
            with guard.critical(raise_pending=False):   # e.g. restoring the best weights
                cbs.on_train_end(logs)
    finally:
        progress.close()
        _restore_modes(modes)
    return history


# -- evaluate / predict ---------------------------------------------------------------------
def evaluate(model, x, y=None, batch_size=32, verbose=1, return_dict=False):
    """Loss and metrics of the compiled model on (x, y), in eval mode under no_grad.

    Returns:
        The loss (a float) when compiled without metrics, else ``[loss, *metrics]`` in
        compile's order (Keras), or ``{"loss": ..., name: ...}`` with
        ``return_dict=True``.  Means over samples.
    """
    config = get_config(model)
    data = _data(x, y, "evaluate")
    modes = _modes(model)
    bar = make_bar(data.steps(batch_size), "evaluate") if verbose == 1 else None
    try:
        logs = _run_eval(model, config, data, batch_size, _placement(model), bar)
    finally:
        if bar is not None:
            bar.close()
        _restore_modes(modes)
    if verbose and bar is None:
        print(f"evaluate - {format_logs(logs)}", flush=True)
    if return_dict:
        return logs
    return logs["loss"] if not config.metrics else [logs[k] for k in logs]


def predict(model, x, batch_size=32, verbose=0):
    """The model's outputs on x (array, Tensor or iterable of batches) as one NumPy
    array, batch by batch, in eval mode under no_grad (logits for a classifier)."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"predict: batch_size must be an int ≥ 1, got {batch_size!r}")
    data = _data(x, None, "predict")
    placement, modes, outputs = _placement(model), _modes(model), []
    bar = make_bar(data.steps(batch_size), "predict") if verbose == 1 else None
    try:
        model.eval()
        with no_grad():
            for xb, _ in data.batches(batch_size):
                out = model(_inputs(xb, placement))
                outputs.append(out.numpy())
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
        _restore_modes(modes)
    if not outputs:
        raise ValueError("predict: x has no samples")
    return np.concatenate(outputs, axis=0)
