"""Train a 784-H-10 multilayer perceptron on Fashion-MNIST with minigrad's engine alone.

    python -m minigrad.examples.mlp_fashion_mnist [--epochs 3] [--batch-size 64] [--lr 0.1]
        [--hidden 128] [--data-dir DIR] [--seed 0] [--limit N]

No layers, optimizers or data loaders: the parameters are four tensors, the model is two
matrix products, and the update is written out, so every step of training is visible.

Data.  The four IDX files of Fashion-MNIST (28×28 grey images of clothing, 10 classes, 60 000
train / 10 000 test), gzipped or not, read and checked by ``minigrad.data.datasets``: looked up
in ``--data-dir`` (only there when given), else ``$MINIGRAD_FASHION_MNIST``, the cache
``~/.cache/minigrad/fashion-mnist``, then ``/usr/share/datasets/fashion-mnist`` (Debian's
``dataset-fashion-mnist``), downloaded into the cache as a last resort.  Pixels are scaled
to [0, 1] and normalised with the training set's mean 0.2860 and std 0.3530; float32
throughout.  ``--limit N`` trains on a random subset of N training images (a quick check).

Model, for a batch x of shape (N, 784) with labels y ∈ {0…9}ᴺ:

    h = relu(x W₁ + b₁)                       W₁ (784, H), b₁ (H,)
    z = h W₂ + b₂                             W₂ (H, 10),  b₂ (10,)   z: the logits (N, 10)

W₁, W₂ are drawn He/Kaiming-normal, W ~ 𝒩(0, 2 / fan_in), so a ReLU layer keeps the scale of
its input; the biases start at 0.  The draws go through ``minigrad.randn``: ``--seed`` makes
the whole run (initialisation, subset, shuffles) reproducible.

Loss: the mean negative log-likelihood of the log-softmax (= softmax cross-entropy):

    log pᵢₖ = zᵢₖ − ln Σⱼ e^(zᵢⱼ)              (log_softmax, computed stably)
    L = −(1/N) Σᵢ log pᵢ,yᵢ                    (picked with logp[arange(N), y], then mean)

whose gradient with respect to the logits is ∂L/∂zᵢₖ = (pᵢₖ − [k = yᵢ]) / N; ``backward()``
carries it through the matmuls and the ReLU to every parameter.

Update: minibatch stochastic gradient descent, for every parameter θ after each batch,

    θ ← θ − η · ∂L/∂θ                          η = --lr

done in place (``p -= lr * p.grad``) under ``no_grad()``, then ``θ.grad = None`` so the next
backward starts from zero (gradients accumulate otherwise).  The training set is reshuffled
every epoch.

Each epoch prints the mean training loss, the training accuracy (counted on the batches as
the model learns, so it lags the end-of-epoch model), the test accuracy, the training time
and throughput.  With the defaults the test accuracy is about 86 % after 3 epochs.
"""
import argparse
import math
import sys
import time

import minigrad
from minigrad.data import datasets
from minigrad.data.transforms import Normalize

DEFAULT_DATA_DIR = datasets.DEBIAN_FASHION_MNIST
ENV_VAR = "MINIGRAD_FASHION_MNIST"
MEAN, STD = 0.2860, 0.3530            # of the training pixels, after scaling to [0, 1]
N_CLASSES = 10


# ---------------------------------------------------------------------------------------
# finding and loading Fashion-MNIST (minigrad.data.datasets reads and checks the IDX files)

def find_data(data_dir=None):
    """The directory holding the four files and their paths: ``(directory, {key: path})``.

    ``--data-dir`` when given, else ``$MINIGRAD_FASHION_MNIST``, the cache, then
    ``/usr/share/datasets/fashion-mnist`` (see ``minigrad.data.datasets``).  Exits with a
    message saying what was searched and how to get the files when none holds them.
    """
    try:
        return datasets.locate("fashion-mnist", root=data_dir)
    except datasets.DatasetNotFoundError as exc:
        sys.exit(f"error: {exc}")


