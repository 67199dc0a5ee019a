"""The declarative op table: one row per op (or per interesting way of calling it).

A row gives the minigrad call, a NumPy reference computed independently in float64, a
strategy for the input shapes (broadcasting included), a value generator per input that
keeps inputs away from kinks and poles, and a strategy for keyword parameters that may
depend on the shapes (axes, permutations, indices...).
"""
import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import minigrad
from minigrad import functional as F

# -- value generators: (rng, shape) -> float64 array ------------------------------------


def normal(rng, shape):
    return rng.standard_normal(shape)


def positive(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def away_from(*points, margin=0.15, scale=2.0):
    """Values in [-scale, scale] at least ``margin`` from every point (kinks of the op)."""
    def gen(rng, shape):
        x = rng.uniform(-scale, scale, shape)
        for _ in range(20):
            close = np.zeros(np.shape(x), dtype=bool)
            for p in points:
                close |= np.abs(x - p) < margin
            if not close.any():
                break
            x = np.where(close, rng.uniform(-scale, scale, np.shape(x)), x)
        for p in points:   # anything still close is pushed out deterministically
            x = np.where(np.abs(x - p) < margin, p + margin * 1.5, x)
        return x
    return gen


def distinct(rng, shape):
    """All values distinct and 0.1 apart (no ties for max/min)."""
    n = int(np.prod(shape, dtype=np.int64))
    return (rng.permutation(n) * 0.1 - n * 0.05).reshape(shape)


def large(rng, shape):
    """|x| in [1.5, 3]: never within 0.5 of a value drawn by ``small``."""
    return rng.uniform(1.5, 3.0, shape) * rng.choice([-1.0, 1.0], shape)


def small(rng, shape):
    return rng.uniform(-1.0, 1.0, shape)


def uniform(low, high):
    """Values in [low, high] (inside an op's domain, away from its poles)."""
    def gen(rng, shape):
        return rng.uniform(low, high, shape)
    return gen


def off_grid(step=1.0, offset=0.0, margin=0.2):
    """Values k·step + offset + u with |u| ≤ step/2 − margin·step: at least margin·step
    from every jump of a rounding op (jumps at k·step + offset ± step/2)."""
    def gen(rng, shape):
        k = rng.integers(-3, 4, shape)
        u = rng.uniform(-(0.5 - margin), 0.5 - margin, shape)
        return (k + u) * step + offset
    return gen


# -- shape strategies --------------------------------------------------------------------

one_shape = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4).map(
    lambda s: (s,))
nonscalar = hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4).map(
    lambda s: (s,))
broadcast_pair = hnp.mutually_broadcastable_shapes(
    num_shapes=2, min_dims=0, max_dims=3, min_side=1, max_side=4).map(lambda r: r.input_shapes)


@st.composite
def matmul_shapes(draw):
    m, k, n, b = (draw(st.integers(1, 4)) for _ in range(4))
    return draw(st.sampled_from([
        ((k,), (k,)), ((m, k), (k,)), ((k,), (k, n)), ((m, k), (k, n)),
        ((b, m, k), (k, n)), ((b, m, k), (b, k, n)), ((1, m, k), (b, k, n)),
        ((k,), (b, k, n)), ((b, m, k), (k,)),
    ]))


@st.composite
def join_shapes(draw):
    """Three shapes equal except along one axis (for concatenate)."""
    (base,) = draw(nonscalar)
    axis = draw(st.integers(0, len(base) - 1))
    shapes = []
    for _ in range(3):
        s = list(base)
        s[axis] = draw(st.integers(1, 3))
        shapes.append(tuple(s))
    return tuple(shapes)


# -- parameter strategies ((shapes) -> strategy of dicts) -----------------------------------

def no_params(shapes):
    return st.just({})


def axis_params(shapes, allow_tuple=True):
    (shape,) = shapes[:1]
    ndim = len(shape)
    choices = [st.none()]
    if ndim:
        choices.append(st.integers(-ndim, ndim - 1))
        if allow_tuple:
            choices.append(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim,
                                    unique=True).map(tuple))
    return st.fixed_dictionaries({"axis": st.one_of(*choices), "keepdims": st.booleans()})


def one_axis(shapes):
    ndim = len(shapes[0])
    return st.fixed_dictionaries({"axis": st.integers(-ndim, ndim - 1)})


