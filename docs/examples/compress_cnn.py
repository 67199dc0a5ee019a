"""Prune and int8-quantise seed000's CNN on Fashion-MNIST, and measure what each costs.

    python docs/examples/compress_cnn.py [--weights FILE] [--epochs 10] [--out DIR]
        [--finetune-steps 1000] [--qat-steps 1000] [--calib-batches 20] [--seed 0]
        [--data-dir DIR] [--threads N] [--quick]

The model is seed000's CNN (``docs/examples/seed000_cnn.py``: three Conv2d, two Linear,
93 322 parameters), trained as seed000 trains it (Adam, batch 64, ``--epochs`` epochs), or
loaded from ``--weights``.  After training the float32 state dict is saved (to ``--weights``
if given, else ``--out/seed000_cnn_float32.pt``), so a rerun with ``--weights`` skips it.
Then, each from the trained float32 model:

* **global pruning** (``prune.global_unstructured`` with ``L1Unstructured``) of the weights
  of all five layers at 50 / 80 / 90 %, each followed by ``--finetune-steps`` Adam steps
  (lr 2e-4, batch 64) with the mask in place, then ``prune.remove``; the same steps on the
  unpruned model are the fair reference for these rows (a 10-epoch model still gains from
  them);
* **structured pruning + shrink**: half the output channels of the last Conv2d and of the
  first Linear (``ln_structured``, L2 norm), fine-tuned, then ``prune.shrink`` removes them
  (conv1/conv2 are followed by MaxPool2d, which shrink does not cross, so they stay);
* **int8 dynamic** (``quantize_dynamic``: the two Linear layers only);
* **int8 static** (``prepare`` → ``--calib-batches`` training batches of 256 → ``convert``;
  all five layers, ReLUs fused), with the min/max and the histogram observer;
* **int8 QAT** (``prepare_qat``, ``--qat-steps`` steps at lr 1e-4, ``convert``);
* 80 % pruning then int8 static (both together).

It prints one table: test accuracy, the change against float32 in points, the size of the
file ``minigrad.save(state_dict)`` writes (and the same bytes zlib-compressed: dense storage
does not shrink with zeros, compression does), and inference speed on the test set (batch
256, one BLAS thread, ``model.eval()`` under ``no_grad``).

``--quick``: 2 000 training and 1 000 test images, 1 epoch, 20 fine-tune / QAT steps,
2 calibration batches (a smoke run for the tests: ~11 s).

Measured (seed 0, 2-core shared CPU; the full table is in docs/results.md, "Compression:
pruning and int8 quantisation"): training 246 s, compressing and measuring 187 s.  Float32
0.9067 (0.9134 after the 1000 extra steps).  int8 static 0.9069 (minmax) / 0.9073
(histogram), QAT 0.9159; pruned 50 / 80 / 90 % 0.9148 / 0.9126 / 0.8931; structured + shrink
0.9110 with 46 858 of 93 322 parameters.  Files: float32 376 744 bytes, int8 101 653
(3.71× smaller: the int8 payload is 3.93× smaller, float32 biases and scales and ~320
bytes of file overhead per tensor — 20 tensors instead of 10 — are the rest).  int8 static
runs at ~0.9× float32's time since the fused ``qlayer`` kernels (it was ~3× slower when its
epilogue made separate passes over an int32 output); docs/compression.md has the numbers.
With 300 fine-tune steps instead, 80 % pruning reached 0.9080, 0.56 below its 0.9136
reference.
"""
import argparse
import io
import os
import sys
import time
import zlib

import numpy as np

import minigrad
from minigrad import nn, optim
from minigrad import quantization as Q
from minigrad.data import to_categorical
from minigrad.nn import functional as F
from minigrad.nn.utils import prune

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seed000_cnn import build_model, load  # noqa: E402  (the same model and data)


def layers(model):
    """The (module, "weight") pairs of the Linear and Conv2d layers."""
    return [(m, "weight") for m in model.modules() if type(m) in (nn.Linear, nn.Conv2d)]


def file_size(model):
    """Bytes of ``minigrad.save(model.state_dict())`` and of the same bytes zlib-compressed."""
    buf = io.BytesIO()
    minigrad.save(model.state_dict(), buf)
    data = buf.getvalue()
    return len(data), len(zlib.compress(data, 6))


def evaluate(model, x, y, batch_size=256):
    """(accuracy, samples/s) on (x, y), batch 256, one BLAS thread."""
    from threadpoolctl import threadpool_limits
    model.eval()
    correct = 0
    with threadpool_limits(limits=1, user_api="blas"), minigrad.no_grad():
        model(minigrad.tensor(x[:batch_size]))                       # warm-up
        start = time.perf_counter()
        for i in range(0, len(x), batch_size):
            logits = model(minigrad.tensor(x[i:i + batch_size])).numpy()
            correct += int((logits.argmax(axis=1) == y[i:i + batch_size]).sum())
        elapsed = time.perf_counter() - start
    return correct / len(x), len(x) / elapsed


