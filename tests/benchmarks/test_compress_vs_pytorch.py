"""The int8 PTQ and global-pruning comparison against PyTorch runs end to end in its quick mode
on a model trained in seconds, and what it reports holds (no speed is asserted)."""
import json

import numpy as np
import pytest

from benchmarks import compress_vs_pytorch as bench

needs_torch = pytest.mark.skipif(not bench.torch_available(),
                                 reason="PyTorch not installed (the comparison's other side)")

ROWS = ["minigrad float32", "minigrad int8 static (minmax)",
        "minigrad int8 static (histogram)", "pytorch float32",
        "pytorch int8 static (x86 per-channel)"]
ROW_KEYS = {"name", "framework", "method", "accuracy", "vs_float32_points",
            "agree_with_float32", "file_bytes", "times_smaller", "samples_per_s",
            "samples_per_s_rounds"}
PRUNE_KEYS = ROW_KEYS | {"prune_amount", "finetune_steps", "weights_zero"}


def prune_rows(frameworks, steps):
    """The pruning rows' names, in the benchmark's order."""
    names = []
    for amount in ("50%", "80%", "90%"):
        names += [f"{fw} pruned {amount} global L1" for fw in frameworks]
        if steps:
            names += [f"{fw} pruned {amount} global L1 + {steps} Adam steps"
                      for fw in frameworks]
    return names


@needs_torch
def test_quick_mode_same_float32_int8_close_and_same_pruning(tmp_path, capsys):
    out = tmp_path / "compress.json"
    bench.main(["--quick", "--train-steps", "50", "--repeats", "1", "--out", str(out)])
    printed = capsys.readouterr().out
    result = json.loads(out.read_text())
    assert result["n_test"] == 1000 and result["calib_batches"] == 2
    assert result["torch_quantized_engine"] == "x86"
    assert result["finetune_steps"] == 5 and result["prune_amounts"] == [0.5, 0.8, 0.9]
    rows = {r["name"]: r for r in result["rows"]}
    pruned = prune_rows(["minigrad", "pytorch"], 5)
    assert list(rows) == ROWS + pruned
    for name, r in rows.items():
        assert name in printed
        if name in pruned:
            assert set(r) == PRUNE_KEYS, name
            assert r["samples_per_s"] is None and r["samples_per_s_rounds"] == [], name
        else:
            assert set(r) == ROW_KEYS, name
            assert r["samples_per_s"] > 0 and len(r["samples_per_s_rounds"]) == 1
    # the same weights in both frameworks: the same float32 function, the same accuracy
    check = result["float32_check"]
    assert check["accuracy_equal"] and check["predictions_differ"] == 0
    assert check["max_abs_logit_diff"] < 1e-4
    assert rows["minigrad float32"]["accuracy"] == rows["pytorch float32"]["accuracy"]
    assert rows["minigrad float32"]["accuracy"] > 0.3          # trained: chance is 0.1
    # every int8 model stays within a few points of its float32 model
    for name in ROWS:
        r = rows[name]
        if "int8" in name:
            assert abs(r["vs_float32_points"]) <= 3.0, name
            assert r["agree_with_float32"] >= 0.9, name
            assert 3.0 < r["times_smaller"] < 4.0, name       # int8 weights, float32 rest
        else:
            assert r["vs_float32_points"] == 0 and r["times_smaller"] == 1
    # the float32 files hold the same 93 322 float32 parameters (plus each format's overhead)
    for name in ("minigrad float32", "pytorch float32"):
        assert 93_322 * 4 < rows[name]["file_bytes"] < 93_322 * 4 + 10_000
    assert "identical" in printed

    # global L1 pruning of the same weights: the same masks, the same accuracy before
    # fine-tuning, close after the same 5 Adam steps on the same batches
    checks = result["pruning_check"]
    assert [c["amount"] for c in checks] == [0.5, 0.8, 0.9]
    for c in checks:
        assert c["mask_entries"] == 93_088                 # the five layers' weights
        assert c["pruned"] == round(c["amount"] * 93_088)
        assert c["masks_differ"] == 0, c
        nf = c["no_finetune"]
        assert abs(nf["minigrad"] - nf["pytorch"]) <= 1e-3, c
        assert nf["max_abs_logit_diff"] < 1e-3, c
        ft = c["finetune"]
        assert ft["steps"] == 5 and ft["zeros_differ"] == 0
        assert abs(ft["minigrad"] - ft["pytorch"]) <= 0.01, c
        assert ft["max_abs_weight_diff"] < 1e-3, c
    for name in pruned:
        r = rows[name]
        amount = r["prune_amount"]
        assert r["weights_zero"] >= amount - 1e-4, name      # pruned weights stay zero
        assert r["times_smaller"] == pytest.approx(1, abs=0.01), name     # dense storage
        assert r["accuracy"] == pytest.approx(
            next(c for c in checks if c["amount"] == amount)[
                "finetune" if r["finetune_steps"] else "no_finetune"][r["framework"]])
    assert "masks differ" in printed


def test_without_pytorch_minigrad_rows_and_a_clear_message(tmp_path, capsys, monkeypatch):
    rng = np.random.default_rng(0)
    data = (rng.random((600, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 600),
            rng.random((300, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, 300))
    monkeypatch.setattr(bench, "torch_available", lambda: False)
    monkeypatch.setattr(bench, "load_data", lambda data_dir=None: data)
    out = tmp_path / "compress.json"
    bench.main(["--quick", "--train-steps", "1", "--calib-batches", "1", "--repeats", "1",
                "--out", str(out)])
    captured = capsys.readouterr()
    assert "PyTorch is not installed" in captured.err
    assert "PyTorch is not installed" in captured.out               # under the table too
    result = json.loads(out.read_text())
    assert result["pytorch"] == bench.TORCH_MISSING and "float32_check" not in result
    assert "pruning_check" not in result
    assert [r["name"] for r in result["rows"]] == ROWS[:3] + prune_rows(["minigrad"], 5)
