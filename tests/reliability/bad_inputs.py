"""The table of bad inputs: one ``Case`` per mistake a user can make, with the error it must
raise and what its message must say.

Each case builds the objects involved (tensors, modules, optimizers, files), does one bad
thing to them, and declares

* ``error``: the exact exception type,
* ``says``: literal pieces the message must contain — the op or layer, what was expected and
  what was got (shapes, dtypes, devices, keys, file defects).

``run_case`` also checks that every object involved is unchanged afterwards (values, dtypes,
devices, ``requires_grad``, ``.grad``, module buffers and training flag, optimizer state, file
bytes, minigrad's random generator).  Cases with ``on_cuda`` run on the ``"cuda"`` device: the
real one where CUDA is available, else the CPU stand-in of tests/cuda_standin.py, as the
``cuda_device`` fixture does.
``docs/errors.md`` is generated from this list (``python -m tests.reliability.errors_doc``).
"""
import contextlib
import gzip
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Callable

import numpy as np

import minigrad
from minigrad import backend, nn, optim, train
from minigrad import functional as F
from minigrad import random as mg_random
from minigrad.backend import CudaUnavailableError, KernelNotFoundError
from minigrad.data.idx import IDXFormatError, read_idx, write_idx
from minigrad.function import GraphFreedError
from minigrad.serialization import CheckpointFormatError
from minigrad.train.config import get_config

from ..cuda_standin import standin


@dataclass(frozen=True)
class Case:
    name: str                  # unique id (the test id)
    group: str                 # the section of docs/errors.md
    bad_input: str             # what the user did wrong, in words
    build: Callable            # (tmp: Path) -> dict of the objects involved
    act: Callable              # (objects: SimpleNamespace) -> anything; must raise
    error: type                # the exact exception type
    says: tuple                # pieces the message must contain: op/layer, expected, got
    covers: tuple = ()         # rows of tests/ops/op_table*.py whose contract this breaks
    prepare: Callable = None   # (objects) -> None: legitimate steps before the bad one
    on_cuda: bool = False      # build and act with the "cuda" device usable (see cuda_device)


CASES = []


def case(name, group, bad_input, build, act, error, says, covers=(), prepare=None,
         on_cuda=False):
    CASES.append(Case(name, group, bad_input, build, act, error, tuple(says), tuple(covers),
                      prepare, on_cuda))


# -- helpers -----------------------------------------------------------------------------------

def T(*shape, dtype="float32", grad=True, seed=0, low=None, high=None, device="cpu"):
    """A seeded tensor (normal, or uniform in [low, high]) that requires grad by default."""
    rng = np.random.default_rng(seed)
    values = (rng.standard_normal(shape) if low is None else rng.uniform(low, high, shape))
    return minigrad.tensor(values.astype(dtype), requires_grad=grad and dtype[0] == "f",
                           device=device)


def labels(*values, device="cpu"):
    return minigrad.tensor(np.array(values, dtype=np.int64), device=device)


@contextlib.contextmanager
def cuda_device():
    """The "cuda" device usable inside the block: the real one when CUDA is available,
    otherwise the CPU stand-in (tests/cuda_standin.py), like the ``cuda_device`` fixture."""
    if backend.is_cuda_available():
        yield
        return
    with backend.use_cuda_module(standin):
        yield


def seeded(fn):
    """Build with a fixed seed, so layer initialisations (and messages) are reproducible."""
    def build(tmp):
        minigrad.manual_seed(0)
        return fn(tmp)
    return build


def trained(model, opt_class, **options):
    """The optimizer of ``model`` after one step (so it has state to lose)."""
    minigrad.manual_seed(0)
    opt = opt_class(model.parameters(), **options)
    x = minigrad.randn(4, model_in(model))
    model(x).sum().backward()
    opt.step()
    return opt


def with_optimizer(opt_class, other_state=None, **options):
    """Build: a Linear(3, 4), its trained optimizer and (optionally) a state dict to load."""
    def build(tmp):
        model = nn.Linear(3, 4)
        objects = {"model": model, "opt": trained(model, opt_class, **options)}
        if other_state is not None:
            objects["state"] = other_state()
        return objects
    return build


def without_grad(fn):
    """Run ``fn`` under no_grad (a setup step of an act)."""
    with minigrad.no_grad():
        return fn()


def exp_then_changed(o):
    o.y = o.x.exp()                          # Exp saves its output y
    without_grad(lambda: o.y.__iadd__(1.0))  # ... which is then changed in place


def two_branches_one_changed(o):
    """Two branches; the one through Exp fails its version check, the other (a · 2) would
    give ``a`` its gradient first."""
    z = o.b.exp()
    without_grad(lambda: z.__imul__(2.0))
    o.loss = (o.a * 2.0).sum() + z.sum()


def first_backward(o):
    o.y = o.x.exp().sum()
    o.y.backward()


def model_in(model):
    first = next(m for m in model.modules() if isinstance(m, nn.Linear))
    return first.in_features


def idx_file(tmp, name, mutate):
    """Write a valid 3×4 uint8 IDX file, apply ``mutate`` to its bytes, return its path."""
    good = tmp / "good.idx"
    write_idx(good, np.arange(12, dtype=np.uint8).reshape(3, 4))
    path = tmp / name
    path.write_bytes(mutate(good.read_bytes()))
    return path


def saved_model_file(tmp, name, mutate=lambda b: b):
    minigrad.manual_seed(0)
    path = tmp / name
    minigrad.save(nn.Linear(3, 4).state_dict(), path)
    path.write_bytes(mutate(path.read_bytes()))
    return path


SHAPES = "Shapes: ops"
LAYERS = "Shapes: layers"
DTYPES = "Dtypes, labels and indices"
DEVICES = "Devices"
AUTOGRAD = "Autograd"
STATE = "Module state dicts"
OPTIM = "Optimizers"
FILES = "Files: IDX and minigrad.save"
CKPT = "Checkpoints: load_checkpoint and fit(resume=)"
ARGS = "Layer and op arguments"
SIZES = "Sizes, axes, indices and flags"
TRANSACTIONS = "All or nothing: optimizers, state dicts, backward, checkpoints"
SAVING = "Files: saving safely and reading any source"
DATA = "Data loading and fit arguments"

# -- shapes: elementwise ops that broadcast --------------------------------------------------

for op_name, fn in [("add", lambda a, b: a + b), ("sub", lambda a, b: a - b),
                    ("mul", lambda a, b: a * b), ("div", lambda a, b: a / b),
                    ("pow", lambda a, b: a ** b), ("maximum", F.maximum),
                    ("minimum", F.minimum)]:
    case(f"{op_name}_no_broadcast", SHAPES, f"`{op_name}` of shapes that do not broadcast",
         lambda tmp: {"a": T(2, 3), "b": T(4, seed=1)},
         lambda o, fn=fn: fn(o.a, o.b), ValueError,
         [f"{op_name}: shapes", "(2, 3)", "(4,)", "do not broadcast"], [op_name])

case("where_no_broadcast", SHAPES, "`where` with a condition that does not broadcast",
     lambda tmp: {"a": T(2, 3), "b": T(2, 3, seed=1), "cond": T(4, grad=False) > 0},
     lambda o: F.where(o.cond, o.a, o.b), ValueError,
     ["where: shapes", "(4,)", "(2, 3)", "do not broadcast"], ["where"])
case("where_float_cond", DTYPES, "`where` with a float condition",
     lambda tmp: {"a": T(2, 3), "b": T(2, 3, seed=1)},
     lambda o: F.where(o.a, o.a, o.b), TypeError,
     ["where", "bool", "float32"], ["where"])
case("clip_bounds_no_broadcast", SHAPES, "`clip` with tensor bounds that do not broadcast",
     lambda tmp: {"x": T(2, 3), "lo": T(4, seed=1)},
     lambda o: F.clip(o.x, o.lo, None), ValueError,
     ["clip: shapes", "(2, 3)", "(4,)"], ["clip_tensor_bounds"])
case("clip_no_bounds", ARGS, "`clip` with neither bound",
     lambda tmp: {"x": T(2, 3)}, lambda o: F.clip(o.x), ValueError,
     ["clip", "min and max", "got min=None and max=None"], ["clip"])
case("compare_no_broadcast", SHAPES, "a comparison (`<`) of shapes that do not broadcast",
     lambda tmp: {"a": T(2, 3), "b": T(4, seed=1)}, lambda o: o.a < o.b, ValueError,
     ["less: shapes", "(2, 3)", "(4,)"])

# -- shapes: scalar operands of the wrong type ---------------------------------------------------

for op_name, row, fn, got in [
        ("sub", "rsub_scalar", lambda t: "3" - t, "str"),
        ("div", "rdiv_scalar", lambda t: None / t, "NoneType"),
        ("pow", "pow_scalar", lambda t: t ** "2", "str"),
        ("pow", "pow_fractional", lambda t: t ** [2.5], "list"),
        ("pow", "rpow", lambda t: "2" ** t, "str"),
        ("mul", "mul", lambda t: t * {"a": 1}, "dict")]:
    case(f"{row}_operand_type", DTYPES, f"`{op_name}` with a {got} operand",
         lambda tmp: {"t": T(3)}, lambda o, fn=fn: fn(o.t), TypeError,
         [f"{op_name}: expected a Tensor, an array or a number", f"got {got}"], [row])

# -- unary ops: a non-Tensor input ------------------------------------------------------------

for row, fname, fn in [
        ("neg", "Neg", minigrad.ops.neg), ("exp", "Exp", F.exp), ("log", "Log", F.log),
        ("sqrt", "Sqrt", F.sqrt), ("abs", "Abs", F.abs), ("relu", "ReLU", F.relu),
        ("leaky_relu", "LeakyReLU", F.leaky_relu), ("sigmoid", "Sigmoid", F.sigmoid),
        ("tanh", "Tanh", F.tanh), ("gelu", "GELU", F.gelu)]:
    case(f"{row}_list_input", DTYPES, f"`{row}` of a Python list instead of a Tensor",
         lambda tmp: {"values": [1.0, 2.0]}, lambda o, fn=fn: fn(o.values), TypeError,
         [f"{fname}: input 0 must be a Tensor", "got list"], [row])
case("gelu_approximate", ARGS, "`gelu` with an unknown approximation",
     lambda tmp: {"x": T(3)}, lambda o: F.gelu(o.x, approximate="fast"), ValueError,
     ["gelu", "'none' or 'tanh'", "'fast'"], ["gelu_tanh"])

# -- shapes: axes ------------------------------------------------------------------------------

for row, call in [
        ("softmax", lambda x: F.softmax(x, axis=2)),
        ("log_softmax", lambda x: F.log_softmax(x, axis=-3)),
        ("logsumexp", lambda x: F.logsumexp(x, 2)),
        ("sum", lambda x: x.sum(axis=2)), ("mean", lambda x: x.mean(axis=(0, 2))),
        ("max", lambda x: x.max(axis=2)), ("min", lambda x: x.min(axis=-3)),
        ("var", lambda x: x.var(axis=2)), ("squeeze", lambda x: x.squeeze(2))]:
    case(f"{row}_axis_out_of_range", SHAPES, f"`{row}` over an axis the tensor lacks",
         lambda tmp: {"x": T(2, 3)}, lambda o, call=call: call(o.x), ValueError,
         [f"{row}: axis", "out of range for a 2-d tensor", "expected -2 ≤ axis < 2"], [row])
case("sum_repeated_axis", SHAPES, "`sum` over a repeated axis",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x.sum(axis=(1, 1)), ValueError,
     ["sum: repeated axis", "(1, 1)"])
case("transpose_axis_out_of_range", SHAPES, "`transpose` of an axis the tensor lacks",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x.transpose(0, 2), ValueError,
     ["transpose: axis 2", "2-d tensor"], ["transpose_T"])
case("unsqueeze_axis_out_of_range", SHAPES, "`unsqueeze` at an axis beyond the result",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x.unsqueeze(4), ValueError,
     ["unsqueeze: axis 4", "3 axes"], ["unsqueeze"])
case("flatten_dims_reversed", SHAPES, "`flatten` with start_dim after end_dim",
     lambda tmp: {"x": T(2, 3, 4)}, lambda o: o.x.flatten(2, 1), ValueError,
     ["flatten: start_dim 2", "end_dim 1"], ["flatten"])
case("flatten_axis_out_of_range", SHAPES, "`flatten` past the last axis",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x.flatten(0, 5), ValueError,
     ["flatten: axis 5", "2-d tensor"], ["flatten"])

# -- shapes: reshaping, indexing, joining ------------------------------------------------------

case("reshape_size", SHAPES, "`reshape` to a shape with another number of elements",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x.reshape(4, 2), ValueError,
     ["reshape", "(2, 3) (6 elements)", "(4, 2)"], ["reshape_flat"])
case("reshape_two_wildcards", SHAPES, "`reshape` with two -1 sizes",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x.reshape(-1, -1), ValueError,
     ["reshape", "(2, 3)", "(-1, -1)"], ["reshape_reversed"])
case("permute_repeated", SHAPES, "`permute` with a repeated axis",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x.permute(0, 0), ValueError,
     ["permute: axes (0, 0)", "not a permutation", "(2, 3)"], ["permute"])
case("permute_too_many", SHAPES, "`permute` with more axes than the tensor has",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x.permute(0, 1, 2), ValueError,
     ["permute: axes (0, 1, 2)", "2 axes", "(2, 3)"], ["permute"])
