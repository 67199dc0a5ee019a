"""Causal self-attention, forward + backward, on the CPU: the NumPy reference, the fused
Numba kernel, the BLAS tiles (the default) and PyTorch's ``scaled_dot_product_attention``,
plus the blockwise kernels' extra memory against the reference's.

    python -m benchmarks.attention_bench [--lengths 64,128,256,512,1024] [--batch 8]
        [--heads 4] [--feat 32] [--repeats 3] [--threads 2] [--quick] [--out results.json]

A GPT-like shape: q, k, v (batch·heads, L, E) float32, causal, scale 1/√E.  One call is
forward then backward with a fixed upstream gradient: for minigrad the two registered
kernels (``attention.forward`` / ``attention.backward``) called directly, for PyTorch
``F.scaled_dot_product_attention(..., is_causal=True)`` on tensors that require grad and
``out.backward(dout)``.  Each (length, repeat, implementation) runs in a fresh worker
process (each library alone with its threads and allocations, as in training), the
implementations alternating in an order rotated every repeat so drift hits all; a worker
checks its first call against the reference (first repeat) and reports the median of its
timed calls.  The figure per cell is the median over repeats, and every ratio comes from
this run.  GFLOP/s counts the causal work only (the L(L+1)/2 query-key pairs, 2 flops per
multiply-add, two products forward and five backward).  The peak extra memory
(tracemalloc, beyond the outputs, host cache off) of forward and of backward is measured
for both kernels at the longest length.  Prints a table last and writes JSON.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

KERNEL_IMPLS = ("numpy", "numba", "blas")        # minigrad's registered CPU kernels
IMPLS = KERNEL_IMPLS + ("pytorch",)
_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def inputs(heads, length, feat, seed=0):
    import numpy as np
    rng = np.random.default_rng(seed)
    return tuple(rng.standard_normal((heads, length, feat), dtype=np.float32)
                 for _ in range(4))                     # q, k, v, dout


def causal_flops(heads, length, feat):
    """Flops of the 7 products over the pairs j ≤ i (forward: q·kᵀ, p·v; backward: q·kᵀ
    again, dout·vᵀ, pᵀ·dout, ds·k, dsᵀ·q)."""
    return 7 * 2 * heads * feat * length * (length + 1) // 2


def _kernel_call(impl, q, k, v, dout, scale):
    from minigrad_kernels import attention
    forward = getattr(attention, f"attention_forward_{impl}")
    backward = getattr(attention, f"attention_backward_{impl}")

    def call():
        out, lse = forward(q, k, v, scale, True)
        return (out,) + backward(dout, q, k, v, out, lse, scale, True)
    return call


def _torch_call(q, k, v, dout, threads):
    import torch
    torch.set_num_threads(threads)
    tq, tk, tv = (torch.from_numpy(a.copy()).requires_grad_() for a in (q, k, v))
    tdout = torch.from_numpy(dout)
    sdpa = torch.nn.functional.scaled_dot_product_attention

    def call():
        for t in (tq, tk, tv):
            t.grad = None
        out = sdpa(tq, tk, tv, is_causal=True)
        out.backward(tdout)
        return tuple(t.detach().numpy() for t in (out, tq.grad, tk.grad, tv.grad))
    return call


def run_worker(impl, heads, length, feat, threads, min_time, gate):
    """Times forward + backward in this process; a dict of seconds (printed as JSON)."""
    q, k, v, dout = inputs(heads, length, feat)
    scale = feat ** -0.5
    call = (_torch_call(q, k, v, dout, threads) if impl == "pytorch"
            else _kernel_call(impl, q, k, v, dout, scale))
    start = time.perf_counter()
    first = call()
    first_call_s = time.perf_counter() - start
    error = None
    if gate and impl != "numpy":
        from .timing import mismatch
        error = mismatch(first, _kernel_call("numpy", q, k, v, dout, scale)(), 1e-4)
    call()                                               # warm caches and thread pools
    times, spent = [], 0.0
    while len(times) < 3 or spent < min_time:
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
        spent += times[-1]
    return {"median_s": statistics.median(times), "min_s": min(times), "calls": len(times),
            "first_call_s": first_call_s, "mismatch": error}


def extra_memory(heads, length, feat):
    """Peak extra bytes (max of forward and backward) of each minigrad kernel."""
    from minigrad_kernels import attention

    from .timing import host_extra_bytes
    q, k, v, dout = inputs(heads, length, feat)
    scale = feat ** -0.5

    def peak(impl):       # the larger of forward's and backward's
        forward = getattr(attention, f"attention_forward_{impl}")
        backward = getattr(attention, f"attention_backward_{impl}")
        out, lse = forward(q, k, v, scale, True)          # compiled before measuring
        return max(host_extra_bytes(lambda: forward(q, k, v, scale, True)),
                   host_extra_bytes(lambda: backward(dout, q, k, v, out, lse, scale, True)))
    result = {impl: peak(impl) for impl in KERNEL_IMPLS}
    result["scores_bytes"] = heads * length * length * 4   # one (B, L, S) float32 array
    return result


def _spawn(impl, args, length, gate):
    cmd = [sys.executable, "-m", "benchmarks.attention_bench", "--worker", impl,
           "--lengths", str(length), "--batch", str(args.batch), "--heads", str(args.heads),
           "--feat", str(args.feat), "--threads", str(args.threads),
           "--min-time", str(args.min_time)] + (["--gate"] if gate else [])
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, cwd=_REPO,
                          env={**os.environ, "OMP_NUM_THREADS": str(args.threads)})
    if done.returncode != 0:
        raise RuntimeError(f"{impl} worker at L={length} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(args, impls):
    """{length: {impl: [worker results]}}, workers alternating, order rotated per repeat."""
    runs = {n: {impl: [] for impl in impls} for n in args.lengths}
    for r in range(args.repeats):
        for n in args.lengths:
            order = impls[r % len(impls):] + impls[:r % len(impls)]
            for impl in order:
                row = _spawn(impl, args, n, gate=r == 0)
                runs[n][impl].append(row)
                if row["mismatch"]:
                    print(f"L={n} {impl}: WRONG RESULT: {row['mismatch']}", flush=True)
            print(f"repeat {r + 1}/{args.repeats} L={n}: " + "  ".join(
                f"{impl} {runs[n][impl][-1]['median_s'] * 1e3:.2f} ms" for impl in impls),
                flush=True)
    return runs


def summarise(args, runs, impls):
    heads = args.batch * args.heads
    rows = []
    for n, by_impl in runs.items():
        row = {"length": n, "heads": heads, "feat": args.feat,
               "gflop": causal_flops(heads, n, args.feat) / 1e9}
        for impl, results in by_impl.items():
            ms = statistics.median(r["median_s"] for r in results) * 1e3
            row[f"{impl}_ms"] = ms
            row[f"{impl}_gflops"] = row["gflop"] / (ms / 1e3)
            row[f"{impl}_first_call_s"] = results[0]["first_call_s"]
            row[f"{impl}_runs_ms"] = [r["median_s"] * 1e3 for r in results]
            row[f"{impl}_mismatch"] = results[0]["mismatch"]
        for impl in KERNEL_IMPLS[1:]:
            row[f"numpy_over_{impl}"] = row["numpy_ms"] / row[f"{impl}_ms"]
            if "pytorch" in impls:
                row[f"{impl}_over_pytorch"] = row[f"{impl}_ms"] / row["pytorch_ms"]
        rows.append(row)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", default="64,128,256,512,1024")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--feat", type=int, default=32, help="E, features per head")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--min-time", type=float, default=1.0,
                        help="seconds of timed calls per worker")
    parser.add_argument("--quick", action="store_true",
                        help="lengths up to 256 unless given, one repeat, short workers")
    parser.add_argument("--no-memory", action="store_true")
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    parser.add_argument("--gate", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--worker", choices=IMPLS, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        if args.lengths == parser.get_default("lengths"):
            args.lengths = "64,128,256"
        args.repeats, args.min_time = 1, min(args.min_time, 0.2)
    args.lengths = [int(n) for n in str(args.lengths).split(",")]
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    if args.worker:
        print(json.dumps(run_worker(args.worker, args.batch * args.heads, args.lengths[0],
                                    args.feat, args.threads, args.min_time, args.gate)))
        return

    try:
        import torch  # noqa: F401  (only whether it is there: the workers import it)
        impls = list(IMPLS)
    except ImportError:
        print("PyTorch is not installed: measuring minigrad's kernels only")
        impls = list(KERNEL_IMPLS)
    runs = measure(args, impls)
    rows = summarise(args, runs, impls)
    memory = None if args.no_memory else extra_memory(args.batch * args.heads,
                                                      max(args.lengths), args.feat)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"benchmark": "attention", "settings": vars(args), "results": rows,
                       "extra_memory": memory}, f, indent=2)
    print(f"\ncausal attention, forward + backward, float32, {args.batch}x{args.heads} heads, "
          f"E={args.feat}, {args.threads} threads; ms per call (GFLOP/s of the causal work)")
    if memory:
        n = max(args.lengths)
        print(f"peak extra memory at L={n}: reference {memory['numpy'] / 2**20:.1f} MiB, "
              f"fused {memory['numba'] / 2**20:.2f} MiB, BLAS tiles "
              f"{memory['blas'] / 2**20:.2f} MiB (one L x S score array: "
              f"{memory['scores_bytes'] / 2**20:.1f} MiB)")
    if args.out:
        print(f"wrote {args.out}")
    header = f"{'L':>6}" + "".join(f"{impl + ' ms':>20}" for impl in impls)
    ratios = [f"numpy_over_{impl}" for impl in KERNEL_IMPLS[1:]]
    if "pytorch" in impls:
        ratios += [f"{impl}_over_pytorch" for impl in KERNEL_IMPLS[1:]]
    header += "".join(f"{name.replace('_over_', '/'):>15}" for name in ratios)
    print("\n" + header)
    for row in rows:
        line = f"{row['length']:>6}" + "".join(
            f"{row[impl + '_ms']:>11.2f} ({row[impl + '_gflops']:>5.1f})" for impl in impls)
        line += "".join(f"{row[name]:>15.2f}" for name in ratios)
        print(line)


if __name__ == "__main__":
    main()
