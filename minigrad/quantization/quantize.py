"""Post-training int8 quantisation of a model, as ``torch.ao.quantization``:

* ``quantize_dynamic(model, {nn.Linear})``: every Linear → ``DynamicQuantizedLinear``.
* static: ``prepare(model)`` attaches an observer to the input of every Linear and Conv2d;
  run calibration batches through the prepared model; ``convert(prepared)`` replaces each
  observed layer by ``QuantizedLinear`` / ``QuantizedConv2d`` with the calibrated input
  (scale, zero point).  A ReLU right after a Linear/Conv2d in a Sequential (or a pair fused
  with ``fuse_modules``) is fused into the quantised layer.

Other layers stay float.  The quantised layers take and return float32 Tensors: each
quantises its own input, so no QuantStub / DeQuantStub is needed.
"""
import copy

from .. import nn
from .modules import DynamicQuantizedLinear, QuantizedConv2d, QuantizedLinear
from .observers import HistogramObserver, MinMaxObserver

__all__ = ["quantize_dynamic", "prepare", "convert", "fuse_modules", "LinearReLU",
           "ConvReLU2d"]

_DYNAMIC = {nn.Linear: DynamicQuantizedLinear}
_STATIC = {nn.Linear: QuantizedLinear, nn.Conv2d: QuantizedConv2d}
_OBSERVERS = {"minmax": MinMaxObserver, "histogram": HistogramObserver}


class LinearReLU(nn.Sequential):
    """Linear followed by ReLU, one unit for quantisation (``fuse_modules``); keys "0.*"."""


class ConvReLU2d(nn.Sequential):
    """Conv2d followed by ReLU, one unit for quantisation (``fuse_modules``); keys "0.*"."""


def _check_model(model, where):
    if not isinstance(model, nn.Module):
        raise TypeError(f"{where}: expected an nn.Module, got {type(model).__name__}")


def _copy(model):
    """``copy.deepcopy(model)``; a pruned tensor (``weight = weight_orig · weight_mask``,
    recomputed with its graph before each forward) is recomputed without a graph first, as a
    graph does not deep-copy."""
    from ..grad_mode import no_grad
    from ..nn.utils.prune import BasePruningMethod
    with no_grad():
        for m in model.modules():
            for hook in m._forward_pre_hooks.values():
                if isinstance(hook, BasePruningMethod):
                    setattr(m, hook._tensor_name, hook.apply_mask(m))
    return copy.deepcopy(model)


def _layer_name(path, module):
    return f"{path or '(the model)'} {module._short_repr()}"


def quantize_dynamic(model, qconfig_spec=None, dtype="qint8", inplace=False):
    """A copy of ``model`` (or ``model`` itself with ``inplace=True``) whose layers of the
    types in ``qconfig_spec`` (default ``{nn.Linear}``, the only supported type) have int8
    weights, their inputs quantised per batch at run time."""
    where = "quantize_dynamic"
    _check_model(model, where)
    if dtype not in ("qint8", "int8") and str(dtype) not in ("torch.qint8", "int8"):
        raise ValueError(f"{where}: only dtype qint8 is supported, got {dtype!r}")
    types = {nn.Linear} if qconfig_spec is None else set(qconfig_spec)
    for t in types:
        if t not in _DYNAMIC:
            name = getattr(t, "__name__", repr(t))
            raise TypeError(f"{where}: {name} layers cannot be dynamically quantised "
                            f"(supported: Linear)")
    if not inplace:
        model = _copy(model)
    return _swap(model, "", lambda path, m: _DYNAMIC[type(m)].from_float(
        m, where=f"{where}: {_layer_name(path, m)}") if type(m) in types else None)


def _swap(module, path, make):
    """Replace every submodule (and the module itself) for which ``make`` returns one."""
    new = make(path, module)
    if new is not None:
        return new
    for name, child in list(module._modules.items()):
        if child is None:
            continue
        replaced = _swap(child, f"{path}.{name}" if path else name, make)
        if replaced is not child:
            setattr(module, name, replaced)
    return module


def _is_relu(m):
    return type(m) is nn.ReLU


def _fuse_sequential_pairs(module):
    """Linear/Conv2d → ReLU inside every Sequential: into LinearReLU / ConvReLU2d (the ReLU's
    place keeps an Identity, so indices and keys of the other layers do not move)."""
    for child in list(module._modules.values()):
        if child is not None and not isinstance(child, (LinearReLU, ConvReLU2d)):
            _fuse_sequential_pairs(child)
    if isinstance(module, nn.Sequential) and not isinstance(module, (LinearReLU, ConvReLU2d)):
        names = list(module._modules)
        for a, b in zip(names, names[1:]):
            first, second = module._modules[a], module._modules[b]
            if type(first) in (nn.Linear, nn.Conv2d) and _is_relu(second):
                fused = (LinearReLU if type(first) is nn.Linear else ConvReLU2d)(first, second)
                setattr(module, a, fused)
                setattr(module, b, nn.Identity())


