"""Write ``torch_reference.json``: PyTorch's optimizer trajectories and learning-rate
schedules, which ``test_torch_reference.py`` replays in minigrad (torch is not needed there).

Run it with a Python that has torch and NumPy, from the repository root:

    python3 -m venv /tmp/torchref && /tmp/torchref/bin/pip install numpy torch==2.13.0
    /tmp/torchref/bin/python tests/optim/make_torch_reference.py

The inputs (initial parameters and a gradient sequence per case) are drawn with NumPy from a
fixed seed, rounded to 6 significant digits and stored in the JSON: the replay reads them
from there, so it depends neither on NumPy's random streams nor on torch.  Torch receives
them by setting ``p.grad`` before each ``optimizer.step()``.  Outputs are rounded to 8
significant digits.

This module imports torch only in ``main()``; the tests import the case tables from here.
"""
import json
import math
import pathlib
import sys

import numpy as np

OUT = pathlib.Path(__file__).with_name("torch_reference.json")
SHAPES = [(3,), (2, 3), ()]    # a vector, a matrix and a 0-d parameter
N_STEPS = 6

# (name, optimizer, constructor kwargs, extra), extra: grad_scale (gradients' size, e.g.
# small so that ε matters), groups (per-group options: [(param indices, options)]), skip
# (steps at which a parameter gets no gradient: [(step, param index)]), dtype.
OPTIMIZER_CASES = [
    ("sgd", "SGD", {"lr": 0.1}, {}),
    ("sgd-momentum", "SGD", {"lr": 0.1, "momentum": 0.9}, {}),
    ("sgd-dampening-wd", "SGD",
     {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.1}, {}),
    ("sgd-nesterov", "SGD",
     {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.01}, {}),
    ("sgd-maximize", "SGD", {"lr": 0.05, "momentum": 0.5, "maximize": True}, {}),
    ("sgd-groups-skip", "SGD", {"lr": 0.1, "momentum": 0.9},
     {"groups": [([0], {"lr": 0.3, "dampening": 0.5}), ([1, 2], {})],
      "skip": [(1, 0), (2, 2), (3, 2)]}),
    ("adam-defaults", "Adam", {}, {}),
    ("adam", "Adam", {"lr": 0.1}, {}),
    ("adam-eps-wd", "Adam",
     {"lr": 0.1, "betas": (0.8, 0.99), "eps": 1e-3, "weight_decay": 0.1},
     {"grad_scale": 0.01}),
    ("adam-amsgrad", "Adam", {"lr": 0.1, "amsgrad": True, "eps": 1e-2}, {"grad_scale": 0.1}),
    ("adam-maximize-wd", "Adam", {"lr": 0.1, "maximize": True, "weight_decay": 0.05}, {}),
    ("adam-small-betas", "Adam", {"lr": 0.1, "betas": (0.3, 0.6), "eps": 1e-2},
     {"grad_scale": 0.1}),
    ("adam-groups-skip", "Adam", {"lr": 0.05, "eps": 1e-3},
     {"groups": [([0, 2], {"betas": (0.5, 0.9)}), ([1], {"lr": 0.2, "amsgrad": True})],
      "skip": [(0, 1), (2, 0), (4, 1)], "grad_scale": 0.03}),
    ("adam-float64", "Adam", {"lr": 0.1, "eps": 1e-3}, {"dtype": "float64",
                                                        "grad_scale": 0.01}),
    ("adamw", "AdamW", {"lr": 0.1}, {}),
    ("adamw-strong-decay", "AdamW",
     {"lr": 0.1, "weight_decay": 0.5, "amsgrad": True, "eps": 1e-2}, {"grad_scale": 0.1}),
    ("rmsprop", "RMSprop", {"lr": 0.01}, {}),
    ("rmsprop-eps", "RMSprop", {"lr": 0.01, "alpha": 0.9, "eps": 1e-2}, {"grad_scale": 0.1}),
    ("rmsprop-centered", "RMSprop", {"lr": 0.01, "alpha": 0.8, "centered": True}, {}),
    ("rmsprop-momentum-wd", "RMSprop",
     {"lr": 0.01, "momentum": 0.9, "weight_decay": 0.1, "eps": 1e-3}, {"grad_scale": 0.1}),
    ("rmsprop-all", "RMSprop",
     {"lr": 0.01, "alpha": 0.3, "momentum": 0.5, "centered": True, "maximize": True,
      "eps": 1e-2}, {"grad_scale": 0.1}),
    ("adagrad", "Adagrad", {"lr": 0.1}, {}),
    ("adagrad-decay-init", "Adagrad",
     {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.1, "initial_accumulator_value": 0.5}, {}),
    ("adagrad-eps-maximize", "Adagrad", {"lr": 0.1, "eps": 1e-2, "maximize": True},
     {"grad_scale": 0.01}),
    ("adadelta", "Adadelta", {}, {}),
    ("adadelta-rho-eps-wd", "Adadelta",
     {"lr": 0.5, "rho": 0.7, "eps": 1e-3, "weight_decay": 0.1}, {"grad_scale": 0.1}),
    ("adadelta-maximize-groups-skip", "Adadelta", {"lr": 2.0, "maximize": True},
     {"groups": [([0], {"rho": 0.5}), ([1, 2], {"eps": 1e-2})], "skip": [(1, 0), (3, 2)]}),
    ("adadelta-float64", "Adadelta", {"rho": 0.95, "eps": 1e-8},
     {"dtype": "float64", "grad_scale": 0.01}),
]

