"""docs/results.md's table is the rendering of docs/results.json (what the commands
printed, stored by docs/make_results.py), README.md quotes the same numbers, and the
baselines of benchmarks/baselines.py work on problems whose answer is known.  No training
of the real models here: a few seconds in all."""
import importlib.util
import json
import os
import re

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _make_results():
    path = os.path.join(ROOT, "docs", "make_results.py")
    spec = importlib.util.spec_from_file_location("_make_results", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _results():
    with open(os.path.join(ROOT, "docs", "results.json")) as f:
        return json.load(f)


def _read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


def test_results_md_table_is_the_rendering_of_results_json():
    make = _make_results()
    text = _read("docs", "results.md")
    assert text.count(make.START) == 1 and text.count(make.END) == 1
    block = make.START + text.split(make.START, 1)[1].split(make.END, 1)[0] + make.END
    assert block == make.rendered_block(_results()), (
        "docs/results.md's table differs from docs/results.json: run "
        "`python docs/make_results.py --render` (or rerun the measurements)")


def test_results_json_has_every_program_measured():
    runs = _results()["runs"]
    for step in ("seed000", "seed001", "seed002", "seed003", "seed004", "pytorch",
                 "baselines"):
        assert step in runs, f"docs/results.json lacks {step}: run docs/make_results.py"
        assert runs[step]["command"] == _make_results().STEPS[step][0]
    for program in ("seed000", "seed002", "seed003", "seed004"):
        accuracy = runs[program]["metrics"]["test_accuracy"]
        assert 0.5 < accuracy <= 1.0


# Accuracy figures quoted next to "test accuracy", either way round: "test accuracy 90.99 %",
# "**test accuracy 90.99 %**", "~91% test accuracy", "test accuracy: 90.99%".
# (a line break may fall inside "test accuracy": README is wrapped at 92 columns)
_AFTER = re.compile(r"test\s+accuracy\W{0,6}?(\d+(?:\.\d+)?)\s?%", re.IGNORECASE)
_BEFORE = re.compile(r"(\d+(?:\.\d+)?)\s?%\**\s+test\s+accuracy", re.IGNORECASE)


def _quoted_accuracies(paragraph):
    return [m.group(1) for pattern in (_AFTER, _BEFORE) for m in pattern.finditer(paragraph)]


def _agrees(quoted, accuracy):
    """``quoted`` (a percentage as written, e.g. "90.99" or "91") is ``accuracy`` rounded to
    the digits written."""
    digits = len(quoted.split(".")[1]) if "." in quoted else 0
    return f"{100 * accuracy:.{digits}f}" == quoted


def test_readme_quotes_the_measured_make_train_accuracy():
    """Every test-accuracy percentage in README.md's paragraphs about ``make train``
    (seed000's CNN, seed 0) is docs/results.json's seed000 figure, to the digits written,
    and at least one of them is given to 2 decimals (so the check cannot pass empty)."""
    accuracy = _results()["runs"]["seed000"]["metrics"]["test_accuracy"]
    readme = _read("README.md")
    paragraphs = [p for p in re.split(r"\n\s*\n", readme) if "make train" in p]
    quoted = [q for p in paragraphs for q in _quoted_accuracies(p)]
    assert any(len(q.split(".")[-1]) == 2 and "." in q for q in quoted), (
        f"README.md's make train paragraphs quote no test accuracy to 2 decimals: {quoted}")
    wrong = [q for q in quoted if not _agrees(q, accuracy)]
    assert not wrong, (f"README.md says test accuracy {wrong} % for make train; "
                       f"docs/results.json (what seed000_cnn.py printed) has "
                       f"{100 * accuracy:.2f} %")


def test_quoted_accuracy_parser():
    text = ("make train: ~91% test accuracy\nmeasured: **test accuracy 90.99 %**, 149 s; "
            "Test accuracy: 0.5 % off, and **test\naccuracy 90.98 %** wrapped")
    assert sorted(_quoted_accuracies(text)) == ["0.5", "90.98", "90.99", "91"]
    assert _agrees("90.99", 0.9099) and _agrees("91", 0.9099)
    assert not _agrees("90.90", 0.9099) and not _agrees("90", 0.9099)


# --- the baselines ---------------------------------------------------------------------

def test_naive_bayes_separates_disjoint_vocabularies():
    """Three classes, each writing only its own three tokens: every test text is classified
    right, and the padding id is not counted."""
    from benchmarks.baselines import MultinomialNB, bag_of_tokens
    rng = np.random.default_rng(0)

    def texts(n):
        y = rng.integers(0, 3, n)
        ids = 1 + 3 * y[:, None] + rng.integers(0, 3, (n, 8))    # tokens 1..9
        ids[:, 6:] = 0                                           # padding
        return ids, y

    (x_train, y_train), (x_test, y_test) = texts(60), texts(40)
    counts = bag_of_tokens(x_train, 10)
    assert counts[:, 0].sum() == 0 and (counts.sum(axis=1) == 6).all()
    model = MultinomialNB().fit(counts, y_train, num_classes=3)
    assert np.exp(model.feature_log_prob).sum(axis=1) == pytest.approx(np.ones(3))
    assert (model.predict(bag_of_tokens(x_test, 10)) == y_test).all()


def test_naive_bayes_uses_the_prior_when_the_text_says_nothing():
    from benchmarks.baselines import MultinomialNB
    counts = np.array([[1, 0], [1, 0], [1, 0], [0, 1]])
    model = MultinomialNB().fit(counts, np.array([0, 0, 0, 1]))
    assert model.predict(np.zeros((1, 2))).tolist() == [0]      # 3 of 4 texts are class 0
    assert model.predict(np.array([[0, 5]])).tolist() == [1]


def test_softmax_regression_learns_linearly_separable_blobs():
    """Three Gaussian blobs far apart in 5 dimensions: chance is 1/3, a linear classifier
    gets nearly all of them."""
    from benchmarks.baselines import softmax_regression
    rng = np.random.default_rng(1)
    centres = 3.0 * np.eye(3, 5)

    def blobs(n):
        y = rng.integers(0, 3, n)
        return (centres[y] + 0.5 * rng.standard_normal((n, 5))).astype(np.float32), y

    (x_train, y_train), (x_test, y_test) = blobs(300), blobs(150)
    accuracy = softmax_regression(x_train, y_train, x_test, y_test, epochs=20, batch_size=32,
                                  lr=0.05)
    assert accuracy > 0.95
