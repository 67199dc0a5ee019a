"""Anomaly mode's checks, used by the engine only while ``detect_anomaly()`` is on.

* Every forward output and every gradient a backward returns is checked for NaN and ±inf;
  the first one found raises :class:`AnomalyError` naming the op, the input, the first bad
  index and, for backward, the line of user code that created the op.
* The user's stack is captured when an op is recorded (anomaly mode only: in normal mode
  no frame is ever looked at), so a backward error can say where its op came from.
* The NumPy arrays an op saves for backward are made read-only *through views*: a tensor
  whose memory was saved gets a read-only view as its ``.data`` until its graph is freed
  (by backward, or when the graph is dropped), then its own writable array back.  An
  in-place write through that tensor fails at the write instead of at backward.  The
  user's arrays are never touched: ``from_numpy``'s array, or another view of the same
  memory, stays writable, and a write made through it is caught by nothing (only writes
  made through a Tensor count in its version; backward then silently uses the new
  values).  CuPy arrays have no read-only flag: on the GPU a write through the tensor is
  caught by backward's version check, a raw write to its array by nothing.
"""
import os
import threading
import traceback
import weakref

import numpy as np

__all__ = ["AnomalyError"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


class AnomalyError(RuntimeError):
    """Anomaly mode found NaN/inf in a forward output or a backward gradient."""


# -- where an op was created ------------------------------------------------------------

def capture_stack():
    """The caller's stack without minigrad's own frames (source lines read lazily)."""
    frames = traceback.StackSummary.extract(traceback.walk_stack(None), lookup_lines=False)
    frames.reverse()                                        # outermost first
    return [f for f in frames if not os.path.abspath(f.filename).startswith(_PACKAGE_DIR)]


def _site(frame):
    line = (frame.line or "").strip()
    return f"{frame.filename}:{frame.lineno} in {frame.name}" + (f": {line}" if line else "")


def describe_creation(fn):
    """'Exp was created at file:line in f: y = x.exp()' and the user's stack, or a hint."""
    stack = getattr(fn, "created_at", None)
    if stack is None:
        return (f"{fn.name} was recorded outside anomaly mode; enable it before the forward "
                f"pass to see where {fn.name} was created")
    if not stack:
        return f"{fn.name} was created inside minigrad (no user frame on the stack)"
    lines = "".join(traceback.format_list(stack[-8:]))
    return (f"{fn.name} was created at {_site(stack[-1])}\n"
            f"Forward call stack (most recent call last):\n{lines.rstrip()}")


def add_creation_note(exc, fn):
    """Attach where ``fn`` was created to an exception its backward raised."""
    if hasattr(exc, "add_note") and not isinstance(exc, AnomalyError):
        exc.add_note(f"[anomaly mode] raised in {fn.name}.backward; "
                     + describe_creation(fn))


# -- NaN / inf checks ---------------------------------------------------------------------

def _nonfinite(array):
    """None if ``array`` is finite (or not floating), else a description of the bad values."""
    if array.dtype.kind not in "fc":
        return None
    xp = np if isinstance(array, (np.ndarray, np.generic)) else _array_module(array)
    finite = xp.isfinite(array)
    if bool(finite.all()):
        return None
    kinds = [k for k, test in (("nan", xp.isnan), ("inf", xp.isinf)) if bool(test(array).any())]
    bad = int((~finite).sum())
    first = tuple(int(i) for i in xp.argwhere(~finite)[0]) if array.ndim else ()
    return (" and ".join(kinds),
            f"shape {tuple(array.shape)}, dtype {array.dtype}: {bad} of {array.size} values "
            f"non-finite, the first at index {first}")


def _array_module(array):
    from . import backend   # anomaly mode only: keep this module's import light
    return backend.array_module(array)


def check_forward(fn, inputs, y):
    """Raise if the forward output ``y`` of ``fn`` holds NaN or inf."""
    found = _nonfinite(y)
    if found is None:
        return
    kind, detail = found
    origin = f"its inputs are finite, so {fn.name} is where the {kind} appeared"
    for i, t in enumerate(inputs):
        before = _nonfinite(t._data)
        if before is not None:
            origin = (f"input {i} {tuple(t.shape)} already holds {before[0]}: the value "
                      f"came from before {fn.name} (a leaf, or an op run outside anomaly "
                      f"mode)")
            break
    stack = capture_stack()
    where = f"; called at {_site(stack[-1])}" if stack else ""
    raise AnomalyError(f"anomaly mode: {fn.name} produced {kind} in its forward output "
                       f"({detail}); {origin}{where}")


def check_grad(fn, i, dx, x, dy):
    """Raise if the gradient ``dx`` that ``fn.backward`` returned for input ``i`` is bad."""
    found = _nonfinite(dx)
    if found is None:
        return
    kind, detail = found
    incoming = "the gradient flowing in (dy) is finite" if _nonfinite(dy) is None else \
        "the gradient flowing in (dy) already held non-finite values"
    raise AnomalyError(f"anomaly mode: {fn.name}.backward produced {kind} in the gradient "
                       f"for input {i} ({detail}); {incoming}.\n"
                       + describe_creation(fn))


def check_root_grad(dy):
    found = _nonfinite(dy)
    if found is not None:
        raise AnomalyError(f"anomaly mode: the gradient given to backward() holds "
                           f"{found[0]} ({found[1]})")


# -- read-only saved arrays -----------------------------------------------------------------
# Two registries, both filled only in anomaly mode:
#   families: id(shared version list) -> [the list, names of the live ops that saved it,
#     the swapped entries of its tensors].
#     Tensors sharing memory (views, detach()) share one version list, so an in-place
#     change through ANY of them (Tensor._inplace) is refused while an op still needs it.
#   swapped: id(tensor) -> [weakref, its writable array, the read-only view it now holds],
#     so that raw writes (t.data[...] = ..., np.asarray(t)[...] = ...) fail too.
# When a family's last holder is freed, its tensors get their writable arrays back.  An
# RLock: a finalizer may run inside a locked section of the same thread.
families = {}
_swapped = {}
_lock = threading.RLock()


def _readonly_view(array):
    view = array.view()
    view.flags.writeable = False
    return view


def _memory_owner(array):
    while isinstance(getattr(array, "base", None), np.ndarray):
        array = array.base
    return array


def protect_saved(fn, out):
    """Make ``fn``'s saved NumPy arrays read-only, and the tensors (inputs and output) that
    share their memory; undone when ``fn`` is freed or garbage-collected."""
    saved = [a for a in fn.saved if isinstance(a, np.ndarray)]
    if not saved:
        return
    owners = {id(_memory_owner(a)) for a in saved}
    fn.saved = tuple(_readonly_view(a) if isinstance(a, np.ndarray) and a.flags.writeable
                     else a for a in fn.saved)
    held = {}
    for t in (*fn.inputs, out):
        if isinstance(t._data, np.ndarray) and id(_memory_owner(t._data)) in owners:
            held[id(t)] = t
    if not held:
        return
    with _lock:
        for t in held.values():
            _hold(t, fn.name)
    versions = [t._versions for t in held.values()]
    fn._thaw = weakref.finalize(fn, _release, versions, fn.name)


def _hold(t, holder):
    family = families.setdefault(id(t._versions), [t._versions, [], []])
    family[1].append(holder)
    entry = _swapped.get(id(t))
    if entry is not None and entry[0]() is t and t._data is entry[2]:
        return
    if t._data.flags.writeable:    # read-only already (np.broadcast_to, the user's): leave it
        entry = [weakref.ref(t), t._data, _readonly_view(t._data)]
        _swapped[id(t)] = entry
        family[2].append((id(t), entry))
        t._data = entry[2]


def _release(version_lists, holder):
    """``holder`` (a freed op) no longer needs these memories; the ones no live op needs
    give their tensors their writable arrays back."""
    with _lock:
        for versions in version_lists:
            family = families.get(id(versions))
            if family is None or family[0] is not versions:
                continue
            if holder in family[1]:
                family[1].remove(holder)
            if family[1]:
                continue
            del families[id(versions)]
            for key, entry in family[2]:
                ref, array, view = entry
                if _swapped.get(key) is entry:
                    del _swapped[key]
                t = ref()
                if t is not None and t._data is view:   # not replaced (e.g. p.data = ...)
                    t._data = array


def saved_by(t):
    """The names of the live ops that saved ``t``'s memory in anomaly mode, or []."""
    with _lock:
        family = families.get(id(t._versions))
        return list(family[1]) if family is not None and family[0] is t._versions else []
