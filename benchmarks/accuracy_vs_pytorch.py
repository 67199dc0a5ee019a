"""Test accuracy of the seed CNNs trained by minigrad and by PyTorch, same recipe, same seeds.

    python -m benchmarks.accuracy_vs_pytorch [--models A,B,C] [--epochs 2] [--seeds 0,1,2]
        [--out results.json] [--data-dir DIR]
    python -m benchmarks.accuracy_vs_pytorch --programs seed000,seed002,seed003,seed004
        [--frameworks pytorch] [--epochs 10] [--seeds 0] [--out results.json]

Each model (the seed programs' CNNs; see benchmarks.cnn_throughput.MODELS) is trained on
the full real Fashion-MNIST training set (60 000 images, scaled to [0, 1], NCHW), with Adam
(lr 1e-3), cross-entropy on logits, the program's batch size, reshuffled every epoch, and
evaluated on the 10 000 test images.  Both frameworks use their own default
initialisations (minigrad's match PyTorch's) and their own random streams, so the seeds
give the seed-to-seed spread of each framework; the question answered is whether
minigrad's accuracy falls inside PyTorch's spread.  Prints a table (mean, min, max per
framework) and writes JSON.  PyTorch is optional (minigrad alone without it).

``--programs`` follows each source program's own recipe instead, data split included, so
the PyTorch figure can stand next to what the program's script prints (docs/results.md):

  seed000  model A, batch 64, trained on all 60 000 training images
  seed003  model B, batch 64, trained on the first 54 000 (validation_split=0.1 holds out
           the last 10 %, unshuffled, as Keras and minigrad's fit do); validation accuracy
           on those 6 000 is reported too
  seed004  model C, batch 32, trained on the first 54 000, the last 6 000 as validation_data
  seed002  the text classifier (Embedding(V, 512, padding_idx=0) · mean over the real
           tokens · Linear(512, 5)), Adam 1e-3, batch 32, on the fortunes language corpus
           with docs/examples/seed002_text.py's own split, vocabulary and encoding (its
           ``load`` function is called)

With ``--frameworks minigrad`` a program runs its docs/examples script itself (``main``
with ``--json``), so the minigrad figure is exactly the script's.
"""
import argparse
import functools
import json
import os
import statistics
import time

import numpy as np

from benchmarks.cnn_throughput import MODELS, build


def load(data_dir):
    from minigrad.data import datasets
    (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist(root=data_dir)
    prep = lambda x: (x.astype(np.float32) / 255)[:, None]   # (N, 1, 28, 28)
    return prep(x_train), y_train.astype(np.int64), prep(x_test), y_test.astype(np.int64)


def train_minigrad(layers, batch, epochs, seed, data):
    import minigrad
    from minigrad import nn, train
    x_train, y_train, x_test, y_test = data
    minigrad.manual_seed(seed)
    model = train.Sequential(*build(nn, layers))      # the same layers, compilable
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch, seed=seed, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, batch_size=1000, verbose=0)
    return float(accuracy)


def train_torch(layers, batch, epochs, seed, data, n_val=0):
    """Test accuracy (and, with ``n_val``, the accuracy on the last ``n_val`` training
    images, held out from training) of ``layers`` trained with PyTorch."""
    import torch
    from torch import nn
    x_train, y_train, x_test, y_test = (torch.from_numpy(a) for a in data)
    if n_val:
        x_train, x_val = x_train[:-n_val], x_train[-n_val:]
        y_train, y_val = y_train[:-n_val], y_train[-n_val:]
    torch.manual_seed(seed)
    model = build(nn, layers)
    _torch_fit(model, x_train, y_train, batch, epochs, seed)
    result = {"test_accuracy": _torch_accuracy(model, x_test, y_test)}
    if n_val:
        result["val_accuracy"] = _torch_accuracy(model, x_val, y_val)
    return result


