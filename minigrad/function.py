"""Functions (the graph's nodes) and reverse-mode backward.

A ``Function`` subclass is one differentiable operation written in the classic form:

* ``forward(*arrays, **params) -> array`` computes the output from raw ``xp`` arrays and
  saves what ``backward`` needs with ``save_for_backward``;
* ``backward(dy) -> dx`` or ``(dx1, dx2, ...)``: given dy = ∂L/∂y, return ∂L/∂xᵢ for every
  input (``None`` where ``needs_input_grad[i]`` is false).  This is the chain rule
  dxᵢ = dy · ∂y/∂xᵢ, "δ propagated layer by layer".  First order only: backward works on
  arrays, so gradients of gradients are not recorded.

Every subclass's docstring states the math on two labelled lines (continuation lines
indented below them), which ``minigrad.trace_backward`` prints for each node::

    forward:   y = max(x, 0)
    backward:  dx = dy · [x > 0]

``Function.apply(*tensors, **params)`` runs forward and, if any input requires grad (and
grad mode is on), links the output to this node.  ``run_backward`` then walks the nodes in
reverse topological order without recursion.  The engine, not each op, undoes broadcasting
and type promotion on the returned gradients and checks them against their inputs.

In anomaly mode (``minigrad.detect_anomaly()``), ``apply`` and ``run_backward`` also call
the checks in ``minigrad.anomaly``: NaN/inf in outputs and gradients, where each op was
created, read-only saved arrays.  Outside it they cost one flag lookup per op.
"""
import numpy as np

from . import anomaly, backend
from .anomaly import AnomalyError
from .grad_mode import _state as _modes
from .grad_mode import is_anomaly_check_nan_enabled, is_anomaly_enabled
from .tensor import Tensor

_new = object.__new__

__all__ = ["Function", "GraphFreedError", "AnomalyError", "unbroadcast", "run_backward",
           "register_grad_ready_hook", "queue_callback"]

# Leaf-gradient-ready hooks and end-of-backward callbacks, for code that must act while
# backward still runs (DistributedDataParallel launches a bucket's allreduce as soon as its
# gradients are final, so communication overlaps the rest of backward).  Empty, they cost
# one dict lookup per backward.
_grad_ready_hooks = {}     # id(leaf) -> (leaf, [fn(leaf, grad_array)])
_final_callbacks = []      # fn(): run once at the end of the current backward


class _HookHandle:
    def __init__(self, tensor, fn):
        self._key, self._fn = id(tensor), fn

    def remove(self):
        entry = _grad_ready_hooks.get(self._key)
        if entry is not None and self._fn in entry[1]:
            entry[1].remove(self._fn)
            if not entry[1]:
                del _grad_ready_hooks[self._key]


