"""Transforms on whole batches of NumPy arrays: images (N, C, H, W) or (N, H, W).

Each transform is a callable ``t(x) -> array`` drawing one random choice per example (at
once, vectorised) from minigrad's generator, so ``minigrad.manual_seed`` makes a pipeline
reproducible; ``seed=`` gives a transform its own generator instead.

>>> augment = Compose([ToFloat(), RandomCrop(28, padding=2), RandomHorizontalFlip(),
...                    Normalize(0.2860, 0.3530)])
>>> DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, transform=augment)
"""
import numbers

import numpy as np

from .. import random as _random
from .._check import check_choice, check_int, check_real, check_seed, got, is_int

__all__ = ["Compose", "ToFloat", "Normalize", "RandomCrop", "RandomHorizontalFlip",
           "RandomRotation", "to_categorical"]


def _images(x, who):
    """``x`` as an array (N, C, H, W) (a (N, H, W) batch gets C = 1) and a function undoing it."""
    x = np.asarray(x)
    if x.ndim == 3:
        return x[:, None], lambda y: y[:, 0]
    if x.ndim == 4:
        return x, lambda y: y
    raise ValueError(f"{who}: expected a batch of images (N, C, H, W) or (N, H, W), got shape "
                     f"{x.shape}")


class _Random:
    """A transform with a generator: its own when seeded, else minigrad's (looked up per call,
    because ``manual_seed`` replaces it)."""

    def __init__(self, seed=None):
        seed = check_seed(type(self).__name__, seed)
        self._rng = np.random.default_rng(seed) if seed is not None else None

    @property
    def rng(self):
        return self._rng if self._rng is not None else _random.generator()

    def state_dict(self):
        """``{"rng": its own generator's state, or None when it draws from minigrad's}``."""
        return {"rng": None if self._rng is None else _random.generator_state(self._rng)}

    def load_state_dict(self, state_dict):
        who = f"{type(self).__name__}.load_state_dict"
        saved = state_dict.get("rng") if isinstance(state_dict, dict) else state_dict
        if not isinstance(state_dict, dict) or (saved is None) != (self._rng is None):
            expected = "None" if self._rng is None else "a generator state"
            raise ValueError(f"{who}: expected {{'rng': {expected}}}, got "
                             f"{state_dict!r:.200}")
        if self._rng is not None:
            _random.set_generator_state(self._rng, saved, who)


class Compose:
    """Apply ``transforms`` in order: ``Compose([a, b])(x) == b(a(x))``."""

    def __init__(self, transforms):
        if callable(transforms) or isinstance(transforms, (str, bytes, dict)) or \
                not hasattr(transforms, "__iter__"):
            raise TypeError(f"Compose: transforms must be a list of callables, got "
                            f"{got(transforms)}; pass Compose([t]) for one transform")
        self.transforms = list(transforms)
        for i, t in enumerate(self.transforms):
            if not callable(t):
                raise TypeError(f"Compose: transforms[{i}] must be a callable, got {got(t)}")

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def state_dict(self):
        """The generator states of the transforms that have one (None for the others)."""
        return {"transforms": [_random.state_of(t) for t in self.transforms]}

    def load_state_dict(self, state_dict):
        saved = state_dict.get("transforms") if isinstance(state_dict, dict) else None
        if not isinstance(saved, list) or len(saved) != len(self.transforms):
            raise ValueError(f"Compose.load_state_dict: expected {{'transforms': a list of "
                             f"{len(self.transforms)}}}, got {state_dict!r:.200}")
        previous = self.state_dict()["transforms"]
        try:
            for i, (t, s) in enumerate(zip(self.transforms, saved)):
                _random.load_state_of(t, s, f"Compose.load_state_dict: transforms[{i}]")
        except BaseException:           # all or nothing: the transforms loaded are put back
            for t, s in zip(self.transforms, previous):
                _random.load_state_of(t, s, "Compose.load_state_dict")
            raise

    def __repr__(self):
        return f"Compose({self.transforms!r})"


class ToFloat:
    """Cast to ``dtype`` (float32) and multiply by ``scale`` (1/255: uint8 pixels to [0, 1])."""

    def __init__(self, scale=1 / 255, dtype=np.float32):
        check_real("ToFloat", "scale", scale)
        self.scale, self.dtype = scale, _float_dtype("ToFloat", dtype)

    def __call__(self, x):
        return np.asarray(x).astype(self.dtype) * self.dtype.type(self.scale)


