"""Pruning: zero a module's weights through a mask, with ``torch.nn.utils.prune``'s API.

Pruning ``name`` of a module reparametrises it (as PyTorch does):

* the Parameter moves to ``name + "_orig"`` (still learned),
* a buffer ``name + "_mask"`` (same shape and dtype, 1 = kept, 0 = pruned) is registered,
* ``module.name`` becomes a plain attribute, recomputed before every forward by a forward
  pre-hook (the pruning method itself):

      weight = weight_orig · weight_mask

  so  ∂L/∂weight_orig = ∂L/∂weight · weight_mask : pruned weights get zero gradient and stay
  pruned while fine-tuning.  Both ``weight_orig`` and ``weight_mask`` are in ``state_dict``.

``amount``: an int (how many entries / channels to prune) or a float in [0, 1] (that fraction
of them, ``round(amount · count)``).  Pruning a pruned tensor again acts on the entries still
kept (PyTorch's ``PruningContainer``): ``l1_unstructured(m, "weight", 0.5)`` twice leaves
25 %.  ``remove(module, name)`` makes it permanent: ``weight = weight_orig · weight_mask``
becomes the Parameter again and the mask and hook go.

Methods:

* ``l1_unstructured``: prune the entries of smallest |w|;
* ``random_unstructured``: prune entries chosen uniformly at random (minigrad's generator);
* ``ln_structured(n, dim)``: prune whole slices along ``dim`` (dim=0: output channels / rows)
  of smallest Lₙ norm ‖w[i]‖ₙ, taken over every other axis;
* ``global_unstructured``: one L1 threshold over several tensors together;
* ``identity``, ``custom_from_mask``.

``sparsity_report(model)`` lists the fraction of zero weights per layer and overall;
``shrink(model)`` removes zeroed channels physically (a smaller, faster model, same outputs).
"""
import numbers
from abc import ABC, abstractmethod

import numpy as np

from ... import backend
from ... import random as mg_random
from ...grad_mode import no_grad
from ...tensor import Tensor

__all__ = ["BasePruningMethod", "PruningContainer", "Identity", "RandomUnstructured",
           "L1Unstructured", "LnStructured", "CustomFromMask", "identity",
           "random_unstructured", "l1_unstructured", "ln_structured", "global_unstructured",
           "custom_from_mask", "remove", "is_pruned", "sparsity_report", "shrink"]


# -- amount ------------------------------------------------------------------------------------

def _validate_amount(amount, where):
    if isinstance(amount, bool) or not isinstance(amount, numbers.Real):
        raise TypeError(f"{where}: amount must be an int (a count) or a float in [0, 1] (a "
                        f"fraction), got {amount!r} ({type(amount).__name__})")
    if isinstance(amount, numbers.Integral):
        if amount < 0:
            raise ValueError(f"{where}: amount={amount} must be a non-negative int")
    elif not 0.0 <= float(amount) <= 1.0:
        raise ValueError(f"{where}: amount={amount} must be a float in [0, 1]")


def _count_to_prune(amount, size, where):
    """PyTorch's ``_compute_nparams_toprune``: an int as is, a float ``round(amount·size)``."""
    if isinstance(amount, numbers.Integral):
        n = int(amount)
        if n > size:
            raise ValueError(f"{where}: amount={n} should be smaller than the number of "
                             f"parameters to prune={size}")
        return n
    return round(float(amount) * size)


def _data(t):
    """A host NumPy array of a Tensor or array (masks are computed on the host)."""
    return np.asarray(backend.to_device(t._data if isinstance(t, Tensor) else t, "cpu"))


# -- methods -----------------------------------------------------------------------------------

