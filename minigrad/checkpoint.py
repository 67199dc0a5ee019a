"""``save_checkpoint`` / ``load_checkpoint``: a training run's whole state in one file.

A checkpoint is one :func:`minigrad.save` file (``.npz`` + JSON manifest, no pickle, written
atomically) holding a dict::

    {"format": "minigrad.checkpoint", "version": 1,
     "epoch": ..., "step": ..., "extra": ...,           # the caller's counters and values
     "model": model.state_dict(),
     "optimizer": {"class": "Adam", "state": optimizer.state_dict(), "steps": n},
     "scheduler": [{"class": "StepLR", "state": scheduler.state_dict()}, ...],
     "dataloader": [loader.state_dict(), ...],           # their shuffling generators
     "rng": minigrad.random.get_state(),                 # init, dropout, fit's shuffling
     "train": {...}}                                     # fit's history and callbacks

Only the entries that were given are written.  ``minigrad.load(path)["model"]`` is an
ordinary state dict.  Loading checks everything it can before it changes anything, and if a
``load_state_dict`` still fails midway, what was already loaded is put back: a failed load
leaves the model, optimizer, schedulers, loaders and generator as they were.
"""
import copy

import numpy as np

from . import random as mg_random
from ._check import check_int
from .serialization import CheckpointFormatError, file_path, load, save_as

__all__ = ["save_checkpoint", "load_checkpoint", "CheckpointFormatError"]

FORMAT = "minigrad.checkpoint"
VERSION = 1


def _as_list(obj):
    if obj is None:
        return []
    return list(obj) if isinstance(obj, (list, tuple)) else [obj]


def _typed_state(obj):
    return {"class": type(obj).__name__, "state": obj.state_dict()}


def checkpoint_dict(model=None, optimizer=None, scheduler=None, dataloader=None, epoch=None,
                    step=None, extra=None, rng=True):
    """The dict :func:`save_checkpoint` writes (states are copies or shared arrays; write it
    with ``minigrad.save`` before training goes on)."""
    ckpt = {"format": FORMAT, "version": VERSION, "epoch": epoch, "step": step,
            "extra": extra}
    if model is not None:
        ckpt["model"] = model.state_dict()
    if optimizer is not None:
        ckpt["optimizer"] = {**_typed_state(optimizer), "steps": optimizer._step_count}
    if scheduler is not None:
        ckpt["scheduler"] = [_typed_state(s) for s in _as_list(scheduler)]
    if dataloader is not None:
        ckpt["dataloader"] = [d.state_dict() for d in _as_list(dataloader)]
    if rng:
        ckpt["rng"] = mg_random.get_state()
    return ckpt


def save_checkpoint(path, model=None, optimizer=None, scheduler=None, dataloader=None,
                    epoch=None, step=None, extra=None, rng=True):
    """Write everything needed to continue training to ``path``, atomically.

    Args:
        path: the file (any name; written as :func:`minigrad.save` writes: under a
            temporary name, then renamed over it, so a crash leaves the previous checkpoint
            intact; its mode is kept and a symlink's target is replaced).
        model: a Module: its ``state_dict()`` (parameters and buffers).
        optimizer: an Optimizer: its ``state_dict()`` and step count.
        scheduler: an lr scheduler (ReduceLROnPlateau included), or a list of them.
        dataloader: a DataLoader, or a list: their own shuffling/augmentation generators
            (those built with ``seed=``; the others draw from minigrad's generator).
        epoch, step: your counters (ints), returned by :func:`load_checkpoint`.  ``fit``
            writes ``epoch`` = the number of completed epochs.
        extra: anything :func:`minigrad.save` can write (numbers, strings, arrays, dicts).
        rng: also save minigrad's generator (parameter init, dropout masks, shuffling).

    >>> minigrad.save_checkpoint("run.ckpt", model=model, optimizer=opt, scheduler=sched,
    ...                          epoch=epoch + 1)
    """
    path = file_path("save_checkpoint", path)
    for name, value in (("epoch", epoch), ("step", step)):
        check_int("save_checkpoint", name, value, low=0, none=True)
    save_as("save_checkpoint", checkpoint_dict(model, optimizer, scheduler, dataloader, epoch,
                                               step, extra, rng), path)


def load_checkpoint(path, model=None, optimizer=None, scheduler=None, dataloader=None,
                    rng=True, strict=True):
    """Restore what :func:`save_checkpoint` wrote into the objects given; returns the
    checkpoint dict (``ckpt["epoch"]``, ``ckpt["step"]``, ``ckpt["extra"]``…).

    Build the model, optimizer and schedulers as for the original run (same classes, same
    parameter shapes and groups), then load.  Nothing in the file is executed.

    Args:
        model, optimizer, scheduler, dataloader: as in :func:`save_checkpoint`; each one
            given must have its entry in the file.
        rng: restore minigrad's generator too (when the file has it).
        strict: the model's ``load_state_dict(strict=...)``.

    Raises:
        CheckpointFormatError: the file is not a minigrad checkpoint, or it is truncated or
            corrupt (the message names the file and what is wrong).
        ValueError / RuntimeError: the checkpoint does not fit the objects (another
            optimizer class, other shapes…).  In every case nothing was changed.
    """
    path = file_path("load_checkpoint", path)
    ckpt = read_checkpoint(path)
    slots = checkpoint_slots(path, ckpt, model, optimizer, scheduler, dataloader, rng, strict)
    restore(path, slots)
    return ckpt


