"""Elementary functions for the compiled CPU loops, written as multiply-adds.

There is no SVML in this environment: ``np.exp``/``np.tanh`` inside a Numba loop are scalar
libm calls per element, and such a loop does not vectorise.  The polynomial below is plain
multiply-adds, which LLVM vectorises (4 float64 lanes with AVX2, 8 with AVX-512).  It is
inlined into the loops that call it (attention's softmax, the GELU).
"""
import numba

EXP_MIN = -87.0     # e^−87 ≈ 1.6e-38: below it e^x is taken as 0


@numba.njit(inline="always", fastmath={"contract"})
def exp_nonpositive(x):
    """e^x for x ≤ 0 (x slightly above 0 from rounding too), in float64:
    e^x = (e^(x/256))^256, a degree-12 Taylor polynomial on x/256 ∈ [−0.34, 0] (truncation
    < 1e-16), then eight squarings, which multiply its relative error by at most 256
    (≲ 9e-14 measured); 0 below EXP_MIN, −inf included."""
    w = max(x, EXP_MIN) * 0.00390625
    p = 1.0 + w * (1.0 + w * (1 / 2 + w * (1 / 6 + w * (1 / 24 + w * (1 / 120 + w * (
        1 / 720 + w * (1 / 5040 + w * (1 / 40320 + w * (1 / 362880 + w * (
            1 / 3628800 + w * (1 / 39916800 + w * (1 / 479001600))))))))))))
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    p = p * p
    return p if x >= EXP_MIN else 0.0


@numba.njit(cache=True, fastmath={"contract"}, error_model="numpy")
def exp_nonpositive_loop(x, out):
    """``exp_nonpositive`` over an array (for its tests)."""
    for i in range(x.size):
        out[i] = exp_nonpositive(x[i])
