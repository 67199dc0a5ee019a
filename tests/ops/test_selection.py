"""topk, gather, masked_fill, tril/triu and multinomial: PyTorch's semantics where they are
subtle (order, ties, NaN, dims), the distribution multinomial draws from, and the errors.
(Forward against NumPy and gradients against finite differences: the op table.)"""
import numpy as np
import pytest

import minigrad

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests")


@pytest.mark.parametrize("k,dim,largest", [(3, -1, True), (2, 0, False), (5, 1, True),
                                           (1, -1, False), (0, 1, True)])
def test_topk_matches_pytorch(k, dim, largest):
    x = np.random.default_rng(k).permutation(120).reshape(4, 6, 5).astype(np.float64)
    values, indices = minigrad.tensor(x).topk(k, dim=dim, largest=largest)
    expected = torch.tensor(x).topk(k, dim=dim, largest=largest)
    np.testing.assert_array_equal(values.numpy(), expected.values.numpy())
    np.testing.assert_array_equal(indices.numpy(), expected.indices.numpy())
    assert indices.dtype == np.int64


def test_topk_unsorted_selects_the_same_set_and_nan_counts_as_largest():
    x = minigrad.tensor([3.0, float("nan"), 1.0, 7.0, 2.0])
    values, _ = minigrad.topk(x, 3, sorted=False)
    assert sorted(np.nan_to_num(values.numpy(), nan=99).tolist()) == [3.0, 7.0, 99]
    values, indices = minigrad.topk(x, 2)
    assert np.isnan(values.numpy()[0]) and indices.tolist() == [1, 3]


def test_topk_gradient_reaches_only_the_selected_entries():
    x = minigrad.tensor([[1.0, 5.0, 3.0], [4.0, 0.0, 2.0]], requires_grad=True)
    (x.topk(2).values * minigrad.tensor([[1.0, 10.0], [100.0, 1000.0]])).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 1, 10], [100, 0, 1000]])


def test_gather_matches_pytorch_with_repeats():
    x = np.arange(12.0).reshape(3, 4)
    index = np.array([[0, 0, 3], [1, 2, 2]])
    ours = minigrad.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    y, t = ours.gather(1, minigrad.tensor(index)), theirs.gather(1, torch.tensor(index))
    np.testing.assert_array_equal(y.numpy(), t.detach().numpy())
    y.sum().backward()
    t.sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())   # repeats add


def test_masked_fill_and_triangles_match_pytorch():
    x = np.random.default_rng(0).standard_normal((2, 4, 5))
    mask = np.triu(np.ones((4, 5), dtype=bool), 1)
    np.testing.assert_array_equal(
        minigrad.tensor(x).masked_fill(minigrad.tensor(mask), float("-inf")).numpy(),
        torch.tensor(x).masked_fill(torch.tensor(mask), float("-inf")).numpy())
    for d in (-1, 0, 2):
        np.testing.assert_array_equal(minigrad.tril(minigrad.tensor(x), d).numpy(),
                                      torch.tril(torch.tensor(x), d).numpy())
        np.testing.assert_array_equal(minigrad.tensor(x).triu(d).numpy(),
                                      torch.tensor(x).triu(d).numpy())


def test_multinomial_draws_from_the_given_distribution():
    minigrad.manual_seed(0)
    probs = minigrad.tensor([[0.1, 0.0, 0.6, 0.3], [1.0, 1.0, 1.0, 1.0]])   # unnormalised ok
    draws = probs.multinomial(20000, replacement=True).numpy()
    assert draws.shape == (2, 20000) and draws.dtype == np.int64
    freq = np.stack([np.bincount(row, minlength=4) / 20000 for row in draws])
    np.testing.assert_allclose(freq, [[0.1, 0.0, 0.6, 0.3], [0.25] * 4], atol=0.015)
    assert not (draws[0] == 1).any()                 # a zero weight is never drawn


def test_multinomial_without_replacement_is_distinct_and_seeded():
    minigrad.manual_seed(3)
    a = minigrad.multinomial(minigrad.ones(10), 10)
    minigrad.manual_seed(3)
    b = minigrad.multinomial(minigrad.ones(10), 10)
    assert sorted(a.tolist()) == list(range(10)) and a.tolist() == b.tolist()


@pytest.mark.parametrize("call,error,words", [
    (lambda: minigrad.topk(minigrad.ones(3), 4), ValueError, r"k must be an int in \[0, 3\]"),
    (lambda: minigrad.ones(2, 3).gather(1, minigrad.tensor([[3]])), IndexError,
     r"in \[0, 3\)"),
    (lambda: minigrad.ones(2, 3).gather(1, minigrad.tensor([0, 1])), ValueError,
     "as many axes"),
    (lambda: minigrad.ones(2, 3).masked_fill(minigrad.ones(2, 3), 0.0), TypeError, "bool"),
    (lambda: minigrad.ones(3).masked_fill(minigrad.ones(2, 3, dtype=minigrad.bool_), 0.0),
     ValueError, "without enlarging"),
    (lambda: minigrad.tril(minigrad.ones(3)), ValueError, "at least 2 axes"),
    (lambda: minigrad.multinomial(minigrad.tensor([0.0, 0.0]), 1), ValueError, "sums to 0"),
    (lambda: minigrad.multinomial(minigrad.tensor([-1.0, 2.0]), 1), ValueError,
     "non-negative"),
    (lambda: minigrad.multinomial(minigrad.tensor([0.5, 0.0, 0.5]), 3), ValueError,
     "without replacement"),
])
def test_bad_arguments_are_named(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_mask_algebra_matches_pytorch():
    a = np.array([[True, False, True], [False, False, True]])
    b = np.array([True, True, False])
    ours, theirs = minigrad.tensor(a), torch.tensor(a)
    for op in (lambda x, y: x & y, lambda x, y: x | y, lambda x, y: x ^ y,
               lambda x, y: ~x & y):
        np.testing.assert_array_equal(op(ours, minigrad.tensor(b)).numpy(),
                                      op(theirs, torch.tensor(b)).numpy())
    np.testing.assert_array_equal(ours.logical_not().numpy(), theirs.logical_not().numpy())
    np.testing.assert_array_equal((~minigrad.tensor([5, 0])).numpy(), [-6, -1])
    with pytest.raises(TypeError, match="bool or integer"):
        ~minigrad.ones(2)
    with pytest.raises(TypeError, match="bool or integer"):
        minigrad.ones(2) & ours[0, :2]