def register_grad_ready_hook(tensor, fn):
    """Call ``fn(tensor, grad)`` during a ``backward()`` as soon as the leaf ``tensor``'s
    gradient for that backward is complete (every node that consumes it has run).
    ``grad`` is the raw array of this backward's contribution, not yet added into
    ``tensor.grad`` (which still holds what earlier backwards accumulated).  Not called
    by ``autograd.grad`` nor for a leaf that gets no gradient.  Returns a handle whose
    ``remove()`` unregisters ``fn``; the hook keeps ``tensor`` alive until then."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"register_grad_ready_hook: expected a Tensor, got "
                        f"{type(tensor).__name__}")
    if not callable(fn):
        raise TypeError(f"register_grad_ready_hook: fn must be callable, got "
                        f"{type(fn).__name__}")
    _grad_ready_hooks.setdefault(id(tensor), (tensor, []))[1].append(fn)
    return _HookHandle(tensor, fn)


def queue_callback(fn):
    """Run ``fn()`` once, at the end of the backward now running, after every ``.grad``
    has been written (PyTorch's ``Variable._execution_engine.queue_callback``)."""
    _final_callbacks.append(fn)


def _ready_schedule(order):
    """For each node of ``order``: the hooked leaves whose last consumer it is."""
    hooks, last = _grad_ready_hooks, {}
    for fn in order:
        for x, needed in zip(fn.inputs, fn.needs_input_grad):
            if needed and x._fn is None and id(x) in hooks:
                last[id(x)] = fn
    schedule = {}
    for key, fn in last.items():
        schedule.setdefault(fn, []).append(key)
    return schedule


def _fire_ready(keys, finished):
    for key in keys:
        if key in finished and key in _grad_ready_hooks:
            x, dx = finished[key]
            for hook in list(_grad_ready_hooks[key][1]):
                hook(x, dx)


def _run_final_callbacks():
    callbacks = _final_callbacks[:]
    _final_callbacks.clear()
    for fn in callbacks:
        fn()


class GraphFreedError(RuntimeError):
    """backward reached a node whose saved arrays were freed by an earlier backward."""


class Function:
    """Base class of every differentiable op (see the module docstring for the contract)."""

    moves_between_devices = False    # True only for the op that copies to another device
    # Until apply records the node (class attributes: most nodes never set them)
    inputs = ()                      # parent Tensors, kept only while grad is needed
    saved = ()
    out_dtype = None
    freed = False
    # backward may return None for an input that needs a gradient, meaning "none flows
    # there" (PyTorch's rule for custom autograd.Functions); built-in ops may not
    none_is_no_gradient = False
    # when something was saved: (each input's version count, the output's counter, its
    # count, id of the output's memory), checked by backward (see _check_versions)
    saved_versions = None
    created_at = None                # the user's stack, captured in anomaly mode
    _thaw = None                     # anomaly mode: makes saved tensors writable
    # Set by apply on each node, which it makes without calling __init__ (a subclass keeps
    # what it needs as attributes in forward): the inputs' array module and device (class
    # defaults for the CPU, so a CPU node sets neither), and one flag per input, all False
    # when nothing is recorded (grad mode off, or no input requires grad), so an op never
    # needs to look at the grad mode
    xp = np
    device = "cpu"
    needs_input_grad = ()

    # -- what subclasses implement --------------------------------------------------------
    def forward(self, *arrays, **params):
        raise NotImplementedError

    def backward(self, dy):
        raise NotImplementedError

    # -- helpers for subclasses -----------------------------------------------------------
    def save_for_backward(self, *arrays):
        """Keep arrays until backward (freed afterwards unless ``retain_graph=True``)."""
        self.saved = arrays

    def kernel(self, op):
        """The registered implementation of ``op`` for this node's device."""
        return backend.kernel(op, self.device)

    @property
    def name(self):
        return type(self).__name__

    # -- the engine -----------------------------------------------------------------------
    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on Tensors; the result records this node when a gradient is needed."""
        # (every line here runs once per op: an op on small tensors costs about 1 µs of
        # Python, so the node and the output are built without calling __init__s)
        kind = type(getattr(inputs[0], "_data", None))
        arrays, needs = [], []
        for t in inputs:
            if not isinstance(t, Tensor) or type(t._data) is not kind:
                _check_inputs(cls, inputs)   # raises unless all are Tensors on one device
            arrays.append(t._data)
            needs.append(t._requires_grad)
        modes = _modes
        track = True in needs and modes.enabled
        fn = _new(cls)
        fn.needs_input_grad = tuple(needs) if track else (False,) * len(needs)
        if kind is not np.ndarray:
            fn.xp, fn.device = inputs[0].xp, inputs[0].device
        y = fn.forward(*arrays, **params)
        if type(y) is not kind:
            y = _check_output(cls, y, fn.device)
        debug = modes.anomaly
        if debug and modes.anomaly_check_nan:
            anomaly.check_forward(fn, inputs, y)
        out = Tensor._wrap(y, track)
        # an output that is an input's array, or a view of its memory, shares its version
        # count (a new array, the common case, can only be an input's own memory)
        base = y.base
        owner = y if base is None else _memory_owner(base)
        for t in inputs:
            d = t._data
            if d is owner or (d.base is not None and _memory_owner(d) is owner):
                out._versions = t._versions
                break
        if track:
            fn.inputs = inputs
            fn.out_dtype = y.dtype
            out._fn = fn
            if fn.saved:       # what backward reads must not change in place before it
                fn.saved_versions = ([t._versions[0] for t in inputs], out._versions,
                                     out._versions[0], id(owner))
            if debug:
                fn.created_at = anomaly.capture_stack()
                anomaly.protect_saved(fn, out)
        return out

    def _check_versions(self):
        """Raise if an input or the output was changed in place since forward and its
        memory is one this node saved.  The counts are compared first (cheap, at every
        backward); memories are matched only for a count that changed: an in-place change
        to a tensor whose memory was not saved (Mul's output, Add's inputs) is harmless."""
        counts, out_counter, out_count, out_memory = self.saved_versions
        changed = [(t._versions[0], count, id(_memory_owner(t._data)))
                   for t, count in zip(self.inputs, counts) if t._versions[0] != count]
        if out_counter[0] != out_count:
            changed.append((out_counter[0], out_count, out_memory))
        if not changed:
            return
        saved = {id(_memory_owner(a)): a for a in self.saved if a is not None}
        for version, expected, memory in changed:
            if memory in saved:
                raise RuntimeError(
                    f"{self.name}.backward needs a tensor of shape "
                    f"{tuple(saved[memory].shape)} that was changed in place after "
                    f"{self.name} used it (version {version}, expected {expected}); change "
                    f"a .clone() instead, or do it after backward()")

    def __repr__(self):
        return f"<{self.name}>"


def _check_inputs(cls, inputs):
    """The slow path of apply's input check: name what is wrong."""
    for i, t in enumerate(inputs):
        if not isinstance(t, Tensor):
            raise TypeError(f"{cls.__name__}: input {i} must be a Tensor, "
                            f"got {type(t).__name__}")
    device = inputs[0].device
    if any(t.device != device for t in inputs):
        shapes = ", ".join(f"{tuple(x.shape)} on {x.device}" for x in inputs)
        raise RuntimeError(f"{cls.__name__}: expected all inputs on one device, got "
                           f"{shapes}; move them explicitly with .to(device)")


def _check_output(cls, y, device):
    """forward's result when it is not an array of its input's type: a NumPy scalar (from
    a reduction) becomes a 0-d array; one on another device is a bug in the op."""
    if isinstance(y, np.generic):
        y = np.asarray(y)
    if not cls.moves_between_devices and backend.device_of(y) != device:
        # e.g. a CUDA kernel that computed on the host: caught here, not ops later
        raise RuntimeError(f"{cls.__name__}.forward returned an array on "
                           f"{backend.device_of(y)} for inputs on {device}")
    return y


def _memory_owner(array):
    """The array that owns ``array``'s memory (itself, or the base of a view)."""
    base = getattr(array, "base", None)
    if base is None:
        return array
    while getattr(base, "base", None) is not None:
        base = base.base
    return base


def unbroadcast(dx, shape):
    """Sum ``dx`` down to ``shape``: the adjoint of broadcasting ``shape`` up to ``dx.shape``.

    Leading dimensions that broadcasting added are summed away; dimensions that were 1 are
    summed with keepdims.
    """
    if dx.shape == tuple(shape):
        return dx
    extra = dx.ndim - len(shape)
    if extra < 0:
        return dx   # cannot be a broadcast: let the shape check report it
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and dx.shape[extra + i] != 1)
    dx = dx.sum(axis=axes, keepdims=True) if axes else dx
    return dx.reshape(shape) if extra else dx


