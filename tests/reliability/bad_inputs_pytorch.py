"""Bad inputs of the PyTorch-compatible surface added for issue 20: autograd.Function,
Generator, creation functions, utils.data, save/load of file objects (groups ARGS, SIZES,
AUTOGRAD, SAVING, DATA)."""
from .bad_inputs import ARGS, AUTOGRAD, DATA, SAVING, SIZES, case  # noqa: F401

import numpy as np  # noqa: E402

import minigrad  # noqa: E402
from minigrad import autograd, creation  # noqa: E402
from minigrad import random as mg_random  # noqa: E402

from .bad_inputs import T  # noqa: E402


# -- creation and random functions (minigrad.creation, exported as minigrad.X) ---------------------

def no_objects(tmp):
    """Nothing but minigrad's global generator, which a refused draw must not move."""
    minigrad.manual_seed(0)
    return {"rng": mg_random}


case("randperm_negative", SIZES, "`randperm` of a negative count",
     no_objects, lambda o: creation.randperm(-3), ValueError,
     ["randperm: n must be an int ≥ 0", "-3"])
case("linspace_steps_float", SIZES, "`linspace` with a float number of steps",
     no_objects, lambda o: creation.linspace(0, 1, 2.5), TypeError,
     ["linspace: steps must be an int ≥ 0", "2.5 (float)"])
case("size_given_twice", SIZES, "`empty(2, size=(3,))`: the size both positionally and by name",
     no_objects, lambda o: creation.empty(2, size=(3,)), TypeError,
     ["empty: the size was given twice", "(2,)", "size=(3,)"])
case("normal_size_float", SIZES, "`normal(mean, std, size)` with a float in the size",
     no_objects, lambda o: creation.normal(0.0, 1.0, (2, 1.5)), TypeError,
     ["normal: the size must be ints", "1.5 (float)"])
case("normal_negative_std", ARGS, "`normal` with a negative std",
     no_objects, lambda o: creation.normal(0.0, -1.0, (2,)), ValueError,
     ["normal: std must be a finite number ≥ 0.0", "-1.0"])
case("normal_without_size", ARGS, "`normal` of two numbers without a size",
     no_objects, lambda o: creation.normal(0.0, 1.0), TypeError,
     ["normal: with numbers for mean (0.0) and std (1.0), the size is needed"])
case("normal_std_tensor_negative", ARGS, "`normal` with a std tensor holding a negative value",
     lambda tmp: {"mean": T(2, 3, grad=False), "std": T(3, grad=False, low=-3, high=-2),
                  "rng": mg_random},
     lambda o: creation.normal(o.mean, o.std), ValueError,
     ["normal: std must be ≥ 0 everywhere, got -2."])
case("logspace_base_str", ARGS, "`logspace` with the base as a string",
     no_objects, lambda o: creation.logspace(0, 2, 3, base="2"), TypeError,
     ["logspace: base must be a finite number", "'2' (str)"])
case("random_generator_wrong_type", ARGS, "`generator=` given a NumPy generator",
     no_objects, lambda o: creation.randn(2, generator=np.random.default_rng(0)), TypeError,
     ["randn: generator must be a minigrad.Generator or None, got Generator"])
case("rand_like_integer", ARGS, "`rand_like` of an integer tensor",
     lambda tmp: {"x": minigrad.ones(2, dtype="int64"), "rng": mg_random},
     lambda o: creation.rand_like(o.x), TypeError,
     ["rand_like: expected a floating-point dtype for a real-valued draw, got int64"])
case("full_like_fill_value", ARGS, "`full_like` with a string fill value",
     lambda tmp: {"x": T(2, 3, grad=False)}, lambda o: creation.full_like(o.x, "a"), TypeError,
     ["full_like: fill_value must be a number", "'a' (str)"])
case("zeros_like_list", ARGS, "`zeros_like` of a list",
     lambda tmp: {}, lambda o: creation.zeros_like([1, 2]), TypeError,
     ["zeros_like: input must be a Tensor", "[1, 2] (list)"])
case("arange_wrong_direction", ARGS, "`arange` whose step goes away from the end",
     lambda tmp: {}, lambda o: creation.arange(0, 5, -1), ValueError,
     ["arange: step -1 goes away from stop", "start=0", "stop=5"])
case("creation_bad_dtype", ARGS, "a creation function with a misspelt dtype",
     lambda tmp: {}, lambda o: creation.ones(2, dtype="flot32"), TypeError,
     ["ones: expected a dtype such as minigrad.float32 or 'float64', got 'flot32'"])
case("generator_negative_seed", ARGS, "`Generator().manual_seed` with a negative seed",
     lambda tmp: {}, lambda o: minigrad.Generator().manual_seed(-1), ValueError,
     ["Generator.manual_seed: expected a non-negative int, got -1"])


# -- custom autograd.Functions and autograd.grad ---------------------------------------------------

class ScaleBy(autograd.Function):
    """backward forgets the gradient of alpha (one for two inputs)."""
    @staticmethod
    def forward(ctx, x, alpha):
        ctx.alpha = alpha
        return x * alpha

    @staticmethod
    def backward(ctx, grad):
        return grad * ctx.alpha


class Project(autograd.Function):
    """backward returns w's gradient in x's shape."""
    @staticmethod
    def forward(ctx, x, w):
        return x @ w

    @staticmethod
    def backward(ctx, grad):
        return grad, grad


