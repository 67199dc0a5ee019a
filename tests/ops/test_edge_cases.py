"""Edge cases found in review: each test reproduces a bug that once gave a wrong value,
a wrong gradient or a dtype leak without any error."""
import numpy as np
import pytest

import minigrad
from minigrad import functional as F


def leaf(values, dtype=np.float64):
    return minigrad.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def test_numpy_scalars_become_real_arrays_so_in_place_updates_work():
    p = minigrad.tensor(np.float32(1.0), requires_grad=True)
    assert isinstance(p._data, np.ndarray)
    opt = minigrad.optim.SGD([p], lr=0.1)
    (p * 2).backward()
    opt.step()
    assert p.item() == pytest.approx(0.8)
    t = minigrad.tensor(np.arange(4.0).sum())
    t.zero_()
    assert t.item() == 0.0
    q = minigrad.tensor(3.0, requires_grad=True) * 1.0
    q.backward(np.float32(1.0))          # a NumPy scalar as grad


def test_np_array_of_a_tensor_is_a_copy_and_asarray_shares():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    copy = np.array(x)
    copy[0] = 100.0
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    assert np.shares_memory(np.asarray(x), x._data)


def test_changing_an_index_or_a_target_after_forward_is_caught_or_harmless():
    x = leaf([1.0, 2.0, 3.0])
    i = minigrad.tensor([0, 0])
    y = x[i]
    i[0] = 2                                   # the index was copied at forward
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 0.0, 0.0])

    z = leaf([[1.0, 2.0, 3.0]])
    t = minigrad.tensor([0])
    loss = F.cross_entropy(z, t)
    t[0] = 2
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


def test_a_probability_target_that_requires_grad_gets_its_gradient():
    rng = np.random.default_rng(0)
    z = leaf(rng.standard_normal((3, 4)))
    t = leaf(rng.standard_normal((3, 4)))
    assert minigrad.gradcheck(lambda z, t: F.cross_entropy(z, t.softmax(axis=1)), [z, t])
    assert minigrad.gradcheck(
        lambda z, t: F.cross_entropy(z, t.softmax(axis=1), label_smoothing=0.2), [z, t])


def test_flatten_of_empty_tensors_keeps_the_merged_size():
    assert minigrad.zeros(0, 3, 4).flatten(1).shape == (0, 12)
    assert minigrad.zeros(4, 3, 0).flatten(0, 1).shape == (12, 0)


def test_var_and_std_edge_cases_follow_pytorch():
    a = leaf([1.0])
    with np.errstate(all="ignore"):
        v = a.var()
        v.backward()
    assert np.isnan(v.item()) and np.isnan(a.grad.numpy()).all()
    x = leaf([2.0, 2.0, 2.0])
    x.std().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])
    assert minigrad.tensor([1.0, 2.0, 4.0]).var(correction=0.5).item() == pytest.approx(
        np.var([1.0, 2.0, 4.0]) * 3 / 2.5, rel=1e-6)
    y = leaf(np.random.default_rng(1).standard_normal((3, 4)))
    assert minigrad.gradcheck(lambda t: t.std(axis=1), [y])


def test_pow_gradients_are_zero_where_the_function_is_constant():
    a = leaf([0.0, 2.0])
    (a ** 0).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [0.0, 0.0])
    b = leaf([2.0, 2.0])
    (minigrad.tensor([0.0, 2.0], dtype=np.float64) ** b).sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), [0.0, 4 * np.log(2)])


