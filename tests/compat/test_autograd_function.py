"""Issue 20, item 6: ``minigrad.autograd.Function`` with PyTorch's static ``forward(ctx, ...)``
/ ``backward(ctx, ...)``, and ``autograd.grad`` / ``autograd.backward``.

Each custom Function is written once, against a library ``lib`` (minigrad or torch), and run
under both: the values and gradients must agree (PyTorch as the oracle where installed).
Without PyTorch, ``gradcheck`` in float64 checks the same Functions against finite
differences.
"""
import numpy as np
import pytest

import minigrad
from minigrad import autograd
from minigrad.function import GraphFreedError

try:
    import torch
except ImportError:      # the oracle is optional: CI has no PyTorch
    torch = None
needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch (the oracle) is not installed")


# -- the custom Functions, written once for either library ---------------------------------------

def functions(lib):
    """The custom Functions of the tests, subclassing ``lib.autograd.Function``."""

    class StraightThroughClamp(lib.autograd.Function):
        """clamp forward, identity backward (the straight-through estimator)."""
        @staticmethod
        def forward(ctx, x, low, high):
            return x.clamp(low, high)

        @staticmethod
        def backward(ctx, grad):
            return grad, None, None

    class Clamp(lib.autograd.Function):
        """clamp with its true gradient, the bounds kept as ctx attributes."""
        @staticmethod
        def forward(ctx, x, low, high):
            ctx.save_for_backward(x)
            ctx.low, ctx.high = low, high
            return x.clamp(low, high)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            inside = (x >= ctx.low) & (x <= ctx.high)
            return grad * inside.to(grad.dtype), None, None

    class Legendre3(lib.autograd.Function):
        """P₃(x) = ½(5x³ − 3x), the polynomial of PyTorch's tutorial; P₃'(x) = 1.5(5x² − 1)."""
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 0.5 * (5 * x ** 3 - 3 * x)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 1.5 * (5 * x ** 2 - 1)

    class MulExp(lib.autograd.Function):
        """Two inputs, and the output saved: y = a·b + eᵃ."""
        @staticmethod
        def forward(ctx, a, b):
            y = a * b + a.exp()
            ctx.save_for_backward(a, b, y)
            return y

        @staticmethod
        def backward(ctx, grad):
            a, b, y = ctx.saved_tensors
            da = grad * (y - a * b + b) if ctx.needs_input_grad[0] else None
            db = grad * a if ctx.needs_input_grad[1] else None
            return da, db

    class ScaleShift(lib.autograd.Function):
        """Non-Tensor arguments between Tensors: y = alpha·x + shift·w (w broadcast)."""
        @staticmethod
        def forward(ctx, x, alpha, w, shift=1.0):
            ctx.alpha, ctx.shift = alpha, shift
            ctx.flags = ctx.needs_input_grad
            return alpha * x + shift * w

        @staticmethod
        def backward(ctx, grad):
            # w's gradient in the broadcast shape: the engine sums it back to w's
            return ctx.alpha * grad, None, ctx.shift * grad, None

    class TanhExp(lib.autograd.Function):
        """Two outputs, both saved."""
        @staticmethod
        def forward(ctx, x):
            t, e = x.tanh(), x.exp()
            ctx.save_for_backward(t, e)
            return t, e

        @staticmethod
        def backward(ctx, gt, ge):
            t, e = ctx.saved_tensors
            return gt * (1 - t * t) + ge * e

    class SignedSquare(lib.autograd.Function):
        """Two outputs, one marked non-differentiable (a mask)."""
        @staticmethod
        def forward(ctx, x):
            mask = x > 0
            ctx.mark_non_differentiable(mask)
            ctx.save_for_backward(x)
            return x * x.abs(), mask

        @staticmethod
        def backward(ctx, grad, grad_mask):
            (x,) = ctx.saved_tensors
            return 2 * grad * x.abs()

    class FirstOnly(lib.autograd.Function):
        """backward returns None for an input that requires grad: no gradient flows there."""
        @staticmethod
        def forward(ctx, a, b):
            return a * 2 + b

        @staticmethod
        def backward(ctx, grad):
            return None, grad

    return dict(StraightThroughClamp=StraightThroughClamp, Clamp=Clamp, Legendre3=Legendre3,
                MulExp=MulExp, ScaleShift=ScaleShift, TanhExp=TanhExp, SignedSquare=SignedSquare,
                FirstOnly=FirstOnly)


