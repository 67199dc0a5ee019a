"""Run a worker script on N MPI processes (``mpiexec -n N``) in a subprocess with a timeout.

Skips (with the reason) when mpi4py or an ``mpiexec`` is missing: ``pip install
".[distributed]"`` installs both (the mpich wheel puts ``mpiexec`` next to the Python).
"""
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

WORKERS = Path(__file__).parent / "workers"
ROOT = Path(__file__).resolve().parents[2]


def mpiexec():
    """The mpiexec to use, or None."""
    here = Path(sys.executable).parent / "mpiexec"
    if here.exists():
        return str(here)
    return shutil.which("mpiexec")


def require_mpi():
    if importlib.util.find_spec("mpi4py") is None:
        pytest.skip("mpi4py is not installed (pip install '.[distributed]')")
    if mpiexec() is None:
        pytest.skip("no mpiexec on PATH (pip install mpich, or install an MPI)")


def env():
    e = dict(os.environ)
    e["PYTHONPATH"] = str(ROOT) + os.pathsep + e.get("PYTHONPATH", "")
    # one BLAS thread per rank: 2 ranks on a 2-core machine
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        e[name] = "1"
    return e


def run_mpi(worker, *args, n=2, timeout=60, check=True):
    """Run ``workers/<worker>.py`` on ``n`` ranks; the CompletedProcess (stdout+stderr)."""
    require_mpi()
    command = [mpiexec(), "-n", str(n), sys.executable, str(WORKERS / f"{worker}.py"),
               *map(str, args)]
    if "ompi" in (subprocess.run([mpiexec(), "--version"], capture_output=True,
                                 text=True).stdout.lower()):
        command[1:1] = ["--allow-run-as-root", "--oversubscribe"]
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              env=env(), cwd=ROOT)
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{' '.join(command)} did not finish within {timeout} s (a hang); "
                    f"output so far:\n{exc.stdout}\n{exc.stderr}")
    output = proc.stdout + proc.stderr
    if check and proc.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited with {proc.returncode}:\n{output}")
    proc.output = output
    return proc


def run_local(worker, *args, timeout=60):
    """Run ``workers/<worker>.py`` as one plain process (no mpiexec)."""
    proc = subprocess.run([sys.executable, str(WORKERS / f"{worker}.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=timeout, env=env(), cwd=ROOT)
    proc.output = proc.stdout + proc.stderr
    if proc.returncode != 0:
        pytest.fail(f"{worker} exited with {proc.returncode}:\n{proc.output}")
    return proc