case("broadcast_to_incompatible", SHAPES, "`broadcast_to` an incompatible shape",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x.broadcast_to((4, 2)), ValueError,
     ["broadcast_to", "(2, 3)", "(4, 2)"], ["broadcast_to"])
case("getitem_out_of_bounds", SHAPES, "an index past the end of an axis",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x[5], IndexError,
     ["getitem: index 5", "size 2", "(2, 3)"], ["getitem_basic"])
case("getitem_too_many", SHAPES, "more indices than axes",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x[0, 0, 0], IndexError,
     ["getitem: too many indices", "2-dimensional", "3 were indexed", "(2, 3)"],
     ["getitem_basic"])
case("getitem_int_array_out_of_bounds", SHAPES, "an integer-array index out of bounds",
     lambda tmp: {"x": T(2, 3), "i": labels(0, 7)}, lambda o: o.x[o.i], IndexError,
     ["getitem: index 7", "size 2", "(2, 3)"], ["getitem_int_array"])
case("getitem_mask_shape", SHAPES, "a boolean mask of the wrong length",
     lambda tmp: {"x": T(2, 3), "m": minigrad.tensor([True, False, True])},
     lambda o: o.x[o.m], IndexError,
     ["getitem: boolean index did not match", "size of axis is 2", "is 3", "(2, 3)"],
     ["getitem_mask"])
case("getitem_float_index", DTYPES, "a float tensor as an index",
     lambda tmp: {"x": T(2, 3), "i": minigrad.tensor([0.0])}, lambda o: o.x[o.i],
     IndexError, ["getitem: index part 0 is dtype float32", "integer or bool array/Tensor"],
     ["getitem_int_array"])
case("concatenate_mismatch", SHAPES, "`concatenate` of shapes differing off the axis",
     lambda tmp: {"a": T(2, 3), "b": T(2, 4, seed=1)},
     lambda o: F.concatenate([o.a, o.b], axis=0), ValueError,
     ["concatenate: tensor 1 has shape (2, 4)", "tensor 0's (2, 3)", "axis 0"],
     ["concatenate"])
case("concatenate_rank", SHAPES, "`concatenate` of tensors of different ranks",
     lambda tmp: {"a": T(2, 3), "b": T(2, seed=1)},
     lambda o: F.concatenate([o.a, o.b], axis=0), ValueError,
     ["concatenate: tensor 1 has shape (2,)", "(2, 3)"], ["concatenate"])
case("concatenate_empty", ARGS, "`concatenate` of an empty list",
     lambda tmp: {}, lambda o: F.concatenate([]), ValueError,
     ["concatenate", "non-empty sequence", "got an empty list"], ["concatenate"])
case("stack_mismatch", SHAPES, "`stack` of tensors of different shapes",
     lambda tmp: {"a": T(2, 3), "b": T(3, 2, seed=1)}, lambda o: F.stack([o.a, o.b]),
     ValueError, ["stack: tensor 1 has shape (3, 2)", "tensor 0 has (2, 3)", "equal shapes"],
     ["stack"])
case("pad_too_many_widths", SHAPES, "`pad` with widths for more axes than the tensor has",
     lambda tmp: {"x": T(2, 3)}, lambda o: F.pad(o.x, (1, 1, 1, 1, 1, 1)), ValueError,
     ["pad: expected an even number of widths for at most 2 axes", "(1, 1, 1, 1, 1, 1)"],
     ["pad"])
case("pad_odd_widths", SHAPES, "`pad` with an odd number of widths",
     lambda tmp: {"x": T(2, 3)}, lambda o: F.pad(o.x, (1, 1, 1)), ValueError,
     ["pad: expected an even number of widths", "(1, 1, 1)"], ["pad"])

# -- shapes: matmul and the layers' functional forms ---------------------------------------------

case("matmul_inner", SHAPES, "`@` of matrices whose inner dimensions differ",
     lambda tmp: {"a": T(2, 3), "b": T(4, 5, seed=1)}, lambda o: o.a @ o.b, ValueError,
     ["matmul: inner dimensions differ", "a (2, 3) @ b (4, 5)", "3 != 4"], ["matmul"])
case("matmul_batch", SHAPES, "`@` with batch dimensions that do not broadcast",
     lambda tmp: {"a": T(2, 3, 4), "b": T(5, 4, 2, seed=1)}, lambda o: o.a @ o.b, ValueError,
     ["matmul: batch dimensions do not broadcast", "(2, 3, 4)", "(5, 4, 2)"], ["matmul"])
case("matmul_scalar", SHAPES, "`@` with a 0-d operand",
     lambda tmp: {"a": T(2), "b": T(seed=1)}, lambda o: o.a @ o.b, ValueError,
     ["matmul: both operands need at least 1 dimension", "a (2,) @ b ()"], ["matmul"])
case("linear_features", SHAPES, "`F.linear` input whose last axis differs from the weight's",
     lambda tmp: {"x": T(2, 3), "w": T(4, 5, seed=1), "b": T(4, seed=2)},
     lambda o: F.linear(o.x, o.w, o.b), ValueError,
     ["linear: input has shape (2, 3)", "expected (..., 5)", "weight (4, 5)"], ["linear"])
case("linear_weight_rank", SHAPES, "`F.linear` with a 1-d weight",
     lambda tmp: {"x": T(2, 3), "w": T(3, seed=1)}, lambda o: F.linear(o.x, o.w), ValueError,
     ["linear: weight must be (out_features, in_features)", "(3,)"], ["linear"])
case("linear_bias", SHAPES, "`F.linear` with a bias of the wrong size",
     lambda tmp: {"x": T(2, 3), "w": T(4, 3, seed=1), "b": T(3, seed=2)},
     lambda o: F.linear(o.x, o.w, o.b), ValueError,
     ["linear: bias has shape (3,)", "expected (4,)"], ["linear"])
case("conv2d_channels", SHAPES, "`F.conv2d` input channels differing from the weight's",
     lambda tmp: {"x": T(1, 2, 5, 5), "w": T(3, 4, 3, 3, seed=1), "b": T(3, seed=2)},
     lambda o: F.conv2d(o.x, o.w, o.b), ValueError,
     ["conv2d: input has 2 channels (1, 2, 5, 5)", "weight expects 4 (3, 4, 3, 3)"],
     ["conv2d"])
case("conv2d_input_rank", SHAPES, "`F.conv2d` of a 3-d input (no batch axis)",
     lambda tmp: {"x": T(2, 5, 5), "w": T(3, 2, 3, 3, seed=1)},
     lambda o: F.conv2d(o.x, o.w), ValueError,
     ["conv2d: expected input of shape (N, C, H, W)", "got (2, 5, 5) (3-d)", "unsqueeze(0)"],
     ["conv2d_no_bias"])
case("conv2d_weight_rank", SHAPES, "`F.conv2d` with a 2-d weight",
     lambda tmp: {"x": T(1, 1, 5, 5), "w": T(3, 3, seed=1)},
     lambda o: F.conv2d(o.x, o.w), ValueError,
     ["conv2d: weight must be (out_channels, in_channels, KH, KW)", "got (3, 3)"],
     ["conv2d_no_bias"])
case("conv2d_bias", SHAPES, "`F.conv2d` with a bias of the wrong size",
     lambda tmp: {"x": T(1, 1, 5, 5), "w": T(2, 1, 3, 3, seed=1), "b": T(3, seed=2)},
     lambda o: F.conv2d(o.x, o.w, o.b), ValueError,
     ["conv2d: bias has shape (3,)", "expected (2,)"], ["conv2d"])
case("conv2d_too_small", SHAPES, "`F.conv2d` of an input smaller than the kernel",
     lambda tmp: {"x": T(1, 1, 2, 2), "w": T(2, 1, 3, 3, seed=1)},
     lambda o: F.conv2d(o.x, o.w), ValueError,
     ["conv2d: input (1, 1, 2, 2)", "smaller than the (dilated) kernel (3, 3)"],
     ["conv2d_no_bias"])
case("conv2d_same_strided", ARGS, "`F.conv2d` with padding='same' and stride 2",
     lambda tmp: {"x": T(1, 1, 5, 5), "w": T(2, 1, 3, 3, seed=1)},
     lambda o: F.conv2d(o.x, o.w, stride=2, padding="same"), ValueError,
     ["conv2d: padding='same' needs stride 1", "got stride (2, 2)"], ["conv2d"])
case("max_pool2d_rank", SHAPES, "`F.max_pool2d` of a 3-d input",
     lambda tmp: {"x": T(2, 5, 5)}, lambda o: F.max_pool2d(o.x, 2), ValueError,
     ["max_pool2d: expected input of shape (N, C, H, W)", "got (2, 5, 5)"], ["max_pool2d"])
case("max_pool2d_too_small", SHAPES, "`F.max_pool2d` with a kernel larger than the input",
     lambda tmp: {"x": T(1, 1, 2, 2)}, lambda o: F.max_pool2d(o.x, 3), ValueError,
     ["max_pool2d: input (1, 1, 2, 2)", "smaller than the kernel (3, 3)"], ["max_pool2d"])
case("avg_pool2d_too_small", SHAPES, "`F.avg_pool2d` with a kernel larger than the input",
     lambda tmp: {"x": T(1, 1, 1, 1)}, lambda o: F.avg_pool2d(o.x, 2), ValueError,
     ["avg_pool2d: input (1, 1, 1, 1)", "smaller than the kernel (2, 2)"], ["avg_pool2d"])
case("avg_pool2d_padding", ARGS, "`F.avg_pool2d` with padding over half the kernel",
     lambda tmp: {"x": T(1, 1, 4, 4)}, lambda o: F.avg_pool2d(o.x, 2, padding=2), ValueError,
     ["avg_pool2d: padding (2, 2)", "at most half the kernel (2, 2)"], ["avg_pool2d"])
case("batch_norm_stats_shape", SHAPES, "`F.batch_norm` with running stats of the wrong size",
     lambda tmp: {"x": T(4, 3), "rm": minigrad.zeros(4), "rv": minigrad.ones(4)},
     lambda o: F.batch_norm(o.x, o.rm, o.rv, training=True), ValueError,
     ["batch_norm: running_mean has shape (4,)", "expected (3,)"], ["batch_norm"])
case("batch_norm_rank", SHAPES, "`F.batch_norm` of a 1-d input",
     lambda tmp: {"x": T(4)}, lambda o: F.batch_norm(o.x, None, None, training=True),
     ValueError, ["batch_norm: expected input (N, C), (N, C, L) or (N, C, H, W)", "got (4,)"],
     ["batch_norm"])
case("batch_norm_one_value", SHAPES, "`F.batch_norm` training on one value per channel",
     lambda tmp: {"x": T(1, 3)}, lambda o: F.batch_norm(o.x, None, None, training=True),
     ValueError, ["batch_norm: expected more than 1 value per channel", "(1, 3)"],
     ["batch_norm"])
case("layer_norm_shape", SHAPES, "`F.layer_norm` whose normalized_shape is not the input's end",
     lambda tmp: {"x": T(4, 3)}, lambda o: F.layer_norm(o.x, (4,)), ValueError,
     ["layer_norm: input (4, 3) does not end with normalized_shape (4,)"], ["layer_norm"])
case("layer_norm_weight", SHAPES, "`F.layer_norm` with a weight of the wrong shape",
     lambda tmp: {"x": T(4, 3), "w": T(4, seed=1)}, lambda o: F.layer_norm(o.x, (3,), o.w),
     ValueError, ["layer_norm: weight has shape (4,)", "expected (3,)"], ["layer_norm"])
case("attention_feature_size", SHAPES, "`F.scaled_dot_product_attention` with query and "
     "key of different feature sizes",
     lambda tmp: {"q": T(2, 5, 4), "k": T(2, 6, 3, seed=1), "v": T(2, 6, 3, seed=2)},
     lambda o: F.scaled_dot_product_attention(o.q, o.k, o.v), ValueError,
     ["scaled_dot_product_attention: query and key must have the same feature size E",
      "query (2, 5, 4)", "key (2, 6, 3)"], ["scaled_dot_product_attention"])
case("attention_mask_shape", SHAPES, "an attention mask that does not broadcast to (L, S)",
     lambda tmp: {"q": T(2, 5, 4), "k": T(2, 6, 4, seed=1), "m": minigrad.ones(
         5, 5, dtype=minigrad.bool_)},
     lambda o: F.scaled_dot_product_attention(o.q, o.k, o.k, attn_mask=o.m), ValueError,
     ["scaled_dot_product_attention: shapes (5, 5) and (2, 5, 6) do not broadcast"],
     ["scaled_dot_product_attention"])
case("attention_mask_and_causal", SHAPES, "both `attn_mask` and `is_causal=True`",
     lambda tmp: {"q": T(2, 5, 4), "m": minigrad.ones(5, 5, dtype=minigrad.bool_)},
     lambda o: F.scaled_dot_product_attention(o.q, o.q, o.q, attn_mask=o.m, is_causal=True),
     ValueError, ["scaled_dot_product_attention: pass either attn_mask or is_causal=True"],
     ["scaled_dot_product_attention"])
case("tril_vector", SHAPES, "`tril` of a 1-d tensor", lambda tmp: {"x": T(4)},
     lambda o: minigrad.tril(o.x), ValueError,
     ["tril: expected a tensor with at least 2 axes", "got shape (4,)"], ["tril"])
