"""What is measured: for every kernel op, its sizes, inputs, work, tolerance and PyTorch twin.

A *case* is one size of one op: a label, the inputs (made on the host by ``make(rng)``), the
arithmetic it needs (``flops``), the least memory traffic it needs (``bytes``: every input
read once, every output written once) and which of the two bounds its speed.  Sizes come
from two places: the layers of the seed CNNs (``cnn_throughput.MODELS``, walked here, so a
model change moves the benchmark with it) and a sweep of generic sizes around them.

``SPECS`` has one entry per op of the kernel registry; the harness refuses to run an
implementation whose op has no entry (so a new op cannot slip past the benchmark).
Levels: ``tiny`` (the smoke test: batch 2, model C, a few small sizes), ``quick`` (the three
models' layers, a short sweep), ``full`` (the models' layers and a wider sweep), and
``simulator``, which the harness picks for Numba's CUDA simulator (one case per op, two for
adam_update's branches, of at most a few hundred elements, ragged against the kernels'
tiles: the simulator runs every GPU thread in Python, so a model's layer takes a minute
there).

Most ops return their output; ``adam_update`` updates its arguments in place and returns
nothing, so its spec says what to compare (``OpSpec.call``, ``in_place``).
"""
import functools
import math
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from .cnn_throughput import MODELS

F32 = 4                      # every case is float32, as the seed CNNs train
LEVELS = ("tiny", "quick", "full")          # what --sizes offers
SIMULATOR = "simulator"                     # the level of a simulated device


@dataclass
class Case:
    op: str
    label: str
    make: Callable            # rng -> (args tuple, context dict for the PyTorch twin)
    flops: float
    bytes: float
    origin: str = "sweep"     # "model A" ... or "sweep"


@dataclass
class OpSpec:
    op: str
    bound: str                                # "compute" or "memory": which peak to compare
    cases: Callable                           # level -> [Case]
    rtol: float                               # float32 gate tolerance, relative to max |ref|
    torch: Callable = None                    # (torch, args, context) -> zero-argument call
    torch_out: Callable = field(default=lambda out: out)   # PyTorch's output → ...
    ref_out: Callable = field(default=lambda ref: ref)     # ... compared with this of ref
    call: Callable = None     # (fn, args) -> zero-argument call returning what is compared
    in_place: bool = False    # what is compared is the updated inputs: nothing new allocated

    def bind(self, fn, args):
        """A zero-argument call of implementation ``fn`` on one input set, returning what the
        gate compares with the reference (by default ``fn(*args)``'s output)."""
        if self.call is not None:
            return self.call(fn, args)
        return functools.partial(fn, *args)


# ---------------------------------------------------------------------------------------
# the seed CNNs' layers