def _torch_fit(model, x_train, y_train, batch, epochs, seed):
    """Adam (lr 1e-3), cross-entropy on logits, reshuffled every epoch (torch.randperm)."""
    import torch
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x_train), generator=gen)
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x_train[idx]), y_train[idx]).backward()
            opt.step()


def _torch_accuracy(model, x, y, batch=1000):
    import torch
    model.eval()
    with torch.no_grad():
        correct = sum(int((model(x[s:s + batch]).argmax(1) == y[s:s + batch]).sum())
                      for s in range(0, len(x), batch))
    return correct / len(x)


# The source programs' recipes: (model, batch, training images held out at the end).
PROGRAMS = {"seed000": ("A", 64, 0), "seed003": ("B", 64, 6000), "seed004": ("C", 32, 6000),
            "seed002": ("text", 32, 0)}
EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs",
                        "examples")
SCRIPTS = {"seed000": "seed000_cnn.py", "seed002": "seed002_text.py",
           "seed003": "seed003_cnn.py", "seed004": "seed004_cnn.py"}


def example_module(program):
    """The docs/examples script of ``program``, imported as a module."""
    import importlib.util
    path = os.path.join(EXAMPLES, SCRIPTS[program])
    spec = importlib.util.spec_from_file_location(f"_example_{program}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def text_data(seed=0):
    """seed002_text.py's data: ((x_train, y_train), (x_test, y_test), vocab, classes) with
    the script's defaults (800 texts per language, 80/20 split, 10 000-token vocabulary,
    64 tokens), or None without the fortunes corpus."""
    module = example_module("seed002")
    args = argparse.Namespace(fortunes_dir=None, max_per_language=800, seed=seed,
                              vocab_size=10000, max_len=64)
    return module.load(args)


def train_torch_text(batch, epochs, seed, embed_dim=512):
    """seed002's TextClassifier in PyTorch on the script's split: the test accuracy."""
    import torch
    from torch import nn
    data = text_data(seed)
    if data is None:
        return None
    (x_train, y_train), (x_test, y_test), vocab, classes = data

    class TextClassifier(nn.Module):
        def __init__(self, input_dim, hidden_dim, output_dim):
            super().__init__()
            self.embedding = nn.Embedding(input_dim, hidden_dim, padding_idx=0)
            self.fc = nn.Linear(hidden_dim, output_dim)

        def forward(self, ids):
            emb = self.embedding(ids)
            mask = (ids != 0).to(emb.dtype).unsqueeze(-1)
            return self.fc((emb * mask).sum(1) / mask.sum(1).clamp(min=1))

    torch.manual_seed(seed)
    model = TextClassifier(len(vocab), embed_dim, len(classes))
    x_train, y_train, x_test, y_test = (torch.from_numpy(np.asarray(a, dtype=np.int64))
                                        for a in (x_train, y_train, x_test, y_test))
    _torch_fit(model, x_train, y_train, batch, epochs, seed)
    return {"test_accuracy": _torch_accuracy(model, x_test, y_test, batch=256)}


def run_program(program, framework, epochs, seed, data_dir, images):
    """One program's recipe under one framework: a dict of accuracies (None: no data)."""
    model, batch, n_val = PROGRAMS[program]
    if framework == "minigrad":                 # the example script itself
        import tempfile
        with tempfile.TemporaryDirectory() as tmp:
            argv = ["--epochs", str(epochs), "--seed", str(seed), "--verbose", "0",
                    "--json", os.path.join(tmp, "metrics.json")]
            if program != "seed002":
                argv += ["--out", tmp] + (["--data-dir", data_dir] if data_dir else [])
            example_module(program).main(argv)
            path = os.path.join(tmp, "metrics.json")
            if not os.path.exists(path):
                return None
            with open(path) as f:
                metrics = json.load(f)
        return {k: metrics[k] for k in ("test_accuracy", "val_accuracy") if k in metrics}
    if program == "seed002":
        return train_torch_text(batch, epochs, seed)
    data = images()
    n_val = n_val * len(data[0]) // 60000          # the same share of a --limit'ed set
    return train_torch(MODELS[model][0], batch, epochs, seed, data, n_val=n_val)


def main_programs(args, frameworks):
    def images():
        data = load(args.data_dir)
        return tuple(a[:args.limit] for a in data) if args.limit else data
    images = functools.lru_cache(maxsize=None)(images)
    rows = []
    for program in args.programs.split(","):
        model, batch, n_val = PROGRAMS[program]
        for framework in frameworks:
            for seed in (int(s) for s in args.seeds.split(",")):
                start = time.perf_counter()
                result = run_program(program, framework, args.epochs, seed, args.data_dir,
                                     images)
                seconds = time.perf_counter() - start
                if result is None:
                    print(f"{program} {framework}: no data, skipped", flush=True)
                    continue
                rows.append({"program": program, "model": model, "framework": framework,
                             "seed": seed, "epochs": args.epochs, "batch": batch,
                             "held_out": n_val, **result, "seconds": seconds})
                extra = (f", validation {result['val_accuracy']:.4f}"
                         if "val_accuracy" in result else "")
                print(f"{program} {framework:8s} seed {seed}: test accuracy "
                      f"{result['test_accuracy']:.4f}{extra} ({seconds:.0f} s)", flush=True)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default="A")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default=None)
    parser.add_argument("--limit", type=int, default=None,
                        help="use only the first N training and test images (a smoke run)")
    parser.add_argument("--programs", default=None,
                        help="source programs (seed000,seed002,seed003,seed004): each one's "
                             "own recipe and data split instead of --models")
    parser.add_argument("--frameworks", default="minigrad,pytorch")
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    wanted = args.frameworks.split(",")
    trainers = {"minigrad": train_minigrad} if "minigrad" in wanted else {}
    if "pytorch" in wanted:
        try:
            import torch
            torch.set_num_threads(args.threads)
            trainers["pytorch"] = train_torch
        except ImportError:
            print("PyTorch is not installed: minigrad only")
    if args.programs:
        rows = main_programs(args, list(trainers))
        if args.out:
            with open(args.out, "w") as f:
                json.dump({"benchmark": "accuracy_vs_pytorch", "settings": vars(args),
                           "results": rows}, f, indent=2)
            print(f"\nwrote {args.out}")
        return rows
    data = load(args.data_dir)
    if args.limit:
        data = tuple(a[:args.limit] for a in data)
    rows = []
    for name in args.models.split(","):
        layers, batch = MODELS[name]
        for framework, train in trainers.items():
            for seed in seeds:
                start = time.perf_counter()
                accuracy = train(layers, batch, args.epochs, seed, data)
                if isinstance(accuracy, dict):
                    accuracy = accuracy["test_accuracy"]
                seconds = time.perf_counter() - start
                rows.append({"model": name, "framework": framework, "seed": seed,
                             "epochs": args.epochs, "batch": batch,
                             "test_accuracy": accuracy, "seconds": seconds})
                print(f"model {name} {framework:8s} seed {seed}: test accuracy "
                      f"{accuracy:.4f} ({seconds:.0f} s)", flush=True)
    print(f"\n{'model':<6}{'framework':<10}{'epochs':>7}{'mean':>8}{'min':>8}{'max':>8}"
          f"{'seeds':>7}")
    for name in args.models.split(","):
        for framework in trainers:
            acc = [r["test_accuracy"] for r in rows
                   if r["model"] == name and r["framework"] == framework]
            print(f"{name:<6}{framework:<10}{args.epochs:>7}{statistics.mean(acc):>8.4f}"
                  f"{min(acc):>8.4f}{max(acc):>8.4f}{len(acc):>7}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"benchmark": "accuracy_vs_pytorch", "settings": vars(args),
                       "results": rows}, f, indent=2)
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