case("triu_vector", SHAPES, "`triu` of a 1-d tensor", lambda tmp: {"x": T(4)},
     lambda o: o.x.triu(1), ValueError,
     ["triu: expected a tensor with at least 2 axes", "got shape (4,)"], ["triu"])
case("masked_fill_larger_mask", SHAPES, "`masked_fill` with a mask larger than the tensor",
     lambda tmp: {"x": T(3), "m": minigrad.ones(2, 3, dtype=minigrad.bool_)},
     lambda o: o.x.masked_fill(o.m, 0.0), ValueError,
     ["masked_fill: mask (2, 3) must broadcast to the tensor's shape (3,)"], ["masked_fill"])
case("gather_index_rank", SHAPES, "`gather` with an index of another number of axes",
     lambda tmp: {"x": T(2, 3), "i": labels(0, 1)}, lambda o: o.x.gather(1, o.i), ValueError,
     ["gather: index must have as many axes as the input", "index (2,)", "input (2, 3)"],
     ["gather"])
case("topk_too_many", SHAPES, "`topk` asking for more entries than the axis has",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x.topk(4), ValueError,
     ["topk: k must be an int in [0, 3]", "got 4"], ["topk"])

# -- shapes: losses ----------------------------------------------------------------------------

case("cross_entropy_target_length", SHAPES, "`F.cross_entropy` with fewer labels than rows",
     lambda tmp: {"z": T(3, 4), "y": labels(0, 1)}, lambda o: F.cross_entropy(o.z, o.y),
     ValueError, ["cross_entropy: class-index target must have shape (3,)", "(3, 4)",
                  "got (2,)"], ["cross_entropy_index"])
case("cross_entropy_probs_shape", SHAPES, "`F.cross_entropy` with probabilities of another shape",
     lambda tmp: {"z": T(3, 4), "p": minigrad.full((3, 5), 0.2)},
     lambda o: F.cross_entropy(o.z, o.p), ValueError,
     ["cross_entropy: a probability target must have the logits' shape (3, 4)", "got (3, 5)"],
     ["cross_entropy_probs"])
case("cross_entropy_logits_rank", SHAPES, "`F.cross_entropy` of 3-d logits",
     lambda tmp: {"z": T(2, 3, 4), "y": labels(0, 1)}, lambda o: F.cross_entropy(o.z, o.y),
     ValueError, ["cross_entropy: logits must be (N, K) or (K,)", "(2, 3, 4)"],
     ["cross_entropy_index"])
case("nll_loss_rank", SHAPES, "`F.nll_loss` of 1-d log-probabilities",
     lambda tmp: {"z": T(4), "y": labels(1)}, lambda o: F.nll_loss(o.z, o.y), ValueError,
     ["nll_loss: log_probs must be (N, K)", "got (4,)"], ["nll_loss"])