def model_layers(level):
    """Every layer's shapes in the seed CNNs: dicts with ``kind`` (conv, pool, relu, linear,
    loss, params), ``label``, ``origin`` and shapes.  ``tiny`` keeps model C at batch 2; the
    simulator level has none."""
    names = {"tiny": ["C"], SIMULATOR: []}.get(level, list(MODELS))
    for name in names:
        layers, batch = MODELS[name]
        n = 2 if level == "tiny" else batch
        shape, counts, params = (n, 1, 28, 28), {}, []
        for kind, *args in layers:
            counts[kind] = counts.get(kind, 0) + 1
            label = f"{name}.{kind}{counts[kind]}"
            if kind == "conv":
                c_in, c_out, k = args
                yield dict(kind="conv", label=label, origin=f"model {name}", x=shape,
                           w=(c_out, c_in, k, k), padding=(0, 0))
                params += [(c_out, c_in, k, k), (c_out,)]
                shape = (n, c_out, shape[2] - k + 1, shape[3] - k + 1)
            elif kind == "pool":
                yield dict(kind="pool", label=label, origin=f"model {name}", x=shape)
                shape = shape[:2] + (shape[2] // 2, shape[3] // 2)
            elif kind == "relu":
                yield dict(kind="relu", label=label, origin=f"model {name}", x=shape)
            elif kind == "flatten":
                shape = (n, math.prod(shape[1:]))
            elif kind == "linear":
                yield dict(kind="linear", label=label, origin=f"model {name}",
                           a=shape, b=args)
                params += [(args[1], args[0]), (args[1],)]
                shape = (n, args[1])
        yield dict(kind="loss", label=f"{name}.loss", origin=f"model {name}", logits=shape)
        yield dict(kind="params", label=f"{name}.params", origin=f"model {name}",
                   shapes=params)


def _layers(level, kind):
    return [layer for layer in model_layers(level) if layer["kind"] == kind]


def _rand(rng, shape):
    return rng.standard_normal(shape, dtype=np.float32)


# ---------------------------------------------------------------------------------------
# matmul

def _matmul_case(label, m, k, n, origin="sweep"):
    def make(rng):
        return (_rand(rng, (m, k)), _rand(rng, (k, n))), {}
    return Case("matmul", label, make, 2.0 * m * k * n, F32 * (m * k + k * n + m * n), origin)


def _torch_matmul(torch, args, context):
    a, b = _to_torch(torch, args)
    return lambda: torch.matmul(a, b)


def matmul_cases(level):
    if level == SIMULATOR:       # ragged against the simulator's 8x8 tiles and 4-wide K steps
        return [_matmul_case("sim 12x18x9", 12, 18, 9)]
    sizes = {"tiny": [16, 48], "quick": [128, 512, 1024],
             "full": [64, 128, 256, 512, 1024, 2048]}[level]
    cases = [_matmul_case(f"{s}x{s}x{s}", s, s, s) for s in sizes]
    for layer in _layers(level, "linear"):
        (m, k), (_, n) = layer["a"], layer["b"]
        cases.append(_matmul_case(f"{layer['label']} {m}x{k}x{n}", m, k, n, layer["origin"]))
    return cases


# ---------------------------------------------------------------------------------------
# conv2d: forward, backward_input, backward_weight on one geometry

def _conv_geometries(level):
    if level == SIMULATOR:       # batch 2, padded, ragged: ~0.5 s per call simulated
        return [("sim.conv pad1", "sweep", (2, 2, 4, 4), (3, 2, 3, 3), (1, 1))]
    geometries = [(layer["label"], layer["origin"], layer["x"], layer["w"], layer["padding"])
                  for layer in _layers(level, "conv")]
    if level == "full":   # a ResNet-like 3x3, padded, wider than the seed CNNs
        geometries += [("sweep.conv pad1", "sweep", (32, 64, 32, 32), (64, 64, 3, 3), (1, 1)),
                       ("sweep.conv pad1", "sweep", (16, 128, 16, 16), (128, 128, 3, 3),
                        (1, 1))]
    return geometries


def _conv_case(entry, label, origin, x_shape, w_shape, padding, kept_cols=False):
    """``kept_cols``: backward-weight given the forward's im2col matrix, as in training."""
    n, c, h, w = x_shape
    o, _, kh, kw = w_shape
    stride, dilation = (1, 1), (1, 1)
    oh, ow = h + 2 * padding[0] - kh + 1, w + 2 * padding[1] - kw + 1
    y_shape = (n, o, oh, ow)
    flops = 2.0 * n * o * oh * ow * c * kh * kw
    sizes = {"x": math.prod(x_shape), "w": math.prod(w_shape), "y": math.prod(y_shape)}
    geometry = (stride, padding, dilation)

    def make(rng):
        x, wt, dy = _rand(rng, x_shape), _rand(rng, w_shape), _rand(rng, y_shape)
        if entry == "forward":
            return (x, wt) + geometry, {}
        if entry == "backward_input":
            return (dy, wt, x_shape) + geometry, {}
        if kept_cols:
            from minigrad_kernels.conv2d import im2col_numpy
            return (dy, x, w_shape) + geometry + (im2col_numpy(x, kh, kw, *geometry),), {}
        return (dy, x, w_shape) + geometry, {}
    moved = F32 * sum(sizes.values())     # each entry reads two of x, w, y and writes the third
    if kept_cols:                         # reads the im2col matrix instead of x
        moved += F32 * (n * oh * ow * c * kh * kw - sizes["x"])
    shapes = f"{'x'.join(map(str, x_shape))} * {'x'.join(map(str, w_shape))}"
    return Case(f"conv2d.{entry}", f"{label} {shapes}{' kept cols' if kept_cols else ''}",
                make, flops, moved, origin)


def conv_cases(entry):
    def cases(level):
        found = [_conv_case(entry, *g) for g in _conv_geometries(level)]
        if entry == "backward_weight" and level in ("quick", "full"):
            # what a training step runs: the forward kept its im2col (Conv2d's keep_cols)
            found += [_conv_case(entry, *g, kept_cols=True) for g in _conv_geometries(level)
                      if g[1] != "sweep"]
        return found
    return cases


def _torch_conv(entry):
    def call(torch, args, context):
        t = _to_torch(torch, args)
        if entry == "forward":
            x, w, stride, padding, dilation = t
            return lambda: torch.nn.functional.conv2d(x, w, None, stride, padding, dilation)
        if entry == "backward_input":
            dy, w, x_shape, stride, padding, dilation = t
            return lambda: torch.nn.grad.conv2d_input(x_shape, w, dy, stride, padding,
                                                      dilation)
        dy, x, w_shape, stride, padding, dilation = t[:6]      # (PyTorch keeps no cols)
        return lambda: torch.nn.grad.conv2d_weight(x, w_shape, dy, stride, padding, dilation)
    return call


# ---------------------------------------------------------------------------------------
# max_pool2d (2x2, stride 2, as in the seed CNNs)

def _pool_shapes(level):
    if level == SIMULATOR:
        return [("sim.pool", "sweep", (2, 3, 6, 6))]
    shapes = [(layer["label"], layer["origin"], layer["x"]) for layer in _layers(level, "pool")]
    if level == "full":
        shapes.append(("sweep.pool", "sweep", (32, 64, 32, 32)))
    return shapes


def _pool_case(entry, label, origin, x_shape):
    kernel = stride = (2, 2)
    padding = (0, 0)
    n, c, h, w = x_shape
    y_shape = (n, c, h // 2, w // 2)
    x_size, y_size = math.prod(x_shape), math.prod(y_shape)

    def make(rng):
        from minigrad_kernels.pool import max_pool2d_forward_numpy
        x = _rand(rng, x_shape)
        if entry == "forward":
            return (x, kernel, stride, padding), {}
        _, arg = max_pool2d_forward_numpy(x, kernel, stride, padding)
        dy = _rand(rng, y_shape)
        return (dy, arg, x_shape, kernel, stride, padding), {"x": x}
    # forward reads x, writes y and the int8 argmax; backward reads dy, arg, writes dx
    moved = F32 * (x_size + y_size) + y_size
    return Case(f"max_pool2d.{entry}", f"{label} {'x'.join(map(str, x_shape))}", make,
                float(y_size * 4), moved, origin)


def pool_cases(entry):
    def cases(level):
        return [_pool_case(entry, *s) for s in _pool_shapes(level)]
    return cases


def _torch_pool_forward(torch, args, context):
    x, kernel, stride, padding = _to_torch(torch, args)
    return lambda: torch.nn.functional.max_pool2d(x, kernel, stride, padding,
                                                  return_indices=True)


def _torch_pool_backward(torch, args, context):
    dy, _, _, kernel, stride, padding = _to_torch(torch, args)
    x = _to_torch(torch, (context["x"],))[0].to(dy.device)
    _, indices = torch.nn.functional.max_pool2d(x, kernel, stride, padding, return_indices=True)
    backward = torch.ops.aten.max_pool2d_with_indices_backward
    return lambda: backward(dy, x, kernel, stride, padding, (1, 1), False, indices)


# ---------------------------------------------------------------------------------------
# softmax + cross-entropy (class indices, as the seed CNNs train)

def _xent_shapes(level):
    shapes = [(layer["label"], layer["origin"], layer["logits"])
              for layer in _layers(level, "loss")]
    shapes += {"tiny": [], SIMULATOR: [("sim.loss", "sweep", (3, 10))],
               "quick": [("sweep.loss", "sweep", (256, 1000))],
               "full": [("sweep.loss", "sweep", (256, 1000)),
                        ("sweep.loss", "sweep", (2048, 1000))]}[level]
    return shapes


def _xent_case(entry, label, origin, shape):
    n, k = shape

    def make(rng):
        from minigrad_kernels.softmax_xent import softmax_xent_numpy
        logits, target = _rand(rng, shape) * 3, rng.integers(0, k, n)
        if entry == "forward":
            return (logits, target), {}
        _, probs = softmax_xent_numpy(logits, target)
        return (probs, target, _rand(rng, (n,))), {"logits": logits}
    moved = F32 * (2 * n * k + n) + 8 * n      # logits/probs in, probs/grad out, loss, targets
    return Case(f"softmax_xent.{entry}", f"{label} {n}x{k}", make,
                float(5 * n * k if entry == "forward" else 2 * n * k), moved, origin)


def xent_cases(entry):
    def cases(level):
        return [_xent_case(entry, *s) for s in _xent_shapes(level)]
    return cases


def _torch_xent_forward(torch, args, context):
    logits, target = _to_torch(torch, args)
    functional = torch.nn.functional
    return lambda: functional.nll_loss(functional.log_softmax(logits, 1), target,
                                       reduction="none")


def _torch_xent_backward(torch, args, context):
    """PyTorch's own backward of ``cross_entropy(reduction="none")``: nll_loss's, then
    log_softmax's, on the saved log-probabilities."""
    _, target, dloss = _to_torch(torch, args)
    logits = _to_torch(torch, (context["logits"],))[0].to(dloss.device)
    log_probs = torch.nn.functional.log_softmax(logits, 1)
    total_weight = torch.tensor(float(len(target)), device=dloss.device)
    nll_backward = torch.ops.aten.nll_loss_backward
    log_softmax_backward = torch.ops.aten._log_softmax_backward_data

    def run():
        grad = nll_backward(dloss, log_probs, target, None, 0, -100, total_weight)
        return log_softmax_backward(grad, log_probs, 1, log_probs.dtype)
    return run


# ---------------------------------------------------------------------------------------
# relu: on every conv output and hidden linear output of the seed CNNs

def _relu_shapes(level):
    if level == SIMULATOR:
        return [("sim.relu", "sweep", (3, 37))]
    shapes = [(layer["label"], layer["origin"], layer["x"]) for layer in _layers(level, "relu")]
    if level == "full":
        shapes.append(("sweep.relu", "sweep", (32, 64, 32, 32)))
    return shapes


def _relu_case(entry, label, origin, shape):
    size = math.prod(shape)

    def make(rng):
        from minigrad_kernels.relu import relu_numpy
        x = _rand(rng, shape)
        if entry == "forward":
            return (x,), {}
        return (_rand(rng, shape), relu_numpy(x)), {}
    moved = F32 * size * (2 if entry == "forward" else 3)
    return Case(f"relu.{entry}", f"{label} {'x'.join(map(str, shape))}", make,
                float(size), moved, origin)


def relu_cases(entry):
    def cases(level):
        return [_relu_case(entry, *s) for s in _relu_shapes(level)]
    return cases


def _torch_relu_forward(torch, args, context):
    (x,) = _to_torch(torch, args)
    return lambda: torch.relu(x)


def _torch_relu_backward(torch, args, context):
    dy, y = _to_torch(torch, args)
    return lambda: torch.ops.aten.threshold_backward(dy, y, 0)


# ---------------------------------------------------------------------------------------
# erf (the exact GELU's)

def _erf_case(size):
    def make(rng):
        return (_rand(rng, (size,)),), {}
    return Case("erf", f"{size:.0e}", make, float(size), 2.0 * F32 * size)


def erf_cases(level):
    sizes = {"tiny": [100], SIMULATOR: [100], "quick": [10**4, 10**5],
             "full": [10**3, 10**4, 10**5, 10**6]}
    return [_erf_case(s) for s in sizes[level]]


def _torch_erf(torch, args, context):
    (x,) = _to_torch(torch, args)
    return lambda: torch.erf(x)


# ---------------------------------------------------------------------------------------
# gelu and layer_norm: a character GPT's MLP activation (batch 12 × block 64 rows, 4·128
# wide) and LayerNorm (128 wide), float32 (docs/examples/gpt_chars.py)

def _gpt_rows(level):
    return {"tiny": 16, SIMULATOR: 3, "quick": 12 * 64, "full": 12 * 64}[level]


def _gelu_case(entry, approximate, rows, width):
    def make(rng):
        x = _rand(rng, (rows, width))
        if entry == "forward":
            return (x, approximate), {}
        return (_rand(rng, (rows, width)), x, approximate), {}
    size = rows * width
    # per element: u and the cubic, a tanh (or erf), the product; backward about twice that
    return Case(f"gelu.{entry}", f"gpt.mlp {rows}x{width} {approximate}", make,
                (15.0 if entry == "forward" else 25.0) * size,
                F32 * size * (2 if entry == "forward" else 3))


def gelu_cases(entry):
    def cases(level):
        rows = _gpt_rows(level)
        width = 37 if level == SIMULATOR else 512
        modes = ["tanh", "none"] if level == "full" else ["tanh"]
        return [_gelu_case(entry, mode, rows, width) for mode in modes]
    return cases


def _torch_gelu_forward(torch, args, context):
    x, approximate = _to_torch(torch, args)
    return lambda: torch.nn.functional.gelu(x, approximate=approximate)


def _torch_gelu_backward(torch, args, context):
    dy, x, approximate = _to_torch(torch, args)
    return lambda: torch.ops.aten.gelu_backward(dy, x, approximate=approximate)


def _layer_norm_case(entry, rows, width):
    def make(rng):
        x = _rand(rng, (rows, width)) * 2 + 1
        gamma, beta = _rand(rng, (width,)), _rand(rng, (width,))
        if entry == "forward":
            return (x, gamma, beta, 1e-5), {}
        from minigrad_kernels.layer_norm import layer_norm_forward_numpy
        _, mean, invstd = layer_norm_forward_numpy(x, gamma, beta, 1e-5)
        return (_rand(rng, (rows, width)), x, mean, invstd, gamma), {"beta": beta}
    size = rows * width
    moved = F32 * (2 * size + 2 * width + 2 * rows if entry == "forward"
                   else 3 * size + 3 * width + 2 * rows)
    return Case(f"layer_norm.{entry}", f"gpt.ln {rows}x{width}", make,
                (8.0 if entry == "forward" else 12.0) * size, float(moved))


def layer_norm_cases(entry):
    def cases(level):
        widths = {"full": [128, 512]}.get(level, [37 if level == SIMULATOR else 128])
        return [_layer_norm_case(entry, _gpt_rows(level), w) for w in widths]
    return cases


def _torch_layer_norm_forward(torch, args, context):
    x, gamma, beta, eps = _to_torch(torch, args)
    return lambda: torch.ops.aten.native_layer_norm(x, [x.shape[-1]], gamma, beta, eps)


def _torch_layer_norm_backward(torch, args, context):
    dy, x, mean, invstd, gamma = _to_torch(torch, args)
    (beta,) = _to_torch(torch, (context["beta"],))
    mean, invstd = mean.reshape(-1, 1), invstd.reshape(-1, 1)
    return lambda: torch.ops.aten.native_layer_norm_backward(
        dy, x, [x.shape[-1]], mean, invstd, gamma, beta, [True, True, True])


def _flat_stats(out):
    """PyTorch's (y, mean (R, 1), rstd (R, 1)) as our (y, mean (R,), invstd (R,))."""
    return out[0], out[1].reshape(-1), out[2].reshape(-1)


# ---------------------------------------------------------------------------------------
# adam_update: one Adam step's kernel work over a model's parameters

@dataclass
class ParamSet:
    label: str
    origin: str
    shapes: list

    @property
    def size(self):
        return sum(math.prod(s) for s in self.shapes)


def param_sets(level):
    """Each seed CNN's parameter shapes (what one optimizer step updates), and at ``full`` a
    4-million-parameter set; at the simulator level a small conv layer's weight and bias."""
    if level == SIMULATOR:
        return [ParamSet("sim.params", "sweep", [(3, 2, 3, 3), (3,)])]
    sets = [ParamSet(layer["label"], layer["origin"], layer["shapes"])
            for layer in model_layers(level) if layer["kind"] == "params"]
    if level == "full":
        sets.append(ParamSet("sweep.params", "sweep", [(1024, 1024)] * 4))
    return sets


ADAM = dict(weight_decay=0.0, decoupled=False, amsgrad=False)   # the seed CNNs' optimizer
ADAMW_AMSGRAD = dict(weight_decay=1e-2, decoupled=True, amsgrad=True)  # the other branches
ADAM_HYPER = dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8)
ADAM_STEP = 10        # a step mid-training: bias corrections not trivial, m and v not zero


def _adam_case(param_set, weight_decay, decoupled, amsgrad):
    def make(rng):
        args = []
        for shape in param_set.shapes:
            p, g, m = _rand(rng, shape), _rand(rng, shape), 0.3 * _rand(rng, shape)
            v = np.square(_rand(rng, shape))
            v_max = np.maximum(v, np.square(_rand(rng, shape))) if amsgrad else None
            h = ADAM_HYPER
            args.append((p, g, m, v, v_max, ADAM_STEP, h["lr"], h["beta1"], h["beta2"],
                         h["eps"], weight_decay, decoupled, False))
        return tuple(args), {}
    variant = " AdamW amsgrad" if amsgrad else ""
    # read θ, g, m, v and write θ, m, v (amsgrad: v_max read and written too)
    moved = F32 * (9 if amsgrad else 7) * param_set.size
    return Case("adam_update", f"{param_set.label} {param_set.size:,} params{variant}", make,
                12.0 * param_set.size, float(moved), param_set.origin)


def adam_cases(level):
    sets = param_sets(level)
    cases = [_adam_case(ps, **ADAM) for ps in sets]
    if level == SIMULATOR:
        cases += [_adam_case(ps, **ADAMW_AMSGRAD) for ps in sets]
    elif level == "tiny":
        small = ParamSet("sweep.params", "sweep", [(10, 64), (10,)])
        cases.append(_adam_case(small, **ADAMW_AMSGRAD))
    return cases


def _adam_updated(args):
    p, _, m, v, v_max = args[:5]
    return (p, m, v) if v_max is None else (p, m, v, v_max)


def _adam_step(fn, args):
    """One optimizer step's kernel work, as ``minigrad.optim.Adam.step`` does it: ``fn`` on
    each parameter in turn.  Returns what was updated in place (θ, m, v, v_max)."""
    def step():
        for one in args:
            fn(*one)
        return tuple(a for one in args for a in _adam_updated(one))
    return step


def _torch_adam(torch, args, context):
    """``torch.optim.Adam`` (AdamW for decoupled decay) on the same arrays, its state set to
    the case's (t − 1 steps taken, m, v, v_max): its ``step()`` updates them as one
    ``_adam_step`` does."""
    tensors = [_to_torch(torch, one) for one in args]
    step, lr, beta1, beta2, eps, weight_decay, decoupled, maximize = tensors[0][5:]
    amsgrad = tensors[0][4] is not None
    params = []
    for p, g, *_ in tensors:
        param = torch.nn.Parameter(p)          # shares p's memory
        param.grad = g
        params.append(param)
    cls = torch.optim.AdamW if decoupled else torch.optim.Adam
    opt = cls(params, lr=lr, betas=(beta1, beta2), eps=eps, weight_decay=weight_decay,
              amsgrad=amsgrad, maximize=maximize)
    for param, (_, _, m, v, v_max, *_) in zip(params, tensors):
        opt.state[param] = {"step": torch.tensor(float(step - 1)), "exp_avg": m,
                            "exp_avg_sq": v, **({"max_exp_avg_sq": v_max} if amsgrad else {})}

    def run():
        with torch.no_grad():
            opt.step()
        return tuple(a for param, one in zip(params, tensors)
                     for a in (param.detach(),) + _adam_updated(one)[1:])
    return run


# ---------------------------------------------------------------------------------------
# attention: causal self-attention over heads of a character-level GPT

def _attention_shapes(level):
    """(label, heads B = batch·heads, length L = S, head size E)."""
    return {"tiny": [("sweep.attention", 2, 16, 8)],
            SIMULATOR: [("sim.attention", 2, 13, 8)],           # ragged against the tiles
            "quick": [("gpt.attention", 32, 128, 32), ("gpt.attention", 32, 256, 32)],
            "full": [("gpt.attention", 32, n, 32) for n in (64, 128, 256, 512, 1024)]}[level]


def _attention_case(entry, label, heads, length, e):
    shape = (heads, length, e)

    def make(rng):
        from minigrad_kernels.attention import attention_forward_numpy
        q, k, v = (_rand(rng, shape) for _ in range(3))
        if entry == "forward":
            return (q, k, v, 1 / math.sqrt(e), True), {}
        out, lse = attention_forward_numpy(q, k, v, 1 / math.sqrt(e), True)
        return (_rand(rng, shape), q, k, v, out, lse, 1 / math.sqrt(e), True), {}
    # causal: about half of the L × S products; forward q·kᵀ and p·v, backward recomputes
    # q·kᵀ and adds dy·vᵀ, dS·k, dSᵀ·q and pᵀ·dy
    products = heads * length * (length + 1) / 2 * e * 2
    moved = F32 * heads * length * (4 * e + 1 if entry == "forward" else 8 * e + 1)
    return Case(f"attention.{entry}", f"{label} {heads}x{length}x{e} causal", make,
                products * (2 if entry == "forward" else 5), float(moved))


def attention_cases(entry):
    def cases(level):
        return [_attention_case(entry, *s) for s in _attention_shapes(level)]
    return cases


def _torch_attention_forward(torch, args, context):
    q, k, v, scale, is_causal = _to_torch(torch, args)
    return lambda: torch.nn.functional.scaled_dot_product_attention(
        q, k, v, is_causal=is_causal, scale=scale)


def _torch_attention_backward(torch, args, context):
    """PyTorch's CPU flash-attention backward, given our output and log-sum-exp (the same
    (heads, L) layout, seen as one batch of B heads); on a GPU, where that op does not
    take our layout, the backward's formulas in PyTorch ops (P from lse, then four
    products)."""
    dy, q, k, v, out, lse, scale, is_causal = _to_torch(torch, args)
    if not dy.is_cuda:
        backward = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu_backward
        tensors = [a.unsqueeze(0) for a in (dy, q, k, v, out, lse)]
        return lambda: tuple(g[0] for g in backward(*tensors, 0.0, is_causal, scale=scale))

    def run():
        s = (q @ k.transpose(1, 2)) * scale
        if is_causal:
            s = s.masked_fill(torch.ones(s.shape[1:], dtype=torch.bool,
                                         device=s.device).triu(1), float("-inf"))
        p = torch.exp(s - lse.unsqueeze(-1))
        ds = p * (dy @ v.transpose(1, 2) - (dy * out).sum(-1, keepdim=True)) * scale
        return ds @ k, ds.transpose(1, 2) @ q, p.transpose(1, 2) @ dy
    return run


# ---------------------------------------------------------------------------------------
# qgemm: the int8 products of quantised Linear layers (int32 accumulation, exact)

def _qgemm_shapes(level):
    """(label, M, K, N): a batch of 256 through the seed MLP's Linear layers, and a wide one."""
    return {"tiny": [("sweep.qgemm", 8, 64, 8)],
            SIMULATOR: [("sweep.qgemm", 8, 64, 8)],
            "quick": [("mlp.qgemm", 256, 784, 256), ("mlp.qgemm", 256, 1024, 1024)],
            "full": [("mlp.qgemm", 256, 784, 256), ("mlp.qgemm", 256, 1024, 1024),
                     ("wide.qgemm", 64, 4096, 1024)]}[level]


def _qgemm_case(label, m, k, n):
    def make(rng):
        return (rng.integers(-128, 128, (m, k)).astype(np.int8),
                rng.integers(-128, 128, (k, n)).astype(np.int8)), {}
    return Case("qgemm", f"{label} {m}x{k}x{n}", make, 2.0 * m * k * n,
                float(m * k + k * n + 4 * m * n))


def qgemm_cases(level):
    return [_qgemm_case(*s) for s in _qgemm_shapes(level)]


def _torch_qgemm(torch, args, context):
    """``torch._int_mm``: PyTorch's int8 × int8 → int32 product (its oneDNN path on a CPU)."""
    a, b = (torch.from_numpy(np.ascontiguousarray(x)) for x in args)
    return lambda: torch._int_mm(a, b)


# ---------------------------------------------------------------------------------------
# qlayer: whole quantised layers, float32 in and out (seed000's CNN after static int8)

def _qlayer_shapes(level):
    """("conv", label, N, C, H, O) and ("linear", label, M, K, O): seed000's quantised
    convolutions and first Linear (batch 256 in ``full``, 64 in ``quick``)."""
    tiny = [("conv", "seed000.qconv1", 2, 1, 28, 32), ("linear", "seed000.qfc1", 2, 576, 64)]
    if level in ("tiny", SIMULATOR):
        return tiny
    n = 256 if level == "full" else 64
    return [("conv", "seed000.qconv1", n, 1, 28, 32), ("conv", "seed000.qconv2", n, 32, 13, 64),
            ("conv", "seed000.qconv3", n, 64, 5, 64), ("linear", "seed000.qfc1", n, 576, 64)]


def _qlayer_params(rng, o, k):
    return (rng.integers(-127, 128, (o, k)).astype(np.int8),
            (rng.random(o) * 0.01 + 1e-4).astype(np.float32),
            rng.standard_normal(o).astype(np.float32), np.float32(1 / 255), -128)


def _qlayer_case(kind, label, *dims):
    if kind == "linear":
        m, k, o = dims

        def make(rng):
            w_q, w_scale, bias, s, z = _qlayer_params(rng, o, k)
            return (rng.random((m, k), dtype=np.float32), w_q, w_scale, bias, s, z, True), {}
        return Case("qlayer.linear", f"{label} {m}x{k}x{o}", make, 2.0 * m * k * o,
                    float(F32 * m * k + o * k + F32 * m * o))
    n, c, h, o = dims
    oh = h - 2

    def make(rng):
        w_q, w_scale, bias, s, z = _qlayer_params(rng, o, c * 9)
        return (rng.random((n, c, h, h), dtype=np.float32), w_q.reshape(o, c, 3, 3), w_scale,
                bias, s, z, (1, 1), (0, 0), (1, 1), True), {}
    return Case("qlayer.conv2d", f"{label} {n}x{c}x{h}x{h} -> {o}", make,
                2.0 * n * oh * oh * c * 9 * o,
                float(F32 * n * c * h * h + o * c * 9 + F32 * n * o * oh * oh))


def qlayer_cases(kind):
    def cases(level):
        return [_qlayer_case(*s) for s in _qlayer_shapes(level) if s[0] == kind]
    return cases


def _torch_qlayer(torch, args, context):
    """The same arithmetic in PyTorch's float ops (the integer product in float64, exact);
    PyTorch's own int8 layers requantise their output, so they cannot pass the gate."""
    import torch.nn.functional as TF
    x, w_q, w_scale, bias, s, z = args[:6]
    relu = args[-1]
    conv = x.ndim == 4
    x, w_q = torch.from_numpy(x), torch.from_numpy(w_q.astype(np.float64))
    scale = torch.from_numpy((np.float32(s) * w_scale).astype(np.float32))
    b = None if bias is None else torch.from_numpy(bias)
    zsum = z * w_q.reshape(w_q.shape[0], -1).sum(1)
    shape = (1, -1, 1, 1) if conv else (1, -1)

    def run():
        x_q = torch.clamp(torch.round(x / float(s)) + z, -128, 127).double()
        acc = (TF.conv2d(x_q, w_q, stride=args[6], padding=0, dilation=args[8]) if conv
               else x_q @ w_q.T)
        y = (acc - zsum.reshape(shape)).float() * scale.reshape(shape)
        if b is not None:
            y = y + b.reshape(shape)
        return torch.relu(y) if relu else y
    return run


# ---------------------------------------------------------------------------------------

def _to_torch(torch, args):
    """Arrays as tensors sharing their memory (host or GPU); other arguments unchanged."""
    def convert(value):
        if isinstance(value, np.ndarray):
            return torch.from_numpy(value.astype(np.int64) if value.dtype.kind == "i"
                                    and value.dtype != np.int64 else value)
        if hasattr(value, "__cuda_array_interface__"):
            return torch.as_tensor(value, device="cuda")
        return value
    return tuple(convert(v) for v in args)


def _first(values):
    return values[0]


SPECS = {spec.op: spec for spec in [
    OpSpec("matmul", "compute", matmul_cases, 1e-4, _torch_matmul),
    OpSpec("erf", "memory", erf_cases, 1e-6, _torch_erf),
    OpSpec("conv2d.forward", "compute", conv_cases("forward"), 1e-4, _torch_conv("forward")),
    OpSpec("conv2d.backward_input", "compute", conv_cases("backward_input"), 1e-4,
           _torch_conv("backward_input")),
    OpSpec("conv2d.backward_weight", "compute", conv_cases("backward_weight"), 1e-4,
           _torch_conv("backward_weight")),
    # PyTorch's indices are flat positions, ours window offsets: only y is compared with it
    OpSpec("max_pool2d.forward", "memory", pool_cases("forward"), 0.0, _torch_pool_forward,
           torch_out=_first, ref_out=_first),
    OpSpec("max_pool2d.backward", "memory", pool_cases("backward"), 1e-6,
           _torch_pool_backward),
    # PyTorch's twin returns the loss only (its probabilities stay inside log_softmax)
    OpSpec("softmax_xent.forward", "memory", xent_cases("forward"), 1e-5, _torch_xent_forward,
           ref_out=_first),
    OpSpec("softmax_xent.backward", "memory", xent_cases("backward"), 1e-5,
           _torch_xent_backward),
    OpSpec("relu.forward", "memory", relu_cases("forward"), 0.0, _torch_relu_forward),
    OpSpec("relu.backward", "memory", relu_cases("backward"), 0.0, _torch_relu_backward),
    OpSpec("gelu.forward", "memory", gelu_cases("forward"), 1e-5, _torch_gelu_forward),
    OpSpec("gelu.backward", "memory", gelu_cases("backward"), 1e-5, _torch_gelu_backward),
    OpSpec("layer_norm.forward", "memory", layer_norm_cases("forward"), 1e-5,
           _torch_layer_norm_forward, torch_out=_flat_stats),
    OpSpec("layer_norm.backward", "memory", layer_norm_cases("backward"), 1e-5,
           _torch_layer_norm_backward),
    # PyTorch's twin returns the output only (its log-sum-exp stays inside); its backward
    # is its CPU flash-attention backward (on a GPU: the formulas in PyTorch ops)
    OpSpec("attention.forward", "compute", attention_cases("forward"), 1e-4,
           _torch_attention_forward, ref_out=_first),
    OpSpec("attention.backward", "compute", attention_cases("backward"), 1e-4,
           _torch_attention_backward),
    # integer results: every implementation must equal the reference exactly
    OpSpec("qgemm", "compute", qgemm_cases, 0.0, _torch_qgemm),
    # whole quantised layers: the same float32 operations on exact integers, bit for bit
    OpSpec("qlayer.linear", "memory", qlayer_cases("linear"), 0.0, _torch_qlayer),
    OpSpec("qlayer.conv2d", "compute", qlayer_cases("conv"), 0.0, _torch_qlayer),
    # updates θ, m, v (v_max) in place: the gate compares them after one step
    OpSpec("adam_update", "memory", adam_cases, 1e-5, _torch_adam, call=_adam_step,
           in_place=True),
]}
