"""Table rows for the neural-network ops (layers' functional forms and losses), with
NumPy references written independently of the kernels (loops over offsets, not im2col)."""
import numpy as np
from hypothesis import strategies as st

import minigrad
from minigrad import functional as F

from .op_table import Op, distinct, normal, positive, uniform

# -- joint strategies: (shapes, params) -----------------------------------------------------


@st.composite
def conv_case(draw, bias=True):
    n, c, o = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    hw = tuple(draw(st.integers(max(1, d * (kk - 1) + 1 - 2 * p), d * (kk - 1) + 5))
               for kk, p, d in zip(k, padding, dilation))
    shapes = ((n, c) + hw, (o, c) + k) + (((o,),) if bias else ())
    return shapes, {"stride": stride, "padding": padding, "dilation": dilation}


@st.composite
def pool_case(draw):
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    k = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    padding = (draw(st.integers(0, k[0] // 2)), draw(st.integers(0, k[1] // 2)))
    hw = tuple(draw(st.integers(max(1, kk - 2 * p), kk + 4)) for kk, p in zip(k, padding))
    return ((n, c) + hw,), {"kernel_size": k, "stride": stride, "padding": padding}


@st.composite
def class_case(draw, probabilities=False):
    n, k = draw(st.integers(1, 5)), draw(st.integers(2, 5))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    target = rng.dirichlet(np.ones(k), n) if probabilities else rng.integers(0, k, n)
    params = {"target": target}
    if not probabilities:
        params["label_smoothing"] = draw(st.sampled_from([0.0, 0.1]))
    params["reduction"] = draw(st.sampled_from(["mean", "sum", "none"]))
    return ((n, k),), params


@st.composite
def batch_norm_case(draw):
    shape = (draw(st.integers(2, 4)), draw(st.integers(1, 3))) + tuple(
        draw(st.lists(st.integers(1, 3), max_size=2)))
    training = draw(st.booleans())
    c = shape[1]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    stats = {"running_mean": rng.standard_normal(c), "running_var": rng.uniform(0.5, 2, c)}
    return (shape, (c,), (c,)), {"training": training, **stats}


@st.composite
def layer_norm_case(draw):
    lead = tuple(draw(st.lists(st.integers(1, 3), min_size=1, max_size=2)))
    norm = tuple(draw(st.lists(st.integers(2, 4), min_size=1, max_size=2)))
    return (lead + norm, norm, norm), {"normalized_shape": norm}


@st.composite
def embedding_case(draw):
    v, d = draw(st.integers(1, 6)), draw(st.integers(1, 4))
    idx = np.array(draw(st.lists(st.integers(0, v - 1), min_size=1, max_size=8)))
    return ((v, d),), {"idx": idx.reshape(-1, 1) if draw(st.booleans()) else idx}


@st.composite
def same_shape_pair(draw):
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    return (shape, shape), {"reduction": draw(st.sampled_from(["mean", "sum", "none"]))}


@st.composite
def robust_loss_case(draw, name):
    """Same shapes, a reduction and β (smooth L1; 0 is L1) or δ (Huber)."""
    shapes, params = draw(same_shape_pair())
    values = [0.5, 1.0, 2.0] + ([0.0] if name == "beta" else [])
    return shapes, {**params, name: draw(st.sampled_from(values))}


@st.composite
def linear_case(draw):
    lead = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    i, o = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    return (lead + (i,), (o, i), (o,)), {}


# -- NumPy references ---------------------------------------------------------------------

def np_conv2d(x, w, b=None, stride=(1, 1), padding=(0, 0), dilation=(1, 1)):
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    o, _, kh, kw = w.shape
    oh = (xp.shape[2] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[3] - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((x.shape[0], o, oh, ow))
    for p in range(kh):
        for q in range(kw):
            rows = slice(p * dh, p * dh + sh * (oh - 1) + 1, sh)
            cols = slice(q * dw, q * dw + sw * (ow - 1) + 1, sw)
            patch = xp[:, :, rows, cols]
            y += np.einsum("nchw,oc->nohw", patch, w[:, :, p, q])
    return y if b is None else y + b[None, :, None, None]


def np_pool(x, kernel_size, stride, padding, reduce):
    (kh, kw), (sh, sw), (ph, pw) = kernel_size, stride, padding
    fill = -np.inf if reduce is np.max else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    oh, ow = (xp.shape[2] - kh) // sh + 1, (xp.shape[3] - kw) // sw + 1
    y = np.empty(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            y[:, :, i, j] = reduce(xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw], axis=(2, 3))
    return y


def np_log_softmax(z):
    m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))


def np_reduce(loss, reduction):
    return {"mean": np.mean, "sum": np.sum}.get(reduction, lambda a: a)(loss)


def np_cross_entropy(z, target, reduction, label_smoothing=0.0):
    k = z.shape[1]
    t = np.eye(k)[target] if target.ndim == 1 else target
    t = (1 - label_smoothing) * t + label_smoothing / k
    return np_reduce(-(t * np_log_softmax(z)).sum(axis=1), reduction)


def np_batch_norm(x, g, b, training, running_mean, running_var, eps=1e-5):
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    if training:
        mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    else:
        mean, var = running_mean.reshape(shape), running_var.reshape(shape)
    return (x - mean) / np.sqrt(var + eps) * g.reshape(shape) + b.reshape(shape)


def np_layer_norm(x, g, b, normalized_shape, eps=1e-5):
    axes = tuple(range(x.ndim - len(normalized_shape), x.ndim))
    mean, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * g + b


def np_bce(p, t, reduction):
    return np_reduce(-(t * np.log(p) + (1 - t) * np.log(1 - p)), reduction)


def np_bce_logits(z, t, reduction):
    p = 1 / (1 + np.exp(-z))
    return np_bce(p, t, reduction)


@st.composite
def attention_case(draw):
    """q (..., L, E), k (..., S, E), v (..., S, Ev) and a mask kind: none, causal, a bool
    mask (a fully masked row included) or a float bias, shared or per batch."""
    batch = draw(st.sampled_from([(), (2,), (2, 3)]))
    length, keys, e, ev = (draw(st.integers(1, 5)) for _ in range(4))
    kind = draw(st.sampled_from(["none", "causal", "bool", "bias", "shared"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    params = {"is_causal": kind == "causal", "attn_mask": None}
    if kind == "bool":
        keep = rng.random(batch + (length, keys)) > 0.3
        keep.reshape(-1, keys)[0] = False                     # a row that attends to nothing
        params["attn_mask"] = keep
    elif kind in ("bias", "shared"):
        params["attn_mask"] = rng.standard_normal(((1,) * len(batch) if kind == "shared" else batch)
                                                  + (length, keys))
    return (batch + (length, e), batch + (keys, e), batch + (keys, ev)), params


def np_attention(q, k, v, attn_mask, is_causal):
    s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if is_causal:
        s = np.where(np.tril(np.ones(s.shape[-2:], dtype=bool)), s, -np.inf)
    if attn_mask is not None:
        s = s + (np.where(attn_mask, 0, -np.inf) if attn_mask.dtype == bool else attn_mask)
    with np.errstate(invalid="ignore"):
        e = np.exp(s - s.max(axis=-1, keepdims=True))
        p = np.nan_to_num(e / e.sum(axis=-1, keepdims=True))     # a row with no key: 0
    return p @ v


def sdpa(q, k, v, attn_mask, is_causal):
    mask = attn_mask
    if mask is not None:
        mask = minigrad.tensor(mask if mask.dtype == bool else mask.astype(q.dtype))
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, is_causal=is_causal)


def np_smooth_l1(a, t, reduction, beta):
    d = np.abs(a - t)
    if beta == 0:
        return np_reduce(d, reduction)
    return np_reduce(np.where(d < beta, d ** 2 / (2 * beta), d - beta / 2), reduction)


def np_huber(a, t, reduction, delta):
    d = np.abs(a - t)
    return np_reduce(np.where(d < delta, d ** 2 / 2, delta * (d - delta / 2)), reduction)


def unit_interval(rng, shape):
    return rng.uniform(0.05, 0.95, shape)


def t_of(target, like):
    return minigrad.tensor(target.astype(like.dtype) if target.dtype.kind == "f" else target)


NN_OPS = [
    Op("linear", lambda x, w, b: F.linear(x, w, b), lambda x, w, b: x @ w.T + b,
       linear_case(), joint=True),
    Op("conv2d", lambda x, w, b, **g: F.conv2d(x, w, b, **g), np_conv2d, conv_case(),
       joint=True),
    Op("conv2d_no_bias", lambda x, w, **g: F.conv2d(x, w, None, **g), np_conv2d,
       conv_case(bias=False), joint=True),
    Op("max_pool2d", lambda x, **g: F.max_pool2d(x, **g),
       lambda x, **g: np_pool(x, reduce=np.max, **g), pool_case(), (distinct,), joint=True),
    Op("avg_pool2d", lambda x, **g: F.avg_pool2d(x, **g),
       lambda x, **g: np_pool(x, reduce=np.mean, **g), pool_case(), joint=True),
    Op("cross_entropy_index",
       lambda z, target, **kw: F.cross_entropy(z, minigrad.tensor(target), **kw),
       np_cross_entropy, class_case(), joint=True),
    Op("cross_entropy_probs",
       lambda z, target, **kw: F.cross_entropy(z, t_of(target, z), **kw),
       np_cross_entropy, class_case(probabilities=True), joint=True),
    Op("nll_loss",
       lambda z, target, reduction, label_smoothing: F.nll_loss(
           F.log_softmax(z, axis=1), minigrad.tensor(target), reduction),
       lambda z, target, reduction, label_smoothing: np_reduce(
           -np_log_softmax(z)[np.arange(len(target)), target], reduction),
       class_case(), joint=True),
    Op("mse_loss", lambda a, b, reduction: F.mse_loss(a, b, reduction),
       lambda a, b, reduction: np_reduce((a - b) ** 2, reduction), same_shape_pair(),
       joint=True),
    Op("l1_loss", lambda a, b, reduction: F.l1_loss(a, b, reduction),
       lambda a, b, reduction: np_reduce(np.abs(a - b), reduction), same_shape_pair(),
       (normal, lambda rng, s: np.zeros(s) + 5.0), joint=True),
    Op("smooth_l1_loss", lambda a, b, reduction, beta: F.smooth_l1_loss(a, b, reduction, beta),
       np_smooth_l1, robust_loss_case("beta"), (normal, uniform(-2.5, 2.5)), joint=True),
    Op("huber_loss", lambda a, b, reduction, delta: F.huber_loss(a, b, reduction, delta),
       np_huber, robust_loss_case("delta"), (normal, uniform(-2.5, 2.5)), joint=True),
    Op("binary_cross_entropy", lambda p, t, reduction: F.binary_cross_entropy(p, t, reduction),
       np_bce, same_shape_pair(), (unit_interval,), joint=True),
    Op("bce_with_logits",
       lambda z, t, reduction: F.binary_cross_entropy_with_logits(z, t, reduction),
       np_bce_logits, same_shape_pair(), (normal, unit_interval), joint=True),
    Op("batch_norm",
       lambda x, g, b, training, running_mean, running_var: F.batch_norm(
           x, minigrad.tensor(running_mean, dtype=x.dtype),
           minigrad.tensor(running_var, dtype=x.dtype), g, b, training=training),
       np_batch_norm, batch_norm_case(), (normal, positive, normal), joint=True),
    Op("layer_norm", lambda x, g, b, normalized_shape: F.layer_norm(x, normalized_shape, g, b),
       np_layer_norm, layer_norm_case(), (normal, positive, normal), joint=True),
    Op("embedding", lambda w, idx: F.embedding(minigrad.tensor(idx), w),
       lambda w, idx: w[idx], embedding_case(), joint=True),
    Op("scaled_dot_product_attention", sdpa, np_attention, attention_case(), joint=True),
]
