"""Elementary functions for the compiled CPU loops, written as multiply-adds.

There is no SVML in this environment: ``np.exp``/``np.tanh`` inside a Numba loop are scalar
libm calls per element, and such a loop does not vectorise.  The polynomials below are
plain multiply-adds, which LLVM vectorises (4 float64 or 8 float32 lanes with AVX2, 8 or 16
with AVX-512).  They are inlined into the loops that call them (attention's softmax, the
GELU); ``exp_nonpositive_of`` picks the one of its argument's precision.
"""
import numba
import numpy as np
from numba import types
from numba.extending import overload

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


# float32: e^x = 2ⁿ·e^r with n = round(x / ln 2) and r = x − n·ln 2 ∈ [−0.35, 0.35] (ln 2 in
# two parts, so that n·ln2_hi is exact), e^r by Cephes' degree-7 polynomial for expf
# (< 1 ulp on that range), and 2ⁿ made from its bits: (n + 127)·2²³ read as a float32.
# About 10 multiply-adds in 16 lanes: 4x the float64 polynomial's throughput.
_LOG2E = np.float32(1.4426950408889634)
_LN2_HI = np.float32(0.693359375)
_LN2_LO = np.float32(-2.12194440e-4)
_EXP_MIN32 = np.float32(EXP_MIN)
_P = tuple(np.float32(c) for c in (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3,
                                   4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1))
_ONE32 = np.float32(1.0)


@numba.njit(inline="always", fastmath={"contract"})
def exp_nonpositive_f32(x):
    """e^x for a float32 x ≤ 0 (slightly above 0 from rounding too), in float32, within 1
    ulp of the exact value (tested on 10⁶ points); 0 below EXP_MIN, −inf included."""
    z = max(x, _EXP_MIN32)
    n = np.floor(z * _LOG2E + np.float32(0.5))
    r = z - n * _LN2_HI - n * _LN2_LO
    p = ((((_P[0] * r + _P[1]) * r + _P[2]) * r + _P[3]) * r + _P[4]) * r + _P[5]
    p = p * (r * r) + r + _ONE32
    scale = np.int32((np.int32(n) + 127) << 23).view(np.float32)
    return p * scale if x >= _EXP_MIN32 else np.float32(0.0)


def exp_nonpositive_of(x):
    """e^x for x ≤ 0 in x's own precision (Numba-compiled code only): the float32
    polynomial for a float32, ``exp_nonpositive`` otherwise."""
    raise NotImplementedError("exp_nonpositive_of is for Numba-compiled code")


@overload(exp_nonpositive_of, inline="always")
def _exp_nonpositive_of(x):
    if x == types.float32:
        return lambda x: exp_nonpositive_f32(x)
    return lambda x: exp_nonpositive(x)


@numba.njit(cache=True, fastmath={"contract"}, error_model="numpy")
def exp_nonpositive_of_loop(x, out):
    """``exp_nonpositive_of`` over an array (for its tests)."""
    for i in range(x.size):
        out[i] = exp_nonpositive_of(x[i])
