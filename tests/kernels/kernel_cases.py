"""Inputs for every kernel op: a hypothesis strategy of argument tuples and the tolerance.

Every op in ``minigrad_kernels.KERNELS`` must have an entry here (checked by a test), so a
new kernel is compared with its op's NumPy reference without writing a new test.
"""
import numpy as np
from hypothesis import strategies as st


def run_kernel(fn, args, to_device=None, **launch):
    """Call ``fn`` on copies of ``args`` (arrays moved with ``to_device`` when given) and
    return its outputs as a tuple: its results, or — for an in-place kernel, which returns
    None — its array arguments after the call."""
    args = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    if to_device is not None:
        args = tuple(to_device(a) if isinstance(a, np.ndarray) else a for a in args)
    out = fn(*args, **launch)
    if out is None:
        return tuple(a for a in args if hasattr(a, "dtype") and hasattr(a, "shape"))
    return out if isinstance(out, tuple) else (out,)


@st.composite
def matmul_args(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    m, k, n = (draw(st.integers(1, 40)) for _ in range(3))
    batch = draw(st.sampled_from([(), (2,), (3, 1)]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(batch + (m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    return (a, b)


@st.composite
def erf_args(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    shape = draw(st.lists(st.integers(1, 5), max_size=3).map(tuple))
    seed = draw(st.integers(0, 2**32 - 1))
    return (np.random.default_rng(seed).uniform(-4, 4, shape).astype(dtype),)


def _draw_conv(draw, batch, channels, outputs, kernel, stride, pad, side):
    """Arrays x, w, dy and the geometry of a valid convolution, each size drawn up to its
    bound (``side``: the input's height and width)."""
    n, c, o = (draw(st.integers(1, batch)), draw(st.integers(1, channels)),
               draw(st.integers(1, outputs)))
    kh, kw = draw(st.integers(1, kernel)), draw(st.integers(1, kernel))
    strides = (draw(st.integers(1, stride)), draw(st.integers(1, stride)))
    padding = (draw(st.integers(0, pad)), draw(st.integers(0, pad)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h = draw(st.integers(max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0]), side))
    w = draw(st.integers(max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1]), side))
    oh = (h + 2 * padding[0] - dilation[0] * (kh - 1) - 1) // strides[0] + 1
    ow = (w + 2 * padding[1] - dilation[1] * (kw - 1) - 1) // strides[1] + 1
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    arrays = {
        "x": rng.standard_normal((n, c, h, w)).astype(dtype),
        "w": rng.standard_normal((o, c, kh, kw)).astype(dtype),
        "dy": rng.standard_normal((n, o, oh, ow)).astype(dtype),
    }
    return arrays, (strides, padding, dilation)


@st.composite
def conv_geometry(draw):
    """Odd sizes, batch 1 included, every stride/padding/dilation combination up to 2."""
    return _draw_conv(draw, batch=3, channels=4, outputs=4, kernel=4, stride=3, pad=2, side=13)


def conv_args(entry):
    def build(case):
        a, geometry = case
        if entry == "forward":
            return (a["x"], a["w"]) + geometry
        if entry == "backward_input":
            return (a["dy"], a["w"], a["x"].shape) + geometry
        return (a["dy"], a["x"], a["w"].shape) + geometry
    return conv_geometry().map(build)


@st.composite
def pool_geometry(draw):
    n, c = draw(st.integers(1, 3)), draw(st.integers(1, 4))
    kernel = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    stride = (draw(st.integers(1, 4)), draw(st.integers(1, 4)))
    padding = (draw(st.integers(0, kernel[0] // 2)), draw(st.integers(0, kernel[1] // 2)))
    h = draw(st.integers(max(1, kernel[0] - 2 * padding[0]), 13))
    w = draw(st.integers(max(1, kernel[1] - 2 * padding[1]), 13))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    # few distinct values: ties are common in real images and must go to the first maximum
    x = rng.integers(0, draw(st.sampled_from([2, 5, 1000])), (n, c, h, w)).astype(dtype)
    return x, (kernel, stride, padding)


def pool_forward_args():
    return pool_geometry().map(lambda case: (case[0],) + case[1])


def pool_backward_args():
    from minigrad_kernels.pool import max_pool2d_forward_numpy

    def build(case):
        x, geometry = case
        y, arg = max_pool2d_forward_numpy(x, *geometry)
        dy = np.random.default_rng(1).standard_normal(y.shape).astype(x.dtype)
        return (dy, arg, x.shape) + geometry
    return pool_geometry().map(build)


@st.composite
def xent_case(draw):
    n, k = draw(st.integers(1, 9)), draw(st.integers(1, 12))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1.0, 30.0, 1e4]))          # 1e4: must stay finite
    logits = (rng.standard_normal((n, k)) * scale).astype(dtype)
    if draw(st.booleans()):
        target = rng.integers(0, k, n)
    else:
        target = rng.dirichlet(np.ones(k), n).astype(dtype)
    return logits, target


def xent_backward_args():
    from minigrad_kernels.softmax_xent import softmax_xent_numpy

    def build(case):
        logits, target = case
        _, probs = softmax_xent_numpy(logits, target)
        dloss = np.random.default_rng(2).standard_normal(len(logits)).astype(logits.dtype)
        return probs, target, dloss
    return xent_case().map(build)


@st.composite
def adam_args(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    shape = draw(st.sampled_from([(), (5,), (3, 4), (2, 3, 5)]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    p, g, m = (rng.standard_normal(shape).astype(dtype) for _ in range(3))
    v = rng.uniform(0, 2, shape).astype(dtype)
    v_max = rng.uniform(0, 2, shape).astype(dtype) if draw(st.booleans()) else None
    step = draw(st.integers(1, 20))
    lr = draw(st.sampled_from([1e-3, 0.1]))
    beta1 = draw(st.sampled_from([0.9, 0.3]))             # 0.3: lerp's other rounding form
    beta2 = draw(st.sampled_from([0.999, 0.9]))
    weight_decay = draw(st.sampled_from([0.0, 0.01]))
    decoupled, maximize = draw(st.booleans()), draw(st.booleans())
    return (p, g, m, v, v_max, step, lr, beta1, beta2, 1e-8, weight_decay, decoupled,
            maximize)


@st.composite
def relu_case(draw):
    """x with exact zeros, negative zeros and NaN mixed in, sometimes a transposed view."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    shape = draw(st.lists(st.integers(1, 7), max_size=4).map(tuple))
    if draw(st.booleans()):       # large enough for the compiled loops (relu.SMALL elements)
        from minigrad_kernels.relu import SMALL
        shape = (draw(st.integers(SMALL, SMALL + 64)),) + shape[:2]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal(shape).astype(dtype)
    specials = np.array([0.0, -0.0, np.nan, np.inf, -np.inf], dtype)
    picks = rng.random(shape) < 0.2
    x[picks] = rng.choice(specials, int(picks.sum()))
    return x.T if draw(st.booleans()) else x


def relu_backward_args():
    def build(x):
        from minigrad_kernels.relu import relu_numpy
        dy = np.random.default_rng(3).standard_normal(x.shape).astype(x.dtype)
        dy[np.isnan(x)] = np.inf          # where y is NaN or ≤ 0, dx is 0 whatever dy is
        return dy, relu_numpy(x)
    return relu_case().map(build)


@st.composite
def gelu_case(draw):
    """(x, approximate): small arrays (the reference path) or large enough for the compiled
    loops (gelu.SMALL elements), scales up to ±30 (tanh u = ±1, Φ's tails), exact zeros and
    NaN mixed in, sometimes a transposed view."""
    from minigrad_kernels.gelu import SMALL
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    shape = draw(st.lists(st.integers(1, 7), max_size=3).map(tuple))
    if draw(st.booleans()):
        shape = (draw(st.integers(SMALL, SMALL + 64)),) + shape[:1]
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = np.asarray(rng.standard_normal(shape) * draw(st.sampled_from([0.01, 1.0, 3.0, 10.0])))
    picks = rng.random(shape) < 0.05
    x[picks] = rng.choice(np.array([0.0, -0.0, np.nan, 30.0, -30.0]), int(picks.sum()))
    x = x.astype(dtype)
    return (x.T if draw(st.booleans()) else x), draw(st.sampled_from(["tanh", "none"]))


def gelu_backward_args():
    def build(case):
        x, approximate = case
        dy = np.random.default_rng(5).standard_normal(x.shape).astype(x.dtype)
        return dy, x, approximate
    return gelu_case().map(build)


@st.composite
def layer_norm_case(draw):
    """(x (R, C), γ or None, β or None, eps): C = 1 included, rows off-centre."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rows, cols = draw(st.integers(0, 40)), draw(st.sampled_from([1, 2, 7, 64, 128, 300]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = (rng.standard_normal((rows, cols)) * draw(st.sampled_from([0.1, 1.0, 5.0]))
         + rng.standard_normal((rows, 1))).astype(dtype)
    gamma = rng.standard_normal(cols).astype(dtype) if draw(st.booleans()) else None
    beta = rng.standard_normal(cols).astype(dtype) if draw(st.booleans()) else None
    return x, gamma, beta, draw(st.sampled_from([1e-5, 1e-3]))


def layer_norm_backward_args():
    def build(case):
        from minigrad_kernels.layer_norm import layer_norm_forward_numpy
        x, gamma, beta, eps = case
        _, mean, invstd = layer_norm_forward_numpy(x, gamma, beta, eps)
        dy = np.random.default_rng(6).standard_normal(x.shape).astype(x.dtype)
        return dy, x, mean, invstd, gamma
    return layer_norm_case().map(build)


@st.composite
def attention_case(draw):
    """q, k, v and the options of one attention call: L ≠ S included, lengths across the
    Numba kernel's 64-wide blocks, every mask kind (none, bool as 0/−inf, float bias, one
    (1, L, S) mask for all heads), rows with every key masked, dropout multipliers."""
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    b, length, keys = draw(st.integers(1, 3)), draw(st.integers(1, 70)), draw(st.integers(1, 70))
    feat, ev = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    q, k, v = (rng.standard_normal(shape).astype(dtype)
               for shape in ((b, length, feat), (b, keys, feat), (b, keys, ev)))
    causal = draw(st.booleans())
    kind = draw(st.sampled_from(["none", "bool", "bias", "shared"]))
    mask = None
    if kind != "none":
        rows = 1 if kind == "shared" else b
        if kind == "bias":
            mask = 2 * rng.standard_normal((rows, length, keys))
        else:
            mask = np.where(rng.random((rows, length, keys)) < 0.7, 0.0, -np.inf)
        if draw(st.booleans()):          # fully masked rows: out 0, zero gradients
            mask[:, rng.random(length) < 0.3] = -np.inf
        mask = mask.astype(dtype)
    dropout = None
    if draw(st.booleans()):
        p = draw(st.sampled_from([0.1, 0.5]))
        dropout = ((rng.random((b, length, keys)) >= p) / (1 - p)).astype(dtype)
    scale = draw(st.sampled_from([1.0, 1 / np.sqrt(feat), 3.0]))
    return q, k, v, scale, causal, mask, dropout


def attention_backward_args():
    def build(case):
        from minigrad_kernels.attention import attention_forward_numpy
        q, k, v, scale, causal, mask, dropout = case
        out, lse = attention_forward_numpy(q, k, v, scale, causal, mask, dropout)
        dout = np.random.default_rng(4).standard_normal(out.shape).astype(q.dtype)
        return dout, q, k, v, out, lse, scale, causal, mask, dropout
    return attention_case().map(build)


@st.composite
def qgemm_args(draw):
    """(a, b): int8 (M, K) and (K, N), K across the 1024 split of the float32 path, values
    from the whole int8 range (−128 included), b sometimes a transposed view."""
    m = draw(st.integers(1, 9))
    n = draw(st.integers(1, 9))
    k = draw(st.sampled_from([1, 2, 7, 64, 1023, 1024, 1025, 2049]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    extreme = draw(st.booleans())
    if extreme:          # all products at ±2¹⁴: the largest partial sums
        a = rng.choice(np.array([-128, 127], np.int8), (m, k))
        b = rng.choice(np.array([-128, 127], np.int8), (k, n))
    else:
        a = rng.integers(-128, 128, (m, k)).astype(np.int8)
        b = rng.integers(-128, 128, (k, n)).astype(np.int8)
    if draw(st.booleans()):
        b = np.ascontiguousarray(b.T).T
    return a, b



def _qlayer_common(draw, rng, out_channels, k):
    """(w_q, w_scale, bias, x_scale, x_zero_point, relu) of a quantised layer: weights over
    the whole symmetric int8 range (±127 included), any zero point, with or without bias."""
    extreme = draw(st.booleans())
    if extreme:          # the largest products: |w| = 127 everywhere
        w_q = rng.choice(np.array([-127, 127], np.int8), (out_channels, k))
    else:
        w_q = rng.integers(-127, 128, (out_channels, k)).astype(np.int8)
    w_scale = (rng.random(out_channels) * 0.1 + 1e-4).astype(np.float32)
    bias = (rng.standard_normal(out_channels).astype(np.float32)
            if draw(st.booleans()) else None)
    x_scale = np.float32(draw(st.sampled_from([1e-3, 0.02, 0.5, 1.0])))
    zero_point = draw(st.sampled_from([-128, -37, 0, 5, 127]))
    return w_q, w_scale, bias, x_scale, zero_point, draw(st.booleans()), extreme


def _qlayer_input(rng, shape, x_scale, zero_point, extreme):
    """float32 input whose quantised values cover [−128, 127] and beyond (clamped), with
    exact ties (k + ½)·s among them; all at the clamps when ``extreme``."""
    if extreme:
        return (rng.choice(np.array([-200.0, 200.0]), shape) * x_scale).astype(np.float32)
    steps = rng.integers(-160, 160, shape) - zero_point + rng.choice([0.0, 0.5, 0.3], shape)
    return (steps * np.float64(x_scale)).astype(np.float32)


@st.composite
def qlayer_linear_args(draw):
    """qlayer.linear's arguments: K on both sides of the float32 path's 1024 split."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    m, o = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    k = draw(st.sampled_from([1, 7, 64, 1024, 1025, 2100]))
    w_q, w_scale, bias, x_scale, zp, relu, extreme = _qlayer_common(draw, rng, o, k)
    x = _qlayer_input(rng, (m, k), x_scale, zp, extreme)
    return x, w_q, w_scale, bias, x_scale, zp, relu


@st.composite
def qlayer_conv2d_args(draw):
    """qlayer.conv2d's arguments: stride, padding (which holds the zero point) and
    dilation; C·KH·KW below and above the per-sample GEMM threshold (OH·OW) and, with 120
    channels, above the 1024 split."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n, o = draw(st.integers(1, 3)), draw(st.integers(1, 6))
    c = draw(st.sampled_from([1, 3, 8, 120]))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    padding = (draw(st.integers(0, 2)), draw(st.integers(0, 2)))
    dilation = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    h = draw(st.integers(max(1, dilation[0] * (kh - 1) + 1 - 2 * padding[0]), 9))
    w = draw(st.integers(max(1, dilation[1] * (kw - 1) + 1 - 2 * padding[1]), 9))
    w_q, w_scale, bias, x_scale, zp, relu, extreme = _qlayer_common(draw, rng, o, c * kh * kw)
    x = _qlayer_input(rng, (n, c, h, w), x_scale, zp, extreme)
    return (x, w_q.reshape(o, c, kh, kw), w_scale, bias, x_scale, zp, stride, padding,
            dilation, relu)


CASES = {
    # op: (argument strategy, rtol for float32, rtol for float64)
    "matmul": (matmul_args(), 1e-4, 1e-12),
    "erf": (erf_args(), 1e-6, 1e-15),
    "conv2d.forward": (conv_args("forward"), 1e-4, 1e-12),
    "conv2d.backward_input": (conv_args("backward_input"), 1e-4, 1e-12),
    "conv2d.backward_weight": (conv_args("backward_weight"), 1e-4, 1e-12),
    "max_pool2d.forward": (pool_forward_args(), 0, 0),
    "max_pool2d.backward": (pool_backward_args(), 1e-6, 1e-15),
    "softmax_xent.forward": (xent_case(), 1e-5, 1e-12),
    "softmax_xent.backward": (xent_backward_args(), 1e-5, 1e-12),
    "adam_update": (adam_args(), 1e-5, 1e-12),
    "relu.forward": (relu_case().map(lambda x: (x,)), 0, 0),
    "relu.backward": (relu_backward_args(), 0, 0),
    # float32: the reference's own error (1 + tanh u cancels for u ≪ 0) is ~4e-6 of dy
    "gelu.forward": (gelu_case(), 1e-5, 1e-13),
    "gelu.backward": (gelu_backward_args(), 1e-5, 1e-13),
    "layer_norm.forward": (layer_norm_case(), 1e-5, 1e-12),
    "layer_norm.backward": (layer_norm_backward_args(), 1e-5, 1e-12),
    "attention.forward": (attention_case(), 1e-4, 1e-12),
    "attention.backward": (attention_backward_args(), 1e-4, 1e-12),
    "qgemm": (qgemm_args(), 0, 0),          # integer results: exactly
    # same float32 operations on exact integers in every implementation: bit for bit
    "qlayer.linear": (qlayer_linear_args(), 0, 0),
    "qlayer.conv2d": (qlayer_conv2d_args(), 0, 0),
}


# -- tiny cases for the Numba CUDA kernels under the simulator ------------------------------
# The simulator runs every CUDA thread as a Python thread: its cost grows with blocks ×
# threads × barriers.  Shapes stay at 16–33 along the tiled axes (ragged against every tile
# size below) and the launch configurations are small; each case is (args, launch kwargs).

SIM_TILES = st.sampled_from([(16, 16, 8, 4, 4), (32, 32, 16, 4, 4), (8, 16, 8, 2, 4)])


@st.composite
def sim_matmul_case(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    m, k, n = (draw(st.integers(16, 33)) for _ in range(3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    kind = draw(st.sampled_from(["2d", "batched", "broadcast", "vector"]))
    a_shape, b_shape = {
        "2d": ((m, k), (k, n)),
        "batched": ((2, m, k), (2, k, n)),
        "broadcast": ((2, 1, m, k), (3, k, n)),
        "vector": ((m, k), (k,)),
    }[kind]
    a = rng.standard_normal(a_shape).astype(dtype)
    b = rng.standard_normal(b_shape).astype(dtype)
    return (a, b), {"tiles": draw(SIM_TILES)}


@st.composite
def sim_conv_geometry(draw):
    """N·OH·OW ≤ 2·6·6 and C·KH·KW ≤ 18: a handful of GEMM tiles."""
    arrays, geometry = _draw_conv(draw, batch=2, channels=2, outputs=3, kernel=3, stride=2,
                                  pad=1, side=7)
    launch = {"threads": draw(st.sampled_from([16, 32])),
              "tiles": draw(st.sampled_from([(16, 16, 8, 4, 4), (32, 32, 16, 4, 4)]))}
    return arrays, geometry, launch


def sim_conv_case(entry):
    def build(case):
        a, geometry, launch = case
        if entry == "forward":
            return (a["x"], a["w"]) + geometry, launch
        if entry == "backward_input":
            return (a["dy"], a["w"], a["x"].shape) + geometry, launch
        return (a["dy"], a["x"], a["w"].shape) + geometry, launch
    return sim_conv_geometry().map(build)


def sim_pool_case(entry):
    def build(case):
        x, geometry, threads = case
        if entry == "forward":
            return (x,) + geometry, {"threads": threads}
        from minigrad_kernels.pool import max_pool2d_forward_numpy
        y, arg = max_pool2d_forward_numpy(x, *geometry)
        dy = np.random.default_rng(1).standard_normal(y.shape).astype(x.dtype)
        return (dy, arg, x.shape) + geometry, {"threads": threads}
    threads = st.sampled_from([16, 32])
    return st.tuples(pool_geometry(), threads).map(lambda t: build((t[0][0], t[0][1], t[1])))


@st.composite
def sim_xent_case(draw, backward=False):
    n, k = draw(st.integers(1, 4)), draw(st.integers(16, 33))
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1.0, 30.0, 1e4]))
    logits = (rng.standard_normal((n, k)) * scale).astype(dtype)
    if draw(st.booleans()):
        target = rng.integers(0, k, n)
    else:
        target = rng.dirichlet(np.ones(k), n).astype(dtype)
    launch = {"threads": draw(st.sampled_from([4, 8, 16]))}
    if not backward:
        return (logits, target), launch
    from minigrad_kernels.softmax_xent import softmax_xent_numpy
    _, probs = softmax_xent_numpy(logits, target)
    dloss = rng.standard_normal(n).astype(dtype)
    return (probs, target, dloss), launch


SIM_CASES = {
    # op: strategy of (args, launch kwargs); tolerances as in CASES
    "matmul": sim_matmul_case(),
    "conv2d.forward": sim_conv_case("forward"),
    "conv2d.backward_input": sim_conv_case("backward_input"),
    "conv2d.backward_weight": sim_conv_case("backward_weight"),
    "max_pool2d.forward": sim_pool_case("forward"),
    "max_pool2d.backward": sim_pool_case("backward"),
    "softmax_xent.forward": sim_xent_case(),
    "softmax_xent.backward": sim_xent_case(backward=True),
    # 16–33 elements: ragged against 8–16 threads per block
    "adam_update": st.tuples(adam_args().filter(lambda a: a[0].size >= 5),
                             st.sampled_from([8, 16])).map(
        lambda t: (t[0], {"threads": t[1]})),
}
