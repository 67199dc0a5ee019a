"""The blockwise attention kernels (fused Numba, BLAS tiles) on long sequences: they agree
with the reference where the key loop crosses many blocks (and a ragged last one), and never
hold the L × S scores; the BLAS tiles also on small tiles, across hypothesis cases."""
import numpy as np
import pytest
from hypothesis import given, settings

from benchmarks.timing import host_extra_bytes
from minigrad_kernels import attention
from tests.kernels.kernel_cases import attention_case

IMPLS = ("numba", "blas")


def _inputs(dtype, heads, length, keys, feat, seed=0):
    rng = np.random.default_rng(seed)
    q, k, v, dout = (rng.standard_normal(shape).astype(dtype) for shape in
                     ((heads, length, feat), (heads, keys, feat), (heads, keys, feat),
                      (heads, length, feat)))
    return q, k, v, dout


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("dtype, causal, masked",
                         [(np.float32, True, False), (np.float64, False, True),
                          (np.float32, False, False)])
def test_long_sequences_agree_with_the_reference(impl, dtype, causal, masked):
    """L = S = 1000: 16 key blocks of 64 (numba), 8 tiles of 128 (blas), the last one
    ragged."""
    forward = getattr(attention, f"attention_forward_{impl}")
    backward = getattr(attention, f"attention_backward_{impl}")
    q, k, v, dout = _inputs(dtype, 2, 1000, 1000, 16)
    mask = None
    if masked:    # one shared mask with a fully masked row and random holes
        rng = np.random.default_rng(1)
        mask = np.where(rng.random((1, 1000, 1000)) < 0.8, 0.0, -np.inf).astype(dtype)
        mask[:, 999] = -np.inf
    args = (q, k, v, 0.25, causal, mask)
    out, lse = attention.attention_forward_numpy(*args)
    got_out, got_lse = forward(*args)
    tol = 1e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(got_out, out, rtol=tol, atol=tol)
    np.testing.assert_allclose(got_lse, lse, rtol=tol, atol=tol)
    want = attention.attention_backward_numpy(dout, q, k, v, out, lse, 0.25, causal, mask)
    got = backward(dout, q, k, v, out, lse, 0.25, causal, mask)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)
    if masked:
        assert got_lse[0, 999] == -np.inf and not got_out[:, 999].any()
        assert not got[0][:, 999].any()


def test_blockwise_kernels_never_hold_the_scores():
    """At L = S = 1024 the reference allocates several (B, L, S) arrays; the fused kernel's
    extra memory (tracemalloc, the host cache off) is O((L + S)·E), the BLAS tiles' a few
    tiles: both far below one of them."""
    heads, length, feat = 2, 1024, 32
    q, k, v, dout = _inputs(np.float32, heads, length, length, feat)
    scores = heads * length * length * 4                       # one (B, L, S) float32 array
    for impl in IMPLS:                                           # compiled first
        out, lse = getattr(attention, f"attention_forward_{impl}")(q, k, v, 0.2, True)
        getattr(attention, f"attention_backward_{impl}")(dout, q, k, v, out, lse, 0.2, True)

    def peak(impl):       # the larger of forward's and backward's
        forward = getattr(attention, f"attention_forward_{impl}")
        backward = getattr(attention, f"attention_backward_{impl}")
        return max(host_extra_bytes(lambda: forward(q, k, v, 0.2, True)),
                   host_extra_bytes(lambda: backward(dout, q, k, v, out, lse, 0.2, True)))
    extra = {impl: peak(impl) for impl in ("numpy", *IMPLS)}
    assert extra["numpy"] >= scores                    # the reference does materialise them
    for impl in IMPLS:
        assert extra[impl] < scores / 16, (impl, extra)
        assert extra[impl] < extra["numpy"] / 50, (impl, extra)


@settings(max_examples=60, deadline=None)
@given(case=attention_case())
def test_blas_tiles_agree_with_the_reference_across_tiles(case, monkeypatch_tiles):
    """Tiles of 2 heads × 16 queries × 8 keys, so that the hypothesis cases (L, S ≤ 70)
    cross head chunks, query blocks and key blocks, with ragged last ones: the online
    softmax's rescaling, the causal skips (keys that no query sees when S > L included)
    and the accumulation of dq, dk, dv across tiles all run."""
    q, k, v, scale, causal, mask, dropout = case
    want = attention.attention_forward_numpy(q, k, v, scale, causal, mask, dropout)
    got = attention.attention_forward_blas(q, k, v, scale, causal, mask, dropout)
    dout = np.random.default_rng(4).standard_normal(want[0].shape).astype(q.dtype)
    args = (dout, q, k, v, *want, scale, causal, mask, dropout)   # the same out and lse
    want += attention.attention_backward_numpy(*args)
    got += attention.attention_backward_blas(*args)
    tol = 1e-4 if q.dtype == np.float32 else 1e-12
    for name, g, w in zip(("out", "lse", "dq", "dk", "dv"), got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape, name
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol, err_msg=name)


@pytest.fixture(scope="module")
def monkeypatch_tiles():
    with pytest.MonkeyPatch.context() as patch:
        itemsize = 8              # float64: 2 heads a tile; float32: 4
        patch.setattr(attention, "TILE_ROWS", 16)
        patch.setattr(attention, "TILE_KEYS", 8)
        patch.setattr(attention, "TILE_BYTES", 2 * 16 * 8 * itemsize)
        yield


@pytest.mark.parametrize("impl", IMPLS)
@pytest.mark.parametrize("length, keys", [(0, 3), (3, 0), (0, 0)])
def test_empty_sequences(impl, length, keys):
    """No query: empty outputs; no key: out 0 and lse −inf (the contract's row with no
    key); every gradient 0, of its input's shape."""
    q, k, v = (np.ones((2, n, 4), np.float32) for n in (length, keys, keys))
    out, lse = getattr(attention, f"attention_forward_{impl}")(q, k, v, 0.5, True)
    assert out.shape == (2, length, 4) and not out.any()
    assert lse.shape == (2, length) and (lse == -np.inf).all()
    grads = getattr(attention, f"attention_backward_{impl}")(np.ones_like(out), q, k, v,
                                                             out, lse, 0.5, True)
    for g, x in zip(grads, (q, k, v), strict=True):
        assert g.shape == x.shape and not g.any()
