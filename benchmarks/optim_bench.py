"""The optimizer update: one ``step()`` over a model's parameters, minigrad vs NumPy vs PyTorch.

An optimizer step is a chain of elementwise passes over every parameter, so it is
memory-bound: ``bytes`` counts each array the rule must read and write once per element
(Adam: read θ, g, m, v, write θ, m, v: 7 float32; SGD with momentum: read θ, g, b, write
θ, b: 5).  The reference is the rule as plain NumPy in-place passes over the arrays (what
the update costs without the engine around it); for Adam that is the registered
``adam_update`` reference, called on each parameter, so the formula lives in one place.
(The ``adam_update`` kernel rows time every implementation of that op on these same
parameter sets; the rows here time the whole ``step()``, engine included.)  The gate
compares the parameters after one step with the reference's.  Steps are timed one after
another on the same arrays (the state must advance), so no input rotation here.

Parameter sets: ``cases.param_sets``, each seed CNN's parameters, and at ``full`` a larger
4-million-parameter set.
"""
import numpy as np

from .cases import F32

RULES = {
    # name: (hyperparameters, flops per element, bytes per element)
    "adam": (dict(lr=1e-3, betas=(0.9, 0.999), eps=1e-8), 12, 7 * F32),
    "sgd": (dict(lr=1e-2, momentum=0.9), 4, 5 * F32),
}


def initial_arrays(param_set, seed=0):
    rng = np.random.default_rng(seed)
    params = [rng.standard_normal(s, dtype=np.float32) for s in param_set.shapes]
    grads = [rng.standard_normal(s, dtype=np.float32) for s in param_set.shapes]
    return params, grads


def numpy_step(rule, params, grads):
    """A step function of the plain-NumPy reference (PyTorch's formulas, in place)."""
    options = RULES[rule][0]
    state = [dict(step=0, m=np.zeros_like(p), v=np.zeros_like(p)) for p in params]
    if rule == "sgd":
        lr, momentum = options["lr"], options["momentum"]

        def step():
            for p, g, s in zip(params, grads, state):
                if s["step"] == 0:
                    s["m"][...] = g                 # the buffer starts as the first gradient
                else:
                    s["m"] *= momentum
                    s["m"] += g
                s["step"] += 1
                p -= lr * s["m"]
            return params
        return step
    from minigrad_kernels.adam_update import adam_update_numpy
    lr, (beta1, beta2), eps = options["lr"], options["betas"], options["eps"]

    def step():
        for p, g, s in zip(params, grads, state):
            s["step"] += 1
            adam_update_numpy(p, g, s["m"], s["v"], None, s["step"], lr, beta1, beta2, eps,
                              0.0, False, False)
        return params
    return step


def minigrad_step(rule, params, grads):
    import minigrad
    tensors = [minigrad.Tensor(p, requires_grad=True) for p in params]
    for t, g in zip(tensors, grads):
        t.grad = minigrad.Tensor(g)
    cls = {"adam": minigrad.optim.Adam, "sgd": minigrad.optim.SGD}[rule]
    opt = cls(tensors, **RULES[rule][0])

    def step():
        opt.step()
        return [t._data for t in tensors]
    return step


def torch_step(torch, rule, params, grads):
    def as_tensor(a):
        if isinstance(a, np.ndarray):
            return torch.from_numpy(a)
        return torch.as_tensor(a, device="cuda")
    tensors = [torch.nn.Parameter(as_tensor(p)) for p in params]
    for t, g in zip(tensors, grads):
        t.grad = as_tensor(g)
    cls = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}[rule]
    opt = cls(tensors, **RULES[rule][0])

    def step():
        with torch.no_grad():
            opt.step()
        return [t.detach() for t in tensors]
    return step
