"""Training throughput of the three seed CNNs, minigrad vs PyTorch CPU, in the same run.

    python -m benchmarks.cnn_throughput [--steps 30] [--warmup 5] [--repeats 3]
        [--models A,B,C] [--threads 2] [--out results.json] [--unset-openblas-env]
        [--same-process] [--minigrad-path DIR --label NAME]

Each model trains on random MNIST-shaped batches (float32, cross-entropy on logits, Adam
lr 1e-3), forward + backward + update per step.  The two frameworks alternate repeat by
repeat so machine drift hits both; the figure is the median over repeats of samples/s.
Each repeat of each framework runs in a fresh process of its own (started by this one):
in one shared process each framework's speed depends on the other's allocations, through
malloc's thresholds (PyTorch measured from 0 to 4 300 page faults per step, and 16 to 22 ms
a step on model B, depending on what minigrad had allocated before it).  ``--same-process``
measures both in this process instead (what ``python -m benchmarks`` does).
Prints a table (ratio = minigrad / PyTorch), the first step's time separately (it holds
the one-time costs: Numba compilation, or loading it from Numba's on-disk cache), which
BLAS ran (threadpoolctl), and writes JSON.  Each model's row also gives the matrix-product
work of one training step (``step_flops``) over its time, as a fraction of this machine's
SGEMM peak (the best of a large float32 matmul in NumPy and PyTorch, measured before and
after the run, ``benchmarks.machine.cpu_peaks``).  ``--minigrad-path`` measures another
checkout's minigrad too (a folder holding ``minigrad`` and ``minigrad_kernels``), so a
before/after comparison is one run, all three alternating.  PyTorch is optional: without it, only
minigrad's throughput is printed.

The models (from the project's source documents):
  A  Conv(1→32,3) ReLU MaxPool2 · Conv(32→64,3) ReLU MaxPool2 · Conv(64→64,3) ReLU ·
     Flatten · Linear(576→64) ReLU · Linear(64→10)                            batch 64
  B  Conv(1→32,5) ReLU MaxPool2 · Conv(32→64,5) ReLU MaxPool2 · Flatten ·
     Linear(1024→10)                                                          batch 64
  C  Conv(1→32,3) ReLU MaxPool2 · Flatten · Linear(5408→128) ReLU · Linear(128→10)
                                                                              batch 32
"""
import argparse
import json
import os
import platform
import statistics
import sys
import time

MODELS = {
    # name: (layer list, batch size); layers: ("conv", in, out, k) | ("pool",) | ("relu",)
    #       | ("flatten",) | ("linear", in, out)
    "A": ([("conv", 1, 32, 3), ("relu",), ("pool",), ("conv", 32, 64, 3), ("relu",),
           ("pool",), ("conv", 64, 64, 3), ("relu",), ("flatten",), ("linear", 576, 64),
           ("relu",), ("linear", 64, 10)], 64),
    "B": ([("conv", 1, 32, 5), ("relu",), ("pool",), ("conv", 32, 64, 5), ("relu",),
           ("pool",), ("flatten",), ("linear", 1024, 10)], 64),
    "C": ([("conv", 1, 32, 3), ("relu",), ("pool",), ("flatten",), ("linear", 5408, 128),
           ("relu",), ("linear", 128, 10)], 32),
}


def step_flops(layers, batch):
    """Floating-point operations of the matrix products in one training step (2 per
    multiply-add): each conv and linear layer's forward product, its weight gradient, and
    its input gradient except for the first layer (the images need none).  Pooling, ReLU,
    the loss and the optimizer (a few % of the step) are not counted."""
    flops, size, first = 0, 28, True        # square 28 × 28 single-channel images
    for kind, *args in layers:
        if kind == "conv":
            c, o, k = args
            size = size - k + 1
            macs = batch * o * size * size * c * k * k
        elif kind == "linear":
            macs = batch * args[0] * args[1]
        else:
            size = size // 2 if kind == "pool" else size
            continue
        flops += 2 * macs * (2 if first else 3)
        first = False
    return flops


def build(nn, layers):
    """The model as an ``nn.Sequential`` of either framework (same names in both)."""
    make = {
        "conv": lambda i, o, k: nn.Conv2d(i, o, k),
        "pool": lambda: nn.MaxPool2d(2),
        "relu": lambda: nn.ReLU(),
        "flatten": lambda: nn.Flatten(),
        "linear": lambda i, o: nn.Linear(i, o),
    }
    return nn.Sequential(*[make[kind](*args) for kind, *args in layers])


