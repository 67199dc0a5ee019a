"""fit's checkpoints: the whole training state, written at the end of every epoch (and every
``checkpoint_every`` batches), and resuming from it bit-identically.

What makes a resumed run equal to an uninterrupted one, bit for bit, is that every input of
the remaining computation is restored: parameters and buffers, the optimizer's moments and
step counts, the lr schedulers, the callbacks' states (:meth:`Callback.state_dict`), the
History, minigrad's generator (dropout masks, fit's shuffling, unseeded augmentation) and the
DataLoaders' own generators.  Inside an epoch the batch order was drawn at the epoch's start,
so a mid-epoch checkpoint also keeps the generators' states *at the epoch's start*: resuming
replays the epoch's order, skips the batches already done (their data is fetched, not
trained on), then restores the generators to where the checkpoint was written.
"""
import errno
import numbers
import os

from .. import checkpoint as ckpt_io
from .. import random as mg_random
from ..serialization import save
from .callbacks import Callback
from .config import get_config

__all__ = ["EpochPosition", "CheckpointWriter", "resume_path", "resume"]


class EpochPosition:
    """Where fit is inside the current epoch: batches done, their running means (``means``,
    a ``_Means``), and the generators' states at the epoch's start."""

    def __init__(self, loaders):
        self.loaders = loaders
        self.epoch, self.batch, self.means, self.start = 0, 0, None, None

    def generators(self):
        return {"rng": mg_random.get_state(),
                "loaders": [loader.state_dict() for loader in self.loaders]}

    def set_generators(self, state):
        mg_random.set_state(state["rng"])
        for loader, saved in zip(self.loaders, state["loaders"]):
            loader.load_state_dict(saved)

    def begin(self, epoch):
        """Called just before the epoch's first batch is drawn."""
        self.epoch, self.batch, self.start = epoch, 0, self.generators()

    def state_dict(self):
        return {"batch": self.batch, "sums": dict(self.means.sums),
                "count": self.means.count, "epoch_start": self.start}

    def skip(self, batches, saved):
        """Fast-forward a fresh batch iterator of this epoch to ``saved["batch"]``: replay
        the order from the epoch's start, drop the batches done, come back to now."""
        now = self.generators()
        self.set_generators(saved["epoch_start"])
        for done in range(saved["batch"]):
            if next(batches, None) is None:
                raise ValueError(f"fit: the checkpoint was written after batch "
                                 f"{saved['batch']} of epoch {self.epoch + 1}, but this "
                                 f"epoch's data has only {done} batches (other data?)")
        self.set_generators(now)
        self.start, self.batch = saved["epoch_start"], saved["batch"]
        self.means.sums = dict(saved["sums"])
        self.means.count = saved["count"]


class CheckpointWriter(Callback):
    """Writes the training state after every epoch (and every ``every`` training batches),
    after every other callback (History and EarlyStopping included) has seen it."""

    def __init__(self, path, every, history, callbacks, position):
        super().__init__()
        self.path, self.every, self.history = path, every, history
        self.callbacks, self.position = callbacks, position
        self.step = 0          # training batches done since the run began

    def on_batch_end(self, batch, logs=None):
        self.step += 1
        # A run that is stopping goes on to its epoch's end, where a checkpoint follows.
        if self.every and self.step % self.every == 0 and not self.model.stop_training:
            self.write(self.position.epoch, self.position.state_dict())

    def on_epoch_end(self, epoch, logs=None):
        self.write(epoch + 1, None)

    def write(self, epoch, position):
        """``epoch``: epochs completed; ``position``: progress inside the next one."""
        optimizer = get_config(self.model).optimizer
        ckpt = ckpt_io.checkpoint_dict(model=self.model, optimizer=optimizer,
                                       dataloader=self.position.loaders or None,
                                       epoch=epoch, step=self.step)
        states = [(cb, cb.state_dict()) for cb in self.callbacks]
        ckpt["train"] = {
            "history": self.history.state_dict(),
            "callbacks": [{"class": type(cb).__name__, "state": state}
                          for cb, state in states if state is not None],
            "stopped": bool(self.model.stop_training),
            "position": position,
        }
        save(ckpt, self.path)