for row, fn in [("mse_loss", F.mse_loss), ("l1_loss", F.l1_loss),
                ("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits)]:
    case(f"{row}_shapes", SHAPES, f"`F.{row}` of input and target of different shapes",
         lambda tmp: {"x": T(3, 4), "t": T(3, 1, seed=1)}, lambda o, fn=fn: fn(o.x, o.t),
         ValueError, [f"{row}: input (3, 4) and target (3, 1) must have the same shape"],
         [{"binary_cross_entropy_with_logits": "bce_with_logits"}.get(row, row)])
case("binary_cross_entropy_shapes", SHAPES, "`F.binary_cross_entropy` of different shapes",
     lambda tmp: {"p": T(3, low=0.1, high=0.9), "t": T(4, low=0.0, high=1.0, seed=1)},
     lambda o: F.binary_cross_entropy(o.p, o.t), ValueError,
     ["binary_cross_entropy: input (3,) and target (4,) must have the same shape"],
     ["binary_cross_entropy"])
case("binary_cross_entropy_range", DTYPES, "`F.binary_cross_entropy` of values outside [0, 1]",
     lambda tmp: {"p": T(3, low=-1.0, high=2.0), "t": T(3, low=0.0, high=1.0, seed=1)},
     lambda o: F.binary_cross_entropy(o.p, o.t), ValueError,
     ["binary_cross_entropy: input must be probabilities in [0, 1]", "got values in [",
      "binary_cross_entropy_with_logits"], ["binary_cross_entropy"])
case("reduction_unknown", ARGS, "a loss with an unknown reduction",
     lambda tmp: {"x": T(3), "t": T(3, seed=1)},
     lambda o: F.mse_loss(o.x, o.t, reduction="avg"), ValueError,
     ["mse_loss: reduction must be one of", "'mean'", "'avg'"], ["mse_loss"])

# -- dtypes: labels and indices -----------------------------------------------------------------

case("cross_entropy_float_labels", DTYPES, "float class labels to `F.cross_entropy`",
     lambda tmp: {"z": T(3, 4), "y": minigrad.tensor([0.0, 1.0, 2.0])},
     lambda o: F.cross_entropy(o.z, o.y), ValueError,
     ["cross_entropy", "logits' shape (3, 4)", "got (3,)",
      "class indices must be an integer tensor (got dtype float32)"], ["cross_entropy_index"])
case("cross_entropy_bool_labels", DTYPES, "bool labels to `F.cross_entropy`",
     lambda tmp: {"z": T(3, 4), "y": minigrad.tensor([True, False, True])},
     lambda o: F.cross_entropy(o.z, o.y), TypeError,
     ["cross_entropy: target must hold integer class indices or float probabilities",
      "got dtype bool"], ["cross_entropy_index"])
case("cross_entropy_label_too_large", DTYPES, "a label ≥ the number of classes",
     lambda tmp: {"z": T(3, 4), "y": labels(0, 1, 4)}, lambda o: F.cross_entropy(o.z, o.y),
     ValueError, ["cross_entropy: target class 4 is out of range for 4 classes",
                  "0 ≤ target < 4"], ["cross_entropy_index"])
case("cross_entropy_label_negative", DTYPES, "a negative label",
     lambda tmp: {"z": T(3, 4), "y": labels(0, -1, 2)}, lambda o: F.cross_entropy(o.z, o.y),
     ValueError, ["cross_entropy: target class -1 is out of range for 4 classes",
                  "0 ≤ target < 4"], ["cross_entropy_index"])
case("nll_loss_label_too_large", DTYPES, "a label ≥ the number of classes to `F.nll_loss`",
     lambda tmp: {"z": T(3, 4), "y": labels(0, 1, 5)}, lambda o: F.nll_loss(o.z, o.y),
     ValueError, ["nll_loss: target class 5 is out of range for 4 classes"], ["nll_loss"])
case("nll_loss_float_labels", DTYPES, "float labels to `F.nll_loss`",
     lambda tmp: {"z": T(3, 4), "y": minigrad.tensor([0.0, 1.0, 2.0])},
     lambda o: F.nll_loss(o.z, o.y), ValueError,
     ["nll_loss", "(3, 4)", "got (3,)", "integer tensor (got dtype float32)"], ["nll_loss"])
case("embedding_index_out_of_range", DTYPES, "an index ≥ the table size to `F.embedding`",
     lambda tmp: {"w": T(5, 2), "i": labels(0, 9)}, lambda o: F.embedding(o.i, o.w),
     IndexError, ["embedding: index 9 is out of range for 5 entries", "0 ≤ index < 5"],
     ["embedding"])
case("embedding_float_indices", DTYPES, "float indices to `F.embedding`",
     lambda tmp: {"w": T(5, 2), "i": minigrad.tensor([0.0, 1.0])},
     lambda o: F.embedding(o.i, o.w), TypeError,
     ["embedding: indices must be integers", "got dtype float32"], ["embedding"])
case("one_hot_out_of_range", DTYPES, "`F.one_hot` of a class ≥ num_classes",
     lambda tmp: {"y": labels(0, 5)}, lambda o: F.one_hot(o.y, 3), IndexError,
     ["one_hot: index 5 is out of range for 3 entries"])
case("one_hot_float", DTYPES, "`F.one_hot` of float labels",
     lambda tmp: {"y": minigrad.tensor([0.0])}, lambda o: F.one_hot(o.y, 3), TypeError,
     ["one_hot: expects integer class indices", "got dtype float32"])

# -- dtypes: layer inputs ------------------------------------------------------------------------

LINEAR = "Linear(in_features=3, out_features=4, bias=True)"
CONV = "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))"
BN1 = "BatchNorm1d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, " \
      "track_running_stats=True)"
BN2 = BN1.replace("1d", "2d")
LN = "LayerNorm((3,), eps=1e-05, elementwise_affine=True, bias=True)"

for layer, make, x_shape in [
        (LINEAR, lambda: nn.Linear(3, 4), (2, 3)), (CONV, lambda: nn.Conv2d(1, 2, 3), (1, 1, 5, 5)),
        (BN1, lambda: nn.BatchNorm1d(3), (2, 3)), (LN, lambda: nn.LayerNorm(3), (2, 3))]:
    name = layer.split("(")[0]
    op = {"Linear": "linear", "Conv2d": "conv2d", "BatchNorm1d": "batch_norm",
          "LayerNorm": "layer_norm"}[name]
    case(f"{name}_integer_input", DTYPES, f"integer input to a float32 `{name}`",
         seeded(lambda tmp, make=make, s=x_shape: {"layer": make(),
                                                   "x": minigrad.zeros(*s, dtype="int64")}),
         lambda o: o.layer(o.x), TypeError,
         [layer, f"{op}: input must be floating point", "got dtype int64", ".float()"])
    case(f"{name}_float64_input", DTYPES,
         f"float64 input (e.g. from a NumPy array) to a float32 `{name}`",
         seeded(lambda tmp, make=make, s=x_shape: {"layer": make(),
                                                   "x": T(*s, dtype="float64", grad=False)}),
         lambda o: o.layer(o.x), TypeError,
         [layer, f"{op}: input has dtype float64 but weight has dtype float32", "x.float()"])
case("Conv2d_uint8_pixels", DTYPES, "uint8 pixels to `Conv2d` (not yet scaled to floats)",
     seeded(lambda tmp: {"layer": nn.Conv2d(1, 2, 3),
                         "x": minigrad.zeros(1, 1, 5, 5, dtype="uint8")}),
     lambda o: o.layer(o.x), TypeError, [CONV, "must be floating point", "got dtype uint8"])
case("Linear_numpy_input", DTYPES, "a NumPy array instead of a Tensor to `Linear`",
     seeded(lambda tmp: {"layer": nn.Linear(3, 4), "x": np.ones((2, 3), np.float32)}),
     lambda o: o.layer(o.x), TypeError, [LINEAR, "input must be a Tensor", "got ndarray"])
case("Embedding_float_indices", DTYPES, "float indices to `Embedding`",
     seeded(lambda tmp: {"layer": nn.Embedding(5, 2), "i": minigrad.tensor([1.0])}),
     lambda o: o.layer(o.i), TypeError,
     ["Embedding(5, 2)", "indices must be integers", "got dtype float32"])
case("Embedding_index_out_of_range", DTYPES, "an index ≥ num_embeddings to `Embedding`",
     seeded(lambda tmp: {"layer": nn.Embedding(5, 2), "i": labels(7)}),
     lambda o: o.layer(o.i), IndexError,
     ["Embedding(5, 2)", "index 7 is out of range for 5 entries"])
for loss_name, loss in [("CrossEntropyLoss", nn.CrossEntropyLoss), ("NLLLoss", nn.NLLLoss)]:
    op = "cross_entropy" if loss_name == "CrossEntropyLoss" else "nll_loss"
    case(f"{loss_name}_float_labels", DTYPES, f"float class labels to `{loss_name}`",
         lambda tmp, loss=loss: {"loss": loss(), "z": T(3, 4),
                                 "y": minigrad.tensor([0.0, 1.0, 2.0])},
         lambda o: o.loss(o.z, o.y), ValueError,
         [f"{loss_name}()", op, "got (3,)", "integer tensor (got dtype float32)"])
    case(f"{loss_name}_label_out_of_range", DTYPES, f"a label ≥ the class count to `{loss_name}`",
         lambda tmp, loss=loss: {"loss": loss(), "z": T(3, 4), "y": labels(0, 1, 9)},
         lambda o: o.loss(o.z, o.y), ValueError,
         [f"{loss_name}()", f"{op}: target class 9 is out of range for 4 classes"])

# -- dtypes: making tensors --------------------------------------------------------------------

case("tensor_of_strings", DTYPES, "a tensor from strings",
     lambda tmp: {}, lambda o: minigrad.tensor(["a", "b"]), TypeError,
     ["cannot make a tensor from list data", "<U1", "expected numbers"])
case("tensor_ragged", DTYPES, "a tensor from ragged nested lists",
     lambda tmp: {}, lambda o: minigrad.tensor([[1.0], [1.0, 2.0]]), ValueError,
     ["cannot make a tensor from this data (ragged nested lists?)", "inhomogeneous"])
case("tensor_complex", DTYPES, "a tensor from a complex NumPy array",
     lambda tmp: {"a": np.ones(2, np.complex64)}, lambda o: minigrad.tensor(o.a), TypeError,
     ["unsupported dtype complex64", "bool, integer or floating-point"])
case("integer_requires_grad", DTYPES, "`requires_grad=True` on an integer tensor",
     lambda tmp: {}, lambda o: minigrad.tensor([1, 2], requires_grad=True), TypeError,
     ["only floating-point tensors can require gradients", "got dtype int64"])
case("dtype_unknown", DTYPES, "an unknown dtype name",
     lambda tmp: {}, lambda o: minigrad.zeros(2, dtype="float33"), TypeError,
     ["expected a dtype such as minigrad.float32", "'float33'"])

# -- shapes: layers ------------------------------------------------------------------------------

case("Linear_features", LAYERS, "`Linear` input with the wrong number of features",
     seeded(lambda tmp: {"layer": nn.Linear(3, 4), "x": T(2, 5)}), lambda o: o.layer(o.x),
     ValueError, [LINEAR, "input has shape (2, 5)", "expected (..., 3)", "weight (4, 3)"])
case("Linear_rank0", LAYERS, "a 0-d input to `Linear`",
     seeded(lambda tmp: {"layer": nn.Linear(3, 4), "x": T()}), lambda o: o.layer(o.x),
     ValueError, [LINEAR, "input has shape ()", "expected (..., 3)"])
case("Conv2d_rank3", LAYERS, "a 3-d image (no batch axis) to `Conv2d`",
     seeded(lambda tmp: {"layer": nn.Conv2d(1, 2, 3), "x": T(1, 5, 5)}),
     lambda o: o.layer(o.x), ValueError,
     [CONV, "expected input of shape (N, C, H, W)", "got (1, 5, 5) (3-d)", "unsqueeze(0)"])
case("Conv2d_rank5", LAYERS, "a 5-d input to `Conv2d`",
     seeded(lambda tmp: {"layer": nn.Conv2d(1, 2, 3), "x": T(1, 1, 1, 5, 5)}),
     lambda o: o.layer(o.x), ValueError, [CONV, "(N, C, H, W)", "got (1, 1, 1, 5, 5) (5-d)"])
case("Conv2d_flat_input", LAYERS, "a flattened (N, 784) batch to `Conv2d`",
     seeded(lambda tmp: {"layer": nn.Conv2d(1, 2, 3), "x": T(2, 784)}),
     lambda o: o.layer(o.x), ValueError, [CONV, "(N, C, H, W)", "got (2, 784) (2-d)"])
case("Conv2d_channels", LAYERS, "an input with the wrong channel count to `Conv2d`",
     seeded(lambda tmp: {"layer": nn.Conv2d(1, 2, 3), "x": T(1, 3, 5, 5)}),
     lambda o: o.layer(o.x), ValueError,
     [CONV, "input has 3 channels (1, 3, 5, 5)", "weight expects 1 (2, 1, 3, 3)"])
case("Conv2d_too_small", LAYERS, "an image smaller than the kernel to `Conv2d`",
     seeded(lambda tmp: {"layer": nn.Conv2d(1, 2, 3), "x": T(1, 1, 2, 2)}),
     lambda o: o.layer(o.x), ValueError, [CONV, "(1, 1, 2, 2)", "smaller than", "(3, 3)"])
case("BatchNorm1d_channels", LAYERS, "the wrong channel count to `BatchNorm1d`",
     seeded(lambda tmp: {"layer": nn.BatchNorm1d(3), "x": T(2, 4)}),
     lambda o: o.layer(o.x), ValueError, [BN1, "expected 3 channels (axis 1)", "(2, 4)"])
case("BatchNorm1d_rank", LAYERS, "a 4-d input to `BatchNorm1d`",
     seeded(lambda tmp: {"layer": nn.BatchNorm1d(3), "x": T(2, 3, 4, 4)}),
     lambda o: o.layer(o.x), ValueError, [BN1, "(N, C) or (N, C, L)", "4-d input", "(2, 3, 4, 4)"])
case("BatchNorm2d_channels", LAYERS, "the wrong channel count to `BatchNorm2d`",
     seeded(lambda tmp: {"layer": nn.BatchNorm2d(3), "x": T(2, 4, 5, 5)}),
     lambda o: o.layer(o.x), ValueError, [BN2, "expected 3 channels (axis 1)", "(2, 4, 5, 5)"])
case("BatchNorm2d_rank", LAYERS, "a 2-d input to `BatchNorm2d`",
     seeded(lambda tmp: {"layer": nn.BatchNorm2d(3), "x": T(2, 3)}),
     lambda o: o.layer(o.x), ValueError, [BN2, "(N, C, H, W)", "2-d input", "(2, 3)"])
case("SyncBatchNorm_channels", LAYERS, "the wrong channel count to `SyncBatchNorm`",
     seeded(lambda tmp: {"layer": nn.SyncBatchNorm(3), "x": T(2, 4, 5, 5)}),
     lambda o: o.layer(o.x), ValueError, ["SyncBatchNorm(3, eps=1e-05", "expected 3 channels "
                                          "(axis 1)", "(2, 4, 5, 5)"])
case("LayerNorm_shape", LAYERS, "an input not ending with `LayerNorm`'s normalized_shape",
     seeded(lambda tmp: {"layer": nn.LayerNorm(3), "x": T(2, 4)}),
     lambda o: o.layer(o.x), ValueError, [LN, "input (2, 4)", "normalized_shape (3,)"])
case("MultiheadAttention_heads", LAYERS, "`MultiheadAttention` whose embed_dim is not "
     "divisible by num_heads", lambda tmp: {}, lambda o: nn.MultiheadAttention(6, 4),
     ValueError, ["MultiheadAttention: embed_dim must be divisible by num_heads",
                  "embed_dim=6 and num_heads=4"])
case("MultiheadAttention_mask", LAYERS, "an `attn_mask` of the wrong size to "
     "`MultiheadAttention`",
     seeded(lambda tmp: {"layer": nn.MultiheadAttention(8, 2), "x": T(3, 2, 8),
                         "m": minigrad.ones(4, 4, dtype=minigrad.bool_)}),
     lambda o: o.layer(o.x, o.x, o.x, attn_mask=o.m), ValueError,
     ["MultiheadAttention(embed_dim=8, num_heads=2", "expected attn_mask of shape (3, 3) (L, S)",
      "(4, 3, 3) (N·num_heads, L, S)", "got (4, 4)"])
case("TransformerEncoderLayer_features", LAYERS, "`TransformerEncoderLayer` input with the "
     "wrong number of features",
     seeded(lambda tmp: {"layer": nn.TransformerEncoderLayer(8, 2, 16, 0.0), "x": T(3, 2, 6)}),
     lambda o: o.layer(o.x), ValueError,
     ["TransformerEncoderLayer(d_model=8, nhead=2)", "expected query with 8 features",
      "got shape (3, 2, 6)"])
case("TransformerEncoder_mask", LAYERS, "a `mask` of the wrong size to `TransformerEncoder`",
     seeded(lambda tmp: {"layer": nn.TransformerEncoder(
         nn.TransformerEncoderLayer(8, 2, 16, 0.0), 2), "x": T(3, 2, 8),
         "m": minigrad.ones(4, 4, dtype=minigrad.bool_)}),
     lambda o: o.layer(o.x, mask=o.m), ValueError,
     ["TransformerEncoder(num_layers=2)", "expected attn_mask of shape (3, 3)", "got (4, 4)"])
case("TransformerDecoderLayer_memory", LAYERS, "a `memory` with the wrong number of features "
     "to `TransformerDecoderLayer`",
     seeded(lambda tmp: {"layer": nn.TransformerDecoderLayer(8, 2, 16, 0.0), "x": T(3, 2, 8),
                         "mem": T(4, 2, 6, seed=1)}),
     lambda o: o.layer(o.x, o.mem), ValueError,
     ["TransformerDecoderLayer(d_model=8, nhead=2)", "expected key with 8 features",
      "got shape (4, 2, 6)"])
case("TransformerDecoder_batch", LAYERS, "`TransformerDecoder` with target and memory of "
     "different batch sizes",
     seeded(lambda tmp: {"layer": nn.TransformerDecoder(
         nn.TransformerDecoderLayer(8, 2, 16, 0.0), 1), "x": T(3, 2, 8),
         "mem": T(4, 3, 8, seed=1)}),
     lambda o: o.layer(o.x, o.mem), ValueError,
     ["TransformerDecoder(num_layers=1)", "must have the same batch size",
      "query (3, 2, 8) and key (4, 3, 8)"])
case("Transformer_batch", LAYERS, "`Transformer` with src and tgt of different batch sizes",
     seeded(lambda tmp: {"layer": nn.Transformer(8, 2, 1, 1, 16, 0.0), "src": T(3, 2, 8),
                         "tgt": T(4, 3, 8, seed=1)}),
     lambda o: o.layer(o.src, o.tgt), ValueError,
     ["Transformer(d_model=8, nhead=2)", "batch size of src and tgt must be equal",
      "src (3, 2, 8) and tgt (4, 3, 8)"])
case("MaxPool2d_rank", LAYERS, "a 2-d input to `MaxPool2d`",
     seeded(lambda tmp: {"layer": nn.MaxPool2d(2), "x": T(5, 5)}), lambda o: o.layer(o.x),
     ValueError, ["MaxPool2d(kernel_size=2", "max_pool2d: expected input of shape (N, C, H, W)",
                  "got (5, 5)"])
case("AvgPool2d_rank", LAYERS, "a 1-d input to `AvgPool2d`",
     seeded(lambda tmp: {"layer": nn.AvgPool2d(2), "x": T(3)}), lambda o: o.layer(o.x),
     ValueError, ["AvgPool2d(kernel_size=2", "avg_pool2d", "got (3,)"])
case("Flatten_1d", LAYERS, "a 1-d input to `Flatten` (start_dim=1)",
     seeded(lambda tmp: {"layer": nn.Flatten(), "x": T(3)}), lambda o: o.layer(o.x),
     ValueError, ["Flatten(start_dim=1, end_dim=-1)", "flatten: axis 1", "1-d tensor"])
case("Softmax_dim", LAYERS, "`Softmax` over an axis the input lacks",
     seeded(lambda tmp: {"layer": nn.Softmax(dim=3), "x": T(2, 3)}), lambda o: o.layer(o.x),
     ValueError, ["Softmax(dim=3)", "softmax: axis 3", "2-d tensor"])
case("LogSoftmax_dim", LAYERS, "`LogSoftmax` over an axis the input lacks",
     seeded(lambda tmp: {"layer": nn.LogSoftmax(dim=-3), "x": T(2, 3)}),
     lambda o: o.layer(o.x), ValueError, ["LogSoftmax(dim=-3)", "axis -3", "2-d tensor"])
case("Sequential_inner_mismatch", LAYERS, "a `Sequential` whose layers do not chain",
     seeded(lambda tmp: {"model": nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(5, 2)),
                         "x": T(2, 3)}),
     lambda o: o.model(o.x), ValueError,
     ["Sequential layer (2), given shape (2, 4) float32",
      "Linear(in_features=5, out_features=2, bias=True)", "input has shape (2, 4)",
      "expected (..., 5)"])
case("Sequential_linear_then_batchnorm_mismatch", LAYERS,
     "a training `BatchNorm1d` that rejects the output of the `Linear` before it",
     seeded(lambda tmp: {"model": nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(3)),
                         "x": T(5, 3)}),
     lambda o: o.model(o.x), ValueError,
     ["Sequential layer (1), given shape (5, 4) float32", "BatchNorm1d(3,",
      "expected 3 channels (axis 1), got input of shape (5, 4)"])
for loss_name, loss in [("MSELoss", nn.MSELoss), ("L1Loss", nn.L1Loss),
                        ("BCEWithLogitsLoss", nn.BCEWithLogitsLoss)]:
    case(f"{loss_name}_shapes", LAYERS, f"`{loss_name}` of input and target of different shapes",
         lambda tmp, loss=loss: {"loss": loss(), "x": T(4, 1), "t": T(4, seed=1)},
         lambda o: o.loss(o.x, o.t), ValueError,
         [f"{loss_name}()", "input (4, 1) and target (4,) must have the same shape"])
case("BCELoss_shapes", LAYERS, "`BCELoss` of input and target of different shapes",
     lambda tmp: {"loss": nn.BCELoss(), "p": T(4, 1, low=0.1, high=0.9),
                  "t": T(4, low=0.0, high=1.0, seed=1)},
     lambda o: o.loss(o.p, o.t), ValueError,
     ["BCELoss()", "input (4, 1) and target (4,) must have the same shape"])
case("CrossEntropyLoss_target_length", LAYERS, "`CrossEntropyLoss` with fewer labels than rows",
     lambda tmp: {"loss": nn.CrossEntropyLoss(), "z": T(3, 4), "y": labels(0, 1)},
     lambda o: o.loss(o.z, o.y), ValueError,
     ["CrossEntropyLoss()", "target must have shape (3,)", "got (2,)"])

# -- layer and op arguments ---------------------------------------------------------------------