# Named lr_lambda functions for LambdaLR (a JSON file cannot hold a function).
LAMBDAS = {
    "warmup4": lambda epoch: min(1.0, (epoch + 1) / 4),
    "inverse_sqrt": lambda epoch: 1.0 / math.sqrt(epoch + 1),
}

# (name, optimizer and its kwargs, the lrs of its param groups, schedulers [(class, kwargs)]
# stepped together, number of steps, metrics for ReduceLROnPlateau or None).
_PLATEAU_METRICS = [1.0, 0.9, 0.9, 0.95, 0.91, 0.9, 0.92, 0.5, 0.5, 0.5, 0.49999, 0.6, 0.6,
                    0.6, 0.6, 0.6, 0.3, 0.3, 0.3, 0.3]
SCHEDULER_CASES = [
    ("step", ("SGD", {}), [0.1, 0.02], [("StepLR", {"step_size": 3, "gamma": 0.5})], 10, None),
    ("multistep", ("SGD", {}), [0.1],
     [("MultiStepLR", {"milestones": [2, 5, 5, 8], "gamma": 0.3})], 10, None),
    ("exponential", ("SGD", {}), [0.1, 0.5], [("ExponentialLR", {"gamma": 0.9})], 8, None),
    ("cosine", ("SGD", {}), [0.1], [("CosineAnnealingLR", {"T_max": 10})], 12, None),
    ("cosine-eta-min-restart", ("SGD", {}), [0.1, 0.05],
     [("CosineAnnealingLR", {"T_max": 4, "eta_min": 0.01})], 14, None),
    ("linear-warmup", ("SGD", {}), [0.1], [("LinearLR", {"total_iters": 4})], 7, None),
    ("linear-decay", ("SGD", {}), [0.1],
     [("LinearLR", {"start_factor": 1.0, "end_factor": 0.2, "total_iters": 5})], 8, None),
    ("lambda", ("SGD", {}), [0.1, 0.3], [("LambdaLR", {"lr_lambda": "warmup4"})], 6, None),
    ("lambda-per-group", ("SGD", {}), [0.1, 0.3],
     [("LambdaLR", {"lr_lambda": ["warmup4", "inverse_sqrt"]})], 6, None),
    ("warmup-then-exponential", ("SGD", {}), [0.1],
     [("LinearLR", {"start_factor": 0.25, "total_iters": 3}),
      ("ExponentialLR", {"gamma": 0.8})], 8, None),
    ("onecycle-sgd", ("SGD", {"momentum": 0.9}), [0.1, 0.1],
     [("OneCycleLR", {"max_lr": [1.0, 0.5], "total_steps": 20})], 20, None),
    ("onecycle-adam-linear-three-phase", ("Adam", {}), [0.001],
     [("OneCycleLR", {"max_lr": 0.01, "epochs": 3, "steps_per_epoch": 5,
                      "anneal_strategy": "linear", "three_phase": True})], 15, None),
    ("onecycle-no-momentum", ("Adagrad", {}), [0.01],
     [("OneCycleLR", {"max_lr": 0.1, "total_steps": 11, "pct_start": 0.5,
                      "cycle_momentum": False, "div_factor": 10.0,
                      "final_div_factor": 100.0})], 11, None),
    ("plateau-min", ("SGD", {}), [0.1, 0.01],
     [("ReduceLROnPlateau", {"factor": 0.5, "patience": 1, "min_lr": 0.003})], 20,
     _PLATEAU_METRICS),
    ("plateau-max-abs-cooldown", ("SGD", {}), [0.1],
     [("ReduceLROnPlateau", {"mode": "max", "factor": 0.3, "patience": 0,
                             "threshold": 0.05, "threshold_mode": "abs", "cooldown": 2})],
     20, [-m for m in _PLATEAU_METRICS]),
    ("plateau-min-abs-eps", ("SGD", {}), [1e-7],
     [("ReduceLROnPlateau", {"threshold_mode": "abs", "patience": 2, "eps": 1e-8})], 20,
     _PLATEAU_METRICS),
    ("plateau-max-rel", ("SGD", {}), [0.1, 0.2],
     [("ReduceLROnPlateau", {"mode": "max", "patience": 2, "threshold": 0.1,
                             "min_lr": [0.0, 0.05]})], 20,
     [-m for m in _PLATEAU_METRICS]),
]


