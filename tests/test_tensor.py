"""Tensor creation, dtype rules, conversions, repr and the errors users meet first."""
import numpy as np
import pytest

import minigrad
from minigrad import functional as F


@pytest.mark.parametrize("data, dtype", [
    (1.5, np.float32), ([1.0, 2.0], np.float32), ([[1, 2]], np.int64), (3, np.int64),
    (True, np.bool_), (np.zeros(2), np.float64), (np.zeros(2, np.float32), np.float32),
    (np.arange(3, dtype=np.int32), np.int32), (np.float64(2.0), np.float64),
])
def test_creation_dtypes_follow_pytorch(data, dtype):
    assert minigrad.tensor(data).dtype == dtype


def test_explicit_dtype_and_copy():
    a = np.arange(4.0)
    t = minigrad.tensor(a, dtype="float32")
    assert t.dtype == np.float32
    a[0] = 100
    assert t.numpy()[0] == 0                       # tensor() copies
    n = t.numpy()
    n[1] = 50
    assert t.numpy()[1] == 1                       # numpy() copies
    shared = minigrad.from_numpy(a)
    a[1] = 7
    assert shared.numpy()[1] == 7                  # from_numpy shares


@pytest.mark.parametrize("make", [
    lambda t: t * 2.0, lambda t: 2.0 * t, lambda t: t + 1, lambda t: t / 3, lambda t: t ** 2,
    lambda t: 1.0 - t, lambda t: t * np.float64(2.0), lambda t: t + minigrad.tensor([1, 2]),
    lambda t: F.maximum(t, 0.5), lambda t: F.where(t > 0, t, 0.0),
])
def test_python_scalars_and_integer_tensors_never_promote_float32(make):
    t = minigrad.tensor([1.0, 2.0])
    assert make(t).dtype == np.float32


def test_integer_arithmetic_follows_pytorch():
    i = minigrad.tensor([1, 2])
    assert (i * 2).dtype == np.int64
    assert (i * 0.5).dtype == np.float32
    assert (i / i).dtype == np.float32
    assert (i == 1).dtype == np.bool_


def test_attributes_and_conversions():
    t = minigrad.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3) and t.ndim == 2 and len(t) == 2 and t.numel() == 6
    assert t.device == "cpu" and t.size(1) == 3
    assert t.sum().item() == 21.0 and isinstance(t.sum().item(), float)
    assert t.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert float(t[0, 0]) == 1.0 and f"{t.mean():.2f}" == "3.50"
    assert t.to("cpu") is t
    assert t.to(minigrad.float64).dtype == np.float64 and t.double().dtype == np.float64
    assert np.asarray(t).shape == (2, 3)
    with pytest.raises(ValueError, match="one element"):
        t.item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(t)
    with pytest.raises(TypeError, match="0-d"):
        len(minigrad.tensor(1.0))


def test_repr_shows_what_differs_from_the_defaults():
    assert repr(minigrad.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(minigrad.tensor([1.0], requires_grad=True)) == \
        "tensor([1.], requires_grad=True)"
    assert repr(minigrad.tensor(np.array([1.0]))) == "tensor([1.], dtype=float64)"
    y = minigrad.tensor([1.0], requires_grad=True) * 2
    assert repr(y) == "tensor([2.], grad_fn=<Mul>)"


def test_comparisons_give_bool_tensors_without_grad():
    x = minigrad.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for r in (x > 2, x >= 2, x < 2, x <= 2, x == 2, x != 2):
        assert r.dtype == np.bool_ and not r.requires_grad
    np.testing.assert_array_equal((x > 1.5).numpy(), [False, True, True])
    assert (x == x).all().item()


def test_clone_is_differentiable_and_independent():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    c._data[0] = 5
    assert x.numpy()[0] == 1
    (c * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_casting_to_an_integer_dtype_detaches():
    x = minigrad.tensor([1.5, 2.5], requires_grad=True)
    assert not x.long().requires_grad and x.long().dtype == np.int64


def test_bad_data_is_refused_clearly():
    with pytest.raises(ValueError, match="ragged"):
        minigrad.tensor([[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match="numbers"):
        minigrad.tensor(["a", "b"])
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        minigrad.tensor([1.0], device="tpu")


def test_shape_errors_name_the_op_and_shapes():
    a, b = minigrad.zeros(32, 784), minigrad.zeros(100, 10)
    with pytest.raises(ValueError, match=r"matmul: inner dimensions differ: "
                                         r"a \(32, 784\) @ b \(100, 10\)"):
        a @ b
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(32, 784\)"):
        a.reshape(5, -1)
    with pytest.raises(ValueError, match=r"axis 2 is out of range for a 2-d tensor"):
        a.sum(axis=2)
    with pytest.raises(IndexError, match=r"getitem: .*\(tensor shape \(32, 784\)\)"):
        a[40]
    with pytest.raises(ValueError, match=r"concatenate: tensor 1 has shape \(100, 10\)"):
        F.concatenate([a, b], axis=0)
    with pytest.raises(ValueError, match=r"broadcast_to: cannot broadcast shape \(32, 784\)"):
        a.broadcast_to((3, 4))


def test_pytorch_spellings_are_accepted():
    x = minigrad.tensor([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_allclose(x.sum(dim=1, keepdim=True).numpy(), [[3.0], [7.0]])
    np.testing.assert_allclose(F.mean(x, dim=0).numpy(), [2.0, 3.0])
    np.testing.assert_allclose(x.softmax(dim=0).numpy().sum(axis=0), [1.0, 1.0])
    with pytest.raises(TypeError, match="both"):
        x.sum(axis=0, dim=1)
    np.testing.assert_allclose(x.transpose(0, 1).numpy(), x.numpy().T)
    np.testing.assert_allclose(x.clamp(min=2.0).numpy(), [[2.0, 2.0], [3.0, 4.0]])


def test_softmax_family_is_stable_for_huge_logits():
    x = minigrad.tensor([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4]], requires_grad=True)
    for y in (x.softmax(), x.log_softmax(), x.logsumexp(axis=1)):
        assert np.isfinite(y.numpy()).all()
    x.log_softmax().sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_random_draws_are_reproducible_with_manual_seed():
    minigrad.manual_seed(123)
    a = minigrad.randn(3, 4).numpy()
    b = minigrad.rand(5).numpy()
    minigrad.manual_seed(123)
    np.testing.assert_array_equal(minigrad.randn(3, 4).numpy(), a)
    np.testing.assert_array_equal(minigrad.rand(5).numpy(), b)
    assert minigrad.randn(2).dtype == np.float32
    with pytest.raises(ValueError, match="non-negative int"):
        minigrad.manual_seed(-1)


def test_factories():
    assert minigrad.zeros(2, 3).shape == (2, 3) and minigrad.zeros((2, 3)).dtype == np.float32
    assert minigrad.ones(2, dtype=minigrad.float64).dtype == np.float64
    assert minigrad.arange(5).dtype == np.int64 and minigrad.arange(0.0, 1.0, 0.5).shape == (2,)
    assert minigrad.full((2,), 1.5).dtype == np.float32
    np.testing.assert_array_equal(minigrad.eye(2).numpy(), np.eye(2))
    w = minigrad.zeros(3, requires_grad=True)
    assert w.requires_grad and w.is_leaf
