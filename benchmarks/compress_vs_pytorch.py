"""Int8 post-training quantisation of seed000's CNN: minigrad against PyTorch, same weights.

    python -m benchmarks.compress_vs_pytorch [--weights PATH] [--train-steps N] [--epochs 10]
        [--calib-batches 20] [--repeats 5] [--seed 0] [--data-dir DIR] [--out results.json]
        [--quick]

The model is seed000's CNN (``benchmarks.cnn_throughput.MODELS["A"]``, the same layers as
``docs/examples/seed000_cnn.py``'s ``build_model``: three Conv2d, two Linear, 93 322
parameters), loaded from ``--weights`` (the float32 state dict that
``docs/examples/compress_cnn.py`` saves with ``minigrad.save``).  Without ``--weights``, or
when the file does not exist, it is trained as compress_cnn.py trains it (``fit``, Adam,
batch 64, ``--epochs`` epochs, seed ``--seed``) and saved there if a path was given;
``--train-steps N`` trains N Adam steps (batch 64, lr 1e-3) instead, for a quick run.

Its PyTorch twin is the same ``torch.nn.Sequential`` (the same module names) loaded from the
same weights; the two float32 test accuracies must be identical.  Then, from the same
float32 weights and on the same calibration data — the first ``--calib-batches`` batches of
256 training images, in order, as compress_cnn.py's static int8 rows use:

* **PyTorch eager-mode PTQ** (``torch.ao.quantization``): the four Conv2d/Linear → ReLU
  pairs fused (``fuse_modules``, as minigrad's ``prepare`` fuses them), the model wrapped in
  ``QuantWrapper`` (QuantStub/DeQuantStub), ``get_default_qconfig("x86")`` (per-channel
  symmetric int8 weights, histogram observer, 7-bit activations: ``reduce_range``) and the
  ``x86`` quantised engine (FBGEMM/oneDNN kernels), ``prepare`` → calibration → ``convert``;
* **minigrad static int8** (``minigrad.quantization``: ``prepare`` → calibration →
  ``convert``) with the min/max and with the histogram observer.

For each float32 and int8 model: test accuracy on the 10 000 Fashion-MNIST test images,
the change against its framework's float32 model (points), the fraction of test images
whose predicted class equals its float32 model's, the bytes of its state dict file
(``torch.save`` / ``minigrad.save``, in memory) and how many times smaller than its
framework's float32 file it is, and inference samples/s: batch 256, one thread
(``torch.set_num_threads(1)``; threadpoolctl's BLAS limit for minigrad), ``eval()`` under
``no_grad``, the input converted from NumPy and the logits back in the timed loop (as
compress_cnn.py's ``evaluate``).  Speed: ``--repeats`` rounds, each a pass over the test
set by every model in turn (alternating, so machine drift hits all of them), after one
warm-up batch each; the median over rounds.  The first round's predictions give the
accuracies (later rounds must predict the same).

Prints a table and writes JSON (``--out``).  PyTorch is optional: without it only
minigrad's rows are measured, and the output says so.

``--quick``: 2 calibration batches, the first 1 000 test images, 2 rounds (the test's
smoke run; combine with ``--train-steps`` to train in seconds).
"""
import argparse
import copy
import io
import json
import os
import platform
import statistics
import sys
import time
import warnings

import numpy as np

from benchmarks.cnn_throughput import MODELS, build
from benchmarks.machine import machine_info

LAYERS = MODELS["A"][0]                   # seed000's CNN
BATCH = 256                               # calibration and inference batch
TORCH_MISSING = ("PyTorch is not installed (pip install torch): only minigrad's rows are "
                 "measured, without the PyTorch comparison")


def torch_available():
    try:
        import torch  # noqa: F401
        return True
    except ImportError:
        return False


def load_data(data_dir=None):
    """Fashion-MNIST as the examples load it: float32 in [0, 1], NCHW (N, 1, 28, 28)."""
    from minigrad.data import datasets
    (x_train, y_train), (x_test, y_test) = datasets.fashion_mnist(root=data_dir)
    prep = lambda x: (x.astype(np.float32) / 255)[:, None]
    return prep(x_train), y_train.astype(np.int64), prep(x_test), y_test.astype(np.int64)


# ---------------------------------------------------------------------------------------
# the float32 model: loaded, or trained

def minigrad_model():
    from minigrad import nn, train
    return train.Sequential(*build(nn, LAYERS))      # compilable, keys "0.weight", …


