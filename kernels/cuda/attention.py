"""Scaled dot-product attention in Numba CUDA: the FlashAttention scheme, forward and backward.

Contract (minigrad_kernels.attention, where the formulas are):
    attention_forward(q, k, v, scale, is_causal=False, mask=None, dropout=None) -> (out, lse)
    attention_backward(dout, q, k, v, out, lse, scale, is_causal=False, mask=None,
                       dropout=None) -> (dq, dk, dv)

The head sizes E (q, k) and Ev (v) are rounded up to a compile-time width of 16, 32, 64 or
128 (``MAX_HEAD``): larger heads raise ValueError.  Each kernel is compiled per (dtype,
widths, tiles); a thread block has ``rows · tpr`` threads (128 by default), ``tpr`` threads
per row of its tile, and each thread owns the columns g, g + tpr, g + 2·tpr, … of that row.

Forward — one block per (head b, tile of BQ queries); grid (B, ⌈L / BQ⌉):
  the query tile stays in shared memory; the key and value tiles (BK rows) stream through
  shared memory.  Per key tile: (A) each thread computes its BK / tpr scores of its row
  (scale·q·k + mask, −inf where causal or ragged) into a shared S tile; (B) every thread
  takes its row's maximum from S, the running max m rises to it, and the thread writes
  p = e^(s − m) (times the dropout multiplier) for its columns into a shared P tile and its
  part of the row sum; (C) the accumulator (Ev / tpr values of the row, in registers) is
  rescaled by e^(m_old − m_new) and gets P·V.  Finally out = acc / l and lse = m + log l
  (0 and −inf for a row with no key).  Causal: key tiles wholly above the diagonal are
  never loaded.  Four barriers per key tile; every thread of the row holds the same m and l
  (computed from the same shared values in the same order), so no broadcast is needed.

Backward (FlashAttention-2: two kernels, no atomics, deterministic), P recomputed from lse:
  dq kernel — one block per query tile, like the forward: D = rowsum(dout ⊙ out) first
  (written out for the second kernel), then per key tile dS = P ⊙ (dP ⊙ drop − D)·scale
  into shared memory, dq += dS·K in registers.
  dk/dv kernel — one block per key tile; the query tiles (and their dout, lse and D) stream
  through shared memory; per query tile P ⊙ drop and dS go to shared memory, then
  dv += (P ⊙ drop)ᵀ·dout and dk += dSᵀ·Q in registers.  Causal: query tiles wholly above
  the diagonal are skipped.
The dq kernel runs first (it writes D); both launch on the same stream.

Shared memory is static, at most 48 KiB per block: the tiles are the largest of
``CANDIDATES`` that fit for the dtype and head widths (e.g. float32, E = Ev = 64: 32 × 32;
E = 128: 32 × 16 forward, 16 × 16 backward; float64, E = 128: 8 × 16 forward,
8 × 8 backward).  Rows of the shared tiles read along E are padded by one element so that
the threads of a warp, which read different rows, fall on different banks.  Every constant
has the data's dtype (no float64 instruction in a float32 kernel; checked on the PTX).
"""
import functools
import math

import numpy as np
from numba import cuda, types

from ..memory import empty
from ._launch import SIMULATOR, launch, numba_type

MAX_HEAD = 128                  # the widest E or Ev a kernel is compiled for
WIDTHS = (16, 32, 64, 128)      # compile-time head widths (E and Ev rounded up to one)
THREADS = 128                   # per block, by default
SHARED_BYTES = 48 * 1024        # static shared memory per block
# (rows, cols) of a block's tile, the largest first: rows are the block's own queries
# (forward, dq) or keys (dk/dv); cols the keys or queries streamed past them
CANDIDATES = ((64, 64), (64, 32), (32, 32), (32, 16), (16, 16), (8, 16), (8, 8))
SIMULATOR_TILES = (4, 4, 2)     # (rows, cols, threads per row): 8 threads per block


def _width(n, what, shape):
    if n > MAX_HEAD:
        raise ValueError(f"attention (numba_cuda): {what} = {n} exceeds the kernels' "
                         f"compile-time maximum head size {MAX_HEAD}: {shape}")
    return next(w for w in WIDTHS if w >= n)