for name, what, make, says in [
        ("Linear_negative_features", "`Linear(-1, 3)`", lambda: nn.Linear(-1, 3),
         ["Linear: in_features must be an int ≥ 0", "-1"]),
        ("Linear_float_features", "`Linear(2.5, 3)`", lambda: nn.Linear(2.5, 3),
         ["Linear: in_features must be an int ≥ 0", "2.5"]),
        ("Conv2d_zero_channels", "`Conv2d(1, 0, 3)`", lambda: nn.Conv2d(1, 0, 3),
         ["Conv2d: out_channels must be an int ≥ 1", "0"]),
        ("Conv2d_zero_kernel", "`Conv2d(1, 2, 0)`", lambda: nn.Conv2d(1, 2, 0),
         ["Conv2d: kernel_size must be ≥ 1", "got 0"]),
        ("Conv2d_unknown_padding", "`Conv2d(..., padding='full')`",
         lambda: nn.Conv2d(1, 2, 3, padding="full"),
         ["Conv2d: padding must be an int, a pair, 'same' or 'valid'", "'full'"]),
        ("Embedding_negative_size", "`Embedding(-1, 3)`", lambda: nn.Embedding(-1, 3),
         ["Embedding: num_embeddings must be an int ≥ 0", "-1"]),
        ("BatchNorm1d_negative_features", "`BatchNorm1d(-2)`", lambda: nn.BatchNorm1d(-2),
         ["BatchNorm1d: num_features must be an int ≥ 0", "-2"]),
        ("Dropout_probability", "`Dropout(1.5)`", lambda: nn.Dropout(1.5),
         ["Dropout", "between 0 and 1", "1.5"])]:
    case(name, ARGS, f"a layer built with bad arguments: {what}",
         lambda tmp: {}, lambda o, make=make: make(), ValueError, says)

# -- devices (no GPU needed: CUDA is unavailable here, or stood in for) ---------------------------

CUDA_UNAVAILABLE = ["device 'cuda' is unavailable", "CuPy"]
if minigrad.cuda.is_available():   # on a GPU machine these cases do not apply
    CUDA_UNAVAILABLE = None

if CUDA_UNAVAILABLE:
    case("tensor_on_cuda_unavailable", DEVICES, "`device=\"cuda\"` where CUDA is unavailable",
         lambda tmp: {}, lambda o: minigrad.tensor([1.0], device="cuda"),
         CudaUnavailableError, CUDA_UNAVAILABLE)
    case("to_cuda_unavailable", DEVICES, "`tensor.to(\"cuda\")` where CUDA is unavailable",
         lambda tmp: {"t": T(2)}, lambda o: o.t.to("cuda"), CudaUnavailableError,
         CUDA_UNAVAILABLE)
    case("module_to_cuda_unavailable", DEVICES, "`model.to(\"cuda\")` where CUDA is unavailable",
         seeded(lambda tmp: {"model": nn.Linear(2, 2)}), lambda o: o.model.to("cuda"),
         CudaUnavailableError, CUDA_UNAVAILABLE)
    case("load_to_cuda_unavailable", DEVICES, "`minigrad.load(map_location=\"cuda\")` without CUDA",
         lambda tmp: {"path": saved_model_file(tmp, "model.npz")},
         lambda o: minigrad.load(o.path, map_location="cuda"), CudaUnavailableError,
         CUDA_UNAVAILABLE)
case("unknown_device", DEVICES, "an unknown device name",
     lambda tmp: {}, lambda o: minigrad.zeros(2, device="tpu"), ValueError,
     ["unknown device 'tpu'", "expected 'cpu' or 'cuda'"])
case("unknown_device_index", DEVICES, "a device index other than 0",
     lambda tmp: {"t": T(2)}, lambda o: o.t.to("cuda:1"), ValueError,
     ["unknown device 'cuda:1'", "expected 'cpu' or 'cuda'"])
# The cases below run with the "cuda" device usable (on_cuda): the real GPU, or the CPU
# stand-in.  Not in the table because they are not errors (tests/test_cuda_device.py):
# `load_state_dict` of tensors from another device puts the values on the model's device (its
# documented contract: loading is an explicit copy), optimizer state likewise, and an
# optimizer over parameters on two devices updates each one on its own device.
case("op_inputs_on_two_devices", DEVICES, "an op given tensors on two devices",
     lambda tmp: {"a": T(2), "b": T(2, device="cuda")}, lambda o: o.a + o.b, RuntimeError,
     ["Add: expected all inputs on one device", "(2,) on cpu", "(2,) on cuda", ".to(device)"],
     on_cuda=True)
case("matmul_on_two_devices", DEVICES, "`matmul` of a cuda and a cpu tensor",
     lambda tmp: {"a": T(2, 3, device="cuda"), "b": T(3, 2)}, lambda o: o.a @ o.b,
     RuntimeError, ["MatMul: expected all inputs on one device", "(2, 3) on cuda",
                    "(3, 2) on cpu"], on_cuda=True)
case("where_cond_on_other_device", DEVICES, "`where` with its condition on another device",
     lambda tmp: {"a": T(2), "b": T(2, seed=1), "cond": T(2, grad=False, device="cuda")},
     lambda o: F.where(o.cond > 0, o.a, o.b), RuntimeError,
     ["Where: expected all inputs on one device", "(2,) on cuda", "(2,) on cpu"],
     on_cuda=True)
for method, act in [("__iadd__", lambda o: o.x.__iadd__(o.y)),
                    ("copy_", lambda o: o.x.copy_(o.y)),
                    ("__setitem__", lambda o: o.x.__setitem__(slice(None), o.y))]:
    case(f"{method.strip('_')}_from_other_device", DEVICES,
         f"`{method}` of a cpu tensor with a cuda operand",
         lambda tmp: {"x": T(2, grad=False), "y": T(2, grad=False, device="cuda")}, act,
         RuntimeError, [f"{method}: tensor on cpu, operand on cuda"], on_cuda=True)
for loss, logits, target in [
        ("cross_entropy", lambda d: T(2, 3, device=d), lambda d: labels(0, 2, device=d)),
        ("nll_loss", lambda d: T(2, 3, device=d), lambda d: labels(0, 2, device=d)),
        ("mse_loss", lambda d: T(2, 3, device=d), lambda d: T(2, 3, seed=1, device=d)),
        ("binary_cross_entropy", lambda d: T(2, low=0.1, high=0.9, device=d),
         lambda d: T(2, grad=False, low=0, high=1, device=d))]:
    first = "logits" if loss in ("cross_entropy", "nll_loss") else "input"
    for here, there in [("cpu", "cuda"), ("cuda", "cpu")]:
        case(f"{loss}_target_on_{there}", DEVICES,
             f"`{loss}` with {first} on {here}, target on {there}",
             lambda tmp, logits=logits, target=target, here=here, there=there: {
                 "z": logits(here), "t": target(there)},
             lambda o, loss=loss: getattr(F, loss)(o.z, o.t), RuntimeError,
             [f"{loss}: {first} on {here}, target on {there}"], on_cuda=True)
for layer, make, x_shape in [
        (LINEAR, lambda: nn.Linear(3, 4), (2, 3)), (CONV, lambda: nn.Conv2d(1, 2, 3), (1, 1, 5, 5)),
        (BN1, lambda: nn.BatchNorm1d(3), (2, 3)), (LN, lambda: nn.LayerNorm(3), (2, 3))]:
    name = layer.split("(")[0]
    for here, there in [("cpu", "cuda"), ("cuda", "cpu")]:
        case(f"{name}_on_{here}_input_on_{there}", DEVICES,
             f"a `{name}` on {here} given an input on {there}",
             seeded(lambda tmp, make=make, here=here: {"layer": make().to(here)}),
             lambda o, s=x_shape, there=there: o.layer(T(*s, device=there)), RuntimeError,
             [layer, f"input is on {there} but weight is on {here}", f"x.to('{here}')",
              f".to('{there}')"], on_cuda=True)
for here, there in [("cpu", "cuda"), ("cuda", "cpu")]:
    case(f"Embedding_on_{here}_indices_on_{there}", DEVICES,
         f"an `Embedding` on {here} given indices on {there}",
         seeded(lambda tmp, here=here: {"layer": nn.Embedding(3, 2).to(here)}),
         lambda o, there=there: o.layer(labels(0, 2, device=there)), RuntimeError,
         ["Embedding(3, 2)", f"embedding: indices on {there}, table on {here}"], on_cuda=True)
case("Sequential_on_cpu_input_on_cuda", DEVICES, "a `Sequential` on cpu given an input on cuda",
     seeded(lambda tmp: {"model": nn.Sequential(nn.Linear(3, 4), nn.ReLU())}),
     lambda o: o.model(T(2, 3, device="cuda")), RuntimeError,
     ["Sequential layer (0), given shape (2, 3) float32 on cuda", LINEAR,
      "input is on cuda but weight is on cpu"], on_cuda=True)
case("Sequential_on_cuda_input_on_cpu", DEVICES, "a `Sequential` on cuda given an input on cpu",
     seeded(lambda tmp: {"model": nn.Sequential(nn.Linear(3, 4), nn.ReLU()).to("cuda")}),
     lambda o: o.model(T(2, 3)), RuntimeError,
     ["Sequential layer (0), given shape (2, 3) float32", LINEAR,
      "input is on cpu but weight is on cuda"], on_cuda=True)
case("grad_assigned_on_other_device", DEVICES,
     "assigning a cpu parameter a .grad on cuda",
     with_optimizer(optim.SGD, lr=0.1, momentum=0.9),
     lambda o: setattr(o.model.weight, "grad", minigrad.zeros(4, 3, device="cuda")),
     RuntimeError, ["assigning .grad of a tensor (4, 3) float32 on cpu",
                    "the gradient is on cuda"], on_cuda=True)
case("kernel_not_on_device", DEVICES, "choosing a kernel that does not exist on a device",
     lambda tmp: {}, lambda o: minigrad.use_kernels("cpu", matmul="cupy").__enter__(),
     KernelNotFoundError, ["use_kernels: op 'matmul' has no implementation 'cupy' on 'cpu'",
                           "available"])

# -- autograd --------------------------------------------------------------------------------------

case("backward_non_scalar", AUTOGRAD, "`backward()` without grad on a non-scalar",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x.exp().backward(), RuntimeError,
     ["backward() without grad on a tensor of shape (2, 3)", "one-element", "grad= of shape"])
case("backward_grad_shape", AUTOGRAD, "`backward(grad)` with grad of the wrong shape",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x.exp().backward(minigrad.ones(3, 2)),
     RuntimeError, ["backward(): grad has shape (3, 2)", "expected the tensor's shape (2, 3)"])
case("backward_grad_device", AUTOGRAD, "`backward(grad)` with grad on another device",
     lambda tmp: {"x": T(2)}, lambda o: o.x.exp().backward(minigrad.ones(2, device="cuda")),
     RuntimeError, ["backward(): grad is on cuda", "the tensor on cpu"], on_cuda=True)
case("backward_twice", AUTOGRAD, "a second `backward()` through a freed graph",
     lambda tmp: {"x": T(2)}, lambda o: o.y.backward(), GraphFreedError,
     ["backward through Sum a second time", "retain_graph=True"], prepare=first_backward)
case("backward_no_grad", AUTOGRAD, "`backward()` of a result that does not require grad",
     lambda tmp: {"x": T(2, grad=False)}, lambda o: o.x.sum().backward(), RuntimeError,
     ["backward() on a tensor that does not require grad", "requires_grad=True"])
case("backward_after_inplace", AUTOGRAD, "an in-place change to a tensor backward still needs",
     lambda tmp: {"x": T(3)}, lambda o: o.y.sum().backward(), RuntimeError,
     ["Exp.backward needs a tensor of shape (3,)", "changed in place", "version 1, expected 0"],
     prepare=exp_then_changed)
case("backward_partial_failure", AUTOGRAD,
     "a backward that fails after some leaves' gradients were computed",
     lambda tmp: {"a": T(2), "b": T(2, seed=1)}, lambda o: o.loss.backward(), RuntimeError,
     ["Exp.backward needs a tensor of shape (2,)", "changed in place"],
     prepare=two_branches_one_changed)
case("inplace_on_leaf_requiring_grad", AUTOGRAD, "`x += 1` on a leaf that requires grad",
     lambda tmp: {"x": T(2)}, lambda o: o.x.__iadd__(1.0), RuntimeError,
     ["__iadd__: in-place change of a tensor (2,) that requires grad", "no_grad()"])
case("setitem_wrong_shape", SHAPES, "`x[...] = value` with a value that does not fit",
     lambda tmp: {"x": T(2, 3, grad=False)},
     lambda o: o.x.__setitem__(0, minigrad.ones(4)), ValueError,
     ["__setitem__", "(4,)", "(3,)", "tensor (2, 3) float32"])
case("copy_wrong_shape", SHAPES, "`copy_` from a tensor of another shape",
     lambda tmp: {"x": T(2, 3, grad=False), "src": T(3, 2, grad=False)},
     lambda o: o.x.copy_(o.src), ValueError, ["copy_", "(3,2)", "(2,3)", "tensor (2, 3)"])
case("requires_grad_off_non_leaf", AUTOGRAD, "`requires_grad = False` on a non-leaf",
     lambda tmp: {"x": T(2)}, lambda o: setattr(o.x.exp(), "requires_grad", False),
     RuntimeError, ["requires_grad can only be turned off on a leaf tensor",
                    "(2,) was made by Exp", ".detach()"])
case("retain_grad_without_grad", AUTOGRAD, "`retain_grad()` on a tensor without grad",
     lambda tmp: {"x": T(2, grad=False)}, lambda o: o.x.retain_grad(), RuntimeError,
     ["retain_grad() on a tensor (2,) that does not require grad"])
