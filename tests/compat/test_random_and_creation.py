"""Issue 20, items 7 and 2 (creation): ``minigrad.Generator`` and the ``generator=`` keyword
of every random function, ``randperm``, ``normal``, ``seed``/``initial_seed``, and PyTorch's
creation functions (linspace, logspace, empty, the ``*_like`` forms, ``size=``), with NumPy
and PyTorch (where installed) as oracles, and every bad argument named."""
import numpy as np
import pytest

import minigrad
from minigrad import creation
from minigrad import random as mg_random

try:
    import torch
except ImportError:      # the oracle is optional: CI has no PyTorch
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")

C = creation       # the functions live here; the lead exports them as minigrad.X

# name -> a draw from generator g (None: the global one)
DRAWS = {
    "rand": lambda g: C.rand(3, 4, generator=g),
    "randn": lambda g: C.randn(size=(5,), generator=g),
    "randint": lambda g: C.randint(0, 100, (6,), generator=g),
    "randperm": lambda g: C.randperm(10, generator=g),
    "normal": lambda g: C.normal(2.0, 3.0, (4,), generator=g),
    "normal_tensor": lambda g: C.normal(C.zeros(2, 3), C.ones(3), generator=g),
    "multinomial": lambda g: C.multinomial(minigrad.tensor([0.2, 0.3, 0.5]), 5, True,
                                           generator=g),
    "rand_like": lambda g: C.rand_like(C.zeros(2, 2), generator=g),
    "randn_like": lambda g: C.randn_like(C.zeros(3, dtype="float64"), generator=g),
    "randint_like": lambda g: C.randint_like(C.zeros(4), 3, 9, generator=g),
}


@pytest.mark.parametrize("name", DRAWS)
def test_a_generator_is_reproducible_and_leaves_the_global_one_alone(name):
    draw = DRAWS[name]
    minigrad.manual_seed(11)
    state = mg_random.get_state()
    a = draw(minigrad.Generator().manual_seed(5)).numpy()
    b = draw(minigrad.Generator().manual_seed(5)).numpy()
    c = draw(minigrad.Generator().manual_seed(6)).numpy()
    np.testing.assert_array_equal(a, b)
    assert mg_random.get_state() == state            # the global stream did not move
    assert name == "randint_like" and a.size < 5 or not np.array_equal(a, c)
    # and the global generator gives its own, seeded, stream
    minigrad.manual_seed(11)
    d = draw(None).numpy()
    minigrad.manual_seed(11)
    np.testing.assert_array_equal(draw(None).numpy(), d)


def test_a_generator_stream_continues_and_its_state_round_trips():
    g = minigrad.Generator().manual_seed(1)
    first = C.rand(4, generator=g).numpy()
    state = g.get_state()
    second = C.rand(4, generator=g).numpy()
    assert not np.array_equal(first, second)
    g.set_state(state)
    np.testing.assert_array_equal(C.rand(4, generator=g).numpy(), second)
    assert g.initial_seed() == 1


def test_seed_and_initial_seed():
    s = mg_random.seed()
    assert isinstance(s, int) and 0 <= s < 2**64 and mg_random.initial_seed() == s
    assert mg_random.manual_seed(7) == 7 and mg_random.initial_seed() == 7
    g = minigrad.Generator()
    assert isinstance(g.initial_seed(), int)
    s = g.seed()
    assert g.initial_seed() == s


@pytest.mark.parametrize("n", [0, 1, 2, 17, 1000])
def test_randperm_is_a_permutation(n):
    p = C.randperm(n, generator=minigrad.Generator().manual_seed(n))
    assert p.dtype == minigrad.int64 and p.shape == (n,)
    np.testing.assert_array_equal(np.sort(p.numpy()), np.arange(n))
    assert C.randperm(5, dtype="int32").dtype == minigrad.int32


