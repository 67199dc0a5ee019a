"""``Module``: the base class of layers and models (PyTorch's ``nn.Module``).

A Module owns three ordered registries, filled by plain attribute assignment in
``__init__``:

* ``_parameters``: name → :class:`Parameter` (or None, e.g. ``Linear(bias=False).bias``),
* ``_buffers``: name → Tensor (or None): state that is not learned, e.g. BatchNorm's
  running statistics; saved by ``state_dict`` unless registered with ``persistent=False``,
* ``_modules``: name → sub-Module.

Names are kept in definition order, so ``state_dict()`` keys come out as PyTorch names
them (``"0.weight"``, ``"features.1.running_mean"``...) and a PyTorch state dict converted
to NumPy arrays loads as is.
"""
import collections
import collections.abc
import itertools

from .. import backend, dtypes
from ..grad_mode import no_grad
from ..parameter import Parameter
from ..tensor import Tensor
from ._state import match_state_dict

__all__ = ["Module", "IncompatibleKeys", "RemovableHandle"]

class RemovableHandle:
    """What ``register_forward_pre_hook`` returns: ``handle.remove()`` unregisters the hook."""

    _next_id = itertools.count()

    def __init__(self, hooks):
        self.hooks_dict_ref = hooks
        self.id = next(RemovableHandle._next_id)

    def remove(self):
        self.hooks_dict_ref.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class IncompatibleKeys(collections.namedtuple("IncompatibleKeys",
                                              ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` did not match: two lists of keys."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"      # what PyTorch shows
        return super().__repr__()


def _addindent(text, spaces):
    lines = text.split("\n")
    return lines[0] if len(lines) == 1 else \
        "\n".join([lines[0]] + [" " * spaces + line for line in lines[1:]])


class Module:
    """Base class of every layer and model.

    Subclasses call ``super().__init__()`` first, assign their Parameters, buffers and
    sub-Modules as attributes, and define ``forward``; calling the module calls ``forward``.

    >>> class MLP(nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.hidden = nn.Linear(784, 128)
    ...         self.out = nn.Linear(128, 10)
    ...     def forward(self, x):                      # x (N, 784) -> logits (N, 10)
    ...         return self.out(F.relu(self.hidden(x)))
    >>> [name for name, _ in MLP().named_parameters()]
    ['hidden.weight', 'hidden.bias', 'out.weight', 'out.bias']

    A Tensor assigned as a plain attribute (not a Parameter, not ``register_buffer``) is
    neither a parameter nor saved: wrap learnable tensors in ``nn.Parameter``.
    """

    training: bool

    def __init__(self):
        # Through object.__setattr__: our __setattr__ needs these dicts to exist.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_non_persistent_buffers", set())
        object.__setattr__(self, "_modules", {})

    def forward(self, *args, **kwargs):
        """The computation; every subclass defines it."""
        raise NotImplementedError(f'Module [{self._get_name()}] is missing the required '
                                  f'"forward" function')

    def __call__(self, *args, **kwargs):
        hooks = self.__dict__.get("_forward_pre_hooks_dict")
        if hooks:
            for hook in list(hooks.values()):
                result = hook(self, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        return self.forward(*args, **kwargs)

    def register_forward_pre_hook(self, hook):
        """Call ``hook(module, args)`` before every ``forward``; a non-None result replaces
        the positional arguments (a tuple, or one value).  Returns a handle whose
        ``remove()`` unregisters it.  Hooks run in registration order (PyTorch's
        ``_forward_pre_hooks``, an ordered dict id → hook, which pruning also uses)."""
        if not callable(hook):
            raise TypeError(f"register_forward_pre_hook: hook must be callable, got "
                            f"{type(hook).__name__}")
        hooks = self._forward_pre_hooks
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    @property
    def _forward_pre_hooks(self):
        """id → hook, created on first use (so modules built or unpickled before hooks
        existed still work)."""
        hooks = self.__dict__.get("_forward_pre_hooks_dict")
        if hooks is None:
            hooks = collections.OrderedDict()
            object.__setattr__(self, "_forward_pre_hooks_dict", hooks)
        return hooks

    # -- registration ---------------------------------------------------------------------
    def _check_initialized(self, what, name):
        if "_parameters" not in self.__dict__:
            cls = self._get_name()
            raise AttributeError(f"cannot assign {what} {name!r} before Module.__init__() "
                                 f"call: call super().__init__() first in {cls}.__init__")

    def _check_new(self, what, name, store):
        """Raise unless ``name`` can be registered as a ``what`` kept in ``self.<store>``."""
        self._check_initialized(what, name)
        if not isinstance(name, str):
            raise TypeError(f"{what} name should be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{what} name must be a non-empty string without '.', "
                           f"got {name!r}")
        if hasattr(self, name) and name not in self.__dict__[store]:
            raise KeyError(f"attribute {name!r} already exists")

    def register_parameter(self, name, param):
        """Add ``param`` (a :class:`Parameter`, or None for an absent one) as ``name``."""
        self._check_new("parameter", name, "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign '{type(param).__name__}' object to parameter "
                            f"{name!r} (minigrad.nn.Parameter or None required)")
        self._parameters[name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """Add a Tensor (or None) that is module state but not a parameter.

        Buffers follow ``to()`` and, if ``persistent``, are saved by ``state_dict()``.
        """
        self._check_new("buffer", name, "_buffers")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign '{type(tensor).__name__}' object to buffer "
                            f"{name!r} (a Tensor or None required)")
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers.discard(name)
        else:
            self._non_persistent_buffers.add(name)

    def add_module(self, name, module):
        """Add a sub-Module (or None) as ``name``."""
        self._check_new("module", name, "_modules")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name, value):
        d = self.__dict__
        params = d.get("_parameters")
        if isinstance(value, Parameter):
            self._check_initialized("parameter", name)
            self._forget(name, keep=self._parameters)
            self.register_parameter(name, value)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter "
                                f"{name!r} (minigrad.nn.Parameter or None expected); to "
                                f"change its values use `with minigrad.no_grad(): "
                                f"self.{name}.copy_(...)`")
            params[name] = None
        elif isinstance(value, Module):
            self._check_initialized("module", name)
            self._forget(name, keep=self._modules)
            self._modules[name] = value
        elif params is not None and name in d["_modules"]:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as child module "
                                f"{name!r} (a Module or None expected)")
            d["_modules"][name] = None
        elif params is not None and name in d["_buffers"]:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign '{type(value).__name__}' as buffer {name!r} "
                                f"(a Tensor or None expected)")
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name, keep):
        """Remove ``name`` from the instance dict and the registries other than ``keep``
        (which is about to re-bind it, keeping its place in the order)."""
        self.__dict__.pop(name, None)
        for registry in (self._parameters, self._buffers, self._modules):
            if registry is not keep:
                registry.pop(name, None)
        self._non_persistent_buffers.discard(name)

    def __getattr__(self, name):
        # Only called when normal lookup fails.  The registries are read from __dict__
        # directly: during copy.deepcopy/unpickling they do not exist yet.
        d = self.__dict__
        for registry in ("_parameters", "_buffers", "_modules"):
            if registry in d and name in d[registry]:
                return d[registry][name]
        hint = (f": Keras' {name} is a method of minigrad.train.Model (subclass it, or use "
                f"train.Sequential), or call minigrad.train.{name}(model, ...)") \
            if name in ("compile", "fit", "evaluate", "predict") else ""
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'{hint}")

    def __delattr__(self, name):
        for registry in (self._parameters, self._buffers, self._modules):
            if name in registry:
                del registry[name]
                self._non_persistent_buffers.discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    # -- traversal ------------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(name, module) for this module ("") and every descendant, depth first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub = f"{prefix}.{name}" if prefix else name
            yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def named_children(self):
        """(name, module) for the direct sub-modules, each once."""
        seen = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self):
        for _, module in self.named_children():
            yield module

    def _named_members(self, registry, prefix, recurse, remove_duplicate):
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        seen = set()
        for module_prefix, module in modules:
            for name, value in getattr(module, registry).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{module_prefix}.{name}" if module_prefix else name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(qualified name, Parameter) pairs, in definition order; a shared one once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        """The Parameters (an iterator), e.g. for ``optim.SGD(model.parameters(), lr)``."""
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """(qualified name, Tensor) for every buffer (non-persistent ones included)."""
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target):
        """The sub-module at a dotted path such as ``"features.0"`` ("" is self)."""
        module = self
        for part in target.split(".") if target else ():
            child = module._modules.get(part) if isinstance(module, Module) else None
            if child is None:
                raise AttributeError(f"{module._get_name()} has no submodule {part!r} "
                                     f"(looking up {target!r})")
            module = child
        return module

    def num_parameters(self, trainable_only=False):
        """Total element count of the parameters (each shared one counted once)."""
        return sum(p.numel() for p in self.parameters()
                   if p.requires_grad or not trainable_only)

    # -- modes and gradients --------------------------------------------------------------
    def train(self, mode=True):
        """Set training mode (True) or evaluation mode (False) here and in every
        sub-module; Dropout and BatchNorm behave differently.  Returns self."""
        if not isinstance(mode, bool):
            raise TypeError(f"train(): mode must be a bool, got {type(mode).__name__}")
        object.__setattr__(self, "training", mode)
        for module in self.children():
            module.train(mode)
        return self

    def eval(self):
        """``train(False)``: evaluation mode.  Returns self."""
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        """Turn gradient tracking of every parameter on or off (e.g. to freeze a part)."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's ``.grad``: to None (default) or to zeros in place."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                p.grad.zero_()

    def apply(self, fn):
        """Call ``fn(module)`` on every sub-module (children first) and on self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    # -- device and dtype -----------------------------------------------------------------
    def to(self, *args, device=None, dtype=None):
        """Move every parameter and buffer to a device and/or cast the floating-point ones
        to a dtype, IN PLACE; returns self.

        ``to("cuda")``, ``to(minigrad.float64)``, ``to("cpu", minigrad.float64)`` or
        keywords.  The Parameter objects stay the same (their ``.data`` and ``.grad`` are
        replaced), so an optimizer built before still updates them — but its per-parameter
        state (e.g. Adam's moments) is not converted: build optimizers after ``to()``.
        Integer buffers such as ``num_batches_tracked`` keep their dtype, as in PyTorch.
        """
        if len(args) > 2:
            raise TypeError(f"to() takes a device and/or a dtype, got {len(args)} arguments")
        for arg in args:
            if isinstance(arg, str) and arg.lower().split(":")[0] in backend.DEVICES:
                device = arg
            else:
                dtype = arg
        if device is not None:
            device = backend.normalize_device(device)
            backend.xp_for(device)     # raise CudaUnavailableError now, before any change
        if dtype is not None:
            dtype = dtypes.as_dtype(dtype)
            if not dtypes.is_floating(dtype):
                raise TypeError(f"Module.to only accepts floating point dtypes, got {dtype}")

        def convert(array):
            if dtype is not None and array.dtype.kind == "f" and array.dtype != dtype:
                array = array.astype(dtype)
            return array if device is None else backend.to_device(array, device)

        for t in self._tensors():
            t._data = convert(t._data)
            if t.grad is not None:
                grad = convert(t.grad._data)
                if grad is not t.grad._data:
                    t.grad = Tensor._wrap(grad)
        return self

    def _tensors(self):
        """Every parameter and buffer, each once."""
        seen = set()
        for t in itertools.chain(self.parameters(), self.buffers()):
            if id(t) not in seen:
                seen.add(id(t))
                yield t

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    # -- state dict -----------------------------------------------------------------------
    def state_dict(self, prefix="", keep_vars=False):
        """An OrderedDict of qualified name → Tensor: every parameter and persistent
        buffer, in PyTorch's order (a module's parameters, its buffers, then its children).

        The Tensors are ``detach()``-ed but SHARE the module's arrays, as in PyTorch: they
        change as training goes on.  Copy them (or ``minigrad.save`` them) to keep a
        snapshot.  ``keep_vars=True`` gives the Parameter/buffer objects themselves.
        A parameter shared by two modules appears under both names.
        """
        out = collections.OrderedDict()
        for module_prefix, module in self.named_modules(prefix=prefix.rstrip("."),
                                                        remove_duplicate=False):
            base = module_prefix + "." if module_prefix else ""
            for name, p in module._parameters.items():
                if p is not None:
                    out[base + name] = p if keep_vars else p.detach()
            for name, b in module._buffers.items():
                if b is not None and name not in module._non_persistent_buffers:
                    out[base + name] = b if keep_vars else b.detach()
        return out

    def load_state_dict(self, state_dict, strict=True):
        """Copy values from ``state_dict`` (name → Tensor or NumPy/CuPy array) into this
        module's parameters and buffers, in place.

        Every check runs before anything is copied, so a failed load changes nothing:
        with ``strict=True`` the keys must match exactly; in any mode a value of the wrong
        shape, or one that is not a Tensor/array, is an error (a RuntimeError listing every
        problem, keys and expected/got shapes named).  Values are cast to the target's
        dtype and put on its device.  Returns ``IncompatibleKeys(missing_keys,
        unexpected_keys)``.
        """
        if not isinstance(state_dict, collections.abc.Mapping):
            raise TypeError(f"load_state_dict: expected a dict of name -> Tensor/array, got "
                            f"{type(state_dict).__name__}")
        copies, missing, unexpected = match_state_dict(
            self.state_dict(keep_vars=True), state_dict, strict, self._get_name())
        with no_grad():
            written = {id(target) for target, _ in copies}
            for key, target in self.state_dict(keep_vars=True).items():
                if id(target) in written:     # e.g. saved for backward under detect_anomaly()
                    target._check_writable(f"load_state_dict: {key!r}")
            for target, value in copies:
                target.copy_(value)
        return IncompatibleKeys(missing, unexpected)

    # -- repr -----------------------------------------------------------------------------
    def _get_name(self):
        return type(self).__name__

    def extra_repr(self):
        """The options shown inside this module's repr; layers override it."""
        return ""

    def _short_repr(self):
        """``Linear(in_features=784, out_features=10, bias=True)``: the layer on one line,
        used to name it in error messages."""
        return f"{self._get_name()}({self.extra_repr()})"

    def __repr__(self):
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [f"({name}): " + _addindent(repr(module), 2)
                       for name, module in self._modules.items()]
        lines = extra_lines + child_lines
        body = ""
        if lines:
            if len(extra_lines) == 1 and not child_lines:
                body = extra_lines[0]
            else:
                body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{self._get_name()}({body})"

    # -- naming the layer in errors -------------------------------------------------------
    def _fail(self, message, kind=ValueError):
        """Raise ``kind`` with the layer (e.g. ``Linear(in_features=...)``) named first."""
        raise kind(f"{self._short_repr()}: {message}")

    def _call(self, fn, *args, **kwargs):
        """``fn(*args, **kwargs)`` (a functional op), re-raising the op's ValueError,
        TypeError, IndexError or RuntimeError (devices) about its arguments with this layer
        named first."""
        try:
            return fn(*args, **kwargs)
        except (ValueError, TypeError, IndexError, RuntimeError) as exc:
            if type(exc) not in (ValueError, TypeError, IndexError, RuntimeError):
                raise      # a subclass may need other constructor arguments: leave it be
            raise type(exc)(f"{self._short_repr()}: {exc}").with_traceback(
                exc.__traceback__) from None