class Normalize:
    """``(x − mean) / std``, per channel (axis 1) when ``mean``/``std`` are sequences of C.

    Integer input becomes float32; floating input keeps its dtype.

    Args:
        mean, std: numbers, or sequences of length C for a batch (N, C, H, W).
    """

    def __init__(self, mean, std):
        self.mean = _numbers("Normalize", "mean", mean)
        self.std = _numbers("Normalize", "std", std)
        if self.mean.ndim > 1 or self.std.ndim > 1:
            raise ValueError(f"Normalize: expected numbers or 1-d sequences, got mean of shape "
                             f"{self.mean.shape} and std of shape {self.std.shape}")
        if np.any(self.std <= 0):
            raise ValueError(f"Normalize: std must be positive, got {self.std.tolist()}")

    def __call__(self, x):
        x = np.asarray(x)
        dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
        mean, std = self.mean, self.std
        if mean.ndim == 1 or std.ndim == 1:
            c = max(mean.size, std.size)
            if x.ndim < 2 or x.shape[1] != c:
                raise ValueError(f"Normalize: {c} per-channel values need a batch (N, {c}, ...), "
                                 f"got shape {x.shape}")
            shape = (1, c) + (1,) * (x.ndim - 2)
            mean, std = np.broadcast_to(mean, (c,)).reshape(shape), \
                np.broadcast_to(std, (c,)).reshape(shape)
        return (x.astype(dtype) - mean.astype(dtype)) / std.astype(dtype)

    def __repr__(self):
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


def _float_dtype(who, dtype):
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind != "f":
        raise TypeError(f"{who}: dtype must be a floating-point dtype (np.float32...), got "
                        f"{got(dtype)}")
    return dtype


def _numbers(who, name, value):
    """``value`` (a number or a sequence of them) as a float64 array, all finite."""
    array = np.asarray(value) if not isinstance(value, (str, bytes)) else None
    if array is None or array.dtype.kind not in "iuf" or array.size == 0:
        raise TypeError(f"{who}: {name} must be a number or a sequence of numbers, got "
                        f"{got(value)}")
    array = array.astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{who}: {name} must be finite, got {array.tolist()}")
    return array


def _pair(size, who):
    """An int ≥ 1 or a pair of them, as (height, width)."""
    pair = (size, size) if is_int(size) else size
    if isinstance(pair, (tuple, list)) and len(pair) == 2 and all(is_int(s) for s in pair):
        if min(pair) >= 1:
            return int(pair[0]), int(pair[1])
        raise ValueError(f"{who}: size must be an int ≥ 1 or (height, width) ints ≥ 1, got "
                         f"{size!r}")
    raise TypeError(f"{who}: size must be an int ≥ 1 or (height, width) ints ≥ 1, got "
                    f"{got(size)}")


class RandomCrop(_Random):
    """A random (h, w) window of each image, after zero-padding ``padding`` pixels each side.

    Args:
        size: int or (h, w).
        padding: pixels of ``fill`` added on every side of H and W first.
    Shapes: (N, C, H, W) -> (N, C, h, w); (N, H, W) -> (N, h, w).
    """

    def __init__(self, size, padding=0, fill=0, seed=None):
        super().__init__(seed)
        self.size = _pair(size, "RandomCrop")
        self.padding = check_int("RandomCrop", "padding", padding, low=0)
        check_real("RandomCrop", "fill", fill)
        self.fill = fill

    def __call__(self, x):
        x4, undo = _images(x, "RandomCrop")
        p = self.padding
        if p:
            x4 = np.pad(x4, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=self.fill)
        n, _, hp, wp = x4.shape
        h, w = self.size
        if h > hp or w > wp:
            raise ValueError(f"RandomCrop: a ({h}, {w}) crop does not fit images of "
                             f"({hp}, {wp}) (padding {p} included)")
        top = self.rng.integers(0, hp - h + 1, size=n)
        left = self.rng.integers(0, wp - w + 1, size=n)
        windows = np.lib.stride_tricks.sliding_window_view(x4, (h, w), axis=(2, 3))
        # windows: a view (N, C, H+2p−h+1, W+2p−w+1, h, w); one gather picks each example's
        return undo(windows[np.arange(n), :, top, left])            # (N, C, h, w)


class RandomHorizontalFlip(_Random):
    """Mirror each image left-right (along W) with probability ``p``; shapes unchanged."""

    def __init__(self, p=0.5, seed=None):
        check_real("RandomHorizontalFlip", "p", p, 0, 1)
        super().__init__(seed)
        self.p = p

    def __call__(self, x):
        x = np.asarray(x)
        if x.ndim < 3:
            raise ValueError(f"RandomHorizontalFlip: expected images (N, C, H, W) or (N, H, W),"
                             f" got shape {x.shape}")
        flip = self.rng.random(len(x)) < self.p                     # (N,)
        out = x.copy()
        out[flip] = x[flip][..., ::-1]
        return out