case("item_of_many", AUTOGRAD, "`item()` of a tensor with several elements",
     lambda tmp: {"x": T(2)}, lambda o: o.x.item(), ValueError,
     ["item() needs a tensor with one element", "got shape (2,)"])
case("bool_of_many", AUTOGRAD, "`if tensor:` with several elements",
     lambda tmp: {"x": T(2)}, lambda o: bool(o.x), ValueError,
     ["truth value of a tensor with 2 elements is ambiguous", ".any() or .all()"])

# -- module state dicts ---------------------------------------------------------------------------

case("load_state_dict_missing", STATE, "`load_state_dict` missing a key",
     seeded(lambda tmp: {"model": nn.Linear(3, 4), "sd": {"weight": minigrad.zeros(4, 3)}}),
     lambda o: o.model.load_state_dict(o.sd), RuntimeError,
     ["Error(s) in loading state_dict for Linear", 'Missing key(s) in state_dict: "bias"'])
case("load_state_dict_unexpected", STATE, "`load_state_dict` with an extra key",
     seeded(lambda tmp: {"model": nn.Linear(3, 4),
                         "sd": {"weight": minigrad.zeros(4, 3), "bias": minigrad.zeros(4),
                                "scale": minigrad.ones(1)}}),
     lambda o: o.model.load_state_dict(o.sd), RuntimeError,
     ["Error(s) in loading state_dict for Linear", 'Unexpected key(s) in state_dict: "scale"'])
case("load_state_dict_shapes", STATE, "`load_state_dict` from a model of other sizes",
     seeded(lambda tmp: {"model": nn.Linear(3, 4), "sd": nn.Linear(4, 3).state_dict()}),
     lambda o: o.model.load_state_dict(o.sd), RuntimeError,
     ["size mismatch for weight", "shape (3, 4) from checkpoint", "current model is (4, 3)",
      "size mismatch for bias"])
case("load_state_dict_non_strict_shapes", STATE,
     "`load_state_dict(strict=False)` with one good and one wrong-shape value",
     seeded(lambda tmp: {"model": nn.Linear(3, 4),
                         "sd": {"weight": minigrad.ones(4, 3), "bias": minigrad.ones(3)}}),
     lambda o: o.model.load_state_dict(o.sd, strict=False), RuntimeError,
     ["size mismatch for bias", "shape (3,) from checkpoint", "current model is (4,)"])
case("load_state_dict_other_architecture", STATE, "`load_state_dict` from another architecture",
     seeded(lambda tmp: {"model": nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)),
                         "sd": nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4)).state_dict()}),
     lambda o: o.model.load_state_dict(o.sd), RuntimeError,
     ["Error(s) in loading state_dict for Sequential", 'Unexpected key(s)', '"1.weight"',
      'Missing key(s) in state_dict: "2.weight", "2.bias"'])
case("load_state_dict_value_type", STATE, "`load_state_dict` with a non-array value",
     seeded(lambda tmp: {"model": nn.Linear(3, 4),
                         "sd": {"weight": "weights.npy", "bias": minigrad.zeros(4)}}),
     lambda o: o.model.load_state_dict(o.sd), RuntimeError,
     ['value for "weight" is a str', "expected a Tensor or a NumPy/CuPy array"])
case("load_state_dict_not_a_dict", STATE, "`load_state_dict` of something that is not a dict",
     seeded(lambda tmp: {"model": nn.Linear(3, 4)}),
     lambda o: o.model.load_state_dict([1, 2]), TypeError,
     ["load_state_dict: expected a dict of name -> Tensor/array", "got list"])

# -- optimizers -----------------------------------------------------------------------------------

case("optimizer_state_other_shapes", OPTIM, "Adam state from a model of other shapes",
     with_optimizer(optim.Adam, lambda: trained(nn.Linear(4, 3), optim.Adam).state_dict()),
     lambda o: o.opt.load_state_dict(o.state), ValueError,
     ["Adam.load_state_dict: parameter 0 (4, 3)", "'exp_avg' has shape (3, 4)",
      "expected the parameter's shape (4, 3)"])
case("optimizer_state_other_size", OPTIM, "optimizer state from a model with more parameters",
     with_optimizer(optim.Adam, lambda: trained(
         nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2)), optim.Adam).state_dict()),
     lambda o: o.opt.load_state_dict(o.state), ValueError,
     ["Adam.load_state_dict: param group 0 has 2 parameters", "the state dict's group 0 has 4"])
case("optimizer_state_other_class", OPTIM, "SGD state loaded into Adam",
     with_optimizer(optim.Adam, lambda: trained(nn.Linear(3, 4), optim.SGD, lr=0.1,
                                                momentum=0.9).state_dict()),
     lambda o: o.opt.load_state_dict(o.state), ValueError,
     ["Adam.load_state_dict", "lacks the options", "'betas'", "saved by another optimizer class"])
case("optimizer_state_groups", OPTIM, "optimizer state with another number of param groups",
     with_optimizer(optim.SGD, lr=0.1),
     lambda o: o.opt.load_state_dict({"state": {}, "param_groups": [
         {**o.opt.state_dict()["param_groups"][0], "params": [0]},
         {**o.opt.state_dict()["param_groups"][0], "params": [1]}]}), ValueError,
     ["SGD.load_state_dict: the optimizer has 1 param group", "2"])
case("optimizer_state_malformed", OPTIM, "optimizer state without 'state'/'param_groups'",
     with_optimizer(optim.SGD, lr=0.1), lambda o: o.opt.load_state_dict({"weights": 1}),
     ValueError, ["SGD.load_state_dict: expected a dict with keys 'state' and 'param_groups'",
                  "got ['weights']"])
case("grad_assigned_wrong_shape", OPTIM, "assigning a parameter a .grad of the wrong shape",
     with_optimizer(optim.SGD, lr=0.1, momentum=0.9),
     lambda o: setattr(o.model.weight, "grad", minigrad.zeros(3, 4)), RuntimeError,
     ["assigning .grad of a tensor (4, 3) float32 on cpu", "the gradient has shape (3, 4)"])
case("grad_assigned_wrong_dtype", OPTIM, "assigning a parameter a .grad of another dtype",
     with_optimizer(optim.Adam),
     lambda o: setattr(o.model.weight, "grad", minigrad.zeros(4, 3, dtype="float64")),
     RuntimeError, ["assigning .grad of a tensor (4, 3) float32 on cpu",
                    "the gradient has dtype float64"])
case("grad_assigned_an_array", OPTIM, "assigning a parameter a NumPy array as .grad",
     with_optimizer(optim.Adam),
     lambda o: setattr(o.model.weight, "grad", np.zeros((4, 3), np.float32)),
     TypeError, ["assigning .grad of a tensor (4, 3)", "expected a Tensor or None",
                 "got ndarray"])
case("optimizer_negative_lr", OPTIM, "a negative learning rate",
     seeded(lambda tmp: {"model": nn.Linear(2, 2)}),
     lambda o: optim.SGD(o.model.parameters(), lr=-1), ValueError,
     ["SGD: lr must be in [0.0, ∞)", "got -1"])
case("optimizer_bad_betas", OPTIM, "Adam betas that are not a pair",
     seeded(lambda tmp: {"model": nn.Linear(2, 2)}),
     lambda o: optim.Adam(o.model.parameters(), betas=0.9), ValueError,
     ["Adam: betas must be a pair", "got 0.9"])
case("optimizer_no_params", OPTIM, "an optimizer over no parameters",
     lambda tmp: {}, lambda o: optim.SGD([], lr=0.1), ValueError,
     ["SGD: got an empty parameter list"])
case("optimizer_integer_param", OPTIM, "an integer tensor as a parameter",
     lambda tmp: {"p": minigrad.zeros(3, dtype="int64")},
     lambda o: optim.SGD([o.p], lr=0.1), TypeError, ["SGD", "params[0]", "dtype int64"])
case("optimizer_non_leaf_param", OPTIM, "a computed (non-leaf) tensor as a parameter",
     lambda tmp: {"x": T(3)}, lambda o: optim.SGD([o.x * 2], lr=0.1), ValueError,
     ["SGD", "params[0] (3,) is not a leaf"])
case("optimizer_duplicate_param", OPTIM, "the same parameter twice",
     lambda tmp: {"x": T(3)}, lambda o: optim.SGD([o.x, o.x], lr=0.1), ValueError,
     ["SGD", "params[1] (3,) appears twice"])

# -- files: IDX --------------------------------------------------------------------------------

for name, what, mutate, says in [
        ("wrong_magic", "an IDX file with the wrong magic number", lambda b: b"\x01\x02" + b[2:],
         ["magic number 0x01020802", "expected two zero bytes first", "not an IDX file"]),
        ("unknown_type", "an IDX file with an unknown data type code",
         lambda b: b[:2] + b"\x07" + b[3:], ["data type code 0x07", "expected one of 0x08"]),
        ("zero_dims", "an IDX file declaring 0 dimensions", lambda b: b[:3] + b"\x00" + b[4:],
         ["0 dimensions in the header", "expected at least 1"]),
        ("truncated_header", "an IDX file cut inside its header", lambda b: b[:6],
         ["6 bytes, too short for the 12-byte header", "truncated header"]),
        ("truncated_payload", "an IDX file cut inside its data", lambda b: b[:-3],
         ["shape (3, 4) of uint8", "12 bytes of data", "9 bytes follow", "truncated payload"]),
        ("extra_bytes", "an IDX file with bytes after its data", lambda b: b + b"\x00",
         ["12 bytes of data", "13 bytes follow", "extra bytes after the payload"]),
        ("empty", "an empty IDX file", lambda b: b"",
         ["0 bytes, too short for the 4-byte IDX magic number"]),
        ("broken_gzip", "a truncated gzipped IDX file", lambda b: gzip.compress(b)[:-10],
         ["starts like a gzip file but cannot be decompressed", "EOFError"]),
        ("huge_shape", "an IDX header claiming a huge shape",
         lambda b: b[:4] + b"\xff\xff\xff\xff" + b[8:],
         ["shape (4294967295, 4)", "truncated payload"])]:
    case(f"idx_{name}", FILES, what,
         lambda tmp, name=name, mutate=mutate: {"path": idx_file(tmp, f"{name}.idx", mutate)},
         lambda o: read_idx(o.path), IDXFormatError, [f"{name}.idx: "] + says)
case("idx_wrong_ndim", FILES, "an IDX file with another number of dimensions than asked",
     lambda tmp: {"path": idx_file(tmp, "images.idx", lambda b: b)},
     lambda o: read_idx(o.path, ndim=3), IDXFormatError,
     ["images.idx: 2 dimensions in the header", "expected 3"])
case("idx_wrong_dtype", FILES, "an IDX file of another data type than asked",
     lambda tmp: {"path": idx_file(tmp, "images.idx", lambda b: b)},
     lambda o: read_idx(o.path, dtype=np.float32), IDXFormatError,
     ["images.idx: data type uint8 (code 0x08)", "expected float32"])
case("idx_missing_file", FILES, "an IDX file that does not exist",
     lambda tmp: {"path": tmp / "missing.idx"}, lambda o: read_idx(o.path),
     FileNotFoundError, ["No such file or directory", "missing.idx"])

# -- files: minigrad.save / minigrad.load --------------------------------------------------------

