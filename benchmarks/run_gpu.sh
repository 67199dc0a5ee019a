#!/usr/bin/env bash
# The GPU check (see benchmarks/gpu_check.py): bash benchmarks/run_gpu.sh OUT_DIR [--budget-s S] [--dry-run]
cd "$(dirname "$0")/.." || exit 1
if [ -n "${PYTHON:-}" ]; then PY=$PYTHON; elif [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
exec "$PY" -m benchmarks.gpu_check "$@"