class RandomRotation(_Random):
    """Rotate each image about its centre by an angle drawn uniformly in degrees.

    Inverse mapping: every output pixel (i, j) samples the input at its position rotated back
    by θ about the centre c = ((H−1)/2, (W−1)/2); with u = j − cx, v = i − cy,

        x_src = cx + u cos θ − v sin θ,      y_src = cy + u sin θ + v cos θ

    (θ > 0 turns the picture counter-clockwise), read bilinearly (or at the nearest pixel);
    points outside the image read ``fill``.  Integer images are rounded back to their dtype.

    Args:
        degrees: d for angles in [−d, d], or (low, high).
        interpolation: "bilinear" or "nearest".
        fill: the value of pixels that come from outside the image.
    Shapes: (N, C, H, W) or (N, H, W), unchanged.
    """

    def __init__(self, degrees, interpolation="bilinear", fill=0, seed=None):
        if isinstance(degrees, numbers.Real) and not isinstance(degrees, (bool, np.bool_)):
            d = check_real("RandomRotation", "degrees", degrees, low=0)
            self.degrees = (-d, d)
        elif isinstance(degrees, (tuple, list)) and len(degrees) == 2:
            self.degrees = tuple(check_real("RandomRotation", f"degrees[{i}]", d)
                                 for i, d in enumerate(degrees))
            if self.degrees[0] > self.degrees[1]:
                raise ValueError(f"RandomRotation: degrees must be d ≥ 0 or (low, high) with "
                                 f"low ≤ high, got {degrees!r}")
        else:
            raise TypeError(f"RandomRotation: degrees must be a number d ≥ 0 or a pair "
                            f"(low, high), got {got(degrees)}")
        self.interpolation = check_choice("RandomRotation", "interpolation", interpolation,
                                          ("bilinear", "nearest"))
        check_real("RandomRotation", "fill", fill)
        self.fill = fill
        super().__init__(seed)

    def __call__(self, x):
        x4, undo = _images(x, "RandomRotation")
        n, c, h, w = x4.shape
        theta = np.deg2rad(self.rng.uniform(*self.degrees, size=n))[:, None, None]  # (N, 1, 1)
        cy, cx = (h - 1) / 2, (w - 1) / 2
        v, u = np.meshgrid(np.arange(h) - cy, np.arange(w) - cx, indexing="ij")     # (H, W)
        cos, sin = np.cos(theta), np.sin(theta)
        xs = cx + u * cos - v * sin                                   # (N, H, W)
        ys = cy + u * sin + v * cos
        flat = x4.reshape(n, c, h * w)
        fill = np.float64(self.fill)

        def read(yi, xi):
            """x4 at integer positions (N, H, W), ``fill`` outside: (N, C, H, W) float64."""
            inside = (yi >= 0) & (yi < h) & (xi >= 0) & (xi < w)
            idx = (np.clip(yi, 0, h - 1) * w + np.clip(xi, 0, w - 1)).reshape(n, 1, h * w)
            vals = np.take_along_axis(flat, idx, axis=2).reshape(n, c, h, w)
            return np.where(inside[:, None], vals, fill)

        if self.interpolation == "nearest":
            out = read(np.rint(ys).astype(np.int64), np.rint(xs).astype(np.int64))
        else:
            x0, y0 = np.floor(xs), np.floor(ys)
            wx, wy = (xs - x0)[:, None], (ys - y0)[:, None]           # (N, 1, H, W)
            x0, y0 = x0.astype(np.int64), y0.astype(np.int64)
            out = ((1 - wy) * ((1 - wx) * read(y0, x0) + wx * read(y0, x0 + 1))
                   + wy * ((1 - wx) * read(y0 + 1, x0) + wx * read(y0 + 1, x0 + 1)))
        if x4.dtype.kind in "iub":
            info = np.iinfo(x4.dtype) if x4.dtype.kind != "b" else None
            out = np.rint(out)
            if info is not None:
                out = np.clip(out, info.min, info.max)
        return undo(out.astype(x4.dtype))


def to_categorical(labels, num_classes=None, dtype=np.float32):
    """One-hot rows for integer class labels: (N,) -> (N, K), or (...) -> (..., K).

    Args:
        labels: int array of classes in 0…K−1.
        num_classes: K; None takes ``labels.max() + 1``.
        dtype: of the result (float32).
    """
    num_classes = check_int("to_categorical", "num_classes", num_classes, low=1, none=True)
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        if labels.dtype.kind == "f" and np.all(labels == np.round(labels)):
            labels = labels.astype(np.int64)
        else:
            raise TypeError(f"to_categorical: expected integer labels, got dtype {labels.dtype}")
    k = int(labels.max()) + 1 if num_classes is None and labels.size else num_classes or 0
    if labels.size and (labels.min() < 0 or labels.max() >= k):
        raise ValueError(f"to_categorical: expected labels in 0…{k - 1}, got values from "
                         f"{labels.min()} to {labels.max()}")
    out = np.zeros(labels.shape + (k,), dtype=dtype)
    np.put_along_axis(out, labels[..., None].astype(np.int64), 1, axis=-1)
    return out

