"""``python -m benchmarks``: the kernel benchmark (see benchmarks/harness.py)."""
from .harness import main

main()