for name, what, mutate, says in [
        ("truncated_half", "a checkpoint cut in half", lambda b: b[:len(b) // 2],
         ["the archive is truncated or corrupt"]),
        ("truncated_tail", "a checkpoint missing its last 30 bytes", lambda b: b[:-30],
         ["the archive is truncated or corrupt"]),
        ("truncated_header", "a checkpoint cut after 10 bytes", lambda b: b[:10],
         ["the archive is truncated or corrupt"]),
        ("wrong_magic", "a file that is not a zip/.npz", lambda b: b"GARBAGE!" + b[8:],
         ["not a zip/.npz archive (wrong magic bytes)", "minigrad.save"]),
        ("empty", "an empty checkpoint file", lambda b: b"",
         ["not a zip/.npz archive (wrong magic bytes)"])]:
    case(f"load_{name}", FILES, what,
         lambda tmp, name=name, mutate=mutate: {
             "path": saved_model_file(tmp, f"{name}.npz", mutate)},
         lambda o: minigrad.load(o.path), CheckpointFormatError,
         ["load:", f"{name}.npz", "is not a valid minigrad file"] + says)
case("load_foreign_npz", FILES, "an .npz written by `np.savez`, not `minigrad.save`",
     lambda tmp: {"path": (np.savez(tmp / "plain.npz", w=np.ones(3)), tmp / "plain.npz")[1]},
     lambda o: minigrad.load(o.path), CheckpointFormatError,
     ["load:", "plain.npz", "has no '__minigrad__' manifest", "written by something else"])
case("load_truncated_into_model", FILES, "`load_state_dict(minigrad.load(truncated file))`",
     seeded(lambda tmp: {"model": nn.Linear(3, 4),
                         "path": saved_model_file(tmp, "ckpt.npz", lambda b: b[:-30])}),
     lambda o: o.model.load_state_dict(minigrad.load(o.path)), CheckpointFormatError,
     ["load:", "ckpt.npz", "truncated or corrupt"])
case("load_missing_file", FILES, "a checkpoint that does not exist",
     lambda tmp: {"path": tmp / "missing.npz"}, lambda o: minigrad.load(o.path),
     FileNotFoundError, ["No such file or directory", "missing.npz"])


# -- checkpoints: load_checkpoint and fit(resume=) ------------------------------------------------
# Each case watches the model, its optimizer, minigrad's generator and the file: a failed load
# puts back whatever it had loaded before the failure.

def checkpoint_file(tmp, name, model, opt_class=optim.Adam, mutate=lambda b: b, **options):
    """A checkpoint written by save_checkpoint of ``model`` and its trained optimizer."""
    path = tmp / name
    minigrad.save_checkpoint(path, model=model, optimizer=trained(model, opt_class, **options),
                             epoch=1)
    path.write_bytes(mutate(path.read_bytes()))
    return path


def mixed_checkpoint(tmp):
    """A checkpoint with a Linear(3, 4)'s weights but the Adam state of a Linear(4, 3)."""
    minigrad.manual_seed(2)
    model, other = nn.Linear(3, 4), nn.Linear(4, 3)
    path = tmp / "mixed.ckpt"
    minigrad.save_checkpoint(path, model=model, optimizer=trained(other, optim.Adam))
    return path


def weights_only_checkpoint(tmp):
    minigrad.manual_seed(2)
    path = tmp / "weights.ckpt"
    minigrad.save_checkpoint(path, model=nn.Linear(3, 4))
    return path


FIT_DATA = (np.random.default_rng(0).standard_normal((8, 3)).astype(np.float32),
            np.arange(8) % 4)


def resumable(make=lambda: nn.Linear(3, 4), mutate=lambda b: b, name="run.ckpt"):
    """Build: a compiled Linear(3, 4), and ``name`` written by fit(checkpoint=) in a run of
    the model ``make()`` (then mutated)."""
    def build(tmp):
        minigrad.manual_seed(0)
        writer = make()
        train.compile(writer, "sgd", "sparse_categorical_crossentropy")
        x, y = FIT_DATA
        train.fit(writer, x, y, epochs=1, batch_size=4, verbose=0, checkpoint=tmp / name)
        path = tmp / name
        path.write_bytes(mutate(path.read_bytes()))
        minigrad.manual_seed(1)
        model = nn.Linear(3, 4)
        train.compile(model, "sgd", "sparse_categorical_crossentropy")
        return {"model": model, "opt": get_config(model).optimizer, "path": path,
                "rng": mg_random}
    return build


def fit_resume(o):
    """fit(resume=) with seed=, which reseeds the generator first: a failed resume puts it
    back."""
    x, y = FIT_DATA
    return train.fit(o.model, x, y, epochs=2, batch_size=4, verbose=0, resume=o.path, seed=3)


def with_checkpoint(target, source=lambda: nn.Linear(3, 4), name="run.ckpt",
                    mutate=lambda b: b, opt_class=optim.Adam, **options):
    """Build: the model ``target()`` with a fresh Adam, and a checkpoint of ``source()`` with
    its trained ``opt_class(**options)`` (then mutated)."""
    def build(tmp):
        minigrad.manual_seed(0)
        path = checkpoint_file(tmp, name, source(), opt_class, mutate, **options)
        minigrad.manual_seed(1)
        model = target()
        return {"model": model, "opt": optim.Adam(model.parameters()), "path": path,
                "rng": mg_random}
    return build


def load_into(o, **kwargs):
    return minigrad.load_checkpoint(o.path, model=o.model, optimizer=o.opt, **kwargs)


for name, what, mutate in [("truncated", "cut in half", lambda b: b[:len(b) // 2]),
                           ("tail_cut", "missing its last 30 bytes", lambda b: b[:-30])]:
    case(f"load_checkpoint_{name}", CKPT, f"`load_checkpoint` of a checkpoint {what}",
         with_checkpoint(lambda: nn.Linear(3, 4), name=f"{name}.ckpt", mutate=mutate), load_into,
         CheckpointFormatError,
         ["load:", f"{name}.ckpt", "is not a valid minigrad file",
          "the archive is truncated or corrupt"])
case("load_checkpoint_not_a_checkpoint", CKPT,
     "`load_checkpoint` of a state dict written by `minigrad.save`",
     lambda tmp: {**with_checkpoint(lambda: nn.Linear(3, 4))(tmp),
                  "path": saved_model_file(tmp, "weights.npz")}, load_into,
     CheckpointFormatError, ["load_checkpoint: 'weights.npz' holds a dict written by "
                             "minigrad.save", "not a checkpoint written by save_checkpoint"])
case("load_checkpoint_missing_keys", CKPT,
     "`load_checkpoint` into a model with more layers (missing keys)",
     with_checkpoint(lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)),
                     source=lambda: nn.Sequential(nn.Linear(3, 4))), load_into, RuntimeError,
     ["Error(s) in loading state_dict for Sequential",
      'Missing key(s) in state_dict: "2.weight", "2.bias"',
      "load_checkpoint: while loading the model from 'run.ckpt'; nothing was changed"])
case("load_checkpoint_unexpected_keys", CKPT,
     "`load_checkpoint` into a model with fewer layers (unexpected keys)",
     with_checkpoint(lambda: nn.Sequential(nn.Linear(3, 4)),
                     source=lambda: nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))),
     load_into, RuntimeError,
     ["Error(s) in loading state_dict for Sequential",
      'Unexpected key(s) in state_dict: "2.weight", "2.bias"',
      "while loading the model from 'run.ckpt'"])
case("load_checkpoint_shapes", CKPT, "`load_checkpoint` into a model of other sizes",
     with_checkpoint(lambda: nn.Linear(3, 4), source=lambda: nn.Linear(3, 5)), load_into,
     RuntimeError,
     ["size mismatch for weight", "shape (5, 3) from checkpoint", "current model is (4, 3)",
      "while loading the model from 'run.ckpt'"])
case("load_checkpoint_optimizer_other_model", CKPT,
     "`load_checkpoint` whose model fits but whose optimizer state is another model's",
     lambda tmp: {**with_checkpoint(lambda: nn.Linear(3, 4))(tmp),
                  "path": mixed_checkpoint(tmp)}, load_into, ValueError,
     ["Adam.load_state_dict: parameter 0 (4, 3)", "'exp_avg' has shape (3, 4)",
      "expected the parameter's shape (4, 3)",
      "while loading the optimizer from 'mixed.ckpt'; nothing was changed"])
case("load_checkpoint_optimizer_class", CKPT, "`load_checkpoint` of SGD state into Adam",
     with_checkpoint(lambda: nn.Linear(3, 4), opt_class=optim.SGD, lr=0.1, momentum=0.9),
     load_into, ValueError,
     ["load_checkpoint: 'run.ckpt' holds optimizer state of class SGD",
      "expected optimizer state of class Adam"])
case("load_checkpoint_no_optimizer", CKPT,
     "`load_checkpoint(optimizer=)` of a checkpoint saved without one",
     lambda tmp: {**with_checkpoint(lambda: nn.Linear(3, 4))(tmp),
                  "path": weights_only_checkpoint(tmp)}, load_into, ValueError,
     ["load_checkpoint: 'weights.ckpt' has no optimizer state",
      "it was saved without optimizer="])
case("fit_resume_missing_file", CKPT, "`fit(resume=path)` of a file that does not exist",
     lambda tmp: {**resumable()(tmp), "path": tmp / "missing.ckpt"}, fit_resume,
     FileNotFoundError, ["fit: no checkpoint to resume from at resume=", "missing.ckpt"])
case("fit_resume_truncated", CKPT, "`fit(resume=path)` of a truncated checkpoint",
     resumable(mutate=lambda b: b[:-30]), fit_resume, CheckpointFormatError,
     ["load:", "run.ckpt", "is not a valid minigrad file", "the archive is truncated or corrupt"])
case("fit_resume_save_checkpoint_file", CKPT,
     "`fit(resume=path)` of a file written by `save_checkpoint`, not by fit",
     lambda tmp: {**resumable()(tmp), "path": checkpoint_file(tmp, "manual.ckpt",
                                                              nn.Linear(3, 4))}, fit_resume,
     CheckpointFormatError, ["fit: 'manual.ckpt'", "a checkpoint without fit's training state",
                             "initial_epoch="])
case("fit_resume_other_model", CKPT, "`fit(resume=path)` of another model's checkpoint",
     resumable(make=lambda: nn.Sequential(nn.Linear(3, 4))), fit_resume, RuntimeError,
     ["Error(s) in loading state_dict for Linear", 'Unexpected key(s) in state_dict: "0.weight"',
      'Missing key(s) in state_dict: "weight", "bias"',
      "load_checkpoint: while loading the model from 'run.ckpt'; nothing was changed"])


# -- sizes, axes, indices and flags (issue 15, principle 3) -------------------------------------
# tests/reliability/test_arguments.py holds one row per public function; these are the table's.

case("zeros_float_size", SIZES, "a float among the sizes of `zeros`",
     lambda tmp: {"rng": mg_random}, lambda o: minigrad.zeros(2.5, 3), TypeError,
     ["zeros: the size must be ints", "2.5 (float)", "(2.5, 3)"])
case("randn_negative_size", SIZES, "a negative size for `randn`",
     lambda tmp: {"rng": mg_random}, lambda o: minigrad.randn(3, -1), ValueError,
     ["randn: the size must be ints ≥ 0", "-1", "(3, -1)"])
case("requires_grad_string", SIZES, "`requires_grad=\"no\"` (a string, which bool() makes True)",
     lambda tmp: {}, lambda o: minigrad.tensor([1.0, 2.0], requires_grad="no"), TypeError,
     ["Tensor: requires_grad must be True or False", "'no' (str)"])
case("view_needs_a_copy", SIZES, "`view` of a transposed tensor, which cannot be a view",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x.T.view(-1), RuntimeError,
     ["view: a tensor of shape (3, 2)", "cannot be viewed as (-1,) without copying",
      "use .reshape(...)"])
case("sum_float_axis", SIZES, "a float axis for `sum`",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x.sum(axis=0.5), TypeError,
     ["sum: axis must be an int or a tuple of ints", "0.5 (float)"])
case("argmax_float_axis", SIZES, "a float axis for `argmax`",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x.argmax(dim=1.0), TypeError,
     ["argmax: axis must be an int", "1.0 (float)"])
case("arange_zero_step", SIZES, "`arange` with step 0",
     lambda tmp: {}, lambda o: minigrad.arange(0, 5, 0), ValueError,
     ["arange: step must be nonzero", "got 0"])
case("setitem_float_index", SIZES, "`t[1.5] = 1`: a float index",
     lambda tmp: {"t": T(3, grad=False)}, lambda o: o.t.__setitem__(1.5, 1.0), IndexError,
     ["__setitem__: index part 0 is 1.5 (float)", "expected an int, a slice of ints"])
case("getitem_float_slice", SIZES, "a slice with a float bound",
     lambda tmp: {"t": T(3, 4)}, lambda o: o.t[:, 0.5:], IndexError,
     ["getitem: index part 1 is 0.5 (float)"])
case("one_hot_float_classes", SIZES, "`one_hot` with a float number of classes",
     lambda tmp: {}, lambda o: F.one_hot(labels(0, 1), 2.5), TypeError,
     ["one_hot: num_classes must be an int", "2.5 (float)"])
case("flatten_layer_float_dim", SIZES, "`nn.Flatten(start_dim=0.5)`",
     lambda tmp: {}, lambda o: nn.Flatten(0.5), TypeError,
     ["Flatten: start_dim must be an int", "0.5 (float)"])
case("maxpool_float_kernel", SIZES, "`nn.MaxPool2d(2.5)`",
     lambda tmp: {}, lambda o: nn.MaxPool2d(2.5), ValueError,
     ["MaxPool2d: kernel_size must be an int or a pair of ints", "2.5"])
case("layernorm_float_shape", SIZES, "`nn.LayerNorm(3.5)`",
     lambda tmp: {}, lambda o: nn.LayerNorm(3.5), TypeError,
     ["LayerNorm: normalized_shape must be an int or a tuple of ints", "3.5 (float)"])
case("transformer_layer_float_feedforward", SIZES,
     "`TransformerEncoderLayer(dim_feedforward=16.5)`",
     lambda tmp: {"rng": mg_random}, lambda o: nn.TransformerEncoderLayer(8, 2, 16.5),
     ValueError, ["TransformerEncoderLayer: dim_feedforward must be an int ≥ 1", "16.5"])
case("bce_targets_outside_0_1", SIZES, "`binary_cross_entropy` with targets outside [0, 1]",
     lambda tmp: {"p": T(4, low=0.1, high=0.9), "y": T(4, grad=False, low=1.5, high=2.5)},
     lambda o: F.binary_cross_entropy(o.p, o.y), ValueError,
     ["binary_cross_entropy: target must be probabilities in [0, 1]", "got values in [1.5"])
case("bce_logits_nan_target", SIZES, "`binary_cross_entropy_with_logits` with a NaN target",
     lambda tmp: {"z": T(3), "y": minigrad.tensor([0.0, float("nan"), 1.0])},
     lambda o: F.binary_cross_entropy_with_logits(o.z, o.y), ValueError,
     ["binary_cross_entropy_with_logits: target must be probabilities in [0, 1]", "nan"])
