"""PyTorch's ``torch.autograd`` API on minigrad's engine: custom ``Function`` classes with a
``ctx``, and ``grad`` / ``backward`` of several outputs at once.

A custom Function in PyTorch's style works on Tensors::

    class Clamp(minigrad.autograd.Function):
        @staticmethod
        def forward(ctx, x, low, high):
            ctx.save_for_backward(x)
            ctx.low, ctx.high = low, high
            return x.clamp(low, high)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * ((x >= ctx.low) & (x <= ctx.high)), None, None

    y = Clamp.apply(x, -1.0, 1.0)

It is not a second autograd: each subclass gets a node class of the engine, a
:class:`minigrad.function.Function` named ``ClampBackward`` (PyTorch's name for
``y.grad_fn``), whose ``forward`` / ``backward`` on raw arrays wrap them in Tensors and call
the user's static methods with a :class:`FunctionCtx`.  The user's ``forward`` runs under
``no_grad()`` (its inside is one node of the graph) and so does ``backward`` (first order
only: minigrad does not record gradients of gradients).  What the engine does for every op
is done for these too: version checks of saved tensors, anomaly mode, ``retain_graph``,
``trace_backward``, broadcast gradients summed back to their input's shape.

``grad(outputs, inputs)`` returns ∂outputs/∂inputs without touching any ``.grad``;
``backward(tensors, grad_tensors)`` accumulates into ``.grad`` from several outputs at once.
"""
import functools
import inspect
import sys
import types

import numpy as np

from . import dtypes
from ._check import check_bool, got
from .function import Function as _Node
from .function import GraphFreedError, run_backward, unbroadcast
from .grad_mode import no_grad
from .tensor import Tensor

__all__ = ["Function", "FunctionCtx", "grad", "backward", "once_differentiable"]


def _not_implemented(what, why):
    return NotImplementedError(f"not implemented: {what} ({why})")


# -- the ctx ---------------------------------------------------------------------------------