def var_params(shapes):
    """Axes and correction; correction 0 where only one element is reduced (else 0/0)."""
    return st.tuples(axis_params(shapes), st.sampled_from([0, 1])).map(
        lambda t: {**t[0], "correction": t[1] if _reduced(shapes[0], t[0]["axis"]) > 1 else 0})


def _reduced(shape, axis):
    if axis is None:
        return int(np.prod(shape, dtype=np.int64))
    axes = (axis,) if isinstance(axis, int) else axis
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def permutation(shapes):
    ndim = len(shapes[0])
    return st.permutations(range(ndim)).map(lambda p: {"axes": tuple(p)})


def basic_index(shapes):
    shape = shapes[0]
    parts = [st.one_of(st.integers(-n, n - 1),
                       st.builds(slice, st.none() | st.integers(0, n),
                                 st.none() | st.integers(0, n), st.sampled_from([None, 1, 2])))
             for n in shape]
    return st.tuples(*parts).map(lambda t: {"index": t})


def int_array_index(shapes):
    n = shapes[0][0]
    return st.lists(st.integers(-n, n - 1), min_size=1, max_size=6).map(
        lambda idx: {"index": np.array(idx)})


def diagonal(shapes):
    return st.integers(-2, 2).map(lambda d: {"diagonal": d})


def gather_params(shapes):
    """An axis and an index no larger than the input along the other axes."""
    shape = shapes[0]
    return st.integers(0, len(shape) - 1).flatmap(lambda dim: st.tuples(
        st.just(dim), st.tuples(*[st.integers(1, n) if a != dim else st.integers(1, 5)
                                  for a, n in enumerate(shape)]),
        st.integers(0, 2**32 - 1))).map(lambda t: {"dim": t[0], "index": np.random.default_rng(
            t[2]).integers(0, shape[t[0]], t[1])})


def pad_params(shapes):
    ndim = len(shapes[0])
    return st.integers(1, ndim).flatmap(lambda k: st.lists(
        st.integers(0, 2), min_size=2 * k, max_size=2 * k)).map(
        lambda p: {"pad": tuple(p), "value": 0.5})


def concat_axis(shapes):
    diff = [i for i in range(len(shapes[0])) if len({s[i] for s in shapes}) > 1]
    axis = diff[0] if diff else 0
    return st.sampled_from([axis, axis - len(shapes[0])]).map(lambda a: {"axis": a})


def stack_axis(shapes):
    ndim = len(shapes[0]) + 1
    return st.integers(-ndim, ndim - 1).map(lambda a: {"axis": a})


def squeeze_unsqueeze(shapes):
    ndim = len(shapes[0])
    return st.integers(-ndim - 1, ndim).map(lambda a: {"axis": a})


def flatten_params(shapes):
    ndim = len(shapes[0])
    return st.tuples(st.integers(0, ndim - 1), st.integers(0, ndim - 1)).map(
        lambda t: {"start_dim": min(t), "end_dim": max(t)})


def broadcast_target(shapes):
    shape = shapes[0]
    return st.lists(st.integers(1, 3), max_size=2).map(
        lambda lead: {"shape": tuple(lead) + tuple(n if n != 1 else 3 for n in shape)})


matrices = hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4).map(
    lambda s: (s,))


# -- NumPy references -------------------------------------------------------------------

_erf = np.vectorize(math.erf, otypes=[np.float64])


def np_softmax(x, axis):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def np_index(x, index):
    return x[index]


def np_gather(x, dim, index):
    return np.take_along_axis(x[tuple(slice(0, n) if a != dim else slice(None)
                                      for a, n in enumerate(index.shape))], index, dim)


def np_topk(x, k):
    return -np.sort(-x, axis=-1)[..., :k]


