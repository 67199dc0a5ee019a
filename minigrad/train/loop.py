"""``fit``, ``evaluate`` and ``predict``: the Keras-style loops over a compiled Module."""
import contextlib
import errno
import math
import numbers
import os
import signal
import sys
import threading

import numpy as np

from .. import random as mg_random
from .._check import check_bool, check_choice, check_int, check_path, check_real, got
from ..data.dataloader import DataLoader, permutation
from ..data.dataset import TensorDataset
from ..grad_mode import no_grad
from ..nn import Module
from ..tensor import Tensor
from .callbacks import CallbackList, History, _ours, as_callbacks
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
        # Shuffled: the permutation of all N (4 bytes each below 2**31 samples, the same order
        # as generator().permutation(N)); in order: each batch's own indices.
        n = len(self)
        order = permutation(mg_random.generator(), n) if shuffle else None
        for start in range(0, n, batch_size):
            index = np.arange(start, min(start + batch_size, n)) if order is None else \
                order[start:start + batch_size]
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


class _Shard:
    """This rank's part of whole arrays under data-parallel training (``minigrad.distributed``
    initialized with several processes): each epoch rank 0's order (shuffled or not) is
    broadcast, padded by repeating its first indices to a multiple of the world size W
    (``DistributedSampler``'s rule), and cut into global batches of ``batch_size × W``
    samples, of which rank r takes every W-th from r.  ``batch_size`` is per rank, as in
    PyTorch's DDP: the run matches one process with batch ``batch_size × W``."""

    def __init__(self, data, dist):
        self.data, self.dist = data, dist
        self.rank, self.world = dist.get_rank(), dist.get_world_size()

    def __len__(self):
        return len(self.data)

    def _total(self):
        return math.ceil(len(self.data) / self.world) * self.world

    def steps(self, batch_size):
        return math.ceil(self._total() / (batch_size * self.world))

    def batches(self, batch_size, shuffle=False):
        n = len(self.data)
        order = permutation(mg_random.generator(), n) if shuffle else np.arange(n)
        self.dist.broadcast(order, src=0)          # the same order on every rank
        order = np.resize(order, self._total())
        step = batch_size * self.world
        x, y = self.data.x, self.data.y
        for start in range(0, len(order), step):
            index = order[start:start + step][self.rank::self.world]
            yield x[index], (None if y is None else y[index])


def _eval_shard(data, dist):
    """This rank's contiguous part of whole validation arrays (no padding: evaluation has no
    collective per batch, and the sums are reduced over the ranks at the end)."""
    if dist is None or not isinstance(data, _Arrays):
        return data
    rank, world, n = dist.get_rank(), dist.get_world_size(), len(data)
    lo, hi = n * rank // world, n * (rank + 1) // world
    part = _Arrays.__new__(_Arrays)
    part.x, part.y = data.x[lo:hi], None if data.y is None else data.y[lo:hi]
    return part


def _process_group():
    """``minigrad.distributed`` when it is initialized with several processes, else None
    (never imported here: a script that uses it has imported it)."""
    dist = sys.modules.get("minigrad.distributed")
    if dist is None or not dist.is_initialized() or dist.get_world_size() == 1:
        return None
    return dist


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
            elif isinstance(item, (tuple, list)) and len(item) == 1:    # a DataLoader of x
                yield item[0], None
            else:
                yield item, None


def _pair(item):
    """An (x, y) batch: a tuple or list of two, whose x is not a single number (a row of a
    nested list of numbers is not a batch)."""
    return isinstance(item, (tuple, list)) and len(item) == 2 and \
        not isinstance(item[0], (numbers.Number, np.generic))


def _data(x, y, where, targets=True):
    """x (and y) as _Arrays or _Batches, checked before anything runs: types, an empty
    dataset, y given with batches that hold their own, batches that are not (x, y) pairs
    (``targets``: fit and evaluate need them)."""
    if isinstance(x, (str, bytes, dict, set)) or x is None or np.isscalar(x):
        raise TypeError(f"{where}: x must be an array, a Tensor or an iterable of (x, y) "
                        f"batches (a DataLoader), got {got(x)}")
    arrays = isinstance(x, (np.ndarray, Tensor)) or (
        y is not None and isinstance(x, (list, tuple)))
    if not arrays and y is not None:
        raise ValueError(f"{where}: y must be None when x is {_kind(x)}: its batches are "
                         f"(x, y) pairs already; got y of type {type(y).__name__}")
    if arrays:
        data = _Arrays(x, y, where)
    elif isinstance(x, (list, tuple)) and not (x and _pair(x[0])):
        try:
            data = _Arrays(np.asarray(x), None, where)
        except (TypeError, ValueError):
            data = _Batches(x)
    elif hasattr(x, "__iter__"):
        data = _Batches(x)
    else:
        raise TypeError(f"{where}: x must be an array, a Tensor or an iterable of (x, y) "
                        f"batches (a DataLoader), got {got(x)}")
    _check_data(data, where, "x", targets)
    return data


