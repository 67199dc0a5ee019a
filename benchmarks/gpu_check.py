"""The whole GPU check in one command, for a lent machine with a CUDA GPU:

    python -m benchmarks.gpu_check OUT_DIR [--budget-s 360] [--dry-run]
    (or: bash benchmarks/run_gpu.sh OUT_DIR ...)

Steps, each a subprocess under a timeout (its own cap, and never past the total budget):

1. environment: CUDA_HOME (set for the children when unset and a toolkit with
   ``nvvm/lib64/libnvvm.so*`` is found), versions, whether NVVM loads and CUDA is usable.
   Without NVVM (or CUDA) the GPU steps are not run and the check fails at once.
2. ``python -m minigrad doctor``
3. the sm_90 PTX compile check (``tests/kernels/test_cuda_ptx.py`` with CI=1: a missing
   compiler fails instead of skipping)
4. registers per thread and shared memory of every Numba CUDA kernel (compiled on the GPU)
5. ``pytest -m gpu`` (hypothesis profile ``ci``)
6. the device tests on the GPU
7. ``python -m benchmarks --device cuda --quick`` with TF32 off for PyTorch; only our
   implementations' correctness gates decide (see ``bench_verdict``)

The CUDA simulator never runs on the GPU machine.  A machine lent for one run, killed at a
time limit and returning few files must not waste the run, so ``OUT_DIR/gpu_check.json``
(the summary) and ``OUT_DIR/gpu_check.tar.gz`` (every step's log and junit xml) are both
rewritten after every step.  Exit status 0 only when every step passed: a skip, a time-out
or a step not run is a failure.

``--dry-run`` runs the same plumbing on a CPU-only machine (CI, tests/benchmarks/
test_gpu_check.py): the GPU steps are replaced by cheap stand-ins, and an unusable CUDA is
not a failure.
"""
import argparse
import dataclasses
import glob
import importlib
import json
import os
import signal
import site
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUMMARY, ARCHIVE = "gpu_check.json", "gpu_check.tar.gz"
ENV_MARKER = "GPU_CHECK_ENV "      # the environment probe's result line: marker + JSON
MIN_STEP_S = 1.0                   # a step with less budget left than this is not run


@dataclasses.dataclass
class Step:
    """One step: ``cmd`` runs in the repository root with ``env`` applied (None unsets).

    kind: "plain" (exit status decides), "pytest" (also: exit 5 and all-skipped fail; the
    junit xml is read), "env" (the environment probe), "resources" (the kernel table),
    "bench" (bench_verdict decides).  ``gpu``: not run when NVVM is missing, nor (unless
    ``nvvm_only``: the PTX check compiles without a device) when CUDA is unusable."""
    name: str
    cmd: list
    cap_s: float
    kind: str = "plain"
    gpu: bool = False
    nvvm_only: bool = False
    env: dict = dataclasses.field(default_factory=dict)
    log: str = ""
    junit: str = ""
    artifacts: tuple = ()


# -- CUDA_HOME ------------------------------------------------------------------------------

def site_dirs():
    """Where pip puts packages for this interpreter (the ``nvidia`` wheels live there)."""
    dirs = list(getattr(site, "getsitepackages", lambda: [])())
    user = getattr(site, "getusersitepackages", lambda: None)()
    dirs += [user] if user else []
    dirs += [p for p in sys.path if p.endswith("site-packages")]
    return list(dict.fromkeys(dirs))


def find_cuda_home(sites=None, extra=("/usr/local/cuda",)):
    """A CUDA toolkit directory, i.e. one holding ``nvvm/lib64/libnvvm.so*`` (the layout
    Numba expects under CUDA_HOME): from the ``nvidia`` pip wheels (``nvidia/*``,
    ``nvidia/cu*/*``) or ``extra``; None when there is none."""
    candidates = []
    for base in site_dirs() if sites is None else sites:
        candidates += sorted(glob.glob(os.path.join(base, "nvidia", "*")))
        candidates += sorted(glob.glob(os.path.join(base, "nvidia", "cu*", "*")))
    candidates += list(extra)
    for d in candidates:
        if glob.glob(os.path.join(d, "nvvm", "lib64", "libnvvm.so*")):
            return os.path.abspath(d)
    return None