def load_fashion_mnist(data_dir=None):
    """``(x_train, y_train, x_test, y_test)``: float32 (N, 784) images, int64 (N,) labels.

    Pixels are scaled to [0, 1], then normalised: (x − mean) / std.
    """
    (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist(data_dir, as_float=True)
    normalise = Normalize(MEAN, STD)
    return (normalise(x_train).reshape(len(x_train), -1), y_train,
            normalise(x_test).reshape(len(x_test), -1), y_test)


# ---------------------------------------------------------------------------------------
# the model, the loss and the update

def init_mlp(n_in, hidden, n_out):
    """Parameters of a n_in-hidden-n_out MLP: He-normal weights, zero biases (float32)."""
    def he_normal(fan_in, fan_out):
        w = minigrad.randn(fan_in, fan_out) * math.sqrt(2.0 / fan_in)   # no graph: no grad yet
        return w.requires_grad_()

    w1 = he_normal(n_in, hidden)
    w2 = he_normal(hidden, n_out)
    b1 = minigrad.zeros(hidden, requires_grad=True)
    b2 = minigrad.zeros(n_out, requires_grad=True)
    return {"w1": w1, "b1": b1, "w2": w2, "b2": b2}


def forward(params, x):
    """Logits (N, n_out) of the MLP for a batch x (N, n_in)."""
    h = (x @ params["w1"] + params["b1"]).relu()        # (N, H)
    return h @ params["w2"] + params["b2"]               # (N, 10)


def nll_loss(logits, labels):
    """Mean negative log-likelihood of log_softmax(logits) at the true labels (a scalar)."""
    logp = logits.log_softmax(axis=1)                                 # (N, 10)
    return -logp[minigrad.arange(len(labels)), labels].mean()          # picks (N,), then ()


def sgd_step(params, lr):
    """θ ← θ − lr · ∂L/∂θ in place for every parameter, then clear its gradient."""
    with minigrad.no_grad():
        for p in params.values():
            p -= lr * p.grad          # in place: p stays the same leaf tensor
            p.grad = None


def evaluate(params, x, y, batch_size=1000):
    """Accuracy (a fraction) of the model on arrays x (N, 784), y (N,)."""
    correct = 0
    with minigrad.no_grad():
        for start in range(0, len(x), batch_size):
            logits = forward(params, minigrad.from_numpy(x[start:start + batch_size]))
            correct += int((logits.argmax(axis=1).numpy() == y[start:start + batch_size]).sum())
    return correct / len(x)


# ---------------------------------------------------------------------------------------
# training

def train_epoch(params, x, y, batch_size, lr, progress=False):
    """One pass over (x, y) in a fresh random order; returns (mean loss, accuracy)."""
    order = minigrad.random.generator().permutation(len(x))
    n_batches = math.ceil(len(x) / batch_size)
    loss_sum, correct = 0.0, 0
    for b, start in enumerate(range(0, len(x), batch_size)):
        idx = order[start:start + batch_size]
        xb, yb = minigrad.from_numpy(x[idx]), minigrad.from_numpy(y[idx])
        logits = forward(params, xb)
        loss = nll_loss(logits, yb)
        loss.backward()
        sgd_step(params, lr)

        loss_sum += loss.item() * len(idx)
        correct += int((logits.argmax(axis=1).numpy() == y[idx]).sum())
        if progress and (b % 50 == 0 or b == n_batches - 1):
            print(f"\r  batch {b + 1}/{n_batches}  loss {loss.item():.4f}", end="", flush=True)
    if progress:
        print("\r\033[K", end="", flush=True)   # erase the progress line
    return loss_sum / len(x), correct / len(x)


def train(epochs=3, batch_size=64, lr=0.1, hidden=128, data_dir=None, seed=0, limit=None,
          progress=False):
    """Load the data, train, print one line per epoch; returns a dict of the results."""
    directory, _ = find_data(data_dir)
    x_train, y_train, x_test, y_test = load_fashion_mnist(directory)
    print(f"data: {directory}  train {len(x_train)}, test {len(x_test)} images")

    minigrad.manual_seed(seed)
    params = init_mlp(x_train.shape[1], hidden, N_CLASSES)
    if limit is not None and limit < len(x_train):
        keep = minigrad.random.generator().choice(len(x_train), size=limit, replace=False)
        x_train, y_train = x_train[keep], y_train[keep]
        print(f"--limit: training on a random subset of {limit} images")
    n_params = sum(p.numel() for p in params.values())
    print(f"model: 784-{hidden}-{N_CLASSES} MLP, {n_params} parameters; SGD lr {lr}, "
          f"batch {batch_size}, {epochs} epochs, seed {seed}")

    history = []
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        loss, train_acc = train_epoch(params, x_train, y_train, batch_size, lr, progress)
        seconds = time.perf_counter() - start
        test_acc = evaluate(params, x_test, y_test)
        if not math.isfinite(loss):
            sys.exit(f"error: the training loss became {loss} in epoch {epoch}; "
                     f"try a smaller --lr than {lr}")
        history.append({"epoch": epoch, "loss": loss, "train_acc": train_acc,
                        "test_acc": test_acc, "seconds": seconds})
        print(f"epoch {epoch}/{epochs}  loss {loss:.4f}  train acc {100 * train_acc:.2f}%  "
              f"test acc {100 * test_acc:.2f}%  {seconds:.2f} s  "
              f"{len(x_train) / seconds:,.0f} examples/s", flush=True)
    final = history[-1]["test_acc"] if history else evaluate(params, x_test, y_test)
    print(f"final test accuracy: {100 * final:.2f}%")
    return {"params": params, "history": history, "test_acc": final}


def _positive(kind):
    def parse(text):
        value = kind(text)
        if not value > 0:
            raise argparse.ArgumentTypeError(f"must be positive, got {text}")
        return value
    return parse


def _non_negative_int(text):
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative int, got {text}")
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m minigrad.examples.mlp_fashion_mnist",
        description="Train a 784-H-10 MLP on Fashion-MNIST with minigrad and plain SGD.")
    parser.add_argument("--epochs", type=_positive(int), default=3)
    parser.add_argument("--batch-size", type=_positive(int), default=64)
    parser.add_argument("--lr", type=_positive(float), default=0.1, help="SGD step size η")
    parser.add_argument("--hidden", type=_positive(int), default=128, help="hidden units H")
    parser.add_argument("--data-dir", default=None,
                        help=f"directory with the four IDX files (else ${ENV_VAR}, the "
                             f"cache, else {DEFAULT_DATA_DIR})")
    parser.add_argument("--seed", type=_non_negative_int, default=0)
    parser.add_argument("--limit", type=_positive(int), default=None,
                        help="train on a random subset of this many images (quick check)")
    args = parser.parse_args(argv)
    train(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, hidden=args.hidden,
          data_dir=args.data_dir, seed=args.seed, limit=args.limit,
          progress=sys.stdout.isatty())


if __name__ == "__main__":
    main()
