"""Scaled dot-product attention, forward and backward, over a flat batch of heads.

Contract (every implementation):

    attention_forward(q, k, v, scale, is_causal=False, mask=None, dropout=None)
        -> (out, lse)
    attention_backward(dout, q, k, v, out, lse, scale, is_causal=False, mask=None,
                       dropout=None) -> (dq, dk, dv)

    q (B, L, E), k (B, S, E), v (B, S, Ev), one float dtype; B is every batch and head
    axis flattened.  ``mask`` None, (B, L, S) or (1, L, S) (one for the whole batch),
    additive (0 keeps, −inf drops; any finite value is a bias); ``is_causal`` drops key j
    for query i when j > i (the top-left triangle, PyTorch's convention when L ≠ S).
    ``dropout`` None or (B, L, S) multipliers (0 or 1/(1 − p)) applied to the
    probabilities.  out (B, L, Ev), lse (B, L).

    sᵢⱼ   = scale · qᵢ·kⱼ + maskᵢⱼ                      (−inf where dropped)
    lseᵢ  = log Σⱼ e^sᵢⱼ                                 (−inf for a row with no key)
    pᵢⱼ   = e^(sᵢⱼ − lseᵢ)                               (0 for a row with no key)
    outᵢ  = Σⱼ pᵢⱼ·dropᵢⱼ · vⱼ

    backward, with P recomputed from lse (no L × S matrix is kept between the passes):
    dv    = (P ⊙ drop)ᵀ · dout
    dPᵢⱼ  = drop ᵢⱼ · (doutᵢ · vⱼ)
    Dᵢ    = Σⱼ pᵢⱼ dPᵢⱼ = doutᵢ · outᵢ                   (one dot per row)
    dsᵢⱼ  = pᵢⱼ · (dPᵢⱼ − Dᵢ)                            (the softmax Jacobian)
    dq    = scale · dS · K,   dk = scale · dSᵀ · Q

A query row whose every key is dropped gives out = 0 and zero gradients (PyTorch ≥ 2.5's
behaviour), not NaN.
"""
import numba
import numpy as np

from ._arrays import array_module, flat, half_via_single
from ._fastmath import exp_nonpositive, exp_nonpositive_of
from .memory import empty


def _scores(q, k, scale, is_causal, mask):
    """scale · q·kᵀ with the causal triangle and the additive mask applied: (B, L, S)."""
    xp = array_module(q)
    s = (q @ k.transpose(0, 2, 1)) * q.dtype.type(scale)
    if is_causal:
        length, keys = s.shape[1:]
        s[:, xp.triu(xp.ones((length, keys), dtype=bool), 1)] = -xp.inf
    if mask is not None:
        s += mask
    return s


def _probabilities(s, lse):
    """e^(s − lse), with 0 in rows that have no key (lse = −inf)."""
    xp = array_module(s)
    finite = xp.isfinite(lse)[..., None]
    return xp.where(finite, xp.exp(s - xp.where(finite, lse[..., None], 0)), 0).astype(s.dtype)


def attention_forward_numpy(q, k, v, scale, is_causal=False, mask=None, dropout=None):
    """Reference: the (B, L, S) scores, a max-shifted softmax, the weighted sum (any array
    module: it uses q's; also the CuPy implementation)."""
    xp = array_module(q)
    s = _scores(q, k, scale, is_causal, mask)
    m = s.max(axis=2, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)                      # a row with no key: −inf − −inf
    total = xp.exp(s - m).sum(axis=2)                       # (B, L)
    with _quiet(xp):
        lse = xp.log(total) + m[..., 0]                     # log 0 = −inf for such a row
    p = _probabilities(s, lse)
    if dropout is not None:
        p *= dropout
    return p @ v, lse.astype(q.dtype, copy=False)


def attention_backward_numpy(dout, q, k, v, out, lse, scale, is_causal=False, mask=None,
                             dropout=None):
    """Reference: recompute P from lse, then the four products of the docstring."""
    p = _probabilities(_scores(q, k, scale, is_causal, mask), lse)
    dp = dout @ v.transpose(0, 2, 1)                        # (B, L, S)
    if dropout is not None:
        dp *= dropout
        dv = (p * dropout).transpose(0, 2, 1) @ dout
    else:
        dv = p.transpose(0, 2, 1) @ dout
    delta = (dout * out).sum(axis=2, keepdims=True)         # (B, L, 1)
    ds = p * (dp - delta) * q.dtype.type(scale)
    return ds @ k, ds.transpose(0, 2, 1) @ q, dv


