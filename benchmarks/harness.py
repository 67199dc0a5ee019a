"""Kernel benchmark: every registered implementation of every hot op, on every device.

    python -m benchmarks [--quick] [--device cpu|cuda|all] [--out results/bench.json]
        [--ops matmul,conv2d,...] [--repeats N] [--threads N] [--no-torch]
        [--skip optim,overhead,e2e] [--unset-openblas-env]

For each op of the kernel registry (``minigrad.backend.available_kernels``: nothing here
lists implementations), each case of ``benchmarks.cases`` and each device: every
implementation is checked against the NumPy reference, then timed interleaved with the
others and with PyTorch's equivalent (when installed).  The machine's limits (GEMM peak,
copy bandwidth) are measured in the same run.  Then the optimizer step, the engine's
per-op overhead and the seed CNNs' training throughput (``benchmarks.cnn_throughput``).
Tables are printed last; ``--out`` writes the JSON and, beside it, one PNG per device.
How to read every column: docs/benchmarks.md.
"""
import argparse
import functools
import math
import os
import sys

import numpy as np

from . import cases as cases_module
from . import cnn_throughput, machine, optim_bench, overhead, report, timing
from .devices import CpuDevice, CupyDevice, cuda_device, last_level_cache_bytes

LEVEL_SETTINGS = {
    # repeats: interleaved rounds; warmup_s / sample_s: seconds per participant; max_sets:
    # rotating input sets; e2e: (models, steps, warm-up steps, repeats)
    "tiny": dict(repeats=1, warmup_s=0.0, sample_s=0.0, max_sets=2,
                 e2e=("C", 1, 1, 1)),
    "quick": dict(repeats=7, warmup_s=0.05, sample_s=0.005, max_sets=8,
                  e2e=("A,B,C", 10, 2, 3)),
    "full": dict(repeats=21, warmup_s=0.2, sample_s=0.02, max_sets=8,
                 e2e=("A,B,C", 30, 5, 5)),
}
ROTATION_LIMIT_BYTES = 512 * 2**20


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_const", const="quick", dest="sizes",
                        help="fewer sizes and repetitions (a few minutes on 2 cores)")
    parser.add_argument("--sizes", choices=cases_module.LEVELS,
                        help="tiny: the smoke test's; quick = --quick; full (default)")
    parser.set_defaults(sizes="full")
    parser.add_argument("--device", choices=("cpu", "cuda", "all"), default="cpu",
                        help="cuda: CuPy on a GPU, or Numba's simulator if "
                             "NUMBA_ENABLE_CUDASIM=1 (its own tiny cases, times meaningless)")
    parser.add_argument("--ops", default=None,
                        help="comma-separated ops or families (matmul,conv2d,...,optim); "
                             "default: all")
    parser.add_argument("--repeats", type=int, default=None,
                        help="interleaved rounds per case (default: by --sizes)")
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0))
                        if hasattr(os, "sched_getaffinity") else os.cpu_count(),
                        help="threads for OpenBLAS and PyTorch (default: all usable cores; "
                             "on a busy machine 1 gives steadier ratios)")
    parser.add_argument("--out", default=None,
                        help="write the JSON here; plots go beside it as <stem>-<device>.png")
    parser.add_argument("--no-plots", action="store_true")
    parser.add_argument("--no-torch", action="store_true", help="do not compare with PyTorch")
    parser.add_argument("--skip", default="", help="comma-separated: optim,overhead,e2e")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    parser.add_argument("--unset-openblas-env", action="store_true",
                        help="re-run with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, both "
                             "together, for this process only")
    return parser.parse_args(argv)


def _wanted(op, selection):
    return selection is None or op in selection or op.split(".")[0] in selection


def implementation(op, device, impl):
    """The registered function of one implementation (imported on first use)."""
    from minigrad import backend
    with backend.use_kernels(device, **{op: impl}):
        return backend.kernel(op, device)


def registered_ops(device):
    from minigrad import backend
    ops = dict.fromkeys(op for op, _, _ in backend.available_kernels(device=device))
    known = list(cases_module.SPECS)
    return sorted(ops, key=lambda op: (known.index(op) if op in known else len(known), op))


def impls_of(op, device):
    from minigrad import backend
    impls = [impl for _, _, impl in backend.available_kernels(op, device)]
    return sorted(impls, key=lambda impl: (impl != "numpy", impl))