def train_weights(x_train, y_train, epochs, steps, seed):
    """A trained float32 minigrad model: ``fit`` for ``epochs`` epochs as compress_cnn.py
    (``steps`` is None), or ``steps`` Adam steps on random batches of 64 (lr 1e-3)."""
    import minigrad
    from minigrad import optim
    from minigrad.data import to_categorical
    from minigrad.nn import functional as F
    minigrad.manual_seed(seed)
    model = minigrad_model()
    if steps is None:
        model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
        model.fit(x_train, to_categorical(y_train, 10), epochs=epochs, batch_size=64,
                  seed=seed, verbose=1)
    else:
        opt = optim.Adam(model.parameters(), lr=1e-3)
        rng = np.random.default_rng(seed)
        model.train()
        for _ in range(steps):
            idx = rng.integers(0, len(x_train), 64)
            loss = F.cross_entropy(model(minigrad.tensor(x_train[idx])),
                                   minigrad.tensor(y_train[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    return model


def float_state(args, x_train, y_train):
    """(the float32 state dict as NumPy arrays, where it came from)."""
    import minigrad
    if args.weights and os.path.exists(args.weights):
        state = minigrad.load(args.weights)
        source = f"loaded {args.weights}"
    else:
        start = time.perf_counter()
        model = train_weights(x_train, y_train, args.epochs, args.train_steps, args.seed)
        what = (f"{args.train_steps} Adam steps" if args.train_steps is not None
                else f"{args.epochs} epoch(s)")
        source = f"trained {what} (seed {args.seed}) in {time.perf_counter() - start:.0f} s"
        state = model.state_dict()
        if args.weights:
            os.makedirs(os.path.dirname(os.path.abspath(args.weights)), exist_ok=True)
            minigrad.save(state, args.weights)
            source += f", saved to {args.weights}"
    print(source, flush=True)
    return {k: np.array(v.numpy() if hasattr(v, "numpy") else v) for k, v in state.items()}, source


# ---------------------------------------------------------------------------------------
# the models of each framework

def minigrad_float(state):
    import minigrad
    model = minigrad_model()
    model.load_state_dict({k: minigrad.tensor(v) for k, v in state.items()})
    return model.eval()


def minigrad_int8(float_model, observer, calib):
    import minigrad
    from minigrad import quantization as Q
    prepared = Q.prepare(float_model, observer=observer)
    prepared.eval()
    with minigrad.no_grad():
        for xb in calib:
            prepared(minigrad.tensor(xb))
    return Q.convert(prepared).eval()


def torch_float(state):
    import torch
    model = build(torch.nn, LAYERS)
    model.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in state.items()})
    return model.eval()


def fusion_pairs(model):
    """Names of each Conv2d/Linear directly followed by a ReLU in a Sequential (what
    minigrad's ``prepare`` fuses): [["0", "1"], ["3", "4"], …]."""
    from torch import nn
    names = [name for name, _ in model.named_children()]
    children = list(model.children())
    return [[names[i], names[i + 1]] for i in range(len(children) - 1)
            if isinstance(children[i], (nn.Conv2d, nn.Linear))
            and isinstance(children[i + 1], nn.ReLU)]


def torch_int8(float_model, calib, engine="x86"):
    """PyTorch eager-mode PTQ of ``float_model``: fused, per-channel ``x86`` qconfig,
    calibrated on ``calib``."""
    import torch
    from torch.ao import quantization as tq
    torch.backends.quantized.engine = engine
    with warnings.catch_warnings():     # torch.ao.quantization's deprecation notices
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", UserWarning)
        model = copy.deepcopy(float_model).eval()
        model = tq.fuse_modules(model, fusion_pairs(model))
        wrapped = tq.QuantWrapper(model).eval()
        wrapped.qconfig = tq.get_default_qconfig(engine)
        prepared = tq.prepare(wrapped)
        with torch.no_grad():
            for xb in calib:
                prepared(torch.from_numpy(xb))
        return tq.convert(prepared).eval()


def file_bytes(framework, model):
    """Bytes of the state dict file (``minigrad.save`` / ``torch.save``), written in memory."""
    buf = io.BytesIO()
    if framework == "minigrad":
        import minigrad
        minigrad.save(model.state_dict(), buf)
    else:
        import torch
        torch.save(model.state_dict(), buf)
    return len(buf.getvalue())


# ---------------------------------------------------------------------------------------
# inference: predictions and speed

def timed_pass(framework, model, x):
    """(predicted classes, seconds) of one pass over ``x`` in batches of 256."""
    if framework == "minigrad":
        import minigrad
        grad_off, to_tensor = minigrad.no_grad, minigrad.tensor
    else:
        import torch
        grad_off, to_tensor = torch.no_grad, torch.from_numpy
    predicted = np.empty(len(x), dtype=np.int64)
    with grad_off():
        start = time.perf_counter()
        for i in range(0, len(x), BATCH):
            logits = model(to_tensor(x[i:i + BATCH])).numpy()
            predicted[i:i + BATCH] = logits.argmax(axis=1)
        seconds = time.perf_counter() - start
    return predicted, seconds


def logits_of(framework, model, x):
    if framework == "minigrad":
        import minigrad
        with minigrad.no_grad():
            return np.concatenate([model(minigrad.tensor(x[i:i + BATCH])).numpy()
                                   for i in range(0, len(x), BATCH)])
    import torch
    with torch.no_grad():
        return np.concatenate([model(torch.from_numpy(x[i:i + BATCH])).numpy()
                               for i in range(0, len(x), BATCH)])


def measure(models, x, repeats):
    """{name: (predictions of the first round, [samples/s of each round])}, the models
    alternating within each round."""
    for framework, model in models.values():                 # warm-up
        timed_pass(framework, model, x[:BATCH])
    predictions, rates = {}, {name: [] for name in models}
    for r in range(repeats):
        for name, (framework, model) in models.items():
            predicted, seconds = timed_pass(framework, model, x)
            if r == 0:
                predictions[name] = predicted
            elif not np.array_equal(predicted, predictions[name]):
                raise RuntimeError(f"{name}: round {r + 1} predicted differently from "
                                   f"round 1")
            rates[name].append(len(x) / seconds)
    return {name: (predictions[name], rates[name]) for name in models}


# ---------------------------------------------------------------------------------------

def run(args):
    load_at_start = os.getloadavg() if hasattr(os, "getloadavg") else None
    have_torch = torch_available()
    if not have_torch:
        print(TORCH_MISSING, file=sys.stderr, flush=True)
    x_train, y_train, x_test, y_test = load_data(args.data_dir)
    state, source = float_state(args, x_train, y_train)
    if args.quick:
        x_test, y_test = x_test[:1000], y_test[:1000]
    calib = [x_train[i * BATCH:(i + 1) * BATCH] for i in range(args.calib_batches)]
    print(f"test images {len(x_test)}, calibration: the first {args.calib_batches} "
          f"training batches of {BATCH}", flush=True)

    from threadpoolctl import threadpool_limits
    limits = threadpool_limits(limits=1, user_api="blas")
    torch_threads = None
    if have_torch:
        import torch
        torch_threads, torch_engine = torch.get_num_threads(), torch.backends.quantized.engine
        torch.set_num_threads(1)
    try:
        start = time.perf_counter()
        # name: (framework, method, model); each framework's float32 model first
        models = {}
        mg_float = minigrad_float(state)
        models["minigrad float32"] = ("minigrad", "float32", mg_float)
        for observer in ("minmax", "histogram"):
            models[f"minigrad int8 static ({observer})"] = (
                "minigrad", f"int8 static, {observer} observer",
                minigrad_int8(mg_float, observer, calib))
        if have_torch:
            t_float = torch_float(state)
            models["pytorch float32"] = ("pytorch", "float32", t_float)
            models["pytorch int8 static (x86 per-channel)"] = (
                "pytorch", "int8 static, get_default_qconfig('x86'): per-channel weights, "
                "histogram observer, reduce_range", torch_int8(t_float, calib))
        prepare_s = time.perf_counter() - start
        print(f"quantised in {prepare_s:.1f} s; timing {args.repeats} round(s)", flush=True)

        start = time.perf_counter()
        measured = measure({n: (f, m) for n, (f, _, m) in models.items()}, x_test,
                           args.repeats)
        measure_s = time.perf_counter() - start

        result = {"model": "seed000 CNN (benchmarks.cnn_throughput.MODELS['A'])",
                  "weights": source, "n_test": len(x_test),
                  "calib_batches": args.calib_batches, "batch": BATCH, "threads": 1,
                  "repeats": args.repeats, "quick": bool(args.quick),
                  "python": platform.python_version(),
                  "machine": machine_info(1), "load_average_at_start": load_at_start,
                  "pytorch": None if have_torch else TORCH_MISSING,
                  "seconds": {"quantise": prepare_s, "measure": measure_s}}
        if have_torch:
            result["torch_version"] = torch.__version__
            result["torch_quantized_engine"] = torch.backends.quantized.engine
        rows, base = [], {}
        for name, (framework, method, model) in models.items():
            predicted, rates = measured[name]
            acc = float((predicted == y_test).mean())
            size = file_bytes(framework, model)
            if method == "float32":
                base[framework] = dict(acc=acc, size=size, predicted=predicted)
            ref = base[framework]
            rows.append({"name": name, "framework": framework, "method": method,
                         "accuracy": acc, "vs_float32_points": 100 * (acc - ref["acc"]),
                         "agree_with_float32": float((predicted == ref["predicted"]).mean()),
                         "file_bytes": size, "times_smaller": ref["size"] / size,
                         "samples_per_s": statistics.median(rates),
                         "samples_per_s_rounds": rates})
        result["rows"] = rows
        if have_torch:               # the same weights in both: the same float32 function
            a = logits_of("minigrad", mg_float, x_test)
            b = logits_of("pytorch", t_float, x_test)
            result["float32_check"] = {
                "accuracy_equal": base["minigrad"]["acc"] == base["pytorch"]["acc"],
                "predictions_differ": int((a.argmax(1) != b.argmax(1)).sum()),
                "max_abs_logit_diff": float(np.abs(a - b).max())}
            mg_q = measured["minigrad int8 static (histogram)"][0]
            t_q = measured["pytorch int8 static (x86 per-channel)"][0]
            result["int8_agreement_minigrad_histogram_vs_pytorch"] = float((mg_q == t_q).mean())
    finally:
        limits.restore_original_limits()
        if torch_threads is not None:
            torch.set_num_threads(torch_threads)
            torch.backends.quantized.engine = torch_engine
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(result, f, indent=2)
    print_table(result)
    return result


def print_table(result):
    print(f"\nseed000 CNN, int8 post-training quantisation: {result['n_test']:,} test images, "
          f"{result['calib_batches']} calibration batches of {result['batch']}, batch "
          f"{result['batch']}, 1 thread, median of {result['repeats']} alternating round(s)")
    print(f"weights: {result['weights']}")
    load = result["machine"].get("load_average")
    if load:
        print(f"machine: {result['machine']['cpu']}, {result['machine']['cpu_count']} CPUs, "
              f"load average {load[0]:.1f} at the end ({result['load_average_at_start'][0]:.1f}"
              f" at the start)")
    print()
    print("| model | test accuracy | vs float32 | same class as float32 | file bytes "
          "| × smaller | samples/s |")
    print("|---|---|---|---|---|---|---|")
    for r in result["rows"]:
        print(f"| {r['name']} | {r['accuracy']:.4f} | {r['vs_float32_points']:+.2f} "
              f"| {r['agree_with_float32']:.2%} | {r['file_bytes']:,} "
              f"| {r['times_smaller']:.2f} | {r['samples_per_s']:,.0f} |")
    check = result.get("float32_check")
    if check:
        verdict = "identical" if check["accuracy_equal"] else "DIFFERENT"
        print(f"\nfloat32 accuracy minigrad vs PyTorch on the same weights: {verdict} "
              f"({check['predictions_differ']} predictions differ, max |logit difference| "
              f"{check['max_abs_logit_diff']:.2g})")
        print(f"int8 predictions, minigrad (histogram) vs PyTorch: "
              f"{result['int8_agreement_minigrad_histogram_vs_pytorch']:.2%} the same class")
    else:
        print(f"\n{result['pytorch']}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", default=None,
                        help="the float32 state dict (minigrad.save) to start from; "
                             "trained and saved there if it does not exist")
    parser.add_argument("--train-steps", type=int, default=None,
                        help="without weights: train N Adam steps (batch 64) instead of "
                             "--epochs epochs (a quick run)")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--calib-batches", type=int, default=None,
                        help="calibration batches of 256 training images (default 20; "
                             "quick 2)")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timing rounds (default 5; quick 2)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default=None, help="write the results as JSON there")
    parser.add_argument("--quick", action="store_true",
                        help="2 calibration batches, 1000 test images, 2 rounds")
    args = parser.parse_args(argv)
    if args.calib_batches is None:
        args.calib_batches = 2 if args.quick else 20
    if args.repeats is None:
        args.repeats = 2 if args.quick else 5
    return run(args)


if __name__ == "__main__":
    main()
