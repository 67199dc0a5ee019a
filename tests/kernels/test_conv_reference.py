"""The conv2d kernels (reference and default) against the definition written as KH·KW
einsums over strided windows of the padded input: the kernel-vs-reference tests cannot see
a mistake that both share (the GEMM layouts, the per-sample GEMM path)."""
import numpy as np
from hypothesis import given

from minigrad import backend

from .kernel_cases import conv_geometry


def windows(x_pad, kh, kw, oh, ow, stride, dilation):
    """(p, q, the (N, C, OH, OW) view of x_pad that kernel offset (p, q) reads)."""
    for p in range(kh):
        for q in range(kw):
            yield p, q, x_pad[:, :, p * dilation[0]:p * dilation[0] + stride[0] * (oh - 1) + 1:
                              stride[0],
                              q * dilation[1]:q * dilation[1] + stride[1] * (ow - 1) + 1:
                              stride[1]]


def definition(x, w, dy, stride, padding, dilation):
    """y and dw by their formulas; dx as the adjoint (the windows' scatter of dy · w)."""
    (ph, pw) = padding
    x_pad = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh, ow = dy.shape[2:]
    y = np.zeros(dy.shape, x.dtype)
    dw = np.zeros(w.shape, x.dtype)
    dx_pad = np.zeros(x_pad.shape, x.dtype)
    for p, q, win in windows(x_pad, *w.shape[2:], oh, ow, stride, dilation):
        y += np.einsum("ncij,oc->noij", win, w[:, :, p, q])
        dw[:, :, p, q] = np.einsum("noij,ncij->oc", dy, win)
    for p, q, win in windows(dx_pad, *w.shape[2:], oh, ow, stride, dilation):
        win += np.einsum("noij,oc->ncij", dy, w[:, :, p, q])      # views into dx_pad
    dx = dx_pad[:, :, ph:ph + x.shape[2], pw:pw + x.shape[3]]
    return y, dx, dw


@given(conv_geometry())
def test_conv_kernels_match_the_definition(case):
    a, geometry = case
    x, w, dy = a["x"], a["w"], a["dy"]
    want = definition(x, w, dy, *geometry)
    tol = 1e-4 if x.dtype == np.float32 else 1e-12
    for impl in ("numpy", backend.selected_kernel("conv2d.forward", "cpu")):
        with backend.use_kernels("cpu", conv2d=impl):
            got = (backend.kernel("conv2d.forward", "cpu")(x, w, *geometry),
                   backend.kernel("conv2d.backward_input", "cpu")(dy, w, x.shape, *geometry),
                   backend.kernel("conv2d.backward_weight", "cpu")(dy, x, w.shape, *geometry))
        for g, want_one in zip(got, want, strict=True):
            np.testing.assert_allclose(g, want_one, rtol=tol, atol=tol)



