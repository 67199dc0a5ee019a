"""minigrad.metrics against hand-computed values, zero division, input forms, plots."""
import sys
import warnings

import numpy as np
import pytest

import minigrad
from minigrad import metrics
from minigrad.train import History

# A 3-class example worked out by hand:
#   y_true 0 0 0 1 1 2 2 2 2
#   y_pred 0 1 0 1 2 2 2 0 1
# cm (rows true, columns predicted) = [[2 1 0], [0 1 1], [1 1 2]]
# tp = (2, 1, 2), predicted = (3, 3, 3), support = (3, 2, 4)
Y_TRUE = [0, 0, 0, 1, 1, 2, 2, 2, 2]
Y_PRED = [0, 1, 0, 1, 2, 2, 2, 0, 1]
PRECISION = [2 / 3, 1 / 3, 2 / 3]
RECALL = [2 / 3, 1 / 2, 1 / 2]
F1 = [4 / 6, 2 / 5, 4 / 7]                # 2·tp / (predicted + support)


@pytest.fixture(autouse=True)
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def test_confusion_matrix_and_accuracy():
    cm = metrics.confusion_matrix(Y_TRUE, Y_PRED)
    np.testing.assert_array_equal(cm, [[2, 1, 0], [0, 1, 1], [1, 1, 2]])
    assert cm.dtype == np.int64
    assert metrics.accuracy(Y_TRUE, Y_PRED) == pytest.approx(5 / 9)
    cm = metrics.confusion_matrix(Y_TRUE, Y_PRED, num_classes=5)
    assert cm.shape == (5, 5) and cm[3:].sum() == 0 and cm[:, 3:].sum() == 0
    with pytest.raises(ValueError, match="out of range"):
        metrics.confusion_matrix(Y_TRUE, Y_PRED, num_classes=2)


def test_per_class_and_averages():
    np.testing.assert_allclose(metrics.precision(Y_TRUE, Y_PRED), PRECISION)
    np.testing.assert_allclose(metrics.recall(Y_TRUE, Y_PRED), RECALL)
    np.testing.assert_allclose(metrics.f1_score(Y_TRUE, Y_PRED), F1)
    support = np.array([3, 2, 4])
    assert metrics.f1_score(Y_TRUE, Y_PRED, average="macro") == pytest.approx(np.mean(F1))
    assert metrics.f1_score(Y_TRUE, Y_PRED, average="weighted") == pytest.approx(
        (support * F1).sum() / 9)
    assert metrics.precision(Y_TRUE, Y_PRED, average="weighted") == pytest.approx(16 / 27)
    assert metrics.recall(Y_TRUE, Y_PRED, average="macro") == pytest.approx(5 / 9)
    for fn in (metrics.precision, metrics.recall, metrics.f1_score):
        assert fn(Y_TRUE, Y_PRED, average="micro") == pytest.approx(5 / 9)   # = accuracy
    p, r, f, s = metrics.precision_recall_f1(Y_TRUE, Y_PRED, average=None)
    np.testing.assert_array_equal(s, support)
    with pytest.raises(ValueError, match="average"):
        metrics.f1_score(Y_TRUE, Y_PRED, average="binary")


def test_zero_division_is_zero_without_warning():
    # Class 1 is predicted but never true; class 2 true but never predicted.
    y_true, y_pred = [0, 0, 2], [0, 1, 0]
    np.testing.assert_allclose(metrics.precision(y_true, y_pred), [0.5, 0.0, 0.0])
    np.testing.assert_allclose(metrics.recall(y_true, y_pred), [0.5, 0.0, 0.0])
    np.testing.assert_allclose(metrics.f1_score(y_true, y_pred), [0.5, 0.0, 0.0])
    # A class in neither (3, with num_classes=4) is 0 per class and left out of "macro".
    f1 = metrics.f1_score(y_true, y_pred, num_classes=4)
    np.testing.assert_allclose(f1, [0.5, 0.0, 0.0, 0.0])
    assert metrics.f1_score(y_true, y_pred, num_classes=4, average="macro") == \
        pytest.approx(0.5 / 3)
    assert metrics.precision([], [], average="macro") == 0.0
    assert metrics.f1_score([], [], average="weighted") == 0.0
    assert metrics.accuracy([], []) == 0.0
    assert metrics.confusion_matrix([], []).shape == (0, 0)


