"""Train a 784-H-10 multilayer perceptron on Fashion-MNIST with minigrad's engine alone.

    python -m minigrad.examples.mlp_fashion_mnist [--epochs 3] [--batch-size 64] [--lr 0.1]
        [--hidden 128] [--data-dir DIR] [--seed 0] [--limit N]

No layers, optimizers or data loaders: the parameters are four tensors, the model is two
matrix products, and the update is written out, so every step of training is visible.

Data.  The four IDX files of Fashion-MNIST (28×28 grey images of clothing, 10 classes, 60 000
train / 10 000 test), gzipped or not, looked up in ``--data-dir``, then ``$MINIGRAD_FASHION_MNIST``,
then ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``).  Pixels are
scaled to [0, 1] and normalised with the training set's mean 0.2860 and std 0.3530; float32
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
import gzip
import math
import os
import struct
import sys
import time
import zlib

import numpy as np

import minigrad

DEFAULT_DATA_DIR = "/usr/share/datasets/fashion-mnist"
ENV_VAR = "MINIGRAD_FASHION_MNIST"
FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
MEAN, STD = 0.2860, 0.3530            # of the training pixels, after scaling to [0, 1]
N_CLASSES = 10


# ---------------------------------------------------------------------------------------
# IDX files

IDX_MAGIC = {"images": 0x00000803, "labels": 0x00000801}   # 0x08: unsigned byte; ndim 3 / 1


def read_idx(path, kind):
    """Read an IDX file of unsigned bytes (``kind`` "images": ndim 3, "labels": ndim 1).

    The file may be gzipped (recognised by its content, whatever its name).  The header is
    two zero bytes, a data-type byte (0x08 = unsigned byte), the number of dimensions, then
    each dimension as a big-endian uint32; the payload is the product of the dimensions in
    bytes.  Anything else raises ValueError naming the file and what was wrong.
    """
    expected_magic = IDX_MAGIC[kind]
    expected_ndim = expected_magic & 0xFF
    with open(path, "rb") as f:
        gzipped = f.read(2) == b"\x1f\x8b"
    try:
        with (gzip.open if gzipped else open)(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError, zlib.error) as exc:
        name = "zlib.error" if isinstance(exc, zlib.error) else type(exc).__name__
        raise ValueError(f"{path}: cannot decompress this gzip file ({name}: {exc})") from None
    where = f"{path}{' (after gunzip)' if gzipped else ''}"
    if len(raw) < 4:
        raise ValueError(f"{where}: {len(raw)} bytes, too short for an IDX header (4 bytes "
                         f"of magic number)")
    magic = int.from_bytes(raw[:4], "big")
    if magic != expected_magic:
        if raw[:2] != b"\x00\x00":
            why = "not an IDX file (an IDX file starts with two zero bytes)"
        elif raw[2] != 0x08:
            why = f"data type byte 0x{raw[2]:02x}, expected 0x08 (unsigned byte)"
        else:
            why = f"{raw[3]} dimensions, expected {expected_ndim} for {kind}"
        raise ValueError(f"{where}: magic number 0x{magic:08x}, expected "
                         f"0x{expected_magic:08x} (IDX {kind}): {why}")
    header = 4 + 4 * expected_ndim
    if len(raw) < header:
        raise ValueError(f"{where}: {len(raw)} bytes, too short for the {header}-byte header "
                         f"of a {expected_ndim}-d IDX file")
    dims = struct.unpack(f">{expected_ndim}I", raw[4:header])
    expected_size = math.prod(dims)
    if len(raw) - header != expected_size:
        raise ValueError(f"{where}: the header gives shape {dims}, i.e. {expected_size} bytes "
                         f"of data, but {len(raw) - header} bytes follow the header "
                         f"({'truncated' if len(raw) - header < expected_size else 'extra data'})")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


# ---------------------------------------------------------------------------------------
# finding and loading Fashion-MNIST

def _find_file(directory, name):
    """``directory/name.gz`` or ``directory/name``, whichever exists (None if neither)."""
    for candidate in (name + ".gz", name):
        path = os.path.join(directory, candidate)
        if os.path.isfile(path):
            return path
    return None


def find_data(data_dir=None):
    """The directory holding the four files and their paths: ``(directory, {key: path})``.

    Searched in order: ``data_dir``, ``$MINIGRAD_FASHION_MNIST``, ``/usr/share/datasets/
    fashion-mnist``; the first directory holding all four files wins.  Exits with a message
    saying what was searched and how to get the files when none does.
    """
    candidates = [(data_dir, "--data-dir"), (os.environ.get(ENV_VAR), f"${ENV_VAR}"),
                  (DEFAULT_DATA_DIR, "default")]
    searched = []
    for directory, source in candidates:
        if not directory:
            continue
        paths = {key: _find_file(directory, name) for key, name in FILES.items()}
        missing = [FILES[key] for key, path in paths.items() if path is None]
        if not missing:
            for line in searched:
                print(f"note: skipped {line}", file=sys.stderr)
            return directory, paths
        state = ("does not exist" if not os.path.exists(directory)
                 else "is not a directory" if not os.path.isdir(directory)
                 else "lacks " + ", ".join(missing))
        searched.append(f"{directory} ({source}): {state}")
    names = "\n".join(f"    {name}[.gz]" for name in FILES.values())
    where = "\n".join(f"    {line}" for line in searched)
    sys.exit(
        f"error: Fashion-MNIST not found.  Needed, gzipped or not, in one directory:\n{names}\n"
        f"Searched, in order:\n{where}\n"
        f"To get them: `sudo apt-get install dataset-fashion-mnist` (Debian/Ubuntu; installs "
        f"them in {DEFAULT_DATA_DIR}),\nor download the four files from "
        f"https://github.com/zalandoresearch/fashion-mnist and pass --data-dir DIR "
        f"(or set {ENV_VAR}=DIR).")


def _normalise(images):
    """uint8 (N, 28, 28) -> float32 (N, 784): scaled to [0, 1], then (x − mean) / std."""
    x = images.reshape(len(images), -1).astype(np.float32) / np.float32(255)
    return (x - np.float32(MEAN)) / np.float32(STD)


def load_fashion_mnist(paths):
    """``(x_train, y_train, x_test, y_test)``: float32 (N, 784) images, int64 (N,) labels."""
    arrays = []
    for split in ("train", "test"):
        images = read_idx(paths[f"{split}_images"], "images")
        labels = read_idx(paths[f"{split}_labels"], "labels")
        if images.shape[1:] != (28, 28):
            raise ValueError(f"{paths[f'{split}_images']}: images of {images.shape[1:]} "
                             f"pixels, expected (28, 28) for Fashion-MNIST")
        if len(images) != len(labels):
            raise ValueError(f"{paths[f'{split}_images']} holds {len(images)} images but "
                             f"{paths[f'{split}_labels']} {len(labels)} labels")
        if labels.max(initial=0) >= N_CLASSES:
            raise ValueError(f"{paths[f'{split}_labels']}: label {labels.max()} found, "
                             f"expected 0…{N_CLASSES - 1}")
        arrays += [_normalise(images), labels.astype(np.int64)]
    return tuple(arrays)


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
    directory, paths = find_data(data_dir)
    x_train, y_train, x_test, y_test = load_fashion_mnist(paths)
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
                        help=f"directory with the four IDX files (else ${ENV_VAR}, "
                             f"else {DEFAULT_DATA_DIR})")
    parser.add_argument("--seed", type=_non_negative_int, default=0)
    parser.add_argument("--limit", type=_positive(int), default=None,
                        help="train on a random subset of this many images (quick check)")
    args = parser.parse_args(argv)
    train(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, hidden=args.hidden,
          data_dir=args.data_dir, seed=args.seed, limit=args.limit,
          progress=sys.stdout.isatty())


if __name__ == "__main__":
    main()