class _quiet:
    """NumPy's errstate for log(0) (a row with no key); nothing to silence on CuPy."""

    def __init__(self, xp):
        self.state = xp.errstate(divide="ignore") if hasattr(xp, "errstate") else None

    def __enter__(self):
        if self.state is not None:
            self.state.__enter__()

    def __exit__(self, *exc):
        if self.state is not None:
            self.state.__exit__(*exc)


# ---------------------------------------------------------------------------------------
# Numba: fused and blockwise (the FlashAttention recurrence), single-threaded (see
# minigrad_kernels.DEFAULTS).  Per head, the queries go by blocks of BLOCK_Q rows and the
# keys by blocks of BLOCK_K; one (BLOCK_Q, BLOCK_K) tile of scores exists at a time, so the
# memory beyond the outputs is O((L + S)·E), never O(L·S).
#
# * Products are written as axpy loops over a contiguous row (sᵢ,· += qᵢₑ·kᵀₑ,·; accᵢ,· +=
#   pᵢⱼ·vⱼ,·): no reduction to reassociate, so LLVM vectorises them as written and each
#   sum's order (hence its bits) does not depend on the vector width.  kᵀ and vᵀ are
#   transposed once per head for that.  Only the row sums and row maxima are reductions.
# * e^x is ``_fastmath.exp_nonpositive``: no SVML in this environment, so np.exp in a loop
#   is a scalar libm call per score (twice: forward and backward); that polynomial is
#   plain multiply-adds, which vectorise.
# * The scratch arrays are allocated by the Python wrappers with ``memory.empty`` and passed
#   in: they come from the host cache, and tracemalloc (which sees NumPy's allocations, not
#   Numba's) counts them when the extra memory is measured.

BLOCK_Q = 64
BLOCK_K = 64
# reassoc lets the row sums vectorise; no nnan/ninf: −inf is a value here (masked scores)
_FAST = {"nsz", "arcp", "contract", "reassoc"}


# Every array reaches the compiled loops flat (1-D, C order) and is indexed by an unsigned
# offset, U(...): a view per row (q[b, i]) costs a reference-count increment and decrement
# per inner loop, and a signed index j0 + c a negative-index test that kept LLVM from
# vectorising (or made it gather) — as in conv2d's loops.  Scalars that meet array elements
# in a loop have the arrays' dtype (``dt(...)``): a float64 scalar would widen every float32
# product to float64.
U = np.uint64


@numba.njit(inline="always")
def _transpose(a, base, rows, cols, out, factor):
    """out[e·rows + j] = factor · a[base + j·cols + e]: one head's keys or values,
    feature-major, so a tile's products are contiguous axpys."""
    for j in range(rows):
        for e in range(cols):
            out[U(e * rows + j)] = a[U(base + j * cols + e)] * factor


@numba.njit(inline="always")
def _visible(causal, row, j0, nb):
    """How many of the keys j0 … j0 + nb − 1 query ``row`` sees: all, or under the causal
    mask those up to the diagonal (the others are −inf: no product, no e^x is spent on
    them, which halves a diagonal tile's work)."""
    return min(nb, max(0, row + 1 - j0)) if causal else nb


@numba.njit(inline="always")
def _tile_scores(q, qo, feat, kt, keys, j0, nr, nb, s, causal, row0, mask, mo, has_mask):
    """s[r, c] = q[qo + r·E:]·kt[:, j0 + c] (+ mask[mo + r·S + c]), −inf where causal drops
    key j0 + c for query row0 + r."""
    for r in range(nr):
        so, qr = r * BLOCK_K, qo + r * feat
        n = _visible(causal, row0 + r, j0, nb)
        for c in range(n):
            s[U(so + c)] = 0.0
        for e in range(feat):
            a, ko = q[U(qr + e)], e * keys + j0
            for c in range(n):
                s[U(so + c)] += a * kt[U(ko + c)]
        if has_mask:
            mr = mo + r * keys
            for c in range(n):
                s[U(so + c)] += mask[U(mr + c)]
        for c in range(n, nb):
            s[U(so + c)] = -np.inf