def resume_path(resume, checkpoint):
    """The file to resume from, or None: ``resume=True`` means fit's own checkpoint file
    if it exists (a fresh start otherwise)."""
    if resume is None or resume is False:
        return None
    if resume is True:
        if checkpoint is None:
            raise ValueError("fit: resume=True resumes from the checkpoint= file; give "
                             "checkpoint=path, or resume=path")
        return checkpoint if os.path.exists(checkpoint) else None
    path = os.fspath(resume)
    if not os.path.exists(path):     # checked before fit changes anything
        raise FileNotFoundError(errno.ENOENT, "fit: no checkpoint to resume from at resume= "
                                "(resume=True with checkpoint=path starts afresh while that "
                                "file does not exist yet)", path)
    return path


def _bad(path, what):
    return ckpt_io.CheckpointFormatError(f"fit: {path!r}: {what}")


def _check_int(path, name, value, low=0):
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise _bad(path, f"the {name} is {value!r:.80}, expected an int ≥ {low}")


def _check_position(path, position, n_loaders):
    if position is None:
        return
    if not isinstance(position, dict) or set(position) != {"batch", "sums", "count",
                                                           "epoch_start"}:
        raise _bad(path, "the position inside the epoch is malformed")
    _check_int(path, "batch position", position["batch"], 1)
    _check_int(path, "sample count", position["count"])
    sums, start = position["sums"], position["epoch_start"]
    if not isinstance(sums, dict) or not all(isinstance(k, str) and isinstance(
            v, numbers.Real) for k, v in sums.items()):
        raise _bad(path, "the running means of the epoch are malformed")
    if not isinstance(start, dict) or set(start) != {"rng", "loaders"} or \
            not isinstance(start["loaders"], list) or len(start["loaders"]) != n_loaders:
        raise _bad(path, "the generator states at the epoch's start are malformed")


def resume(path, model, history, callbacks, position):
    """Load a checkpoint written by fit into everything; returns (first epoch, stopped,
    the position inside that epoch or None, training batches done).

    Every part is checked before any is loaded, and a failed load puts back what it had
    loaded (see :mod:`minigrad.checkpoint`): on an error, nothing has changed."""
    ckpt = ckpt_io.read_checkpoint(path)
    train = ckpt.get("train")
    if not isinstance(train, dict) or not {"history", "callbacks", "stopped"} <= set(train):
        raise _bad(path, "a checkpoint without fit's training state (written by "
                         "save_checkpoint, not fit(checkpoint=...)); load it with "
                         "load_checkpoint and pass initial_epoch=")
    _check_int(path, "epoch", ckpt.get("epoch"))
    _check_int(path, "step", ckpt.get("step"))
    at = train.get("position")
    _check_position(path, at, len(position.loaders))
    slots = []
    if at is not None:
        # Loaded (hence checked) first; the current states are loaded after them.
        start = at["epoch_start"]
        slots.append(ckpt_io.Slot("generator at the epoch's start", start["rng"],
                                  mg_random.get_state, mg_random.set_state))
        slots += [ckpt_io.Slot("loader at the epoch's start", s, loader.state_dict,
                               loader.load_state_dict)
                  for loader, s in zip(position.loaders, start["loaders"])]
    slots += ckpt_io.checkpoint_slots(path, ckpt, model=model,
                                      optimizer=get_config(model).optimizer,
                                      dataloader=position.loaders or None)
    saved = train["callbacks"] if isinstance(train["callbacks"], list) else []
    stateful = [cb for cb in callbacks if cb.state_dict() is not None]
    names = [type(cb).__name__ for cb in stateful]
    saved_names = [e.get("class") if isinstance(e, dict) else None for e in saved]
    if saved_names != names:
        raise ValueError(f"fit: {path!r} was written with the callbacks {saved_names} (those "
                         f"with a state); this fit has {names}: pass the same callbacks, "
                         f"in the same order")
    slots += [ckpt_io.Slot(f"callback {name}", entry.get("state"), cb.state_dict,
                           cb.load_state_dict)
              for name, cb, entry in zip(names, stateful, saved)]
    slots.append(ckpt_io.Slot("history", train["history"], history.state_dict,
                              history.load_state_dict))
    ckpt_io.restore(path, slots)
    return ckpt["epoch"], bool(train["stopped"]), at, ckpt["step"]
