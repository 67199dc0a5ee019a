"""seed000's image classifier, reproduced with minigrad on real Fashion-MNIST (offline).

    python docs/examples/seed000_cnn.py [--epochs 10] [--batch-size 64] [--seed 0]
        [--dataset fashion_mnist|mnist] [--data-dir DIR] [--quick] [--out DIR]

The source document (seed000, §5) trains this Keras model on MNIST:

    Conv2D(32, 3, relu) · MaxPooling2D(2) · Conv2D(64, 3, relu) · MaxPooling2D(2) ·
    Conv2D(64, 3, relu) · Flatten · Dense(64, relu) · Dense(10, softmax)
    compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    fit(x_train, y_train, epochs=10, batch_size=64);  evaluate(x_test, y_test)

then plots a confusion matrix.  Two things change here, both on purpose:
- minigrad's models end in a Linear layer that outputs logits: the softmax is inside the
  loss (computed from logits with log-sum-exp, which is exact and stable), so the last layer
  has no softmax and ``predict`` returns logits (argmax is the same).
- the document calls categorical_crossentropy on integer labels, which Keras rejects; its
  later ``argmax(y_test, axis=1)`` shows it meant one-hot labels, so they are one-hot here.
Images are NCHW (PyTorch's layout): (N, 1, 28, 28), scaled to [0, 1] as in the document.

Prints a progress bar per epoch, the test accuracy, a per-class report (precision, recall,
F1), and writes ``confusion_matrix.png`` and ``history.png`` to --out (needs matplotlib).
"""
import argparse
import os
import sys
import time

import numpy as np

import minigrad
from minigrad import nn, train
from minigrad.data import datasets, to_categorical
from minigrad.metrics import classification_report, confusion_matrix

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                   "Sneaker", "Bag", "Ankle boot"]


def build_model():
    """The seed000 CNN (input (N, 1, 28, 28), output 10 logits)."""
    return train.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),        # (N, 32, 13, 13)
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),       # (N, 64, 5, 5)
        nn.Conv2d(64, 64, 3), nn.ReLU(),                        # (N, 64, 3, 3)
        nn.Flatten(),                                           # (N, 576)
        nn.Linear(576, 64), nn.ReLU(),
        nn.Linear(64, 10),                                      # logits
    )


def load(dataset, data_dir):
    loader = datasets.fashion_mnist if dataset == "fashion_mnist" else datasets.mnist
    (x_train, y_train), (x_test, y_test) = loader(root=data_dir)
    prep = lambda x: (x.astype(np.float32) / 255)[:, None, :, :]   # (N, 1, 28, 28)
    return (prep(x_train), y_train), (prep(x_test), y_test)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dataset", choices=["fashion_mnist", "mnist"], default="fashion_mnist")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--quick", action="store_true",
                        help="1 epoch on 6000 training images (a smoke run)")
    parser.add_argument("--out", default=".", help="where the PNG plots go")
    parser.add_argument("--verbose", type=int, default=1, choices=[0, 1, 2])
    parser.add_argument("--json", default=None, metavar="PATH",
                        help="also write the final metrics to PATH as JSON")
    args = parser.parse_args(argv)

    minigrad.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load(args.dataset, args.data_dir)
    if args.quick:
        args.epochs = 1
        x_train, y_train = x_train[:6000], y_train[:6000]
    y_train_1hot, y_test_1hot = to_categorical(y_train, 10), to_categorical(y_test, 10)
    print(f"{args.dataset}: train {x_train.shape}, test {x_test.shape}")

    model = build_model()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x_train, y_train_1hot, epochs=args.epochs, batch_size=args.batch_size,
                        seed=args.seed, verbose=args.verbose)
    train_time = time.perf_counter() - start

    test_loss, test_acc = model.evaluate(x_test, y_test_1hot, batch_size=1000, verbose=0)
    print(f"Test accuracy: {test_acc:.4f}   (test loss {test_loss:.4f}; trained "
          f"{train_time:.0f} s, {len(x_train) * len(history.epoch) / train_time:,.0f} "
          f"samples/s)")

    predicted = model.predict(x_test, batch_size=1000).argmax(axis=1)
    names = FASHION_CLASSES if args.dataset == "fashion_mnist" else [str(i) for i in range(10)]
    print(classification_report(y_test, predicted, num_classes=10, target_names=names))
    cm = confusion_matrix(y_test, predicted, num_classes=10)
    try:
        from minigrad.metrics import plot_confusion_matrix, plot_history
        os.makedirs(args.out, exist_ok=True)
        plot_confusion_matrix(cm, names, os.path.join(args.out, "confusion_matrix.png"))
        plot_history(history, os.path.join(args.out, "history.png"))
        print(f"wrote {args.out}/confusion_matrix.png and {args.out}/history.png")
    except ImportError as exc:
        print(f"(no plots: {exc})", file=sys.stderr)
    if args.json:                               # read by docs/make_results.py
        import json
        metrics = {"script": "seed000_cnn", "dataset": args.dataset, "seed": args.seed,
                   "epochs": len(history.epoch), "batch_size": args.batch_size,
                   "n_train": len(x_train), "n_test": len(x_test),
                   "test_accuracy": float(test_acc), "test_loss": float(test_loss),
                   "train_seconds": train_time}
        with open(args.json, "w") as f:
            json.dump(metrics, f, indent=2)
    return test_acc


if __name__ == "__main__":
    main()