def _checked_grad(fn, i, dx, x):
    """Undo broadcasting and type promotion on input i's gradient; reject anything else."""
    where = f"{fn.name}.backward"
    if dx is None:
        raise RuntimeError(f"{where} returned None for input {i} ({tuple(x.shape)}), "
                           f"which requires grad")
    try:
        dx_device = backend.device_of(dx)
    except TypeError:
        raise TypeError(f"{where} returned a {type(dx).__name__} for input {i}; "
                        f"expected an array") from None
    if dx_device != x.device:
        raise RuntimeError(f"{where}: gradient for input {i} is on {dx_device}, "
                           f"its input is on {x.device}")
    if isinstance(dx, np.generic):
        dx = np.asarray(dx)
    dx = unbroadcast(dx, x.shape)
    if dx.shape != x.shape:
        raise RuntimeError(f"{where}: gradient for input {i} has shape {tuple(dx.shape)}, "
                           f"its input has shape {tuple(x.shape)}")
    if dx.dtype != x.dtype:
        # Only promotion is undone (a float32 input of a float64 op gets a float32 grad);
        # any other dtype is a bug in the op.
        if dx.dtype != fn.out_dtype:
            allowed = f"{x.dtype}" if fn.out_dtype == x.dtype else \
                f"{x.dtype} (its input's) or {fn.out_dtype} (the output's)"
            raise RuntimeError(f"{where}: gradient for input {i} has dtype {dx.dtype}, "
                               f"expected {allowed}")
        dx = dx.astype(x.dtype)
    return dx


