"""The pointwise math ops and activations of issue 20: values at the special points (where a
naive formula loses precision or overflows), dtypes, PyTorch's gradient conventions (0 for
the rounding ops, 0 at hardtanh's bounds), and agreement with PyTorch where it is installed.

The op table (tests/ops/op_table.py) already checks every op against NumPy on random inputs
and its gradient against finite differences; this file checks what random inputs miss.
"""
import math

import numpy as np
import pytest

import minigrad
from minigrad import functional as F

try:
    import torch
except ImportError:          # PyTorch is an oracle here, not a dependency (not in CI)
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed (it is only "
                                                       "the oracle of these tests)")


def t(values, dtype="float32", grad=False):
    return minigrad.tensor(np.asarray(values, dtype=dtype), requires_grad=grad)


def grad_of(fn, values, dtype="float32", **kwargs):
    x = t(values, dtype, grad=True)
    fn(x, **kwargs).sum().backward()
    return x.grad.numpy()


# -- precision near 0 ----------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_log1p_and_expm1_are_exact_near_zero(dtype):
    tiny = np.array([1e-10, -1e-12, 1e-30, 0.0], dtype=dtype)
    # the naive forms lose everything: 1 + 1e-10 rounds to 1 (in float32 and float64 alike)
    assert np.log(1 + tiny[0]) == 0 or dtype == "float64"
    np.testing.assert_allclose(F.log1p(t(tiny, dtype)).numpy(), tiny, rtol=1e-6)
    np.testing.assert_allclose(F.expm1(t(tiny, dtype)).numpy(), tiny, rtol=1e-6)
    np.testing.assert_allclose(grad_of(F.log1p, tiny, dtype), 1 / (1 + tiny), rtol=1e-6)
    np.testing.assert_allclose(grad_of(F.expm1, tiny, dtype), np.exp(tiny), rtol=1e-6)


def test_log1p_at_minus_one_and_poles_give_infinities_as_pytorch():
    with np.errstate(divide="ignore"):
        assert F.log1p(t([-1.0])).numpy()[0] == -np.inf
        assert F.rsqrt(t([0.0])).numpy()[0] == np.inf
        assert F.reciprocal(t([0.0, -0.0])).numpy().tolist() == [np.inf, -np.inf]
        assert F.log2(t([0.0])).numpy()[0] == -np.inf
        assert F.log10(t([0.0])).numpy()[0] == -np.inf


def test_outside_the_domain_is_nan_as_pytorch():
    with np.errstate(invalid="ignore"):
        for fn in (F.asin, F.acos):
            assert np.isnan(fn(t([1.5, -2.0])).numpy()).all()
        assert np.isnan(F.log2(t([-1.0])).numpy()).all()
        assert np.isnan(F.rsqrt(t([-4.0])).numpy()).all()


def test_exact_values():
    np.testing.assert_allclose(F.log2(t([1.0, 2.0, 1024.0])).numpy(), [0, 1, 10])
    np.testing.assert_allclose(F.log10(t([1.0, 1000.0])).numpy(), [0, 3])
    np.testing.assert_allclose(F.exp2(t([-1.0, 0.0, 10.0])).numpy(), [0.5, 1, 1024])
    np.testing.assert_allclose(F.rsqrt(t([4.0, 0.25])).numpy(), [0.5, 2])
    np.testing.assert_allclose(F.erf(t([0.0, np.inf, -np.inf])).numpy(), [0, 1, -1])
    np.testing.assert_allclose(F.erf(t([0.5], "float64")).numpy(), [math.erf(0.5)], rtol=1e-15)
    np.testing.assert_allclose(F.atan2(t([1.0, 1.0, -1.0, -1.0]), t([1.0, -1.0, 1.0, -1.0]))
                               .numpy(), [math.pi / 4, 3 * math.pi / 4, -math.pi / 4,
                                          -3 * math.pi / 4], rtol=1e-6)
    assert F.atan2(t([0.0]), t([-1.0])).numpy()[0] == np.float32(math.pi)


# -- rounding: values, dtypes and PyTorch's zero gradient -----------------------------------------

def test_round_halves_to_even_and_rounds_to_decimals():
    assert F.round(t([0.5, 1.5, 2.5, -0.5, -1.5, 0.49])).numpy().tolist() == \
        [0, 2, 2, -0.0, -2, 0]
    np.testing.assert_allclose(F.round(t([1.234, -5.678], "float64"), decimals=2).numpy(),
                               [1.23, -5.68])
    np.testing.assert_allclose(F.round(t([1234.0, 5678.0]), decimals=-2).numpy(), [1200, 5700])


