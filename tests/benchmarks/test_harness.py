"""Smoke test of the kernel benchmark harness (``python -m benchmarks``): tiny sizes, one
repetition.  It checks what the harness reports, never a time."""
import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

from benchmarks import cases, harness, machine
from minigrad_kernels.erf import erf_numpy
from minigrad import backend

ROW_KEYS = {"device", "simulated", "op", "case", "origin", "bound", "impl", "kind", "status",
            "error", "flops", "bytes", "rotating_sets", "first_call_s", "extra_bytes"}
TIMED_KEYS = {"median_s", "q1_s", "q3_s", "min_s", "samples", "calls_per_sample", "gflops",
              "gbps", "frac_peak_flops", "frac_peak_bandwidth", "vs_reference"}


@pytest.fixture
def registered():
    """Register test implementations for one test, and remove them afterwards."""
    added = []

    def register(op, device, impl, fn):
        backend.register_kernel(op, device, impl, fn)
        added.append((op, device, impl))
    yield register
    for key in added:
        backend.unregister_kernel(*key)


def wrong_matmul(a, b):
    return np.matmul(a, b) + 1          # off by one everywhere: must be caught by the gate


def skipped_adam_update(p, g, m, v, v_max, *options):
    """Returns None like the real in-place op, but updates nothing: the gate must compare
    the updated arrays, not the return value."""


