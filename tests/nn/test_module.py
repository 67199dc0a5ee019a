"""Module: registration, traversal, modes, to(), state_dict / load_state_dict, repr."""
import collections
import copy

import numpy as np
import pytest

import minigrad
from minigrad import nn


class Block(nn.Module):
    """Parameters, buffers and sub-modules assigned interleaved, to check the order."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(minigrad.ones(2))
        self.register_buffer("count", minigrad.zeros(1))
        self.inner = nn.Linear(2, 2)
        self.shift = nn.Parameter(minigrad.zeros(2))
        self.register_buffer("cache", minigrad.zeros(2), persistent=False)
        self.norm = nn.BatchNorm1d(2)
        self.note = "a plain attribute"

    def forward(self, x):
        return self.norm(self.inner(x * self.scale + self.shift))


def test_registration_order_and_qualified_names():
    m = Block()
    assert [n for n, _ in m.named_parameters()] == [
        "scale", "shift", "inner.weight", "inner.bias", "norm.weight", "norm.bias"]
    assert [n for n, _ in m.named_buffers()] == [
        "count", "cache", "norm.running_mean", "norm.running_var", "norm.num_batches_tracked"]
    assert [n for n, _ in m.named_children()] == ["inner", "norm"]
    assert [n for n, _ in m.named_modules()] == ["", "inner", "norm"]
    assert list(m.parameters(recurse=False)) == [m.scale, m.shift]
    # PyTorch's state_dict order: own parameters, own persistent buffers, then children.
    assert list(m.state_dict()) == [
        "scale", "shift", "count", "inner.weight", "inner.bias", "norm.weight", "norm.bias",
        "norm.running_mean", "norm.running_var", "norm.num_batches_tracked"]
    assert m.note == "a plain attribute" and "note" not in m.state_dict()
    assert m.num_parameters() == 2 + 2 + 4 + 2 + 2 + 2


def test_shared_parameters_are_listed_once_but_saved_under_both_names():
    m = nn.Module()
    m.a = nn.Linear(2, 2)
    m.b = nn.Linear(2, 2)
    m.b.weight = m.a.weight
    assert len(list(m.parameters())) == 3
    assert list(m.state_dict()) == ["a.weight", "a.bias", "b.weight", "b.bias"]
    assert m.state_dict()["b.weight"]._data is m.a.weight._data


def test_setattr_rules_and_deletion():
    m = Block()
    m.shift = None                                   # a parameter may become absent
    assert "shift" not in dict(m.named_parameters()) and m.shift is None
    with pytest.raises(TypeError, match=r"cannot assign 'Tensor' as parameter 'scale'"):
        m.scale = m.scale * 2                       # the classic mistake
    with pytest.raises(TypeError, match="as child module 'inner'"):
        m.inner = 3
    with pytest.raises(TypeError, match="as buffer 'count'"):
        m.count = np.zeros(1)
    m.count = minigrad.ones(1)                       # a buffer can be replaced by a Tensor
    assert m.state_dict()["count"].item() == 1
    m.note = nn.ReLU()                               # a plain attribute becomes a sub-module
    assert "note" not in m.__dict__ and list(dict(m.named_children())) == [
        "inner", "norm", "note"]
    del m.scale, m.count, m.inner, m.note
    assert list(m.state_dict()) == ["norm.weight", "norm.bias", "norm.running_mean",
                                    "norm.running_var", "norm.num_batches_tracked"]
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'inner'"):
        _ = m.inner
    m.plain = 1
    del m.plain
    assert not hasattr(m, "plain")


def test_assigning_before_super_init_is_a_clear_error():
    class Forgetful(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(minigrad.zeros(1))

    class ForgetfulToo(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(1, 1)

    for cls in (Forgetful, ForgetfulToo):
        with pytest.raises(AttributeError, match=r"before Module.__init__\(\) call: call "
                                                 r"super\(\).__init__\(\) first in Forget"):
            cls()


def test_register_errors():
    m = nn.Module()
    with pytest.raises(KeyError, match="without '.'"):
        m.register_buffer("a.b", minigrad.zeros(1))
    with pytest.raises(TypeError, match="Tensor or None required"):
        m.register_buffer("b", [1, 2])
    with pytest.raises(TypeError, match="Parameter or None required"):
        m.register_parameter("w", minigrad.zeros(1))
    m.register_parameter("w", None)
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("w", minigrad.zeros(1))
    with pytest.raises(NotImplementedError, match='missing the required "forward"'):
        m(1)


def test_train_and_eval_propagate_and_change_behaviour():
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.Dropout(0.5), nn.BatchNorm1d(4)))
    assert model.eval() is model
    assert all(not m.training for m in model.modules())
    x = minigrad.randn(8, 4)
    y1, y2 = model(x), model(x)
    np.testing.assert_array_equal(y1.numpy(), y2.numpy())     # no dropout, running stats
    assert model[1][1].num_batches_tracked.item() == 0
    model.train()
    assert all(m.training for m in model.modules())
    assert not np.array_equal(model(x).numpy(), model(x).numpy())   # new dropout masks
    assert model[1][1].num_batches_tracked.item() == 2
    with pytest.raises(TypeError, match="mode must be a bool"):
        model.train("no")


def test_zero_grad_requires_grad_and_apply():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    model(minigrad.randn(4, 3)).sum().backward()
    model.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model[0].requires_grad_(False)
    assert [p.requires_grad for p in model.parameters()] == [False, False, True, True]
    assert model.num_parameters(trainable_only=True) == 3
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "Linear", "Sequential"]
    assert model.get_submodule("1") is model[1]
    with pytest.raises(AttributeError, match="no submodule '5'"):
        model.get_submodule("5")


def test_to_dtype_is_in_place_and_keeps_parameter_identity():
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    model(minigrad.randn(4, 3)).sum().backward()
    params, buffers = list(model.parameters()), list(model.buffers())
    values = [p.numpy() for p in params]
    assert model.to(minigrad.float64) is model
    assert [id(p) for p in model.parameters()] == [id(p) for p in params]
    assert [id(b) for b in model.buffers()] == [id(b) for b in buffers]
    assert all(p.dtype == np.float64 and p.grad.dtype == np.float64 for p in params)
    assert model[1].running_var.dtype == np.float64
    assert model[1].num_batches_tracked.dtype == np.int64     # integer buffers stay
    for p, v in zip(params, values):
        np.testing.assert_array_equal(p.numpy(), v)
    model.float()
    assert all(p.dtype == np.float32 for p in model.parameters())
    model.to("cpu", dtype="float64")
    assert model[0].weight.dtype == np.float64
    with pytest.raises(TypeError, match="floating point"):
        model.to(minigrad.int64)


@pytest.mark.skipif(minigrad.backend.is_cuda_available(), reason="CUDA is available here")
def test_to_cuda_without_cuda_changes_nothing():
    model = nn.Linear(2, 2)
    with pytest.raises(minigrad.CudaUnavailableError):
        model.to("cuda", minigrad.float64)
    assert model.weight.device == "cpu" and model.weight.dtype == np.float32


def test_state_dict_is_detached_and_shares_data():
    model = nn.Linear(2, 2)
    sd = model.state_dict()
    assert isinstance(sd, collections.OrderedDict)
    assert not sd["weight"].requires_grad and sd["weight"]._data is model.weight._data
    with minigrad.no_grad():
        model.weight.fill_(3.0)
    assert (sd["weight"].numpy() == 3).all()          # a view of the live parameter
    assert model.state_dict(keep_vars=True)["weight"] is model.weight
    assert list(model.state_dict(prefix="net.")) == ["net.weight", "net.bias"]


def _snapshot(model):
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


def test_load_state_dict_copies_into_the_existing_arrays():
    src, dst = Block(), Block()
    src.inner.weight.grad = None
    arrays = {k: v.numpy().astype(np.float64) for k, v in src.state_dict().items()}
    arrays["norm.num_batches_tracked"] = np.array(5)            # 0-d, as PyTorch's
    weight, data = dst.inner.weight, dst.inner.weight._data
    result = dst.load_state_dict(arrays)
    assert result == ([], []) and repr(result) == "<All keys matched successfully>"
    assert dst.inner.weight is weight and dst.inner.weight._data is data
    assert weight.dtype == np.float32                            # cast to the target's
    np.testing.assert_array_equal(weight.numpy(), src.inner.weight.numpy())
    assert dst.norm.num_batches_tracked.item() == 5
    dst.load_state_dict(src.state_dict())                        # Tensors work too
    assert dst.norm.num_batches_tracked.item() == 0


@pytest.mark.parametrize("change, message", [
    (lambda sd: sd.pop("inner.bias"), r'Missing key\(s\) in state_dict: "inner.bias"'),
    (lambda sd: sd.update(extra=np.zeros(1)), r'Unexpected key\(s\) in state_dict: "extra"'),
    (lambda sd: sd.update({"inner.weight": np.zeros((2, 3))}),
     r"size mismatch for inner.weight: copying a param with shape \(2, 3\) from "
     r"checkpoint, the shape in current model is \(2, 2\)"),
    (lambda sd: sd.update({"scale": [1.0, 2.0]}), r'value for "scale" is a list'),
])
def test_failed_load_names_the_problem_and_changes_nothing(change, message):
    src, dst = Block(), Block()
    sd = {k: v.numpy() + 1 for k, v in src.state_dict().items()}
    change(sd)
    before = _snapshot(dst)
    with pytest.raises(RuntimeError, match=message) as info:
        dst.load_state_dict(sd)
    assert "Error(s) in loading state_dict for Block" in str(info.value)
    after = _snapshot(dst)
    assert all(np.array_equal(before[k], after[k]) for k in before)


def test_non_strict_load_reports_and_loads_the_rest():
    src, dst = Block(), Block()
    sd = src.state_dict()
    del sd["scale"]
    sd["extra.weight"] = minigrad.zeros(1)
    result = dst.load_state_dict(sd, strict=False)
    assert result.missing_keys == ["scale"] and result.unexpected_keys == ["extra.weight"]
    np.testing.assert_array_equal(dst.inner.weight.numpy(), src.inner.weight.numpy())
    with pytest.raises(RuntimeError, match="size mismatch"):     # shapes: even non-strict
        dst.load_state_dict({"scale": np.zeros(5)}, strict=False)
    with pytest.raises(TypeError, match="expected a dict"):
        dst.load_state_dict([1, 2])


def test_nested_repr_matches_pytorch_layout():
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(),
                          nn.Sequential(nn.Flatten(), nn.Linear(784, 10, bias=False)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Conv2d(1, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Flatten(start_dim=1, end_dim=-1)\n"
        "    (1): Linear(in_features=784, out_features=10, bias=False)\n"
        "  )\n"
        ")")
    assert repr(nn.Module()) == "Module()"


def test_deepcopy_gives_independent_parameters():
    model = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    clone = copy.deepcopy(model)
    assert isinstance(clone[0].weight, nn.Parameter)
    assert clone[0].weight is not model[0].weight
    with minigrad.no_grad():
        clone[0].weight.fill_(0.0)
    assert model[0].weight.numpy().any()


def test_layer_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"^Linear\(in_features=784, out_features=10, "
                                         r"bias=True\): .*\(32, 100\).*784"):
        nn.Linear(784, 10)(minigrad.zeros(32, 100))
    with pytest.raises(TypeError, match=r"^Linear\(in_features=2.*must be a Tensor"):
        nn.Linear(2, 1)(np.zeros((1, 2)))


def test_nn_imports_nothing_above_it():
    """Layers point one way: ``minigrad.nn`` never imports ``minigrad.train`` (not even
    lazily inside a function)."""
    import ast
    from pathlib import Path
    for path in Path(nn.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [f"{node.module or ''}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            assert not any("train" in n.split(".") for n in names), (path.name, names)