def test_normal_moments_and_overloads():
    g = minigrad.Generator().manual_seed(0)
    x = C.normal(2.0, 3.0, size=(200_000,), generator=g).numpy().astype(np.float64)
    assert abs(x.mean() - 2.0) < 0.03 and abs(x.std() - 3.0) < 0.03
    mean = minigrad.tensor([[-5.0], [5.0]], dtype="float64")
    std = minigrad.tensor([0.5, 1.0, 2.0, 0.0] * 10_000, dtype="float64")
    y = C.normal(mean, std, generator=g)
    assert y.shape == (2, 40_000) and y.dtype == minigrad.float64
    draws = y.numpy().reshape(2, 10_000, 4)
    np.testing.assert_allclose(draws.mean(axis=1), [[-5] * 4, [5] * 4], atol=0.05)
    np.testing.assert_allclose(draws.std(axis=1), [[0.5, 1, 2, 0]] * 2, rtol=0.03)
    assert C.normal(mean, 1.0).shape == (2, 1)
    assert C.normal(0.0, std[:3]).shape == (3,)
    assert C.normal(mean=0.0, std=1.0, size=(2,)).dtype == minigrad.float32


# -- creation: values against NumPy and PyTorch ------------------------------------------------

SPACES = [(0, 1, 5), (-3.5, 7.25, 50), (10, -10, 7), (1e-3, 1e3, 101), (2, 2, 4), (0, 1, 1),
          (0, 1, 0), (-1, 1, 1000)]


@pytest.mark.parametrize("start, end, steps", SPACES)
def test_linspace_and_logspace_match_numpy(start, end, steps):
    np.testing.assert_allclose(C.linspace(start, end, steps, dtype="float64").numpy(),
                               np.linspace(start, end, steps), rtol=1e-14, atol=1e-14)
    lo, hi = start / 1000, end / 1000
    np.testing.assert_allclose(C.logspace(lo, hi, steps, dtype="float64").numpy(),
                               np.logspace(lo, hi, steps), rtol=1e-13)
    np.testing.assert_allclose(C.logspace(lo, hi, steps, base=2.0, dtype="float64").numpy(),
                               np.logspace(lo, hi, steps, base=2.0), rtol=1e-13)
    if steps:
        assert C.linspace(start, end, steps)[-1].item() == np.float32(end if steps > 1
                                                                       else start)


@needs_torch
@pytest.mark.parametrize("start, end, steps", SPACES)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64"])
def test_linspace_and_logspace_match_pytorch(start, end, steps, dtype):
    mine = C.linspace(start, end, steps, dtype=dtype).numpy()
    theirs = torch.linspace(start, end, steps, dtype=getattr(torch, dtype)).numpy()
    assert mine.dtype == theirs.dtype and mine.shape == theirs.shape
    if dtype == "int64":
        assert np.abs(mine - theirs).max(initial=0) <= 1     # truncation of ±1 ulp
    else:
        # PyTorch's vectorised kernel counts from a lane's start: the last bit may differ
        np.testing.assert_allclose(mine, theirs, rtol=4 * np.finfo(dtype).eps,
                                   atol=4 * np.finfo(dtype).eps * max(abs(start), abs(end)))
    for base in (10.0, 2.0):
        lo, hi = start / 100, end / 100
        mine = C.logspace(lo, hi, steps, base=base, dtype=dtype).numpy()
        theirs = torch.logspace(lo, hi, steps, base=base, dtype=getattr(torch, dtype)).numpy()
        assert mine.dtype == theirs.dtype and mine.shape == theirs.shape
        # an exponent's last bit (see above) moves base**e by ln(base)·|e|·eps
        eps = np.finfo("float32" if dtype == "int64" else dtype).eps
        rtol = 4 * eps * (1 + np.log(base) * max(abs(lo), abs(hi)))
        np.testing.assert_allclose(mine, theirs, rtol=rtol, atol=1 if dtype == "int64" else 0)


@needs_torch
@pytest.mark.parametrize("args", [(10,), (0, 1, 0.1), (1, 2.5, 0.5), (-1, 1, 0.3), (5, 0, -1),
                                  (0.5, 3), (0, 10, 3), (-2.5, 2.5, 0.25)])