def test_cpu_run_reports_every_implementation_and_fails_a_wrong_one(tmp_path, registered):
    registered("matmul", "cpu", "wrong_for_test", wrong_matmul)
    registered("adam_update", "cpu", "wrong_for_test", skipped_adam_update)
    out = tmp_path / "bench.json"
    harness.main(["--sizes", "tiny", "--repeats", "1", "--skip", "e2e", "--no-torch",
                  "--out", str(out)])
    result = json.loads(out.read_text())

    assert {"benchmark", "schema", "command", "settings", "machine", "devices", "kernels",
            "engine_overhead", "plots"} <= set(result)
    machine = result["machine"]
    assert machine["cpu"] and machine["threads"] >= 1 and machine["versions"]["numpy"]
    assert machine["blas"] and all(lib["architecture"] for lib in machine["blas"])
    peaks = result["devices"]["cpu"]["peaks"]
    assert peaks["gemm_gflops"]["best"] > 0 and peaks["copy_gbps"] > 0

    rows = result["kernels"]
    for row in rows:
        assert ROW_KEYS <= set(row), row
        if row["status"] == "ok":
            assert TIMED_KEYS <= set(row) and row["median_s"] > 0, row
    reported = {(r["op"], r["impl"]) for r in rows if r["device"] == "cpu"}
    registered_cpu = {(op, impl) for op, _, impl in backend.available_kernels(device="cpu")}
    assert registered_cpu <= reported
    assert all(op in cases.SPECS for op, _ in registered_cpu)  # no op without cases
    assert {"optim.adam", "optim.sgd"} <= {r["op"] for r in rows}

    wrong = [r for r in rows if r["impl"] == "wrong_for_test"]
    assert wrong and all(r["status"] == "FAILED" for r in wrong)
    assert harness.gate_failures(result) == ["cpu matmul wrong_for_test",   # exit status 1
                                             "cpu adam_update wrong_for_test"]
    assert all("wrong result" in r["error"] and "median_s" not in r for r in wrong)
    correct = [r for r in rows if r["impl"] != "wrong_for_test"]
    assert all(r["status"] == "ok" for r in correct), [r for r in correct
                                                       if r["status"] != "ok"]
    assert all(r["vs_reference"] == pytest.approx(1.0) for r in correct if r["impl"] == "numpy")

    assert {r["framework"] for r in result["engine_overhead"]} >= {"minigrad", "numpy"}
    (plot,) = result["plots"]
    with open(plot, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_crashing_implementation_is_reported_not_raised(tmp_path, registered):
    def crashing(a, b):
        raise RuntimeError("kernel exploded")
    registered("matmul", "cpu", "crash_for_test", crashing)
    result = harness.main(["--sizes", "tiny", "--ops", "matmul", "--skip",
                           "e2e,overhead,optim", "--no-torch"])
    rows = [r for r in result["kernels"] if r["impl"] == "crash_for_test"]
    assert rows and all(r["status"] == "FAILED" and "kernel exploded" in r["error"]
                        for r in rows)


def test_cuda_path_under_the_simulator_with_a_registered_implementation(
        tmp_path, registered, monkeypatch):
    """NUMBA_ENABLE_CUDASIM=1 makes the harness run the cuda implementations on NumPy arrays,
    labelled as simulated, on the simulator level's cases (with or without a GPU: the
    variable decides).  erf has no Numba CUDA kernel, so numba.cuda is never imported in
    this process (it would read the variable and stay the simulator for the session)."""
    monkeypatch.setenv("NUMBA_ENABLE_CUDASIM", "1")

    def fake_cuda_erf(x):      # the contract: allocate with the input's array module
        return backend.array_module(x).asarray(erf_numpy(x))

    def wrong_erf(x):
        return erf_numpy(x) + 1
    registered("erf", "cuda", "fake_for_test", fake_cuda_erf)
    registered("erf", "cuda", "wrong_for_test", wrong_erf)
    out = tmp_path / "gpu.json"
    result = harness.main(["--device", "cuda", "--sizes", "tiny", "--ops", "erf",
                           "--skip", "e2e,overhead", "--no-torch", "--no-plots",
                           "--out", str(out)])
    assert result["devices"]["cuda"]["simulated"] is True
    rows = [r for r in result["kernels"] if r["device"] == "cuda"]
    fake = [r for r in rows if r["impl"] == "fake_for_test"]
    assert fake and all(r["status"] == "ok" and r["simulated"] for r in fake)
    assert all(r["status"] == "FAILED" for r in rows if r["impl"] == "wrong_for_test")
    host = [r for r in rows if r["impl"] == "numpy (host)"]
    assert host and all(r["status"] == "ok" and not r["simulated"] for r in host)
    simulator_cases = {c.label for c in cases.SPECS["erf"].cases(cases.SIMULATOR)}
    assert {r["case"] for r in rows} == simulator_cases


SIMULATED_RUN = """
import json, sys
from numba import cuda
from minigrad import backend
from benchmarks import harness

@cuda.jit
def product(a, b, c):
    i, j = cuda.grid(2)
    if i < c.shape[0] and j < c.shape[1]:
        total = 0.0
        for k in range(a.shape[1]):
            total += a[i, k] * b[k, j]
        c[i, j] = total

def matmul_sim(a, b):
    c = backend.array_module(a).empty((a.shape[0], b.shape[1]), dtype=a.dtype)
    product[((c.shape[0] + 7) // 8, (c.shape[1] + 7) // 8), (8, 8)](a, b, c)
    return c

backend.register_kernel("matmul", "cuda", "jit_for_test", matmul_sim)
result = harness.main(["--device", "cuda", "--sizes", "tiny", "--skip", "e2e,overhead",
                       "--no-torch", "--no-plots"])
registered = [list(k) for k in backend.available_kernels(device="cuda")]
rows = [(r["op"], r["case"], r["impl"], r["status"], r["error"], r["simulated"])
        for r in result["kernels"]]
json.dump({"registered": registered, "rows": rows,
           "simulated": result["devices"]["cuda"]["simulated"]}, sys.stderr)
"""


def test_every_cuda_implementation_passes_its_gate_under_the_real_simulator():
    """The whole kernel benchmark on the cuda device in a process started with
    NUMBA_ENABLE_CUDASIM=1 (the simulator must be chosen before numba is imported): every
    registered cuda implementation, the real Numba CUDA kernels and CuPy's (on NumPy
    arrays) and a ``@cuda.jit`` kernel registered here, is run on its op's simulator cases
    and passes the gate against the NumPy reference."""
    root = pathlib.Path(__file__).resolve().parents[2]
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="1",
               PYTHONPATH=os.pathsep.join(filter(None, [str(root),
                                                        os.environ.get("PYTHONPATH")])))
    env.pop("MINIGRAD_KERNELS", None)
    done = subprocess.run([sys.executable, "-c", SIMULATED_RUN], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["simulated"] is True
    registered = {(op, impl) for op, device, impl in report["registered"]}
    assert {impl for _, impl in registered} >= {"numba_cuda", "cupy", "jit_for_test"}
    rows = [dict(zip(("op", "case", "impl", "status", "error", "simulated"), r))
            for r in report["rows"]]
    kernel_rows = [r for r in rows if r["impl"] != "numpy (host)"]
    assert {(r["op"], r["impl"]) for r in kernel_rows} == registered
    failed = [r for r in kernel_rows if r["status"] != "ok" or not r["simulated"]]
    assert not failed, failed
    for op in {op for op, _ in registered}:     # each op's simulator cases, no other
        assert {r["case"] for r in rows if r["op"] == op} == {
            c.label for c in cases.SPECS[op].cases(cases.SIMULATOR)}, op


def test_cuda_unavailable_is_reported(monkeypatch):
    if backend.is_cuda_available():
        pytest.skip("a real GPU is present")
    monkeypatch.delenv("NUMBA_ENABLE_CUDASIM", raising=False)
    result = harness.main(["--device", "cuda", "--sizes", "tiny", "--skip",
                           "e2e,overhead", "--no-torch"])
    assert "NUMBA_ENABLE_CUDASIM" in result["devices"]["cuda"]["unavailable"]
    assert result["kernels"] == []


def test_pytorch_twins_agree_with_the_reference():
    """Each op's PyTorch equivalent passes the same gate (else its ratio would be wrong)."""
    pytest.importorskip("torch")
    result = harness.main(["--sizes", "tiny", "--skip", "e2e,overhead"])
    torch_rows = [r for r in result["kernels"] if r["impl"] == "pytorch"]
    assert {r["op"] for r in torch_rows} >= set(cases.SPECS)
    assert all(r["status"] == "ok" for r in torch_rows), [
        (r["op"], r["error"]) for r in torch_rows if r["status"] != "ok"]


def test_size_levels_from_the_command_line():
    assert harness.parse_args([]).sizes == "full"
    assert harness.parse_args(["--quick"]).sizes == "quick"
    assert harness.parse_args(["--sizes", "tiny"]).sizes == "tiny"


def test_every_level_covers_the_seed_cnn_layers():
    """The conv cases are the seed CNNs' layers (from cnn_throughput.MODELS), at each level."""
    for level in ("quick", "full"):
        labels = [c.label for c in cases.SPECS["conv2d.forward"].cases(level)]
        for conv in ("A.conv1", "A.conv2", "A.conv3", "B.conv1", "B.conv2", "C.conv1"):
            assert any(label.startswith(conv + " ") for label in labels), (level, conv)
    (a_conv2,) = [c for c in cases.SPECS["conv2d.forward"].cases("quick")
                  if c.label.startswith("A.conv2")]
    assert "64x32x13x13 * 64x32x3x3" in a_conv2.label
    assert a_conv2.flops == 2 * 64 * 64 * 11 * 11 * 32 * 3 * 3


def test_unset_openblas_env_reexecutes_without_both_variables():
    """Checked on a copy of the environment: the test process's own is never changed."""
    calls = []
    environ = {"PATH": "/bin", "OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_L2_SIZE": "512k"}
    machine.reexec_without_openblas_env("benchmarks", ["--quick"], environ,
                                        lambda *args: calls.append(args))
    ((executable, command, env),) = calls
    assert command[1:] == ["-m", "benchmarks", "--quick"]
    assert "OPENBLAS_CORETYPE" not in env and "OPENBLAS_L2_SIZE" not in env
    assert env["PATH"] == "/bin" and env["MINIGRAD_BENCH_UNSET_OPENBLAS"] == "1"
    machine.reexec_without_openblas_env("benchmarks", ["--quick"], {"PATH": "/bin"},
                                        lambda *args: calls.append(args))
    assert len(calls) == 1                     # neither set: nothing to re-execute
