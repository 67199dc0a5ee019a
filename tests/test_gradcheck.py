"""The gradient checker must catch wrong backwards (a checker that always passes is useless)."""
import numpy as np
import pytest

import minigrad
from minigrad import Function, GradcheckError, gradcheck


class SquareWrongBackward(Function):
    """y = x²  with a deliberately wrong backward dx = dy · x (the factor 2 is missing)."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, dy):
        (x,) = self.saved
        return dy * x


class SquareOffByOneElement(Function):
    """y = x², correct backward except for one element: a bug only per-element checks see
    when the direction happens to miss it, and directional checks see on average."""

    def forward(self, x):
        self.save_for_backward(x)
        return x * x

    def backward(self, dy):
        (x,) = self.saved
        dx = 2 * dy * x
        dx.reshape(-1)[-1] += 1.0
        return dx


def x64(*shape, seed=0):
    return minigrad.tensor(np.random.default_rng(seed).standard_normal(shape) + 0.1,
                           requires_grad=True)


@pytest.mark.parametrize("mode", ["element", "direction"])
def test_wrong_backward_is_caught(mode):
    x = x64(3, 4)
    with pytest.raises(GradcheckError) as err:
        gradcheck(SquareWrongBackward.apply, [x], mode=mode)
    assert "analytic" in str(err.value) and "numeric" in str(err.value)
    assert gradcheck(SquareWrongBackward.apply, [x], mode=mode, raise_exception=False) is False


def test_element_mode_names_the_worst_element():
    x = x64(2, 3)
    with pytest.raises(GradcheckError, match=r"1 of 6 elements; worst: input 0 \(2, 3\) "
                                             r"at index \(1, 2\)"):
        gradcheck(SquareOffByOneElement.apply, [x], mode="element")


def test_direction_mode_catches_a_single_wrong_element():
    x = x64(40, 30)
    with pytest.raises(GradcheckError, match="direction"):
        gradcheck(SquareOffByOneElement.apply, [x], mode="direction", n_directions=8)


def test_correct_backward_passes_both_modes():
    x, w = x64(5, 4), x64(4, 3, seed=1)
    for mode in ("element", "direction"):
        assert gradcheck(lambda a, b: (a @ b).tanh(), [x, w], mode=mode)


def test_inputs_and_their_grads_are_left_unchanged():
    x = x64(3, 3)
    before = x.numpy()
    x.grad = minigrad.tensor(np.full((3, 3), 7.0))
    gradcheck(lambda a: a.exp().sum(), [x])
    np.testing.assert_array_equal(x.numpy(), before)
    np.testing.assert_array_equal(x.grad.numpy(), np.full((3, 3), 7.0))


def test_float32_inputs_are_refused():
    x = minigrad.tensor(np.ones((2, 2), dtype=np.float32), requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda a: a * 2, [x])


def test_nothing_to_check_is_an_error():
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda a: a * 2, [minigrad.tensor(np.ones(2))])


def test_multiple_outputs_and_non_differentiable_inputs():
    x = x64(3)
    idx = minigrad.tensor([2, 0])
    assert gradcheck(lambda a, i: (a[i], a.exp()), [x, idx])