class BasePruningMethod(ABC):
    """A pruning method: ``compute_mask(t, default_mask)`` on arrays, and the forward pre-hook
    that recomputes ``module.<name> = <name>_orig · <name>_mask``."""

    PRUNING_TYPE = None      # "unstructured", "structured" or "global"
    _tensor_name = None

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.apply_mask(module))

    @abstractmethod
    def compute_mask(self, t, default_mask):
        """The new mask (a NumPy array of t's shape and dtype) from the importance scores
        ``t`` and the mask already in place."""

    def apply_mask(self, module):
        name = self._tensor_name
        orig = getattr(module, name + "_orig")
        mask = getattr(module, name + "_mask")
        return orig * mask

    @classmethod
    def apply(cls, module, name, *args, importance_scores=None, **kwargs):
        where = f"prune.{_FUNCTION_NAME.get(cls, cls.__name__)}"
        param = module._parameters.get(name) if hasattr(module, "_parameters") else None
        pruned_before = [(k, h) for k, h in module._forward_pre_hooks.items()
                         if isinstance(h, BasePruningMethod) and h._tensor_name == name]
        if param is None and not pruned_before:
            raise AttributeError(
                f"{where}: {module._short_repr()} has no parameter {name!r} to prune "
                f"(parameters: {[k for k, v in module._parameters.items() if v is not None]})")
        method = cls(*args, **kwargs)
        method._tensor_name = name
        if pruned_before:
            key, old = pruned_before[0]
            del module._forward_pre_hooks[key]
            if isinstance(old, PruningContainer):
                old.add_pruning_method(method)
                method = old
            else:
                container = PruningContainer(old)
                container.add_pruning_method(method)
                method = container
            orig = getattr(module, name + "_orig")
            default_mask = _data(getattr(module, name + "_mask")).copy()
        else:
            orig = param
            default_mask = np.ones_like(_data(orig))
        scores = orig if importance_scores is None else importance_scores
        scores = _data(scores)
        if scores.shape != orig.shape:
            raise ValueError(f"{where}: importance_scores of shape {tuple(scores.shape)} must "
                             f"have the shape of {name!r}, {tuple(orig.shape)}")
        if np.isnan(scores).any():
            raise ValueError(f"{where}: {module._short_repr()}.{name} has NaN values: the "
                             f"weights to rank must be finite")
        mask = np.asarray(method.compute_mask(scores, default_mask), dtype=_data(orig).dtype)
        if not pruned_before:
            module.register_parameter(name + "_orig", orig)
            del module._parameters[name]
            module.register_buffer(name + "_mask", Tensor(mask, device=orig.device))
        else:
            with no_grad():
                getattr(module, name + "_mask").copy_(Tensor(mask))
        setattr(module, name, method.apply_mask(module))
        module.register_forward_pre_hook(method)
        return method

    def prune(self, t, default_mask=None, importance_scores=None):
        """``t · mask`` for a Tensor ``t`` (the mask computed from ``importance_scores``)."""
        scores = t if importance_scores is None else importance_scores
        default = np.ones_like(_data(t)) if default_mask is None else _data(default_mask)
        mask = self.compute_mask(_data(scores), default)
        return t * Tensor(np.asarray(mask, dtype=_data(t).dtype))

    def remove(self, module):
        """Make the pruning permanent: ``name`` becomes the Parameter ``orig · mask``."""
        name = self._tensor_name
        weight = self.apply_mask(module)
        if name in module.__dict__:
            del module.__dict__[name]
        orig = module._parameters[name + "_orig"]
        with no_grad():
            orig.copy_(weight.detach())
        del module._parameters[name + "_orig"]
        del module._buffers[name + "_mask"]
        setattr(module, name, orig)


class PruningContainer(BasePruningMethod):
    """Successive pruning of one tensor: each new method acts on the entries (or, structured,
    the slices) the masks so far have kept."""

    def __init__(self, *methods):
        self._pruning_methods = ()
        for m in methods:
            self.add_pruning_method(m)

    def add_pruning_method(self, method):
        if not isinstance(method, BasePruningMethod) and method is not None:
            raise TypeError(f"{type(method).__name__} is not a BasePruningMethod subclass")
        if method is None:
            return
        if self._tensor_name is not None and method._tensor_name != self._tensor_name:
            raise ValueError(f"can only add pruning methods acting on the parameter named "
                             f"{self._tensor_name!r} to PruningContainer {self}, got "
                             f"{method._tensor_name!r}")
        self._tensor_name = method._tensor_name
        self._pruning_methods += (method,)

    def __len__(self):
        return len(self._pruning_methods)

    def __iter__(self):
        return iter(self._pruning_methods)

    def __getitem__(self, i):
        return self._pruning_methods[i]

    def compute_mask(self, t, default_mask):
        method = self._pruning_methods[-1]
        new_mask = default_mask.copy()
        kind = method.PRUNING_TYPE
        if kind == "unstructured":
            keep = default_mask == 1
            new_mask[keep] = method.compute_mask(t[keep], default_mask[keep])
        elif kind == "structured":
            dim = method.dim if method.dim >= 0 else t.ndim + method.dim
            others = tuple(d for d in range(t.ndim) if d != dim)
            kept = default_mask.sum(axis=others) != 0
            index = [slice(None)] * t.ndim
            index[dim] = kept
            index = tuple(index)
            new_mask[index] = method.compute_mask(t[index], default_mask[index])
        elif kind == "global":
            new_mask = method.compute_mask(t, default_mask)
        else:
            raise ValueError(f"unrecognized PRUNING_TYPE {kind!r}")
        return new_mask


