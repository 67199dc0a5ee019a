"""Progress output of fit/evaluate: a tqdm bar per epoch (verbose=1), one line per epoch
(verbose=2), nothing (verbose=0).

tqdm is imported when a bar is first needed (``tqdm.auto``: a widget in a notebook with
ipywidgets, text elsewhere, a notebook without ipywidgets included; text goes to
``sys.stdout`` with ``dynamic_ncols`` so a non-tty log gets readable lines).  Without tqdm,
verbose=1 prints the per-epoch line instead.
"""
import sys
import time
import warnings

from .callbacks import Callback

__all__ = ["ProgressLogger", "format_logs"]


def format_logs(logs):
    """``"loss: 0.1234 - accuracy: 0.9500"``."""
    return " - ".join(f"{k}: {v:.4g}" if isinstance(v, float) and k == "lr"
                      else f"{k}: {v:.4f}" for k, v in logs.items())


def make_bar(total, desc):
    """A tqdm bar writing to the current sys.stdout, or None when tqdm is not installed."""
    try:
        with warnings.catch_warnings():
            # In a Jupyter kernel without ipywidgets tqdm.auto falls back to the text bar,
            # which works there, but first warns "IProgress not found" on stderr.
            warnings.filterwarnings("ignore", message="IProgress not found")
            from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=desc, file=sys.stdout, dynamic_ncols=True, leave=True,
                unit="batch", mininterval=0.2)


class ProgressLogger(Callback):
    """The fit progress display (added by fit itself, last, after the user's callbacks)."""

    def __init__(self, verbose):
        super().__init__()
        self.verbose = verbose
        self.bar = None

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
        self.desc = f"Epoch {epoch + 1}/{self.params['epochs']}"
        if self.verbose == 1:
            self.bar = make_bar(self.params.get("steps"), self.desc)

    def on_batch_end(self, batch, logs=None):
        if self.bar is not None:
            self.bar.set_postfix_str(format_logs(logs or {}), refresh=False)
            self.bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        if self.bar is not None:
            self.bar.set_postfix_str(format_logs(logs or {}), refresh=False)
            self.close()
        elif self.verbose:
            seconds = time.perf_counter() - self.start
            print(f"{self.desc} - {seconds:.2f}s - {format_logs(logs or {})}", flush=True)

    def on_train_end(self, logs=None):
        self.close()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