def finetune(model, x, y, steps, lr, seed, batch_size=64):
    """``steps`` Adam steps on random batches (training mode); pruned weights stay zero."""
    if steps <= 0:
        return model
    model.train()
    opt = optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        idx = rng.integers(0, len(x), batch_size)
        loss = F.cross_entropy(model(minigrad.tensor(x[idx])), minigrad.tensor(y[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    model.eval()
    return model


def copy_model(model):
    fresh = build_model()
    fresh.load_state_dict(model.state_dict())
    return fresh


def make_permanent(model):
    for m, name in layers(model):
        if hasattr(m, name + "_mask"):
            prune.remove(m, name)
    return model


def calibrate(prepared, x, batches, batch_size=256):
    prepared.eval()
    with minigrad.no_grad():
        for i in range(batches):
            prepared(minigrad.tensor(x[i * batch_size:(i + 1) * batch_size]))
    return Q.convert(prepared)


def run(args):
    minigrad.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load("fashion_mnist", args.data_dir)
    if args.quick:
        args.epochs, args.finetune_steps, args.qat_steps = 1, 20, 20
        args.calib_batches = 2
        x_train, y_train = x_train[:2000], y_train[:2000]
        x_test, y_test = x_test[:1000], y_test[:1000]
    print(f"fashion_mnist: train {x_train.shape}, test {x_test.shape}")

    model = build_model()
    if args.weights and os.path.exists(args.weights):
        model.load_state_dict(minigrad.load(args.weights))
        print(f"loaded {args.weights}")
    else:
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        start = time.perf_counter()
        model.fit(x_train, to_categorical(y_train, 10), epochs=args.epochs, batch_size=64,
                  seed=args.seed, verbose=0 if args.quick else 1)
        print(f"trained {args.epochs} epoch(s) in {time.perf_counter() - start:.0f} s")
        path = args.weights or os.path.join(args.out, "seed000_cnn_float32.pt")
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        minigrad.save(model.state_dict(), path)
        print(f"saved {path}")
    model.eval()

    rows = []

    def report(method, m, note=""):
        acc, speed = evaluate(m, x_test, y_test)
        size, zipped = file_size(m)
        rows.append(dict(method=method, acc=acc, size=size, zipped=zipped, speed=speed,
                         note=note))
        print(f"  {method}: accuracy {acc:.4f}, {size:,} bytes", flush=True)
        return m

    start = time.perf_counter()
    report("float32", model)
    # the fine-tuned rows train --finetune-steps more: the same steps without pruning are
    # their fair reference (a model trained 10 epochs can still gain from them)
    report("float32 + the same fine-tune, no pruning",
           finetune(copy_model(model), x_train, y_train, args.finetune_steps, 2e-4, args.seed))

    pruned = {}
    for amount in (0.5, 0.8, 0.9):
        m = copy_model(model)
        prune.global_unstructured(layers(m), pruning_method=prune.L1Unstructured,
                                  amount=amount)
        finetune(m, x_train, y_train, args.finetune_steps, 2e-4, args.seed)
        make_permanent(m)
        sparsity = prune.sparsity_report(m)[-1][3]
        pruned[amount] = m
        report(f"pruned {amount:.0%} global + fine-tune", m,
               f"{sparsity:.1%} of weights zero")

    m = copy_model(model)
    conv3, fc1 = m[6], m[9]
    prune.ln_structured(conv3, "weight", amount=0.5, n=2, dim=0)
    prune.ln_structured(fc1, "weight", amount=0.5, n=2, dim=0)
    finetune(m, x_train, y_train, args.finetune_steps, 2e-4, args.seed)
    small, removed = prune.shrink(m)
    params = sum(p.numel() for p in small.parameters())
    channels = "; ".join(f"{n} of {layer.weight.shape[0]} channels removed from layer "
                         f"{name}" for name, n in removed.items()
                         for layer in [dict(m.named_modules())[name]])
    report("structured 50% conv3/fc1 + fine-tune + shrink", small,
           f"{params:,} parameters; {channels}")

    report("int8 dynamic (Linear only)", Q.quantize_dynamic(model, {nn.Linear}))
    for observer in ("minmax", "histogram"):
        q = calibrate(Q.prepare(model, observer=observer), x_train, args.calib_batches)
        report(f"int8 static ({observer})", q)

    qat = Q.prepare_qat(copy_model(model))
    finetune(qat, x_train, y_train, args.qat_steps, 1e-4, args.seed)
    report("int8 QAT fine-tune", Q.convert(qat))

    q = calibrate(Q.prepare(pruned[0.8], observer="histogram"), x_train, args.calib_batches)
    report("pruned 80% + int8 static (histogram)", q,
           f"{prune.sparsity_report(pruned[0.8])[-1][3]:.1%} of weights zero before int8")
    print(f"compressed and measured in {time.perf_counter() - start:.0f} s")

    base = rows[0]
    print()
    print("| method | test accuracy | vs float32 | file bytes | × smaller | zlib bytes "
          "| samples/s | note |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['method']} | {r['acc']:.4f} | {100 * (r['acc'] - base['acc']):+.2f} "
              f"| {r['size']:,} | {base['size'] / r['size']:.2f} | {r['zipped']:,} "
              f"| {r['speed']:,.0f} | {r['note']} |")
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", default=None,
                        help="a float32 state dict to start from; trained and saved there "
                             "if it does not exist")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--finetune-steps", type=int, default=1000,
                        help="Adam steps (batch 64) after each pruning; 1000 ≈ 1 epoch")
    parser.add_argument("--qat-steps", type=int, default=1000)
    parser.add_argument("--calib-batches", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default="results/compress_cnn",
                        help="where the trained float32 weights go (without --weights)")
    parser.add_argument("--quick", action="store_true",
                        help="2000 training / 1000 test images, 1 epoch, 20 steps")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS threads for training (threadpoolctl); inference is "
                             "always timed with 1")
    args = parser.parse_args(argv)
    if args.threads is None:
        return run(args)
    from threadpoolctl import threadpool_limits
    with threadpool_limits(limits=args.threads, user_api="blas"):
        return run(args)


if __name__ == "__main__":
    main()
