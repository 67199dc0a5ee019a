"""Test accuracy of the seed CNNs trained by minigrad and by PyTorch, same recipe, same seeds.

    python -m benchmarks.accuracy_vs_pytorch [--models A,B,C] [--epochs 2] [--seeds 0,1,2]
        [--out results.json] [--data-dir DIR]

Each model (the seed programs' CNNs; see benchmarks.cnn_throughput.MODELS) is trained on
the full real Fashion-MNIST training set (60 000 images, scaled to [0, 1], NCHW), with Adam
(lr 1e-3), cross-entropy on logits, the program's batch size, reshuffled every epoch, and
evaluated on the 10 000 test images.  Both frameworks use their own default
initialisations (minigrad's match PyTorch's) and their own random streams, so the seeds
give the seed-to-seed spread of each framework; the question answered is whether
minigrad's accuracy falls inside PyTorch's spread.  Prints a table (mean, min, max per
framework) and writes JSON.  PyTorch is optional (minigrad alone without it).
"""
import argparse
import json
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


def train_torch(layers, batch, epochs, seed, data):
    import torch
    from torch import nn
    x_train, y_train, x_test, y_test = (torch.from_numpy(a) for a in data)
    torch.manual_seed(seed)
    model = build(nn, layers)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(x_train), generator=gen)
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            opt.zero_grad()
            nn.functional.cross_entropy(model(x_train[idx]), y_train[idx]).backward()
            opt.step()
    model.eval()
    with torch.no_grad():
        correct = sum(int((model(x_test[s:s + 1000]).argmax(1) == y_test[s:s + 1000]).sum())
                      for s in range(0, len(x_test), 1000))
    return correct / len(x_test)


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
    args = parser.parse_args(argv)
    seeds = [int(s) for s in args.seeds.split(",")]
    trainers = {"minigrad": train_minigrad}
    try:
        import torch
        torch.set_num_threads(args.threads)
        trainers["pytorch"] = train_torch
    except ImportError:
        print("PyTorch is not installed: minigrad only")
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
