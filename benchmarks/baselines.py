"""Simple baselines for the source programs' tasks, on the same data as the examples.

    python -m benchmarks.baselines [--epochs 10] [--seed 0] [--json PATH] [--data-dir DIR]

* Fashion-MNIST (seed000, seed003, seed004): softmax regression (multinomial logistic
  regression) on the raw pixels scaled to [0, 1]: one ``Linear(784, 10)`` on the flattened
  image, cross-entropy on logits, trained with minigrad's ``fit`` on the same recipe as
  seed000's CNN (Adam lr 1e-3, batch 64, 10 epochs, reshuffled every epoch, seed 0), on
  all 60 000 training images; accuracy on the 10 000 test images.  No hidden layer, no
  convolution: what a CNN adds is the difference.
* the language-identification corpus (seed002): multinomial Naive Bayes with add-one
  (Laplace) smoothing on bag-of-token counts, with seed002_text.py's own split, vocabulary
  and encoding (the same token ids the neural model sees, cut to 64 tokens, ``<unk>``
  counted as a token, padding dropped).  No training loop at all: counts and a log.

Prints both accuracies and, with ``--json``, writes them.
"""
import argparse
import json
import time

import numpy as np


class MultinomialNB:
    """Multinomial Naive Bayes: p(class | text) ∝ p(class) · Π_tokens p(token | class),
    p(token | class) = (count(token, class) + α) / (Σ_t count(t, class) + α·V)."""

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def fit(self, counts, y, num_classes=None):
        """counts: (N, V) token counts; y: (N,) class indices."""
        counts, y = np.asarray(counts, dtype=np.float64), np.asarray(y)
        k = int(num_classes if num_classes is not None else y.max() + 1)
        per_class = np.zeros((k, counts.shape[1]))
        np.add.at(per_class, y, counts)
        self.class_log_prior = np.log(np.bincount(y, minlength=k) / len(y))
        smoothed = per_class + self.alpha
        self.feature_log_prob = np.log(smoothed / smoothed.sum(axis=1, keepdims=True))
        return self

    def predict(self, counts):
        scores = np.asarray(counts, dtype=np.float64) @ self.feature_log_prob.T
        return (scores + self.class_log_prior).argmax(axis=1)


def bag_of_tokens(ids, vocab_size, padding_idx=0):
    """(N, L) token ids → (N, V) counts, the padding id not counted."""
    ids = np.asarray(ids)
    counts = np.zeros((len(ids), vocab_size))
    rows = np.repeat(np.arange(len(ids)), ids.shape[1])
    np.add.at(counts, (rows, ids.ravel()), 1)
    counts[:, padding_idx] = 0
    return counts


def softmax_regression(x_train, y_train, x_test, y_test, epochs=10, batch_size=64, seed=0,
                       lr=1e-3, verbose=0):
    """Test accuracy of one Linear layer on the flattened inputs, trained with minigrad's
    ``fit`` (Adam, cross-entropy on logits)."""
    import minigrad
    from minigrad import nn, train
    x_train = np.asarray(x_train, dtype=np.float32).reshape(len(x_train), -1)
    x_test = np.asarray(x_test, dtype=np.float32).reshape(len(x_test), -1)
    num_classes = int(max(y_train.max(), y_test.max()) + 1)
    minigrad.manual_seed(seed)
    model = train.Sequential(nn.Linear(x_train.shape[1], num_classes))
    model.compile(optimizer="adam", lr=lr, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, np.asarray(y_train, dtype=np.int64), epochs=epochs,
              batch_size=batch_size, seed=seed, verbose=verbose)
    _, accuracy = model.evaluate(x_test, np.asarray(y_test, dtype=np.int64), batch_size=1000,
                                 verbose=0)
    return float(accuracy)


def fashion_mnist_baseline(epochs=10, seed=0, data_dir=None):
    from minigrad.data import datasets
    (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist(root=data_dir)
    prep = lambda x: x.astype(np.float32).reshape(len(x), -1) / 255
    start = time.perf_counter()
    accuracy = softmax_regression(prep(x_train), y_train, prep(x_test), y_test, epochs=epochs,
                                  seed=seed)
    return {"test_accuracy": accuracy, "epochs": epochs, "batch_size": 64, "seed": seed,
            "n_train": len(x_train), "n_test": len(x_test),
            "recipe": "Linear(784, 10) on pixels / 255, Adam 1e-3, batch 64, minigrad fit",
            "seconds": time.perf_counter() - start}


def text_baseline(seed=0):
    from benchmarks.accuracy_vs_pytorch import text_data
    data = text_data(seed)
    if data is None:
        return None
    (x_train, y_train), (x_test, y_test), vocab, classes = data
    start = time.perf_counter()
    model = MultinomialNB(alpha=1.0).fit(bag_of_tokens(x_train, len(vocab)), y_train,
                                         num_classes=len(classes))
    predicted = model.predict(bag_of_tokens(x_test, len(vocab)))
    return {"test_accuracy": float(np.mean(predicted == np.asarray(y_test))),
            "classes": list(classes), "n_train": len(x_train), "n_test": len(x_test),
            "vocabulary": len(vocab), "alpha": 1.0,
            "recipe": "multinomial Naive Bayes, add-one smoothing, seed002_text.py's tokens",
            "seconds": time.perf_counter() - start}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--json", default=None, metavar="PATH")
    args = parser.parse_args(argv)
    results = {"naive_bayes": text_baseline(args.seed)}
    if results["naive_bayes"] is not None:
        print(f"fortunes language ID, multinomial Naive Bayes: test accuracy "
              f"{results['naive_bayes']['test_accuracy']:.4f}", flush=True)
    results["softmax_regression"] = fashion_mnist_baseline(args.epochs, args.seed,
                                                           args.data_dir)
    print(f"Fashion-MNIST, softmax regression ({args.epochs} epochs): test accuracy "
          f"{results['softmax_regression']['test_accuracy']:.4f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == "__main__":
    main()
