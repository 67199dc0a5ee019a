"""Graph semantics of the engine: accumulation, grad modes, freeing, long chains, checks."""
import gc
import weakref

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad import Function, GraphFreedError


def leaf(values, dtype=np.float32):
    return minigrad.tensor(np.asarray(values, dtype=dtype), requires_grad=True)


def test_fan_out_accumulates():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x + x * 3.0 + x          # dy/dx = 2x + 4
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 8.0, 10.0])


def test_diamond_accumulates_through_both_paths():
    x = leaf([0.5, -1.0])
    a = x.exp()
    b, c = a * 2.0, a * a            # a feeds both branches
    (b + c).sum().backward()
    e = np.exp([0.5, -1.0])
    np.testing.assert_allclose(x.grad.numpy(), e * (2 + 2 * e), rtol=1e-6)


def test_gradients_accumulate_across_backward_calls_until_reset():
    x = leaf([1.0, 2.0])
    (x * 3.0).sum().backward()
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])
    x.grad = None
    (x * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_shared_gradient_arrays_are_not_aliased_between_leaves():
    a, b = leaf([1.0]), leaf([2.0])
    (a + b).sum().backward()          # Add.backward returns the same array for both
    a.grad._data += 10
    np.testing.assert_allclose(b.grad.numpy(), [1.0])


def test_no_grad_records_nothing_and_restores_mode():
    x = leaf([1.0, 2.0])
    with minigrad.no_grad():
        y = x * 2
        assert not minigrad.is_grad_enabled()
    assert minigrad.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None

    @minigrad.no_grad()
    def f(t):
        return t * 2

    assert not f(x).requires_grad
    assert minigrad.is_grad_enabled()
    with minigrad.no_grad():
        with minigrad.enable_grad():
            assert (x * 2).requires_grad


def test_no_grad_restores_mode_after_an_exception():
    with pytest.raises(ZeroDivisionError):
        with minigrad.no_grad():
            raise ZeroDivisionError
    assert minigrad.is_grad_enabled()


def test_detach_cuts_the_graph_and_shares_data():
    x = leaf([1.0, 2.0])
    d = (x * 2).detach()
    assert not d.requires_grad and d.is_leaf
    y = (d * x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])     # d is a constant


def test_backward_twice_needs_retain_graph():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [4.0, 8.0])
    with pytest.raises(GraphFreedError, match="retain_graph=True"):
        y.backward()


def test_backward_through_a_partly_freed_graph_is_refused():
    x = leaf([1.0, 2.0])
    h = x.exp()
    h.sum().backward()                   # frees Exp
    with pytest.raises(GraphFreedError, match="Exp"):
        (h * 2).sum().backward()


def test_a_100k_op_chain_backpropagates_without_recursion():
    x = leaf([1.0])
    y = x
    for _ in range(100_000):
        y = y + 1.0
    y.backward()
    assert x.grad.numpy()[0] == 1.0


def test_graph_memory_is_released_after_backward():
    x = leaf(np.ones(10))
    h = x * 2.0
    fn = weakref.ref(h.grad_fn)
    big = weakref.ref(h)
    loss = (h * h).sum()
    del h
    loss.backward()
    gc.collect()
    assert big() is None and fn() is None


def test_graph_is_kept_with_retain_graph_and_released_with_the_output():
    x = leaf(np.ones(10))
    loss = (x * 2.0).sum()
    fn = weakref.ref(loss.grad_fn)
    loss.backward(retain_graph=True)
    assert fn() is not None
    del loss
    gc.collect()
    assert fn() is None


def test_float32_is_preserved_end_to_end():
    x = leaf(np.random.default_rng(0).standard_normal((4, 3)))
    w = leaf(np.random.default_rng(1).standard_normal((3, 2)))
    y = ((x @ w).relu() * 0.5 + 1).log_softmax(axis=1).mean()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_mixed_precision_gradients_take_their_inputs_dtype():
    a = leaf([1.0, 2.0], np.float32)
    b = leaf([3.0, 4.0], np.float64)
    y = a * b
    assert y.dtype == np.float64
    y.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 4.0])


def test_broadcast_gradients_are_summed_by_the_engine():
    x = leaf(np.ones((3, 1)))
    b = leaf([1.0, 2.0, 3.0, 4.0])
    (x * b).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full((3, 1), 10.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 3.0))


def test_retain_grad_fills_an_intermediate_gradient():
    x = leaf([1.0, 2.0])
    h = (x * 3.0).retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), [6.0, 12.0])
    np.testing.assert_allclose(x.grad.numpy(), [18.0, 36.0])


