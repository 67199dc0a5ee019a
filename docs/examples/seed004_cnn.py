"""seed004's image classifier, reproduced with minigrad on real Fashion-MNIST (offline).

    python docs/examples/seed004_cnn.py [--epochs 10] [--batch-size 32] [--seed 0]
        [--val-size 6000] [--dataset fashion_mnist|mnist] [--data-dir DIR] [--quick] [--out DIR]

The source document (seed004, §5.2) builds and trains this Keras model:

    Conv2D(32, (3, 3), relu, input_shape=(28, 28, 1)) · MaxPooling2D((2, 2)) · Flatten ·
    Dense(128, relu) · Dense(10, softmax)
    compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
    fit(x_train, y_train, epochs=10, batch_size=32, validation_data=(x_val, y_val))
    evaluate(x_test, y_test)

Kept: the architecture, Adam with lr 0.001, categorical cross-entropy on one-hot targets,
10 epochs, batch 32, a separate validation set passed as validation_data, the evaluation on
the test set.  What changes, on purpose:
- the document never loads any data (x_train, x_val, x_test are undefined; its input_shape
  says 28 × 28 grey images with 10 classes).  Here: Fashion-MNIST (installed offline by the
  project; ``--dataset mnist`` for MNIST), scaled to [0, 1]; the validation set
  (x_val, y_val) is the last ``--val-size`` (6000) training images, held out from training;
  the 10 000 test images are the test set.
- the document's printed run ("100/100" steps per epoch, i.e. 3 200 images, and 99 %
  validation accuracy after one epoch) cannot come from this program on either data set;
  it is not reproduced, the measured numbers are printed instead.
- images are NCHW (PyTorch's layout), (N, 1, 28, 28).
- the last layer has no softmax: it outputs logits and the softmax is inside the loss
  (log-sum-exp, exact and stable); ``predict`` returns logits (argmax is the same).
- added: a per-class report (precision, recall, F1), ``confusion_matrix.png`` and
  ``history.png`` in --out.

Measured (Fashion-MNIST, seed 0, 2-core CPU): --quick gives test accuracy 0.7870 on 2000
test images in ~4 s (about 2 100 training samples/s, so a full 10-epoch run is ~4 min).
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
    """The seed004 CNN (input (N, 1, 28, 28), output 10 logits)."""
    return train.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),        # (N, 32, 13, 13)
        nn.Flatten(),                                           # (N, 5408)
        nn.Linear(32 * 13 * 13, 128), nn.ReLU(),
        nn.Linear(128, 10),                                     # logits
    )


def load(dataset, data_dir):
    loader = datasets.fashion_mnist if dataset == "fashion_mnist" else datasets.mnist
    (x_train, y_train), (x_test, y_test) = loader(root=data_dir)
    prep = lambda x: (x.astype(np.float32) / 255)[:, None, :, :]   # (N, 1, 28, 28)
    return (prep(x_train), y_train), (prep(x_test), y_test)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--val-size", type=int, default=6000,
                        help="training images held out as (x_val, y_val)")
    parser.add_argument("--dataset", choices=["fashion_mnist", "mnist"], default="fashion_mnist")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--quick", action="store_true",
                        help="1 epoch on 5000 training images, 1000 for validation, "
                             "tested on 2000 (a smoke run)")
    parser.add_argument("--out", default=".", help="where the PNG plots go")
    parser.add_argument("--verbose", type=int, default=1, choices=[0, 1, 2])
    parser.add_argument("--json", default=None, metavar="PATH",
                        help="also write the final metrics to PATH as JSON")
    args = parser.parse_args(argv)
    if args.val_size < 1:
        parser.error("--val-size must be at least 1 (the document passes validation_data)")

    minigrad.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load(args.dataset, args.data_dir)
    if args.quick:
        args.epochs, args.val_size = 1, 1000
        x_train, y_train = x_train[:6000], y_train[:6000]
        x_test, y_test = x_test[:2000], y_test[:2000]
    x_train, x_val = x_train[:-args.val_size], x_train[-args.val_size:]
    y_train, y_val = y_train[:-args.val_size], y_train[-args.val_size:]
    y_train_1hot, y_val_1hot, y_test_1hot = (to_categorical(y, 10)
                                             for y in (y_train, y_val, y_test))
    print(f"{args.dataset}: train {x_train.shape}, validation {x_val.shape}, "
          f"test {x_test.shape}")

    model = build_model()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    start = time.perf_counter()
    history = model.fit(x_train, y_train_1hot, epochs=args.epochs, batch_size=args.batch_size,
                        validation_data=(x_val, y_val_1hot), seed=args.seed,
                        verbose=args.verbose)
    train_time = time.perf_counter() - start
    print(f"validation accuracy after epoch {len(history.epoch)}: "
          f"{history.history['val_accuracy'][-1]:.4f}")

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
        metrics = {"script": "seed004_cnn", "dataset": args.dataset, "seed": args.seed,
                   "epochs": len(history.epoch), "batch_size": args.batch_size,
                   "n_train": len(x_train), "n_val": len(x_val), "n_test": len(x_test),
                   "val_accuracy": float(history.history["val_accuracy"][-1]),
                   "test_accuracy": float(test_acc), "test_loss": float(test_loss),
                   "train_seconds": train_time}
        with open(args.json, "w") as f:
            json.dump(metrics, f, indent=2)
    return test_acc


if __name__ == "__main__":
    main()
