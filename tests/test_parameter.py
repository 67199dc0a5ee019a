"""Parameter: a leaf Tensor subclass; sharing vs copying; repr."""
import numpy as np
import pytest

import minigrad
from minigrad.nn import Parameter


def test_parameter_from_a_tensor_shares_its_array_and_versions():
    t = minigrad.zeros(3)
    p = Parameter(t)
    assert isinstance(p, minigrad.Tensor) and p.is_leaf and p.requires_grad
    assert p._data is t._data                          # shared, as torch.nn.Parameter(t)
    with minigrad.no_grad():
        t += 1
    assert p._version == t._version == 1
    np.testing.assert_array_equal(p.numpy(), [1, 1, 1])


def test_parameter_from_a_computed_tensor_is_a_new_leaf():
    x = minigrad.ones(2, requires_grad=True)
    p = Parameter(x * 2)
    assert p.is_leaf and p.grad_fn is None
    (p * p).sum().backward()
    np.testing.assert_array_equal(p.grad.numpy(), [4, 4])
    assert x.grad is None


@pytest.mark.parametrize("data, dtype", [
    (np.arange(3.0), np.float64), (np.arange(3, dtype=np.float32), np.float32),
    ([1.0, 2.0], np.float32), (2.5, np.float32)])
def test_parameter_from_arrays_and_lists_copies_with_tensor_dtype_rules(data, dtype):
    p = Parameter(data)
    assert p.dtype == dtype and p.requires_grad
    if isinstance(data, np.ndarray):
        data[0] = 100
        assert p.numpy()[0] != 100                   # copied


def test_parameter_defaults_and_dtype_checks():
    empty = Parameter()
    assert empty.shape == (0,) and empty.dtype == np.float32
    with pytest.raises(TypeError, match="floating-point"):
        Parameter(minigrad.tensor([1, 2]))
    counter = Parameter(minigrad.tensor([1, 2]), requires_grad=False)
    assert counter.dtype == np.int64 and not counter.requires_grad


def test_results_of_ops_and_grads_are_plain_tensors():
    p = Parameter(minigrad.ones(2))
    y = p * 3
    assert type(y) is minigrad.Tensor and type(p.detach()) is minigrad.Tensor
    y.sum().backward()
    assert type(p.grad) is minigrad.Tensor


def test_repr_says_parameter_containing():
    p = Parameter(minigrad.tensor([1.0, 2.0]))
    assert repr(p) == "Parameter containing:\ntensor([1., 2.], requires_grad=True)"
