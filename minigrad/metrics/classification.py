"""Classification metrics on NumPy arrays or Tensors (sklearn's definitions and names).

Labels: ``y_true`` / ``y_pred`` are integer class labels (N,), or
* scores / one-hot rows (N, K) with K > 1: the argmax is taken;
* floating-point ``y_pred`` of shape (N,) or (N, 1): binary scores, class 1 where
  ``y_pred > threshold`` (0.5: probabilities; pass ``threshold=0`` for logits);
* floating-point ``y_true`` of shape (N,) or (N, 1): whole numbers are labels, other values
  are soft binary targets rounded at 0.5.

Zero division: a precision, recall or F1 whose denominator is 0 is 0, with no warning
(sklearn's ``zero_division=0`` without its warning).  A class that occurs in neither
``y_true`` nor ``y_pred`` gets 0 in per-class results and is left out of the "macro"
average (as sklearn, which only averages over the labels present).
"""
import numpy as np

__all__ = ["accuracy", "confusion_matrix", "precision", "recall", "f1_score",
           "precision_recall_f1", "classification_report"]

_AVERAGES = (None, "macro", "weighted", "micro")


def _numpy(a, name):
    from ..tensor import Tensor

    if isinstance(a, Tensor):
        a = a.numpy()
    a = np.asarray(a)
    if a.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected numbers, got dtype {a.dtype}")
    return a


def _labels(a, name, threshold, is_pred):
    """Integer labels (N,) from labels, scores (N, K) or binary scores (see module doc)."""
    a = _numpy(a, name)
    if a.ndim == 2 and a.shape[1] > 1:
        return a.argmax(axis=1).astype(np.int64)
    if a.ndim == 2 and a.shape[1] == 1:
        a = a[:, 0]
    if a.ndim != 1:
        raise ValueError(f"{name}: expected labels (N,) or scores (N, K), got shape {a.shape}")
    if a.dtype.kind == "f":
        if is_pred:
            return (a > threshold).astype(np.int64)
        if not np.all(a == np.round(a)):
            return (a > 0.5).astype(np.int64)
    labels = a.astype(np.int64)
    if labels.size and labels.min() < 0:
        raise ValueError(f"{name}: class labels must be ≥ 0, got {int(labels.min())}")
    return labels


def _pair(y_true, y_pred, threshold):
    t = _labels(y_true, "y_true", threshold, False)
    p = _labels(y_pred, "y_pred", threshold, True)
    if t.shape != p.shape:
        raise ValueError(f"y_true has {t.shape[0]} samples, y_pred {p.shape[0]}")
    return t, p


def accuracy(y_true, y_pred, threshold=0.5):
    """Fraction of samples whose predicted class is the true one (0.0 for no samples).

    Args:
        y_true: labels (N,), one-hot (N, K) or binary targets (see the module doc).
        y_pred: labels (N,), scores (N, K) or binary scores (N,)/(N, 1).
        threshold: for binary scores: class 1 where ``y_pred > threshold``.
    """
    t, p = _pair(y_true, y_pred, threshold)
    return float(np.mean(t == p)) if t.size else 0.0


def confusion_matrix(y_true, y_pred, num_classes=None, threshold=0.5):
    """The (K, K) int64 matrix ``cm[i, j]`` = number of samples of true class i predicted j.

    Args:
        y_true, y_pred: as in :func:`accuracy`.
        num_classes: K; default max label + 1 over both.
        threshold: for binary scores.

    >>> confusion_matrix([0, 1, 1], [0, 0, 1])
    array([[1, 0],
           [1, 1]])
    """
    t, p = _pair(y_true, y_pred, threshold)
    k = _num_classes(t, p, num_classes)
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k).astype(np.int64)


def _num_classes(t, p, num_classes):
    top = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
    if num_classes is None:
        return top
    if top > num_classes:
        raise ValueError(f"a label {top - 1} is out of range for num_classes={num_classes}")
    return int(num_classes)