class Run:
    """One invocation: settings, devices, peaks, and the rows collected so far."""

    def __init__(self, args, torch):
        self.args, self.torch = args, torch
        self.level = args.sizes
        self.settings = dict(LEVEL_SETTINGS[self.level])
        if args.repeats is not None:
            self.settings["repeats"] = args.repeats
        self.selection = set(args.ops.split(",")) if args.ops else None
        self.host = CpuDevice()
        self.rows, self.peaks = [], {}

    # -- kernels ----------------------------------------------------------------------------
    def rotation(self, device, case):
        """How many input sets to cycle through: enough to overflow the cache twice."""
        want = math.ceil(2 * last_level_cache_bytes(device) / max(case.bytes, 1))
        fit = max(1, ROTATION_LIMIT_BYTES // max(int(case.bytes), 1))
        return max(1, min(want, fit, self.settings["max_sets"]))

    def kernel_case(self, device, spec, case, impls):
        # Every participant and the reference get their own copies of the inputs: an op that
        # updates its arguments in place (adam_update) must not see another's updates.  The
        # gate is each participant's first call, on its first set, before any other call.
        args, context = case.make(np.random.default_rng(self.args.seed))
        reference = spec.bind(implementation(spec.op, "cpu", "numpy"), self.host.put(args))()
        sets = self.rotation(device, case)
        participants = []
        for impl in impls:
            p = timing.Participant(impl, "kernel", device, [])
            try:
                fn = implementation(spec.op, device.name, impl)
                p.calls = [spec.bind(fn, device.put(args)) for _ in range(sets)]
            except Exception as exc:
                p.fail("UNAVAILABLE", f"{type(exc).__name__}: {exc}"[:300])
            else:
                timing.gate(p, lambda out: timing.mismatch(out, reference, spec.rtol))
            participants.append(p)
        if device.name != "cpu":      # the NumPy reference on the host, for "x ref"
            fn = implementation(spec.op, "cpu", "numpy")
            p = timing.Participant("numpy (host)", "reference", self.host,
                                   [spec.bind(fn, self.host.put(args)) for _ in range(sets)])
            timing.gate(p, lambda out: None)       # the reference: only its first call timed
            participants.append(p)
        if self.torch is not None and spec.torch is not None and not device.simulated:
            p = timing.Participant("pytorch", "pytorch", device, [])
            try:
                p.calls = [spec.torch(self.torch, device.put(args), context)
                           for _ in range(sets)]
            except Exception as exc:
                p.fail("FAILED", f"{type(exc).__name__}: {exc}"[:300])
            else:
                timing.gate(p, lambda out: timing.mismatch(
                    spec.torch_out(_torch_to_numpy(out)), spec.ref_out(reference),
                    max(spec.rtol, 1e-5)))
            participants.append(p)
        self.time_and_record(device, spec.op, spec.bound, case, participants, sets,
                             spec.in_place)

    def time_and_record(self, device, op, bound, case, participants, sets, in_place=False):
        s = self.settings
        if device.simulated:       # one timed call each: the gate is what counts here
            timing.measure(participants, 1, 0.0, 0.0, min_warmup=0, settle=False)
        else:
            timing.measure(participants, s["repeats"], s["warmup_s"], s["sample_s"])
        for p in participants:
            if p.status == "ok" and p.kind != "pytorch" and p.calls:
                p.extra_bytes = self.extra_bytes(p, in_place)
        by_impl = {p.impl: p for p in participants if p.samples}
        reference = by_impl.get("numpy (host)") or by_impl.get("numpy")
        torch_p = by_impl.get("pytorch")
        for p in participants:
            row = dict(device=device.name, simulated=device.simulated and p.device is device,
                       op=op, case=case.label, origin=case.origin, bound=bound,
                       impl=p.impl, kind=p.kind, status=p.status, error=p.error,
                       flops=case.flops, bytes=case.bytes, rotating_sets=sets,
                       first_call_s=p.first_call_s, extra_bytes=p.extra_bytes,
                       **timing.summary(p))
            median = row.get("median_s")
            if median:
                row["limits_of"] = "cpu" if p.device is self.host else device.name
                row["gflops"] = case.flops / median / 1e9
                row["gbps"] = case.bytes / median / 1e9
                if reference is not None:
                    row["vs_reference"] = timing.summary(reference)["median_s"] / median
                if torch_p is not None and p is not torch_p:
                    row["vs_pytorch"] = timing.summary(torch_p)["median_s"] / median
            self.rows.append(row)
        timed = [f"{p.impl} {report._time(timing.summary(p).get('median_s'))}"
                 if p.samples else f"{p.impl} {p.status}" for p in participants]
        print(f"  {device.name} {op} [{case.label}]: " + ", ".join(timed), flush=True)

    def fractions(self):
        """Each timed row as a fraction of its device's limits (known once the run ends)."""
        for row in self.rows:
            if row.get("median_s") is None:
                continue
            peaks = self.peaks.get(row["limits_of"], {})
            gemm = (peaks.get("gemm_gflops") or {}).get("best")
            bandwidth = peaks.get("copy_gbps")
            row["frac_peak_flops"] = row["gflops"] / gemm if gemm else None
            row["frac_peak_bandwidth"] = row["gbps"] / bandwidth if bandwidth else None

    def extra_bytes(self, participant, in_place):
        """Memory a call allocates beyond its outputs (for an op updating its inputs in
        place, the arrays it returns are not new: nothing is subtracted)."""
        try:
            if isinstance(participant.device, CupyDevice):
                return timing.cupy_extra_bytes(participant.device.cupy, participant.calls[0],
                                               new_outputs=not in_place)
            if participant.device.simulated:
                return None
            return timing.host_extra_bytes(participant.calls[0], new_outputs=not in_place)
        except Exception:
            return None

    def kernels(self, device):
        for op in registered_ops(device.name):
            if not _wanted(op, self.selection):
                continue
            impls = impls_of(op, device.name)
            spec = cases_module.SPECS.get(op)
            if spec is None:
                for impl in impls:
                    self.rows.append(dict(device=device.name, simulated=device.simulated,
                                          op=op, case="-", origin="-", bound="-", impl=impl,
                                          kind="kernel", status="NO CASES",
                                          error=f"benchmarks/cases.py has no entry for {op}",
                                          flops=None, bytes=None, rotating_sets=0,
                                          first_call_s=None, extra_bytes=None))
                continue
            # the simulator runs each GPU thread in Python: its own tiny cases
            level = cases_module.SIMULATOR if device.simulated else self.level
            for case in spec.cases(level):
                self.kernel_case(device, spec, case, impls)

    # -- optimizer step ---------------------------------------------------------------------
    def optimizers(self, device):
        if device.simulated:
            return
        for rule in optim_bench.RULES:
            if not _wanted(f"optim.{rule}", self.selection):
                continue
            _, flops, per_element = optim_bench.RULES[rule]
            for ps in cases_module.param_sets(self.level):
                params, grads = optim_bench.initial_arrays(ps, self.args.seed)
                expected = optim_bench.numpy_step(rule, *self.host.put((params, grads)))()
                case = cases_module.Case(f"optim.{rule}", f"{ps.label} {ps.size:,} params",
                                         None, float(flops * ps.size),
                                         float(per_element * ps.size), ps.origin)
                makers = [("numpy" if device.name == "cpu" else "numpy (host)", "reference",
                           self.host, functools.partial(optim_bench.numpy_step, rule)),
                          ("minigrad", "kernel", device,
                           functools.partial(optim_bench.minigrad_step, rule))]
                if self.torch is not None:
                    makers.append(("pytorch", "pytorch", device,
                                   functools.partial(optim_bench.torch_step, self.torch, rule)))
                check = functools.partial(_check_params, expected)
                participants = []
                for name, kind, dev, make in makers:
                    p = timing.Participant(name, kind, dev, [])
                    try:
                        p.calls = [make(*dev.put((params, grads)))]
                    except Exception as exc:
                        p.fail("FAILED", f"{type(exc).__name__}: {exc}"[:300])
                    else:
                        timing.gate(p, check)
                    participants.append(p)
                self.time_and_record(device, case.op, "memory", case, participants, 1,
                                     in_place=True)

    # -- engine overhead --------------------------------------------------------------------
    def engine_overhead(self):
        """``overhead.probes`` in this process (``python -m benchmarks.overhead`` runs them
        in fresh processes, the figure for comparisons)."""
        import minigrad
        sample_s = max(self.settings["sample_s"], 0.002 if self.level != "tiny" else 0)
        results = []
        for probe, (ops, calls) in overhead.probes(minigrad, self.torch).items():
            per_op = {name: overhead.time_call(call, sample_s, max(self.settings["repeats"], 1))
                      / ops for name, call in calls.items()}
            for name, seconds in per_op.items():
                row = dict(probe=probe, framework=name, ops_per_call=ops, status="ok",
                           median_s=seconds * ops, per_op_s=seconds)
                if "pytorch" in per_op and name != "pytorch":
                    row["time_vs_pytorch"] = seconds / per_op["pytorch"]
                results.append(row)
        return results

    # -- end to end -------------------------------------------------------------------------
    def end_to_end(self, devices):
        models, steps, warmup, repeats = self.settings["e2e"]
        runner_types = [cnn_throughput.MinigradRunner]
        if self.torch is not None:
            runner_types.append(cnn_throughput.TorchRunner)
        rows = []
        for device in devices:
            if device.simulated:
                continue
            if device is self.host:   # a fresh process per framework and repeat, as
                # cnn_throughput does by default: in one process each framework's speed
                # depends on what the other allocated (malloc's thresholds)
                rows += cnn_throughput.measure_isolated(
                    models.split(","), [r.name for r in runner_types], steps, warmup,
                    repeats, self.args.threads)
                continue
            rows += cnn_throughput.measure(models.split(","), runner_types, steps, warmup,
                                           repeats, device=device.name)
        return rows


def measure_limits(run, devices, torch):
    """Measure (or measure again, keeping the best of both) each device's limits: on a
    shared machine, a single measurement may fall on a busy moment."""
    found = {"cpu": machine.cpu_peaks(run.level, torch)}
    for device in devices:
        if device is not run.host:
            found[device.name] = machine.gpu_peaks(device, run.level, torch)
    for name, peaks in found.items():
        run.peaks[name] = machine.best_of(run.peaks.get(name), peaks)


def gate_failures(result):
    """``device op impl`` of each implementation that failed its gate or has no cases."""
    bad = (f"{r['device']} {r['op']} {r['impl']}" for r in result.get("kernels", [])
           if r["status"] in ("FAILED", "NO CASES"))
    return list(dict.fromkeys(bad))


def _check_params(expected, params):
    return timing.mismatch(_torch_to_numpy(params), expected, 1e-5)


def _torch_to_numpy(value):
    if isinstance(value, (tuple, list)):
        return type(value)(_torch_to_numpy(v) for v in value)
    if hasattr(value, "detach"):
        return value.detach().cpu().numpy()
    if hasattr(value, "get") and hasattr(value, "__cuda_array_interface__"):
        return value.get()
    return value


def _import_torch(args):
    if args.no_torch:
        return None
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: no PyTorch columns (pip install torch)")
        return None
    torch.set_num_threads(args.threads)
    return torch


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    if args.unset_openblas_env:
        machine.reexec_without_openblas_env("benchmarks", argv)
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(args.threads)
    except ImportError:
        pass
    torch = _import_torch(args)
    run = Run(args, torch)
    skip = set(filter(None, args.skip.split(",")))
    result = {"benchmark": "minigrad kernels", "schema": 1,
              "command": "python -m benchmarks " + " ".join(argv),
              "settings": {**{k: v for k, v in vars(args).items()},
                           **{k: v for k, v in run.settings.items() if k != "e2e"}},
              "machine": machine.machine_info(args.threads), "devices": {}}
    devices = []
    if args.device in ("cpu", "all"):
        devices.append(run.host)
    if args.device in ("cuda", "all"):
        gpu, why = cuda_device()
        if gpu is None:
            result["devices"]["cuda"] = {"unavailable": why}
            print(f"cuda: unavailable: {why}")
        else:
            devices.append(gpu)
    print("measuring the machine's limits...", flush=True)
    measure_limits(run, devices, torch)
    for device in devices:
        print(f"kernels on {device.name}...", flush=True)
        run.kernels(device)
        if "optim" not in skip:
            run.optimizers(device)
    print("measuring the machine's limits again...", flush=True)
    measure_limits(run, devices, torch)
    for device in devices:
        result["devices"][device.name] = {**device.describe(), "peaks": run.peaks[device.name]}
    run.fractions()
    result["kernels"] = run.rows
    if "overhead" not in skip:
        print("engine overhead...", flush=True)
        result["engine_overhead"] = run.engine_overhead()
    if "e2e" not in skip:
        print("end-to-end training throughput...", flush=True)
        result["end_to_end"] = run.end_to_end(devices)
    result["load_average_end"] = os.getloadavg() if hasattr(os, "getloadavg") else None
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        if not args.no_plots:
            prefix = os.path.splitext(args.out)[0]
            result["plots"] = report.write_plots(result, prefix)
        report.write_json(result, args.out)
    report.print_report(result)
    if args.out:
        print(f"\nwrote {args.out}" + "".join(f", {p}" for p in result.get("plots", [])))
    return result
