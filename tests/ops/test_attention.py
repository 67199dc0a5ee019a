"""F.scaled_dot_product_attention against PyTorch's (float64), its dropout, and its errors.

The op table (tests/ops/op_table_nn.py) checks it against NumPy and finite differences;
the kernels are compared with the reference in tests/kernels.  Here: PyTorch as the oracle
for forward and backward over masks, causal, L ≠ S, heads and batch shapes.
"""
import numpy as np
import pytest

import minigrad
from minigrad import functional as F

torch = pytest.importorskip("torch", reason="PyTorch is the oracle for these tests")

CASES = [  # (batch axes, L, S, E, Ev, mask kind)
    ((), 4, 4, 3, 3, "none"),
    ((2,), 5, 7, 4, 6, "causal"),
    ((2, 3), 7, 5, 4, 2, "causal"),          # L > S: the top-left triangle
    ((2, 4), 6, 9, 8, 8, "bool"),
    ((3,), 1, 6, 5, 5, "bool_rows"),         # a whole query row masked
    ((2, 2), 5, 5, 4, 4, "float"),
    ((2, 2), 5, 6, 4, 4, "shared_bool"),     # one (L, S) mask for every batch and head
    ((2, 3), 4, 4, 4, 4, "key_padding"),     # (N, 1, 1, S), as MultiheadAttention builds
]


def _mask(kind, batch, length, keys, rng):
    if kind == "bool":
        return rng.random(batch + (length, keys)) > 0.4
    if kind == "bool_rows":
        m = rng.random(batch + (length, keys)) > 0.4
        m[0, 0] = False
        return m
    if kind == "float":
        return rng.standard_normal(batch + (length, keys))
    if kind == "shared_bool":
        return rng.random((length, keys)) > 0.3
    if kind == "key_padding":
        return rng.random((batch[0], 1, 1, keys)) > 0.3
    return None


@pytest.mark.parametrize("batch,length,keys,e,ev,kind", CASES)
def test_forward_and_backward_match_pytorch(batch, length, keys, e, ev, kind):
    rng = np.random.default_rng(len(batch) * 100 + length * 10 + keys)
    arrays = [rng.standard_normal(batch + shape) for shape in
              ((length, e), (keys, e), (keys, ev))]
    mask = _mask(kind, batch, length, keys, rng)
    scale = None if kind != "float" else 0.37
    ours = [minigrad.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    y = F.scaled_dot_product_attention(
        *ours, attn_mask=None if mask is None else minigrad.tensor(mask),
        is_causal=kind == "causal", scale=scale)
    t = torch.nn.functional.scaled_dot_product_attention(
        *theirs, attn_mask=None if mask is None else torch.tensor(mask),
        is_causal=kind == "causal", scale=scale)
    np.testing.assert_allclose(y.numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)
    dy = rng.standard_normal(y.shape)
    y.backward(minigrad.tensor(dy))
    t.backward(torch.tensor(dy))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_fully_masked_row_gives_zero_output_and_gradient():
    q, k, v = (minigrad.randn(1, 3, 4, dtype=minigrad.float64, requires_grad=True)
               for _ in range(3))
    mask = np.ones((3, 3), dtype=bool)
    mask[1] = False
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=minigrad.tensor(mask))
    assert np.all(y.numpy()[0, 1] == 0) and np.isfinite(y.numpy()).all()
    y.sum().backward()
    assert np.all(q.grad.numpy()[0, 1] == 0)
    assert np.isfinite(k.grad.numpy()).all() and np.isfinite(v.grad.numpy()).all()


@pytest.mark.parametrize("impl", ["numpy", "numba", "blas"])
@pytest.mark.parametrize("batch, length, keys, ev", [(1, 0, 4, 3), (1, 4, 0, 3), (0, 4, 4, 3),
                                                     (2, 4, 4, 0)])