def test_inputs_scores_one_hot_tensors_and_binary():
    rng = np.random.default_rng(0)
    scores = rng.normal(size=(9, 3)).astype(np.float32)
    scores[np.arange(9), Y_PRED] += 10.0                   # argmax = Y_PRED
    onehot = np.eye(3)[Y_TRUE]
    cm = metrics.confusion_matrix(minigrad.tensor(onehot), minigrad.tensor(scores))
    np.testing.assert_array_equal(cm, metrics.confusion_matrix(Y_TRUE, Y_PRED))
    assert metrics.accuracy(np.array(Y_TRUE, dtype=np.float32), scores) == \
        pytest.approx(5 / 9)
    probs = np.array([[0.9], [0.2], [0.6], [0.4]])         # binary probabilities (N, 1)
    assert metrics.accuracy([1, 0, 0, 0], probs) == 0.75
    logits = np.array([2.0, -1.0, 0.5, -0.3])
    assert metrics.accuracy([1, 0, 1, 0], logits, threshold=0.0) == 1.0
    np.testing.assert_array_equal(metrics.confusion_matrix([1, 0, 0, 0], probs),
                                  [[2, 1], [0, 1]])
    with pytest.raises(ValueError, match="samples"):
        metrics.accuracy([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="≥ 0"):
        metrics.accuracy([-1, 1], [0, 1])


def test_classification_report_layout():
    report = metrics.classification_report(Y_TRUE, Y_PRED, target_names=["a", "b", "c"])
    lines = report.splitlines()
    assert lines[0].split() == ["precision", "recall", "f1-score", "support"]
    assert lines[2].split() == ["a", "0.67", "0.67", "0.67", "3"]
    assert lines[3].split() == ["b", "0.33", "0.50", "0.40", "2"]
    assert lines[4].split() == ["c", "0.67", "0.50", "0.57", "4"]
    assert lines[6].split() == ["accuracy", "0.56", "9"]
    assert lines[7].split() == ["macro", "avg", "0.56", "0.56", "0.55", "9"]
    assert lines[8].split()[:2] == ["weighted", "avg"]
    # Columns line up: every number ends at the same offsets as the header's names.
    assert len({len(line) for line in lines if line}) == 1
    assert "0.5556" in metrics.classification_report(Y_TRUE, Y_PRED, digits=4)
    with pytest.raises(ValueError, match="target_names"):
        metrics.classification_report(Y_TRUE, Y_PRED, target_names=["a"])


PNG = b"\x89PNG\r\n\x1a\n"


def test_plots_write_png(tmp_path):
    pytest.importorskip("matplotlib")
    history = History()
    for epoch, (loss, acc) in enumerate([(1.0, 0.5), (0.6, 0.7), (0.4, 0.8)]):
        history.on_epoch_end(epoch, {"loss": loss, "accuracy": acc, "val_loss": loss + 0.1,
                                     "val_accuracy": acc - 0.1})
    fig = metrics.plot_history(history, tmp_path / "history.png")
    assert len(fig.axes) == 2 and [a.get_title() for a in fig.axes] == ["loss", "accuracy"]
    assert (tmp_path / "history.png").read_bytes()[:8] == PNG
    metrics.plot_history({"loss": [3.0, 2.0]}, tmp_path / "dict.png")
    assert (tmp_path / "dict.png").read_bytes()[:8] == PNG
    cm = metrics.confusion_matrix(Y_TRUE, Y_PRED)
    metrics.plot_confusion_matrix(cm, ["a", "b", "c"], tmp_path / "cm.png", normalize=True)
    assert (tmp_path / "cm.png").read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="class names"):
        metrics.plot_confusion_matrix(cm, ["a"])


def test_history_plot_draws_every_step_on_the_epoch_axis():
    pytest.importorskip("matplotlib")
    import numpy as np

    from minigrad import nn, train

    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    model = train.Sequential(nn.Linear(3, 1))
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0, seed=0)
    assert len(history.step_loss) == 6 and history.epoch_steps == [3, 6]  # 16 + 16 + 8
    # each epoch's logged loss is the sample-weighted mean of its steps' losses
    first, second = history.step_loss[:3], history.step_loss[3:]
    assert np.isclose((16 * first[0] + 16 * first[1] + 8 * first[2]) / 40,
                      history.history["loss"][0])
    assert np.isclose((16 * second[0] + 16 * second[1] + 8 * second[2]) / 40,
                      history.history["loss"][1])
    fig = metrics.plot_history(history)
    per_step = next(line for line in fig.axes[0].lines if line.get_label() == "train, per step")
    assert np.allclose(per_step.get_xdata(), [1 / 3, 2 / 3, 1, 4 / 3, 5 / 3, 2])
    assert np.allclose(per_step.get_ydata(), history.step_loss)
    ticks = fig.axes[0].xaxis.get_major_locator().tick_values(0, 2)
    assert np.allclose(ticks, np.round(ticks))                  # whole epochs only
    restored = History()
    restored.load_state_dict(history.state_dict())
    assert restored.step_loss == history.step_loss and restored.epoch_steps == [3, 6]
    old = {"history": {"loss": [1.0]}, "epoch": [0]}            # saved before step_loss
    restored.load_state_dict(old)
    assert restored.step_loss == [] and restored.epoch == [0]
    before = restored.state_dict()
    with pytest.raises(ValueError, match="epoch_steps"):
        restored.load_state_dict({**history.state_dict(), "epoch_steps": [6, 3]})
    assert restored.state_dict() == before


def test_plots_without_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib.figure", None)
    monkeypatch.setitem(sys.modules, "matplotlib.backends.backend_agg", None)
    with pytest.raises(ImportError, match="pip install matplotlib"):
        metrics.plot_history({"loss": [1.0]})