def shared_bytes(kind, itemsize, ew, evw, rows, cols, tpr):
    """Bytes of static shared memory of one block of kernel ``kind``."""
    words = {
        # Q, K, V, S, P, row-sum parts
        "forward": rows * (ew + 1) + cols * (ew + 1) + cols * evw + 2 * rows * cols
        + rows * tpr,
        # Q, dout, K, V, dS, D parts
        "dq": rows * (ew + 1) + rows * (evw + 1) + cols * (ew + 1) + cols * (evw + 1)
        + rows * cols + rows * tpr,
        # K, V, Q, dout, P, dS, lse, D
        "dkdv": rows * (ew + 1) + rows * (evw + 1) + cols * (ew + 1) + cols * (evw + 1)
        + 2 * rows * cols + 2 * cols,
    }[kind]
    return words * itemsize


def choose_tiles(kind, dtype, ew, evw):
    """(rows, cols, tpr): the largest candidate tile whose shared memory fits, with
    THREADS threads per block (fewer where a row has fewer columns than THREADS / rows)."""
    itemsize = np.dtype(dtype).itemsize
    for rows, cols in CANDIDATES:
        tpr = min(THREADS // rows, cols)
        if shared_bytes(kind, itemsize, ew, evw, rows, cols, tpr) <= SHARED_BYTES:
            return rows, cols, tpr
    raise ValueError(f"attention (numba_cuda): no tile fits {SHARED_BYTES} bytes of shared "
                     f"memory for {np.dtype(dtype)} and head widths {ew}, {evw}")


def _check(rows, cols, tpr, ew, evw):
    if cols % tpr or ew % tpr or evw % tpr:
        raise ValueError(f"attention (numba_cuda): threads per row {tpr} must divide the "
                         f"tile's {cols} columns and the head widths {ew}, {evw}")


@functools.lru_cache(maxsize=None)
def forward_kernel(dtype, ew, evw, bq, bk, tpr):
    """The forward kernel: one block of bq·tpr threads per (head, tile of bq queries)."""
    _check(bq, bk, tpr, ew, evw)
    scalar = numba_type(np.dtype(dtype))
    typ = np.dtype(dtype).type
    zero, one, neg_inf = typ(0), typ(1), typ(-np.inf)
    threads = bq * tpr
    ew1 = ew + 1                        # a padded row (a constant: shared shapes)
    c_per, e_per = bk // tpr, evw // tpr

    @cuda.jit
    def attention_forward(q, k, v, mask, drop, scale, causal, has_mask, has_drop, out, lse):
        b = cuda.blockIdx.x
        i0 = cuda.blockIdx.y * bq
        tid = cuda.threadIdx.x
        r, g = tid // tpr, tid % tpr
        length, keys, feat, ev = q.shape[1], k.shape[1], q.shape[2], v.shape[2]
        mb = b if mask.shape[0] > 1 else 0          # a (1, L, S) mask serves every head
        q_sh = cuda.shared.array((bq, ew1), scalar)
        k_sh = cuda.shared.array((bk, ew1), scalar)
        v_sh = cuda.shared.array((bk, evw), scalar)
        s_sh = cuda.shared.array((bq, bk), scalar)
        p_sh = cuda.shared.array((bq, bk), scalar)
        part = cuda.shared.array((bq, tpr), scalar)
        acc = cuda.local.array(e_per, scalar)
        s_loc = cuda.local.array(c_per, scalar)
        nr = min(bq, length - i0)
        i = i0 + r
        for x in range(tid, bq * ew, threads):
            rr, e = x // ew, x % ew
            q_sh[rr, e] = q[b, i0 + rr, e] if rr < nr and e < feat else zero
        for t in range(e_per):
            acc[t] = zero
        m, total = neg_inf, zero
        end = min(keys, i0 + nr) if causal else keys   # causal: no tile above the diagonal
        for j0 in range(0, end, bk):
            nb = min(bk, keys - j0)
            for x in range(tid, bk * ew, threads):
                c, e = x // ew, x % ew
                k_sh[c, e] = k[b, j0 + c, e] if c < nb and e < feat else zero
            for x in range(tid, bk * evw, threads):
                c, e = x // evw, x % evw
                v_sh[c, e] = v[b, j0 + c, e] if c < nb and e < ev else zero
            cuda.syncthreads()
            # (A) this thread's scores of row r: columns g, g + tpr, ...
            for t in range(c_per):
                s_loc[t] = zero
            for e in range(feat):
                a = q_sh[r, e]
                for t in range(c_per):
                    s_loc[t] += a * k_sh[g + tpr * t, e]
            for t in range(c_per):
                c = g + tpr * t
                j = j0 + c
                sv = neg_inf
                if r < nr and c < nb and not (causal and j > i):
                    sv = s_loc[t] * scale
                    if has_mask:
                        sv += mask[mb, i, j]
                s_sh[r, c] = sv
            cuda.syncthreads()
            # (B) the row's new running max; p for this thread's columns
            top = m
            for c in range(bk):
                top = max(top, s_sh[r, c])
            psum = zero
            for t in range(c_per):
                c = g + tpr * t
                p = zero
                if top != neg_inf:
                    p = math.exp(s_sh[r, c] - top)
                psum += p
                if has_drop and p != zero:      # after the sum: dropout is not renormalised
                    p *= drop[b, i, j0 + c]
                p_sh[r, c] = p
            part[r, g] = psum
            alpha = one
            if top != neg_inf:
                alpha = math.exp(m - top)       # 0 when m was −inf (acc and l are 0 then)
            m = top
            cuda.syncthreads()
            # (C) rescale what was summed under the old max, add P·V
            tile_sum = zero
            for h in range(tpr):
                tile_sum += part[r, h]
            total = total * alpha + tile_sum
            for t in range(e_per):
                acc[t] *= alpha
            for c in range(nb):
                p = p_sh[r, c]
                for t in range(e_per):
                    acc[t] += p * v_sh[c, g + tpr * t]
            cuda.syncthreads()                  # before the next tiles overwrite K, V, P
        if r < nr:
            inv = one / total if total > zero else zero
            for t in range(e_per):
                e = g + tpr * t
                if e < ev:
                    out[b, i, e] = acc[t] * inv
            if g == 0:
                lse[b, i] = m + math.log(total) if total > zero else neg_inf

    return attention_forward


@functools.lru_cache(maxsize=None)
def dq_kernel(dtype, ew, evw, bq, bk, tpr):
    """D = rowsum(dout ⊙ out) and dq: one block of bq·tpr threads per (head, query tile)."""
    _check(bq, bk, tpr, ew, evw)
    scalar = numba_type(np.dtype(dtype))
    typ = np.dtype(dtype).type
    zero, neg_inf = typ(0), typ(-np.inf)
    threads = bq * tpr
    ew1, evw1 = ew + 1, evw + 1       # padded rows (constants: shared shapes)
    c_per, e_per, ev_per = bk // tpr, ew // tpr, evw // tpr

    @cuda.jit
    def attention_dq(q, k, v, mask, drop, dout, out, lse, scale, causal, has_mask, has_drop,
                     dq, delta):
        b = cuda.blockIdx.x
        i0 = cuda.blockIdx.y * bq
        tid = cuda.threadIdx.x
        r, g = tid // tpr, tid % tpr
        length, keys, feat, ev = q.shape[1], k.shape[1], q.shape[2], v.shape[2]
        mb = b if mask.shape[0] > 1 else 0
        q_sh = cuda.shared.array((bq, ew1), scalar)
        do_sh = cuda.shared.array((bq, evw1), scalar)
        k_sh = cuda.shared.array((bk, ew1), scalar)
        v_sh = cuda.shared.array((bk, evw1), scalar)
        ds_sh = cuda.shared.array((bq, bk), scalar)
        part = cuda.shared.array((bq, tpr), scalar)
        acc = cuda.local.array(e_per, scalar)
        s_loc = cuda.local.array(c_per, scalar)
        dp_loc = cuda.local.array(c_per, scalar)
        nr = min(bq, length - i0)
        i = i0 + r
        for x in range(tid, bq * ew, threads):
            rr, e = x // ew, x % ew
            q_sh[rr, e] = q[b, i0 + rr, e] if rr < nr and e < feat else zero
        for x in range(tid, bq * evw, threads):
            rr, e = x // evw, x % evw
            do_sh[rr, e] = dout[b, i0 + rr, e] if rr < nr and e < ev else zero
        cuda.syncthreads()
        d = zero                                # Dᵢ = doutᵢ · outᵢ, in parts
        row_lse = neg_inf
        if r < nr:
            row_lse = lse[b, i]
            for t in range(ev_per):
                e = g + tpr * t
                if e < ev:
                    d += do_sh[r, e] * out[b, i, e]
        part[r, g] = d
        for t in range(e_per):
            acc[t] = zero
        cuda.syncthreads()
        d = zero
        for h in range(tpr):
            d += part[r, h]
        if r < nr and g == 0:
            delta[b, i] = d
        end = min(keys, i0 + nr) if causal else keys
        for j0 in range(0, end, bk):
            nb = min(bk, keys - j0)
            for x in range(tid, bk * ew, threads):
                c, e = x // ew, x % ew
                k_sh[c, e] = k[b, j0 + c, e] if c < nb and e < feat else zero
            for x in range(tid, bk * evw, threads):
                c, e = x // evw, x % evw
                v_sh[c, e] = v[b, j0 + c, e] if c < nb and e < ev else zero
            cuda.syncthreads()
            for t in range(c_per):
                s_loc[t] = zero
                dp_loc[t] = zero
            for e in range(feat):
                a = q_sh[r, e]
                for t in range(c_per):
                    s_loc[t] += a * k_sh[g + tpr * t, e]
            for e in range(ev):
                a = do_sh[r, e]
                for t in range(c_per):
                    dp_loc[t] += a * v_sh[g + tpr * t, e]
            for t in range(c_per):
                c = g + tpr * t
                j = j0 + c
                ds = zero
                if r < nr and c < nb and row_lse != neg_inf and not (causal and j > i):
                    sv = s_loc[t] * scale
                    if has_mask:
                        sv += mask[mb, i, j]
                    p = math.exp(sv - row_lse)
                    dpv = dp_loc[t]
                    if has_drop:
                        dpv *= drop[b, i, j]
                    ds = p * (dpv - d) * scale
                ds_sh[r, c] = ds
            cuda.syncthreads()
            for c in range(nb):
                w = ds_sh[r, c]
                for t in range(e_per):
                    acc[t] += w * k_sh[c, g + tpr * t]
            cuda.syncthreads()                  # before the next tiles overwrite K, V, dS
        if r < nr:
            for t in range(e_per):
                e = g + tpr * t
                if e < feat:
                    dq[b, i, e] = acc[t]

    return attention_dq


@functools.lru_cache(maxsize=None)
def dkdv_kernel(dtype, ew, evw, bk, bq, tpr):
    """dk and dv: one block of bk·tpr threads per (head, tile of bk keys); the query tiles
    stream past it."""
    _check(bk, bq, tpr, ew, evw)
    scalar = numba_type(np.dtype(dtype))
    typ = np.dtype(dtype).type
    zero, neg_inf = typ(0), typ(-np.inf)
    threads = bk * tpr
    ew1, evw1 = ew + 1, evw + 1
    r_per, e_per, ev_per = bq // tpr, ew // tpr, evw // tpr

    @cuda.jit
    def attention_dkdv(q, k, v, mask, drop, dout, lse, delta, scale, causal, has_mask,
                       has_drop, dk, dv):
        b = cuda.blockIdx.x
        j0 = cuda.blockIdx.y * bk
        tid = cuda.threadIdx.x
        c, g = tid // tpr, tid % tpr
        length, keys, feat, ev = q.shape[1], k.shape[1], q.shape[2], v.shape[2]
        mb = b if mask.shape[0] > 1 else 0
        k_sh = cuda.shared.array((bk, ew1), scalar)
        v_sh = cuda.shared.array((bk, evw1), scalar)
        q_sh = cuda.shared.array((bq, ew1), scalar)
        do_sh = cuda.shared.array((bq, evw1), scalar)
        p_sh = cuda.shared.array((bk, bq), scalar)
        ds_sh = cuda.shared.array((bk, bq), scalar)
        lse_sh = cuda.shared.array(bq, scalar)
        d_sh = cuda.shared.array(bq, scalar)
        dk_acc = cuda.local.array(e_per, scalar)
        dv_acc = cuda.local.array(ev_per, scalar)
        s_loc = cuda.local.array(r_per, scalar)
        dp_loc = cuda.local.array(r_per, scalar)
        nb = min(bk, keys - j0)
        j = j0 + c
        for x in range(tid, bk * ew, threads):
            cc, e = x // ew, x % ew
            k_sh[cc, e] = k[b, j0 + cc, e] if cc < nb and e < feat else zero
        for x in range(tid, bk * evw, threads):
            cc, e = x // evw, x % evw
            v_sh[cc, e] = v[b, j0 + cc, e] if cc < nb and e < ev else zero
        for t in range(e_per):
            dk_acc[t] = zero
        for t in range(ev_per):
            dv_acc[t] = zero
        start = (j0 // bq) * bq if causal else 0   # causal: queries i < j0 see no key here
        for i0 in range(start, length, bq):
            nr = min(bq, length - i0)
            for x in range(tid, bq * ew, threads):
                rr, e = x // ew, x % ew
                q_sh[rr, e] = q[b, i0 + rr, e] if rr < nr and e < feat else zero
            for x in range(tid, bq * evw, threads):
                rr, e = x // evw, x % evw
                do_sh[rr, e] = dout[b, i0 + rr, e] if rr < nr and e < ev else zero
            for rr in range(tid, bq, threads):
                lse_sh[rr] = lse[b, i0 + rr] if rr < nr else neg_inf
                d_sh[rr] = delta[b, i0 + rr] if rr < nr else zero
            cuda.syncthreads()
            # this thread's rows of the tile: queries g, g + tpr, ... against key c
            for t in range(r_per):
                s_loc[t] = zero
                dp_loc[t] = zero
            for e in range(feat):
                a = k_sh[c, e]
                for t in range(r_per):
                    s_loc[t] += a * q_sh[g + tpr * t, e]
            for e in range(ev):
                a = v_sh[c, e]
                for t in range(r_per):
                    dp_loc[t] += a * do_sh[g + tpr * t, e]
            for t in range(r_per):
                rr = g + tpr * t
                i = i0 + rr
                pd = zero
                ds = zero
                row_lse = lse_sh[rr]
                if c < nb and row_lse != neg_inf and not (causal and j > i):
                    sv = s_loc[t] * scale
                    if has_mask:
                        sv += mask[mb, i, j]
                    p = math.exp(sv - row_lse)
                    dpv = dp_loc[t]
                    pd = p
                    if has_drop:
                        keep = drop[b, i, j]
                        dpv *= keep
                        pd = p * keep
                    ds = p * (dpv - d_sh[rr]) * scale
                p_sh[c, rr] = pd
                ds_sh[c, rr] = ds
            cuda.syncthreads()
            for rr in range(nr):
                pw = p_sh[c, rr]
                dw = ds_sh[c, rr]
                for t in range(ev_per):
                    dv_acc[t] += pw * do_sh[rr, g + tpr * t]
                for t in range(e_per):
                    dk_acc[t] += dw * q_sh[rr, g + tpr * t]
            cuda.syncthreads()                  # before the next query tile overwrites
        if c < nb:
            for t in range(e_per):
                e = g + tpr * t
                if e < feat:
                    dk[b, j, e] = dk_acc[t]
            for t in range(ev_per):
                e = g + tpr * t
                if e < ev:
                    dv[b, j, e] = dv_acc[t]

    return attention_dkdv


# -- launch wrappers ------------------------------------------------------------------------

def _contiguous(a, dtype=None):
    """``a`` as a C-contiguous array of ``dtype`` and of its own type (a CuPy array, or a
    NumPy subclass kept: np.ascontiguousarray would drop the tests' device stand-in)."""
    if dtype is not None:
        a = a.astype(dtype, copy=False)
    return a if a.flags.c_contiguous else a.copy(order="C")


def _prepare(q, k, v, mask, dropout):
    """Contiguous arrays of q's dtype, widths, and a 1×1×1 stand-in for an absent mask or
    dropout (one compiled kernel serves every combination; flags select the branches)."""
    q, k, v = (_contiguous(a) for a in (q, k, v))
    ew = _width(q.shape[2], "E", f"q {q.shape}, k {k.shape}")
    evw = _width(v.shape[2], "Ev", f"v {v.shape}")
    dummy = None
    if mask is None or dropout is None:
        dummy = empty((1, 1, 1), like=q)
        dummy.fill(0)

    def dense(a):
        return dummy if a is None else _contiguous(a, q.dtype)
    return q, k, v, dense(mask), dense(dropout), ew, evw


def _tiles(kind, tiles, dtype, ew, evw):
    if tiles is not None:
        return tuple(tiles)
    if SIMULATOR:
        return SIMULATOR_TILES
    return choose_tiles(kind, dtype, ew, evw)


def attention_forward_numba_cuda(q, k, v, scale, is_causal=False, mask=None, dropout=None,
                                 tiles=None):
    """FlashAttention forward (see the module docstring): one block per (head, query tile),
    key/value tiles through shared memory, an online softmax per row; head sizes up to
    MAX_HEAD (128). ``tiles`` = (BQ, BK, threads per row) overrides the launch
    configuration (the tests pass small ones)."""
    q, k, v, mask_a, drop_a, ew, evw = _prepare(q, k, v, mask, dropout)
    nbatch, length = q.shape[:2]
    out = empty((nbatch, length, v.shape[2]), like=q)
    lse = empty((nbatch, length), like=q)
    if out.size == 0 and lse.size == 0:
        return out, lse
    bq, bk, tpr = _tiles("forward", tiles, q.dtype, ew, evw)
    kernel = forward_kernel(q.dtype.str, ew, evw, bq, bk, tpr)
    grid = (nbatch, (length + bq - 1) // bq)
    launch(kernel, grid, bq * tpr, q, q, k, v, mask_a, drop_a, q.dtype.type(scale),
           bool(is_causal), mask is not None, dropout is not None, out, lse)
    return out, lse


def attention_backward_numba_cuda(dout, q, k, v, out, lse, scale, is_causal=False, mask=None,
                                  dropout=None, tiles=None):
    """FlashAttention-2 backward: a dq kernel per query tile (it computes D = rowsum(dout ⊙
    out) first), then a dk/dv kernel per key tile; P recomputed from lse, no atomics.
    ``tiles`` = (BQ, BK, threads per row) as in the forward."""
    q, k, v, mask_a, drop_a, ew, evw = _prepare(q, k, v, mask, dropout)
    dout, out, lse = (_contiguous(a, q.dtype) for a in (dout, out, lse))
    (nbatch, length), keys = q.shape[:2], k.shape[1]
    dq, dk, dv = empty(q.shape, like=q), empty(k.shape, like=q), empty(v.shape, like=q)
    delta = empty((nbatch, length), like=q)
    sc, flags = q.dtype.type(scale), (bool(is_causal), mask is not None, dropout is not None)
    if nbatch * length > 0:
        bq, bk, tpr = _tiles("dq", tiles, q.dtype, ew, evw)
        kernel = dq_kernel(q.dtype.str, ew, evw, bq, bk, tpr)
        launch(kernel, (nbatch, (length + bq - 1) // bq), bq * tpr, q, q, k, v, mask_a,
               drop_a, dout, out, lse, sc, *flags, dq, delta)
    if nbatch * keys > 0:
        if tiles is not None or SIMULATOR:
            bq, bk, tpr = _tiles("dkdv", tiles, q.dtype, ew, evw)
        else:                                   # rows are keys here
            bk, bq, tpr = choose_tiles("dkdv", q.dtype, ew, evw)
        kernel = dkdv_kernel(q.dtype.str, ew, evw, bk, bq, tpr)
        launch(kernel, (nbatch, (keys + bk - 1) // bk), bk * tpr, q, q, k, v, mask_a,
               drop_a, dout, lse, delta, sc, *flags, dk, dv)
    return dq, dk, dv


def kernel_signatures(dtype, widths=(64, 128)):
    """(name, kernel, argument types) for ``dtype`` at head widths ``widths``, with the
    default tiles (PTX check)."""
    scalar = numba_type(np.dtype(dtype))
    a3, a2, flag = types.Array(scalar, 3, "C"), types.Array(scalar, 2, "C"), types.boolean
    flags = (scalar, flag, flag, flag)
    out = []
    for w in widths:
        tiles = choose_tiles("forward", dtype, w, w)
        out.append((f"forward_{w}", forward_kernel(np.dtype(dtype).str, w, w, *tiles),
                    (a3,) * 5 + flags + (a3, a2)))
        tiles = choose_tiles("dq", dtype, w, w)
        out.append((f"dq_{w}", dq_kernel(np.dtype(dtype).str, w, w, *tiles),
                    (a3,) * 7 + (a2,) + flags + (a3, a2)))
        tiles = choose_tiles("dkdv", dtype, w, w)
        out.append((f"dkdv_{w}", dkdv_kernel(np.dtype(dtype).str, w, w, *tiles),
                    (a3,) * 6 + (a2, a2) + flags + (a3, a3)))
    return out