@pytest.mark.parametrize("causal", [False, True])
def test_empty_queries_keys_batch_or_values_match_pytorch(impl, batch, length, keys, ev,
                                                          causal):
    """No query: an empty output; no key: every row is 0 (PyTorch's answers), gradients 0;
    the kernels are not called on empty sequences."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((batch, 2, n, d)) for n, d in
              ((length, 5), (keys, 5), (keys, ev))]
    ours = [minigrad.tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    with minigrad.backend.use_kernels(attention=impl):
        y = F.scaled_dot_product_attention(*ours, is_causal=causal)
        y.sum().backward()
    t = torch.nn.functional.scaled_dot_product_attention(*theirs, is_causal=causal)
    t.sum().backward()
    np.testing.assert_array_equal(y.numpy(), t.detach().numpy())
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())


def test_gradcheck_with_a_bias_mask_and_custom_scale():
    rng = np.random.default_rng(3)
    q, k, v = (minigrad.tensor(rng.standard_normal((2, 3, s, 4)), requires_grad=True)
               for s in (3, 5, 5))
    bias = minigrad.tensor(rng.standard_normal((3, 5)))
    assert minigrad.gradcheck(lambda a, b, c: F.scaled_dot_product_attention(
        a, b, c, attn_mask=bias, scale=0.8), (q, k, v))


def test_dropout_is_the_reference_with_the_drawn_mask():
    """With dropout, the output is softmax(s)·drop·v for the keep mask the seeded generator
    draws (the draw F.dropout would make), and the gradient is checked with that mask
    redrawn identically at every evaluation."""
    rng = np.random.default_rng(0)
    q, k, v = (minigrad.tensor(rng.standard_normal((2, 5, 4)), requires_grad=True)
               for _ in range(3))
    p = 0.3
    minigrad.manual_seed(7)
    y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
    minigrad.manual_seed(7)
    keep = minigrad.random.generator().random((2, 5, 5)) >= p
    s = q.numpy() @ k.numpy().transpose(0, 2, 1) / 2.0
    s = np.where(np.tril(np.ones((5, 5), dtype=bool)), s, -np.inf)
    probs = np.exp(s - s.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    np.testing.assert_allclose(y.numpy(), (probs * keep / (1 - p)) @ v.numpy(), rtol=1e-12)

    def seeded(a, b, c):
        minigrad.manual_seed(7)
        return F.scaled_dot_product_attention(a, b, c, dropout_p=p, is_causal=True)
    assert minigrad.gradcheck(seeded, (q, k, v))


def test_float32_stays_float32_and_agrees_with_float64():
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal((2, 4, 16, 8)) for _ in range(3)]
    y64 = F.scaled_dot_product_attention(*map(minigrad.tensor, arrays), is_causal=True)
    y32 = F.scaled_dot_product_attention(
        *(minigrad.tensor(a, dtype=minigrad.float32) for a in arrays), is_causal=True)
    assert y32.dtype == np.float32
    np.testing.assert_allclose(y32.numpy(), y64.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("call,error,words", [
    (lambda q, k, v: F.scaled_dot_product_attention(q, k[:, :, :3], v), ValueError,
     "same feature size"),
    (lambda q, k, v: F.scaled_dot_product_attention(q, k, v[:1]), ValueError,
     "same batch axes"),
    (lambda q, k, v: F.scaled_dot_product_attention(q, k, v[:, :3]), ValueError,
     "same length S"),
    (lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=minigrad.ones(5, 5, dtype=minigrad.bool_), is_causal=True),
     ValueError, "not both"),
    (lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=minigrad.ones(3, 5, dtype=minigrad.bool_)), ValueError,
     "broadcast"),
    (lambda q, k, v: F.scaled_dot_product_attention(
        q, k, v, attn_mask=minigrad.ones(5, 5, dtype=minigrad.int64)), TypeError,
     "bool or floating"),
    (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, dropout_p=1.0), ValueError,
     "dropout_p"),
    (lambda q, k, v: F.scaled_dot_product_attention(q, k.double(), v), TypeError,
     "one floating dtype"),
    (lambda q, k, v: F.scaled_dot_product_attention(q[0, 0], k, v), ValueError,
     "at least 2 axes"),
    (lambda q, k, v: F.scaled_dot_product_attention(q, k, v, scale=float("nan")),
     ValueError, "scale"),
])
def test_bad_arguments_are_named(call, error, words):
    q, k, v = (minigrad.randn(2, 5, 4) for _ in range(3))
    with pytest.raises(error, match=words):
        call(q, k, v)