MG = functions(minigrad)


def programs(lib, fns):
    """name -> (inputs as NumPy arrays, f(*tensors) -> scalar loss) built from ``fns``."""
    x = np.array([-2.0, -0.4, 0.3, 1.5, 3.0])
    return {
        "straight_through_clamp": ([x], lambda t: (fns["StraightThroughClamp"].apply(
            t, -1.0, 1.0) ** 2).sum()),
        "clamp": ([x], lambda t: (fns["Clamp"].apply(t, -1.0, 1.0) * t).sum()),
        "legendre3": ([x / 3], lambda t: fns["Legendre3"].apply(t).sum()),
        "two_inputs": ([x / 3, x[::-1].copy()],
                       lambda a, b: (fns["MulExp"].apply(a, b) ** 2).sum()),
        "non_tensor_args": ([x.reshape(1, 5).repeat(3, 0), x[:1].copy()],
                            lambda t, w: (fns["ScaleShift"].apply(t, 3.0, w, shift=0.5)
                                          ** 2).sum()),
        "two_outputs": ([x], lambda t: sum((o * (k + 1)).sum() for k, o in
                                           enumerate(fns["TanhExp"].apply(t)))),
        "non_differentiable_output": ([x], lambda t: fns["SignedSquare"].apply(t)[0].sum()),
        "chained": ([x / 4], lambda t: fns["Legendre3"].apply(
            fns["Clamp"].apply(fns["MulExp"].apply(t, t), -0.5, 2.0)).sum()),
    }


def run(lib, fns, name, dtype):
    arrays, f = programs(lib, fns)[name]
    tensors = [lib.tensor(a, dtype=dtype, requires_grad=True) for a in arrays]
    loss = f(*tensors)
    loss.backward()
    return float(loss.item()), [np.asarray(t.grad.detach().numpy()) for t in tensors]


NAMES = list(programs(minigrad, MG))


@needs_torch
@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_custom_functions_agree_with_pytorch(name, precision):
    torch_fns = functions(torch)
    mg_dtype, torch_dtype = getattr(minigrad, precision), getattr(torch, precision)
    loss, grads = run(minigrad, MG, name, mg_dtype)
    torch_loss, torch_grads = run(torch, torch_fns, name, torch_dtype)
    tol = 1e-5 if precision == "float32" else 1e-12
    np.testing.assert_allclose(loss, torch_loss, rtol=tol)
    for g, tg in zip(grads, torch_grads):
        assert g.dtype == tg.dtype and g.shape == tg.shape
        np.testing.assert_allclose(g, tg, rtol=tol, atol=tol)


@pytest.mark.parametrize("name", [n for n in NAMES if n != "straight_through_clamp"])
def test_custom_functions_pass_gradcheck_in_float64(name):
    arrays, f = programs(minigrad, MG)[name]
    tensors = [minigrad.tensor(a, dtype=minigrad.float64, requires_grad=True) for a in arrays]
    assert minigrad.gradcheck(f, tensors, mode="element")


