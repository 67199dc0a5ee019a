"""seed001's small regression MLP, reproduced with minigrad (random data, as in the document).

    python docs/examples/seed001_regression.py [--epochs 100] [--batch-size 32] [--seed 42]
        [--quick] [--verbose 0|1|2] [--out DIR]

The source document (seed001, §5.2) runs this Keras program:

    tf.random.set_seed(42)
    x_train = np.random.rand(100, 2);  y_train = np.random.rand(100, 1)
    model = keras.Sequential([Dense(units=10, activation='relu', input_shape=(2,)),
                              Dense(units=1)])
    model.compile(optimizer='adam', loss='mse')
    model.fit(x_train, y_train, epochs=100)
    test_data = np.random.rand(10, 2);  predictions = model.predict(test_data)
    print("预测结果：", predictions)

Kept: the data recipe (100 training samples with 2 features, targets and 10 test inputs all
uniform on [0, 1)), the model Dense(10, relu) → Dense(1), Adam with lr 0.001, MSE loss, 100
epochs, Keras' default batch size 32 (4 steps per epoch), the printed predictions.
What changes, on purpose:
- seeding: the document seeds only TensorFlow (``tf.random.set_seed(42)``), so its NumPy
  data differ on every run; here ``--seed`` (42) seeds both NumPy's generator for the data
  and minigrad's (weights and shuffling), so a run is reproducible.
- weights start with PyTorch's Linear initialisation (uniform ±1/√fan_in), not Keras'
  Glorot-uniform; the trained loss is in the same range.
- the targets are independent noise (as in the document), so there is nothing to learn
  beyond their mean (≈ 0.5; the variance of U[0, 1) is 1/12 ≈ 0.083): the loss falls to
  roughly that variance and the predictions sit near 0.5, as in the document's printed
  output.  The script prints the final training loss, the baseline "predict the mean"
  MSE next to it, the 10 predictions, and writes ``history.png`` (loss per epoch) to --out
  when ``--out`` is given.

``main`` returns the final training loss (MSE).  Measured (seed 42): 0.3593 after epoch 1,
0.0758 at the end, against 0.0710 for predicting the mean; under a second in all.
"""
import argparse
import os
import sys
import time

import numpy as np

import minigrad
from minigrad import nn, train


def build_model():
    """Dense(10, relu) → Dense(1) on 2 input features."""
    return train.Sequential(nn.Linear(2, 10), nn.ReLU(), nn.Linear(10, 1))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--quick", action="store_true",
                        help="accepted for uniformity with the other scripts; the full run "
                             "takes about a second, so --quick changes nothing")
    parser.add_argument("--out", default=None, help="where history.png goes (default: none)")
    parser.add_argument("--verbose", type=int, default=0, choices=[0, 1, 2])
    parser.add_argument("--json", default=None, metavar="PATH",
                        help="also write the final metrics to PATH as JSON")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(args.seed)                 # the document's np.random.rand
    x_train = rng.random((100, 2), dtype=np.float32)
    y_train = rng.random((100, 1), dtype=np.float32)
    test_data = rng.random((10, 2), dtype=np.float32)
    minigrad.manual_seed(args.seed)                        # the document's tf.random.set_seed

    model = build_model()
    model.compile(optimizer="adam", loss="mse")
    start = time.perf_counter()
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                        seed=args.seed, verbose=args.verbose)
    train_time = time.perf_counter() - start
    losses = history.history["loss"]
    final = model.evaluate(x_train, y_train, batch_size=100, verbose=0)
    baseline = float(np.mean((y_train - y_train.mean()) ** 2))
    print(f"epoch 1 loss {losses[0]:.4f} → epoch {len(losses)} loss {losses[-1]:.4f} "
          f"({train_time:.1f} s)")
    print(f"final training MSE {final:.4f}  (predicting the mean {y_train.mean():.3f} "
          f"everywhere gives {baseline:.4f}: the targets are noise)")

    predictions = model.predict(test_data)
    print("预测结果 (predictions):")
    print(np.array2string(predictions, precision=6))

    if args.out:
        try:
            from minigrad.metrics import plot_history
            os.makedirs(args.out, exist_ok=True)
            plot_history(history, os.path.join(args.out, "history.png"))
            print(f"wrote {args.out}/history.png")
        except ImportError as exc:
            print(f"(no plot: {exc})", file=sys.stderr)
    if args.json:                               # read by docs/make_results.py
        import json
        metrics = {"script": "seed001_regression",
                   "dataset": "random (uniform, as in the document)", "seed": args.seed,
                   "epochs": len(losses), "batch_size": args.batch_size,
                   "first_epoch_loss": float(losses[0]), "final_mse": float(final),
                   "mean_baseline_mse": baseline, "train_seconds": train_time}
        with open(args.json, "w") as f:
            json.dump(metrics, f, indent=2)
    return final


if __name__ == "__main__":
    main()
