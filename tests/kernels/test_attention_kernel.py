"""The fused Numba attention kernel on long sequences: it agrees with the reference where
the key loop crosses many blocks (and a ragged last one), and never holds the L × S scores."""
import numpy as np
import pytest

from benchmarks.timing import host_extra_bytes
from minigrad_kernels import attention


def _inputs(dtype, heads, length, keys, feat, seed=0):
    rng = np.random.default_rng(seed)
    q, k, v, dout = (rng.standard_normal(shape).astype(dtype) for shape in
                     ((heads, length, feat), (heads, keys, feat), (heads, keys, feat),
                      (heads, length, feat)))
    return q, k, v, dout


@pytest.mark.parametrize("dtype, causal, masked",
                         [(np.float32, True, False), (np.float64, False, True),
                          (np.float32, False, False)])
def test_long_sequences_agree_with_the_reference(dtype, causal, masked):
    """L = S = 1000: 16 key blocks of 64, the last one 40 wide."""
    q, k, v, dout = _inputs(dtype, 2, 1000, 1000, 16)
    mask = None
    if masked:    # one shared mask with a fully masked row and random holes
        rng = np.random.default_rng(1)
        mask = np.where(rng.random((1, 1000, 1000)) < 0.8, 0.0, -np.inf).astype(dtype)
        mask[:, 999] = -np.inf
    args = (q, k, v, 0.25, causal, mask)
    out, lse = attention.attention_forward_numpy(*args)
    got_out, got_lse = attention.attention_forward_numba(*args)
    tol = 1e-4 if dtype == np.float32 else 1e-11
    np.testing.assert_allclose(got_out, out, rtol=tol, atol=tol)
    np.testing.assert_allclose(got_lse, lse, rtol=tol, atol=tol)
    want = attention.attention_backward_numpy(dout, q, k, v, out, lse, 0.25, causal, mask)
    got = attention.attention_backward_numba(dout, q, k, v, out, lse, 0.25, causal, mask)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol)
    if masked:
        assert got_lse[0, 999] == -np.inf and not got_out[:, 999].any()
        assert not got[0][:, 999].any()


def test_fused_kernel_never_holds_the_scores():
    """At L = S = 1024 the reference allocates several (B, L, S) arrays; the fused kernel's
    extra memory (tracemalloc, the host cache off) is O((L + S)·E), far below one of them."""
    heads, length, feat = 2, 1024, 32
    q, k, v, dout = _inputs(np.float32, heads, length, length, feat)
    scores = heads * length * length * 4                       # one (B, L, S) float32 array
    out, lse = attention.attention_forward_numba(q, k, v, 0.2, True)   # compiled first
    attention.attention_backward_numba(dout, q, k, v, out, lse, 0.2, True)

    def peak(impl):       # the larger of forward's and backward's
        forward = getattr(attention, f"attention_forward_{impl}")
        backward = getattr(attention, f"attention_backward_{impl}")
        return max(host_extra_bytes(lambda: forward(q, k, v, 0.2, True)),
                   host_extra_bytes(lambda: backward(dout, q, k, v, out, lse, 0.2, True)))
    extra = {impl: peak(impl) for impl in ("numpy", "numba")}
    assert extra["numpy"] >= scores                    # the reference does materialise them
    assert extra["numba"] < scores / 16
    assert extra["numba"] < extra["numpy"] / 50
