"""The Optimizer base class: parameter groups, ``step``, ``zero_grad`` and checkpoints.

A subclass supplies two things:

* ``update(p, g, state, group)``: the per-parameter rule, on raw ``xp`` arrays.  ``p`` is the
  parameter's array and must be changed IN PLACE (``p -= ...``): other code (a Module, a
  graph node) holds that very array.  ``g`` is the gradient's array and must NOT be changed
  (it is ``p.grad``'s data).  ``state`` is this parameter's dict, empty on the first step.
* ``state_kinds``: every name a parameter's state may hold, each ``"array"`` (of the
  parameter's shape, dtype and device, finite), ``"array ≥ 0"`` (also no negative entry:
  a running mean of squares) or ``"step"`` (the step count t, an int ≥ 1), and
  ``_required_state(group)``: the names it must hold after a step with these options; so
  that ``load_state_dict`` can check a checkpoint before it touches anything.

and ``_check_options(options)``, which raises ``ValueError`` for a bad hyperparameter.
"""
import copy
import difflib
import math
import numbers
import warnings
from collections import defaultdict

import numpy as np

from .. import backend
from ..dtypes import _is_array
from ..grad_mode import enable_grad, is_anomaly_check_nan_enabled, is_anomaly_enabled, no_grad
from ..tensor import Tensor

__all__ = ["Optimizer"]