def test_arange_matches_pytorch(args):
    mine, theirs = C.arange(*args).numpy(), torch.arange(*args).numpy()
    assert mine.dtype == theirs.dtype
    np.testing.assert_allclose(mine, theirs, rtol=1e-6, atol=1e-6)


@needs_torch
def test_creation_functions_match_pytorch_dtypes_and_shapes():
    i64 = minigrad.ones(2, 3, dtype="int64")
    f64 = minigrad.ones(2, 3, dtype="float64")
    ti64, tf64 = torch.ones(2, 3, dtype=torch.int64), torch.ones(2, 3, dtype=torch.float64)
    pairs = [
        (C.zeros(size=(2, 3)), torch.zeros(size=(2, 3))),
        (C.ones((4,)), torch.ones((4,))),
        (C.empty(2, 3), torch.empty(2, 3)),
        (C.empty(size=(0, 2), dtype="float64"), torch.empty(size=(0, 2), dtype=torch.float64)),
        (C.full((2,), 7), torch.full((2,), 7)),
        (C.full((2,), True), torch.full((2,), True)),
        (C.full((2, 2), 1.5), torch.full((2, 2), 1.5)),
        (C.zeros_like(i64), torch.zeros_like(ti64)),
        (C.ones_like(f64, dtype="float32"), torch.ones_like(tf64, dtype=torch.float32)),
        (C.empty_like(f64), torch.empty_like(tf64)),
        (C.full_like(i64, 3), torch.full_like(ti64, 3)),
        (C.full_like(f64, 0.5), torch.full_like(tf64, 0.5)),
        (C.rand_like(f64), torch.rand_like(tf64)),
        (C.randn_like(f64, dtype="float32"), torch.randn_like(tf64, dtype=torch.float32)),
        (C.randint_like(i64, 5), torch.randint_like(ti64, 5)),
        (C.randint_like(f64, 2, 5), torch.randint_like(tf64, 2, 5)),
        (C.eye(3), torch.eye(3)),
        (C.eye(2, 4, dtype="int64"), torch.eye(2, 4, dtype=torch.int64)),
        (C.randperm(4), torch.randperm(4)),
        (C.randint(3, (2, 2)), torch.randint(3, (2, 2))),
        (C.randint(low=1, high=3, size=(2,)), torch.randint(low=1, high=3, size=(2,))),
        (C.normal(C.zeros(2, 1), C.ones(3)), torch.normal(torch.zeros(2, 1), torch.ones(3))),
        (C.normal(0, 1, (2,), dtype="float64"), torch.normal(0, 1, (2,), dtype=torch.float64)),
        (C.linspace(0, 1, 3), torch.linspace(0, 1, 3)),
        (C.logspace(0, 1, 3), torch.logspace(0, 1, 3)),
    ]
    for mine, theirs in pairs:
        assert (str(mine.dtype), mine.shape) == (str(theirs.dtype).replace("torch.", ""),
                                                 tuple(theirs.shape))
        assert mine.requires_grad == theirs.requires_grad
    deterministic = [0, 1, 4, 5, 6, 7, 8, 10, 11, 16, 17, 23, 24]
    for mine, theirs in [pairs[i] for i in deterministic]:
        np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-6)


def test_like_forms_take_dtype_device_and_requires_grad():
    x = minigrad.ones(2, 3, dtype="float64")
    for fn in (C.zeros_like, C.ones_like, C.empty_like, C.rand_like, C.randn_like):
        y = fn(x, dtype="float32", device="cpu", requires_grad=True)
        assert y.dtype == minigrad.float32 and y.requires_grad and y.is_leaf
        assert y.device == "cpu" and y.shape == (2, 3)
    y = C.full_like(x, 2.0, requires_grad=True)
    assert y.requires_grad and y.dtype == minigrad.float64 and y.tolist() == [[2.0] * 3] * 2