def fuse_modules(model, modules_to_fuse, inplace=False):
    """Fuse each ``[layer, relu]`` pair of qualified names (a Linear or Conv2d, then a ReLU)
    into ``LinearReLU`` / ``ConvReLU2d``; the ReLU becomes an Identity.  Same outputs."""
    where = "fuse_modules"
    _check_model(model, where)
    if not inplace:
        model = _copy(model)
    if modules_to_fuse and isinstance(modules_to_fuse[0], str):
        modules_to_fuse = [modules_to_fuse]
    for names in modules_to_fuse:
        names = list(names)
        if len(names) != 2:
            raise ValueError(f"{where}: can fuse pairs [layer, relu] only, got {names}")
        mods = [model.get_submodule(n) for n in names]
        if type(mods[0]) not in (nn.Linear, nn.Conv2d) or not _is_relu(mods[1]):
            got = ", ".join(f"{n} {m._short_repr()}" for n, m in zip(names, mods, strict=True))
            raise TypeError(f"{where}: supported pairs are (Linear, ReLU) and (Conv2d, ReLU), "
                            f"got {got}")
        fused = (LinearReLU if type(mods[0]) is nn.Linear else ConvReLU2d)(*mods)
        for name, new in zip(names, (fused, nn.Identity()), strict=True):
            parent, _, leaf = name.rpartition(".")
            setattr(model.get_submodule(parent) if parent else model, leaf, new)
    return model


class _Observe:
    """The forward pre-hook of a prepared layer: feeds its input to the observer."""

    def __init__(self, observer, where):
        self.observer, self.where = observer, where

    def __call__(self, module, args):
        from .modules import _host
        self.observer.observe(_host(args[0]), self.where)


def prepare(model, observer="minmax", inplace=False, fuse=True):
    """A copy of ``model`` with an observer (``"minmax"``, ``"histogram"``, or an observer
    class or factory) on the input of every Linear and Conv2d; Linear/Conv2d → ReLU pairs
    of a Sequential are fused first (``fuse=False`` keeps them apart).  Run calibration
    batches through it (in eval mode), then ``convert`` it."""
    where = "prepare"
    _check_model(model, where)
    factory = _OBSERVERS.get(observer, observer) if isinstance(observer, str) else observer
    if isinstance(observer, str) and observer not in _OBSERVERS:
        raise ValueError(f"{where}: observer must be 'minmax', 'histogram' or an observer "
                         f"class, got {observer!r}")
    if not callable(factory):
        raise TypeError(f"{where}: observer must be 'minmax', 'histogram' or an observer "
                        f"class, got {observer!r}")
    if not inplace:
        model = _copy(model)
    if fuse:
        _fuse_sequential_pairs(model)
    found = 0
    for path, m in model.named_modules():
        if type(m) in _STATIC and not hasattr(m, "_qobserver"):
            name = f"prepare: {_layer_name(path, m)}"
            obs = factory()
            object.__setattr__(m, "_qobserver", obs)
            object.__setattr__(m, "_qhandle", m.register_forward_pre_hook(_Observe(obs, name)))
            found += 1
    if not found:
        raise ValueError(f"{where}: {model._short_repr()} has no Linear or Conv2d layer to "
                         f"quantise")
    return model


def convert(model, inplace=False, strict=True):
    """Replace each layer observed by ``prepare`` with its int8 version (fused ReLUs
    included).  Every observer must have seen a calibration batch; ``strict=False`` allows
    uncalibrated ones (scale 1, zero point 0), e.g. to build the skeleton that a saved
    quantised state dict is loaded into."""
    where = "convert"
    _check_model(model, where)
    if not any(hasattr(m, "_qobserver") for m in model.modules()):
        count = sum(1 for _ in model.modules())
        raise RuntimeError(f"{where}: {model._short_repr()} was not prepared (none of its "
                           f"{count} modules has an observer): call "
                           f"minigrad.quantization.prepare(model) and run calibration "
                           f"batches through it first")
    if not inplace:
        model = _copy(model)

    def make(path, m):
        relu = False
        layer = m
        if isinstance(m, (LinearReLU, ConvReLU2d)):
            layer, relu = m[0], True
        obs = layer.__dict__.get("_qobserver")
        if obs is None:
            return None
        name = _layer_name(path, layer)
        if obs.batches == 0 and strict:
            raise RuntimeError(f"{where}: {name} has seen no calibration batch: run sample "
                               f"batches through the prepared model before convert")
        kind = QuantizedLinear if isinstance(layer, nn.Linear) else QuantizedConv2d
        q = kind.from_float(layer, relu=relu, where=f"{where}: {name}")
        if obs.batches:
            q.set_input_qparams(*obs.calculate_qparams())
        return q

    return _swap(model, "", make)
