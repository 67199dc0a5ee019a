"""Smoke test of the CNN throughput benchmark harness (tiny run; no time is asserted)."""
import json

from benchmarks import cnn_throughput


def test_harness_runs_and_writes_json(tmp_path, capsys):
    out = tmp_path / "cnn.json"
    cnn_throughput.main(["--models", "C", "--steps", "1", "--warmup", "1", "--repeats", "1",
                         "--out", str(out)])
    printed = capsys.readouterr().out
    assert "model  batch   minigrad/s" in printed and "BLAS:" in printed
    result = json.loads(out.read_text())
    (row,) = result["results"]
    assert row["model"] == "C" and row["batch"] == 32 and row["minigrad_samples_per_s"] > 0
    assert result["machine"]["minigrad_kernels"]["conv2d.forward"] in ("numpy", "numba")
    assert row["minor_faults_per_step"]["minigrad"] >= 0
    assert "page faults/step" in printed
    assert row["step_gflop"] == cnn_throughput.step_flops(cnn_throughput.MODELS["C"][0], 32) / 1e9
    assert 0 < row["minigrad_fraction_of_peak"] <= 1.5      # a noisy peak may be undershot
    assert "SGEMM peak" in printed


def test_step_flops_counts_forward_weight_and_input_gradient_products():
    conv = 32 * 32 * 26 * 26 * 1 * 3 * 3          # model C, batch 32: N·O·OH·OW·C·KH·KW
    hidden, head = 32 * 5408 * 128, 32 * 128 * 10
    # 2 FLOPs per multiply-add; the first layer has no input gradient
    expected = 2 * (2 * conv + 3 * hidden + 3 * head)
    assert cnn_throughput.step_flops(cnn_throughput.MODELS["C"][0], 32) == expected


def test_models_match_the_seed_documents():
    """Layer shapes of the three CNNs: Flatten's width must match the first Linear."""
    from minigrad import nn
    import minigrad
    for name, (layers, _) in cnn_throughput.MODELS.items():
        model = cnn_throughput.build(nn, layers)
        assert model(minigrad.zeros(2, 1, 28, 28)).shape == (2, 10), name


def test_accuracy_harness_runs_on_a_slice(tmp_path, capsys):
    import pytest

    from minigrad.data import datasets
    try:
        datasets.fashion_mnist(download=False)
    except Exception:
        pytest.skip("Fashion-MNIST not installed (make data)")
    from benchmarks import accuracy_vs_pytorch
    out = tmp_path / "acc.json"
    accuracy_vs_pytorch.main(["--models", "C", "--epochs", "1", "--seeds", "0",
                              "--limit", "500", "--out", str(out)])
    rows = json.loads(out.read_text())["results"]
    assert {r["framework"] for r in rows} >= {"minigrad"}
    assert all(0.0 <= r["test_accuracy"] <= 1.0 for r in rows)
    assert "mean" in capsys.readouterr().out