def test_the_straight_through_gradient_is_the_identity():
    x = minigrad.tensor([-2.0, 0.5, 3.0], requires_grad=True)
    y = MG["StraightThroughClamp"].apply(x, -1.0, 1.0)
    np.testing.assert_array_equal(y.numpy(), [-1.0, 0.5, 1.0])
    y.backward(minigrad.tensor([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0, 3.0])


# -- ctx and the graph ------------------------------------------------------------------------

def test_grad_fn_is_one_node_named_as_pytorch():
    x = minigrad.tensor([0.5, 2.0], requires_grad=True)
    y = MG["Clamp"].apply(x, -1.0, 1.0)
    assert type(y.grad_fn).__name__ == "ClampBackward" and y.grad_fn.inputs == (x,)
    assert "ClampBackward" in repr(y)
    assert isinstance(y.grad_fn, minigrad.Function)      # one mechanism: an engine node
    assert isinstance(y.grad_fn.ctx, autograd.FunctionCtx) and y.grad_fn.ctx.low == -1.0


@needs_torch
@pytest.mark.parametrize("grads", [(True, True), (True, False), (False, False)])
@pytest.mark.parametrize("grad_mode", [True, False])
def test_needs_input_grad_matches_pytorch(grads, grad_mode):
    seen = []
    for lib in (minigrad, torch):
        class Record(lib.autograd.Function):
            @staticmethod
            def forward(ctx, x, alpha, w):
                seen.append(ctx.needs_input_grad)
                return alpha * x + w

            @staticmethod
            def backward(ctx, grad):
                return grad, None, grad

        x = lib.ones(2, 3, requires_grad=grads[0])
        w = lib.ones(3, requires_grad=grads[1])
        with lib.set_grad_enabled(grad_mode):
            y = Record.apply(x, 2.0, w)
        seen.append((y.requires_grad, y.grad_fn is None))
    assert seen[:2] == seen[2:], seen


def test_the_users_forward_runs_under_no_grad_and_saves_what_backward_reads():
    inside = {}

    class Peek(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            inside["grad_mode"] = minigrad.is_grad_enabled()
            y = x * 2
            inside["recorded"] = y.grad_fn is not None
            ctx.save_for_backward(x, None, y)
            return y

        @staticmethod
        def backward(ctx, grad):
            x, none, y = ctx.saved_tensors
            inside["backward_grad_mode"] = minigrad.is_grad_enabled()
            inside["saved"] = (x, none, y.numpy().tolist())
            return grad * 2

    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    Peek.apply(x).sum().backward()
    assert inside == {"grad_mode": False, "recorded": False, "backward_grad_mode": False,
                      "saved": (x, None, [2.0, 4.0])}


def test_a_saved_input_changed_in_place_is_caught_by_the_engine():
    x = minigrad.tensor([0.5, 2.0], requires_grad=True)
    h = x * 1.0
    y = MG["Legendre3"].apply(h)
    with minigrad.no_grad():
        h += 1.0
    with pytest.raises(RuntimeError, match=r"Legendre3Backward.backward needs a tensor of "
                                           r"shape \(2,\) that was changed in place"):
        y.sum().backward()


def test_retain_graph_and_freed_graphs():
    x = minigrad.tensor([0.5, 2.0], requires_grad=True)
    y = MG["MulExp"].apply(x, x)
    dy = minigrad.ones(2)
    y.backward(dy, retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward(dy)
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)
    with pytest.raises(GraphFreedError, match="backward through MulExpBackward a second time"):
        y.backward(dy)


def test_none_gradient_means_no_gradient_as_pytorch():
    a = minigrad.tensor([1.0, 2.0], requires_grad=True)
    b = minigrad.tensor([3.0, 4.0], requires_grad=True)
    h = a * 3.0                    # its node gets no gradient at all
    MG["FirstOnly"].apply(h, b).sum().backward()
    assert a.grad is None
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])


def test_mark_non_differentiable_and_several_outputs():
    x = minigrad.tensor([-1.0, 2.0], requires_grad=True)
    y, mask = MG["SignedSquare"].apply(x)
    assert type(y.grad_fn).__name__ == "SignedSquareBackward"
    assert y.requires_grad and not mask.requires_grad and mask.dtype == minigrad.bool_
    s, c = MG["TanhExp"].apply(x)
    assert s.requires_grad and c.requires_grad
    with minigrad.no_grad():
        s, c = MG["TanhExp"].apply(x)
    assert not s.requires_grad and not c.requires_grad


