"""Issue 20, items 1, 4, 8, 10: dtypes and devices as objects, the Tensor methods and
top-level functions PyTorch programs use, max/min along a dim (PyTorch as the oracle where
installed)."""
import numpy as np
import pytest

import minigrad
from minigrad import functional as F

try:
    import torch
except ImportError:      # the oracle is optional: CI has no PyTorch
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")


# -- dtypes and devices -------------------------------------------------------------------------
@pytest.mark.parametrize("name, dtype", [
    ("float", np.float32), ("double", np.float64), ("half", np.float16), ("long", np.int64),
    ("int", np.int32), ("short", np.int16), ("bool", np.bool_), ("uint8", np.uint8)])
def test_pytorch_dtype_names(name, dtype):
    assert getattr(minigrad, name) == np.dtype(dtype)
    assert isinstance(getattr(minigrad, name), minigrad.dtype)
    assert minigrad.zeros(2, dtype=getattr(minigrad, name)).dtype == dtype


def test_a_device_object_equals_its_name():
    x = minigrad.randn(2)
    assert x.device == minigrad.device("cpu") == "cpu"
    assert x.device.type == "cpu" and x.device.index is None
    assert minigrad.device("cuda:0").index == 0 and repr(minigrad.device("cpu")) == "'cpu'"
    assert minigrad.device("cuda", 0) == minigrad.device("cuda") == "cuda"
    assert x.to(minigrad.device("cpu")) is x
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        minigrad.device("tpu")
    with pytest.raises(TypeError, match="device: expected a device name"):
        minigrad.device(3)


def test_the_probes_a_script_makes_first_answer_truthfully():
    assert minigrad.backends.mps.is_available() is False
    minigrad.backends.cudnn.benchmark = True          # accepted, changes nothing
    assert minigrad.accelerator.is_available() == minigrad.cuda.is_available()
    expected = minigrad.device("cuda") if minigrad.cuda.is_available() else None
    assert minigrad.accelerator.current_accelerator() == expected
    assert minigrad.cuda.device_count() == int(minigrad.cuda.is_available())


def test_default_dtype():
    assert minigrad.get_default_dtype() == np.float32
    try:
        minigrad.set_default_dtype(minigrad.float64)
        assert minigrad.tensor([1.5]).dtype == np.float64
        assert minigrad.nn.Linear(2, 2).weight.dtype == np.float64
    finally:
        minigrad.set_default_dtype(minigrad.float32)
    with pytest.raises(TypeError, match="set_default_dtype: expected float32 or float64, got "
                                        "int64"):
        minigrad.set_default_dtype(minigrad.long)


def test_to_in_pytorch_forms():
    x = minigrad.randn(2, 3, requires_grad=True)
    assert x.to("cpu") is x
    assert x.to("cpu", minigrad.float64).dtype == np.float64
    assert x.to(device="cpu", dtype=minigrad.float16).dtype == np.float16
    assert x.to(minigrad.zeros(1, dtype=minigrad.float64)).dtype == np.float64
    y = x.to(minigrad.float32, copy=True)
    assert y is not x and np.array_equal(y.numpy(), x.numpy())
    assert x.type() == "minigrad.FloatTensor" and x.long().type() == "minigrad.LongTensor"
    assert x.type(minigrad.float64).dtype == np.float64
    assert x.type_as(minigrad.zeros(1, dtype=minigrad.int32)).dtype == np.int32


# -- Tensor methods -------------------------------------------------------------------------------
def test_shape_and_memory_methods():
    x = minigrad.randn(2, 3, requires_grad=True)
    assert x.dim() == 2 and x.nelement() == 6 and x.element_size() == 4
    assert x.view_as(minigrad.zeros(3, 2)).shape == (3, 2)
    assert x.reshape_as(minigrad.zeros(6)).shape == (6,)
    assert x[:1].expand_as(x).shape == (2, 3)
    assert x.t().shape == (3, 2) and minigrad.t(x).shape == (3, 2)
    assert not x.t().is_contiguous() and x.t().contiguous().is_contiguous()
    x.t().contiguous().sum().backward()
    assert x.grad.shape == (2, 3)
    with pytest.raises(ValueError, match=r"t: expected a tensor with at most 2 axes, got "
                                         r"shape \(1, 2, 3\)"):
        minigrad.zeros(1, 2, 3).t()


def test_narrow_is_a_slice():
    x = minigrad.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(x.narrow(1, 1, 2).numpy(), x.numpy()[:, 1:3])
    np.testing.assert_array_equal(x.narrow(0, -2, 2).numpy(), x.numpy()[1:])
    with pytest.raises(IndexError, match="narrow: start 3 and length 2 go past the size 4"):
        x.narrow(1, 3, 2)


def test_new_tensors_take_dtype_and_device():
    x = minigrad.zeros(2, dtype=minigrad.float64)
    for y in (x.new_zeros(3), x.new_ones((2, 2)), x.new_full((2,), 7.0), x.new_empty(4),
              x.new_tensor([1, 2])):
        assert y.dtype == np.float64 and y.device == "cpu" and not y.requires_grad
    assert x.new_ones(2, dtype=minigrad.long).dtype == np.int64


