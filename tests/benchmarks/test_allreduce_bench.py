"""The allreduce benchmark's pictures, from rows like those it measures (the timing itself
needs mpiexec and is not asserted: speed lives in benchmarks/, not in tests)."""
import pytest

from benchmarks import allreduce_bench

ROWS = [{"bytes": 4096, "mpi4py_GBps": 1.0, "minigrad_GBps": 0.95},
        {"bytes": 4 * 2**20, "mpi4py_GBps": 8.0, "minigrad_GBps": 8.2}]
CNN = {"step_ms": 12.0, "local_ms": 9.0, "grad_bytes": 373288, "comm_share": 0.25}


def test_picture_splits_the_step_and_scales_the_bandwidth_bars():
    lines = allreduce_bench.picture(ROWS, CNN, width=40)
    step = next(line for line in lines if "step" in line and "|" in line)
    bar = step.split("|")[1]
    assert len(bar) == 40 and bar.count("█") == 30 and bar.count("▒") == 10   # 9 of 12 ms
    assert "compute 9.0 ms (75.0%)" in "\n".join(lines)
    assert "communication and waiting 3.0 ms (25.0%)" in "\n".join(lines)
    small, large = (line for line in lines if "KiB |" in line or "MiB |" in line)
    assert small.strip().startswith("4 KiB") and large.strip().startswith("4 MiB")
    assert large.split("|")[1].count("█") == 40                    # the fastest fills it
    assert small.split("|")[1].count("█") == round(40 * 0.95 / 8.2)
    assert small.endswith("0.95 (1.00)")


def test_picture_without_the_cnn_has_only_the_bandwidth():
    lines = allreduce_bench.picture(ROWS, None)
    assert not any("DDP step" in line for line in lines)
    assert lines[0].startswith("allreduce bandwidth")


def test_plot_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    path = tmp_path / "allreduce.png"
    allreduce_bench.plot(ROWS, CNN, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