def _divide(a, b):
    """a / b elementwise, 0 where b is 0 (no warning)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    out = np.zeros(np.broadcast(a, b).shape)
    np.divide(a, b, out=out, where=b != 0)
    return out


def precision_recall_f1(y_true, y_pred, num_classes=None, average=None, threshold=0.5):
    """(precision, recall, f1, support) in one pass; see :func:`precision`.

    support: per-class true counts (N_k) for ``average=None``, else their total (int).
    """
    if average not in _AVERAGES:
        raise ValueError(f"average must be one of {_AVERAGES}, got {average!r}")
    cm = confusion_matrix(y_true, y_pred, num_classes, threshold)
    tp = np.diag(cm).astype(np.float64)
    predicted, support = cm.sum(axis=0), cm.sum(axis=1)
    if average == "micro":
        # Each wrong sample is one fp (for its predicted class) and one fn (for its true one).
        p = r = f = float(_divide(tp.sum(), support.sum()))
        return p, r, f, int(support.sum())
    p, r = _divide(tp, predicted), _divide(tp, support)
    f = _divide(2 * tp, predicted + support)
    if average is None:
        return p, r, f, support
    if average == "macro":
        present = (predicted + support) > 0
        mean = (lambda v: float(v[present].mean()) if present.any() else 0.0)
    else:   # weighted by support
        mean = (lambda v: float(_divide((v * support).sum(), support.sum())))
    return mean(p), mean(r), mean(f), int(support.sum())


def precision(y_true, y_pred, num_classes=None, average=None, threshold=0.5):
    """Precision tp / (tp + fp) per class, or averaged.

    Args:
        y_true, y_pred: as in :func:`accuracy`.
        num_classes: K; default max label + 1.
        average: None: an array (K,) per class; "macro": the plain mean over the classes
            present in y_true or y_pred; "weighted": the mean weighted by each class's
            support (true count); "micro": from the totals of tp and fp over classes
            (equal to the accuracy for single-label data).
        threshold: for binary scores.

    A class with tp + fp = 0 has precision 0 (no warning).
    """
    return precision_recall_f1(y_true, y_pred, num_classes, average, threshold)[0]


def recall(y_true, y_pred, num_classes=None, average=None, threshold=0.5):
    """Recall tp / (tp + fn) per class, or averaged (arguments as :func:`precision`).

    A class with no true samples has recall 0 (no warning).
    """
    return precision_recall_f1(y_true, y_pred, num_classes, average, threshold)[1]


def f1_score(y_true, y_pred, num_classes=None, average=None, threshold=0.5):
    """F1 = 2·tp / (2·tp + fp + fn) (the harmonic mean of precision and recall) per class,
    or averaged (arguments as :func:`precision`; "macro" averages the per-class F1s).

    A class with 2·tp + fp + fn = 0 has F1 0 (no warning).
    """
    return precision_recall_f1(y_true, y_pred, num_classes, average, threshold)[2]


def classification_report(y_true, y_pred, num_classes=None, target_names=None, digits=2,
                          threshold=0.5):
    """A text table of precision, recall, F1 and support per class, then the accuracy and
    the macro and weighted averages (sklearn's layout).

    Args:
        y_true, y_pred, num_classes, threshold: as in :func:`precision`.
        target_names: a name per class (default the class numbers).
        digits: decimals shown.
    """
    p, r, f, support = precision_recall_f1(y_true, y_pred, num_classes, None, threshold)
    k = len(support)
    names = [str(i) for i in range(k)] if target_names is None else [str(n)
                                                                       for n in target_names]
    if len(names) != k:
        raise ValueError(f"classification_report: {len(names)} target_names for {k} classes")
    width = max([len("weighted avg"), digits] + [len(n) for n in names])
    head = ["precision", "recall", "f1-score", "support"]
    lines = [" " * width + " " + "".join(f"{h:>10}" for h in head), ""]

    def row(name, values, count):
        cells = "".join(f"{v:>10.{digits}f}" for v in values)
        return f"{name:>{width}} {cells}{count:>10}"

    for i in range(k):
        lines.append(row(names[i], (p[i], r[i], f[i]), int(support[i])))
    lines.append("")
    total = int(support.sum())
    acc = accuracy(y_true, y_pred, threshold)
    lines.append(f"{'accuracy':>{width}} {'':>20}{acc:>10.{digits}f}{total:>10}")
    for avg in ("macro", "weighted"):
        values = precision_recall_f1(y_true, y_pred, k, avg, threshold)[:3]
        lines.append(row(f"{avg} avg", values, total))
    return "\n".join(lines) + "\n"