def sig(x, digits=6):
    """x rounded to ``digits`` significant digits (a Python float)."""
    return float(f"{x:.{digits}g}")


def make_inputs(case_index, extra):
    """Initial parameters and the gradient sequence of one optimizer case (NumPy only)."""
    rng = np.random.default_rng(1000 + case_index)
    scale = extra.get("grad_scale", 1.0)
    params = [[sig(v) for v in rng.standard_normal(s).ravel()] for s in SHAPES]
    skip = {tuple(x) for x in extra.get("skip", ())}
    grads = []
    for step in range(N_STEPS):
        # A per-step size factor: gradients that grow and shrink exercise amsgrad's max.
        grads.append([None if (step, i) in skip else
                      [sig(scale * rng.uniform(0.2, 3.0) * v)
                       for v in rng.standard_normal(s).ravel()]
                      for i, s in enumerate(SHAPES)])
    return params, grads


def _run_optimizer(torch, index, case):
    name, opt_name, kwargs, extra = case
    dtype = getattr(torch, extra.get("dtype", "float32"))
    params0, grads = make_inputs(index, extra)
    params = [torch.tensor(np.array(v).reshape(s), dtype=dtype, requires_grad=True)
              for v, s in zip(params0, SHAPES)]
    if "groups" in extra:
        arg = [dict(opts, params=[params[i] for i in ids]) for ids, opts in extra["groups"]]
    else:
        arg = params
    opt = getattr(torch.optim, opt_name)(arg, **kwargs)
    trajectory = []
    for step_grads in grads:
        for p, g, s in zip(params, step_grads, SHAPES):
            p.grad = None if g is None else torch.tensor(np.array(g).reshape(s), dtype=dtype)
        opt.step()
        trajectory.append([[sig(v, 8) for v in p.detach().numpy().ravel().tolist()]
                           for p in params])
    return {"name": name, "optimizer": opt_name, "kwargs": kwargs,
            "groups": extra.get("groups"), "dtype": extra.get("dtype", "float32"),
            "shapes": SHAPES, "params": params0, "grads": grads, "trajectory": trajectory}


def _momentum_of(group):
    if "betas" in group:
        return group["betas"][0]
    return group.get("momentum")


def _run_schedulers(torch, case):
    name, (opt_name, opt_kwargs), lrs, sched_specs, n_steps, metrics = case
    groups = [{"params": [torch.zeros(1, requires_grad=True)], "lr": lr} for lr in lrs]
    opt = getattr(torch.optim, opt_name)(groups, **opt_kwargs)
    scheds = []
    for cls_name, kwargs in sched_specs:
        kwargs = dict(kwargs)
        if cls_name == "LambdaLR":
            fns = kwargs["lr_lambda"]
            kwargs["lr_lambda"] = [LAMBDAS[f] for f in fns] if isinstance(fns, list) \
                else LAMBDAS[fns]
        scheds.append(getattr(torch.optim.lr_scheduler, cls_name)(opt, **kwargs))
    record_lrs = [[sig(g["lr"], 12) for g in opt.param_groups]]
    record_mom = [[_momentum_of(g) for g in opt.param_groups]]
    for step in range(n_steps):
        opt.step()
        for sched in scheds:
            if metrics is not None:
                sched.step(metrics[step])
            else:
                sched.step()
        record_lrs.append([sig(lr, 12) for lr in scheds[-1].get_last_lr()])
        record_mom.append([_momentum_of(g) for g in opt.param_groups])
    has_momentum = any(m is not None for row in record_mom for m in row)
    return {"name": name, "optimizer": opt_name, "optimizer_kwargs": opt_kwargs,
            "group_lrs": lrs, "schedulers": sched_specs, "n_steps": n_steps,
            "metrics": metrics, "lrs": record_lrs,
            "momenta": [[sig(m, 12) for m in row] for row in record_mom]
            if has_momentum else None}


def main():
    import torch

    torch.set_default_dtype(torch.float32)
    data = {
        "generated_by": "tests/optim/make_torch_reference.py",
        "torch_version": torch.__version__,
        "numpy_version": np.__version__,
        "n_steps": N_STEPS,
        "optimizers": [_run_optimizer(torch, i, case)
                       for i, case in enumerate(OPTIMIZER_CASES)],
        "schedulers": [_run_schedulers(torch, case) for case in SCHEDULER_CASES],
    }
    # One case per line: readable diffs when the reference is regenerated.
    lines = ["{"]
    for key, value in data.items():
        if isinstance(value, list):
            body = ",\n".join("  " + json.dumps(item) for item in value)
            lines.append(f' "{key}": [\n{body}\n ],')
        else:
            lines.append(f' "{key}": {json.dumps(value)},')
    lines[-1] = lines[-1].rstrip(",")
    OUT.write_text("\n".join(lines) + "\n}\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KB) with torch {torch.__version__}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