case("from_numpy_big_endian", SIZES, "`from_numpy` of a big-endian array (it must share memory)",
     lambda tmp: {"a": np.arange(3, dtype=">f4")}, lambda o: minigrad.from_numpy(o.a),
     TypeError, ["from_numpy: the array has the non-native byte order of dtype '>f4'",
                 "minigrad.tensor(array) copies it into float32"])
case("max_dim_out_of_range", SIZES, "`x.max(2)` of a matrix",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x.max(2), ValueError,
     ["max: axis 2 is out of range for a 2-d tensor", "expected -2 ≤ axis < 2"], ["max_dim"])
case("min_dim_float", SIZES, "`x.min(1.0)`: a float dim",
     lambda tmp: {"x": T(2, 3)}, lambda o: o.x.min(1.0), TypeError,
     ["min: axis must be an int", "1.0 (float)"], ["min_dim"])
case("randint_float_low", SIZES, "`randint` with a float bound",
     lambda tmp: {"rng": mg_random}, lambda o: minigrad.randint(0.5, 3, (2,)), TypeError,
     ["randint: low must be an int", "0.5 (float)"])


# -- all or nothing (issue 15, principle 1) -------------------------------------------------------
# tests/reliability/test_transactions.py iterates these over every optimizer and scheduler.

def set_option(key, value):
    def prepare(o):
        o.opt.param_groups[0][key] = value
    return prepare


def stepped_model(opt_class, **options):
    """Build: a Linear(3, 4), its optimizer after one step, and fresh gradients."""
    def build(tmp):
        objects = with_optimizer(opt_class, **options)(tmp)
        objects["model"](minigrad.randn(2, 3)).sum().backward()
        return objects
    return build


case("step_lr_set_to_nan", TRANSACTIONS, "`param_groups[0][\"lr\"] = nan`, then `step()`",
     stepped_model(optim.SGD, lr=0.1, momentum=0.9), lambda o: o.opt.step(), ValueError,
     ["SGD.step: param group 0: lr must be in [0.0, ∞)", "got nan"],
     prepare=set_option("lr", float("nan")))
case("step_betas_set_to_a_number", TRANSACTIONS, "Adam's betas replaced by one number",
     stepped_model(optim.Adam), lambda o: o.opt.step(), ValueError,
     ["Adam.step: param group 0: betas must be a pair (β₁, β₂)", "got 0.9"],
     prepare=set_option("betas", 0.9))
case("step_unknown_option", TRANSACTIONS, "a misspelt option `\"lrr\"` in a param group",
     stepped_model(optim.SGD, lr=0.1), lambda o: o.opt.step(), ValueError,
     ["SGD.step: param group 0: unknown option 'lrr' (did you mean 'lr'?)",
      "SGD's options are ['dampening', 'lr'"], prepare=set_option("lrr", 0.5))
case("sgd_lr_inf", TRANSACTIONS, "`SGD(lr=inf)`",
     seeded(lambda tmp: {"model": nn.Linear(2, 2)}),
     lambda o: optim.SGD(o.model.parameters(), lr=float("inf")), ValueError,
     ["SGD: lr must be in [0.0, ∞)", "got inf"])
case("step_non_finite_grad_in_anomaly_mode", TRANSACTIONS,
     "`step()` with a NaN gradient under `detect_anomaly()`",
     stepped_model(optim.Adam), lambda o: step_in_anomaly_mode(o), RuntimeError,
     ["Adam.step: param group 0, params[1] (4,) has a non-finite gradient (NaN or inf)",
      "nothing was updated"],
     prepare=lambda o: o.model.bias.grad._data.__setitem__(0, np.nan))


def step_in_anomaly_mode(o):
    with minigrad.detect_anomaly():
        o.opt.step()


case("clip_grad_norm_negative", TRANSACTIONS, "`clip_grad_norm_(max_norm=-1)`",
     stepped_model(optim.SGD, lr=0.1),
     lambda o: nn.utils.clip_grad_norm_(o.model.parameters(), max_norm=-1), ValueError,
     ["clip_grad_norm_: max_norm must be ≥ 0", "got -1.0"])
case("clip_grad_value_string", TRANSACTIONS, "`clip_grad_value_(params, \"1\")`",
     stepped_model(optim.SGD, lr=0.1),
     lambda o: nn.utils.clip_grad_value_(o.model.parameters(), "1"), TypeError,
     ["clip_grad_value_: clip_value must be a real number", "'1' (str)"])


def edited_state(opt_class, edit, **options):
    """Build: a Linear(3, 4) with a trained optimizer, and that optimizer's state dict
    edited by ``edit`` (a value of the right type that no step can produce)."""
    def build(tmp):
        objects = with_optimizer(opt_class, **options)(tmp)
        state = objects["opt"].state_dict()
        edit(state)
        objects["state"] = state
        return objects
    return build


case("adam_state_step_nan", TRANSACTIONS, "an Adam state whose step count is NaN",
     edited_state(optim.Adam, lambda sd: sd["state"][1].update(step=float("nan"))),
     lambda o: o.opt.load_state_dict(o.state), ValueError,
     ["Adam.load_state_dict: parameter 1 (4,): state 'step' must be a step count (an int ≥ 1)",
      "got nan"])
case("adam_state_negative_second_moment", TRANSACTIONS,
     "an Adam state with a negative `exp_avg_sq`",
     edited_state(optim.Adam, lambda sd: sd["state"][1]["exp_avg_sq"].__setitem__(0, -1.0)),
     lambda o: o.opt.load_state_dict(o.state), ValueError,
     ["Adam.load_state_dict: parameter 1 (4,): state 'exp_avg_sq' holds negative values",
      "(min -1.0)"])
case("sgd_state_nan_momentum", TRANSACTIONS, "an SGD momentum buffer holding NaN",
     edited_state(optim.SGD, lambda sd: sd["state"][0]["momentum_buffer"].__setitem__(
         (0, 0), np.nan), lr=0.1, momentum=0.9),
     lambda o: o.opt.load_state_dict(o.state), ValueError,
     ["SGD.load_state_dict: parameter 0 (4, 3): state 'momentum_buffer' holds 1 non-finite"])


def with_scheduler(make, edit):
    def build(tmp):
        objects = with_optimizer(optim.SGD, lr=0.1, momentum=0.9)(tmp)
        sched = make(objects["opt"])
        state = sched.state_dict()
        edit(state)
        objects.update(sched=sched, state=state)
        return objects
    return build


case("steplr_state_gamma_nan", TRANSACTIONS, "a StepLR state with γ = NaN",
     with_scheduler(lambda opt: optim.lr_scheduler.StepLR(opt, 2),
                    lambda sd: sd.update(gamma=float("nan"))),
     lambda o: o.sched.load_state_dict(o.state), ValueError,
     ["StepLR.load_state_dict: gamma must be a real number in [0.0, inf)", "got nan"])
case("steplr_state_step_size_zero", TRANSACTIONS, "a StepLR state with step_size = 0",
     with_scheduler(lambda opt: optim.lr_scheduler.StepLR(opt, 2),
                    lambda sd: sd.update(step_size=0)),
     lambda o: o.sched.load_state_dict(o.state), ValueError,
     ["StepLR.load_state_dict: step_size must be an int ≥ 1", "got 0"])
case("steplr_gamma_nan", TRANSACTIONS, "`StepLR(opt, 2, gamma=nan)`",
     with_optimizer(optim.SGD, lr=0.1),
     lambda o: optim.lr_scheduler.StepLR(o.opt, 2, gamma=float("nan")), ValueError,
     ["StepLR: gamma must be a real number in [0.0, inf)", "got nan"])


def checkpoint_with_edited_optimizer(edit):
    """Build: a model, a fresh Adam, and a checkpoint whose Adam state was edited."""
    def build(tmp):
        objects = with_checkpoint(lambda: nn.Linear(3, 4))(tmp)
        ckpt = minigrad.load(objects["path"])
        edit(ckpt["optimizer"]["state"])
        minigrad.save(ckpt, objects["path"])
        return objects
    return build


case("load_checkpoint_adam_step_negative", TRANSACTIONS,
     "`load_checkpoint` of an Adam state whose step count is -3",
     checkpoint_with_edited_optimizer(lambda sd: sd["state"][0].update(step=-3)),
     load_into, ValueError,
     ["Adam.load_state_dict: parameter 0 (4, 3): state 'step' must be a step count", "got -3",
      "load_checkpoint: while loading the optimizer from 'run.ckpt'; nothing was changed"])


def live_graph_model(tmp):
    minigrad.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    return {"model": model, "state": {k: v.detach() * 0 + 1
                                      for k, v in model.state_dict().items()}}


def load_during_anomaly_mode(o):
    with minigrad.detect_anomaly():
        with minigrad.no_grad():
            hidden = o.model[0](minigrad.ones(5, 3))
        o.loss = o.model[1](hidden).sum()        # saves 1.weight until backward
        o.model.load_state_dict(o.state)


case("load_state_dict_into_a_saved_weight", TRANSACTIONS,
     "`load_state_dict` while a weight is saved for backward, under `detect_anomaly()`",
     live_graph_model, load_during_anomaly_mode, RuntimeError,
     ["load_state_dict: '1.weight': in-place change of a tensor (2, 4) that Linear saved for "
      "backward"])
case("grad_assigned_a_list", TRANSACTIONS, "`p.grad = [0.0, 0.0]`",
     seeded(lambda tmp: {"model": nn.Linear(2, 2)}),
     lambda o: setattr(o.model.bias, "grad", [0.0, 0.0]), TypeError,
     ["assigning .grad of a tensor (2,) float32 on cpu", "expected a Tensor or None",
      "got list"])


# -- running a case ----------------------------------------------------------------------------

def snapshot(obj):
    """A deep, comparable copy of everything a case may not change."""
    if isinstance(obj, minigrad.Tensor):
        return ("Tensor", obj.device, _array(obj._data), obj.requires_grad, obj.is_leaf,
                None if obj.grad is None else (obj.grad.device, _array(obj.grad._data)))
    if obj is mg_random:
        return ("generator", snapshot(mg_random.get_state()))
    if isinstance(obj, nn.Module):
        return ("Module", obj.training, type(obj).__name__,
                {k: snapshot(v) for k, v in obj.state_dict(keep_vars=True).items()})
    if isinstance(obj, optim.Optimizer):
        return ("Optimizer", snapshot(obj.state_dict()),
                [[id(p) for p in g["params"]] for g in obj.param_groups])
    if isinstance(obj, (np.ndarray, np.generic)):
        return _array(obj)
    if isinstance(obj, Path):
        return ("file", obj.read_bytes() if obj.is_file() else None)
    if isinstance(obj, dict):
        return {k: snapshot(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [snapshot(v) for v in obj]
    return obj


def _array(a):
    if backend.device_of(a) != "cpu":
        a = backend.to_device(a, "cpu")
    a = np.asarray(a)
    return ("array", a.dtype.str, a.shape, a.tobytes())


def run_case(c, tmp):
    """Build, act, and return (the exception, [what changed]) — the exception must be
    ``c.error`` exactly."""
    with cuda_device() if c.on_cuda else contextlib.nullcontext():
        return _run_case(c, Path(tmp))


def _run_case(c, tmp):
    grad_mode = minigrad.is_grad_enabled()
    objects = SimpleNamespace(**c.build(tmp))
    if c.prepare is not None:
        c.prepare(objects)
    watched = dict(vars(objects))
    before = snapshot(watched)
    try:
        c.act(objects)
    except Exception as exc:     # noqa: BLE001  (the case says which)
        error = exc
    else:
        error = None
    finally:
        minigrad.set_grad_enabled(grad_mode)   # cases that entered no_grad by hand
    changed = []
    if error is not None:
        after = snapshot(watched)
        changed = [k for k in watched if before[k] != after[k]]
    return error, changed


def message_of(error, tmp):
    """The message as docs/errors.md shows it, with its notes (added by load_checkpoint, anomaly
    mode...) on the lines after it; temporary paths shortened to their name."""
    text = "\n".join([str(error), *getattr(error, "__notes__", [])])
    for form in (str(Path(tmp)) + "/", repr(str(Path(tmp)))[1:-1] + "/"):
        text = text.replace(form, "")
    return text


def raised_in(error):
    """'minigrad/ops/_util.py · check_broadcast': where in minigrad the error was raised."""
    frames = traceback.extract_tb(error.__traceback__)
    root = Path(minigrad.__file__).resolve().parent.parent
    for frame in reversed(frames):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(root / "minigrad"):
            return f"{path.relative_to(root).as_posix()} · {frame.name}"
    return "(outside minigrad)"


def missing_pieces(c, message):
    return [piece for piece in c.says if piece not in message]


def names():
    seen = [c.name for c in CASES]
    return seen, {n for n in seen if seen.count(n) > 1}


# Cases kept in their own modules (they import ``case``, the groups and the helpers above).
from . import (bad_inputs_compression, bad_inputs_distributed,  # noqa: E402,F401
               bad_inputs_files, bad_inputs_math, bad_inputs_pytorch, bad_inputs_rnn,
               bad_inputs_training, bad_inputs_utils_data)       # (they register cases)

GROUPS = [SHAPES, LAYERS, DTYPES, DEVICES, AUTOGRAD, STATE, OPTIM, FILES, CKPT, ARGS, SIZES,
          TRANSACTIONS, SAVING, DATA]
assert {c.group for c in CASES} <= set(GROUPS)
assert not names()[1], f"duplicate case names: {names()[1]}"