class FunctionCtx:
    """The ``ctx`` a custom Function's ``forward`` and ``backward`` share (PyTorch's
    ``FunctionCtx``): ``save_for_backward``, ``saved_tensors``, ``needs_input_grad``,
    ``mark_non_differentiable``, ``set_materialize_grads``, and any attribute ``forward``
    sets (``ctx.alpha = alpha``)."""

    def __init__(self, fn_class, needs_input_grad):
        self._fn_class = fn_class
        self.needs_input_grad = needs_input_grad   # one flag per argument of forward
        self.materialize_grads = True
        self._to_save = ()
        self._slots = ()          # per saved tensor: None, ("input", k) or ("array", j)
        self._node = None
        self._non_differentiable = []

    def save_for_backward(self, *tensors):
        """Keep tensors (inputs, outputs or intermediates; None allowed) for backward."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"{self._fn_class.__name__}: save_for_backward can only save "
                                f"Tensors or None, but argument {i} is {got(t)}; store other "
                                f"values as attributes of ctx (ctx.value = ...)")
        self._to_save = tensors

    @property
    def saved_tensors(self):
        """The tensors given to ``save_for_backward``, in order."""
        node = self._node
        if node is None:
            return tuple(self._to_save)
        if node.freed:
            raise GraphFreedError(
                f"{self._fn_class.__name__}: saved_tensors after the graph was freed by a "
                f"backward; pass retain_graph=True to the first backward() to keep them")
        out = []
        for slot in self._slots:
            if slot is None:
                out.append(None)
            elif slot[0] == "input":
                out.append(node.inputs[slot[1]])
            else:
                out.append(Tensor._wrap(node.saved[slot[1]]))
        return tuple(out)

    saved_variables = saved_tensors     # PyTorch's deprecated name

    def mark_non_differentiable(self, *outputs):
        """Outputs that get no gradient (``requires_grad`` False; backward receives zeros for
        them)."""
        for i, t in enumerate(outputs):
            if not isinstance(t, Tensor):
                raise TypeError(f"{self._fn_class.__name__}: mark_non_differentiable expects "
                                f"output Tensors, but argument {i} is {got(t)}")
        self._non_differentiable.extend(outputs)

    def mark_dirty(self, *tensors):
        shapes = ", ".join(str(getattr(t, "shape", type(t).__name__)) for t in tensors)
        raise _not_implemented(
            f"ctx.mark_dirty in {self._fn_class.__name__}.forward",
            f"a custom Function that changes its inputs in place, here of shape {shapes}; "
            f"return a new tensor instead")

    def set_materialize_grads(self, value):
        """False: backward receives None (not zeros) for outputs that got no gradient."""
        self.materialize_grads = check_bool(f"{self._fn_class.__name__}.set_materialize_grads",
                                            "value", value)


# -- the engine's node for a custom Function ---------------------------------------------------

class CustomFunctionNode(_Node):
    """The graph node of a custom ``autograd.Function`` (one subclass per Function class,
    named ``<Name>Backward`` as PyTorch's ``grad_fn``).

    forward:   y = Name.forward(ctx, x₁, …, xₙ)   (the user's code, on Tensors, under no_grad)
    backward:  (dx₁, …, dxₙ) = Name.backward(ctx, dy)
    """

    user = None      # the autograd.Function subclass
    ctx = None
    none_is_no_gradient = True
    layout = None    # several outputs: [(k, shape, dtype, offset, size)] of the packed ones
    outputs = None   # several outputs: what forward returned
    direct = False   # several outputs, one differentiable: it is this node's output
    _arg_types = ()  # per argument of forward: None for a Tensor, else its type's name

    def forward(self, *arrays, call):
        args, box = call
        user = self.user
        positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        # as PyTorch: whether each argument requires grad (even under no_grad)
        ctx = FunctionCtx(user, tuple(isinstance(a, Tensor) and a.requires_grad
                                      for a in args))
        self.ctx = ctx
        box["node"] = self
        self._arg_types = tuple(None if isinstance(a, Tensor) else type(a).__name__
                                for a in args)
        with no_grad():
            if user._setup_style:
                result = user.forward(*args)
                user.setup_context(ctx, tuple(args), result)
            else:
                result = user.forward(ctx, *args)
        name = user.__name__
        marked = {id(t) for t in ctx._non_differentiable}
        if isinstance(result, Tensor):
            y = result._data
            # marked, or not floating point (indices, masks): no gradient, as PyTorch
            box["single"] = id(result) in marked or not dtypes.is_floating(result.dtype)
        elif isinstance(result, (tuple, list)) and any(isinstance(o, Tensor) for o in result):
            y = self._pack(list(result), marked)
        else:
            raise TypeError(f"{name}.forward must return a Tensor or a tuple of Tensors, "
                            f"got {got(result)}")
        # what backward reads: inputs by position (the engine keeps them), others by array
        tensor_inputs = [args[i] for i in positions]
        slots, arrays_to_save = [], []
        for t in ctx._to_save:
            if t is None:
                slots.append(None)
                continue
            k = next((k for k, x in enumerate(tensor_inputs) if x is t), None)
            if k is not None:
                slots.append(("input", k))
            else:
                slots.append(("array", len(arrays_to_save)))
            arrays_to_save.append(t._data)
        # every saved tensor's array is in self.saved (so that the engine's version check
        # sees them); ("array", j) indexes that tuple
        ctx._slots = tuple(slots)
        ctx._to_save = ()
        ctx._node = self
        if arrays_to_save:
            self.save_for_backward(*arrays_to_save)
        return y

    def _pack(self, outs, marked):
        """Several outputs: the floating-point ones not marked non-differentiable, flattened
        into one array (this node's one output); ``apply`` hands out slices of it.  When
        only one is differentiable (values and indices, say), it is the output itself."""
        layout, offset = [], 0
        for k, o in enumerate(outs):
            if isinstance(o, Tensor) and dtypes.is_floating(o.dtype) and id(o) not in marked:
                layout.append((k, o.shape, o.dtype, offset, o._data.size))
                offset += o._data.size
        self.layout, self.outputs = layout, outs
        xp = self.xp
        if len(layout) == 1:
            self.direct = True
            return outs[layout[0][0]]._data
        if not layout:
            return xp.zeros((0,), dtype=dtypes.default_float)
        common = np.result_type(*[dtype for _, _, dtype, _, _ in layout])
        return xp.concatenate([outs[k]._data.reshape(-1).astype(common, copy=False)
                               for k, *_ in layout])

    def backward(self, dy):
        user, ctx = self.user, self.ctx
        name = user.__name__
        if self.layout is None:
            grads_out = (Tensor._wrap(dy),)
        else:
            grads_out = []
            where = {k: (shape, dtype, off, n) for k, shape, dtype, off, n in self.layout}
            for k, o in enumerate(self.outputs):
                if k in where and self.direct:
                    grads_out.append(Tensor._wrap(dy))
                elif k in where:
                    shape, dtype, off, n = where[k]
                    grads_out.append(Tensor._wrap(dy[off:off + n].reshape(shape).astype(dtype)))
                elif isinstance(o, Tensor) and ctx.materialize_grads:
                    grads_out.append(Tensor._wrap(self.xp.zeros(o.shape, dtype=o.dtype)))
                else:
                    grads_out.append(None)
        with no_grad():
            grads = user.backward(ctx, *grads_out)
        if not isinstance(grads, (tuple, list)):
            grads = (grads,)
        arg_types = self._arg_types
        n = len(arg_types)
        if len(grads) < n or any(g is not None for g in grads[n:]):
            raise RuntimeError(
                f"{name}.backward returned {len(grads)} gradient{'s' * (len(grads) != 1)}, "
                f"but {name}.forward took {n} input{'s' * (n != 1)} "
                f"({', '.join(_arg_names(user, n))}); return one gradient (or None) per "
                f"input of forward")
        result = []
        k = -1
        for i, (a, g) in enumerate(zip(arg_types, grads)):
            if a is not None:
                if g is not None:
                    raise RuntimeError(
                        f"{name}.backward returned a gradient for input {i} "
                        f"({_arg_names(user, n)[i]}), which is not a Tensor "
                        f"({a}); return None there")
                continue
            k += 1
            if not self.needs_input_grad[k]:
                result.append(None)
                continue
            x = self.inputs[k]
            result.append(self._checked(name, i, _arg_names(user, n)[i], g, x))
        return tuple(result)

    def _checked(self, name, i, arg, g, x):
        """Input i's gradient as an array of its shape and dtype (None: no gradient)."""
        if g is None:
            return None
        where = f"{name}.backward: the gradient for input {i} ({arg}, shape {x.shape})"
        if not isinstance(g, Tensor):
            raise TypeError(f"{where} must be a Tensor or None, got {got(g)}")
        dx = g._data
        if g.device != x.device:
            raise RuntimeError(f"{where} is on {g.device}, its input on {x.device}")
        if dx.shape != x.shape:
            dx = unbroadcast(dx, x.shape)
            if dx.shape != x.shape:
                raise RuntimeError(f"{where} has shape {g.shape}; expected {x.shape} (or a "
                                   f"shape that broadcasting {x.shape} gives)")
        if dx.dtype != x.dtype:
            dx = dx.astype(x.dtype)
        return dx


def _arg_names(user, n):
    """The names of forward's first n arguments (after ctx), for messages."""
    names = user._arg_names
    return [names[i] if i < len(names) else f"input {i}" for i in range(n)]


# -- autograd.Function -----------------------------------------------------------------------

def _not_overridden(*args, **kwargs):
    raise NotImplementedError


class Function:
    """Base class of custom differentiable functions with PyTorch's interface: static
    ``forward(ctx, *args, **kwargs)`` and ``backward(ctx, *grad_outputs)`` on Tensors, called
    through ``MyFn.apply(*args)``.  ``backward`` returns one gradient (or None) per argument
    of ``forward``; non-Tensor arguments get None.  PyTorch's newer form, ``forward(*args)``
    without ctx plus ``setup_context(ctx, inputs, output)``, works too.  See the module
    docstring for the mechanism (one node of minigrad's engine per call)."""

    _backward_cls = None
    _setup_style = False
    _arg_names = ()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._setup_style = cls.setup_context is not Function.setup_context
        try:
            params = list(inspect.signature(cls.forward).parameters.values())
        except (TypeError, ValueError):
            params = []
        if not cls._setup_style:
            params = params[1:]
        cls._arg_names = tuple(p.name for p in params
                               if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
        doc = cls.__doc__ or ""
        if "forward:" not in doc or "backward:" not in doc:
            doc = (f"The node of the custom Function {cls.__qualname__}.\n\n"
                   f"    forward:   y = {cls.__name__}.forward(ctx, …)\n"
                   f"    backward:  dx = {cls.__name__}.backward(ctx, dy)\n")
        cls._backward_cls = type(f"{cls.__name__}Backward", (CustomFunctionNode,),
                                 {"user": cls, "__doc__": doc, "__module__": cls.__module__,
                                  "__qualname__": f"{cls.__qualname__}Backward"})

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a custom autograd.Function must define a static "
                                  "forward(ctx, *args)")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("a custom autograd.Function must define a static "
                                  "backward(ctx, *grad_outputs) to be differentiated")

    setup_context = staticmethod(_not_overridden)

    @staticmethod
    def jvp(ctx, *grad_inputs):
        raise _not_implemented("forward-mode AD (jvp)", "minigrad has reverse mode only")

    @staticmethod
    def vmap(info, in_dims, *args):
        raise _not_implemented("vmap", "minigrad has no batching transform")

    def __call__(self, *args, **kwargs):
        raise RuntimeError(f"{type(self).__name__}: call a custom Function through its class, "
                           f"{type(self).__name__}.apply(...) (forward and backward are "
                           f"static methods)")

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` and, when an input requires grad, record one node of the graph."""
        if cls is Function:
            raise TypeError("autograd.Function.apply: subclass Function and call "
                            "MyFunction.apply(...)")
        if kwargs:       # bind keywords to positions, so that gradients match positions
            try:
                sig = inspect.signature(cls.forward)
                if not cls._setup_style:
                    sig = sig.replace(parameters=list(sig.parameters.values())[1:])
                bound = sig.bind(*args, **kwargs)
            except TypeError as exc:
                raise TypeError(f"{cls.__name__}.apply: {exc}") from None
            bound.apply_defaults()
            args, kwargs = bound.args, bound.kwargs
            if kwargs:
                raise TypeError(f"{cls.__name__}.apply: keyword-only arguments "
                                f"{sorted(kwargs)} cannot be passed through apply; make "
                                f"them positional")
        tensors = [a for a in args if isinstance(a, Tensor)]
        if not tensors:                  # nothing to differentiate: a plain call
            ctx = FunctionCtx(cls, (False,) * len(args))
            with no_grad():
                if cls._setup_style:
                    result = cls.forward(*args)
                    cls.setup_context(ctx, tuple(args), result)
                    return result
                return cls.forward(ctx, *args)
        box = {}
        node_cls = cls._backward_cls
        out = node_cls.apply(*tensors, call=(args, box))
        node = box["node"]
        if node.layout is None:
            if box.get("single") and out._fn is not None:
                out._fn, out._requires_grad = None, False
            return out
        # several outputs: slices of the packed output (differentiable when recorded)
        outs = list(node.outputs)
        if out._fn is None:
            return tuple(outs)
        for k, shape, dtype, offset, size in () if node.direct else node.layout:
            piece = out[offset:offset + size].reshape(shape)
            outs[k] = piece if piece.dtype == dtype else piece.to(dtype)
        packed = {k for k, *_ in node.layout}
        if node.direct:
            outs[node.layout[0][0]] = out
        for k, o in enumerate(outs):
            if isinstance(o, Tensor) and k not in packed:
                outs[k] = Tensor._wrap(o._data)       # not differentiable
        return tuple(outs)


def once_differentiable(fn):
    """PyTorch's decorator for a backward that cannot itself be differentiated: every
    backward in minigrad is (no gradients of gradients), so it changes nothing."""
    @functools.wraps(fn)
    def wrapper(ctx, *args):
        return fn(ctx, *args)
    return wrapper


# -- grad and backward -----------------------------------------------------------------------

class _Outputs(_Node):
    """The start of a backward from several outputs at once (``grad``, ``backward``): a node
    whose inputs are the outputs and whose backward hands each its given gradient.

    forward:   (none: made by autograd.grad/backward) y = (y₁, …, yₙ)
    backward:  dyₖ = grad_outputs[k]
    """

    grads = ()

    def backward(self, dy):
        return self.grads


def _as_tuple(value, what, where):
    if isinstance(value, Tensor):
        return (value,)
    if isinstance(value, (tuple, list)):
        return tuple(value)
    raise TypeError(f"{where}: {what} must be a Tensor or a sequence of Tensors, "
                    f"got {got(value)}")


def _start(outputs, grad_outputs, where, names=("outputs", "grad_outputs")):
    """The root of a backward from ``outputs`` with their gradients (checked)."""
    outs = _as_tuple(outputs, names[0], where)
    if not outs:
        raise ValueError(f"{where}: {names[0]} is empty")
    if grad_outputs is None:
        grads = (None,) * len(outs)
    else:
        grads = _as_tuple(grad_outputs, names[1], where)
        if len(grads) != len(outs):
            raise ValueError(f"{where}: {names[1]} has {len(grads)} entries for "
                             f"{len(outs)} {names[0]}")
    device = None
    arrays = []
    for k, (y, g) in enumerate(zip(outs, grads)):
        if not isinstance(y, Tensor):
            raise TypeError(f"{where}: {names[0]}[{k}] must be a Tensor, got {got(y)}")
        if not y.requires_grad:
            raise RuntimeError(f"{where}: {names[0]}[{k}] (shape {y.shape}) does not require "
                               f"grad and has no grad_fn: no input of its computation has "
                               f"requires_grad=True (or it ran under no_grad())")
        device = y.device if device is None else device
        if y.device != device:
            raise RuntimeError(f"{where}: {names[0]} are on {device} and {y.device}; expected "
                               f"one device")
        if g is None:
            if y._data.size != 1:
                raise RuntimeError(f"{where}: {names[1]}[{k}] is needed for {names[0]}[{k}] "
                                   f"of shape {y.shape}: a gradient can be implied only for "
                                   f"a one-element output")
            arrays.append(y.xp.ones(y.shape, dtype=y.dtype))
            continue
        if not isinstance(g, Tensor):
            raise TypeError(f"{where}: {names[1]}[{k}] must be a Tensor or None, got {got(g)}")
        if g.shape != y.shape:
            raise RuntimeError(f"{where}: mismatch in shape: {names[1]}[{k}] has shape "
                               f"{g.shape} and {names[0]}[{k}] has shape {y.shape}")
        if g.device != y.device:
            raise RuntimeError(f"{where}: {names[1]}[{k}] is on {g.device}, "
                               f"{names[0]}[{k}] on {y.device}")
        arrays.append(g._data.astype(y.dtype, copy=False))
    first = outs[0]
    seed = _Outputs()
    seed.xp, seed.device, seed.needs_input_grad = first.xp, device, (True,) * len(outs)
    seed.inputs, seed.grads, seed.out_dtype = outs, tuple(arrays), first.dtype
    root = Tensor._wrap(first.xp.zeros((), dtype=first.dtype), True)
    root._fn = seed
    return root


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """The gradients of ``outputs`` with respect to ``inputs`` (a tuple, one per input),
    without touching any ``.grad`` (PyTorch's ``torch.autograd.grad``).

    ``grad_outputs``: ∂L/∂output for each output (None for a one-element output: 1).  The
    graph is freed afterwards unless ``retain_graph=True``.  An input the outputs do not
    depend on is an error unless ``allow_unused=True`` (then its gradient is None, or zeros
    with ``materialize_grads=True``).  ``create_graph=True`` (gradients of gradients) is not
    implemented: minigrad's backward runs on arrays.
    """
    where = "autograd.grad"
    if create_graph:
        raise _not_implemented("higher-order gradients (autograd.grad with "
                               "create_graph=True)", "minigrad's backward runs on arrays and "
                               "records no graph; gradients are first order only")
    if is_grads_batched:
        raise _not_implemented("autograd.grad with is_grads_batched=True", "no vmap")
    materialize_grads = check_bool(where, "materialize_grads", materialize_grads)
    allow_unused = materialize_grads if allow_unused is None else \
        check_bool(where, "allow_unused", allow_unused)
    if materialize_grads and not allow_unused:
        raise ValueError(f"{where}: materialize_grads=True needs allow_unused=True (or None)")
    ins = _as_tuple(inputs, "inputs", where)
    if not ins:
        raise ValueError(f"{where}: inputs is empty")
    for k, x in enumerate(ins):
        if not isinstance(x, Tensor):
            raise TypeError(f"{where}: inputs[{k}] must be a Tensor, got {got(x)}")
        if not x.requires_grad:
            raise RuntimeError(f"{where}: inputs[{k}] (shape {x.shape}) does not require grad; "
                               f"only tensors with requires_grad=True can be differentiated")
    root = _start(outputs, grad_outputs, where)
    wanted = {id(x): None for x in ins}

    def collect(fn, dy, grads):
        for x, g in zip(fn.inputs, grads):
            if g is not None and id(x) in wanted:
                have = wanted[id(x)]
                wanted[id(x)] = g.copy() if have is None else have + g

    run_backward(root, root._data, retain_graph=bool(retain_graph), on_node=collect,
                 accumulate=False)
    result = []
    for k, x in enumerate(ins):
        g = wanted[id(x)]
        if g is None:
            if not allow_unused:
                raise RuntimeError(f"{where}: inputs[{k}] (shape {x.shape}) was not used to "
                                   f"compute the outputs; pass allow_unused=True to get None "
                                   f"for it")
            result.append(Tensor._wrap(x.xp.zeros(x.shape, dtype=x.dtype))
                          if materialize_grads else None)
        else:
            result.append(Tensor._wrap(g))
    return tuple(result)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             inputs=None):
    """Accumulate into ``.grad`` the gradients of several outputs at once (PyTorch's
    ``torch.autograd.backward``): ``backward([loss1, loss2])`` is ``(loss1 + loss2)
    .backward()``.  ``grad_tensors`` gives ∂L/∂tensor for each (None for one-element ones);
    ``inputs`` limits the accumulation to those tensors."""
    where = "autograd.backward"
    if create_graph:
        raise _not_implemented("higher-order gradients (autograd.backward with "
                               "create_graph=True)", "minigrad's backward runs on arrays and "
                               "records no graph; gradients are first order only")
    if inputs is not None:
        ins = _as_tuple(inputs, "inputs", where)
        grads = grad(tensors, ins, grad_tensors, retain_graph=retain_graph, allow_unused=True)
        for x, g in zip(ins, grads):
            if g is not None:
                x._accumulate(g._data)
        return
    root = _start(tensors, grad_tensors, where, names=("tensors", "grad_tensors"))
    run_backward(root, root._data, retain_graph=bool(retain_graph))


# ``torch.autograd.function``: where PyTorch programs import FunctionCtx and
# once_differentiable from
function = types.ModuleType(f"{__name__}.function",
                            "PyTorch's torch.autograd.function names (see minigrad.autograd).")
function.Function, function.FunctionCtx = Function, FunctionCtx
function.once_differentiable = once_differentiable
sys.modules[function.__name__] = function