def test_tensor_from_zero_d_tensors():
    t = minigrad.tensor([minigrad.tensor(1.5), minigrad.tensor(2.0, requires_grad=True)])
    assert t.tolist() == [1.5, 2.0] and t.dtype == minigrad.float32 and not t.requires_grad


def test_numbers_may_be_one_element_tensors():
    assert C.linspace(minigrad.tensor(0.0), minigrad.tensor(1.0), 3).tolist() == [0, 0.5, 1]
    assert C.arange(minigrad.tensor(3)).tolist() == [0, 1, 2]
    assert C.full((2,), minigrad.tensor(2.5)).tolist() == [2.5, 2.5]


# -- every bad argument, named -----------------------------------------------------------------

x = minigrad.ones(2, 3)
BAD = [
    (lambda: C.zeros(2, size=(3,)), TypeError, ["zeros: the size was given twice", "(2,)",
                                                "size=(3,)"]),
    (lambda: C.empty(2, 2.5), TypeError, ["empty: the size must be ints", "2.5 (float)"]),
    (lambda: C.empty(size=(-1,)), ValueError, ["empty: the size must be ints ≥ 0", "-1"]),
    (lambda: C.ones(2, dtype="flot32"), TypeError, ["ones: expected a dtype", "'flot32'"]),
    (lambda: C.rand(2, dtype="int64"), TypeError,
     ["rand: expected a floating-point dtype for a real-valued draw, got int64"]),
    (lambda: C.randn(2, generator=0), TypeError,
     ["randn: generator must be a minigrad.Generator or None, got int"]),
    (lambda: C.rand(size=(2, "3")), TypeError, ["rand: the size must be ints", "'3' (str)"]),
    (lambda: C.randint(0, 5, (2,), generator="g"), TypeError,
     ["randint: generator must be a minigrad.Generator or None, got str"]),
    (lambda: C.randint(3, 1, (2,)), ValueError, ["randint: expected low < high", "low=3",
                                                 "high=1"]),
    (lambda: C.randperm(2.5), TypeError, ["randperm: n must be an int ≥ 0", "2.5 (float)"]),
    (lambda: C.randperm(-3), ValueError, ["randperm: n must be an int ≥ 0", "-3"]),
    (lambda: C.randperm(3, generator=np.random.default_rng()), TypeError,
     ["randperm: generator must be a minigrad.Generator or None, got Generator"]),
    (lambda: C.randperm(3, dtype="complex64"), TypeError, ["randperm: unsupported dtype "
                                                           "complex64"]),
    (lambda: C.normal(0.0, -1.0, (2,)), ValueError,
     ["normal: std must be a finite number ≥ 0.0", "-1.0"]),
    (lambda: C.normal(float("nan"), 1.0, (2,)), ValueError,
     ["normal: mean must be a finite number", "nan"]),
    (lambda: C.normal("0", 1.0, (2,)), TypeError, ["normal: mean must be a finite number",
                                                   "'0' (str)"]),
    (lambda: C.normal(0.0, 1.0), TypeError, ["normal: with numbers for mean (0.0) and std "
                                             "(1.0), the size is needed"]),
    (lambda: C.normal(0.0, 1.0, (2, 1.5)), TypeError, ["normal: the size must be ints",
                                                       "1.5 (float)"]),
    (lambda: C.normal(x, 1.0, (2,)), TypeError, ["normal: size=(2,) is for number mean and "
                                                 "std"]),
    (lambda: C.normal(x, minigrad.tensor([1.0, -2.0])), ValueError,
     ["normal: the shapes of mean (2, 3) and std (2,) do not broadcast"]),
    (lambda: C.normal(x, minigrad.tensor([1.0, -2.0, 0.5])), ValueError,
     ["normal: std must be ≥ 0 everywhere, got -2.0"]),
    (lambda: C.normal(minigrad.ones(2, dtype="int64"), 1.0), TypeError,
     ["normal: mean must be a floating-point Tensor or a number", "int64"]),
    (lambda: C.multinomial(minigrad.ones(3), 2, generator=1), TypeError,
     ["multinomial: generator must be a minigrad.Generator or None, got int"]),
    (lambda: C.multinomial(minigrad.ones(3), 2, replacement="yes"), TypeError,
     ["multinomial: replacement must be True or False", "'yes' (str)"]),
    (lambda: C.linspace(0, 1, 2.5), TypeError, ["linspace: steps must be an int ≥ 0",
                                                "2.5 (float)"]),
    (lambda: C.linspace(0, 1, -1), ValueError, ["linspace: steps must be an int ≥ 0", "-1"]),
    (lambda: C.linspace("0", 1, 3), TypeError, ["linspace: start must be a finite number",
                                                "'0' (str)"]),
    (lambda: C.linspace(0, float("inf"), 3), ValueError,
     ["linspace: end must be a finite number", "inf"]),
    (lambda: C.linspace(0, 1, 3, dtype="str"), TypeError, ["linspace: unsupported dtype"]),
    (lambda: C.logspace(0, 1, 3, base=float("nan")), ValueError,
     ["logspace: base must be a finite number", "nan"]),
    (lambda: C.logspace(0, [1], 3), TypeError, ["logspace: end must be a finite number",
                                                "[1] (list)"]),
    (lambda: C.logspace(0, 1, None), TypeError, ["logspace: steps must be an int ≥ 0",
                                                 "None (NoneType)"]),
    (lambda: C.eye(2, dtype=3.5), TypeError, ["eye: expected a dtype", "3.5"]),
    (lambda: C.arange(0, 5, -1), ValueError, ["arange: step -1 goes away from stop",
                                              "start=0", "stop=5"]),
    (lambda: C.arange(), TypeError, ["arange: the end is missing"]),
    (lambda: C.arange(0, 5, end=6), TypeError, ["arange: the end was given twice", "5",
                                                 "end=6"]),
    (lambda: C.zeros_like([1, 2]), TypeError, ["zeros_like: input must be a Tensor",
                                               "[1, 2] (list)"]),
    (lambda: C.ones_like(np.ones(2)), TypeError, ["ones_like: input must be a Tensor",
                                                  "ndarray of shape (2,)"]),
    (lambda: C.empty_like(x, dtype="x"), TypeError, ["empty_like: expected a dtype", "'x'"]),
    (lambda: C.full_like(x, "a"), TypeError, ["full_like: fill_value must be a number",
                                              "'a' (str)"]),
    (lambda: C.full((2,), None), TypeError, ["full: fill_value must be a number",
                                             "None (NoneType)"]),
    (lambda: C.rand_like(minigrad.ones(2, dtype="int64")), TypeError,
     ["rand_like: expected a floating-point dtype for a real-valued draw, got int64"]),
    (lambda: C.randn_like(x, generator=3), TypeError,
     ["randn_like: generator must be a minigrad.Generator or None, got int"]),
    (lambda: C.randint_like(x, 0), ValueError, ["randint_like: expected low < high",
                                                "low=0", "high=0"]),
    (lambda: C.randint_like(x, 1.5), TypeError, ["randint_like: high must be an int",
                                                 "1.5 (float)"]),
    (lambda: C.zeros(2, requires_grad="yes"), TypeError,
     ["zeros: requires_grad must be True or False", "'yes' (str)"]),
    (lambda: minigrad.Generator().manual_seed(-1), ValueError,
     ["Generator.manual_seed: expected a non-negative int, got -1"]),
]


@pytest.mark.parametrize("call, error, says", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_arguments_are_named_before_any_draw(call, error, says):
    minigrad.manual_seed(0)
    state = mg_random.get_state()
    with pytest.raises(Exception) as info:
        call()
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    missing = [piece for piece in says if piece not in str(info.value)]
    assert not missing, f"the message lacks {missing}: {info.value}"
    assert mg_random.get_state() == state
