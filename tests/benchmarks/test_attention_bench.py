"""Smoke test of the attention benchmark (tiny sizes, fresh worker processes; no time is
asserted)."""
import json

from benchmarks import attention_bench


def test_quick_mode_runs_and_writes_json(tmp_path, capsys):
    out = tmp_path / "attention.json"
    attention_bench.main(["--quick", "--lengths", "16", "--batch", "1", "--heads", "2",
                          "--feat", "8", "--min-time", "0.01", "--out", str(out)])
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    (row,) = result["results"]
    assert row["length"] == 16 and row["heads"] == 2
    assert row["numpy_ms"] > 0 and row["numba_ms"] > 0 and row["blas_ms"] > 0
    assert row["numba_mismatch"] is None and row["blas_mismatch"] is None   # gates passed
    assert row.get("pytorch_mismatch") is None
    assert result["extra_memory"]["numba"] >= 0 and result["extra_memory"]["blas"] >= 0
    assert printed.rstrip().splitlines()[-1].split()[0] == "16"     # the table comes last
    assert "numpy/numba" in printed and "numpy/blas" in printed


def test_causal_flops_counts_the_lower_triangle():
    # 7 products, 2 flops per multiply-add, E = 4, one head, L = 3: 6 query-key pairs
    assert attention_bench.causal_flops(1, 3, 4) == 7 * 2 * 4 * 6