def test_an_integer_output_is_not_differentiable():
    class Argmax(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x.argmax(-1)

        @staticmethod
        def backward(ctx, grad):
            return None

    i = Argmax.apply(minigrad.tensor([[0.5, 2.0]], requires_grad=True))
    assert i.tolist() == [1] and not i.requires_grad and i.grad_fn is None


def test_a_function_without_tensor_arguments_is_a_plain_call():
    class Add(autograd.Function):
        @staticmethod
        def forward(ctx, a, b):
            return minigrad.tensor([a + b])

        @staticmethod
        def backward(ctx, grad):
            return None, None

    y = Add.apply(1.0, 2.0)
    assert y.tolist() == [3.0] and not y.requires_grad


@needs_torch
def test_setup_context_style_agrees_with_pytorch():
    results = []
    for lib in (minigrad, torch):
        class Cube(lib.autograd.Function):
            @staticmethod
            def forward(x, k):
                return k * x ** 3

            @staticmethod
            def setup_context(ctx, inputs, output):
                x, k = inputs
                ctx.save_for_backward(x)
                ctx.k = k

            @staticmethod
            def backward(ctx, grad):
                (x,) = ctx.saved_tensors
                return grad * 3 * ctx.k * x ** 2, None

        x = lib.tensor([0.5, -1.5, 2.0], requires_grad=True)
        Cube.apply(x, k=2.0).sum().backward()
        results.append(x.grad.numpy())
    np.testing.assert_allclose(*results, rtol=1e-6)


def test_trace_and_anomaly_mode_see_custom_functions():
    x = minigrad.tensor([0.5, 2.0], requires_grad=True)
    trace = minigrad.trace_backward(MG["Legendre3"].apply(x).sum())
    assert [s.op for s in trace.steps] == ["Sum", "Legendre3Backward"]
    assert "Legendre3.backward(ctx, dy)" in str(trace)
    with minigrad.detect_anomaly():
        MG["MulExp"].apply(x, x).sum().backward()


def test_once_differentiable_and_the_function_module():
    from minigrad.autograd.function import FunctionCtx, once_differentiable

    class Double(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        @once_differentiable
        def backward(ctx, grad):
            return grad * 2

    x = minigrad.ones(2, requires_grad=True)
    Double.apply(x).sum().backward()
    assert x.grad.tolist() == [2.0, 2.0] and FunctionCtx is autograd.FunctionCtx


# -- errors that name the user's Function -----------------------------------------------------

def custom(forward, backward):
    return type("Mine", (autograd.Function,), {"forward": staticmethod(forward),
                                               "backward": staticmethod(backward)})


def bad_backward_cases():
    x = lambda: minigrad.tensor([1.0, 2.0], requires_grad=True)   # noqa: E731
    w = lambda: minigrad.ones(2, 2, requires_grad=True)           # noqa: E731
    return [
        ("too_few", lambda: custom(lambda ctx, a, k: a * k, lambda ctx, g: g).apply(x(), 2.0),
         RuntimeError, ["Mine.backward returned 1 gradient", "Mine.forward took 2 inputs (a, k)",
                        "one gradient (or None) per input"]),
        ("too_many", lambda: custom(lambda ctx, a: a * 2, lambda ctx, g: (g, g)).apply(x()),
         RuntimeError, ["Mine.backward returned 2 gradients", "took 1 input (a)"]),
        ("wrong_shape", lambda: custom(lambda ctx, a, b: a @ b,
                                       lambda ctx, g: (g, g)).apply(x(), w()),
         RuntimeError, ["Mine.backward: the gradient for input 1 (b, shape (2, 2)) has "
                        "shape (2,); expected (2, 2)"]),
        ("grad_for_non_tensor", lambda: custom(lambda ctx, a, k: a * k,
                                               lambda ctx, g: (g, g)).apply(x(), 3),
         RuntimeError, ["Mine.backward returned a gradient for input 1 (k)", "(int)",
                        "return None there"]),
        ("not_a_tensor", lambda: custom(lambda ctx, a: a * 2,
                                        lambda ctx, g: g.numpy()).apply(x()),
         TypeError, ["Mine.backward: the gradient for input 0 (a, shape (2,)) must be a "
                     "Tensor or None", "ndarray of shape (2,)"]),
    ]


@pytest.mark.parametrize("name, make, error, says", bad_backward_cases(),
                         ids=[c[0] for c in bad_backward_cases()])
def test_bad_backward_results_are_named(name, make, error, says):
    y = make()
    x = y.grad_fn.inputs[0]
    with pytest.raises(error) as info:
        y.sum().backward()
    assert all(piece in str(info.value) for piece in says), str(info.value)
    assert x.grad is None                       # nothing written


def test_bad_forward_and_ctx_use_are_named():
    x = minigrad.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match=r"Mine.forward must return a Tensor or a tuple of "
                                        r"Tensors, got 3.0 \(float\)"):
        custom(lambda ctx, a: 3.0, lambda ctx, g: g).apply(x)

    def saves_a_number(ctx, a):
        ctx.save_for_backward(a, 2.0)
        return a

    with pytest.raises(TypeError, match=r"Mine: save_for_backward can only save Tensors or "
                                        r"None, but argument 1 is 2.0 \(float\)"):
        custom(saves_a_number, lambda ctx, g: g).apply(x)

    def dirty(ctx, a):
        ctx.mark_dirty(a)
        return a

    with pytest.raises(NotImplementedError, match="not implemented: ctx.mark_dirty in "
                                                  "Mine.forward"):
        custom(dirty, lambda ctx, g: g).apply(x)
    with pytest.raises(RuntimeError, match=r"Mine.apply\(...\)"):
        custom(lambda ctx, a: a, lambda ctx, g: g)()(x)
    with pytest.raises(TypeError, match=r"Mine.apply: .*unexpected keyword argument 'b'"):
        custom(lambda ctx, a: a, lambda ctx, g: g).apply(x, b=1)


# -- autograd.grad and autograd.backward ------------------------------------------------------

def grad_program(lib):
    a = lib.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], dtype=lib.float64,
                   requires_grad=True)
    b = lib.tensor([0.3, -0.2, 0.9], dtype=lib.float64, requires_grad=True)
    h = (a * b).tanh()
    y1 = (h ** 2).sum()
    y2 = h.exp().sum(0)
    return a, b, h, y1, y2