def np_pad(x, pad, value):
    widths = [(0, 0)] * x.ndim
    for k in range(len(pad) // 2):
        widths[x.ndim - 1 - k] = (pad[2 * k], pad[2 * k + 1])
    return np.pad(x, widths, constant_values=value)


def np_swap(x, axes):
    return np.transpose(x, axes)


def np_flatten(x, start_dim, end_dim):
    return x.reshape(x.shape[:start_dim] + (-1,) + x.shape[end_dim + 1:])


def np_unsqueeze(x, axis):
    return np.expand_dims(x, axis)


# -- the table -----------------------------------------------------------------------------

@dataclass
class Op:
    name: str
    fn: Callable                 # (*Tensors, **params) -> Tensor
    ref: Callable                # (*float64 arrays, **params) -> array
    shapes: st.SearchStrategy    # -> tuple of input shapes, or (shapes, params) if joint
    values: tuple = (normal,)    # one generator per input (the last one repeats)
    params: Callable = no_params
    fwd_rtol: float = 1e-4       # float32 forward vs float64 reference
    joint: bool = False          # ``shapes`` draws the params too (they depend on each other)

    def value_gen(self, i):
        return self.values[min(i, len(self.values) - 1)]


OPS = [
    Op("add", lambda a, b: a + b, np.add, broadcast_pair),
    Op("sub", lambda a, b: a - b, np.subtract, broadcast_pair),
    Op("rsub_scalar", lambda a: 3.0 - a, lambda a: 3.0 - a, one_shape),
    Op("mul", lambda a, b: a * b, np.multiply, broadcast_pair),
    Op("div", lambda a, b: a / b, np.divide, broadcast_pair, (normal, away_from(0.0, margin=0.5))),
    Op("rdiv_scalar", lambda a: 2.0 / a, lambda a: 2.0 / a, one_shape,
       (away_from(0.0, margin=0.5),)),
    Op("pow", lambda a, b: a ** b, np.power, broadcast_pair, (positive, normal)),
    Op("pow_scalar", lambda a: a ** 3, lambda a: a ** 3, one_shape),
    Op("pow_fractional", lambda a: a ** 2.5, lambda a: a ** 2.5, one_shape, (positive,)),
    Op("rpow", lambda a: 2.0 ** a, lambda a: 2.0 ** a, one_shape),
    Op("neg", lambda a: -a, np.negative, one_shape),
    Op("exp", lambda a: a.exp(), np.exp, one_shape),
    Op("log", lambda a: a.log(), np.log, one_shape, (positive,)),
    Op("sqrt", lambda a: a.sqrt(), np.sqrt, one_shape, (positive,)),
    Op("abs", lambda a: a.abs(), np.abs, one_shape, (away_from(0.0),)),
    Op("clip", lambda a: a.clip(-0.5, 0.5), lambda a: np.clip(a, -0.5, 0.5), one_shape,
       (away_from(-0.5, 0.5),)),
    Op("clip_tensor_bounds", lambda a, lo: F.clip(a, lo, lo + 1.0),
       lambda a, lo: np.clip(a, lo, lo + 1.0), broadcast_pair, (large, small)),
    Op("maximum", F.maximum, np.maximum, broadcast_pair, (large, small)),
    Op("minimum", F.minimum, np.minimum, broadcast_pair, (large, small)),
    Op("where", lambda a, b: F.where(a.detach() > 0, a, b),
       lambda a, b: np.where(a > 0, a, b), broadcast_pair, (away_from(0.0), normal)),
    Op("relu", F.relu, lambda a: np.maximum(a, 0), one_shape, (away_from(0.0),)),
    Op("leaky_relu", lambda a: F.leaky_relu(a, 0.2), lambda a: np.where(a > 0, a, 0.2 * a),
       one_shape, (away_from(0.0),)),
    Op("sigmoid", F.sigmoid, lambda a: 1 / (1 + np.exp(-a)), one_shape),
    Op("tanh", F.tanh, np.tanh, one_shape),
    Op("gelu", F.gelu, lambda a: 0.5 * a * (1 + _erf(a / np.sqrt(2))), one_shape),
    Op("gelu_tanh", lambda a: F.gelu(a, approximate="tanh"),
       lambda a: 0.5 * a * (1 + np.tanh(np.sqrt(2 / np.pi) * (a + 0.044715 * a ** 3))),
       one_shape),
    Op("sin", F.sin, np.sin, one_shape),
    Op("cos", F.cos, np.cos, one_shape),
    Op("tan", F.tan, lambda a: np.sin(a) / np.cos(a), one_shape, (uniform(-1.2, 1.2),)),
    Op("asin", F.asin, np.arcsin, one_shape, (uniform(-0.9, 0.9),)),
    Op("acos", F.acos, np.arccos, one_shape, (uniform(-0.9, 0.9),)),
    Op("atan", F.atan, np.arctan, one_shape),
    Op("atan2", F.atan2, np.arctan2, broadcast_pair, (away_from(0.0), normal)),
    Op("sinh", F.sinh, lambda a: (np.exp(a) - np.exp(-a)) / 2, one_shape),
    Op("cosh", F.cosh, lambda a: (np.exp(a) + np.exp(-a)) / 2, one_shape),
    Op("log2", F.log2, lambda a: np.log(a) / np.log(2), one_shape, (positive,)),
    Op("log10", F.log10, lambda a: np.log(a) / np.log(10), one_shape, (positive,)),
    Op("log1p", F.log1p, lambda a: np.log(1 + a), one_shape, (uniform(-0.5, 2.0),)),
    Op("expm1", F.expm1, lambda a: np.exp(a) - 1, one_shape),
    Op("exp2", F.exp2, lambda a: 2.0 ** a, one_shape),
    Op("square", F.square, lambda a: a * a, one_shape),
    Op("rsqrt", F.rsqrt, lambda a: 1 / np.sqrt(a), one_shape, (positive,)),
    Op("reciprocal", F.reciprocal, lambda a: 1 / a, one_shape, (away_from(0.0, margin=0.5),)),
    Op("erf", F.erf, _erf, one_shape),
    Op("sign", F.sign, lambda a: (a > 0).astype(float) - (a < 0), one_shape, (away_from(0.0),)),
    Op("floor", F.floor, lambda a: a - np.mod(a, 1.0), one_shape, (off_grid(offset=0.5),)),
    Op("ceil", F.ceil, lambda a: -np.floor(-a), one_shape, (off_grid(offset=0.5),)),
    Op("trunc", F.trunc, np.fix, one_shape, (off_grid(offset=0.5),)),
    Op("round", F.round, lambda a: np.floor(a + 0.5), one_shape, (off_grid(),)),
    Op("round_decimals", lambda a: F.round(a, decimals=1), lambda a: np.floor(a * 10 + 0.5) / 10,
       one_shape, (off_grid(step=0.1),)),
    Op("softplus", F.softplus, lambda a: np.log1p(np.exp(a)), one_shape),
    Op("softplus_beta_threshold", lambda a: F.softplus(a, beta=2.0, threshold=1.0),
       lambda a: np.where(2 * a > 1, a, np.log1p(np.exp(2 * a)) / 2), one_shape,
       (away_from(0.5),)),
    Op("silu", F.silu, lambda a: a / (1 + np.exp(-a)), one_shape),
    Op("elu", lambda a: F.elu(a, alpha=1.5), lambda a: np.where(a > 0, a, 1.5 * np.expm1(a)),
       one_shape, (away_from(0.0),)),
    Op("hardtanh", F.hardtanh, lambda a: np.minimum(np.maximum(a, -1), 1), one_shape,
       (away_from(-1.0, 1.0),)),
    Op("hardtanh_bounds", lambda a: F.hardtanh(a, -0.5, 1.5),
       lambda a: np.minimum(np.maximum(a, -0.5), 1.5), one_shape, (away_from(-0.5, 1.5),)),
    Op("relu6", F.relu6, lambda a: np.minimum(np.maximum(a, 0), 6), one_shape,
       (away_from(0.0, 6.0, scale=7.0),)),
    Op("logsigmoid", F.logsigmoid, lambda a: -np.log1p(np.exp(-a)), one_shape),
    Op("mish", F.mish, lambda a: a * np.tanh(np.log1p(np.exp(a))), one_shape),
    Op("softmax", lambda a, axis: F.softmax(a, axis=axis), np_softmax, nonscalar,
       params=one_axis),
    Op("log_softmax", lambda a, axis: F.log_softmax(a, axis=axis),
       lambda a, axis: np.log(np_softmax(a, axis)), nonscalar, params=one_axis),
    Op("logsumexp", lambda a, axis, keepdims: F.logsumexp(a, axis, keepdims),
       lambda a, axis, keepdims: np.log(np.exp(a).sum(axis=axis, keepdims=keepdims)),
       one_shape, params=axis_params),
    Op("sum", lambda a, axis, keepdims: a.sum(axis, keepdims),
       lambda a, axis, keepdims: a.sum(axis=axis, keepdims=keepdims), one_shape,
       params=axis_params),
    Op("mean", lambda a, axis, keepdims: a.mean(axis, keepdims),
       lambda a, axis, keepdims: a.mean(axis=axis, keepdims=keepdims), one_shape,
       params=axis_params),
    # NumPy's form (axis=, values only); the dim form is the "max_dim" row below
    Op("max", lambda a, axis, keepdims: a.max(axis=axis, keepdims=keepdims),
       lambda a, axis, keepdims: a.max(axis=axis, keepdims=keepdims), one_shape, (distinct,),
       params=axis_params),
    Op("max_dim", lambda a: a.max(1).values,
       lambda a: np.take_along_axis(a, np.expand_dims(a.argmax(1), 1), 1)[:, 0],
       matrices, (distinct,)),
    # NumPy's form (axis=, values only); the dim form is the "min_dim" row below
    Op("min", lambda a, axis, keepdims: a.min(axis=axis, keepdims=keepdims),
       lambda a, axis, keepdims: a.min(axis=axis, keepdims=keepdims), one_shape, (distinct,),
       params=axis_params),
    Op("min_dim", lambda a: a.min(1).values,
       lambda a: np.take_along_axis(a, np.expand_dims(a.argmin(1), 1), 1)[:, 0],
       matrices, (distinct,)),
    Op("var", lambda a, axis, keepdims, correction: a.var(axis, keepdims, correction),
       lambda a, axis, keepdims, correction: a.var(axis=axis, keepdims=keepdims,
                                                   ddof=correction),
       nonscalar, params=var_params),
    Op("matmul", lambda a, b: a @ b, np.matmul, matmul_shapes()),
    Op("reshape_flat", lambda a: a.reshape(-1), lambda a: a.reshape(-1), one_shape),
    Op("reshape_reversed", lambda a: a.reshape(tuple(reversed(a.shape))),
       lambda a: a.reshape(tuple(reversed(a.shape))), one_shape),
    Op("permute", lambda a, axes: a.permute(*axes), np_swap, one_shape, params=permutation),
    Op("transpose_T", lambda a: a.T, lambda a: a.T, one_shape),
    Op("flatten", lambda a, start_dim, end_dim: a.flatten(start_dim, end_dim), np_flatten,
       nonscalar, params=flatten_params),
    Op("unsqueeze", lambda a, axis: a.unsqueeze(axis), np_unsqueeze, one_shape,
       params=squeeze_unsqueeze),
    Op("squeeze", lambda a: a.unsqueeze(0).squeeze(), lambda a: np.squeeze(a), one_shape),
    Op("broadcast_to", lambda a, shape: a.broadcast_to(shape),
       lambda a, shape: np.broadcast_to(a, shape), one_shape, params=broadcast_target),
    Op("getitem_basic", lambda a, index: a[index], np_index, nonscalar, params=basic_index),
    Op("getitem_int_array", lambda a, index: a[minigrad.tensor(index)], np_index, nonscalar,
       params=int_array_index),
    Op("getitem_mask", lambda a: a[a.detach() > 0], lambda a: a[a > 0], one_shape,
       (away_from(0.0),)),
    Op("concatenate", lambda a, b, c, axis: F.concatenate([a, b, c], axis=axis),
       lambda a, b, c, axis: np.concatenate([a, b, c], axis=axis), join_shapes(),
       params=concat_axis),
    Op("stack", lambda a, b, axis: F.stack([a, b], axis=axis),
       lambda a, b, axis: np.stack([a, b], axis=axis),
       one_shape.map(lambda s: (s[0], s[0])), params=stack_axis),
    Op("pad", lambda a, pad, value: F.pad(a, pad, value), np_pad, nonscalar,
       params=pad_params),
    Op("tril", lambda a, diagonal: a.tril(diagonal), lambda a, diagonal: np.tril(a, diagonal),
       matrices, params=diagonal),
    Op("triu", lambda a, diagonal: minigrad.triu(a, diagonal),
       lambda a, diagonal: np.triu(a, diagonal), matrices, params=diagonal),
    Op("masked_fill", lambda a: a.masked_fill(a.detach() > 0, 0.5),
       lambda a: np.where(a > 0, 0.5, a), one_shape, (away_from(0.0),)),
    Op("gather", lambda a, dim, index: a.gather(dim, minigrad.tensor(index)), np_gather,
       nonscalar, params=gather_params),
    Op("topk", lambda a: a.topk(min(2, a.shape[-1])).values,
       lambda a: np_topk(a, min(2, a.shape[-1])), nonscalar, (distinct,)),
]
