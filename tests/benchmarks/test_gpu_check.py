"""The GPU check's plumbing (benchmarks/gpu_check.py), on a CPU-only machine: the dry run end
to end, and hand-made step tables for time-outs, the budget, skips and a missing NVVM.
The one real GPU run must not be wasted, so what it writes and when is what is checked."""
import json
import os
import subprocess
import sys
import tarfile
import time

import pytest

from benchmarks import gpu_check
from benchmarks.gpu_check import ENV_MARKER, Step

PY = sys.executable
REPO = gpu_check.REPO


def summary(out):
    with open(out / gpu_check.SUMMARY) as f:
        return json.load(f)


def archive_members(out):
    with tarfile.open(out / gpu_check.ARCHIVE) as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}


def statuses(out):
    return [s["status"] for s in summary(out)["steps"]]


def run_plan(monkeypatch, tmp_path, steps, *args):
    """main() in this process with ``steps`` as the step table."""
    out = tmp_path / "out"
    monkeypatch.setattr(gpu_check, "plan",
                        lambda o, py, dry, slow=False: gpu_check.name_files(steps, o))
    rc = gpu_check.main([str(out), *args])
    return rc, out


def step(name, code, cap=30, **kw):
    return Step(name, [PY, "-c", code], cap, **kw)


def test_dry_run_end_to_end(tmp_path):
    out = tmp_path / "gpu"
    t0 = time.monotonic()
    proc = subprocess.run([PY, "-m", "benchmarks.gpu_check", str(out), "--dry-run"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert time.monotonic() - t0 < 60
    assert proc.returncode == 0, proc.stdout + proc.stderr
    s = summary(out)
    assert s["ok"] is True and s["dry_run"] is True
    names = [r["name"] for r in s["steps"]]
    assert names == ["environment", "doctor", "PTX check", "kernel resources",
                     "pytest -m gpu", "device tests on the GPU", "benchmarks"]
    assert all(r["status"] == "passed" for r in s["steps"])
    assert s["versions"]["numba"] and "nvvm" in s["versions"]
    doctor = s["steps"][1]
    assert doctor["verdict"].startswith("CUDA usable:")
    # the archive holds exactly the files the summary lists, with their contents
    members = archive_members(out)
    listed = {f for r in s["steps"] for f in r["files"]}
    assert set(members) == set(s["archived"]) == listed
    for r in s["steps"]:
        assert r["log"] in members
        assert r["verdict"]
        if r["name"] != "benchmarks":      # its verdict comes from gpu_bench.json
            assert r["verdict"].encode() in members[r["log"]]
        if r["junit"]:
            assert members[r["junit"]].startswith(b"<?xml")
            assert r["tests"]["tests"] >= 1
    assert members["02_doctor.log"] == (out / "02_doctor.log").read_bytes()
    # the kernel table: every numba_cuda module, both dtypes (not measured without a GPU)
    modules = {row["module"] for row in s["kernel_resources"]}
    assert "minigrad_kernels.cuda.matmul" in modules and len(modules) >= 5
    assert all("unavailable" in row for row in s["kernel_resources"])
    # the stand-in benchmark exits 1 for PyTorch's failed gate alone: not our failure
    assert "PyTorch failed its own gate" in s["steps"][-1]["verdict"]
    assert "NOT OK" not in proc.stdout and "benchmarks" in proc.stdout


def test_timed_out_step_kills_its_group_and_earlier_steps_stay_recorded(monkeypatch,
                                                                         tmp_path):
    pidfile = tmp_path / "grandchild.pid"
    out = tmp_path / "out"
    steps = [
        step("first", "print('first done')"),
        # reads the summary from disk: it must already hold the first step as passed
        step("reads summary", "import json, sys; s = json.load(open(sys.argv[1])); "
             "print('saw', [r['status'] for r in s['steps']])"),
        Step("hangs", [PY, "-c",
                       "import subprocess, sys; p = subprocess.Popen([sys.executable, '-c', "
                       "'import time; time.sleep(60)']); open(sys.argv[1], 'w')"
                       ".write(str(p.pid)); p.wait()", str(pidfile)], 2),
        step("after", "print('still runs')"),
    ]
    steps[1].cmd.append(str(out / gpu_check.SUMMARY))
    t0 = time.monotonic()
    rc, out = run_plan(monkeypatch, tmp_path, steps, "--budget-s", "60")
    assert time.monotonic() - t0 < 30
    assert rc == 1
    assert statuses(out) == ["passed", "passed", "timed out after 2.0 s", "passed"]
    assert summary(out)["steps"][1]["verdict"] == "saw ['passed']"
    assert summary(out)["ok"] is False
    grandchild = int(pidfile.read_text())
    for _ in range(50):            # killed with its group (reaped by init shortly after)
        try:
            os.kill(grandchild, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"the timed-out step's child {grandchild} survived")
    assert "hangs" in {r["name"] for r in summary(out)["steps"]}
    assert "03_hangs.log" in archive_members(out)


def test_budget_exhaustion_marks_the_rest_not_run(monkeypatch, tmp_path):
    steps = [step("slow", "import time; time.sleep(60)", cap=30),
             step("next", "print('x')"), step("last", "print('y')")]
    t0 = time.monotonic()
    rc, out = run_plan(monkeypatch, tmp_path, steps, "--budget-s", "1.5")
    assert time.monotonic() - t0 < 20
    assert rc == 1
    assert statuses(out) == ["timed out after 1.5 s", "not run: budget exhausted",
                             "not run: budget exhausted"]
    s = summary(out)
    assert s["budget_s"] == 1.5 and s["budget_left_s"] <= 0
    assert set(archive_members(out)) == {"01_slow.log"}     # steps not run have no log


def test_skips_failures_and_nothing_collected_are_not_a_pass(monkeypatch, tmp_path):
    tests = tmp_path / "t"
    tests.mkdir()
    (tests / "test_skip.py").write_text(
        "import pytest\n\ndef test_a():\n    pytest.skip('no GPU here')\n")
    base = [PY, "-m", "pytest", "-p", "no:cacheprovider", "-q", f"--rootdir={tests}",
            str(tests / "test_skip.py")]
    steps = [Step("all skipped", base, 60, kind="pytest"),
             Step("nothing collected", base + ["-k", "no_such_test"], 60, kind="pytest"),
             step("fails", "raise SystemExit(3)")]
    rc, out = run_plan(monkeypatch, tmp_path, steps)
    assert rc == 1
    assert statuses(out) == ["skipped: all 1 tests skipped", "failed (exit 5)",
                             "failed (exit 3)"]
    first = summary(out)["steps"][0]
    assert "no GPU here" in first["verdict"] and first["tests"]["skipped"] == 1


def test_every_step_passing_exits_zero(monkeypatch, tmp_path):
    """The counterpart of the tests above: the same tables can exit 0."""
    rc, out = run_plan(monkeypatch, tmp_path, [step("a", "print(1)"), step("b", "print(2)")])
    assert rc == 0 and statuses(out) == ["passed", "passed"] and summary(out)["ok"]


def _env_step(nvvm):
    info = {"nvvm": nvvm, "nvvm_error": None if nvvm else "OSError: libnvvm.so not found",
            "cuda_usable": True, "cuda_why_not": None}
    return step("environment", f"print({ENV_MARKER + json.dumps(info)!r})", kind="env")


def test_missing_nvvm_fails_early(monkeypatch, tmp_path):
    steps = [_env_step(None), step("doctor", "print('CUDA usable: no')"),
             step("PTX check", "print('compiled')", gpu=True),
             step("benchmarks", "print('ran')", gpu=True)]
    rc, out = run_plan(monkeypatch, tmp_path, steps)
    assert rc == 1
    assert statuses(out) == ["passed", "passed", "not run: NVVM missing",
                             "not run: NVVM missing"]
    assert summary(out)["versions"]["nvvm_error"].startswith("OSError")


def test_missing_nvvm_does_not_stop_a_dry_run(monkeypatch, tmp_path):
    steps = [_env_step(None), step("PTX check", "print('compiled')", gpu=True)]
    rc, out = run_plan(monkeypatch, tmp_path, steps, "--dry-run")
    assert rc == 0 and statuses(out) == ["passed", "passed"]


def test_find_cuda_home_in_a_fake_tree(tmp_path):
    site = tmp_path / "site-packages"
    (site / "nvidia" / "cublas" / "lib").mkdir(parents=True)
    (site / "nvidia" / "cu13" / "lib").mkdir(parents=True)
    (site / "nvidia" / "cu13" / "lib" / "libnvvm.so.4").write_text("")   # wrong layout
    assert gpu_check.find_cuda_home([str(site)], extra=()) is None
    toolkit = site / "nvidia" / "cu13" / "nvvm" / "lib64"
    toolkit.mkdir(parents=True)
    (toolkit / "libnvvm.so").write_text("")
    assert gpu_check.find_cuda_home([str(site)], extra=()) == str(site / "nvidia" / "cu13")
    usr = tmp_path / "usr_local_cuda"
    (usr / "nvvm" / "lib64").mkdir(parents=True)
    (usr / "nvvm" / "lib64" / "libnvvm.so.4.0.0").write_text("")
    assert gpu_check.find_cuda_home([str(tmp_path / "empty")], extra=(str(usr),)) == str(usr)


def test_children_get_cuda_home_only_when_unset(monkeypatch, tmp_path):
    monkeypatch.setattr(gpu_check, "find_cuda_home", lambda: "/fake/cuda")
    monkeypatch.delenv("CUDA_HOME", raising=False)
    monkeypatch.setenv("NUMBA_ENABLE_CUDASIM", "1")
    check = gpu_check.Check(str(tmp_path), 10, False)
    env = gpu_check.child_environment(str(tmp_path), False, check)
    assert env["CUDA_HOME"] == "/fake/cuda" == check.cuda_home
    assert "NUMBA_ENABLE_CUDASIM" not in env          # never the simulator on the GPU
    assert REPO in env["PYTHONPATH"].split(os.pathsep)
    monkeypatch.setenv("CUDA_HOME", "/mine")
    assert gpu_check.child_environment(str(tmp_path), False, check)["CUDA_HOME"] == "/mine"


def _bench(tmp_path, rows, devices=None):
    path = tmp_path / "bench.json"
    path.write_text(json.dumps({"devices": devices or {"cuda": {"name": "H200"}},
                                "kernels": rows}))
    return str(path)


def _row(impl, kind, status):
    return dict(device="cuda", op="matmul", impl=impl, kind=kind, status=status)


@pytest.mark.parametrize("rc, rows, devices, passed", [
    (0, [_row("cupy", "kernel", "ok")], None, True),
    (1, [_row("cupy", "kernel", "ok"), _row("pytorch", "pytorch", "FAILED")], None, True),
    (1, [_row("numba_cuda", "kernel", "FAILED")], None, False),
    (1, [_row("numba_cuda", "kernel", "NO CASES"), _row("pytorch", "pytorch", "FAILED")],
     None, False),
    (1, [_row("cupy", "kernel", "ok")], None, False),        # exit 1 with no failed row
    (2, [_row("pytorch", "pytorch", "FAILED")], None, False),   # a crash
    (0, [], {"cuda": {"unavailable": "no GPU"}}, False),
])
def test_bench_verdict_counts_only_our_implementations(tmp_path, rc, rows, devices, passed):
    assert gpu_check.bench_verdict(rc, _bench(tmp_path, rows, devices))[0] is passed


def test_bench_verdict_without_json(tmp_path):
    passed, detail = gpu_check.bench_verdict(0, str(tmp_path / "missing.json"))
    assert not passed and "no benchmark JSON" in detail


def test_unusable_cuda_still_runs_the_ptx_check(monkeypatch, tmp_path):
    info = {"nvvm": "2.0", "cuda_usable": False, "cuda_why_not": "no CUDA driver"}
    steps = [step("environment", f"print({ENV_MARKER + json.dumps(info)!r})", kind="env"),
             step("PTX check", "print('compiled')", gpu=True, nvvm_only=True),
             step("pytest -m gpu", "print('ran')", gpu=True)]
    rc, out = run_plan(monkeypatch, tmp_path, steps)
    assert rc == 1
    assert statuses(out) == ["passed", "passed", "not run: CUDA unusable"]
    assert summary(out)["steps"][2]["verdict"] == "no CUDA driver"