@needs_torch
def test_grad_agrees_with_pytorch_and_leaves_grad_alone():
    out = []
    for lib in (minigrad, torch):
        a, b, h, y1, y2 = grad_program(lib)
        g2 = lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64)
        grads = lib.autograd.grad([y1, y2], [a, b, h], grad_outputs=[None, g2])
        assert isinstance(grads, tuple) and len(grads) == 3
        assert a.grad is None and b.grad is None
        out.append([g.numpy() for g in grads])
    for g, tg in zip(*out):
        np.testing.assert_allclose(g, tg, rtol=1e-12)


def test_grad_matches_backward():
    a, b, h, y1, y2 = grad_program(minigrad)
    (ga,) = autograd.grad(y1, a, retain_graph=True)
    y1.backward()
    np.testing.assert_array_equal(ga.numpy(), a.grad.numpy())
    assert ga._data is not a.grad._data


@needs_torch
def test_autograd_backward_of_several_outputs_agrees_with_pytorch():
    out = []
    for lib in (minigrad, torch):
        a, b, h, y1, y2 = grad_program(lib)
        g2 = lib.tensor([1.0, -2.0, 0.5], dtype=lib.float64)
        lib.autograd.backward([y1, y2], [None, g2])
        out.append((a.grad.numpy(), b.grad.numpy()))
        a2, b2, h2, z1, z2 = grad_program(lib)
        lib.autograd.backward(z1, inputs=[b2])
        assert a2.grad is None
        out.append((b2.grad.numpy(),))
    for mine, theirs in zip(out[:2], out[2:]):
        for g, tg in zip(mine, theirs):
            np.testing.assert_allclose(g, tg, rtol=1e-12)


def test_grad_refusals_are_clear():
    a, b, h, y1, y2 = grad_program(minigrad)
    c = minigrad.ones(2, requires_grad=True)
    with pytest.raises(NotImplementedError, match="not implemented: higher-order gradients"):
        autograd.grad(y1, a, create_graph=True)
    with pytest.raises(RuntimeError, match=r"inputs\[0\] \(shape \(2,\)\) was not used"):
        autograd.grad(y1, c, retain_graph=True)
    none, ga = autograd.grad(y1, [c, a], allow_unused=True, retain_graph=True)
    assert none is None and ga.shape == (2, 3)
    zeros, _ = autograd.grad(y1, [c, a], materialize_grads=True, retain_graph=True)
    assert zeros.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match=r"grad_outputs\[0\] is needed for outputs\[0\] "
                                           r"of shape \(3,\)"):
        autograd.grad(y2, a, retain_graph=True)
    with pytest.raises(RuntimeError, match=r"mismatch in shape: grad_outputs\[0\] has shape "
                                           r"\(2,\) and outputs\[0\] has shape \(3,\)"):
        autograd.grad(y2, a, minigrad.ones(2, dtype="float64"), retain_graph=True)
    with pytest.raises(RuntimeError, match=r"inputs\[0\] \(shape \(2,\)\) does not require"):
        autograd.grad(y1, minigrad.ones(2))
    with pytest.raises(RuntimeError, match=r"outputs\[0\] \(shape \(\)\) does not require"):
        autograd.grad(minigrad.ones(()), a)