def test_non_scalar_backward_needs_grad():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"shape \(2,\).*pass grad="):
        y.backward()
    y.backward(minigrad.tensor([1.0, 0.5]))


def test_backward_grad_of_wrong_shape_is_refused():
    y = leaf([1.0, 2.0]) * 2
    with pytest.raises(RuntimeError, match=r"grad has shape \(3,\), expected .* \(2,\)"):
        y.backward(minigrad.tensor([1.0, 1.0, 1.0]))


def test_backward_on_a_tensor_without_grad_is_refused():
    with pytest.raises(RuntimeError, match="does not require grad"):
        minigrad.tensor([1.0]).backward()


class BadShape(Function):
    """y = x;  a broken backward returning a gradient of the wrong shape."""

    def forward(self, x):
        return x.copy()

    def backward(self, dy):
        return dy[:1]


class BadDtype(Function):
    """y = x;  a broken backward returning an integer gradient."""

    def forward(self, x):
        return x.copy()

    def backward(self, dy):
        return dy.astype(np.int64)


class MissingGrad(Function):
    """y = x;  a broken backward returning None for an input that needs a gradient."""

    def forward(self, x):
        return x.copy()

    def backward(self, dy):
        return None


@pytest.mark.parametrize("fn, message", [
    (BadShape, r"BadShape.backward: gradient for input 0 has shape \(1,\), its input has "
               r"shape \(3,\)"),
    (BadDtype, r"BadDtype.backward: gradient for input 0 has dtype int64, expected float32"),
    (MissingGrad, r"MissingGrad.backward returned None for input 0"),
])
def test_the_engine_checks_each_gradient_and_names_the_op(fn, message):
    x = leaf([1.0, 2.0, 3.0])
    with pytest.raises(RuntimeError, match=message):
        fn.apply(x).sum().backward()
    assert x.grad is None     # nothing was accumulated from a broken backward


def test_integer_tensors_cannot_require_grad():
    with pytest.raises(TypeError, match="floating-point"):
        minigrad.tensor([1, 2], requires_grad=True)


def test_requires_grad_cannot_be_turned_off_on_a_non_leaf():
    y = leaf([1.0]) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False


def test_in_place_parameter_update_under_no_grad():
    p = leaf([1.0, 2.0])
    (p * p).sum().backward()
    with minigrad.no_grad():
        p -= 0.25 * p.grad
    np.testing.assert_allclose(p.numpy(), [0.5, 1.0])
    assert p.requires_grad and p.is_leaf


def test_in_place_on_a_tensor_that_requires_grad_needs_no_grad():
    p = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="no_grad"):
        p -= 1.0
    with pytest.raises(RuntimeError, match="no_grad"):
        p[0] = 3.0
    np.testing.assert_allclose(p.numpy(), [1.0, 2.0])          # unchanged


def test_in_place_change_of_a_saved_tensor_is_caught_at_backward():
    x = leaf([1.0, 2.0])
    c = minigrad.tensor([3.0, 4.0])
    z = (x * c).sum()                  # Mul saved c for dx = dy * c
    c[0] = 5.0
    with pytest.raises(RuntimeError, match=r"Mul.backward needs a tensor of shape \(2,\) "
                                           r"that was changed in place"):
        z.backward()
    y = x.exp()                        # Exp saved its output
    with minigrad.no_grad():
        y += 1
    with pytest.raises(RuntimeError, match="Exp.backward"):
        y.sum().backward()


def test_in_place_change_of_an_unsaved_input_is_harmless():
    x = leaf([1.0, 2.0])
    a = minigrad.tensor([1.0, 1.0])
    w = (x + a).sum()                  # Add saves nothing
    a += 1
    w.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_in_place_dtype_errors_are_clear():
    i = minigrad.tensor([1, 2])
    with pytest.raises(TypeError, match=r"__iadd__: .* \(tensor \(2,\) int64\)"):
        i += 0.5
    np.testing.assert_array_equal(i.numpy(), [1, 2])


def test_no_grad_works_as_a_bare_decorator():
    @minigrad.no_grad
    def double(t):
        return t * 2

    assert not double(leaf([1.0])).requires_grad


@pytest.mark.parametrize("order", ["a+b", "b+a"])
def test_a_node_reached_directly_and_through_a_sibling_gets_its_whole_gradient(order):
    x = leaf([1.0])
    b = x * 2
    a = b * 3
    out = b + a if order == "b+a" else a + b      # d/dx = 2 + 6
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [8.0])


