"""Int8 post-training quantisation and global pruning of seed000's CNN: minigrad against
PyTorch, same weights.

    python -m benchmarks.compress_vs_pytorch [--weights PATH] [--train-steps N] [--epochs 10]
        [--calib-batches 20] [--repeats 5] [--finetune-steps 1000] [--seed 0]
        [--data-dir DIR] [--out results.json] [--quick]

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

Then **global unstructured L1 pruning** at 50 / 80 / 90 %, as compress_cnn.py prunes:
``prune.global_unstructured(..., pruning_method=L1Unstructured, amount=a)`` over the weight
of every Conv2d and Linear (the five layers, 93 088 weights; biases are not pruned), done
by each framework (``minigrad.nn.utils.prune`` / ``torch.nn.utils.prune``) on its own copy
of the same float32 weights.  For each level:

* the masks: how many of the 93 088 mask entries differ between the frameworks (0 expected;
  only a tie of |w| at the threshold could make them differ, and how many entries tie there
  is reported);
* test accuracy without fine-tuning (``prune.remove`` right away), both frameworks: the
  same weights times the same mask, so equal up to float rounding;
* test accuracy after ``--finetune-steps`` Adam steps (lr 2e-4, batch 64, the mask in place,
  then ``prune.remove``) as compress_cnn.py fine-tunes: the batches are the same in both
  frameworks and in compress_cnn.py (``np.random.default_rng(--seed).integers(0, 60 000,
  64)`` per step, in order, over the whole training set); minigrad's and PyTorch's Adam are
  the same update rule, so the two results differ only by float rounding carried through
  the steps.  Both are reported, with their difference.

The pruning rows join the same table (``--finetune-steps 0`` leaves the fine-tuned rows
out).  Their file bytes are those of the dense state dict after ``prune.remove``: the
zeros are stored like any other weight, so the file is as large as float32's (× 1.00) —
sparsity only pays once compressed (compress_cnn.py's zlib column).  Their speed is not
measured (``samples/s`` is left empty, ``None`` in the JSON): the pruned models run the
same dense kernels on the same shapes as the float32 model, so the float32 row's speed is
theirs; timing them would only add minutes of repeated passes.  Fine-tuning runs with the
same one thread as inference.

Prints a table and writes JSON (``--out``).  PyTorch is optional: without it only
minigrad's rows are measured, and the output says so.

``--quick``: 2 calibration batches, the first 1 000 test images, 2 rounds, 5 fine-tune
steps (the test's smoke run; combine with ``--train-steps`` to train in seconds).
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
PRUNE_AMOUNTS = (0.5, 0.8, 0.9)           # global L1 pruning levels (compress_cnn.py's)
FINETUNE_LR, FINETUNE_BATCH = 2e-4, 64    # compress_cnn.py's fine-tuning after pruning
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
# global pruning, in either framework

def _prune_module(framework):
    if framework == "minigrad":
        from minigrad.nn.utils import prune
    else:
        from torch.nn.utils import prune
    return prune


def prunable(framework, model):
    """The ``(module, "weight")`` pairs compress_cnn.py prunes: every Conv2d and Linear."""
    if framework == "minigrad":
        from minigrad import nn
    else:
        from torch import nn
    return [(m, "weight") for m in model.modules() if type(m) in (nn.Linear, nn.Conv2d)]


def global_prune(framework, model, amount):
    """``prune.global_unstructured`` with ``L1Unstructured`` at ``amount``, in place; the
    mask entries (flattened, layer after layer) as one float array."""
    prune = _prune_module(framework)
    pairs = prunable(framework, model)
    prune.global_unstructured(pairs, pruning_method=prune.L1Unstructured, amount=amount)
    masks = [getattr(m, name + "_mask") for m, name in pairs]
    if framework == "pytorch":
        masks = [k.detach() for k in masks]
    return np.concatenate([np.asarray(k.numpy()).reshape(-1) for k in masks])


def unprune(framework, model):
    """``prune.remove`` on every pruned weight: dense Parameters with the zeros in them."""
    prune = _prune_module(framework)
    for m, name in prunable(framework, model):
        prune.remove(m, name)
    return model.eval()


def finetune_batches(n, steps, seed):
    """compress_cnn.py's fine-tuning batches: per step, 64 indices from
    ``np.random.default_rng(seed).integers(0, n, 64)``, in order."""
    rng = np.random.default_rng(seed)
    return [rng.integers(0, n, FINETUNE_BATCH) for _ in range(steps)]


def finetune(framework, model, x, y, batches):
    """Adam (lr 2e-4, PyTorch's defaults otherwise) on ``batches``, training mode, the
    masks in place (pruned weights get zero gradient and stay zero); as compress_cnn.py."""
    if framework == "minigrad":
        import minigrad
        from minigrad import optim
        from minigrad.nn import functional as F
        to_tensor, adam = minigrad.tensor, optim.Adam
    else:
        import torch
        from torch.nn import functional as F
        to_tensor, adam = torch.from_numpy, torch.optim.Adam
    model.train()
    opt = adam([p for p in model.parameters() if p.requires_grad], lr=FINETUNE_LR)
    for idx in batches:
        loss = F.cross_entropy(model(to_tensor(x[idx])), to_tensor(y[idx]))
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


def dense_weights(framework, model):
    """Every Conv2d/Linear weight, flattened and concatenated (after ``unprune``)."""
    return np.concatenate([np.asarray(getattr(m, name).detach().numpy()).reshape(-1)
                           for m, name in prunable(framework, model)])


def ties_at_threshold(weights, amount):
    """How many weights share |w| with the last pruned / first kept entry when those two
    are equal (0 when they are not: the L1 ranking then has no tie that could matter)."""
    a = np.sort(np.abs(weights))
    k = round(amount * a.size)
    if k == 0 or k == a.size or a[k - 1] != a[k]:
        return 0
    return int((np.abs(weights) == a[k]).sum())


def prune_all(have_torch, state, x_train, y_train, x_test, y_test, steps, seed):
    """The pruned models, with and without fine-tuning, as {row name: (framework, method,
    predicted classes, model, extra row fields)}, and the per-level comparison between the
    frameworks (a list of dicts; empty without PyTorch)."""
    frameworks = ["minigrad"] + (["pytorch"] if have_torch else [])
    make = {"minigrad": minigrad_float, "pytorch": torch_float}
    batches = finetune_batches(len(x_train), steps, seed) if steps else []
    float_weights = dense_weights("minigrad", minigrad_float(state))
    rows, checks = {}, []

    def compare(a, b):
        return {"minigrad": float((a.argmax(1) == y_test).mean()),
                "pytorch": float((b.argmax(1) == y_test).mean()),
                "difference": float((a.argmax(1) == y_test).mean()
                                    - (b.argmax(1) == y_test).mean()),
                "predictions_differ": int((a.argmax(1) != b.argmax(1)).sum()),
                "max_abs_logit_diff": float(np.abs(a - b).max())}

    for amount in PRUNE_AMOUNTS:
        masks, logits, weights = {}, {}, {}
        for fw in frameworks:
            model = make[fw](state)
            masks[fw] = global_prune(fw, model, amount)
            unprune(fw, model)
            logits[fw, 0] = logits_of(fw, model, x_test)
            rows[f"{fw} pruned {amount:.0%} global L1"] = (
                fw, f"prune.global_unstructured L1 {amount:.0%}, no fine-tune",
                logits[fw, 0].argmax(1), model,
                {"prune_amount": amount, "finetune_steps": 0,
                 "weights_zero": float((dense_weights(fw, model) == 0).mean())})
        if steps:
            for fw in frameworks:
                model = make[fw](state)
                if not np.array_equal(global_prune(fw, model, amount), masks[fw]):
                    raise RuntimeError(f"{fw}: pruning the same weights again gave another "
                                       f"mask")
                unprune(fw, finetune(fw, model, x_train, y_train, batches))
                logits[fw, steps] = logits_of(fw, model, x_test)
                weights[fw] = dense_weights(fw, model)
                rows[f"{fw} pruned {amount:.0%} global L1 + {steps} Adam steps"] = (
                    fw, f"prune.global_unstructured L1 {amount:.0%}, then {steps} Adam "
                        f"steps (lr {FINETUNE_LR:g}, batch {FINETUNE_BATCH})",
                    logits[fw, steps].argmax(1), model,
                    {"prune_amount": amount, "finetune_steps": steps,
                     "weights_zero": float((weights[fw] == 0).mean())})
        if have_torch:
            check = {"amount": amount, "mask_entries": int(masks["minigrad"].size),
                     "pruned": int((masks["minigrad"] == 0).sum()),
                     "masks_differ": int((masks["minigrad"] != masks["pytorch"]).sum()),
                     "ties_at_threshold": ties_at_threshold(float_weights, amount),
                     "no_finetune": compare(logits["minigrad", 0], logits["pytorch", 0])}
            if steps:
                check["finetune"] = dict(
                    steps=steps, **compare(logits["minigrad", steps],
                                           logits["pytorch", steps]),
                    max_abs_weight_diff=float(np.abs(weights["minigrad"]
                                                     - weights["pytorch"]).max()),
                    zeros_differ=int(((weights["minigrad"] == 0)
                                      != (weights["pytorch"] == 0)).sum()))
            checks.append(check)
        print(f"pruned {amount:.0%}" + (f", fine-tuned {steps} steps" if steps else ""),
              flush=True)
    return rows, checks


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

        start = time.perf_counter()
        pruned, prune_checks = prune_all(have_torch, state, x_train, y_train, x_test, y_test,
                                         args.finetune_steps, args.seed)
        prune_s = time.perf_counter() - start

        result = {"model": "seed000 CNN (benchmarks.cnn_throughput.MODELS['A'])",
                  "weights": source, "n_test": len(x_test),
                  "calib_batches": args.calib_batches, "batch": BATCH, "threads": 1,
                  "repeats": args.repeats, "quick": bool(args.quick),
                  "prune_amounts": list(PRUNE_AMOUNTS), "finetune_steps": args.finetune_steps,
                  "finetune": {"optimizer": "Adam", "lr": FINETUNE_LR,
                               "batch": FINETUNE_BATCH, "seed": args.seed},
                  "python": platform.python_version(),
                  "machine": machine_info(1), "load_average_at_start": load_at_start,
                  "pytorch": None if have_torch else TORCH_MISSING,
                  "seconds": {"quantise": prepare_s, "measure": measure_s,
                              "prune_and_finetune": prune_s}}
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
        for name, (framework, method, predicted, model, extra) in pruned.items():
            acc = float((predicted == y_test).mean())
            size = file_bytes(framework, model)
            ref = base[framework]
            rows.append({"name": name, "framework": framework, "method": method,
                         "accuracy": acc, "vs_float32_points": 100 * (acc - ref["acc"]),
                         "agree_with_float32": float((predicted == ref["predicted"]).mean()),
                         "file_bytes": size, "times_smaller": ref["size"] / size,
                         "samples_per_s": None,          # the float32 model's: not re-timed
                         "samples_per_s_rounds": [], **extra})
        result["rows"] = rows
        if have_torch:
            result["pruning_check"] = prune_checks
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
    print(f"\nseed000 CNN, int8 post-training quantisation and global L1 pruning: "
          f"{result['n_test']:,} test images, {result['calib_batches']} calibration batches "
          f"of {result['batch']}, batch {result['batch']}, 1 thread, median of "
          f"{result['repeats']} alternating round(s); pruned models fine-tuned "
          f"{result['finetune_steps']} Adam steps (lr {result['finetune']['lr']:g}, batch "
          f"{result['finetune']['batch']}), their speed not timed (the float32 model's)")
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
        speed = "—" if r["samples_per_s"] is None else f"{r['samples_per_s']:,.0f}"
        print(f"| {r['name']} | {r['accuracy']:.4f} | {r['vs_float32_points']:+.2f} "
              f"| {r['agree_with_float32']:.2%} | {r['file_bytes']:,} "
              f"| {r['times_smaller']:.2f} | {speed} |")
    check = result.get("float32_check")
    if check:
        verdict = "identical" if check["accuracy_equal"] else "DIFFERENT"
        print(f"\nfloat32 accuracy minigrad vs PyTorch on the same weights: {verdict} "
              f"({check['predictions_differ']} predictions differ, max |logit difference| "
              f"{check['max_abs_logit_diff']:.2g})")
        print(f"int8 predictions, minigrad (histogram) vs PyTorch: "
              f"{result['int8_agreement_minigrad_histogram_vs_pytorch']:.2%} the same class")
        print_pruning(result)
    else:
        print(f"\n{result['pytorch']}")


def print_pruning(result):
    checks = result.get("pruning_check")
    if not checks:
        return
    steps = result["finetune_steps"]
    print(f"\nglobal L1 pruning, minigrad vs PyTorch on the same weights (masks over "
          f"{checks[0]['mask_entries']:,} Conv2d/Linear weights):")
    print()
    head = ("| pruned | masks differ | ties at threshold | no fine-tune: minigrad | pytorch "
            "| difference | predictions differ |")
    rule = "|---|---|---|---|---|---|---|"
    if steps:
        head += (f" {steps} steps: minigrad | pytorch | difference | predictions differ "
                 f"| max \\|Δw\\| |")
        rule += "---|---|---|---|---|"
    print(head)
    print(rule)
    for c in checks:
        nf = c["no_finetune"]
        line = (f"| {c['amount']:.0%} | {c['masks_differ']} | {c['ties_at_threshold']} "
                f"| {nf['minigrad']:.4f} | {nf['pytorch']:.4f} | {100 * nf['difference']:+.2f} "
                f"| {nf['predictions_differ']} |")
        if "finetune" in c:
            ft = c["finetune"]
            line += (f" {ft['minigrad']:.4f} | {ft['pytorch']:.4f} "
                     f"| {100 * ft['difference']:+.2f} | {ft['predictions_differ']} "
                     f"| {ft['max_abs_weight_diff']:.2g} |")
        print(line)
    print("(differences in points; predictions differ: test images whose class differs "
          "between the two frameworks' models)")


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
    parser.add_argument("--finetune-steps", type=int, default=None,
                        help="Adam steps (lr 2e-4, batch 64) after each pruning, as "
                             "compress_cnn.py (default 1000; quick 5; 0: no fine-tuned rows)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--out", default=None, help="write the results as JSON there")
    parser.add_argument("--quick", action="store_true",
                        help="2 calibration batches, 1000 test images, 2 rounds, 5 "
                             "fine-tune steps")
    args = parser.parse_args(argv)
    if args.finetune_steps is None:
        args.finetune_steps = 5 if args.quick else 1000
    if args.finetune_steps < 0:
        parser.error("--finetune-steps must be >= 0")
    if args.calib_batches is None:
        args.calib_batches = 2 if args.quick else 20
    if args.repeats is None:
        args.repeats = 2 if args.quick else 5
    return run(args)


if __name__ == "__main__":
    main()