def read_checkpoint(path):
    """The checkpoint dict in ``path``, its layout checked (CheckpointFormatError if not)."""
    ckpt = load(path)
    if not isinstance(ckpt, dict) or ckpt.get("format") != FORMAT:
        what = "a dict" if isinstance(ckpt, dict) else f"a {type(ckpt).__name__}"
        raise CheckpointFormatError(
            f"load_checkpoint: {str(path)!r} holds {what} written by minigrad.save, not a "
            f"checkpoint written by save_checkpoint; read it with minigrad.load")
    version = ckpt.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version > VERSION:
        raise CheckpointFormatError(f"load_checkpoint: {str(path)!r} has checkpoint version "
                                    f"{version!r}; this minigrad reads versions up to "
                                    f"{VERSION}")
    for name in ("epoch", "step"):     # fit(resume=) counts epochs from these
        value = ckpt.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)
                                  or value < 0):
            raise CheckpointFormatError(f"load_checkpoint: {str(path)!r}: its {name} is "
                                        f"{value!r:.80}, expected None or an int ≥ 0")
    return ckpt


# -- restoring: check, snapshot, load, roll back on failure ----------------------------------
class Slot:
    """One object restored from a checkpoint: ``name`` for messages, ``state`` from the file,
    ``get()`` its current state (kept to roll back), ``put(state)`` loads a state."""

    def __init__(self, name, state, get, put):
        self.name, self.state, self.get, self.put = name, state, get, put


def _entry(path, ckpt, key, what):
    if key not in ckpt:
        raise ValueError(f"load_checkpoint: {str(path)!r} has no {what} state (it was saved "
                         f"without {key}=)")
    return ckpt[key]


def _check_typed(path, entry, obj, what):
    if not isinstance(entry, dict) or not {"class", "state"} <= set(entry):
        raise CheckpointFormatError(f"load_checkpoint: {str(path)!r}: the {what} entry is "
                                    f"malformed (expected {{'class', 'state'}})")
    if entry["class"] != type(obj).__name__:
        raise ValueError(f"load_checkpoint: {str(path)!r} holds {what} state of class "
                         f"{entry['class']!s:.80}, expected {what} state of class "
                         f"{type(obj).__name__} (the {what} given)")
    return entry["state"]


def _check_list(path, entry, objs, what):
    if not isinstance(entry, list) or len(entry) != len(objs):
        got = len(entry) if isinstance(entry, list) else type(entry).__name__
        raise ValueError(f"load_checkpoint: {str(path)!r} holds {got} {what} state(s), got "
                         f"{len(objs)} {what}(s) to load")
    return entry


def _model_slot(model, state, strict):
    def get():      # state_dict() shares the live arrays: copy them
        return {k: np.array(v.numpy(), copy=True) for k, v in model.state_dict().items()}
    return Slot("model", state, get, lambda s: model.load_state_dict(s, strict=strict))


def _optimizer_slot(path, optimizer, entry):
    state = _check_typed(path, entry, optimizer, "optimizer")
    steps = entry.get("steps", 0)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 0:
        raise CheckpointFormatError(f"load_checkpoint: {str(path)!r}: the optimizer's step "
                                    f"count is {steps!r:.80}, expected an int ≥ 0")

    def put(saved):
        sd, n = saved
        optimizer.load_state_dict(sd)
        optimizer._step_count = n
    return Slot("optimizer", (state, steps),
                lambda: (optimizer.state_dict(), optimizer._step_count), put)


def _scheduler_slot(path, scheduler, entry, i):
    state = _check_typed(path, entry, scheduler, "scheduler")
    current = scheduler.state_dict()
    if not isinstance(state, dict) or set(state) != set(current):
        got = sorted(map(str, state)) if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"load_checkpoint: {str(path)!r}: scheduler {i} "
                         f"({type(scheduler).__name__}) state has entries {got}, expected "
                         f"{sorted(current)}")
    return Slot(f"scheduler {i}", state, lambda: copy.deepcopy(scheduler.state_dict()),
                scheduler.load_state_dict)


def checkpoint_slots(path, ckpt, model=None, optimizer=None, scheduler=None, dataloader=None,
                     rng=True, strict=True):
    """The :class:`Slot` of every object given, after the checks that need no loading."""
    slots = []
    if model is not None:
        slots.append(_model_slot(model, _entry(path, ckpt, "model", "model"), strict))
    if optimizer is not None:
        slots.append(_optimizer_slot(path, optimizer,
                                     _entry(path, ckpt, "optimizer", "optimizer")))
    schedulers = _as_list(scheduler)
    if schedulers:
        entries = _check_list(path, _entry(path, ckpt, "scheduler", "scheduler"), schedulers,
                              "scheduler")
        slots += [_scheduler_slot(path, s, e, i)
                  for i, (s, e) in enumerate(zip(schedulers, entries))]
    loaders = _as_list(dataloader)
    if loaders:
        entries = _check_list(path, _entry(path, ckpt, "dataloader", "dataloader"), loaders,
                              "dataloader")
        slots += [Slot(f"dataloader {i}", e, loader.state_dict, loader.load_state_dict)
                  for i, (loader, e) in enumerate(zip(loaders, entries))]
    if rng and "rng" in ckpt:
        slots.append(Slot("random generator", ckpt["rng"], mg_random.get_state,
                          mg_random.set_state))
    return slots


def restore(path, slots):
    """Load every slot; if one fails, put back the ones loaded before it and re-raise, with
    a note naming the file and the part that failed."""
    done = []
    for slot in slots:
        previous = slot.get()
        try:
            slot.put(slot.state)
        except Exception as exc:
            for earlier, state in reversed(done):
                earlier.put(state)
            try:
                slot.put(previous)       # a load that checks first has changed nothing
            except Exception:            # noqa: BLE001  (the original error matters more)
                pass
            exc.add_note(f"load_checkpoint: while loading the {slot.name} from "
                         f"{str(path)!r}; nothing was changed")
            raise
        done.append((slot, previous))