class MinigradRunner:
    name = "minigrad"

    def __init__(self, layers, batch, seed=0, device="cpu"):
        import numpy as np

        import minigrad
        from minigrad import nn, optim
        minigrad.manual_seed(seed)
        self.F = minigrad.functional
        self.model = build(nn, layers).to(device)
        self.opt = optim.Adam(self.model.parameters(), lr=1e-3)
        rng = np.random.default_rng(seed)
        self.x = minigrad.tensor(rng.standard_normal((batch, 1, 28, 28), dtype=np.float32),
                                 device=device)
        self.y = minigrad.tensor(rng.integers(0, 10, batch), device=device)

    def step(self):
        self.opt.zero_grad()
        loss = self.F.cross_entropy(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss.item()


class TorchRunner:
    name = "pytorch"

    def __init__(self, layers, batch, seed=0, device="cpu"):
        import numpy as np
        import torch
        from torch import nn
        torch.manual_seed(seed)
        self.torch = torch
        self.model = build(nn, layers).to(device)
        self.opt = torch.optim.Adam(self.model.parameters(), lr=1e-3)
        rng = np.random.default_rng(seed)
        self.x = torch.from_numpy(rng.standard_normal((batch, 1, 28, 28),
                                                      dtype=np.float32)).to(device)
        self.y = torch.from_numpy(rng.integers(0, 10, batch)).to(device)

    def step(self):
        self.opt.zero_grad()
        loss = self.torch.nn.functional.cross_entropy(self.model(self.x), self.y)
        loss.backward()
        self.opt.step()
        return loss.item()


def _minor_faults():
    """Minor page faults of this process so far (None where getrusage is missing)."""
    try:
        import resource
    except ImportError:
        return None
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def samples_per_second(runner, batch, steps):
    """(samples/s, minor page faults per step) over ``steps`` steps."""
    faults = _minor_faults()
    start = time.perf_counter()
    for _ in range(steps):
        runner.step()
    rate = batch * steps / (time.perf_counter() - start)
    return rate, None if faults is None else (_minor_faults() - faults) / steps


_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_worker(framework, model, steps, warmup, device="cpu"):
    """One repeat in this process: build, first step, warm-up, then ``steps`` timed steps;
    the figures as a dict (what a worker process prints as JSON)."""
    runner_type = TorchRunner if framework == "pytorch" else MinigradRunner
    layers, batch = MODELS[model]
    runner = runner_type(layers, batch, device=device)
    start = time.perf_counter()
    runner.step()
    first_step = time.perf_counter() - start
    for _ in range(warmup):
        runner.step()
    rate, faults = samples_per_second(runner, batch, steps)
    return {"samples_per_s": rate, "faults_per_step": faults, "first_step_s": first_step}


def measure_isolated(model_names, frameworks, steps, warmup, repeats, threads, paths=None):
    """Like ``measure``, each (model, repeat, framework) in a fresh worker process;
    ``paths``: {framework: folder searched first for minigrad} for other checkouts."""
    import subprocess
    paths = paths or {}
    results = []
    for name in model_names:
        _, batch = MODELS[name]
        figures, faults, first = ({f: [] for f in frameworks} for _ in range(3))
        for _ in range(repeats):
            for framework in frameworks:            # interleaved, so drift hits both
                done = subprocess.run(
                    [sys.executable, "-m", "benchmarks.cnn_throughput", "--worker",
                     "pytorch" if framework == "pytorch" else "minigrad", "--models", name,
                     "--steps", str(steps), "--warmup", str(warmup), "--threads", str(threads)]
                    + (["--minigrad-path", paths[framework]] if framework in paths else []),
                    capture_output=True, text=True, check=False, cwd=_REPO)
                if done.returncode != 0:
                    raise RuntimeError(f"{framework} worker for model {name} failed:\n"
                                       f"{done.stderr[-2000:]}")
                row = json.loads(done.stdout.strip().splitlines()[-1])
                figures[framework].append(row["samples_per_s"])
                faults[framework].append(row["faults_per_step"])
                first[framework].append(row["first_step_s"])
        row = _summary(name, batch, "cpu", figures, faults,
                       {k: v[0] for k, v in first.items()}, "cpu, one process per repeat")
        results.append({**row, "isolated_processes": True})
    return results


def _summary(name, batch, device, figures, faults, first_step, where):
    """One model's row (medians over repeats, ratio, page faults), printed as it is made."""
    row = {"model": name, "batch": batch, "device": device,
           **{f"{k}_samples_per_s": statistics.median(v) for k, v in figures.items()},
           "runs": figures, "first_step_s": first_step,
           # page faults per step: fresh memory the OS had to map (and zero) in the step
           "minor_faults_per_step": {k: None if None in v else statistics.median(v)
                                     for k, v in faults.items()}}
    row["step_gflop"] = step_flops(MODELS[name][0], batch) / 1e9
    for k, v in figures.items():
        row[f"{k}_gflops"] = row["step_gflop"] * statistics.median(v) / batch
    if "pytorch" in figures:
        row["ratio"] = row["minigrad_samples_per_s"] / row["pytorch_samples_per_s"]
    print(f"model {name} ({where}): " + "  ".join(
        f"{k} {statistics.median(v):,.0f} samples/s (first step {first_step[k]:.2f} s)"
        for k, v in figures.items()), flush=True)
    return row


def measure(model_names, runner_types, steps, warmup, repeats, device="cpu"):
    """Samples/s of every model for every runner type, interleaved; one dict per model."""
    results = []
    for name in model_names:
        layers, batch = MODELS[name]
        runners = [cls(layers, batch, device=device) for cls in runner_types]
        first_step = {}
        for r in runners:
            start = time.perf_counter()
            r.step()   # one-time costs: Numba compile (or on-disk cache load), first allocations
            first_step[r.name] = time.perf_counter() - start
            for _ in range(warmup):
                r.step()
        figures = {r.name: [] for r in runners}
        faults = {r.name: [] for r in runners}
        for _ in range(repeats):
            for r in runners:   # interleaved, so drift hits both
                rate, per_step = samples_per_second(r, batch, steps)
                figures[r.name].append(rate)
                faults[r.name].append(per_step)
        results.append(_summary(name, batch, device, figures, faults, first_step, device))
    return results


def _sgemm_peak(runner_types):
    """The machine's float32 GEMM peak in GFLOP/s: the best of NumPy's and PyTorch's BLAS
    on a large square product (``benchmarks.machine.cpu_peaks``)."""
    from . import machine
    torch = None
    if any(r.name == "pytorch" for r in runner_types):
        import torch
    return machine.cpu_peaks("quick", torch)["gemm_gflops"]["best"]


def machine_info():
    from .machine import openblas_env
    info = {"python": sys.version.split()[0], "platform": platform.platform(),
            "cpu_count": os.cpu_count(), **openblas_env()}
    import numpy
    info["numpy"] = numpy.__version__
    try:
        from threadpoolctl import threadpool_info
        info["blas"] = [{k: lib.get(k) for k in ("internal_api", "version", "architecture",
                                                 "num_threads", "filepath")}
                        for lib in threadpool_info() if lib.get("user_api") == "blas"]
    except ImportError:
        info["blas"] = "threadpoolctl not installed (pip install minigrad[bench])"
    try:
        import torch
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        info["torch"] = None
    from minigrad import backend
    info["minigrad_kernels"] = {f"{op}": backend.selected_kernel(op, "cpu")
                                for op, _, _ in backend.available_kernels(device="cpu")}
    return info


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--models", default="A,B,C")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", default=None, help="write the results as JSON here")
    parser.add_argument("--unset-openblas-env", action="store_true",
                        help="re-run this benchmark with OPENBLAS_CORETYPE and "
                             "OPENBLAS_L2_SIZE unset (both together)")
    parser.add_argument("--same-process", action="store_true",
                        help="measure both frameworks in this process (default: a fresh "
                             "process per framework and repeat)")
    parser.add_argument("--minigrad-path", default=None,
                        help="another checkout (a folder holding minigrad/ and "
                             "minigrad_kernels/) measured too, as 'minigrad (LABEL)'")
    parser.add_argument("--label", default="other", help="name of --minigrad-path's tree")
    parser.add_argument("--no-peak", action="store_true",
                        help="skip the SGEMM peak measurement (and the fractions of it)")
    parser.add_argument("--worker", choices=["minigrad", "pytorch"], default=None,
                        help=argparse.SUPPRESS)       # one repeat, printed as JSON
    args = parser.parse_args(argv)
    if args.worker and args.minigrad_path:
        sys.path.insert(0, os.path.abspath(args.minigrad_path))
        import minigrad
        if not minigrad.__file__.startswith(os.path.abspath(args.minigrad_path)):
            raise RuntimeError(f"asked for minigrad from {args.minigrad_path}, imported "
                               f"{minigrad.__file__}")
    if args.unset_openblas_env:
        from .machine import reexec_without_openblas_env
        reexec_without_openblas_env("benchmarks.cnn_throughput",
                                    argv if argv is not None else sys.argv[1:])
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    runner_types = [MinigradRunner]
    if args.worker != "minigrad":      # a minigrad worker never imports PyTorch
        try:
            import torch
            torch.set_num_threads(args.threads)
            runner_types.append(TorchRunner)
        except ImportError:
            print("PyTorch is not installed: measuring minigrad only (pip install torch)")
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
    except ImportError:
        pass
    if args.worker:
        print(json.dumps(run_worker(args.worker, args.models, args.steps, args.warmup)))
        return

    peak = None if args.no_peak else _sgemm_peak(runner_types)
    if args.same_process:
        results = measure(args.models.split(","), runner_types, args.steps, args.warmup,
                          args.repeats)
    else:
        frameworks, paths = [r.name for r in runner_types], {}
        if args.minigrad_path:
            other = f"minigrad ({args.label})"
            frameworks.insert(1, other)
            paths[other] = os.path.abspath(args.minigrad_path)
        results = measure_isolated(args.models.split(","), frameworks, args.steps,
                                   args.warmup, args.repeats, args.threads, paths)
    if peak is not None:
        peak = max(peak, _sgemm_peak(runner_types))
        for r in results:
            r["sgemm_peak_gflops"] = peak
            for k in [k for k in r if k.endswith("_gflops") and k != "sgemm_peak_gflops"]:
                r[k.replace("_gflops", "_fraction_of_peak")] = r[k] / peak

    info = machine_info()
    print(f"\nBLAS: {info['blas']}")
    print(f"OPENBLAS_CORETYPE={info['OPENBLAS_CORETYPE']} "
          f"OPENBLAS_L2_SIZE={info['OPENBLAS_L2_SIZE']}"
          + (" (unset by --unset-openblas-env)" if info["openblas_env_unset_by_harness"]
             else "") + f"  threads={args.threads}")
    print(f"\n{'model':<6}{'batch':>6}{'minigrad/s':>13}{'pytorch/s':>12}{'ratio':>8}"
          f"{'page faults/step (minigrad, pytorch)':>40}")
    for r in results:
        torch_rate = r.get("pytorch_samples_per_s")
        faults = ", ".join("-" if f is None else f"{f:,.0f}"
                           for f in r["minor_faults_per_step"].values())
        print(f"{r['model']:<6}{r['batch']:>6}{r['minigrad_samples_per_s']:>13,.0f}"
              + (f"{torch_rate:>12,.0f}{r['ratio']:>8.2f}" if torch_rate
                 else f"{'-':>12}{'-':>8}") + f"{faults:>40}")
    others = [k[:-len("_samples_per_s")] for k in results[0]
              if k.endswith("_samples_per_s") and not k.startswith(("minigrad_", "pytorch_"))]
    for other in others:
        print(f"\n{other}:  " + "  ".join(
            f"{r['model']} {r[other + '_samples_per_s']:,.0f}/s "
            f"(minigrad / it {r['minigrad_samples_per_s'] / r[other + '_samples_per_s']:.2f})"
            for r in results))
    if peak is not None:
        print(f"\nmatrix-product work per step over step time, SGEMM peak {peak:.1f} GFLOP/s:")
        for r in results:
            names = [k[:-len("_fraction_of_peak")] for k in r if k.endswith("_of_peak")]
            print(f"  {r['model']}: {r['step_gflop']:.3f} GFLOP/step  " + "  ".join(
                f"{name} {r[name + '_gflops']:.1f} GFLOP/s = "
                f"{100 * r[name + '_fraction_of_peak']:.0f} %" for name in names))
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"benchmark": "cnn_throughput", "machine": info,
                       "settings": vars(args), "results": results}, f, indent=2)
        print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
