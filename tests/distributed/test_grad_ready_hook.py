"""minigrad.function's grad-ready hooks and end-of-backward callbacks (what DDP builds on)."""
import numpy as np

import minigrad
from minigrad import autograd, function


def test_hook_fires_once_per_leaf_with_its_complete_gradient_before_grad_is_written():
    w = minigrad.tensor([1.0, 2.0], requires_grad=True)
    b = minigrad.tensor([0.5, 0.5], requires_grad=True)
    seen, order = {}, []

    def hook(t, g):
        order.append("w" if t is w else "b")
        seen[id(t)] = (g.copy(), None if t.grad is None else t.grad._data.copy())

    handles = [function.register_grad_ready_hook(t, hook) for t in (w, b)]
    try:
        y = (w * w + w * b).sum() + b.sum()     # w used twice, b twice
        ends = []
        function.queue_callback(lambda: ends.append(w.grad._data.copy()))
        y.backward()
        np.testing.assert_allclose(seen[id(w)][0], 2 * w._data + b._data)
        np.testing.assert_allclose(seen[id(b)][0], w._data + 1)
        assert seen[id(w)][1] is None and seen[id(b)][1] is None
        assert sorted(order) == ["b", "w"]
        np.testing.assert_allclose(ends[0], 2 * w._data + b._data)   # after .grad written
        # a second backward: the hook gets this backward's part, .grad holds the first's
        seen.clear()
        (w * 3).sum().backward()
        np.testing.assert_allclose(seen[id(w)][0], [3.0, 3.0])
        np.testing.assert_allclose(seen[id(w)][1], 2 * w._data + b._data)
        # not by autograd.grad
        seen.clear()
        autograd.grad((w * 2).sum(), [w])
        assert not seen
    finally:
        for h in handles:
            h.remove()
    assert not function._grad_ready_hooks and not function._final_callbacks


def test_hook_fires_while_backward_runs():
    """The first layer's hook fires after the last layer's: the hooks are called in the
    loop, not all at the end."""
    minigrad.manual_seed(0)
    a = minigrad.randn(3, 3, requires_grad=True)
    b = minigrad.randn(3, 3, requires_grad=True)
    x = minigrad.randn(2, 3)
    events = []
    handles = [function.register_grad_ready_hook(a, lambda t, g: events.append("a")),
               function.register_grad_ready_hook(b, lambda t, g: events.append("b"))]
    try:
        ((x @ a).relu() @ b).sum().backward()
    finally:
        for h in handles:
            h.remove()
    assert events == ["b", "a"]
