"""``python -m benchmarks``: the kernel benchmark (see benchmarks/harness.py).

Exit status 1 when an implementation failed its correctness gate (``FAILED``) or an op has
no cases (``NO CASES``): the run still reports everything, and a script such as
benchmarks/gpu_check.py can tell."""
import sys

from .harness import gate_failures, main

failures = gate_failures(main())
if failures:
    print(f"\n{len(failures)} implementation(s) failed the gate or have no cases: "
          + ", ".join(failures), flush=True)
sys.exit(1 if failures else 0)