def _kind(x):
    return "a DataLoader" if isinstance(x, DataLoader) else \
        f"a {type(x).__name__} of batches"


def _check_data(data, where, name, targets):
    """No samples, or batches without targets where they are needed: refused up front."""
    if isinstance(data, _Arrays):
        if len(data) == 0:
            raise ValueError(f"{where}: {name} has no samples (shape {data.x.shape})")
        if targets and data.y is None:
            raise ValueError(f"{where}: y is required with arrays {name} (the targets), got "
                             f"y=None; or pass {name} as batches of (x, y) pairs")
        return
    source = data.iterable
    steps = data.steps(1)
    if steps == 0:
        what = (f"a DataLoader of 0 batches ({len(source.dataset)} items, batch_size="
                f"{source.batch_size}, drop_last={source.drop_last})"
                if isinstance(source, DataLoader) else f"an empty {type(source).__name__}")
        raise ValueError(f"{where}: {name} has no samples: it is {what}")
    if not targets:
        return
    if isinstance(source, DataLoader) and isinstance(source.dataset, TensorDataset) \
            and len(source.dataset.arrays) != 2:
        raise ValueError(f"{where}: {name} is a DataLoader whose batches have "
                         f"{len(source.dataset.arrays)} fields; expected (x, y) pairs, e.g. "
                         f"DataLoader(TensorDataset(x, y))")
    if isinstance(source, (list, tuple)):
        bad = next((i for i, item in enumerate(source) if not _pair(item)), None)
        if bad is not None:
            raise ValueError(f"{where}: {name} is a {type(source).__name__} of batches whose "
                             f"item {bad} is {got(source[bad]):.60}, not an (x, y) pair; pass "
                             f"arrays as ({name}, y) or batches as [(x, y), ...]")


def _validation(validation_data, train, epochs):
    """fit's validation_data: (x_val, y_val) arrays, or an iterable of (x, y) batches."""
    expected = "(x_val, y_val) or an iterable of (x, y) batches (a DataLoader)"
    v = validation_data
    if isinstance(v, (np.ndarray, Tensor, str, bytes, dict, set)) or np.isscalar(v) or \
            not hasattr(v, "__iter__"):
        raise TypeError(f"fit: validation_data must be {expected}, got {got(v)}")
    if isinstance(v, (tuple, list)) and len(v) == 2 and not _pair(v[0]):
        val = _Arrays(v[0], v[1], "fit: validation_data")
        _check_data(val, "fit", "validation_data", True)
        if isinstance(train, _Arrays) and val.x.shape[1:] != train.x.shape[1:]:
            raise ValueError(f"fit: validation_data has samples of shape {val.x.shape[1:]}, "
                             f"x has {train.x.shape[1:]}")
        return val
    if isinstance(v, (tuple, list)) and not all(_pair(item) for item in v):
        raise ValueError(f"fit: validation_data must be {expected}, got a "
                         f"{type(v).__name__} of {len(v)} items that are not all (x, y) pairs")
    if iter(v) is v and epochs > 1:
        raise ValueError("fit: validation_data is a one-shot iterator; several epochs need a "
                         "re-iterable (a list of batches, a DataLoader)")
    val = _Batches(v)
    _check_data(val, "fit", "validation_data", True)
    return val


def _target_array(y):
    if y is None:
        raise ValueError("fit/evaluate: no targets: pass y, or batches that are (x, y) pairs")
    return as_array(y, "y")


# -- the model's side ------------------------------------------------------------------------
def _unwrap(model):
    """(the module, its DistributedDataParallel wrapper or None): fit takes either."""
    dist = sys.modules.get("minigrad.distributed")
    if dist is not None and isinstance(model, dist.DistributedDataParallel):
        return model.module, model
    return model, None


