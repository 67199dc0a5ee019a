#!/usr/bin/env bash
# The whole GPU check in one command, for a machine with a CUDA GPU:
#
#     bash benchmarks/run_gpu.sh [OUT_DIR]          (default OUT_DIR: gpu_results)
#
# 1. minigrad.doctor(): versions, whether CUDA is usable (and why not), kernels per device
# 2. pytest -m gpu: the tests that need a real GPU (Numba CUDA kernels on CuPy arrays,
#    large shapes, CuPy's streams)
# 3. the device tests (tensors, modules, optimizers, checkpoints, every op and CuPy kernel)
#    on the real device
# 4. the CUDA-simulator tests and the sm_90 PTX compile check (as in CI)
# 5. python -m benchmarks --device cuda --out OUT_DIR/gpu_bench.json (CuPy arrays, CUDA
#    events; it fails when an implementation fails its correctness gate)
#
# It uses what the machine has (NumPy, CuPy, numba-cuda; pytest and hypothesis for the
# tests): a missing piece skips its step with the reason, nothing is installed.
# NUMBA_ENABLE_CUDASIM is unset: every step but the simulator tests (which set it) is about
# the real GPU, and with it the benchmark would run its simulator device instead.  Results:
# OUT_DIR/gpu_check.json (one record per step) and a table printed last.  The exit status is
# 0 only when every step that ran passed.
set -u
cd "$(dirname "$0")/.."
OUT=${1:-gpu_results}
mkdir -p "$OUT"
if [ -n "${PYTHON:-}" ]; then PY=$PYTHON
elif [ -x .venv/bin/python ]; then PY=.venv/bin/python
else PY=python3; fi
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"   # works without `pip install -e .`
if ! "$PY" -c "import minigrad_kernels" 2>/dev/null; then
    # not installed: make the kernel package importable under its installed name
    mkdir -p "$OUT/.path" && ln -sfn "$PWD/kernels" "$OUT/.path/minigrad_kernels"
    export PYTHONPATH="$(cd "$OUT" && pwd)/.path:$PYTHONPATH"      # OUT may be absolute
fi

unset NUMBA_ENABLE_CUDASIM
STEPS=()          # "name|status|seconds|detail"

record() { STEPS+=("$1|$2|$3|$4"); }

run_step() {      # run_step NAME LOGFILE COMMAND...
    local name=$1 log=$2; shift 2
    local start=$SECONDS
    echo "=== $name: $*"
    "$@" 2>&1 | tee "$log"
    local rc=${PIPESTATUS[0]}
    local status=passed
    [ "$rc" -eq 5 ] && status=skipped          # pytest: nothing selected/collected
    [ "$rc" -ne 0 ] && [ "$rc" -ne 5 ] && status="failed (exit $rc)"
    local detail                                # the verdict line: pytest's last, doctor's CUDA line
    detail=$(grep -m 1 "CUDA usable" "$log" || tail -n 1 "$log")
    record "$name" "$status" $((SECONDS - start)) "$(echo "$detail" | tr '|' '/')"
}

have() { "$PY" -c "import $1" 2>/dev/null; }

run_step doctor "$OUT/doctor.txt" "$PY" -m minigrad doctor

if "$PY" -c "import minigrad, sys; sys.exit(0 if minigrad.cuda.is_available() else 1)"; then
    cuda_ok=1
else
    cuda_ok=0
    why=$("$PY" -c "import minigrad; print(minigrad.cuda.status()[1])")
fi

if ! have pytest || ! have hypothesis; then
    for s in "pytest -m gpu" "device tests on the GPU" "simulator tests" "PTX check"; do
        record "$s" "skipped" 0 "pytest and hypothesis are needed (pip install pytest hypothesis)"
    done
else
    PYTEST=("$PY" -m pytest -p no:cacheprovider -q -ra)
    if [ "$cuda_ok" = 1 ]; then
        run_step "pytest -m gpu" "$OUT/pytest_gpu.txt" "${PYTEST[@]}" -m gpu \
            --junitxml="$OUT/pytest_gpu.xml"
        run_step "device tests on the GPU" "$OUT/pytest_device.txt" "${PYTEST[@]}" \
            tests/test_cuda_device.py tests/kernels/test_kernels.py tests/ops/test_op_table.py \
            -k "cuda" --junitxml="$OUT/pytest_device.xml"
    else
        record "pytest -m gpu" "skipped" 0 "CUDA unusable: $why"
        record "device tests on the GPU" "skipped" 0 "CUDA unusable: $why"
    fi
    if have numba.cuda; then
        run_step "simulator tests" "$OUT/pytest_cudasim.txt" env NUMBA_ENABLE_CUDASIM=1 \
            "${PYTEST[@]}" tests/kernels/test_cuda_kernels.py --junitxml="$OUT/pytest_cudasim.xml"
        run_step "PTX check" "$OUT/pytest_ptx.txt" "${PYTEST[@]}" tests/kernels/test_cuda_ptx.py \
            --junitxml="$OUT/pytest_ptx.xml"
    else
        record "simulator tests" "skipped" 0 "numba-cuda is not installed"
        record "PTX check" "skipped" 0 "numba-cuda is not installed"
    fi
fi

if [ ! -f benchmarks/__main__.py ]; then
    record "benchmarks" "skipped" 0 \
        "benchmarks/__main__.py (python -m benchmarks, its own issue) is not in this checkout"
elif [ "$cuda_ok" = 1 ]; then
    run_step "benchmarks" "$OUT/gpu_bench.txt" "$PY" -m benchmarks --device cuda \
        --out "$OUT/gpu_bench.json"
else
    record "benchmarks" "skipped" 0 "CUDA unusable: $why"
fi

printf '%s\n' "${STEPS[@]}" | "$PY" -c '
import json, sys
out = sys.argv[1]
rows = [dict(zip(("step", "status", "seconds", "detail"), line.rstrip("\n").split("|", 3)))
        for line in sys.stdin if line.strip()]
for r in rows:
    r["seconds"] = int(r["seconds"])
with open(out + "/gpu_check.json", "w") as f:
    json.dump({"steps": rows}, f, indent=2)
print()
print("%-26s %-18s %5s  %s" % ("step", "status", "s", "detail"))
for r in rows:
    print("%-26s %-18s %5d  %s" % (r["step"], r["status"], r["seconds"], r["detail"][:90]))
print("\nresults in %s/ (gpu_check.json, logs, junit xml, gpu_bench.json)" % out)
sys.exit(1 if any(r["status"].startswith("failed") for r in rows) else 0)
' "$OUT"