def test_backward_weight_reads_x_as_passed_not_as_it_was_at_forward():
    """Kernels keep no state between calls: a write into x's memory between the forward and
    backward-weight (which the engine's version counters cannot see when it goes through a
    NumPy view) must give the gradient of the new x, as the definition says."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 8, 8)).astype(np.float32)
    w = rng.standard_normal((4, 3, 3, 3)).astype(np.float32)
    dy = rng.standard_normal((2, 4, 8, 8)).astype(np.float32)
    geometry = ((1, 1), (1, 1), (1, 1))
    for *_, impl in backend.available_kernels("conv2d.forward", "cpu"):
        with backend.use_kernels("cpu", conv2d=impl):
            backend.kernel("conv2d.forward", "cpu")(x, w, *geometry)
            x[...] = rng.standard_normal(x.shape)
            dw = backend.kernel("conv2d.backward_weight", "cpu")(dy, x, w.shape, *geometry)
        np.testing.assert_allclose(dw, definition(x, w, dy, *geometry)[2], rtol=1e-4,
                                   atol=1e-3, err_msg=impl)


@given(conv_geometry())
def test_kept_cols_give_the_same_forward_and_weight_gradient(case):
    """forward(keep_cols=True) returns the same y and an im2col matrix that backward-weight
    uses instead of x (x is not passed at all)."""
    a, geometry = case
    x, w, dy = a["x"], a["w"], a["dy"]
    want_dw = definition(x, w, dy, *geometry)[2]
    tol = 1e-4 if x.dtype == np.float32 else 1e-12
    for *_, impl in backend.available_kernels("conv2d.forward", "cpu"):
        with backend.use_kernels("cpu", conv2d=impl):
            y = backend.kernel("conv2d.forward", "cpu")(x, w, *geometry)
            y_kept, cols = backend.kernel("conv2d.forward", "cpu")(x, w, *geometry,
                                                                   keep_cols=True)
            dw = backend.kernel("conv2d.backward_weight", "cpu")(dy, None, w.shape, *geometry,
                                                                 cols=cols)
        np.testing.assert_array_equal(y_kept, y, err_msg=impl)
        np.testing.assert_allclose(dw, want_dw, rtol=tol, atol=tol, err_msg=impl)


def test_chunked_forward_keeps_no_cols_and_backward_recomputes(monkeypatch):
    """Past WORKSPACE_BYTES the fast path processes the batch in chunks, whose im2col is not
    kept: forward returns cols=None and backward-weight builds it again from x."""
    import minigrad
    from minigrad_kernels import conv2d
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 2, 6, 6))
    w = rng.standard_normal((3, 2, 3, 3))
    monkeypatch.setattr(conv2d, "WORKSPACE_BYTES", 2 * 16 * 18 * 8)   # 2 samples per chunk
    y, cols = conv2d.conv2d_forward_numba(x, w, (1, 1), (0, 0), (1, 1), keep_cols=True)
    assert cols is None
    xt = minigrad.tensor(x, requires_grad=True)
    wt = minigrad.tensor(w, requires_grad=True)
    with backend.use_kernels("cpu", conv2d="numba"):
        out = minigrad.functional.conv2d(xt, wt)
        dy = rng.standard_normal(out.shape)
        out.backward(minigrad.tensor(dy))
    np.testing.assert_allclose(out.numpy(), y)
    want_dx, want_dw = definition(x, w, dy, (1, 1), (0, 0), (1, 1))[1:]
    np.testing.assert_allclose(wt.grad.numpy(), want_dw, rtol=1e-10)
    np.testing.assert_allclose(xt.grad.numpy(), want_dx, rtol=1e-10)


def test_conv_function_saves_cols_only_when_the_weight_gradient_is_needed():
    import minigrad
    rng = np.random.default_rng(0)
    x = minigrad.tensor(rng.standard_normal((2, 3, 8, 8)), requires_grad=True)
    w = minigrad.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    y = minigrad.functional.conv2d(x, w)
    saved_x, _, cols = y._fn.saved
    assert saved_x is not None and cols.shape == (3 * 9, 2 * 6 * 6)
    w.requires_grad = False
    saved_x, _, cols = minigrad.functional.conv2d(x, w)._fn.saved
    assert cols is None and saved_x is not None
    w.requires_grad = True
    with minigrad.no_grad():
        assert minigrad.functional.conv2d(x, w)._fn is None


def test_cols_above_the_keep_limit_are_not_kept(monkeypatch):
    """A forward keeps its im2col only up to KEEP_COLS_BYTES; above it, backward-weight
    builds it again, with the same gradient."""
    import minigrad
    from minigrad_kernels import conv2d
    rng = np.random.default_rng(0)
    x = minigrad.tensor(rng.standard_normal((2, 3, 8, 8)))
    w = minigrad.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    minigrad.functional.conv2d(x, w).sum().backward()
    kept_grad = w.grad.numpy().copy()
    monkeypatch.setattr(conv2d, "KEEP_COLS_BYTES", 27 * 72 * 8 - 1)     # one byte short
    w.grad = None
    y = minigrad.functional.conv2d(x, w)
    assert y._fn.saved[2] is None
    y.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), kept_grad, rtol=1e-12)


def test_a_change_to_x_after_forward_is_reported_whether_or_not_cols_are_kept(monkeypatch):
    import pytest

    import minigrad
    from minigrad_kernels import conv2d
    rng = np.random.default_rng(0)
    w = minigrad.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    for limit in (conv2d.KEEP_COLS_BYTES, 0):
        monkeypatch.setattr(conv2d, "KEEP_COLS_BYTES", limit)
        x = minigrad.tensor(rng.standard_normal((2, 3, 8, 8)), requires_grad=True) * 1.0
        y = minigrad.functional.conv2d(x, w)
        with minigrad.no_grad():
            x += 1.0
        with pytest.raises(RuntimeError, match="changed"):
            y.sum().backward()


def test_every_forward_keeps_cols_under_its_limit_and_none_above(monkeypatch):
    """keep_cols is part of every implementation's contract (the Conv2d Function asks for
    it whenever dw is needed): the reference and the fast path keep the same matrix."""
    from minigrad_kernels import conv2d
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, 8, 8))
    w = rng.standard_normal((4, 3, 3, 3))
    for limit, kept in ((conv2d.KEEP_COLS_BYTES, True), (27 * 72 * 8 - 1, False)):
        monkeypatch.setattr(conv2d, "KEEP_COLS_BYTES", limit)
        got = [getattr(conv2d, f"conv2d_forward_{impl}")(x, w, (1, 1), (0, 0), (1, 1),
                                                         keep_cols=True)[1]
               for impl in ("numpy", "numba")]
        assert all((cols is not None) == kept for cols in got)
        if kept:
            np.testing.assert_array_equal(got[0], got[1])


def test_bias_gradient_of_an_empty_batch_is_zero():
    import minigrad
    x = minigrad.zeros(0, 2, 5, 5, requires_grad=True)
    w = minigrad.zeros(3, 2, 3, 3, requires_grad=True)
    b = minigrad.zeros(3, requires_grad=True)
    minigrad.functional.conv2d(x, w, b).sum().backward()
    np.testing.assert_array_equal(b.grad.numpy(), [0, 0, 0])
    assert w.grad.shape == (3, 2, 3, 3)


def test_a_retained_graph_reuses_the_kept_cols():
    """The kept im2col stays saved until the engine frees the node: a second backward
    through a retained graph reads it again."""
    import minigrad
    rng = np.random.default_rng(0)
    x = minigrad.tensor(rng.standard_normal((2, 3, 8, 8)), requires_grad=True)
    w = minigrad.tensor(rng.standard_normal((4, 3, 3, 3)), requires_grad=True)
    y = minigrad.functional.conv2d(x, w)
    node = y._fn
    y.sum().backward(retain_graph=True)
    assert node.saved[2] is not None and node.saved[0] is not None
    once = (x.grad.numpy().copy(), w.grad.numpy().copy())
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * once[0], rtol=1e-12)
    np.testing.assert_allclose(w.grad.numpy(), 2 * once[1], rtol=1e-12)
