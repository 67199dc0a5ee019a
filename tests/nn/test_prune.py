"""minigrad.nn.utils.prune against torch.nn.utils.prune on the same weights (masks, gradients,
state_dict keys, remove, global pruning), and the forward pre-hook it rests on."""
import io

import numpy as np
import pytest

import minigrad
from minigrad import nn
from minigrad.nn.utils import prune


def _torch():
    pytest.importorskip("torch", reason="PyTorch (the oracle) is not installed")
    import torch.nn.utils.prune  # a submodule, not imported by torch itself
    return torch


def _pair(seed=0, conv=False):
    """A minigrad layer and a PyTorch layer with the same weights."""
    torch = _torch()
    rng = np.random.default_rng(seed)
    if conv:
        w = rng.standard_normal((6, 3, 3, 3)).astype(np.float32)
        b = rng.standard_normal(6).astype(np.float32)
        m, t = nn.Conv2d(3, 6, 3), torch.nn.Conv2d(3, 6, 3)
    else:
        w = rng.standard_normal((7, 5)).astype(np.float32)
        b = rng.standard_normal(7).astype(np.float32)
        m, t = nn.Linear(5, 7), torch.nn.Linear(5, 7)
    m.load_state_dict({"weight": w, "bias": b})
    with torch.no_grad():
        t.weight.copy_(torch.from_numpy(w))
        t.bias.copy_(torch.from_numpy(b))
    return m, t


def _same_state(m, t):
    sd_m, sd_t = m.state_dict(), t.state_dict()
    assert list(sd_m) == list(sd_t)
    for k in sd_m:
        np.testing.assert_array_equal(sd_m[k]._data, sd_t[k].numpy(), err_msg=k)


# -- the hook ----------------------------------------------------------------------------------

def test_forward_pre_hook_runs_before_forward_and_can_replace_args():
    m = nn.Linear(2, 2)
    seen = []
    h1 = m.register_forward_pre_hook(lambda mod, args: seen.append(args[0].shape))
    h2 = m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    y = m(minigrad.ones(3, 2))
    assert seen == [(3, 2)]
    np.testing.assert_allclose(y._data, np.broadcast_to(m.bias._data, (3, 2)))
    h1.remove()
    h2.remove()
    m(minigrad.ones(1, 2))
    assert seen == [(3, 2)]
    with pytest.raises(TypeError, match="hook must be callable"):
        m.register_forward_pre_hook(3)


# -- against PyTorch ---------------------------------------------------------------------------

@pytest.mark.parametrize("amount", [0, 3, 0.3, 0.5, 1.0])
def test_l1_unstructured_matches_pytorch(amount):
    torch = _torch()
    m, t = _pair()
    prune.l1_unstructured(m, "weight", amount)
    torch.nn.utils.prune.l1_unstructured(t, "weight", amount)
    _same_state(m, t)
    np.testing.assert_array_equal(m.weight._data, t.weight.detach().numpy())


def test_repeated_l1_combines_masks_like_pytorch():
    torch = _torch()
    m, t = _pair(1)
    for amount in (0.5, 4, 0.25):
        prune.l1_unstructured(m, "weight", amount)
        torch.nn.utils.prune.l1_unstructured(t, "weight", amount)
        _same_state(m, t)
    assert len(m._forward_pre_hooks) == 1


def test_gradients_of_pruned_weights_are_zero_as_in_pytorch():
    torch = _torch()
    m, t = _pair(2)
    prune.l1_unstructured(m, "weight", 0.6)
    torch.nn.utils.prune.l1_unstructured(t, "weight", 0.6)
    x = np.random.default_rng(3).standard_normal((4, 5)).astype(np.float32)
    (m(minigrad.tensor(x)) ** 2).sum().backward()
    (t(torch.from_numpy(x)) ** 2).sum().backward()
    np.testing.assert_allclose(m.weight_orig.grad._data, t.weight_orig.grad.numpy(),
                               rtol=1e-5, atol=1e-6)
    assert (m.weight_orig.grad._data[m.weight_mask._data == 0] == 0).all()


