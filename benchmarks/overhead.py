"""The engine's own cost per op: small tensors, where the arithmetic is negligible.

    python -m benchmarks.overhead [--repeats 5] [--sample-s 0.2] [--out overhead.json]
        [--minigrad-path DIR] [--label NAME]

What a tiny op costs is the framework around it: argument checks, building the graph node,
choosing a kernel, and in backward walking the graph and accumulating gradients.  Each
probe runs the same small computation in minigrad, in PyTorch (when installed) and, where
it has a meaning, in bare NumPy (the floor: the arithmetic alone).  Times are per op.

Run as a module, every (repeat, framework) runs in a fresh process of its own, the
frameworks alternating repeat by repeat (a process's speed depends on what ran before it
in that process); the figure is the median over repeats of each process's median.
``--minigrad-path`` puts another checkout's ``minigrad``/``minigrad_kernels`` first on the
path of the minigrad workers, so a before/after comparison is one run: the probes then run
for both trees and PyTorch, all alternating.
The probes:
  * ``a + b``, ``a @ b``, ``relu(a)``: one op on 4×4 float32 tensors that require grad
    (the op and its graph node, no backward);
  * ``backward, 10-op graph``: ``backward()`` alone on a prebuilt graph of 10 ops (matmul,
    add, relu, mul, tanh, sigmoid, sub, exp, mean... on 4×4), per op of the graph;
  * ``MLP step, batch 1``: one training step of seed001's network, Linear(2, 10) · ReLU ·
    Linear(10, 1), MSE loss, Adam(lr 1e-3) — zero_grad, forward, loss, backward, step —
    on one sample (per step, not per op).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

SHAPE = (4, 4)
GRAPH_OPS = 10
_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _graph(F, a, b):
    """The 10-op graph: its loss (a one-element tensor)."""
    y = F.relu(a @ b + b)                     # 1-3
    y = (y * a).tanh()                        # 4, 5
    y = y.sigmoid() - a                       # 6, 7
    return (y.exp() * b).mean()               # 8-10


def probes(minigrad, torch):
    """``{probe: (ops per call, {framework: zero-argument call})}``; a call that needs
    prebuilt inputs (backward) takes them from a pool it refills between timing samples."""
    rng = np.random.default_rng(0)
    a_np = rng.standard_normal(SHAPE).astype(np.float32)
    b_np = rng.standard_normal(SHAPE).astype(np.float32)
    found = {"a + b": (1, {"numpy": lambda: np.add(a_np, b_np)}),
             "a @ b": (1, {"numpy": lambda: np.matmul(a_np, b_np)}),
             "relu(a)": (1, {"numpy": lambda: np.maximum(a_np, 0)}),
             f"backward, {GRAPH_OPS}-op graph": (GRAPH_OPS, {}),
             "MLP step, batch 1": (1, {})}
    for name, lib in (("minigrad", minigrad), ("pytorch", torch)):
        if lib is None:
            continue
        F = lib.nn.functional if name == "pytorch" else minigrad.functional
        a = lib.tensor(a_np, requires_grad=True)
        b = lib.tensor(b_np, requires_grad=True)
        found["a + b"][1][name] = lambda a=a, b=b: a + b
        found["a @ b"][1][name] = lambda a=a, b=b: a @ b
        found["relu(a)"][1][name] = lambda a=a, F=F: F.relu(a)
        found[f"backward, {GRAPH_OPS}-op graph"][1][name] = _BackwardProbe(
            lambda F=F, a=a, b=b: _graph(F, a, b), (a, b))
        found["MLP step, batch 1"][1][name] = _mlp_step(lib, rng)
    return found


class _BackwardProbe:
    """Calls ``backward()`` on graphs built beforehand (``prepare(n)``), one per call."""

    def __init__(self, build, leaves):
        self.build, self.leaves, self.pool = build, leaves, []

    def prepare(self, n):
        for t in self.leaves:
            t.grad = None
        self.pool = [self.build() for _ in range(n)]

    def __call__(self):
        self.pool.pop().backward()


def _mlp_step(lib, rng):
    nn = lib.nn
    model = nn.Sequential(nn.Linear(2, 10), nn.ReLU(), nn.Linear(10, 1))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.MSELoss()
    x = lib.tensor(rng.random((1, 2), dtype=np.float32))
    y = lib.tensor(rng.random((1, 1), dtype=np.float32))

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
    return step


def time_call(call, sample_s, samples):
    """Median seconds per call over ``samples`` samples of about ``sample_s`` each."""
    n = 1
    while True:                                # calls per sample
        if hasattr(call, "prepare"):
            call.prepare(n)
        start = time.perf_counter()
        for _ in range(n):
            call()
        if time.perf_counter() - start > sample_s / 4 or n > 10**6:
            break
        n *= 4
    n = max(1, int(n * sample_s / max(time.perf_counter() - start, 1e-9)))
    times = []
    for _ in range(samples):
        if hasattr(call, "prepare"):
            call.prepare(n)
        start = time.perf_counter()
        for _ in range(n):
            call()
        times.append((time.perf_counter() - start) / n)
    return statistics.median(times)


def run_worker(framework, sample_s, samples, path=None):
    """Every probe for one framework in this process: ``{probe: seconds per op}``;
    ``path``: a folder searched first for minigrad and minigrad_kernels."""
    if path:
        sys.path.insert(0, path)
    minigrad = torch = None
    if framework == "pytorch":
        import torch
        torch.set_num_threads(1)
    elif framework.startswith("minigrad"):
        import minigrad
        if path and not minigrad.__file__.startswith(os.path.abspath(path)):
            raise RuntimeError(f"asked for minigrad from {path}, imported {minigrad.__file__}")
    found = probes(minigrad, torch)
    key = "minigrad" if framework.startswith("minigrad") else framework
    out = {}
    for probe, (ops, calls) in found.items():
        if key in calls:
            for _ in range(3):                 # warm-up: first calls, Numba loading
                call = calls[key]
                if hasattr(call, "prepare"):
                    call.prepare(1)
                call()
            out[probe] = time_call(calls[key], sample_s, samples) / ops
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--sample-s", type=float, default=0.2)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--minigrad-path", default=None,
                        help="another checkout (a folder holding minigrad/ and "
                             "minigrad_kernels/) measured too, as 'minigrad (other)'")
    parser.add_argument("--label", default="other", help="name of --minigrad-path's tree")
    parser.add_argument("--out", default=None)
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(run_worker(args.worker, args.sample_s, args.samples,
                                    args.minigrad_path)))
        return None
    try:
        import torch  # noqa: F401
        frameworks = ["minigrad", "pytorch"]
    except ImportError:
        frameworks = ["minigrad"]
    paths = {"minigrad": [], "pytorch": []}
    if args.minigrad_path:
        other = f"minigrad ({args.label})"
        frameworks.insert(1, other)
        paths[other] = ["--minigrad-path", os.path.abspath(args.minigrad_path)]
    runs = {f: [] for f in frameworks}
    for _ in range(args.repeats):
        for framework in frameworks:                 # interleaved, so drift hits all
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.overhead", "--worker", framework,
                 "--sample-s", str(args.sample_s), "--samples", str(args.samples),
                 *paths[framework]],
                capture_output=True, text=True, check=False, cwd=_REPO)
            if done.returncode != 0:
                raise RuntimeError(f"{framework} worker failed:\n{done.stderr[-2000:]}")
            runs[framework].append(json.loads(done.stdout.strip().splitlines()[-1]))
    table = {}
    for framework, rows in runs.items():
        for probe in rows[0]:
            table.setdefault(probe, {})[framework] = statistics.median(r[probe] for r in rows)
    width = max(len(p) for p in table)
    print(f"{'probe':<{width}}  " + "  ".join(f"{f:>20}" for f in frameworks)
          + ("  " + "  ".join(f"{f + ' / pytorch':>26}" for f in frameworks[:-1])
             if "pytorch" in frameworks else ""))
    for probe, row in table.items():
        line = f"{probe:<{width}}  " + "  ".join(
            f"{row[f] * 1e6:>17.2f} µs" if f in row else f"{'':>20}" for f in frameworks)
        if "pytorch" in row:
            line += "  " + "  ".join(f"{row[f] / row['pytorch']:>26.2f}"
                                     for f in frameworks if f != "pytorch" and f in row)
        print(line)
    print("(time per op, or per step for the MLP; median over "
          f"{args.repeats} fresh processes per framework; ratio < 1: faster than PyTorch)")
    result = {"per_op_s": table, "runs": runs, "repeats": args.repeats,
              "sample_s": args.sample_s}
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)
    return result


if __name__ == "__main__":
    main()