def _topological_order(root):
    """Nodes reachable from ``root``, each after every node that consumes its output.

    An iterative depth-first search (no recursion: a 100 000-op chain works): ``path`` is
    the chain of nodes being explored, each with an iterator over its inputs; a node is
    appended to ``order`` once all its inputs' nodes are, so the reversed list puts every
    consumer before its producers and a node's dy is complete (all paths summed) before
    its backward runs.
    """
    _check_not_freed(root)
    order, visited = [], {root}
    path = [(root, iter(root.inputs))]
    while path:
        fn, inputs = path[-1]
        for t in inputs:
            parent = t._fn
            if parent is not None and parent not in visited:
                _check_not_freed(parent)
                visited.add(parent)
                path.append((parent, iter(parent.inputs)))
                break
        else:                        # every input explored: fn is finished
            path.pop()
            order.append(fn)
    order.reverse()
    return order


def _check_not_freed(fn):
    if fn.freed:
        raise GraphFreedError(
            f"backward through {fn.name} a second time: the first backward freed this "
            f"part of the graph (its inputs and saved arrays); pass retain_graph=True to "
            f"the first backward() to keep it")


def run_backward(root, dy, retain_graph=False, on_node=None, accumulate=True):
    """Propagate ``dy`` = ∂L/∂root back to every leaf that requires grad.

    Leaves accumulate into ``.grad``; intermediate tensors that called ``retain_grad()``
    get theirs too.  Unless ``retain_graph``, every node visited is freed afterwards.
    ``on_node(fn, dy, grads)``, if given, is called after each node's backward with the
    gradient it received and the checked gradient of each input (None where not needed):
    ``minigrad.trace_backward`` records the gradient norms this way.
    The ``.grad`` fields are written only once every node's backward has succeeded, so a
    backward that raises (a failed check, an in-place change found) leaves them as they were.
    With ``accumulate=False`` no ``.grad`` is written at all (``minigrad.autograd.grad``
    collects the gradients through ``on_node`` instead).
    """
    debug = is_anomaly_enabled()
    check_nan = debug and is_anomaly_check_nan_enabled()
    if check_nan:
        anomaly.check_root_grad(dy)
    fn0 = root._fn
    if fn0 is None:                  # a leaf: its gradient is dy
        if accumulate:
            root._accumulate(dy)
        return
    pending = {fn0: dy}              # node -> its summed dy (nodes hash by identity)
    # id(tensor) -> (tensor, its summed gradient): the .grad fields to fill at the end
    finished = {id(root): (root, dy)} if root._retains_grad else {}
    order = _topological_order(fn0)
    ready = _ready_schedule(order) if accumulate and _grad_ready_hooks else None
    for fn in order:
        dy = pending.pop(fn, None)
        # None when no gradient reached this node: every consumer's backward returned None
        # for it (only custom autograd.Functions may, see none_is_no_gradient)
        if dy is not None:
            try:
                if fn.saved_versions is not None:
                    fn._check_versions()
                grads = fn.backward(dy)
            except Exception as exc:
                if debug:
                    anomaly.add_creation_note(exc, fn)
                raise
            if type(grads) is not tuple:
                grads = (grads,)
            inputs = fn.inputs
            if len(grads) != len(inputs):
                raise RuntimeError(f"{fn.name}.backward returned {len(grads)} gradients for "
                                   f"{len(inputs)} inputs")
            checked = []
            for i, (x, dx, needed) in enumerate(zip(inputs, grads, fn.needs_input_grad)):
                if not needed:
                    checked.append(None)
                    continue
                data = x._data
                if (type(dx) is not type(data) or dx.shape != data.shape
                        or dx.dtype != data.dtype):
                    if dx is None and fn.none_is_no_gradient:
                        checked.append(None)
                        continue
                    dx = _checked_grad(fn, i, dx, x)
                checked.append(dx)
                if check_nan:
                    anomaly.check_grad(fn, i, dx, x, dy)
                parent = x._fn
                if parent is None or x._retains_grad:
                    key = id(x)
                    finished[key] = (x, dx if key not in finished else finished[key][1] + dx)
                if parent is not None:
                    pending[parent] = dx if parent not in pending else pending[parent] + dx
            if on_node is not None:
                on_node(fn, dy, tuple(checked))
        if fn._thaw is not None:
            # anomaly mode: backward has read what this node saved, so its tensors are
            # writable again, even with retain_graph (an optimizer step between two
            # backwards is legal; a later backward's version check still sees the change)
            fn._thaw()
        if not retain_graph:
            fn.inputs, fn.saved, fn.saved_versions, fn.freed = (), (), None, True
        if ready and fn in ready:
            _fire_ready(ready.pop(fn), finished)
    if accumulate:
        for x, dx in finished.values():
            x._accumulate(dx)
        if _final_callbacks:
            _run_final_callbacks()
