"""Containers: ``Sequential`` (a pipeline) and ``ModuleList`` (a list of sub-modules)."""
import collections
import operator

from ..tensor import Tensor
from .module import Module, _addindent

__all__ = ["Sequential", "ModuleList"]


def _index(idx, size, owner):
    """A non-negative position from an int-like ``idx``; IndexError when out of range."""
    idx = operator.index(idx)
    if not -size <= idx < size:
        raise IndexError(f"{owner}: index {idx} is out of range for {size} modules")
    return idx % size


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: modules named "0", "1", … in order."""

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def _key(self, idx):
        return list(self._modules)[_index(idx, len(self), self._get_name())]

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self._slice(list(self._modules.items())[idx])
        return self._modules[self._key(idx)]

    def __setitem__(self, idx, module):
        setattr(self, self._key(idx), module)

    def __delitem__(self, idx):
        keys = list(self._modules)[idx] if isinstance(idx, slice) else [self._key(idx)]
        for key in keys:
            delattr(self, key)
        self._renumber()

    def _renumber(self, modules=None):
        """Name ``modules`` (default: the current ones) "0", "1", … in order."""
        modules = list(self._modules.values()) if modules is None else modules
        self._modules.clear()
        for i, module in enumerate(modules):
            self._modules[str(i)] = module

    def append(self, module):
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def insert(self, index, module):
        """Insert ``module`` before position ``index``."""
        if not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        n = len(self)
        index = operator.index(index)
        index = max(0, min(n, index + n if index < 0 else index))
        modules = list(self._modules.values())
        modules.insert(index, module)
        self._renumber(modules)
        return self

    def __dir__(self):
        return [k for k in super().__dir__() if not k.isdigit()]


class Sequential(_ModuleSequence):
    """Modules applied one after the other: ``forward(x)`` = ``m_k(… m_1(m_0(x)))``.

    ``Sequential(m0, m1, …)`` names them "0", "1", …; ``Sequential(OrderedDict(name=m))``
    keeps the given names.  Indexing, slicing (a Sequential that keeps the names, as in
    PyTorch), ``len``, iteration, ``append``, ``insert``, ``extend`` and ``del`` work.

    >>> model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    >>> list(model.state_dict())
    ['0.weight', '0.bias', '2.weight', '2.bias']
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], collections.OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            for i, module in enumerate(args):
                self.add_module(str(i), module)

    def _slice(self, items):
        return type(self)(collections.OrderedDict(items))      # the same class, as PyTorch

    def forward(self, x):
        for name, module in self._modules.items():
            try:
                x = module(x)
            except (ValueError, TypeError, IndexError, RuntimeError) as exc:
                if type(exc) not in (ValueError, TypeError, IndexError, RuntimeError):
                    raise      # a subclass may need other constructor arguments: leave it be
                # say which layer of the model rejected its input, and what it was given
                raise type(exc)(f"Sequential layer ({name}), given {_describe(x)}: "
                                f"{exc}").with_traceback(exc.__traceback__) from None
        return x


def _describe(x):
    if not isinstance(x, Tensor):
        return type(x).__name__
    return f"shape {x.shape} {x.dtype}" + ("" if x.device == "cpu" else f" on {x.device}")


class ModuleList(_ModuleSequence):
    """A list of sub-modules, registered so that their parameters are the owner's.

    Indexing, slicing, ``len``, iteration, ``append``, ``extend``, ``insert``, ``del`` and
    ``+=`` work as on a list; it has no ``forward``: the owner decides how to use them.
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _slice(self, items):
        return ModuleList(module for _, module in items)

    def __iadd__(self, modules):
        return self.extend(modules)

    def __repr__(self):
        """Like PyTorch's: runs of identical modules are shown once, as ``(0-2): 3 x …``."""
        reprs = [repr(m) for m in self]
        if not reprs:
            return f"{self._get_name()}()"
        runs = []                      # [first index, last index, repr]
        for i, r in enumerate(reprs):
            if runs and runs[-1][2] == r:
                runs[-1][1] = i
            else:
                runs.append([i, i, r])
        lines = [_addindent(f"({a}): {r}" if a == b else f"({a}-{b}): {b - a + 1} x {r}", 2)
                 for a, b, r in runs]
        return f"{self._get_name()}(\n  " + "\n  ".join(lines) + "\n)"