def test_floor_ceil_trunc_sign():
    x = t([-1.5, -0.5, 0.0, 0.5, 1.5])
    assert F.floor(x).numpy().tolist() == [-2, -1, 0, 0, 1]
    assert F.ceil(x).numpy().tolist() == [-1, -0.0, 0, 1, 2]
    assert F.trunc(x).numpy().tolist() == [-1, -0.0, 0, 0, 1]
    assert F.sign(x).numpy().tolist() == [-1, -1, 0, 1, 1]
    assert np.isnan(F.sign(t([np.nan])).numpy()[0])


@pytest.mark.parametrize("fn", [F.floor, F.ceil, F.trunc, F.round, F.sign,
                                lambda x: F.round(x, decimals=1)])
def test_rounding_ops_have_gradient_zero_as_pytorch(fn):
    g = grad_of(fn, [-1.5, -0.3, 0.0, 0.5, 2.7])
    assert g.dtype == np.float32 and (g == 0).all()


@pytest.mark.parametrize("fn", [F.floor, F.ceil, F.trunc, F.round, F.sign, F.square])
def test_integer_tensors_keep_their_dtype(fn):
    x = minigrad.tensor(np.array([-3, 0, 2], dtype=np.int64))
    y = fn(x)
    assert y.dtype == np.int64
    assert y.numpy().tolist() == {F.sign: [-1, 0, 1], F.square: [9, 0, 4]}.get(fn, [-3, 0, 2])


def test_sign_of_a_bool_tensor_is_itself():
    assert F.sign(minigrad.tensor([True, False])).numpy().tolist() == [True, False]


@pytest.mark.parametrize("fn", [F.sin, F.cos, F.tan, F.atan, F.sinh, F.cosh, F.log2, F.log10,
                                F.log1p, F.expm1, F.exp2, F.rsqrt, F.reciprocal, F.erf,
                                F.softplus, F.silu, F.elu, F.logsigmoid, F.mish])
def test_integer_tensors_give_float32(fn):
    y = fn(minigrad.tensor(np.array([1, 2, 3], dtype=np.int64)))
    assert y.dtype == np.float32


def test_atan2_broadcasts_and_promotes_integers():
    y = F.atan2(minigrad.tensor([[1], [2]]), minigrad.tensor([1, 2, 3]))
    assert y.shape == (2, 3) and y.dtype == np.float32
    np.testing.assert_allclose(y.numpy(), np.arctan2([[1], [2]], [1, 2, 3]), rtol=1e-6)
    np.testing.assert_allclose(F.atan2(t([1.0, 2.0]), 2.0).numpy(), np.arctan2([1, 2], 2),
                               rtol=1e-6)


# -- activations: no overflow at ±1e4, PyTorch's thresholds and bounds -------------------------

@pytest.mark.parametrize("fn, values, grads", [
    (F.softplus, [0.0, 1e4], [0.0, 1.0]),
    (F.logsigmoid, [-1e4, 0.0], [1.0, 0.0]),
    (F.silu, [-0.0, 1e4], [0.0, 1.0]),
    (F.mish, [-0.0, 1e4], [0.0, 1.0]),
    (F.elu, [-1.0, 1e4], [0.0, 1.0]),
])
def test_activations_are_finite_and_exact_at_large_inputs(fn, values, grads):
    x = t([-1e4, 1e4], grad=True)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # underflow is fine
        y = fn(x)
        y.sum().backward()
    np.testing.assert_allclose(y.numpy(), values, atol=1e-30)
    np.testing.assert_allclose(x.grad.numpy(), grads, atol=1e-30)


def test_softplus_threshold_and_beta():
    x = t([-2.0, 0.0, 5.0, 30.0], "float64", grad=True)
    y = F.softplus(x, beta=2.0, threshold=8.0)        # βx > 8 only at x = 30 (and 5: 10 > 8)
    want = np.where(2 * x.numpy() > 8, x.numpy(), np.log1p(np.exp(2 * x.numpy())) / 2)
    np.testing.assert_allclose(y.numpy(), want, rtol=1e-15)
    y.sum().backward()
    sig = 1 / (1 + np.exp(-2 * x.numpy()))
    np.testing.assert_allclose(x.grad.numpy(), np.where(2 * x.numpy() > 8, 1, sig), rtol=1e-15)
    assert F.softplus(t([0.0]), beta=-1.0).numpy()[0] == np.float32(-math.log(2))