def _module(model, where):
    if not isinstance(model, Module):
        raise TypeError(f"{where}: model must be a minigrad Module, got {got(model)}")
    return model


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

    def __init__(self, dist=None):
        self.sums, self.count = {}, 0
        self.dist = dist          # data-parallel: means over every rank's samples

    def add(self, values, n):
        for k, v in values.items():
            self.sums[k] = self.sums.get(k, 0.0) + v * n
        self.count += n

    def totals(self):
        """(sums, count), summed over the ranks under data-parallel training."""
        if self.dist is None:
            return self.sums, self.count
        values = np.array([*self.sums.values(), self.count], dtype=np.float64)
        self.dist.all_reduce(values)
        return dict(zip(self.sums, values[:-1].tolist())), float(values[-1])

    def means(self):
        sums, count = self.totals()
        return {k: s / count for k, s in sums.items()} if count else {}


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
def _check_fit_args(epochs, batch_size, validation_split, shuffle, verbose, seed,
                    initial_epoch, checkpoint, resume, checkpoint_every):
    """fit's plain arguments, each checked before anything runs (TypeError for a wrong
    type, ValueError for a wrong value); returns the checkpoint path as a str."""
    check_int("fit", "epochs", epochs, low=0)
    check_int("fit", "batch_size", batch_size, low=1)
    check_real("fit", "validation_split", validation_split, 0, 1, high_open=True)
    check_bool("fit", "shuffle", shuffle)
    check_choice("fit", "verbose", verbose, (0, 1, 2))
    check_int("fit", "seed", seed, low=0, none=True)
    check_int("fit", "initial_epoch", initial_epoch, low=0)
    if initial_epoch > epochs:
        raise ValueError(f"fit: initial_epoch must be ≤ epochs (the epoch to train until), "
                         f"got initial_epoch={initial_epoch} with epochs={epochs}")
    checkpoint = check_path("fit", "checkpoint", checkpoint, none=True)
    if checkpoint is not None:
        _check_writable("fit: checkpoint=", checkpoint)
    if not (resume is None or isinstance(resume, (bool, np.bool_, str, bytes, os.PathLike))):
        raise TypeError(f"fit: resume must be None, True, False or a path, got {got(resume)}")
    check_int("fit", "checkpoint_every", checkpoint_every, low=1, none=True)
    if checkpoint_every is not None and checkpoint is None:
        raise ValueError(f"fit: checkpoint_every={checkpoint_every} needs checkpoint=path (the "
                         f"file to write every {checkpoint_every} batches), got "
                         f"checkpoint=None")
    return checkpoint


def _check_writable(where, path):
    """A file that a save can create: its directory exists and is writable, and it is not a
    directory itself."""
    directory = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise IsADirectoryError(errno.EISDIR, f"{where}{path!r} is a directory; expected a "
                                f"file path", path)
    if not os.path.isdir(directory):
        raise FileNotFoundError(errno.ENOENT, f"{where}{path!r} is in a directory that does "
                                f"not exist", directory)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, f"{where}{path!r} is in a directory that is not "
                              f"writable", directory)


def _check_callbacks(model, config, callbacks, validation):
    """Each callback's own check against this fit (ModelCheckpoint's filepath keys and
    directory, a ReduceLROnPlateau's monitored value, a scheduler's optimizer), with the log
    keys known to exist when it runs (unknown after a callback of the user's)."""
    keys = {"loss", *(m.name for m in config.metrics)}
    if validation:
        keys |= {f"val_{k}" for k in keys}
    for cb in callbacks:
        added = cb._fit_check(model, None if keys is None else set(keys))
        keys = keys | set(added) if keys is not None and _ours(cb) else None


def _train_epoch(model, config, data, batch_size, shuffle, callbacks, guard, placement,
                 position, resume_at=None, ddp=None, history=None):
    """One epoch of training batches; ``position`` follows the progress (for mid-epoch
    checkpoints), ``resume_at`` (from a checkpoint) skips the batches already done.  Under
    data-parallel training ``ddp`` (the DistributedDataParallel wrapper of ``model``) runs
    the forward and averages the gradients; the logs are means over every rank's samples.
    Each batch's own loss goes to ``history.step_loss`` (this rank's, under DDP)."""
    model.train()
    optimizer = config.optimizer
    forward = model if ddp is None else ddp
    position.means = means = _Means(None if ddp is None else _process_group())
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
        pred = forward(_inputs(x, placement))
        loss = _loss_value(config.loss(pred, target))
        loss.backward()
        with guard.critical():
            optimizer.step()
        values = _batch_values(config, loss, pred, target)
        means.add(values, len(target))
        if history is not None:
            history.step_loss.append(values["loss"])
        position.batch = batch + 1
        callbacks.on_batch_end(batch, means.means())
        if model.stop_training:
            break
    if not means.count:         # an iterable without len() that yielded nothing
        raise ValueError(f"fit: x yielded no batches in epoch {position.epoch + 1}")
    return means.means()