@pytest.mark.parametrize("n, dim", [(1, 0), (2, 0), (2, 1), (float("inf"), 0), (1, -1)])
def test_ln_structured_matches_pytorch(n, dim):
    torch = _torch()
    m, t = _pair(4, conv=True)
    prune.ln_structured(m, "weight", 0.5, n=n, dim=dim)
    torch.nn.utils.prune.ln_structured(t, "weight", 0.5, n=n, dim=dim)
    _same_state(m, t)
    prune.ln_structured(m, "weight", 1, n=n, dim=dim)        # again: the kept channels only
    torch.nn.utils.prune.ln_structured(t, "weight", 1, n=n, dim=dim)
    _same_state(m, t)


def test_remove_matches_pytorch():
    torch = _torch()
    m, t = _pair(5)
    prune.l1_unstructured(m, "weight", 0.4)
    torch.nn.utils.prune.l1_unstructured(t, "weight", 0.4)
    prune.remove(m, "weight")
    torch.nn.utils.prune.remove(t, "weight")
    _same_state(m, t)
    assert isinstance(m.weight, nn.Parameter)
    assert not prune.is_pruned(m) and not torch.nn.utils.prune.is_pruned(t)


def test_global_unstructured_picks_the_same_weights_as_pytorch():
    torch = _torch()
    rng = np.random.default_rng(6)
    mm = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 4))
    tm = torch.nn.Sequential(torch.nn.Linear(8, 16), torch.nn.ReLU(), torch.nn.Linear(16, 4))
    sd = {k: (rng.standard_normal(v.shape) * (3 if k.startswith("2") else 1)).astype(np.float32)
          for k, v in mm.state_dict().items()}
    mm.load_state_dict(sd)
    tm.load_state_dict({k: torch.from_numpy(v) for k, v in sd.items()})
    prune.l1_unstructured(mm[0], "weight", 0.25)         # one layer pruned before
    torch.nn.utils.prune.l1_unstructured(tm[0], "weight", 0.25)
    for amount in (0.5, 20):
        prune.global_unstructured([(mm[0], "weight"), (mm[2], "weight")],
                                  pruning_method=prune.L1Unstructured, amount=amount)
        torch.nn.utils.prune.global_unstructured(
            [(tm[0], "weight"), (tm[2], "weight")],
            pruning_method=torch.nn.utils.prune.L1Unstructured, amount=amount)
        for i in (0, 2):
            _same_state(mm[i], tm[i])


def test_random_unstructured_prunes_the_same_count_as_pytorch():
    torch = _torch()
    m, t = _pair(7)
    prune.random_unstructured(m, "weight", 0.4)
    torch.nn.utils.prune.random_unstructured(t, "weight", 0.4)
    assert (m.weight_mask._data == 0).sum() == (t.weight_mask == 0).sum().item() == 14
    assert list(m.state_dict()) == list(t.state_dict())


def test_identity_matches_pytorch():
    torch = _torch()
    m, t = _pair(8)
    prune.identity(m, "weight")
    torch.nn.utils.prune.identity(t, "weight")
    _same_state(m, t)


# -- without PyTorch ---------------------------------------------------------------------------

def test_pruned_weights_stay_pruned_while_training():
    minigrad.manual_seed(0)
    m = nn.Linear(6, 3)
    prune.l1_unstructured(m, "weight", 0.5)
    opt = minigrad.optim.SGD(m.parameters(), lr=0.1)
    x = minigrad.randn(8, 6)
    for _ in range(3):
        opt.zero_grad()
        m(x).pow(2).sum().backward()
        opt.step()
    m(x)                                       # the hook recomputes the weight
    assert (m.weight._data[m.weight_mask._data == 0] == 0).all()
    assert np.count_nonzero(m.weight._data) == 9


def test_state_dict_round_trip_of_a_pruned_model(tmp_path):
    m = nn.Linear(4, 4)
    prune.l1_unstructured(m, "weight", 0.5)
    minigrad.save(m.state_dict(), tmp_path / "p.pt")
    m2 = nn.Linear(4, 4)
    prune.identity(m2, "weight")
    m2.load_state_dict(minigrad.load(tmp_path / "p.pt"))
    x = minigrad.randn(2, 4)
    np.testing.assert_array_equal(m(x)._data, m2(x)._data)