def test_hardtanh_and_relu6_have_zero_gradient_at_their_bounds():
    np.testing.assert_array_equal(grad_of(F.hardtanh, [-1.0, -0.5, 1.0, 2.0]), [0, 1, 0, 0])
    np.testing.assert_array_equal(grad_of(F.relu6, [-1.0, 0.0, 3.0, 6.0, 7.0]), [0, 0, 1, 0, 0])
    np.testing.assert_array_equal(F.relu6(t([-1.0, 3.0, 9.0])).numpy(), [0, 3, 6])


def test_elu_gradient_at_zero_uses_the_negative_branch_as_pytorch():
    np.testing.assert_allclose(grad_of(F.elu, [0.0], alpha=2.0), [2.0])


def test_inplace_is_accepted_and_returns_a_new_tensor():
    x = t([-1.0, 2.0])
    before = x.numpy().copy()
    for fn in (F.silu, F.elu, F.hardtanh, F.relu6, F.mish):
        y = fn(x, inplace=True)
        assert y is not x
    np.testing.assert_array_equal(x.numpy(), before)


# -- smooth L1 and Huber ------------------------------------------------------------------------

def test_smooth_l1_and_huber_values_on_both_branches():
    a, b = t([0.0, 0.5, 3.0, -4.0], "float64"), t([0.0, 0.0, 0.0, 0.0], "float64")
    np.testing.assert_allclose(F.smooth_l1_loss(a, b, "none").numpy(), [0, 0.125, 2.5, 3.5])
    np.testing.assert_allclose(F.smooth_l1_loss(a, b, "none", beta=2.0).numpy(),
                               [0, 0.0625, 2.0, 3.0])
    np.testing.assert_allclose(F.smooth_l1_loss(a, b, "none", beta=0.0).numpy(), [0, 0.5, 3, 4])
    np.testing.assert_allclose(F.huber_loss(a, b, "none", delta=2.0).numpy(),
                               [0, 0.125, 4.0, 6.0])
    # Huber(δ) = δ · smooth L1(β = δ)
    np.testing.assert_allclose(F.huber_loss(a, b, "sum", delta=2.0).numpy(),
                               2.0 * F.smooth_l1_loss(a, b, "sum", beta=2.0).numpy())


def test_smooth_l1_gradients_reach_input_and_target():
    a = t([0.5, 3.0], "float64", grad=True)
    b = t([0.0, -1.0], "float64", grad=True)
    F.smooth_l1_loss(a, b, "sum").backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.5, 1.0])
    np.testing.assert_allclose(b.grad.numpy(), [-0.5, -1.0])


# -- against PyTorch ----------------------------------------------------------------------------

UNARY = [  # (name, minigrad, torch name, domain)
    ("sin", F.sin, "sin", (-4, 4)), ("cos", F.cos, "cos", (-4, 4)),
    ("tan", F.tan, "tan", (-1.4, 1.4)), ("asin", F.asin, "asin", (-0.99, 0.99)),
    ("acos", F.acos, "acos", (-0.99, 0.99)), ("atan", F.atan, "atan", (-5, 5)),
    ("sinh", F.sinh, "sinh", (-5, 5)), ("cosh", F.cosh, "cosh", (-5, 5)),
    ("log2", F.log2, "log2", (0.01, 10)), ("log10", F.log10, "log10", (0.01, 10)),
    ("log1p", F.log1p, "log1p", (-0.99, 10)), ("expm1", F.expm1, "expm1", (-5, 5)),
    ("exp2", F.exp2, "exp2", (-5, 5)), ("square", F.square, "square", (-5, 5)),
    ("rsqrt", F.rsqrt, "rsqrt", (0.01, 10)), ("reciprocal", F.reciprocal, "reciprocal", (0.1, 5)),
    ("erf", F.erf, "erf", (-4, 4)), ("sign", F.sign, "sign", (-3, 3)),
    ("floor", F.floor, "floor", (-3, 3)), ("ceil", F.ceil, "ceil", (-3, 3)),
    ("round", F.round, "round", (-3, 3)), ("trunc", F.trunc, "trunc", (-3, 3)),
    ("neg", F.neg, "neg", (-3, 3)),
]
ACTIVATIONS = [  # (name, minigrad, torch.nn.functional call)
    ("softplus", F.softplus, lambda tf, x: tf.softplus(x)),
    ("softplus_beta", lambda x: F.softplus(x, beta=3.0, threshold=5.0),
     lambda tf, x: tf.softplus(x, beta=3.0, threshold=5.0)),
    ("silu", F.silu, lambda tf, x: tf.silu(x)),
    ("elu", lambda x: F.elu(x, 0.7), lambda tf, x: tf.elu(x, 0.7)),
    ("hardtanh", lambda x: F.hardtanh(x, -2.0, 1.5), lambda tf, x: tf.hardtanh(x, -2.0, 1.5)),
    ("relu6", F.relu6, lambda tf, x: tf.relu6(x)),
    ("logsigmoid", F.logsigmoid, lambda tf, x: tf.logsigmoid(x)),
    ("mish", F.mish, lambda tf, x: tf.mish(x)),
]