def _run_eval(model, config, data, batch_size, placement, bar=None, where="evaluate",
              dist=None):
    model.eval()
    means = _Means(dist)
    data = _eval_shard(data, dist)
    with no_grad():
        for x, y in data.batches(batch_size):
            target = _target_array(y)
            pred = model(_inputs(x, placement))
            loss = _loss_value(config.loss(pred, target))
            means.add(_batch_values(config, loss, pred, target), len(target))
            if bar is not None:
                bar.set_postfix_str(format_logs(means.means()), refresh=False)
                bar.update(1)
    logs = means.means()
    if not logs:
        raise ValueError(f"{where}: the data yielded no samples")
    return logs


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
    model, ddp = _unwrap(model)
    config = get_config(_module(model, "fit"))
    # Every argument is checked before anything changes (the generator that seed= reseeds
    # included) and before any batch is drawn.
    checkpoint = _check_fit_args(epochs, batch_size, validation_split, shuffle, verbose, seed,
                                 initial_epoch, checkpoint, resume, checkpoint_every)
    train = _data(x, y, "fit")
    if isinstance(train, _Batches) and iter(train.iterable) is train.iterable \
            and epochs - initial_epoch > 1:
        raise ValueError("fit: x is a one-shot iterator; several epochs need a re-iterable "
                         "(a list of batches, a DataLoader)")
    val = None
    if validation_data is not None:
        val = _validation(validation_data, train, epochs - initial_epoch)
    elif validation_split:
        if not isinstance(train, _Arrays):
            raise ValueError("fit: validation_split needs arrays x and y; pass "
                             "validation_data with batches")
        train, val = train.split(validation_split)
    user = as_callbacks(callbacks)
    _check_callbacks(model, config, user, val is not None)
    resume_from = resume_path(resume, checkpoint)
    if resume_from is not None and initial_epoch:
        raise ValueError(f"fit: give resume= or initial_epoch=, not both (the checkpoint "
                         f"says where to start), got initial_epoch={initial_epoch}")
    # A resume that fails changes nothing: not even the generator that seed= reseeds here.
    generator_before = mg_random.get_state() if resume_from is not None else None
    if seed is not None:
        mg_random.manual_seed(seed)
    dist = _process_group()
    rank = 0 if dist is None else dist.get_rank()
    if dist is not None and isinstance(train, _Arrays):
        train = _Shard(train, dist)
    # only rank 0 prints and writes the checkpoint
    history, progress = History(), ProgressLogger(verbose if rank == 0 else 0)
    params = {"epochs": epochs, "steps": train.steps(batch_size), "verbose": verbose}
    loaders = [d.iterable for d in (train, val)         # DataLoaders' own generators
               if isinstance(d, _Batches) and hasattr(d.iterable, "state_dict")]
    position = EpochPosition(loaders)
    writer = [] if checkpoint is None or rank != 0 else [
        CheckpointWriter(checkpoint, checkpoint_every, history, user, position)]
    # History after the user's callbacks, which may add to the logs (lr), as in Keras; the
    # checkpoint after both, so that it holds the whole epoch.
    cbs = CallbackList([*user, history, *writer, progress], model, params)
    placement, modes, logs = _placement(model), _modes(model), {}
    model.stop_training = False
    guard = _InterruptGuard()
    made_ddp = dist is not None and ddp is None
    if made_ddp:            # rank 0's weights everywhere; gradients averaged from here on
        ddp = dist.DistributedDataParallel(model)
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
                    sampler = getattr(getattr(train, "iterable", None), "sampler", None)
                    if hasattr(sampler, "set_epoch"):     # a DistributedSampler's order
                        sampler.set_epoch(epoch)
                    logs = _train_epoch(model, config, train, batch_size, shuffle, cbs, guard,
                                        placement, position, at,
                                        ddp if dist is not None else None, history)
                    at = None
                    if val is not None:
                        val_logs = _run_eval(model, config, val, batch_size, placement,
                                             where="fit: validation_data", dist=dist)
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
        if made_ddp:
            ddp.remove_hooks()
    return history


# -- evaluate / predict ---------------------------------------------------------------------
def evaluate(model, x, y=None, batch_size=32, verbose=1, return_dict=False):
    """Loss and metrics of the compiled model on (x, y), in eval mode under no_grad.

    Returns:
        The loss (a float) when compiled without metrics, else ``[loss, *metrics]`` in
        compile's order (Keras), or ``{"loss": ..., name: ...}`` with
        ``return_dict=True``.  Means over samples.
    """
    model, _ = _unwrap(model)
    config = get_config(_module(model, "evaluate"))
    check_int("evaluate", "batch_size", batch_size, low=1)
    check_choice("evaluate", "verbose", verbose, (0, 1, 2))
    check_bool("evaluate", "return_dict", return_dict)
    data = _data(x, y, "evaluate")
    dist = _process_group()         # data-parallel: each rank a part, means over all
    if dist is not None and dist.get_rank() != 0:
        verbose = 0
    modes = _modes(model)
    bar = make_bar(data.steps(batch_size), "evaluate") if verbose == 1 else None
    try:
        logs = _run_eval(model, config, data, batch_size, _placement(model), bar, dist=dist)
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
    _module(model, "predict")
    check_int("predict", "batch_size", batch_size, low=1)
    check_choice("predict", "verbose", verbose, (0, 1, 2))
    data = _data(x, None, "predict", targets=False)
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