@numba.njit(cache=True, boundscheck=False, fastmath=_FAST)
def _forward(q, k, v, shape, scale, causal, mask, mask_step, has_mask, drop, has_drop,
             out, lse, kt, s, acc, m, total):
    nbatch, length, keys, feat, ev = shape
    dt = q.dtype.type
    for b in range(nbatch):
        _transpose(k, b * keys * feat, keys, feat, kt, scale)   # scale folded into kᵀ
        for i0 in range(0, length, BLOCK_Q):
            nr = min(BLOCK_Q, length - i0)
            for r in range(nr):
                m[r] = -np.inf
                total[r] = 0.0
            for t in range(nr * ev):
                acc[U(t)] = 0.0
            # causal: the keys j ≤ i of the block's last row; key blocks above the diagonal
            # are never visited
            end = min(keys, i0 + nr) if causal else keys
            for j0 in range(0, end, BLOCK_K):
                nb = min(BLOCK_K, end - j0)
                _tile_scores(q, (b * length + i0) * feat, feat, kt, keys, j0, nr, nb, s,
                             causal, i0, mask, (b * mask_step + i0) * keys + j0, has_mask)
                for r in range(nr):
                    so = r * BLOCK_K
                    n = _visible(causal, i0 + r, j0, nb)
                    top = -np.inf
                    for c in range(n):
                        top = max(top, s[U(so + c)])
                    new = max(m[r], top)
                    if new == -np.inf:          # no key for this row yet: p = 0
                        for c in range(nb):
                            s[U(so + c)] = 0.0
                        continue
                    # the running max rises: rescale what was summed under the old one
                    alpha = exp_nonpositive(m[r] - new)
                    part = 0.0
                    for c in range(n):
                        p = exp_nonpositive(s[U(so + c)] - new)
                        s[U(so + c)] = p
                        part += p
                    for c in range(n, nb):
                        s[U(so + c)] = 0.0
                    total[r] = total[r] * alpha + part
                    m[r] = new
                    if alpha != 1.0:
                        a = dt(alpha)
                        for e in range(ev):
                            acc[U(r * ev + e)] *= a
                    if has_drop:                # after the sum: dropout is not renormalised
                        do = ((b * length + i0 + r) * keys + j0)
                        for c in range(nb):
                            s[U(so + c)] *= drop[U(do + c)]
                # acc += p · v: one axpy over Ev per nonzero p
                for r in range(nr):
                    ao = r * ev
                    for c in range(nb):
                        p = s[U(r * BLOCK_K + c)]
                        if p != 0.0:
                            vo = (b * keys + j0 + c) * ev
                            for e in range(ev):
                                acc[U(ao + e)] += p * v[U(vo + e)]
            for r in range(nr):
                i = b * length + i0 + r
                if total[r] > 0.0:
                    inv = dt(1.0 / total[r])
                    for e in range(ev):
                        out[U(i * ev + e)] = acc[U(r * ev + e)] * inv
                    lse[U(i)] = m[r] + np.log(total[r])
                else:                           # no key: out = 0, lse = −inf
                    for e in range(ev):
                        out[U(i * ev + e)] = 0.0
                    lse[U(i)] = -np.inf


def _options(q, mask, dropout):
    """(mask, mask_step, has_mask, dropout, has_dropout), flat; a 1-element stand-in for an
    absent array, so that one compiled specialisation serves both.  mask_step: rows of the
    mask per batch entry, 0 for one (1, L, S) mask shared by every head."""
    dummy = np.zeros(1, q.dtype)
    step = 0 if mask is None or mask.shape[0] == 1 else q.shape[1]
    return (dummy if mask is None else flat(mask), step, mask is not None,
            dummy if dropout is None else flat(dropout), dropout is not None)


@half_via_single(keep=(1,))   # lse stays float32
def attention_forward_numba(q, k, v, scale, is_causal=False, mask=None, dropout=None):
    """Fused: per block of queries, the key blocks stream through an online softmax —
    a running max mᵢ and sum lᵢ, the accumulator rescaled by e^(m_old − m_new) whenever mᵢ
    rises — so out = acc / l and lse = m + log l come out without the (L, S) scores."""
    (nbatch, length, feat), keys, ev = q.shape, k.shape[1], v.shape[2]
    out = empty((nbatch, length, ev), like=q)
    lse = empty((nbatch, length), like=q)
    kt = empty(feat * keys, like=q)
    s = empty(BLOCK_Q * BLOCK_K, like=q)
    acc = empty(BLOCK_Q * ev, like=q)
    m, total = empty(BLOCK_Q, np.float64, like=q), empty(BLOCK_Q, np.float64, like=q)
    _forward(flat(q), flat(k), flat(v), (nbatch, length, keys, feat, ev),
             q.dtype.type(scale), bool(is_causal), *_options(q, mask, dropout),
             out.reshape(-1), lse.reshape(-1), kt, s, acc, m, total)
    return out, lse