@pytest.mark.parametrize("make", [
    lambda: minigrad.arange(5).exp(), lambda: minigrad.arange(1, 5).log(),
    lambda: minigrad.arange(5).sqrt(), lambda: minigrad.arange(5).sigmoid(),
    lambda: minigrad.arange(5).tanh(), lambda: minigrad.arange(5).softmax(),
    lambda: minigrad.arange(5).logsumexp(), lambda: minigrad.arange(5).var(),
    lambda: minigrad.arange(5).std(), lambda: minigrad.arange(5).mean(),
    lambda: F.cat([minigrad.arange(2), minigrad.zeros(2)]),
    lambda: F.stack([minigrad.arange(2), minigrad.zeros(2)]),
    lambda: minigrad.tensor([1, 2, 3]).clip(0.5, 2.5),
    lambda: minigrad.zeros(3) * minigrad.tensor(np.float64(2.0)),
    lambda: minigrad.zeros(3) + np.array(2.0),
    lambda: F.batch_norm(minigrad.zeros(4, 3), minigrad.zeros(3, dtype=np.float64),
                         minigrad.ones(3, dtype=np.float64)),
])
def test_integer_and_zero_dim_operands_do_not_leak_float64(make):
    assert make().dtype == np.float32


def test_zero_dim_operand_promotion_keeps_its_gradient():
    x = leaf([1.0, 2.0], np.float32)
    s = leaf(3.0)                                          # float64, 0-d
    (x * s).sum().backward()
    assert s.grad.dtype == np.float64 and s.grad.item() == pytest.approx(3.0)


def test_reductions_of_zero_dim_tensors_accept_axis_0_and_minus_1():
    t = minigrad.tensor(3.0)
    assert t.sum(0).item() == 3.0 and t.mean(-1).item() == 3.0 and t.max(0).values.item() == 3.0
    assert t.logsumexp(0).item() == pytest.approx(3.0)
    with pytest.raises(ValueError, match="out of range"):
        t.sum(1)


def test_clip_with_tensor_bounds_gives_ties_to_the_input():
    x = leaf([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    lo = leaf([[3.0], [1.0]])
    hi = leaf([2.5, 2.5, 2.0])
    F.clip(x, lo, hi).sum().backward()
    # row 0: lo = 3 > hi, so every element ends at hi (PyTorch's clamp does the same);
    # row 1: x == hi at [1, 2] is a tie, and the gradient stays with x there
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 0], [1, 1, 1]])
    np.testing.assert_array_equal(lo.grad.numpy(), [[0], [0]])
    np.testing.assert_array_equal(hi.grad.numpy(), [1, 1, 1])


def test_max_pool_propagates_nan_and_routes_its_gradient_there():
    from minigrad import backend
    x = minigrad.tensor([[[[1.0, np.nan], [0.0, 2.0]]]], requires_grad=True)
    for impl in ("numpy", "numba"):
        x.grad = None
        with backend.use_kernels(max_pool2d=impl):
            y = F.max_pool2d(x, 2)
            y.sum().backward()
        assert np.isnan(y.item())
        np.testing.assert_array_equal(x.grad.numpy(), [[[[0, 1], [0, 0]]]])


def test_where_accepts_python_conditions_and_numbers():
    x = minigrad.tensor([1.0, -1.0])
    assert F.where(True, x, 0.0).tolist() == [1.0, -1.0]
    y = F.where(x > 0, 1, 2.5)
    assert y.dtype == np.float32 and y.tolist() == [1.0, 2.5]


def test_factories_follow_pytorch_short_forms_and_refuse_integer_draws():
    assert minigrad.randint(10, (3,)).shape == (3,)
    with pytest.raises(TypeError, match="floating-point"):
        minigrad.randn(3, dtype=minigrad.int64)
    assert minigrad.zeros(2, dtype=minigrad.int64).dtype == np.int64


def test_numpy_integers_are_accepted_as_geometry_and_empty_index_lists():
    x = minigrad.randn(1, 1, 6, 6)
    assert F.max_pool2d(x, np.int64(2)).shape == (1, 1, 3, 3)
    assert F.conv2d(x, minigrad.randn(2, 1, 3, 3), stride=np.int64(2)).shape == (1, 2, 2, 2)
    assert x[[]].shape == (0, 1, 6, 6)