# -- the child-side helpers (run as subprocesses of the check) ------------------------------

def probe_environment(dry_run):
    """Versions, NVVM, CUDA: printed as ``GPU_CHECK_ENV {json}``, then a verdict line."""
    import importlib.metadata as md
    info = {"python": sys.version.split()[0], "CUDA_HOME": os.environ.get("CUDA_HOME")}
    for dist in ("numpy", "cupy-cuda13x", "cupy-cuda12x", "numba", "numba-cuda",
                 "cuda-toolkit", "torch", "pytest", "hypothesis"):
        try:
            info[dist] = md.version(dist)
        except md.PackageNotFoundError:
            info[dist] = None
    try:
        import cupy
        info["cupy"] = cupy.__version__
        info["cuda_driver"] = cupy.cuda.runtime.driverGetVersion()
        info["cuda_runtime"] = cupy.cuda.runtime.runtimeGetVersion()
    except Exception as exc:   # no CuPy, no driver: recorded, CUDA usable says the rest
        info["cupy_error"] = f"{type(exc).__name__}: {exc}"[:300]
    try:
        import torch
        info["torch_cuda"] = torch.version.cuda
    except Exception as exc:
        info["torch_error"] = f"{type(exc).__name__}: {exc}"[:300]
    try:
        from numba.cuda.cudadrv import nvvm
        info["nvvm"] = ".".join(map(str, nvvm.NVVM().get_version()))
    except Exception as exc:
        info["nvvm"] = None
        info["nvvm_error"] = f"{type(exc).__name__}: {str(exc).strip()}"[:500]
    try:
        import minigrad
        usable, why = minigrad.cuda.status()
        info["cuda_usable"], info["cuda_why_not"] = bool(usable), why
    except Exception as exc:
        info["cuda_usable"], info["cuda_why_not"] = False, f"{type(exc).__name__}: {exc}"
    print(ENV_MARKER + json.dumps(info), flush=True)
    if info["nvvm"] is None:
        print(f"NVVM unusable: {info['nvvm_error']} (install cuda-toolkit[nvvm] or set "
              "CUDA_HOME to a toolkit with nvvm/lib64)")
    else:
        print(f"NVVM {info['nvvm']} usable; CUDA usable: "
              f"{'yes' if info['cuda_usable'] else 'no: ' + str(info['cuda_why_not'])}")
    ok = info["nvvm"] is not None and info["cuda_usable"]
    return 0 if ok or dry_run else 1


def kernel_resources(out_file, dry_run):
    """Registers per thread and static shared memory of every Numba CUDA kernel, compiled
    for the current GPU from each module's ``kernel_signatures(dtype)``; written to
    ``out_file`` (JSON rows) and printed.  Exit 1 when one is unavailable on a real run."""
    import minigrad_kernels
    modules = sorted({m for _, _, impl, m, _ in minigrad_kernels.KERNELS
                      if impl == "numba_cuda"})
    rows = []
    for module in modules:
        for dtype in ("float32", "float64"):
            row = {"module": module, "dtype": dtype}
            try:
                from numba import types
                signatures = importlib.import_module(module).kernel_signatures(dtype)
            except Exception as exc:
                rows.append({**row, "kernel": "*",
                             "unavailable": f"{type(exc).__name__}: {exc}"[:300]})
                continue
            for name, kernel, argtypes in signatures:
                entry = {**row, "kernel": name}
                try:
                    if dry_run:
                        raise RuntimeError("dry run: not compiled for a GPU")
                    kernel.compile(tuple(argtypes))
                    sig = types.void(*argtypes)
                    entry["regs_per_thread"] = kernel.get_regs_per_thread(sig)
                    entry["shared_mem_per_block"] = kernel.get_shared_mem_per_block(sig)
                except Exception as exc:
                    entry["unavailable"] = f"{type(exc).__name__}: {exc}"[:300]
                rows.append(entry)
    with open(out_file, "w") as f:
        json.dump(rows, f, indent=1)
    print(f"{'kernel':<40} {'dtype':<8} {'regs':>5} {'shared B':>9}")
    for r in rows:
        label = f"{r['module'].rsplit('.', 1)[-1]}.{r['kernel']}"
        if "unavailable" in r:
            why = " ".join(r["unavailable"].split())[:80]
            print(f"{label:<40} {r['dtype']:<8} unavailable: {why}")
        else:
            print(f"{label:<40} {r['dtype']:<8} {r['regs_per_thread']:>5} "
                  f"{r['shared_mem_per_block']:>9}")
    missing = sum("unavailable" in r for r in rows)
    print(f"{len(rows) - missing} of {len(rows)} kernels measured")
    return 1 if (missing or not rows) and not dry_run else 0