class Optimizer:
    """Base class of the optimizers: holds the parameter groups and the per-parameter state.

    Args:
        params: an iterable of Tensors (leaf tensors, usually ``model.parameters()``), or of
            dicts, each a *parameter group* ``{"params": [...], "lr": ..., ...}`` whose
            options override ``defaults`` for its parameters.
        defaults: the options of a group that does not set them.

    Attributes:
        param_groups: list of dicts, each with ``"params"`` (a list of Tensors) and every
            option.  Schedulers and users may change options (``group["lr"] = ...``) between
            steps.
        state: per-parameter dicts (``optimizer.state[p]``), created on the first step.
        defaults: the options given to the constructor.

    >>> opt = minigrad.optim.SGD([{"params": body, "lr": 1e-3}, {"params": head}], lr=1e-2)
    """

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self._check_options_in(self.defaults, "")
        # Keyed by the Tensor itself: Tensor hashes by identity (it defines __eq__
        # elementwise, and __hash__ = object.__hash__), as torch.optim does.
        self.state = defaultdict(dict)
        self.param_groups = []
        self._step_count = 0     # read by lr_scheduler to warn about the call order
        self._checked = {}       # group index -> its options as last checked by step()
        if isinstance(params, Tensor):
            raise TypeError(f"{self._name}: params must be an iterable of Tensors or of dicts "
                            f"(e.g. model.parameters() or [w, b]), got a single Tensor; "
                            f"wrap it in a list")
        if isinstance(params, dict):
            raise TypeError(f"{self._name}: params must be an iterable of Tensors or of "
                            f"dicts; got one dict: wrap the parameter group in a list")
        groups = list(params)
        if not groups:
            raise ValueError(f"{self._name}: got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    # -- what subclasses implement ----------------------------------------------------------
    def update(self, p, g, state, group):
        """Update the array ``p`` in place from its gradient ``g`` (see the module doc)."""
        raise NotImplementedError

    #: ``{name: "array" | "array ≥ 0" | "step"}``: every entry a parameter's state may hold.
    state_kinds = {}

    def _required_state(self, group):
        """The names a parameter's state holds after a step with ``group``'s options (an
        option turned off later may leave more, from ``state_kinds``)."""
        return set(self.state_kinds)

    def _check_options(self, options):
        """Raise ValueError (its message says what was expected) for a bad option value."""

    #: Keys the learning-rate schedulers keep in a param group beside the options.
    SCHEDULER_KEYS = ("base_momentum", "initial_lr", "max_lr", "max_momentum", "min_lr")

    # -- parameter groups -------------------------------------------------------------------
    @property
    def _name(self):
        return type(self).__name__

    def _check_options_in(self, options, where):
        """Check the option values, and that every key is an option (or a scheduler's): a
        misspelt ``"lrr"`` would otherwise be ignored while ``"lr"`` keeps its old value."""
        unknown = sorted(set(options) - set(self.defaults) - set(self.SCHEDULER_KEYS)
                         - {"params"}, key=str)
        if unknown:
            close = difflib.get_close_matches(str(unknown[0]), self.defaults, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ValueError(f"{self._name}{where}: unknown option {unknown[0]!r}{hint}; "
                             f"{self._name}'s options are {sorted(self.defaults)}")
        try:
            self._check_options(options)
        except ValueError as exc:
            raise ValueError(f"{self._name}{where}: {exc}") from None

    def add_param_group(self, param_group):
        """Add a group of parameters with its own options (the others come from defaults).

        Useful to train layers that were frozen so far, with their own learning rate.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"{self._name}.add_param_group: expected a dict "
                            f"{{'params': [...], ...options}}, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError(f"{self._name}.add_param_group: the group has no 'params' entry; "
                             f"got keys {sorted(param_group)}")
        where = f" (param group {len(self.param_groups)})"
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            # The order of a set changes between runs, and state_dict stores positions.
            raise TypeError(f"{self._name}{where}: params must be an ordered collection "
                            f"(list, tuple, generator), got a set")
        else:
            params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{self._name}{where}: params[{i}] must be a Tensor, "
                                f"got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{self._name}{where}: params[{i}] {p.shape} is not a leaf "
                                 f"tensor (it was computed by {p.grad_fn.name}); optimize "
                                 f"the tensors it was computed from, or .detach() it")
            if p.dtype.kind != "f":
                raise TypeError(f"{self._name}{where}: params[{i}] has dtype {p.dtype}; "
                                f"only floating-point tensors can be optimized")
        seen = set()
        for i, p in enumerate(params):
            if id(p) in seen:
                # It would be updated twice per step.
                raise ValueError(f"{self._name}{where}: params[{i}] {p.shape} appears twice "
                                 f"in the group")
            seen.add(id(p))
        for k, other in enumerate(self.param_groups):
            if any(id(p) in seen for p in other["params"]):
                raise ValueError(f"{self._name}{where}: some parameters are already in "
                                 f"param group {k}; a parameter belongs to one group")
        group = dict(param_group)
        group["params"] = params
        for name, value in self.defaults.items():
            group.setdefault(name, value)
        self._check_options_in(group, where)
        self.param_groups.append(group)

    # -- the step ---------------------------------------------------------------------------
    def step(self, closure=None):
        """Update every parameter that has a gradient; parameters whose ``.grad`` is None are
        skipped (no gradient reached them) and their state does not advance.

        ``closure``, if given, is a function that clears the gradients, recomputes the loss,
        calls ``backward()`` and returns the loss; it runs (with grad mode on) before the
        update, and its loss is returned.

        All or nothing: every group's options (which may have been changed since the last
        step) and every gradient (shape, dtype, device; finite values too under
        ``detect_anomaly()``) are checked before any parameter or state changes.  State
        made for a parameter that has since changed dtype or device (``model.double()``,
        ``model.to("cuda")``) is converted to it, with a warning.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        check_finite = is_anomaly_enabled() and is_anomaly_check_nan_enabled()
        todo = []
        for gi, group in enumerate(self.param_groups):
            options = [(k, v) for k, v in group.items() if k != "params"]
            if options != self._checked.get(gi):    # changed since the last step
                self._check_options_in(group, f".step: param group {gi}")
                self._checked[gi] = options
            for i, p in enumerate(group["params"]):
                if p.grad is not None:
                    g, data = p.grad._data, p._data
                    if type(g) is not type(data) or g.shape != data.shape \
                            or g.dtype != data.dtype:
                        self._check_grad(p, g, gi, i)
                    if check_finite and not bool(backend.array_module(g).isfinite(g).all()):
                        raise RuntimeError(f"{self._name}.step: param group {gi}, params[{i}] "
                                           f"{p.shape} has a non-finite gradient (NaN or inf) "
                                           f"under detect_anomaly(); nothing was updated")
                    todo.append((p, g, group, gi, i))
        # every gradient checked before any parameter changes: a bad one changes nothing
        for p, _, _, gi, i in todo:
            self._match_state(p, gi, i)
        with no_grad():
            for p, g, group, _, _ in todo:
                state = self.state[p]
                # Through Tensor._inplace, the engine's one path for in-place changes: it
                # counts the change, so a retained graph that saved p refuses the old values.
                p._inplace(f"{self._name}.step", lambda data, g=g, state=state, group=group:
                           self.update(data, g, state, group))
        self._step_count += 1
        return loss

    def _match_state(self, p, gi, i):
        """Convert the state arrays of ``p`` to its dtype and device if ``p`` has changed
        them since they were made (they would otherwise mix precisions or devices)."""
        state = self.state.get(p)
        if not state:
            return
        data = p._data
        for v in state.values():      # fast: same array type and dtype, or a number
            if (type(v) is not type(data) or v.dtype != data.dtype) and _is_array(v):
                break
        else:
            return
        stale = sorted(k for k, v in state.items() if _is_array(v) and (
            v.dtype != data.dtype or type(v) is not type(data)
            or backend.device_of(v) != p.device))
        old = state[stale[0]]
        warnings.warn(f"{self._name}.step: param group {gi}, params[{i}] {p.shape} is now "
                      f"{p.dtype} on {p.device}, its state {stale} was {old.dtype} on "
                      f"{backend.device_of(old)}: converted it to the parameter's dtype and "
                      f"device", UserWarning, stacklevel=3)
        for k in stale:
            v = backend.to_device(state[k], p.device)
            state[k] = backend.array_module(v).array(v, dtype=p.dtype, copy=True)

    def _check_grad(self, p, g, gi, i):
        """Raise the error that says how ``g`` does not fit parameter ``p``."""
        where = f"{self._name}.step: param group {gi}, params[{i}] {p.shape} {p.dtype}"
        if backend.device_of(g) != p.device:
            raise RuntimeError(f"{where} is on {p.device} but its grad is on "
                               f"{backend.device_of(g)}")
        if tuple(g.shape) != p.shape:
            raise RuntimeError(f"{where} has a grad of shape {tuple(g.shape)}; expected the "
                               f"parameter's shape")
        if g.dtype != p.dtype:
            raise RuntimeError(f"{where} has a grad of dtype {g.dtype}; expected the "
                               f"parameter's dtype")

    def zero_grad(self, set_to_none=True):
        """Clear the gradients: ``.grad = None`` (the default, and cheaper: the next backward
        allocates), or fill the existing ``.grad`` with zeros when ``set_to_none=False``."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()

    # -- checkpoints ------------------------------------------------------------------------
    def state_dict(self):
        """The optimizer's state as ``{"state": {index: {name: value}}, "param_groups": [...]}``.

        Parameters are numbered by their position across the groups (0, 1, ...), as in
        PyTorch; each group lists its parameters' numbers under ``"params"``.  Arrays are
        copies (unlike PyTorch, which returns references): a checkpoint kept in memory does
        not change as training goes on.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                s = self.state.get(p)
                if s:
                    state[index[id(p)]] = {k: _copy_value(v) for k, v in s.items()}
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Load a state from :meth:`state_dict` (of an optimizer of this class over parameters
        of the same shapes, in the same order).

        Everything is checked before anything changes: the number of groups, of parameters
        per group, the option names, the state names and the arrays' shapes.  On a mismatch a
        ValueError says what differs and the optimizer is left as it was.  Arrays are copied
        onto each parameter's device and dtype.
        """
        name = f"{self._name}.load_state_dict"
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            got = sorted(state_dict) if isinstance(state_dict, dict) else \
                type(state_dict).__name__
            raise ValueError(f"{name}: expected a dict with keys 'state' and 'param_groups', "
                             f"got {got}")
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}: the optimizer has {len(self.param_groups)} param "
                             f"groups, the state dict {len(saved_groups)}")
        by_index = {}        # saved index -> (parameter, its new group options)
        new_groups = []
        for gi, (group, saved) in enumerate(zip(self.param_groups, saved_groups)):
            ids = list(saved.get("params", ()))
            if len(ids) != len(group["params"]):
                raise ValueError(f"{name}: param group {gi} has {len(group['params'])} "
                                 f"parameters, the state dict's group {gi} has {len(ids)}")
            missing = sorted(set(self.defaults) - set(saved))
            if missing:
                raise ValueError(f"{name}: the state dict's param group {gi} lacks the "
                                 f"options {missing} (was it saved by another optimizer "
                                 f"class?)")
            options = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            self._check_options_in(options, f" (state dict's param group {gi})")
            for k, p in zip(ids, group["params"]):
                if k in by_index:
                    raise ValueError(f"{name}: parameter index {k!r} appears twice in the "
                                     f"state dict's param groups")
                by_index[k] = (p, options)
            new_groups.append(options)
        new_state = defaultdict(dict)
        for k, saved_state in state_dict["state"].items():
            if k not in by_index:
                raise ValueError(f"{name}: the state dict has state for parameter index "
                                 f"{k!r}, which none of its param groups lists")
            p, options = by_index[k]
            new_state[p] = self._load_param_state(saved_state, p, options,
                                                  f"{name}: parameter {k} {p.shape}")
        # Everything checked: now change the optimizer.  The group dicts are updated in place
        # so that references to them stay valid; their contents become the saved ones.
        for group, options in zip(self.param_groups, new_groups):
            params = group["params"]
            group.clear()
            group.update(options)
            group["params"] = params
            self._prepare_group(group)
        self.state = new_state

    def _prepare_group(self, group):
        """A hook for subclasses to fix options after a load (AdamW uses it)."""

    def _load_param_state(self, saved, p, options, where):
        if not isinstance(saved, dict):
            raise ValueError(f"{where}: expected a dict of state, got {type(saved).__name__}")
        unknown = sorted(set(saved) - set(self.state_kinds), key=str)
        missing = sorted(self._required_state(options) - set(saved))
        if unknown or missing:
            raise ValueError(f"{where}: the state has entries {sorted(saved, key=str)}; "
                             f"expected {sorted(self._required_state(options))} for these "
                             f"options (unknown: {unknown}, missing: {missing})")
        state = {}
        for key, value in saved.items():
            kind = self.state_kinds[key]
            if isinstance(value, Tensor):
                value = value._data
            is_array = _is_array(value)
            if kind == "step":
                if is_array and value.size == 1:
                    value = value.reshape(()).item()
                # a type can be right and the value impossible: t = NaN, 0 or −3 would
                # poison the bias corrections a few steps later
                if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                        or not (math.isfinite(value) and float(value).is_integer()
                                and value >= 1):
                    raise ValueError(f"{where}: state {key!r} must be a step count (an int "
                                     f"≥ 1), got {value!r:.80}")
                state[key] = int(value)
                continue
            if not is_array:
                raise ValueError(f"{where}: state {key!r} must be an array of shape {p.shape}, "
                                 f"got {type(value).__name__}")
            if tuple(value.shape) != p.shape:
                raise ValueError(f"{where}: state {key!r} has shape {tuple(value.shape)}, "
                                 f"expected the parameter's shape {p.shape}")
            if value.dtype.kind not in "biuf":
                raise ValueError(f"{where}: state {key!r} has dtype {value.dtype}, expected "
                                 f"numbers")
            xp = backend.array_module(value)
            if not bool(xp.isfinite(value).all()):
                raise ValueError(f"{where}: state {key!r} holds {int((~xp.isfinite(value)).sum())}"
                                 f" non-finite values (NaN or inf)")
            if kind == "array ≥ 0" and value.size and float(value.min()) < 0:
                raise ValueError(f"{where}: state {key!r} holds negative values (min "
                                 f"{float(value.min())!r}); it is a mean of squares, ≥ 0")
            value = backend.to_device(value, p.device)
            # xp.array, not .astype: a NumPy scalar must become a 0-d array (updated in place).
            state[key] = backend.array_module(value).array(value, dtype=p.dtype, copy=True)
        return state

    def __repr__(self):
        lines = [f"{self._name} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines) + "\n)"


def _copy_value(value):
    return value.copy() if _is_array(value) else copy.deepcopy(value)


# -- option checks shared by the optimizers ---------------------------------------------------
def check_real(options, name, low=0.0, high=None, high_open=False):
    """``options[name]`` must be a real number in [low, high] (or [low, high))."""
    value = options[name]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    ok = math.isfinite(value) and value >= low and \
        (high is None or (value < high if high_open else value <= high))
    if not ok:   # NaN and ±inf land here too: "[0, ∞)" leaves out ∞
        upper = "∞)" if high is None else f"{high})" if high_open else f"{high}]"
        raise ValueError(f"{name} must be in [{low}, {upper}, got {value!r}")


def check_bool(options, name):
    if not isinstance(options[name], (bool, np.bool_)):
        raise ValueError(f"{name} must be True or False, got {options[name]!r}")


def as_float(value):
    """A Python float: a NumPy float64 scalar would promote float32 arrays to float64."""
    return float(value)


def check_betas(options, name="betas"):
    betas = options[name]
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"{name} must be a pair (β₁, β₂), got {betas!r}")
    for i, beta in enumerate(betas):
        check_real({f"{name}[{i}]": beta}, f"{name}[{i}]", 0.0, 1.0, high_open=True)


def lerp_(a, b, w):
    """a ← a + w·(b − a), in place, in the form torch's ``lerp_`` uses for this w.

    For |w| < 0.5 it is a + w·(b − a), otherwise b − (b − a)·(1 − w): the two round
    differently, and matching them keeps trajectories equal to PyTorch's.
    """
    if abs(w) < 0.5:
        a += w * (b - a)
    else:
        backend.array_module(a).subtract(b, (b - a) * (1 - w), out=a)
