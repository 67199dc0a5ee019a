"""Quantisation arithmetic (on NumPy arrays) and the observers that calibrate activations.

Weights, symmetric per output channel (row n of a Linear's weight, output channel n of a
Conv2d's), int8 in [−127, 127]:

    s_w[n] = max_k |w[n, k]| / 127          (1 for an all-zero channel)
    w_q[n, k] = round(w[n, k] / s_w[n])      ŵ = s_w · w_q,   |w − ŵ| ≤ s_w / 2

Activations, affine per tensor, int8 in [−128, 127], from a range [lo, hi] that contains 0
(so that 0 — padding, ReLU's zeros — is represented exactly):

    s = (hi − lo) / 255,   z = clamp(round(−128 − lo / s), −128, 127)
    x_q = clamp(round(x / s) + z, −128, 127)      x̂ = s · (x_q − z),  |x − x̂| ≤ s / 2 in range

``round`` is round-half-to-even (``np.rint``, as PyTorch's ``nearbyint``).
"""
import numpy as np

__all__ = ["quantize_weight", "quantize_per_tensor", "dequantize", "affine_qparams",
           "MinMaxObserver", "HistogramObserver"]

QMIN, QMAX = -128, 127


def quantize_weight(w, where="quantize_weight"):
    """(w_q int8, s_w float32 per output channel): symmetric per-channel along axis 0."""
    w = np.asarray(w, dtype=np.float32)
    if not np.isfinite(w).all():
        bad = "NaN" if np.isnan(w).any() else "infinite"
        raise ValueError(f"{where}: the weight has {bad} values; only finite weights can be "
                         f"quantised")
    amax = np.abs(w.reshape(w.shape[0], -1)).max(axis=1) if w.size else np.zeros(w.shape[0])
    scale = np.where(amax > 0, amax / 127, 1.0).astype(np.float32)
    shape = (-1,) + (1,) * (w.ndim - 1)
    q = np.clip(np.rint(w / scale.reshape(shape)), -127, 127).astype(np.int8)
    return q, scale


def affine_qparams(lo, hi):
    """(scale float32, zero point int) of the int8 affine map of the range [lo, hi] ∪ {0}."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = np.float32((hi - lo) / (QMAX - QMIN))
    if not scale > 0 or not np.isfinite(scale):
        scale = np.float32(1.0) if scale == 0 else scale
    zp = int(np.clip(np.rint(QMIN - lo / float(scale)), QMIN, QMAX))
    return scale, zp


def quantize_per_tensor(x, scale, zero_point):
    """x_q = clamp(round(x / s) + z, −128, 127), int8."""
    q = np.rint(np.asarray(x, dtype=np.float32) / np.float32(scale)) + zero_point
    return np.clip(q, QMIN, QMAX).astype(np.int8)


def dequantize(q, scale, zero_point=0, axis=None):
    """s · (q − z), float32; per channel along ``axis`` when ``scale`` is an array."""
    scale = np.asarray(scale, dtype=np.float32)
    if axis is not None and scale.ndim:
        shape = [1] * q.ndim
        shape[axis] = -1
        scale = scale.reshape(shape)
    return ((q.astype(np.float32) - np.float32(zero_point)) * scale).astype(np.float32)


class MinMaxObserver:
    """Running min and max of every value seen: the range [lo, hi] → (scale, zero point)."""

    def __init__(self):
        self.min_val, self.max_val, self.batches = np.inf, -np.inf, 0

    def observe(self, x, where="observer"):
        x = np.asarray(x)
        if x.size == 0:
            return
        if not np.isfinite(x).all():
            raise ValueError(f"{where}: a calibration batch has NaN or infinite values")
        self.min_val = min(self.min_val, float(x.min()))
        self.max_val = max(self.max_val, float(x.max()))
        self.batches += 1

    def range(self):
        return self.min_val, self.max_val

    def calculate_qparams(self):
        lo, hi = self.range()
        return affine_qparams(lo, hi)


class HistogramObserver(MinMaxObserver):
    """A histogram of every value seen (``bins`` bins over the running [min, max], re-binned
    when the range grows); the range is cut to the ``percentile`` (and 100 − percentile)
    percentiles, so rare outliers do not stretch the scale for everyone else."""

    def __init__(self, bins=2048, percentile=99.99):
        super().__init__()
        if not 50 < percentile <= 100:
            raise ValueError(f"HistogramObserver: percentile must be in (50, 100], got "
                             f"{percentile!r}")
        self.bins, self.percentile = int(bins), float(percentile)
        self.hist = np.zeros(self.bins)
        self.edges = None

    def observe(self, x, where="observer"):
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        if x.size == 0:
            return
        super().observe(x, where)
        lo, hi = self.min_val, self.max_val
        if hi == lo:
            hi = lo + 1e-12
        edges = np.linspace(lo, hi, self.bins + 1)
        if self.edges is not None and (self.edges[0] != lo or self.edges[-1] != hi):
            centers = (self.edges[:-1] + self.edges[1:]) / 2
            self.hist = np.histogram(centers, bins=edges, weights=self.hist)[0]
        elif self.edges is None:
            self.hist = np.zeros(self.bins)
        self.edges = edges
        self.hist += np.histogram(x, bins=edges)[0]

    def range(self):
        if self.edges is None:
            return self.min_val, self.max_val
        cdf = np.cumsum(self.hist) / self.hist.sum()
        tail = (100 - self.percentile) / 100
        lo_i = int(np.searchsorted(cdf, tail, side="left"))
        hi_i = int(np.searchsorted(cdf, 1 - tail, side="left"))
        return float(self.edges[lo_i]), float(self.edges[min(hi_i + 1, self.bins)])