class Identity(BasePruningMethod):
    """Prune nothing: the mask is all ones (reparametrises without pruning)."""

    PRUNING_TYPE = "unstructured"

    def compute_mask(self, t, default_mask):
        return default_mask.copy()

    @classmethod
    def apply(cls, module, name):
        return super().apply(module, name)


class RandomUnstructured(BasePruningMethod):
    """Prune ``amount`` entries chosen uniformly at random (minigrad's generator)."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount(amount, "prune.random_unstructured")
        self.amount = amount

    def compute_mask(self, t, default_mask):
        n = _count_to_prune(self.amount, t.size, "prune.random_unstructured")
        mask = default_mask.copy()
        if n:
            prob = mg_random.numpy_rng().random(t.size)
            mask.reshape(-1)[np.argpartition(-prob, n - 1)[:n]] = 0
        return mask

    @classmethod
    def apply(cls, module, name, amount):
        return super().apply(module, name, amount=amount)


class L1Unstructured(BasePruningMethod):
    """Prune the ``amount`` entries of smallest |t|."""

    PRUNING_TYPE = "unstructured"

    def __init__(self, amount):
        _validate_amount(amount, "prune.l1_unstructured")
        self.amount = amount

    def compute_mask(self, t, default_mask):
        n = _count_to_prune(self.amount, t.size, "prune.l1_unstructured")
        mask = default_mask.copy()
        if n:
            # stable sort: among equal |t| the first in flat order goes first
            order = np.argsort(np.abs(t).reshape(-1), kind="stable")
            mask.reshape(-1)[order[:n]] = 0
        return mask

    @classmethod
    def apply(cls, module, name, amount, importance_scores=None):
        return super().apply(module, name, amount=amount, importance_scores=importance_scores)


def _ln_norm(t, n, axes):
    if n in ("fro", 2):
        return np.sqrt(np.sum(np.square(t, dtype=np.float64), axis=axes))
    if n == np.inf:
        return np.max(np.abs(t), axis=axes, initial=0)
    if n == -np.inf:
        return np.min(np.abs(t), axis=axes)
    if n == 0:
        return np.sum(t != 0, axis=axes).astype(np.float64)
    return np.sum(np.abs(t.astype(np.float64)) ** n, axis=axes) ** (1.0 / n)


class LnStructured(BasePruningMethod):
    """Prune the ``amount`` slices along ``dim`` of smallest Lₙ norm (taken over all other
    axes): dim=0 prunes output channels (Conv2d) / output rows (Linear)."""

    PRUNING_TYPE = "structured"

    def __init__(self, amount, n, dim=-1):
        _validate_amount(amount, "prune.ln_structured")
        if isinstance(n, bool) or not (isinstance(n, numbers.Real) or n == "fro"):
            raise TypeError(f"prune.ln_structured: n must be a number (the norm's order) or "
                            f"'fro', got {n!r} ({type(n).__name__})")
        if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
            raise TypeError(f"prune.ln_structured: dim must be an int, got {dim!r} "
                            f"({type(dim).__name__})")
        self.amount, self.n, self.dim = amount, n, int(dim)

    def compute_mask(self, t, default_mask):
        if not -t.ndim <= self.dim < t.ndim:
            raise IndexError(f"prune.ln_structured: dim={self.dim} is out of range for a "
                             f"{t.ndim}-d tensor of shape {tuple(t.shape)}")
        dim = self.dim % t.ndim
        size = t.shape[dim]
        n_prune = _count_to_prune(self.amount, size, "prune.ln_structured")
        if n_prune == 0:
            return default_mask.copy()
        axes = tuple(d for d in range(t.ndim) if d != dim)
        norm = _ln_norm(t, self.n, axes)
        keep = np.argsort(-norm, kind="stable")[:size - n_prune]
        channel = np.zeros(size, dtype=default_mask.dtype)
        channel[keep] = 1
        shape = [1] * t.ndim
        shape[dim] = size
        return channel.reshape(shape) * default_mask

    @classmethod
    def apply(cls, module, name, amount, n, dim, importance_scores=None):
        return super().apply(module, name, amount=amount, n=n, dim=dim,
                             importance_scores=importance_scores)


class CustomFromMask(BasePruningMethod):
    """The given mask (combined with any mask already in place)."""

    PRUNING_TYPE = "global"

    def __init__(self, mask):
        self.mask = _data(mask)

    def compute_mask(self, t, default_mask):
        if self.mask.shape != default_mask.shape:
            raise ValueError(f"prune.custom_from_mask: mask of shape {tuple(self.mask.shape)}"
                             f" must have the tensor's shape {tuple(default_mask.shape)}")
        return default_mask * self.mask.astype(default_mask.dtype)

    @classmethod
    def apply(cls, module, name, mask):
        return super().apply(module, name, mask=mask)


_FUNCTION_NAME = {Identity: "identity", RandomUnstructured: "random_unstructured",
                  L1Unstructured: "l1_unstructured", LnStructured: "ln_structured",
                  CustomFromMask: "custom_from_mask"}


# -- functions ---------------------------------------------------------------------------------

def _check_module(module, where):
    if not hasattr(module, "_forward_pre_hooks"):
        raise TypeError(f"{where}: expected an nn.Module, got {type(module).__name__}")


def identity(module, name):
    """Reparametrise ``name`` as ``name_orig · name_mask`` with an all-ones mask."""
    _check_module(module, "prune.identity")
    Identity.apply(module, name)
    return module


def random_unstructured(module, name, amount):
    """Prune ``amount`` entries of ``module.<name>`` chosen at random."""
    _check_module(module, "prune.random_unstructured")
    RandomUnstructured.apply(module, name, amount)
    return module


def l1_unstructured(module, name, amount, importance_scores=None):
    """Prune the ``amount`` entries of ``module.<name>`` of smallest |w| (or of smallest
    |importance_scores|)."""
    _check_module(module, "prune.l1_unstructured")
    L1Unstructured.apply(module, name, amount=amount, importance_scores=importance_scores)
    return module


def ln_structured(module, name, amount, n, dim, importance_scores=None):
    """Prune the ``amount`` slices of ``module.<name>`` along ``dim`` of smallest Lₙ norm."""
    _check_module(module, "prune.ln_structured")
    LnStructured.apply(module, name, amount, n, dim, importance_scores=importance_scores)
    return module


def custom_from_mask(module, name, mask):
    """Prune ``module.<name>`` where ``mask`` is 0."""
    _check_module(module, "prune.custom_from_mask")
    CustomFromMask.apply(module, name, mask)
    return module


def global_unstructured(parameters, pruning_method, importance_scores=None, **kwargs):
    """Prune the given ``(module, name)`` tensors together: ``pruning_method(**kwargs)``
    (e.g. ``L1Unstructured`` with ``amount``) ranks all their kept entries at once, so layers
    with small weights lose more.  As in PyTorch, the ranking uses each tensor's current
    (masked) value and the amount applies to the entries not pruned yet."""
    where = "prune.global_unstructured"
    if isinstance(parameters, (Tensor, str)) or not hasattr(parameters, "__iter__"):
        raise TypeError(f"{where}: parameters must be an iterable of (module, name) pairs, "
                        f"got {type(parameters).__name__}")
    parameters = list(parameters)
    if not parameters:
        raise ValueError(f"{where}: parameters is empty")
    for i, pair in enumerate(parameters):
        if not (isinstance(pair, tuple) and len(pair) == 2 and isinstance(pair[1], str)):
            raise TypeError(f"{where}: parameters[{i}] must be a (module, name) pair, got "
                            f"{pair!r}")
        _check_module(pair[0], where)
        if not hasattr(pair[0], pair[1]):
            raise AttributeError(f"{where}: {pair[0]._short_repr()} has no parameter "
                                 f"{pair[1]!r}")
    importance_scores = importance_scores or {}
    if not (isinstance(pruning_method, type) and issubclass(pruning_method, BasePruningMethod)):
        raise TypeError(f"{where}: pruning_method must be a BasePruningMethod subclass "
                        f"such as prune.L1Unstructured, got {pruning_method!r}")
    scores = [_data(importance_scores.get((m, n), getattr(m, n))).reshape(-1)
              for m, n in parameters]
    masks = [_data(getattr(m, n + "_mask")).reshape(-1) if hasattr(m, n + "_mask")
             else np.ones(_data(getattr(m, n)).size, dtype=_data(getattr(m, n)).dtype)
             for m, n in parameters]
    t = np.concatenate([s.astype(np.float64) for s in scores])
    if np.isnan(t).any():
        raise ValueError(f"{where}: the weights to rank have NaN values")
    default_mask = np.concatenate([k.astype(np.float64) for k in masks])
    method = pruning_method(**kwargs)
    if method.PRUNING_TYPE != "unstructured":
        raise TypeError(f'{where}: only "unstructured" PRUNING_TYPE supported for the '
                        f'pruning_method, found {pruning_method.__name__} of type '
                        f'{method.PRUNING_TYPE}')
    method._tensor_name = "temp"
    container = PruningContainer(method)
    final = container.compute_mask(t, default_mask)
    start = 0
    for (module, name), s in zip(parameters, scores, strict=True):
        piece = final[start:start + s.size].reshape(_data(getattr(module, name)).shape)
        start += s.size
        custom_from_mask(module, name, piece)


def remove(module, name):
    """Make the pruning of ``module.<name>`` permanent: ``name`` becomes a Parameter again,
    equal to ``name_orig · name_mask``; ``name_orig``, ``name_mask`` and the hook go."""
    _check_module(module, "prune.remove")
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, BasePruningMethod) and hook._tensor_name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"prune.remove: parameter {name!r} of module {module._short_repr()} "
                     f"has to be pruned before pruning can be removed")


def is_pruned(module):
    """True if ``module`` or one of its submodules has a pruned tensor."""
    _check_module(module, "prune.is_pruned")
    return any(isinstance(h, BasePruningMethod)
               for _, m in module.named_modules() for h in m._forward_pre_hooks.values())


def sparsity_report(module, names=("weight",), file=None):
    """The fraction of zero entries of each layer's ``names`` (the effective, masked tensor)
    and of all of them together: a list of ``(qualified name, zeros, total, fraction)`` rows,
    the last one ``("global", ...)``.  Printed as a table when ``file`` is given (a stream,
    e.g. ``sys.stdout``)."""
    _check_module(module, "prune.sparsity_report")
    rows, zeros_all, total_all = [], 0, 0
    for prefix, m in module.named_modules():
        for name in names:
            t = m.__dict__.get(name)
            if t is None:
                t = m._parameters.get(name)
            if not isinstance(t, Tensor):
                continue
            a = t._data
            zeros, total = int(np.count_nonzero(a == 0)), int(a.size)
            rows.append((f"{prefix}.{name}" if prefix else name, zeros, total,
                         zeros / total if total else 0.0))
            zeros_all, total_all = zeros_all + zeros, total_all + total
    rows.append(("global", zeros_all, total_all, zeros_all / total_all if total_all else 0.0))
    if file is not None:
        width = max(len(r[0]) for r in rows)
        for r in rows:
            print(f"{r[0]:<{width}}  {r[1]:>10,} / {r[2]:>10,} zero  {100 * r[3]:6.2f} %",
                  file=file)
    return rows



# -- shrinking: structured pruning made physical -----------------------------------------------

# layers applied elementwise (so a constant channel stays a constant channel)
_ELEMENTWISE = {"ReLU", "LeakyReLU", "Tanh", "Sigmoid", "GELU", "SiLU", "Identity", "ReLU6",
                "ELU", "Mish", "Softplus", "Hardtanh", "LogSigmoid", "Dropout"}


def _detached_copy(model):
    """deepcopy, with pruned tensors recomputed without a graph first (a graph does not
    deep-copy)."""
    import copy
    with no_grad():
        for m in model.modules():
            for hook in m._forward_pre_hooks.values():
                if isinstance(hook, BasePruningMethod):
                    setattr(m, hook._tensor_name, hook.apply_mask(m))
    return copy.deepcopy(model)


def shrink(model, inplace=False):
    """Remove the output channels (Conv2d) / output features (Linear) whose weights are all
    zero — e.g. after ``ln_structured(..., dim=0)`` — and the matching inputs of the next
    layer, in every ``Sequential`` chain  layer → elementwise activations (→ Flatten) → layer.
    The model gets smaller and faster and computes the same function: a removed channel's
    output is the constant a(b_j) (its bias through the activations), which is folded into
    the next layer's bias,

        b'_next = b_next + W_next[:, j] · a(b_j)     (summed over the kernel for a Conv2d)

    (a Conv2d with padding is only shrunk where that constant is 0, since at its border fewer
    taps see it).  Pruning is made permanent first (``remove``).  Returns ``(model, removed)``:
    the (copied, unless ``inplace``) model and ``{layer name: number of channels removed}``."""
    from ... import nn
    _check_module(model, "prune.shrink")
    if not inplace:
        model = _detached_copy(model)
    for m in model.modules():
        for hook in list(m._forward_pre_hooks.values()):
            if isinstance(hook, BasePruningMethod):
                remove(m, hook._tensor_name)
    removed = {}
    for prefix, seq in model.named_modules():
        if not isinstance(seq, nn.Sequential):
            continue
        children = list(seq._modules.items())
        for i, (name, a) in enumerate(children):
            if type(a) not in (nn.Linear, nn.Conv2d):
                continue
            j, between, flatten = i + 1, [], False
            while j < len(children) and type(children[j][1]).__name__ in _ELEMENTWISE:
                between.append(children[j][1])
                j += 1
            if (j < len(children) and type(a) is nn.Conv2d
                    and type(children[j][1]) is nn.Flatten):
                flatten, j = True, j + 1
            if j >= len(children):
                continue
            b = children[j][1]
            n = _shrink_pair(a, between, flatten, b)
            if n:
                removed[f"{prefix}.{name}" if prefix else name] = n
    return model, removed


def _shrink_pair(a, between, flatten, b):
    from ... import nn
    from ...parameter import Parameter
    linear_next = type(b) is nn.Linear
    if not ((type(a) is nn.Linear and linear_next and not flatten)
            or (type(a) is nn.Conv2d and type(b) is nn.Conv2d and not flatten)
            or (type(a) is nn.Conv2d and linear_next and flatten)):
        return 0
    w = _data(a.weight)
    outs = w.shape[0]
    dead = np.all(w.reshape(outs, -1) == 0, axis=1)
    if not dead.any() or dead.all():
        return 0
    wb = _data(b.weight)
    if flatten and wb.shape[1] % outs:
        return 0
    keep = ~dead
    bias = _data(a.bias)[dead] if a.bias is not None else np.zeros(dead.sum(), w.dtype)
    shape = (1, -1) if type(a) is nn.Linear else (1, -1, 1, 1)
    const = Tensor(bias.reshape(shape))
    with no_grad():
        was = [m.training for m in between]
        for m in between:
            m.eval()
            const = m(const)
        for m, t in zip(between, was, strict=True):
            m.train(t)
    c = _data(const).reshape(-1).astype(np.float64)
    if type(b) is nn.Conv2d:
        from ...ops._util import conv_padding
        padding = conv_padding(b.padding, b.kernel_size, b.stride, b.dilation, "prune.shrink")
        if tuple(padding) != (0, 0) and np.any(c != 0):
            return 0
        fold = wb[:, dead].sum(axis=(2, 3)) @ c
        wb_new = wb[:, keep]
    elif flatten:
        per = wb.shape[1] // outs
        wb3 = wb.reshape(wb.shape[0], outs, per)
        fold = wb3[:, dead, :].sum(axis=2) @ c
        wb_new = wb3[:, keep, :].reshape(wb.shape[0], -1)
    else:
        fold = wb[:, dead] @ c
        wb_new = wb[:, keep]
    if np.any(fold != 0) and b.bias is None:
        return 0
    dev = a.weight.device
    with no_grad():
        a.weight = Parameter(Tensor(np.ascontiguousarray(w[keep]), device=dev))
        if a.bias is not None:
            a.bias = Parameter(Tensor(_data(a.bias)[keep].copy(), device=dev))
        b.weight = Parameter(Tensor(np.ascontiguousarray(wb_new), device=dev))
        if b.bias is not None:
            nb = (_data(b.bias).astype(np.float64) + fold).astype(_data(b.bias).dtype)
            b.bias = Parameter(Tensor(nb, device=dev))
    kept = int(keep.sum())
    if type(a) is nn.Linear:
        a.out_features = kept
    else:
        a.out_channels = kept
    if type(b) is nn.Conv2d:
        b.in_channels = kept
    else:
        b.in_features = wb_new.shape[1]
    return int(dead.sum())