def fake_bench(out_file):
    """The dry run's benchmark: a JSON where PyTorch's row fails its gate and the harness's
    exit status 1 for it, which must not fail the step (see bench_verdict)."""
    rows = [dict(device="cuda", op="matmul", impl="numba_cuda", kind="kernel", status="ok"),
            dict(device="cuda", op="matmul", impl="pytorch", kind="pytorch", status="FAILED")]
    with open(out_file, "w") as f:
        json.dump({"devices": {"cuda": {"name": "stand-in"}}, "kernels": rows}, f)
    print("1 implementation(s) failed the gate or have no cases: cuda matmul pytorch")
    return 1


# -- the step table -------------------------------------------------------------------------

def plan(out, py, dry_run, slow_step=False):
    """The steps, in order.  A module-level function so that tests can replace it."""
    pytest = [py, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-ra"]
    me = [py, "-m", "benchmarks.gpu_check"]
    dry = ["--dry-run"] if dry_run else []
    sim = {"NUMBA_ENABLE_CUDASIM": "1", "MINIGRAD_SIM_EXAMPLES": "5"}
    sim_test = ["tests/kernels/test_cuda_kernels.py", "-k", "nan"]
    bench_json = os.path.join(out, "gpu_bench.json")
    steps = [
        Step("environment", me + ["--probe-environment"] + dry, 60, kind="env"),
        Step("doctor", [py, "-m", "minigrad", "doctor"], 60),
    ]
    if slow_step:   # tests: a step killed at its time limit, the rest must still report
        steps.append(Step("slow stand-in", [py, "-c", "import time; time.sleep(60)"], 2))
    ptx = ["tests/kernels/test_cuda_ptx.py"]
    if dry_run:     # the cheap test of the file: same CI=1 path, no compiling
        ptx += ["-k", "lists_its_kernels"]
    steps += [
        Step("PTX check", pytest + ptx, 150, kind="pytest", gpu=True, nvvm_only=True,
             env={"CI": "1"}),
        Step("kernel resources", me + ["--kernel-resources",
                                       os.path.join(out, "kernel_resources.json")] + dry,
             120, kind="resources", gpu=True,
             artifacts=(os.path.join(out, "kernel_resources.json"),)),
    ]
    if dry_run:     # stand-ins: the simulator on one tiny test, and a fake benchmark
        steps += [
            Step("pytest -m gpu", pytest + sim_test, 60, kind="pytest", gpu=True, env=sim),
            Step("device tests on the GPU", [py, "-c", "print('device tests: stand-in ok')"],
                 30, gpu=True),
            Step("benchmarks", me + ["--fake-bench", bench_json], 30, kind="bench",
                 gpu=True, artifacts=(bench_json,)),
        ]
    else:
        steps += [
            Step("pytest -m gpu", pytest + ["-m", "gpu", "--hypothesis-profile", "ci"], 180,
                 kind="pytest", gpu=True, env={"MINIGRAD_SIM_EXAMPLES": "5"}),
            Step("device tests on the GPU",
                 pytest + ["tests/test_cuda_device.py", "tests/kernels/test_kernels.py",
                           "tests/ops/test_op_table.py", "-k", "cuda",
                           "--hypothesis-profile", "ci"],
                 180, kind="pytest", gpu=True),
            Step("benchmarks", [py, "-m", "benchmarks", "--device", "cuda", "--quick",
                                "--out", bench_json], 300, kind="bench", gpu=True,
                 env={"NVIDIA_TF32_OVERRIDE": "0", "TORCH_ALLOW_TF32_CUBLAS_OVERRIDE": "0"},
                 artifacts=(bench_json,)),
        ]
    return name_files(steps, out)


def name_files(steps, out):
    """Give each step its log (and, for pytest, its junit xml) in ``out``: NN_name.log."""
    for i, s in enumerate(steps):
        slug = "".join(c if c.isalnum() else "_" for c in s.name.lower()).strip("_")
        s.log = os.path.join(out, f"{i + 1:02d}_{slug}.log")
        if s.kind == "pytest":
            s.junit = os.path.join(out, f"{i + 1:02d}_{slug}.xml")
            s.cmd = s.cmd + [f"--junitxml={s.junit}"]
    return steps


# -- verdicts -------------------------------------------------------------------------------

def bench_verdict(rc, path):
    """(passed, detail) of the benchmark step.  benchmarks.harness.gate_failures counts
    every FAILED / NO CASES row, PyTorch's included, so its exit status 1 may be PyTorch's
    alone: the JSON decides instead, without rows of kind "pytorch".  A missing JSON, an
    unavailable cuda device or any other exit status fails."""
    try:
        with open(path) as f:
            result = json.load(f)
    except (OSError, ValueError) as exc:
        return False, f"no benchmark JSON ({type(exc).__name__}: {exc})"
    cuda = result.get("devices", {}).get("cuda", {})
    if not cuda or "unavailable" in cuda:
        return False, f"cuda device unavailable: {cuda.get('unavailable', 'not in the JSON')}"
    bad = [r for r in result.get("kernels", []) if r.get("status") in ("FAILED", "NO CASES")]
    ours = sorted({f"{r['device']} {r['op']} {r['impl']}" for r in bad
                   if r.get("kind") != "pytorch"})
    theirs = sorted({f"{r['device']} {r['op']}" for r in bad if r.get("kind") == "pytorch"})
    if ours:
        return False, f"{len(ours)} of our implementations failed the gate: " + ", ".join(ours)
    if rc not in (0, 1) or (rc == 1 and not theirs):
        return False, f"the benchmark exited {rc}"
    note = f" (PyTorch failed its own gate, not counted: {', '.join(theirs)})" if theirs else ""
    return True, "every implementation passed its gate" + note


def junit_counts(path):
    """tests / failures / errors / skipped and the skip reasons of a junit xml, or None."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    counts = {k: sum(int(s.get(k, 0)) for s in suites)
              for k in ("tests", "failures", "errors", "skipped")}
    reasons = [el.get("message", "") for el in root.iter("skipped")]
    counts["skip_reasons"] = sorted(set(reasons))[:10]
    return counts


def verdict_line(log):
    """doctor's "CUDA usable" line, else the log's last non-empty line."""
    try:
        with open(log, errors="replace") as f:
            lines = [line.strip() for line in f if line.strip()]
    except OSError:
        return ""
    usable = [line for line in lines if line.startswith("CUDA usable")]
    if usable:
        return usable[0][:300]
    return lines[-1][:300] if lines else ""


# -- running --------------------------------------------------------------------------------

class Check:
    """The state of one run: the steps' records, written out after every step."""

    def __init__(self, out, budget_s, dry_run):
        self.out, self.budget_s, self.dry_run = out, budget_s, dry_run
        self.start = time.monotonic()
        self.records, self.versions, self.resources = [], {}, None
        self.cuda_home = None
        self.child = None

    def left(self):
        return self.budget_s - (time.monotonic() - self.start)

    def ok(self):
        return bool(self.records) and all(r["status"] == "passed" for r in self.records)

    def write(self):
        """The summary JSON and the archive, each replaced atomically."""
        files = [os.path.join(self.out, f) for r in self.records for f in r["files"]
                 if os.path.isfile(os.path.join(self.out, f))]
        summary = {"ok": self.ok(), "dry_run": self.dry_run,
                   "budget_s": self.budget_s, "budget_left_s": round(self.left(), 1),
                   "elapsed_s": round(time.monotonic() - self.start, 1),
                   "cuda_home": self.cuda_home, "versions": self.versions,
                   "kernel_resources": self.resources,
                   "archive": ARCHIVE,
                   "archived": [os.path.relpath(f, self.out) for f in files],
                   "steps": self.records}
        path = os.path.join(self.out, SUMMARY)
        with open(path + ".tmp", "w") as f:
            json.dump(summary, f, indent=2)
        os.replace(path + ".tmp", path)
        tmp = os.path.join(self.out, ARCHIVE + ".tmp")
        with tarfile.open(tmp, "w:gz") as tar:
            for f in files:
                tar.add(f, arcname=os.path.relpath(f, self.out))
        os.replace(tmp, os.path.join(self.out, ARCHIVE))

    def record(self, step, status, seconds=0.0, detail="", **extra):
        rec = {"name": step.name, "status": status, "seconds": round(seconds, 1),
               "verdict": detail, "command": " ".join(map(str, step.cmd)),
               "log": os.path.relpath(step.log, self.out) if step.log else None,
               "junit": os.path.relpath(step.junit, self.out) if step.junit else None,
               "files": [os.path.relpath(f, self.out)
                         for f in (step.log, step.junit, *step.artifacts) if f], **extra}
        self.records.append(rec)
        self.write()
        return rec

    def run(self, step, env):
        """Run one step under min(cap, budget left); returns its record."""
        timeout = min(step.cap_s, self.left())
        print(f"=== {step.name} (timeout {timeout:.1f} s): {' '.join(map(str, step.cmd))}",
              flush=True)
        child_env = dict(env)
        for k, v in step.env.items():
            if v is None:
                child_env.pop(k, None)
            else:
                child_env[k] = v
        t0 = time.monotonic()
        rc, timed_out = None, False
        with open(step.log, "w") as log:
            # Popen rather than subprocess.run: on a time-out, run() kills the child alone;
            # its own children (pytest workers, compilers) must go too: its process group.
            try:
                self.child = subprocess.Popen(
                    step.cmd, cwd=REPO, env=child_env, stdout=log,
                    stderr=subprocess.STDOUT, start_new_session=True)
            except OSError as exc:
                log.write(f"cannot start: {exc}\n")
            else:
                try:
                    rc = self.child.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    _kill_group(self.child)
                    timed_out = True
                finally:
                    self.child = None
        seconds = time.monotonic() - t0
        _echo_tail(step.log)
        detail = verdict_line(step.log)
        extra = {}
        if timed_out:
            status = f"timed out after {timeout:.1f} s"
        elif rc is None:
            status = "failed (could not start)"
        else:
            status = "passed" if rc == 0 else f"failed (exit {rc})"
        if step.kind == "pytest":
            counts = junit_counts(step.junit)
            extra["tests"] = counts
            if rc == 5:
                status, detail = "failed (exit 5)", "pytest collected no tests: " + detail
            elif rc == 0 and counts and counts["tests"] and counts["skipped"] == counts["tests"]:
                status = f"skipped: all {counts['tests']} tests skipped"
                detail = "; ".join(counts["skip_reasons"]) or detail
        elif step.kind == "bench" and rc is not None:
            passed, detail = bench_verdict(rc, step.artifacts[0])
            status = "passed" if passed else (status if rc else "failed (benchmark verdict)")
        elif step.kind == "env":
            self.versions = _parse_env(step.log)
        elif step.kind == "resources":
            try:
                with open(step.artifacts[0]) as f:
                    self.resources = json.load(f)
            except (OSError, ValueError) as exc:
                self.resources = f"unavailable: {type(exc).__name__}: {exc}"
        return self.record(step, status, seconds, detail, **extra)


def _kill_group(proc):
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    proc.wait()


def _echo_tail(log, lines=15):
    try:
        with open(log, errors="replace") as f:
            tail = f.readlines()[-lines:]
    except OSError:
        return
    sys.stdout.write("".join("    " + line for line in tail))
    sys.stdout.flush()


def _parse_env(log):
    try:
        with open(log, errors="replace") as f:
            for line in f:
                if line.startswith(ENV_MARKER):
                    return json.loads(line[len(ENV_MARKER):])
    except (OSError, ValueError):
        pass
    return {}


def child_environment(out, dry_run, check):
    """The children's environment: the repository importable (minigrad_kernels too, when
    not installed), CUDA_HOME when found, and never the simulator on a real run."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO, env.get("PYTHONPATH")]))
    try:
        importlib.import_module("minigrad_kernels")
    except ImportError:   # not installed: make kernels/ importable under its installed name
        link_dir = os.path.join(out, ".path")
        os.makedirs(link_dir, exist_ok=True)
        link = os.path.join(link_dir, "minigrad_kernels")
        if not os.path.exists(link):
            os.symlink(os.path.join(REPO, "kernels"), link)
        env["PYTHONPATH"] = link_dir + os.pathsep + env["PYTHONPATH"]
    if not env.get("CUDA_HOME"):
        found = find_cuda_home()
        if found:
            env["CUDA_HOME"] = found
    check.cuda_home = env.get("CUDA_HOME")
    env.pop("NUMBA_ENABLE_CUDASIM", None)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def print_table(check):
    print(f"\n{'step':<26} {'status':<28} {'s':>6}  verdict")
    for r in check.records:
        print(f"{r['name']:<26} {r['status']:<28} {r['seconds']:>6.1f}  {r['verdict'][:80]}")
    print(f"\n{'OK' if check.ok() else 'NOT OK'}: results in {check.out}/ ({SUMMARY}, "
          f"{ARCHIVE})", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gpu_check",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?", default="gpu_results", help="results directory")
    parser.add_argument("--budget-s", type=float, default=360.0,
                        help="total seconds for all steps (default 360)")
    parser.add_argument("--dry-run", action="store_true",
                        help="CPU-only stand-ins for the GPU steps (CI, tests)")
    parser.add_argument("--dry-run-slow-step", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--probe-environment", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--kernel-resources", metavar="FILE", help=argparse.SUPPRESS)
    parser.add_argument("--fake-bench", metavar="FILE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.probe_environment:
        return probe_environment(args.dry_run)
    if args.kernel_resources:
        return kernel_resources(args.kernel_resources, args.dry_run)
    if args.fake_bench:
        return fake_bench(args.fake_bench)

    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    check = Check(out, args.budget_s, args.dry_run)
    env = child_environment(out, args.dry_run, check)
    steps = plan(out, sys.executable, args.dry_run, args.dry_run_slow_step)

    def on_term(signum, frame):   # killed from outside: report what finished, then go
        if check.child is not None:
            _kill_group(check.child)
        print(f"\nkilled by signal {signum}: the summary holds the finished steps",
              flush=True)
        print_table(check)
        sys.exit(128 + signum)
    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        blocked = {}          # why the GPU steps cannot run, once known: nvvm / cuda
        for step in steps:
            why = blocked.get("nvvm") or (None if step.nvvm_only else blocked.get("cuda"))
            if why and step.gpu:
                check.record(step, f"not run: {why[0]}", detail=why[1])
            elif check.left() < MIN_STEP_S:
                check.record(step, "not run: budget exhausted")
            else:
                rec = check.run(step, env)
                if step.kind == "env" and not args.dry_run:
                    v = check.versions
                    if not v.get("nvvm"):
                        blocked["nvvm"] = ("NVVM missing", str(v.get("nvvm_error")))
                    if not v.get("cuda_usable"):
                        blocked["cuda"] = ("CUDA unusable", str(v.get("cuda_why_not")))
                    if rec["status"] != "passed" and not blocked:
                        blocked["nvvm"] = ("environment probe failed", rec["verdict"])
        check.write()
    finally:
        signal.signal(signal.SIGTERM, previous)
    print_table(check)
    return 0 if check.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
