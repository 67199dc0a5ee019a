"""Behaviour of the neural-network ops beyond the table: randomness, running statistics,
stability and the errors users meet."""
import numpy as np
import pytest

import minigrad
from minigrad import functional as F


def test_dropout_statistics_gradient_and_reproducibility():
    x = minigrad.ones(200, 100, requires_grad=True)
    minigrad.manual_seed(7)
    y = F.dropout(x, p=0.25)
    kept = y.numpy() != 0
    assert abs(kept.mean() - 0.75) < 0.01
    np.testing.assert_allclose(y.numpy()[kept], 1 / 0.75)          # inverted dropout
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), y.numpy())          # dx = mask / (1 - p)
    minigrad.manual_seed(7)
    np.testing.assert_array_equal(F.dropout(x, p=0.25).numpy(), y.numpy())
    assert F.dropout(x, p=0.25, training=False) is x
    assert (F.dropout(x, p=1.0).numpy() == 0).all()
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\]"):
        F.dropout(x, p=1.5)


def test_dropout_gradient_with_a_fixed_mask_matches_finite_differences():
    x = minigrad.tensor(np.random.default_rng(0).standard_normal((4, 5)), requires_grad=True)

    def f(t):
        minigrad.manual_seed(3)        # the same mask at every evaluation
        return F.dropout(t, p=0.4)

    assert minigrad.gradcheck(f, [x])


def test_batch_norm_running_statistics_follow_pytorch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3, 4, 4)).astype(np.float32)
    rm, rv = minigrad.zeros(3), minigrad.ones(3)
    F.batch_norm(minigrad.tensor(x, requires_grad=True), rm, rv, training=True, momentum=0.2)
    n = 8 * 4 * 4
    np.testing.assert_allclose(rm.numpy(), 0.2 * x.mean(axis=(0, 2, 3)), rtol=1e-5)
    np.testing.assert_allclose(rv.numpy(), 0.8 + 0.2 * x.var(axis=(0, 2, 3)) * n / (n - 1),
                               rtol=1e-5)
    with minigrad.no_grad():           # the update also happens without a graph
        F.batch_norm(minigrad.tensor(x), rm, rv, training=True)
    assert not np.allclose(rm.numpy(), 0.2 * x.mean(axis=(0, 2, 3)))
    y = F.batch_norm(minigrad.tensor(x), rm, rv, training=False)   # eval: running stats
    want = (x - rm.numpy()[None, :, None, None]) / np.sqrt(rv.numpy()[None, :, None, None]
                                                            + 1e-5)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        F.batch_norm(minigrad.zeros(1, 3), rm, rv, training=True)


def test_cross_entropy_on_huge_logits_is_finite_and_exact():
    z = minigrad.tensor([[1e4, -1e4, 0.0], [0.0, 0.0, 1e4]], requires_grad=True)
    loss = F.cross_entropy(z, minigrad.tensor([1, 2]), reduction="none")
    np.testing.assert_allclose(loss.numpy(), [2e4, 0.0])
    loss.sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [[1, -1, 0], [0, 0, 0]])


def test_cross_entropy_one_hot_equals_indices_and_single_sample():
    rng = np.random.default_rng(1)
    z = minigrad.tensor(rng.standard_normal((6, 4)))
    t = minigrad.tensor(rng.integers(0, 4, 6))
    by_index = F.cross_entropy(z, t)
    by_probs = F.cross_entropy(z, F.one_hot(t, 4).float())
    np.testing.assert_allclose(by_index.item(), by_probs.item(), rtol=1e-6)
    single = F.cross_entropy(z[0], t[0], reduction="none")
    assert single.shape == () and np.isclose(single.item(),
                                             F.cross_entropy(z, t, reduction="none")[0].item())


@pytest.mark.parametrize("call, error, message", [
    (lambda z: F.cross_entropy(z, minigrad.tensor([0, 5])), ValueError,
     r"target class 5 is out of range for 3 classes"),
    (lambda z: F.cross_entropy(z, minigrad.tensor([0.0, 1.0])), ValueError,
     r"class indices must be an integer tensor \(got dtype float32\)"),
    (lambda z: F.cross_entropy(z, minigrad.tensor([0, 1, 2])), ValueError,
     r"class-index target must have shape \(2,\)"),
    (lambda z: F.cross_entropy(z, minigrad.tensor([0, 1]), reduction="avg"), ValueError,
     r"reduction must be one of"),
    (lambda z: F.nll_loss(z, minigrad.tensor([-1, 0])), ValueError, r"target class -1"),
    (lambda z: F.mse_loss(z, minigrad.zeros(3)), ValueError, r"input \(2, 3\) and target \(3,\)"),
    (lambda z: F.binary_cross_entropy(z, minigrad.zeros(2, 3)), ValueError,
     r"probabilities in \[0, 1\]"),
    (lambda z: F.embedding(minigrad.tensor([0, 4]), z), IndexError,
     r"index 4 is out of range for 2 entries"),
    (lambda z: F.embedding(minigrad.tensor([0.0]), z), TypeError, r"integers, got dtype float32"),
])
def test_loss_and_lookup_errors(call, error, message):
    z = minigrad.tensor([[1.0, 2.0, 3.0], [-1.0, 0.0, 5.0]], requires_grad=True)
    with pytest.raises(error, match=message):
        call(z)
    assert z.grad is None


@pytest.mark.parametrize("call, message", [
    (lambda: F.conv2d(minigrad.zeros(3, 8, 8), minigrad.zeros(4, 3, 3, 3)),
     r"expected input of shape \(N, C, H, W\), got \(3, 8, 8\)"),
    (lambda: F.conv2d(minigrad.zeros(1, 2, 8, 8), minigrad.zeros(4, 3, 3, 3)),
     r"input has 2 channels"),
    (lambda: F.conv2d(minigrad.zeros(1, 3, 2, 2), minigrad.zeros(4, 3, 3, 3)),
     r"smaller than the \(dilated\) kernel"),
    (lambda: F.conv2d(minigrad.zeros(1, 3, 8, 8), minigrad.zeros(4, 3, 2, 2), padding="same"),
     r"even kernel"),
    (lambda: F.max_pool2d(minigrad.zeros(1, 1, 4, 4), 2, padding=2), r"at most half"),
    (lambda: F.linear(minigrad.zeros(2, 5), minigrad.zeros(3, 4)),
     r"input has shape \(2, 5\), expected \(\.\.\., 4\)"),
    (lambda: F.linear(minigrad.zeros(2, 4, dtype=minigrad.int64), minigrad.zeros(3, 4)),
     r"must be floating point, got dtype int64"),
])
def test_layer_shape_errors_name_the_op(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_conv2d_same_padding_keeps_the_size():
    x = minigrad.randn(2, 3, 9, 7)
    w = minigrad.randn(5, 3, 3, 5)
    assert F.conv2d(x, w, padding="same").shape == (2, 5, 9, 7)


def test_one_hot():
    np.testing.assert_array_equal(F.one_hot(minigrad.tensor([2, 0]), 3).numpy(),
                                  [[0, 0, 1], [1, 0, 0]])
    assert F.one_hot(minigrad.tensor([1, 3])).shape == (2, 4)


def test_embedding_padding_row_gets_no_gradient():
    w = minigrad.tensor(np.ones((4, 2)), requires_grad=True)
    F.embedding(minigrad.tensor([[0, 1], [1, 3]]), w, padding_idx=1).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1, 1], [0, 0], [0, 0], [1, 1]])
