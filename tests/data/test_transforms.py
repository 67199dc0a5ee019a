"""Batch transforms: exact values where there is one, shapes, inverses, reproducibility."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minigrad
from minigrad.data import (Compose, Normalize, RandomCrop, RandomHorizontalFlip, RandomRotation,
                           ToFloat, to_categorical)

RNG = np.random.default_rng(0)
NCHW = RNG.random((5, 3, 8, 6)).astype(np.float32)
NHW = RNG.integers(0, 256, (5, 8, 6)).astype(np.uint8)


def test_normalize_exact_scalar_and_per_channel():
    np.testing.assert_array_equal(Normalize(0.5, 0.25)(NCHW), (NCHW - 0.5) / 0.25)
    mean, std = [0.1, 0.2, 0.3], [1.0, 2.0, 4.0]
    out = Normalize(mean, std)(NCHW)
    assert out.dtype == np.float32
    for c in range(3):
        np.testing.assert_array_equal(out[:, c], (NCHW[:, c] - np.float32(mean[c]))
                                      / np.float32(std[c]))
    assert Normalize(0, 1)(NHW).dtype == np.float32
    assert Normalize(0, 1)(NCHW.astype(np.float64)).dtype == np.float64
    with pytest.raises(ValueError, match=r"3 per-channel values need a batch \(N, 3, \.\.\.\)"):
        Normalize(mean, std)(NHW)
    with pytest.raises(ValueError, match="std must be positive"):
        Normalize(0, 0)


def test_to_float():
    out = ToFloat()(NHW)
    assert out.dtype == np.float32 and out.max() <= 1
    np.testing.assert_allclose(out * 255, NHW, rtol=1e-6)


@pytest.mark.parametrize("x", [NCHW, NHW], ids=["NCHW", "NHW"])
def test_crop_shapes_and_windows(x):
    out = RandomCrop((4, 5), seed=0)(x)
    assert out.shape == x.shape[:-2] + (4, 5) and out.dtype == x.dtype
    for n in range(len(x)):                          # each crop is a window of its own image
        img, crop = x[n], out[n]
        hits = [(i, j) for i in range(x.shape[-2] - 3) for j in range(x.shape[-1] - 4)
                if np.array_equal(img[..., i:i + 4, j:j + 5], crop)]
        assert hits


def test_crop_with_padding_and_full_size():
    out = RandomCrop(8, padding=2, seed=1)(NCHW)                   # (8, 6) padded to (12, 10)
    assert out.shape == (5, 3, 8, 8)
    np.testing.assert_array_equal(RandomCrop((8, 6))(NCHW), NCHW)     # no room: identity
    with pytest.raises(ValueError, match=r"\(9, 6\) crop does not fit"):
        RandomCrop((9, 6))(NCHW)


def test_crop_padding_reaches_the_border():
    x = np.ones((200, 4, 4), np.float32)
    out = RandomCrop(4, padding=1, seed=0)(x)
    assert (out == 0).any() and (out == 1).any()


@pytest.mark.parametrize("x", [NCHW, NHW], ids=["NCHW", "NHW"])
def test_flip_is_its_own_inverse(x):
    flip = RandomHorizontalFlip(p=1.0)
    np.testing.assert_array_equal(flip(x), x[..., ::-1])
    np.testing.assert_array_equal(flip(flip(x)), x)
    np.testing.assert_array_equal(RandomHorizontalFlip(p=0.0)(x), x)


def test_flip_flips_some_examples_whole():
    x = np.repeat(NHW, 40, axis=0)
    out = RandomHorizontalFlip(p=0.5, seed=0)(x)
    flipped = np.array([np.array_equal(o, i[:, ::-1]) for o, i in zip(out, x)])
    kept = np.array([np.array_equal(o, i) for o, i in zip(out, x)])
    assert (flipped | kept).all() and 0 < flipped.sum() < len(x)


@pytest.mark.parametrize("interpolation", ["bilinear", "nearest"])
@pytest.mark.parametrize("x", [NCHW, NHW], ids=["NCHW", "NHW"])
def test_rotation_by_zero_is_identity(x, interpolation):
    out = RandomRotation(0, interpolation=interpolation)(x)
    assert out.dtype == x.dtype and out.shape == x.shape
    np.testing.assert_array_equal(out, x)


def test_rotation_by_90_degrees_on_a_square():
    x = RNG.random((2, 1, 5, 5))
    out = RandomRotation((90, 90), interpolation="bilinear")(x)
    np.testing.assert_allclose(out, np.rot90(x, k=1, axes=(2, 3)), atol=1e-12)   # counter-clockwise
    out = RandomRotation((90, 90), interpolation="nearest")(x)
    np.testing.assert_array_equal(out, np.rot90(x, k=1, axes=(2, 3)))


def test_small_rotation_keeps_a_blob_near_the_centre():
    x = np.zeros((1, 9, 9), np.float32)
    x[0, 3:6, 3:6] = 1
    out = RandomRotation(10, seed=0)(x)
    assert out[0, 4, 4] == pytest.approx(1) and out[0, 0, 0] == 0
    assert 7 < out.sum() < 11


@given(st.integers(0, 2 ** 31))
def test_random_transforms_reproducible(seed):
    pipeline = lambda: Compose([RandomCrop(6, padding=1), RandomHorizontalFlip(),   # noqa: E731
                                RandomRotation(15)])
    minigrad.manual_seed(seed)
    a = pipeline()(NCHW)
    minigrad.manual_seed(seed)
    b = pipeline()(NCHW)
    np.testing.assert_array_equal(a, b)
    c = Compose([RandomCrop(6, padding=1, seed=seed), RandomHorizontalFlip(seed=seed)])
    d = Compose([RandomCrop(6, padding=1, seed=seed), RandomHorizontalFlip(seed=seed)])
    np.testing.assert_array_equal(c(NCHW), d(NCHW))


def test_bad_shapes_and_arguments():
    with pytest.raises(ValueError, match=r"\(N, C, H, W\) or \(N, H, W\), got shape \(3, 4\)"):
        RandomCrop(2)(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="interpolation"):
        RandomRotation(5, interpolation="cubic")
    with pytest.raises(ValueError, match=r"p must be a finite number in \[0, 1\], got 2"):
        RandomHorizontalFlip(p=2)


def test_to_categorical():
    out = to_categorical([0, 2, 1], 4)
    np.testing.assert_array_equal(out, np.eye(4, dtype=np.float32)[[0, 2, 1]])
    assert to_categorical(np.array([[1], [0]])).shape == (2, 1, 2)
    with pytest.raises(ValueError, match="labels in 0…2, got values from 0 to 3"):
        to_categorical([0, 3], num_classes=3)
    with pytest.raises(TypeError, match="integer labels"):
        to_categorical([0.5])


def test_compose_and_loader_load_state_dict_are_all_or_nothing():
    """A state whose second transform does not fit leaves the first one (and the loader's
    generator) as they were."""
    from minigrad.data import DataLoader

    def pipeline():
        return Compose([RandomCrop(4, padding=1, seed=1), RandomHorizontalFlip(seed=2)])

    compose = pipeline()
    other = pipeline()
    other(NCHW)                                   # its generators have moved on
    good = other.state_dict()
    bad = {"transforms": [good["transforms"][0], {"rng": {"bit_generator": "MT19937"}}]}
    before = compose.state_dict()
    with pytest.raises(ValueError, match="RandomHorizontalFlip.load_state_dict"):
        compose.load_state_dict(bad)
    assert compose.state_dict() == before
    loader = DataLoader((NCHW, np.arange(len(NCHW))), batch_size=2, shuffle=True, seed=0,
                        transform=pipeline())
    moved = DataLoader((NCHW, np.arange(len(NCHW))), batch_size=2, shuffle=True, seed=0,
                       transform=pipeline())
    list(moved)
    state = moved.state_dict()
    state["transform"] = bad
    before = loader.state_dict()
    with pytest.raises(ValueError, match="RandomHorizontalFlip.load_state_dict"):
        loader.load_state_dict(state)
    assert loader.state_dict() == before
    compose.load_state_dict(good)
    assert compose.state_dict() == good