def _compare(ours, theirs, values, dtype, rtol, atol):
    """Forward and gradient (for a random cotangent) of both frameworks on ``values``."""
    x = minigrad.tensor(values.astype(dtype), requires_grad=True)
    tx = torch.tensor(values.astype(dtype), requires_grad=True)
    cot = np.random.default_rng(1).standard_normal(values.shape).astype(dtype)
    y, ty = ours(x), theirs(tx)
    y.backward(minigrad.tensor(cot))
    ty.backward(torch.tensor(cot))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=rtol, atol=atol)


@needs_torch
@pytest.mark.parametrize("dtype, rtol, atol", [("float64", 1e-12, 1e-12),
                                               ("float32", 2e-6, 1e-6)])
@pytest.mark.parametrize("name, ours, torch_name, domain", UNARY, ids=[u[0] for u in UNARY])
def test_unary_ops_match_pytorch(name, ours, torch_name, domain, dtype, rtol, atol):
    rng = np.random.default_rng(0)
    values = rng.uniform(*domain, (5, 7))
    if name in ("floor", "ceil", "round", "trunc", "sign"):
        values = np.concatenate([values.ravel(), [-2.5, -0.5, 0.0, 0.5, 1.5, 2.5]])
    _compare(ours, getattr(torch, torch_name), values, dtype, rtol, atol)


@needs_torch
@pytest.mark.parametrize("dtype, rtol, atol", [("float64", 1e-12, 1e-12),
                                               ("float32", 2e-6, 1e-6)])
@pytest.mark.parametrize("name, ours, theirs", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activations_match_pytorch(name, ours, theirs, dtype, rtol, atol):
    rng = np.random.default_rng(0)
    # wide values, the kinks and bounds themselves, and large magnitudes
    values = np.concatenate([rng.uniform(-8, 8, 40), [-2.0, -1.0, 0.0, 1.5, 6.0, -30.0, 30.0]])
    _compare(ours, lambda x: theirs(torch.nn.functional, x), values, dtype, rtol, atol)


@needs_torch
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_atan2_matches_pytorch(dtype):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((4, 1)), rng.standard_normal((1, 5))
    ours_a, ours_b = (minigrad.tensor(v.astype(dtype), requires_grad=True) for v in (a, b))
    th_a, th_b = (torch.tensor(v.astype(dtype), requires_grad=True) for v in (a, b))
    y, ty = F.atan2(ours_a, ours_b), torch.atan2(th_a, th_b)
    y.sum().backward()
    ty.sum().backward()
    tol = 1e-12 if dtype == "float64" else 2e-6
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(ours_a.grad.numpy(), th_a.grad.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(ours_b.grad.numpy(), th_b.grad.numpy(), rtol=tol, atol=tol)


@needs_torch
@pytest.mark.parametrize("decimals", [1, 2, -1])
def test_round_with_decimals_matches_pytorch(decimals):
    values = np.random.default_rng(3).uniform(-100, 100, 50)
    np.testing.assert_array_equal(F.round(t(values, "float64"), decimals=decimals).numpy(),
                                  torch.round(torch.tensor(values), decimals=decimals).numpy())


@needs_torch
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("loss, param, value", [
    ("smooth_l1_loss", "beta", 1.0), ("smooth_l1_loss", "beta", 0.3),
    ("smooth_l1_loss", "beta", 0.0), ("huber_loss", "delta", 1.0),
    ("huber_loss", "delta", 2.5)])
def test_robust_losses_match_pytorch(loss, param, value, reduction):
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((6, 3)) * 2, rng.standard_normal((6, 3))
    ours_a, ours_b = (minigrad.tensor(v, requires_grad=True) for v in (a, b))
    th_a, th_b = (torch.tensor(v, requires_grad=True) for v in (a, b))
    y = getattr(F, loss)(ours_a, ours_b, reduction=reduction, **{param: value})
    ty = getattr(torch.nn.functional, loss)(th_a, th_b, reduction=reduction, **{param: value})
    cot = rng.standard_normal(ty.shape)
    y.backward(minigrad.tensor(cot))
    ty.backward(torch.tensor(cot))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours_a.grad.numpy(), th_a.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(ours_b.grad.numpy(), th_b.grad.numpy(), rtol=1e-12, atol=1e-14)