@given(st.data())
def test_random_graphs_backpropagate_like_finite_differences(data):
    """Random DAGs where every node may reuse any earlier node (fan-out, diamonds, skips)."""
    n_nodes = data.draw(st.integers(2, 12), label="nodes")
    recipe = [(data.draw(st.sampled_from(["add", "mul", "tanh", "sub", "scale"])),
               data.draw(st.integers(0, i)), data.draw(st.integers(0, i)))
              for i in range(n_nodes)]

    ops = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b * 0.5,
           "tanh": lambda a, b: a.tanh(), "sub": lambda a, b: a - b,
           "scale": lambda a, b: a * 1.5}

    def build(x, y):
        nodes = [x, y]
        for op, i, j in recipe:     # node i+2 combines two of the nodes before it
            nodes.append(ops[op](nodes[i], nodes[j + 1]))
        out = nodes[-1]
        for node in nodes[2:-1]:    # every intermediate also feeds the output directly
            out = out + node
        return out

    rng = np.random.default_rng(0)
    x = minigrad.tensor(rng.uniform(-1, 1, 3), requires_grad=True)
    y = minigrad.tensor(rng.uniform(-1, 1, 3), requires_grad=True)
    assert minigrad.gradcheck(build, [x, y])


def test_retain_grad_on_the_root_gets_dy():
    y = leaf([1.0, 2.0]) * 2
    y.retain_grad()
    y.backward(minigrad.tensor([1.0, 0.5]))
    np.testing.assert_allclose(y.grad.numpy(), [1.0, 0.5])


class _Probe(Function):
    """Records the needs_input_grad it was given; y = a + b."""
    seen = []

    def forward(self, a, b):
        _Probe.seen.append(self.needs_input_grad)
        return a + b

    def backward(self, dy):
        return dy, dy


@pytest.mark.parametrize("grad_mode, needs, expected", [
    (True, (True, False), (True, False)),
    (True, (False, False), (False, False)),
    (False, (True, True), (False, False)),      # no_grad: nothing is recorded
])
def test_needs_input_grad_is_all_false_when_nothing_is_recorded(grad_mode, needs, expected):
    a, b = (minigrad.tensor([1.0, 2.0], requires_grad=n) for n in needs)
    _Probe.seen.clear()
    with minigrad.set_grad_enabled(grad_mode):
        y = _Probe.apply(a, b)
    assert _Probe.seen == [expected]
    assert y.requires_grad == any(expected) and (y.grad_fn is not None) == any(expected)


def test_an_output_that_is_an_input_shares_its_version_count():
    class Same(Function):
        def forward(self, x):
            return x

        def backward(self, dy):
            return dy
    x = leaf([1.0, 2.0])
    y = Same.apply(x)
    assert y._versions is x._versions


def test_an_output_that_owns_an_input_view_s_memory_shares_its_version_count():
    class Whole(Function):
        """y = the array that the view x was cut from."""
        def forward(self, x):
            return x.base

        def backward(self, dy):
            return dy[1:]
    base = minigrad.tensor([1.0, 2.0, 3.0])
    x = base[1:]
    y = Whole.apply(x)
    assert y._versions is x._versions
    other = Whole.apply(minigrad.tensor([0.0, 1.0, 2.0])[1:])     # a fresh base: its own
    assert other._versions is not x._versions


def test_linear_without_bias_and_with_batch_axes_matches_finite_differences():
    rng = np.random.default_rng(0)
    x = minigrad.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)     # float64
    w = minigrad.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    assert minigrad.gradcheck(lambda x, w: minigrad.functional.linear(x, w), [x, w])
    y = minigrad.functional.linear(x, w)
    np.testing.assert_allclose(y.numpy(), x.numpy() @ w.numpy().T, rtol=1e-12)


def test_an_in_place_change_to_memory_no_node_saved_is_allowed_and_one_it_saved_is_not():
    x = leaf([1.0, 2.0])
    c = minigrad.tensor([3.0, 4.0])
    y = x * c                            # Mul saves c (for dx), not its output y
    z = y * y                            # this Mul saves y
    y2 = x * c
    with minigrad.no_grad():
        y2 += 1                          # y2's memory was saved by no node: harmless
    y2.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])
    with minigrad.no_grad():
        y += 1                           # y's memory is saved by the second Mul
    with pytest.raises(RuntimeError, match=r"Mul.backward needs a tensor of shape \(2,\) "
                                           r"that was changed in place.*version 1, expected 0"):
        z.sum().backward()