class Power(autograd.Function):
    """backward returns a gradient for the exponent, an int."""
    @staticmethod
    def forward(ctx, x, k):
        ctx.save_for_backward(x)
        ctx.k = k
        return x ** k

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * ctx.k * x ** (ctx.k - 1), grad


class ToNumber(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        return float(x.sum().item())

    @staticmethod
    def backward(ctx, grad):
        return grad


class SavesAnInt(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x, 3)
        return x * 3

    @staticmethod
    def backward(ctx, grad):
        return grad * 3


class AddOneInPlace(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.mark_dirty(x)
        return x.add_(1.0)

    @staticmethod
    def backward(ctx, grad):
        return grad


def applied(fn, *extra):
    """Prepare: y = fn.apply(x, *extra), recorded."""
    def prepare(o):
        o.y = fn.apply(o.x, *[getattr(o, e) if isinstance(e, str) else e for e in extra])
    return prepare


case("custom_function_grad_count", AUTOGRAD,
     "a custom `autograd.Function` whose backward returns too few gradients",
     lambda tmp: {"x": T(2)}, lambda o: o.y.sum().backward(), RuntimeError,
     ["ScaleBy.backward returned 1 gradient", "ScaleBy.forward took 2 inputs (x, alpha)",
      "one gradient (or None) per input"], prepare=applied(ScaleBy, 2.0))
case("custom_function_grad_shape", AUTOGRAD,
     "a custom `autograd.Function` whose backward returns a gradient of the wrong shape",
     lambda tmp: {"x": T(2), "w": T(2, 2, seed=1)}, lambda o: o.y.sum().backward(),
     RuntimeError, ["Project.backward: the gradient for input 1 (w, shape (2, 2)) has shape "
                    "(2,); expected (2, 2)"], prepare=applied(Project, "w"))
case("custom_function_grad_for_number", AUTOGRAD,
     "a custom `autograd.Function` whose backward returns a gradient for a non-Tensor input",
     lambda tmp: {"x": T(3)}, lambda o: o.y.sum().backward(), RuntimeError,
     ["Power.backward returned a gradient for input 1 (k), which is not a Tensor (int)",
      "return None there"], prepare=applied(Power, 3))
case("custom_function_forward_number", AUTOGRAD,
     "a custom `autograd.Function` whose forward returns a number",
     lambda tmp: {"x": T(3)}, lambda o: ToNumber.apply(o.x), TypeError,
     ["ToNumber.forward must return a Tensor or a tuple of Tensors, got", "(float)"])
case("custom_function_save_number", AUTOGRAD,
     "`ctx.save_for_backward` given a number",
     lambda tmp: {"x": T(3)}, lambda o: SavesAnInt.apply(o.x), TypeError,
     ["SavesAnInt: save_for_backward can only save Tensors or None, but argument 1 is 3 (int)",
      "ctx.value = ..."])
case("custom_function_mark_dirty", AUTOGRAD,
     "an in-place custom `autograd.Function` (`ctx.mark_dirty`)",
     lambda tmp: {"x": T(3, grad=False)}, lambda o: AddOneInPlace.apply(o.x),
     NotImplementedError, ["not implemented: ctx.mark_dirty in AddOneInPlace.forward",
                           "of shape (3,)"])
case("grad_create_graph", AUTOGRAD, "`autograd.grad(..., create_graph=True)`",
     lambda tmp: {"x": T(3)}, lambda o: autograd.grad(o.y, o.x, create_graph=True),
     NotImplementedError, ["not implemented: higher-order gradients (autograd.grad with "
                           "create_graph=True)"], prepare=lambda o: setattr(o, "y",
                                                                            o.x.exp().sum()))
case("grad_unused_input", AUTOGRAD, "`autograd.grad` for an input the output does not use",
     lambda tmp: {"x": T(3), "other": T(2, seed=1)},
     lambda o: autograd.grad(o.y, [o.x, o.other]), RuntimeError,
     ["autograd.grad: inputs[1] (shape (2,)) was not used", "allow_unused=True"],
     prepare=lambda o: setattr(o, "y", o.x.exp().sum()))
case("grad_outputs_shape", AUTOGRAD, "`autograd.grad` with grad_outputs of the wrong shape",
     lambda tmp: {"x": T(3), "g": T(2, grad=False)},
     lambda o: autograd.grad(o.y, o.x, o.g), RuntimeError,
     ["autograd.grad: mismatch in shape: grad_outputs[0] has shape (2,) and outputs[0] has "
      "shape (3,)"], prepare=lambda o: setattr(o, "y", o.x.exp()))
case("grad_outputs_missing", AUTOGRAD, "`autograd.grad` of a non-scalar without grad_outputs",
     lambda tmp: {"x": T(3)}, lambda o: autograd.grad(o.y, o.x), RuntimeError,
     ["autograd.grad: grad_outputs[0] is needed for outputs[0] of shape (3,)"],
     prepare=lambda o: setattr(o, "y", o.x.exp()))
case("autograd_backward_no_grad", AUTOGRAD,
     "`autograd.backward` of a tensor that does not require grad",
     lambda tmp: {"x": T(2, grad=False)}, lambda o: autograd.backward([o.x.exp().sum()]),
     RuntimeError, ["autograd.backward: tensors[0] (shape ()) does not require grad"])