@numba.njit(cache=True, boundscheck=False, fastmath=_FAST)
def _backward(dout, q, k, v, out, lse, shape, scale, causal, mask, mask_step, has_mask,
              drop, has_drop, dq, dk, dv, kt, vt, s, dp, dk_acc, dv_acc, delta):
    nbatch, length, keys, feat, ev = shape
    dt = q.dtype.type
    one = dt(1.0)
    for b in range(nbatch):
        _transpose(k, b * keys * feat, keys, feat, kt, scale)
        _transpose(v, b * keys * ev, keys, ev, vt, one)
        for i in range(length):                 # Dᵢ = doutᵢ · outᵢ
            o = (b * length + i) * ev
            d = 0.0
            for e in range(ev):
                d += dout[U(o + e)] * out[U(o + e)]
            delta[i] = d
        for t in range(length * feat):
            dq[U(b * length * feat + t)] = 0.0
        for j0 in range(0, keys, BLOCK_K):
            nb = min(BLOCK_K, keys - j0)
            for t in range(nb * feat):
                dk_acc[U(t)] = 0.0
            for t in range(nb * ev):
                dv_acc[U(t)] = 0.0
            # causal: queries i < j0 see none of these keys; start at the block holding j0
            start = (j0 // BLOCK_Q) * BLOCK_Q if causal else 0
            for i0 in range(start, length, BLOCK_Q):
                nr = min(BLOCK_Q, length - i0)
                _tile_scores(q, (b * length + i0) * feat, feat, kt, keys, j0, nr, nb, s,
                             causal, i0, mask, (b * mask_step + i0) * keys + j0, has_mask)
                for r in range(nr):             # P recomputed from lse; dP = dout · vᵀ
                    i, so = b * length + i0 + r, r * BLOCK_K
                    top = lse[U(i)]
                    if top == -np.inf:          # a row with no key: no gradient at all
                        for c in range(nb):
                            s[U(so + c)] = 0.0
                        continue
                    n = _visible(causal, i0 + r, j0, nb)
                    for c in range(n):
                        s[U(so + c)] = exp_nonpositive(s[U(so + c)] - top)
                        dp[U(so + c)] = 0.0
                    for c in range(n, nb):      # p = 0 there, so dp is never read
                        s[U(so + c)] = 0.0
                    for e in range(ev):
                        a, vo = dout[U(i * ev + e)], e * keys + j0
                        for c in range(n):
                            dp[U(so + c)] += a * vt[U(vo + c)]
                for r in range(nr):
                    i, so = b * length + i0 + r, r * BLOCK_K
                    d, do = delta[i0 + r], (i * keys + j0)
                    for c in range(nb):
                        p = s[U(so + c)]
                        if p == 0.0:            # dropped keys, and rows with no key
                            continue
                        keep = drop[U(do + c)] if has_drop else one
                        pd = p * keep           # dv += (P ⊙ drop)ᵀ · dout
                        if pd != 0.0:
                            for e in range(ev):
                                dv_acc[U(c * ev + e)] += pd * dout[U(i * ev + e)]
                        # dS = P ⊙ (dP ⊙ drop − D), times scale for dq and dk
                        g = p * (dp[U(so + c)] * keep - d) * scale
                        ko = (b * keys + j0 + c) * feat
                        for e in range(feat):
                            dq[U(i * feat + e)] += g * k[U(ko + e)]
                            dk_acc[U(c * feat + e)] += g * q[U(i * feat + e)]
            for t in range(nb * feat):
                dk[U((b * keys + j0) * feat + t)] = dk_acc[U(t)]
            for t in range(nb * ev):
                dv[U((b * keys + j0) * ev + t)] = dv_acc[U(t)]


@half_via_single()
def attention_backward_numba(dout, q, k, v, out, lse, scale, is_causal=False, mask=None,
                             dropout=None):
    """Key blocks outside, query blocks inside (FlashAttention-2's backward): each key
    block's dk and dv add up in a (BLOCK_K, E) buffer, dq row by row in place; the tile of
    P is recomputed from lse, never saved, with D = rowsum(dout ⊙ out)."""
    (nbatch, length, feat), keys, ev = q.shape, k.shape[1], v.shape[2]
    dq = empty(q.shape, like=q)
    dk = empty(k.shape, like=q)
    dv = empty(v.shape, like=q)
    kt, vt = empty(feat * keys, like=q), empty(ev * keys, like=q)
    s, dp = empty(BLOCK_Q * BLOCK_K, like=q), empty(BLOCK_Q * BLOCK_K, like=q)
    dk_acc, dv_acc = empty(BLOCK_K * feat, like=q), empty(BLOCK_K * ev, like=q)
    delta = empty(length, like=q)
    _backward(*(flat(a) for a in (dout, q, k, v, out, lse)), (nbatch, length, keys, feat, ev),
              q.dtype.type(scale), bool(is_causal), *_options(q, mask, dropout),
              dq.reshape(-1), dk.reshape(-1), dv.reshape(-1), kt, vt, s, dp, dk_acc, dv_acc,
              delta)
    return dq, dk, dv


# ---------------------------------------------------------------------------------------
# BLAS tiles: the same blockwise recurrence as above, but each tile's products are GEMMs
# (NumPy's matmul on a stack of heads, one BLAS call per head) and only the elementwise part
# — scale, masks, the online softmax, dS — is a Numba loop.  The fused loop above does its
# products as axpys, ~6-10 GFMA/s; BLAS reaches ~50 on the same 64 × 64 × 32 tiles, which
# pays for the upper triangle of a causal diagonal tile that the GEMM computes and the mask
# throws away.  A tile covers up to TILE_ROWS queries × TILE_KEYS keys of as many heads as
# fit in TILE_BYTES, so the extra memory stays O(tile), never O(L·S) per head.

TILE_ROWS = 128
TILE_KEYS = 128
TILE_BYTES = 1 << 20


def _tiles(q, keys):
    """(heads, rows, keys) of one tile for q (B, L, E) against ``keys`` keys."""
    nbatch, length = q.shape[:2]
    rows, cols = max(1, min(length, TILE_ROWS)), max(1, min(keys, TILE_KEYS))  # ≥ 1: steps
    heads = max(1, min(nbatch, TILE_BYTES // (rows * cols * q.dtype.itemsize)))
    return heads, rows, cols


def _spans(start, stop, step):
    """(lo, hi) of the blocks of ``step`` from ``start`` to ``stop``, the last one ragged."""
    return ((lo, min(stop, lo + step)) for lo in range(start, stop, step))


def _matmul_into(a, b, dst, first, scratch):
    """dst = a @ b on a row's first tile, dst += a @ b after it."""
    if first:
        np.matmul(a, b, out=dst)
    else:
        np.add(dst, np.matmul(a, b, out=scratch), out=dst)


@numba.njit(cache=True, boundscheck=False, fastmath=_FAST)
def _softmax_tile(s, nh, nr, nb, h0, i0, j0, scale, causal, mask, mask_step, has_mask,
                  drop, has_drop, m, total, acc, first):
    """The online softmax over one tile of raw products s = q·kᵀ (heads h0…, queries i0…,
    keys j0…), in place: s becomes p = e^(scale·s + mask − mᵢ) (times dropout), the running
    max m and sum ``total`` are updated, and acc (the output so far) is rescaled by
    e^(m_old − m_new) unless this is the row's first tile."""
    dt = s.dtype.type
    for h in range(nh):
        b = h0 + h
        for r in range(nr):
            i = i0 + r
            n = min(nb, max(0, i + 1 - j0)) if causal else nb
            top = -np.inf
            for c in range(n):
                x = s[h, r, c] * scale
                if has_mask:
                    x += mask[b * mask_step + i, j0 + c]
                s[h, r, c] = x
                top = max(top, x)
            old = m[h, r]
            new = max(old, top)
            if new == -np.inf:               # no key for this row yet: p = 0
                for c in range(nb):
                    s[h, r, c] = 0.0
                continue
            part, shift = 0.0, dt(new)     # e^x in the scores' precision
            for c in range(n):
                p = exp_nonpositive_of(s[h, r, c] - shift)
                s[h, r, c] = p
                part += p
            for c in range(n, nb):
                s[h, r, c] = 0.0
            alpha = exp_nonpositive(old - new)
            total[h, r] = total[h, r] * alpha + part
            m[h, r] = new
            if not first and alpha != 1.0:
                a = dt(alpha)
                for e in range(acc.shape[2]):
                    acc[h, r, e] *= a
            if has_drop:                     # after the sum: dropout is not renormalised
                for c in range(nb):
                    s[h, r, c] *= drop[b, i, j0 + c]


@numba.njit(cache=True, boundscheck=False)
def _finish_rows(out, lse, m, total, nh, nr, h0, i0):
    """out /= Σ, lse = m + log Σ; a row with no key gets out 0 and lse −inf."""
    dt = out.dtype.type
    for h in range(nh):
        for r in range(nr):
            b, i = h0 + h, i0 + r
            if total[h, r] > 0.0:
                inv = dt(1.0 / total[h, r])
                for e in range(out.shape[2]):
                    out[b, i, e] *= inv
                lse[b, i] = m[h, r] + np.log(total[h, r])
            else:
                for e in range(out.shape[2]):
                    out[b, i, e] = 0.0
                lse[b, i] = -np.inf


def _mask_options(q, mask, dropout):
    """(mask, mask_step, has_mask, dropout, has_dropout) for the tile loops: 1-element
    stand-ins for absent arrays; mask_step 0 for one (1, L, S) mask shared by every head."""
    dummy2, dummy3 = np.zeros((1, 1), q.dtype), np.zeros((1, 1, 1), q.dtype)
    if mask is None:
        mask_arg, step = dummy2, 0
    else:
        step = 0 if mask.shape[0] == 1 else q.shape[1]
        mask_arg = np.ascontiguousarray(mask).reshape(-1, mask.shape[-1])
    return (mask_arg, step, mask is not None,
            dummy3 if dropout is None else np.ascontiguousarray(dropout), dropout is not None)


@half_via_single(keep=(1,))   # lse stays float32
def attention_forward_blas(q, k, v, scale, is_causal=False, mask=None, dropout=None):
    """Blockwise like the fused kernel, with each tile's q·kᵀ and p·v as GEMMs on a stack
    of heads (BLAS) and the online softmax between them in Numba; a row's first tile
    writes the output directly, later ones are added after rescaling it."""
    q, k, v = (np.ascontiguousarray(a) for a in (q, k, v))
    (nbatch, length, _), keys, ev = q.shape, k.shape[1], v.shape[2]
    heads, rows, cols = _tiles(q, keys)
    out = empty((nbatch, length, ev), like=q)
    lse = empty((nbatch, length), like=q)
    s = empty((heads, rows, cols), like=q)
    pv = empty((heads, rows, ev), like=q)
    m, total = empty((heads, rows), np.float64, like=q), empty((heads, rows), np.float64,
                                                                like=q)
    options = _mask_options(q, mask, dropout)
    kt = k.transpose(0, 2, 1)
    scale, causal = q.dtype.type(scale), bool(is_causal)
    for h0, h1 in _spans(0, nbatch, heads):
        nh = h1 - h0
        for i0, i1 in _spans(0, length, rows):
            nr = i1 - i0
            m[:nh, :nr], total[:nh, :nr] = -np.inf, 0.0
            acc = out[h0:h1, i0:i1]
            end = min(keys, i1) if causal else keys        # causal: no tile above it
            if end == 0:
                acc[...] = 0.0
            for j0, j1 in _spans(0, end, cols):
                tile = s[:nh, :nr, :j1 - j0]
                np.matmul(q[h0:h1, i0:i1], kt[h0:h1, :, j0:j1], out=tile)
                _softmax_tile(s, nh, nr, j1 - j0, h0, i0, j0, scale, causal, *options, m,
                              total, acc, j0 == 0)
                _matmul_into(tile, v[h0:h1, j0:j1], acc, j0 == 0, pv[:nh, :nr])
            _finish_rows(out, lse, m, total, nh, nr, h0, i0)
    return out, lse


@numba.njit(cache=True, boundscheck=False, fastmath=_FAST)
def _row_dots(a, b, out):
    """out[i, j] = a[i, j, :] · b[i, j, :], summed in float64 (D = rowsum(dout ⊙ out))."""
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            d = 0.0
            for e in range(a.shape[2]):
                d += a[i, j, e] * b[i, j, e]
            out[i, j] = d


@numba.njit(cache=True, boundscheck=False, fastmath=_FAST)
def _gradient_tile(s, dp, nh, nr, nb, h0, i0, j0, scale, causal, mask, mask_step, has_mask,
                   drop, has_drop, lse, delta):
    """One tile of the backward, in place: s (= q·kᵀ) becomes P ⊙ drop, with P recomputed
    from lse, and dp (= dout·vᵀ) becomes dS·scale = P ⊙ (dP ⊙ drop − D)·scale."""
    for h in range(nh):
        b = h0 + h
        for r in range(nr):
            i = i0 + r
            top = lse[b, i]
            n = min(nb, max(0, i + 1 - j0)) if causal else nb
            if top == -np.inf:                   # a row with no key: no gradient at all
                n = 0
            d = delta[b, i]
            for c in range(n):
                x = s[h, r, c] * scale
                if has_mask:
                    x += mask[b * mask_step + i, j0 + c]
                p = exp_nonpositive_of(x - top)
                keep = drop[b, i, j0 + c] if has_drop else 1.0
                s[h, r, c] = p * keep
                dp[h, r, c] = p * (dp[h, r, c] * keep - d) * scale
            for c in range(n, nb):
                s[h, r, c] = 0.0
                dp[h, r, c] = 0.0


@half_via_single()
def attention_backward_blas(dout, q, k, v, out, lse, scale, is_causal=False, mask=None,
                            dropout=None):
    """The tiles of the fused backward with its five products as GEMMs: per tile,
    P = e^(scale·q·kᵀ + mask − lse) and dS in Numba, then dv += (P ⊙ drop)ᵀ·dout,
    dq += dS·k, dk += dSᵀ·q; D = rowsum(dout ⊙ out) once."""
    dout, q, k, v, out = (np.ascontiguousarray(a) for a in (dout, q, k, v, out))
    (nbatch, length, feat), keys, ev = q.shape, k.shape[1], v.shape[2]
    heads, rows, cols = _tiles(q, keys)
    dq, dk, dv = empty(q.shape, like=q), empty(k.shape, like=q), empty(v.shape, like=q)
    s, dp = empty((heads, rows, cols), like=q), empty((heads, rows, cols), like=q)
    scratch_q = empty((heads, rows, feat), like=q)
    scratch_k, scratch_v = empty((heads, cols, feat), like=q), empty((heads, cols, ev), like=q)
    delta = empty((nbatch, length), np.float64, like=q)
    _row_dots(dout, out, delta)
    if keys == 0:                                # no key: no gradient reaches q
        dq[...] = 0.0
    lse = np.ascontiguousarray(lse)
    options = _mask_options(q, mask, dropout)
    kt, vt = k.transpose(0, 2, 1), v.transpose(0, 2, 1)
    scale, causal = q.dtype.type(scale), bool(is_causal)
    for h0, h1 in _spans(0, nbatch, heads):
        nh = h1 - h0
        for j0, j1 in _spans(0, keys, cols):
            nb = j1 - j0
            # causal: queries before j0 see none of these keys
            start = (j0 // rows) * rows if causal else 0
            if start >= length:                  # keys no query sees: no gradient
                dk[h0:h1, j0:j1], dv[h0:h1, j0:j1] = 0.0, 0.0
            for i0, i1 in _spans(start, length, rows):
                nr = i1 - i0
                tile, dtile = s[:nh, :nr, :nb], dp[:nh, :nr, :nb]
                np.matmul(q[h0:h1, i0:i1], kt[h0:h1, :, j0:j1], out=tile)
                np.matmul(dout[h0:h1, i0:i1], vt[h0:h1, :, j0:j1], out=dtile)
                _gradient_tile(s, dp, nh, nr, nb, h0, i0, j0, scale, causal, *options, lse,
                               delta)
                first_query, first_key = i0 == start, j0 == 0
                _matmul_into(tile.transpose(0, 2, 1), dout[h0:h1, i0:i1], dv[h0:h1, j0:j1],
                             first_query, scratch_v[:nh, :nb])
                _matmul_into(dtile.transpose(0, 2, 1), q[h0:h1, i0:i1], dk[h0:h1, j0:j1],
                             first_query, scratch_k[:nh, :nb])
                _matmul_into(dtile, k[h0:h1, j0:j1], dq[h0:h1, i0:i1], first_key,
                             scratch_q[:nh, :nr])
    return dq, dk, dv