def test_mm_needs_matrices():
    a = minigrad.randn(2, 3)
    assert a.mm(a.t()).shape == (2, 2) and minigrad.mm(a, a.t()).shape == (2, 2)
    with pytest.raises(ValueError, match=r"mm: expected two matrices, got shapes \(2, 3\) and "
                                         r"\(3,\)"):
        a.mm(minigrad.randn(3))


def test_format_of_a_one_element_tensor():
    assert f"{minigrad.tensor(3.14159):.2f}" == "3.14"
    assert f"loss {minigrad.tensor([0.5]):.1e}" == "loss 5.0e-01"


# -- max and min along a dim ----------------------------------------------------------------------
def test_max_forms():
    x = minigrad.tensor([[1.0, 3.0, 3.0], [2.0, 0.0, 5.0]], requires_grad=True)
    values, indices = x.max(1)
    np.testing.assert_array_equal(values.numpy(), [3.0, 5.0])
    np.testing.assert_array_equal(indices.numpy(), [1, 2])
    values.sum().backward()            # to the index found: the first of the tied 3s
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 0], [0, 0, 1]])
    assert x.max().item() == 5.0
    np.testing.assert_array_equal(x.max(axis=1).numpy(), [3.0, 5.0])      # NumPy's form
    assert x.min(dim=0, keepdim=True).indices.shape == (1, 3)
    np.testing.assert_array_equal(minigrad.max(x, minigrad.full((2, 3), 2.5)).numpy(),
                                  [[2.5, 3, 3], [2.5, 2.5, 5]])
    with pytest.raises(TypeError, match="max: got both dim=1 and axis=0"):
        x.max(1, axis=0)


@needs_torch
@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("dim, keepdim", [(0, False), (1, True), (-1, False)])
def test_max_and_min_along_a_dim_match_pytorch(op, dim, keepdim):
    a = np.random.default_rng(0).integers(0, 4, (3, 5)).astype(np.float64)   # with ties
    ours = minigrad.tensor(a, requires_grad=True)
    theirs = torch.tensor(a, requires_grad=True)
    v, i = getattr(ours, op)(dim, keepdim)
    tv, ti = getattr(theirs, op)(dim, keepdim)
    np.testing.assert_array_equal(v.numpy(), tv.detach().numpy())
    np.testing.assert_array_equal(i.numpy(), ti.numpy())
    g = np.random.default_rng(1).standard_normal(v.shape)
    v.backward(minigrad.tensor(g))
    tv.backward(torch.tensor(g))
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


# -- top-level functions --------------------------------------------------------------------------
# functional ops that torch has at top level but with another signature, left out on purpose
DIFFERENT_SIGNATURE = {
    "dropout": "torch.dropout(input, p, train) has no defaults",
    "batch_norm": "torch.batch_norm takes nine positional arguments",
    "layer_norm": "torch.layer_norm takes a cudnn flag",
    "embedding": "torch.embedding(weight, input) reverses the arguments",
    "binary_cross_entropy_with_logits": "torch's takes an int reduction",
}


@needs_torch
def test_every_functional_op_torch_has_at_top_level_is_there():
    missing = [n for n in F.__all__ if hasattr(torch, n) and n not in DIFFERENT_SIGNATURE
               and not hasattr(minigrad, n)]
    assert not missing, f"torch.X exists but minigrad.X does not: {missing}"


@pytest.mark.parametrize("call", [
    lambda m, x: m.cat([x, x], 0), lambda m, x: m.stack([x, x], 1), lambda m, x: m.tanh(x),
    lambda m, x: m.flatten(x), lambda m, x: m.matmul(x, m.t(x)), lambda m, x: m.argmax(x, 1),
    lambda m, x: m.sum(x, 1), lambda m, x: m.mean(x), lambda m, x: m.max(x, 0).values,
    lambda m, x: m.clamp(x, -0.5, 0.5), lambda m, x: m.where(x > 0, x, m.zeros_like(x)),
    lambda m, x: m.transpose(x, 0, 1), lambda m, x: m.unsqueeze(x, 0), lambda m, x: m.exp(x),
])
def test_top_level_functions_run_as_in_pytorch(call):
    a = np.random.default_rng(0).standard_normal((3, 4))
    ours = call(minigrad, minigrad.tensor(a))
    if torch is not None:
        np.testing.assert_allclose(ours.numpy(), call(torch, torch.tensor(a)).numpy(),
                                   rtol=1e-12)
    else:
        assert isinstance(ours, minigrad.Tensor)


@needs_torch
@pytest.mark.parametrize("values", [
    [1.010713, 0.61221224, -0.7111006], [1.0, 2.0], [0.5, 0.25], [1e-5, 1.0],
    [123456.7, 1.0], [[1.5, float("nan")], [float("inf"), 2.0]], 3.14159,
    np.random.default_rng(0).standard_normal((2, 3)).tolist(), [1, -2, 3]])
def test_printing_matches_pytorch(values):
    ours = repr(minigrad.tensor(values))
    theirs = repr(torch.tensor(values, dtype=torch.int64 if isinstance(values, list) and all(
        isinstance(v, int) for v in values) else torch.float32))
    assert ours == theirs
