"""Plots of training curves and confusion matrices, saved as PNG files.

matplotlib is optional (``pip install minigrad[plot]`` or ``pip install matplotlib``) and
imported only when a plot is made.  The figures are built with ``matplotlib.figure.Figure``
and drawn by the Agg (PNG) canvas, never through pyplot: no display is needed, the global
pyplot state and backend are left alone, and nothing leaks between calls.  The Figure is
returned too, so a notebook shows it when it is the cell's last value.
"""
import os

import numpy as np

__all__ = ["plot_history", "plot_confusion_matrix"]


def _figure(**kwargs):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(f"minigrad.metrics plots need matplotlib, which is not installed "
                          f"({exc}); install it with `pip install matplotlib`") from None
    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path):
    if path is not None:
        fig.savefig(os.fspath(path), format="png", dpi=100)
    return fig


def plot_history(history, path=None, metrics=None):
    """Loss and metric curves, training (solid) against validation (dashed), over epochs.

    When the History has per-step losses (``fit`` records them), the loss panel draws
    every training step as a thin line, placed along the epoch axis (step k of an epoch of
    n steps at epoch + k/n), with the epoch means as dots at each epoch's end: even a
    one-epoch run shows a curve.  The epoch axis has integer ticks.

    Args:
        history: a :class:`minigrad.train.History` (``model.fit``'s result) or its
            ``.history`` dict of lists.
        path: where to write the PNG (None: do not save).
        metrics: the names to plot (default every key without the ``val_`` prefix, except
            ``lr``), one panel each.

    Returns:
        The matplotlib Figure.
    """
    from matplotlib.ticker import MaxNLocator

    logs = getattr(history, "history", history)
    epochs = getattr(history, "epoch", None)
    if not isinstance(logs, dict) or not logs:
        raise ValueError("plot_history: expected a History or a non-empty dict of lists")
    names = metrics or [k for k in logs if not k.startswith("val_") and k != "lr"]
    names = names or [k[4:] for k in logs if k.startswith("val_")]
    fig = _figure(figsize=(4.5 * len(names), 3.5), layout="constrained")
    axes = fig.subplots(1, len(names), squeeze=False)[0]
    last = max(len(v) for v in logs.values() if isinstance(v, list))
    last = max(last, (epochs[-1] + 1) if epochs else 0)
    for ax, name in zip(axes, names):
        if name == "loss":
            steps_x, steps_y = _step_positions(history)
            if steps_y:
                ax.plot(steps_x, steps_y, "-", lw=0.6, alpha=0.45, label="train, per step")
        for key, style, label in ((name, "-", "train"), (f"val_{name}", "--", "validation")):
            values = logs.get(key)
            if values:
                x = [e + 1 for e in epochs] if epochs and len(epochs) == len(values) \
                    else range(1, len(values) + 1)
                ax.plot(list(x), values, style, marker="o", markersize=3, label=label)
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.set_xlim(-0.04 * last, 1.04 * last)        # from 0: whole epochs get ticks
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
        ax.legend()
    return _save(fig, path)


def _step_positions(history):
    """(x, loss) of every recorded training step: step k (1-based) of the n steps of the
    epoch e (0-based) is at x = e + k/n, so the epoch means (at x = e + 1) end each stretch.
    Steps of an epoch that did not complete are left out (its length is unknown)."""
    steps, ends = getattr(history, "step_loss", None), getattr(history, "epoch_steps", None)
    epochs = getattr(history, "epoch", None)
    if not steps or not ends or len(ends) != len(epochs):
        return [], []
    x, y, start = [], [], 0
    for epoch, end in zip(epochs, ends):
        n = end - start
        x += [epoch + (k + 1) / n for k in range(n)]
        y += steps[start:end]
        start = end
    return x, y


def plot_confusion_matrix(cm, class_names=None, path=None, normalize=False):
    """A confusion matrix as a heat map with the counts written in each cell.

    Args:
        cm: (K, K) array from :func:`minigrad.metrics.confusion_matrix` (rows: true class).
        class_names: K names (default 0 … K−1).
        path: where to write the PNG (None: do not save).
        normalize: show each row divided by its total (the per-class recall on the diagonal).

    Returns:
        The matplotlib Figure.
    """
    cm = np.asarray(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"plot_confusion_matrix: expected a square matrix, got {cm.shape}")
    k = cm.shape[0]
    names = [str(i) for i in range(k)] if class_names is None else [str(n)
                                                                      for n in class_names]
    if len(names) != k:
        raise ValueError(f"plot_confusion_matrix: {len(names)} class names for {k} classes")
    values = cm.astype(np.float64)
    if normalize:
        rows = values.sum(axis=1, keepdims=True)
        values = np.divide(values, rows, out=np.zeros_like(values), where=rows != 0)
    size = max(3.5, 0.5 * k + 2)
    fig = _figure(figsize=(size, size), layout="constrained")
    ax = fig.subplots()
    image = ax.imshow(values, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_xticks(range(k), names, rotation=45, ha="right")
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    top = values.max() if values.size else 0
    for i in range(k):
        for j in range(k):
            text = f"{values[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
            ax.text(j, i, text, ha="center", va="center", fontsize=8,
                    color="white" if top and values[i, j] > top / 2 else "black")
    return _save(fig, path)
