"""``minigrad.metrics``: classification metrics and plots (sklearn's names).

>>> from minigrad import metrics
>>> metrics.f1_score([0, 1, 2, 2], [0, 2, 2, 2], average="macro")
0.6
>>> print(metrics.classification_report(y_test, model.predict(x_test)))

Everything takes NumPy arrays or Tensors.  matplotlib is imported only by the plot helpers.
"""
from .classification import (accuracy, classification_report, confusion_matrix, f1_score,
                             precision, precision_recall_f1, recall)
from .plots import plot_confusion_matrix, plot_history

__all__ = ["accuracy", "precision", "recall", "f1_score", "precision_recall_f1",
           "confusion_matrix", "classification_report", "plot_history",
           "plot_confusion_matrix"]