def test_sparsity_report():
    model = nn.Sequential(nn.Linear(10, 10), nn.ReLU(), nn.Linear(10, 10))
    prune.l1_unstructured(model[0], "weight", 30)
    prune.ln_structured(model[2], "weight", 0.5, n=2, dim=0)
    out = io.StringIO()
    rows = prune.sparsity_report(model, file=out)
    assert rows == [("0.weight", 30, 100, 0.3), ("2.weight", 50, 100, 0.5),
                    ("global", 80, 200, 0.4)]
    assert "global" in out.getvalue() and "40.00 %" in out.getvalue()


def test_bad_arguments():
    m = nn.Linear(3, 3)
    with pytest.raises(ValueError, match="amount=1.5 must be a float in"):
        prune.l1_unstructured(m, "weight", 1.5)
    with pytest.raises(ValueError, match="amount=10 should be smaller"):
        prune.l1_unstructured(m, "weight", 10)
    with pytest.raises(TypeError, match="amount must be an int"):
        prune.l1_unstructured(m, "weight", "half")
    with pytest.raises(AttributeError, match="has no parameter 'kernel'"):
        prune.l1_unstructured(m, "kernel", 0.5)
    with pytest.raises(ValueError, match="has to be pruned before"):
        prune.remove(m, "weight")
    with pytest.raises(IndexError, match="dim=2 is out of range"):
        prune.ln_structured(m, "weight", 1, n=2, dim=2)
    with pytest.raises(TypeError, match='only "unstructured"'):
        prune.global_unstructured([(m, "weight")], pruning_method=prune.LnStructured,
                                  amount=1, n=2, dim=0)
    assert list(m.state_dict()) == ["weight", "bias"]     # nothing half-done
    with minigrad.no_grad():
        m.weight._data[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        prune.l1_unstructured(m, "weight", 1)


# -- shrink ------------------------------------------------------------------------------------

def _pruned_cnn(padding=0, bias_next=True):
    minigrad.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(3, 16, 3), nn.ReLU(), nn.Conv2d(16, 32, 3, padding=padding),
                          nn.ReLU(), nn.Flatten(), nn.Linear(32 * (4 + 2 * padding) ** 2, 64),
                          nn.Tanh(), nn.Linear(64, 10, bias=bias_next))
    prune.ln_structured(model[0], "weight", 0.5, n=2, dim=0)
    prune.ln_structured(model[2], "weight", 0.5, n=1, dim=0)
    prune.ln_structured(model[5], "weight", 0.75, n=2, dim=0)
    return model


def test_shrink_removes_pruned_channels_and_keeps_the_function():
    model = _pruned_cnn()
    x = minigrad.randn(4, 3, 8, 8)
    small, removed = prune.shrink(model)
    assert removed == {"0": 8, "2": 16, "5": 48}
    assert small[0].weight.shape == (8, 3, 3, 3) and small[2].weight.shape == (16, 8, 3, 3)
    assert small[5].weight.shape == (16, 256) and small[7].weight.shape == (10, 16)
    assert small[5].in_features == 256 and small[7].in_features == 16
    assert not prune.is_pruned(small) and prune.is_pruned(model)        # model untouched
    np.testing.assert_allclose(small(x)._data, model(x)._data, rtol=1e-5, atol=1e-6)
    assert sum(p.numel() for p in small.parameters()) < 0.3 * sum(
        p.numel() for p in model.parameters())


def test_shrink_leaves_what_it_cannot_fold_exactly():
    model = _pruned_cnn(padding=1, bias_next=False)
    x = minigrad.randn(2, 3, 8, 8)
    small, removed = prune.shrink(model)
    # conv0's dead channels output relu(b) ≠ 0, which a padded conv cannot absorb; the
    # last Linear has no bias to absorb tanh(b)
    assert "0" not in removed and "5" not in removed and removed["2"] == 16
    np.testing.assert_allclose(small(x)._data, model(x)._data, rtol=1e-5, atol=1e-6)
