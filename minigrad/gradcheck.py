"""Check an op's backward against central finite differences, in float64.

The outputs are reduced to one number with a fixed random cotangent r:
L(x) = Σₖ ⟨rₖ, fₖ(x)⟩, so one backward gives ∇L = Jᵀr.  Then:

* ``mode="element"``: for every input element j, (L(x + εeⱼ) − L(x − εeⱼ)) / 2ε ≈ ∂L/∂xⱼ;
* ``mode="direction"``: for random unit directions v over all inputs at once,
  (L(x + εv) − L(x − εv)) / 2ε ≈ ⟨∇L, v⟩  (cheap on large inputs);
* ``mode="auto"`` (default): element-wise up to ``max_elements`` input elements, else
  directions.

A comparison passes when |analytic − numeric| ≤ atol + rtol·|numeric|.
"""
import numpy as np

from ._check import check_int
from . import backend
from .grad_mode import no_grad
from .tensor import Tensor

__all__ = ["gradcheck", "GradcheckError"]


class GradcheckError(AssertionError):
    """An analytic gradient disagreed with the finite-difference one (message: the worst)."""


def _outputs(fn, inputs):
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    for k, o in enumerate(outs):
        if not isinstance(o, Tensor):
            raise TypeError(f"gradcheck: output {k} of fn is a {type(o).__name__}, "
                            f"expected a Tensor")
    return outs


def _loss(outs, cotangents):
    return sum(float(backend.to_device((o._data * r), "cpu").sum())
               for o, r in zip(outs, cotangents))


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, mode="auto", n_directions=8,
              max_elements=2000, seed=0, raise_exception=True):
    """Compare ``fn``'s analytic gradients with finite differences; True if they agree.

    Args:
        fn: takes the tensors in ``inputs`` and returns a Tensor or a tuple of Tensors.
        inputs: a Tensor or a sequence of Tensors; those with ``requires_grad=True`` are
            checked and must be float64 (finite differences in float32 are noise).
        mode: ``"element"``, ``"direction"`` or ``"auto"`` (see the module docstring).
        raise_exception: raise :class:`GradcheckError` naming the worst element (default),
            or return False.

    >>> x = minigrad.tensor(np.random.rand(3, 4), requires_grad=True)   # float64
    >>> minigrad.gradcheck(lambda t: (t * t).sum(axis=1), [x])
    True
    """
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True; nothing to check")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} has dtype {inputs[i].dtype}; finite "
                            f"differences need float64 inputs (use .double())")
        if not inputs[i].is_leaf:
            raise ValueError(f"gradcheck: input {i} is not a leaf; pass .detach() "
                             f"tensors with requires_grad=True")
    if mode not in ("auto", "element", "direction"):
        raise ValueError(f"gradcheck: mode must be 'auto', 'element' or 'direction', "
                         f"got {mode!r}")
    n_directions = check_int("gradcheck", "n_directions", n_directions, low=1)
    max_elements = check_int("gradcheck", "max_elements", max_elements, low=0)
    rng = np.random.default_rng(check_int("gradcheck", "seed", seed, low=0))

    saved_grads = [inputs[i].grad for i in checked]
    try:
        for i in checked:
            inputs[i].grad = None
        outs = _outputs(fn, inputs)
        cotangents = [o.xp.asarray(rng.standard_normal(o.shape)).astype(o.dtype)
                      for o in outs]
        differentiable = [(o, r) for o, r in zip(outs, cotangents) if o.requires_grad]
        if not differentiable:
            raise RuntimeError("gradcheck: no output of fn requires grad; is the graph cut "
                               "(detach, no_grad, integer output)?")
        for o, r in differentiable:
            o.backward(Tensor._wrap(r), retain_graph=True)
        analytic = {}
        for i in checked:
            g = inputs[i].grad
            analytic[i] = (np.zeros(inputs[i].shape) if g is None
                           else backend.to_device(g._data, "cpu"))
            if g is not None and g.dtype != inputs[i].dtype:
                raise GradcheckError(f"gradcheck: gradient of input {i} has dtype {g.dtype}, "
                                     f"its input {inputs[i].dtype}")
    finally:
        for i, g in zip(checked, saved_grads):
            inputs[i].grad = g

    def loss_at():
        with no_grad():
            return _loss(_outputs(fn, inputs), cotangents)

    total = sum(inputs[i]._data.size for i in checked)
    if mode == "element" or (mode == "auto" and total <= max_elements):
        failures = _check_elements(inputs, checked, analytic, loss_at, eps, atol, rtol)
        kind = f"{total} elements"
    else:
        failures = _check_directions(inputs, checked, analytic, loss_at, eps, atol, rtol,
                                     n_directions, rng)
        kind = f"{n_directions} random directions"
    if not failures:
        return True
    worst = max(failures, key=lambda f: f[0])
    if raise_exception:
        raise GradcheckError(f"gradcheck failed on {len(failures)} of {kind}; worst: "
                             f"{worst[1]}")
    return False


def _perturbed(flat, j, delta, loss_at):
    """L with element j of an input's working copy moved by ``delta`` (then restored)."""
    old = flat[j].copy()
    flat[j] = old + delta
    try:
        return loss_at()
    finally:
        flat[j] = old


def _compare(a, n, atol, rtol):
    err, tol = abs(a - n), atol + rtol * abs(n)
    return err > tol, err / tol


def _check_elements(inputs, checked, analytic, loss_at, eps, atol, rtol):
    failures = []
    for i in checked:
        t = inputs[i]
        original = t._data
        t._data = original.copy()           # a contiguous working copy, perturbed in place
        flat = t._data.reshape(-1)
        try:
            for j in range(flat.size):
                numeric = (_perturbed(flat, j, eps, loss_at)
                           - _perturbed(flat, j, -eps, loss_at)) / (2 * eps)
                a = float(analytic[i].reshape(-1)[j])
                bad, ratio = _compare(a, numeric, atol, rtol)
                if bad:
                    index = tuple(int(k) for k in np.unravel_index(j, t.shape))
                    failures.append((ratio, f"input {i} {t.shape} at index {index}: "
                                            f"analytic {a:.8g} vs numeric {numeric:.8g} "
                                            f"(abs error {abs(a - numeric):.3g}, allowed "
                                            f"{atol + rtol * abs(numeric):.3g})"))
        finally:
            t._data = original
    return failures


def _check_directions(inputs, checked, analytic, loss_at, eps, atol, rtol, n, rng):
    failures = []
    originals = {i: inputs[i]._data for i in checked}   # never written: perturbed copies are
    for d in range(n):
        v = {i: rng.standard_normal(inputs[i].shape) for i in checked}
        norm = np.sqrt(sum(float((vi * vi).sum()) for vi in v.values()))
        v = {i: vi / norm for i, vi in v.items()}
        predicted = sum(float((analytic[i] * v[i]).sum()) for i in checked)
        values = []
        for sign in (1, -1):
            for i in checked:
                inputs[i]._data = originals[i] + sign * eps * inputs[i].xp.asarray(v[i])
            try:
                values.append(loss_at())
            finally:
                for i in checked:
                    inputs[i]._data = originals[i]
        numeric = (values[0] - values[1]) / (2 * eps)
        bad, ratio = _compare(predicted, numeric, atol, rtol)
        if bad:
            failures.append((ratio, f"direction {d}: analytic ⟨∇L, v⟩ {predicted:.8g} vs "
                                    f"numeric {numeric:.8g} (abs error "
                                    f"{abs(predicted - numeric):.3g}, allowed "
                                    f"{atol + rtol * abs(numeric):.3g})"))
    return failures
