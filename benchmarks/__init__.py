"""Speed measurements: every figure is a ratio measured in the same run (see README.md)."""
