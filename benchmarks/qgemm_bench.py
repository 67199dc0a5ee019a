"""int8 GEMM (the ``qgemm`` kernels) against float32 SGEMM, a dynamically quantised MLP and
a statically quantised CNN against the float ones: time, weight memory and saved-file size.

    python -m benchmarks.qgemm_bench [--repeats 5] [--quick] [--cnn-rounds 15]
        [--threads 1] [--out results.json]

Each product (M, K, N) runs the float32 ``a @ b`` (OpenBLAS SGEMM) and every registered
``qgemm`` implementation on int8 operands of the same shape (the median of ``repeats``
timed calls after one warm-up).  The model part times ``forward`` of an MLP
784-512-512-10 on a batch of 256, float32 and after ``quantize_dynamic`` (which adds the
per-batch input quantisation and the rescale), and saves both state dicts with
``minigrad.save`` to compare file sizes.

The CNN part is seed000's CNN (``docs/examples/seed000_cnn.py``: three Conv2d, two Linear;
random weights — the kernels are exact, so speed does not depend on training) against its
static int8 version (``prepare`` → 4 calibration batches → ``convert``: every layer int8,
ReLUs fused): ``forward`` of a batch of 256 Fashion-MNIST-shaped images (1 × 28 × 28),
``eval()`` under ``no_grad``, the two models alternating for ``--cnn-rounds`` rounds (on a
shared machine the ratio of each round is steadier than either time), and the state-dict
file sizes.  ``--threads``: BLAS threads (threadpoolctl), 1 by default.
"""
import argparse
import io
import json
import statistics
import time

import numpy as np

SHAPES = ((256, 784, 256), (256, 1024, 1024), (64, 4096, 1024))
QUICK = ((64, 784, 256),)


def _time(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def bench_gemm(shapes, repeats):
    from minigrad import backend
    rows = []
    impls = [impl for _, _, impl in backend.available_kernels("qgemm", "cpu")]
    for m, k, n in shapes:
        rng = np.random.default_rng(0)
        af = rng.standard_normal((m, k), dtype=np.float32)
        bf = rng.standard_normal((k, n), dtype=np.float32)
        a8 = rng.integers(-128, 128, (m, k)).astype(np.int8)
        b8 = rng.integers(-128, 128, (k, n)).astype(np.int8)
        row = {"shape": (m, k, n), "sgemm_float32": _time(lambda af=af, bf=bf: af @ bf, repeats)}
        for impl in impls:
            with backend.use_kernels("cpu", qgemm=impl):
                fn = backend.kernel("qgemm", "cpu")
            row[f"qgemm_{impl}"] = _time(lambda fn=fn, a8=a8, b8=b8: fn(a8, b8), repeats)
        rows.append(row)
    return rows


def bench_model(repeats, batch=256):
    import minigrad
    from minigrad import nn
    from minigrad.quantization import quantize_dynamic
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                          nn.Linear(512, 10))
    q = quantize_dynamic(model)
    x = minigrad.randn(batch, 784)

    def size(sd):
        f = io.BytesIO()
        minigrad.save(sd, f)
        return len(f.getvalue())

    def weight_bytes(sd):
        return sum(v._data.nbytes for v in sd.values())

    with minigrad.no_grad():
        t_float = _time(lambda: model(x), repeats)
        t_q = _time(lambda: q(x), repeats)
    y, yq = model(x)._data, q(x)._data
    return {"batch": batch, "forward_float32_s": t_float, "forward_int8_dynamic_s": t_q,
            "state_bytes_float32": weight_bytes(model.state_dict()),
            "state_bytes_int8": weight_bytes(q.state_dict()),
            "file_bytes_float32": size(model.state_dict()),
            "file_bytes_int8": size(q.state_dict()),
            "max_abs_logit_error": float(np.abs(y - yq).max()),
            "max_abs_logit": float(np.abs(y).max())}


