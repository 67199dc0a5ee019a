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
from ._arrays import array_module


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