def bench_cnn(rounds, batch=256):
    """seed000's CNN, float32 against static int8: medians, the median of the per-round
    ratios int8 / float32, files."""
    import os
    import sys

    import minigrad
    from minigrad import quantization as Q
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(
        __file__))), "docs", "examples"))
    from seed000_cnn import build_model
    minigrad.manual_seed(0)
    model = build_model()
    model.eval()
    rng = np.random.default_rng(0)
    images = lambda: minigrad.tensor(rng.random((batch, 1, 28, 28), dtype=np.float32))
    prepared = Q.prepare(model)
    with minigrad.no_grad():
        for _ in range(4):
            prepared(images())
    q = Q.convert(prepared)
    q.eval()
    x = images()
    times = {"float32": [], "int8": []}
    with minigrad.no_grad():
        y, yq = model(x)._data, q(x)._data                  # warm-up (and compilation)
        for _ in range(rounds):
            for name, m in (("float32", model), ("int8", q)):
                t0 = time.perf_counter()
                m(x)
                times[name].append(time.perf_counter() - t0)
    ratios = [b / a for a, b in zip(times["float32"], times["int8"], strict=True)]

    def size(sd):
        f = io.BytesIO()
        minigrad.save(sd, f)
        return len(f.getvalue())

    return {"batch": batch, "rounds": rounds,
            "forward_float32_s": statistics.median(times["float32"]),
            "forward_int8_static_s": statistics.median(times["int8"]),
            "int8_over_float32": statistics.median(ratios),
            "file_bytes_float32": size(model.state_dict()),
            "file_bytes_int8": size(q.state_dict()),
            "tensors_float32": len(model.state_dict()), "tensors_int8": len(q.state_dict()),
            "max_abs_logit_error": float(np.abs(y - yq).max()),
            "max_abs_logit": float(np.abs(y).max())}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--quick", action="store_true")
    p.add_argument("--cnn-rounds", type=int, default=15, help="0 skips the CNN")
    p.add_argument("--threads", type=int, default=1, help="BLAS threads")
    p.add_argument("--out")
    args = p.parse_args(argv)
    from threadpoolctl import threadpool_limits
    threadpool_limits(args.threads)
    rows = bench_gemm(QUICK if args.quick else SHAPES, args.repeats)
    impls = [k for k in rows[0] if k != "shape"]
    print(f"{'M×K×N':>16} " + " ".join(f"{k:>15}" for k in impls) + "   (ms; ×: vs SGEMM)")
    for r in rows:
        base = r["sgemm_float32"]
        cells = [f"{1e3 * r[k]:8.2f} ({r[k] / base:4.1f}×)" for k in impls]
        print(f"{'×'.join(map(str, r['shape'])):>16} " + " ".join(f"{c:>15}" for c in cells))
    model = bench_model(args.repeats)
    print(f"MLP 784-512-512-10, batch {model['batch']}: forward float32 "
          f"{1e3 * model['forward_float32_s']:.2f} ms, int8 dynamic "
          f"{1e3 * model['forward_int8_dynamic_s']:.2f} ms; weights "
          f"{model['state_bytes_float32']:,} → {model['state_bytes_int8']:,} bytes; file "
          f"{model['file_bytes_float32']:,} → {model['file_bytes_int8']:,} bytes "
          f"({model['file_bytes_float32'] / model['file_bytes_int8']:.2f}× smaller); max "
          f"|logit error| {model['max_abs_logit_error']:.4f} of max |logit| "
          f"{model['max_abs_logit']:.2f}")
    cnn = bench_cnn(args.cnn_rounds) if args.cnn_rounds > 0 else None
    if cnn:
        print(f"seed000 CNN, batch {cnn['batch']}: forward float32 "
              f"{1e3 * cnn['forward_float32_s']:.1f} ms, int8 static "
              f"{1e3 * cnn['forward_int8_static_s']:.1f} ms (medians of {cnn['rounds']}; "
              f"int8 / float32 per round, median: {cnn['int8_over_float32']:.2f}); file "
              f"{cnn['file_bytes_float32']:,} → {cnn['file_bytes_int8']:,} bytes "
              f"({cnn['file_bytes_float32'] / cnn['file_bytes_int8']:.2f}× smaller; "
              f"{cnn['tensors_float32']} → {cnn['tensors_int8']} tensors); max |logit error| "
              f"{cnn['max_abs_logit_error']:.4f} of max |logit| {cnn['max_abs_logit']:.2f}")
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"gemm": rows, "model": model, "cnn": cnn}, f, indent=1)


if __name__ == "__main__":
    main()
