"""Gaussian error linear unit, elementwise: exact ("none") or its tanh approximation.

Contract (every implementation):

    gelu_forward(x, approximate) -> y
    gelu_backward(dy, x, approximate) -> dx

    exact  ("none"):  y = x·Φ(x),  Φ(x) = ½(1 + erf(x/√2))
                      dx = dy · (Φ(x) + x·φ(x)),  φ(x) = e^(−x²/2) / √(2π)
    "tanh":           u = √(2/π)(x + 0.044715x³),  y = ½x(1 + tanh u)
                      dx = dy · (½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²))

    x, y, dy, dx: arrays of one shape and dtype.  Forward keeps nothing: backward is given x
    and recomputes tanh u (or Φ) in its own pass, so the forward writes one array and the
    backward reads two and writes one.

The GELU sits on the widest activation of a transformer block (4C features): NumPy's
version of the tanh form makes about seven full passes with temporaries forward and ten
backward; the compiled loops make one each.
"""
import math

import numba
import numpy as np

from ._arrays import array_module, compiled_floats, flat, is_cupy
from ._fastmath import exp_nonpositive, exp_nonpositive_of
from .erf import erf_cupy, erf_numpy
from .memory import empty

_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)
_INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)
_A = 0.044715


def gelu_forward_numpy(x, approximate="none"):
    """Reference: the formulas in whole-array operations (any array module: it uses x's;
    also the CuPy implementation)."""
    if approximate == "tanh":
        # x·x·x, not x ** 3: NumPy's power is a libm call per element (6x slower)
        t = array_module(x).tanh(_SQRT_2_OVER_PI * x * (1 + _A * x * x))
        return 0.5 * x * (1 + t)
    return x * _cdf(x)


def gelu_backward_numpy(dy, x, approximate="none"):
    """Reference: the derivative in whole-array operations, tanh u or Φ(x) recomputed
    (any array module)."""
    xp = array_module(x)
    if approximate == "tanh":
        t = xp.tanh(_SQRT_2_OVER_PI * x * (1 + _A * x * x))
        du = _SQRT_2_OVER_PI * (1 + 3 * _A * x * x)
        return dy * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * du)
    pdf = _INV_SQRT_2PI * xp.exp(-0.5 * x * x)
    return dy * (_cdf(x) + x * pdf)


def _cdf(x):
    """Φ(x) = ½(1 + erf(x/√2)): libm's erf on the host, CuPy's on a GPU (erf_cupy; it also
    keeps the NumPy subclass of the tests' device stand-in)."""
    z = x / math.sqrt(2)
    host = type(z) is np.ndarray or not (isinstance(z, np.ndarray) or is_cupy(z))
    return 0.5 * (1 + (erf_numpy(z) if host else erf_cupy(z)))


# ---------------------------------------------------------------------------------------
# Numba: one pass each, single-threaded (see minigrad_kernels.DEFAULTS), over 1-D views of
# C-contiguous float arrays: the tanh form in the arrays' precision, the exact form in
# float64.
#
# No SVML here: np.tanh or math.exp in a loop is a scalar libm call per element, and the
# loop does not vectorise.  The loops below need no tanh at all.  With p = e^(−2|u|):
#
#     tanh u = sign(u)·(1 − p)/(1 + p)          ½(1 + tanh u) = 1/(1 + p)   (u ≥ 0)
#     1 − tanh²u = 4p/(1 + p)²                                = p/(1 + p)   (u < 0)
#
# which have no cancellation (unlike 1 + tanh u near u → −∞, or 1 − 2/(e^(2u) + 1) near 0),
# and p comes from ``_fastmath.exp_nonpositive_of``: multiply-adds only, which LLVM
# vectorises.  error_model="numpy": Numba's default checks every float division for a
# zero divisor (to raise ZeroDivisionError), and that branch alone keeps the loop scalar.

@numba.njit(inline="always")
def _tanh_terms(u, dt):
    """(½(1 + tanh u), 1 − tanh²u) from p = e^(−2|u|), in the precision of ``dt`` (u's
    type: float32 or float64), each to a few ulp of it."""
    p = exp_nonpositive_of(dt(-2.0) * abs(u))
    d = dt(1.0) / (dt(1.0) + p)
    return (d if u >= 0.0 else p * d), dt(4.0) * p * d * d


@numba.njit(cache=True, fastmath={"contract"}, error_model="numpy")
def _tanh_terms_loop(u, half_one_plus_t, one_minus_t2):
    """The two terms over an array (for the tests of the vectorised tanh)."""
    dt = u.dtype.type
    for i in range(u.size):
        half_one_plus_t[i], one_minus_t2[i] = _tanh_terms(u[i], dt)


# float32 arrays are computed in float32 (twice the lanes of float64, and the float32 e^x:
# a few ulp of float32, like NumPy's own float32 tanh), float64 arrays in float64.

@numba.njit(cache=True, fastmath={"contract"}, error_model="numpy")
def _gelu_tanh_loop(x, y):
    dt = x.dtype.type
    c, a = dt(_SQRT_2_OVER_PI), dt(_A)
    for i in range(x.size):
        v = x[i]
        s, _ = _tanh_terms(c * v * (dt(1.0) + a * v * v), dt)
        y[i] = v * s


@numba.njit(cache=True, fastmath={"contract"}, error_model="numpy")
def _gelu_tanh_backward_loop(dy, x, dx):
    dt = x.dtype.type
    c, a = dt(_SQRT_2_OVER_PI), dt(_A)
    for i in range(x.size):
        v = x[i]
        s, sech2 = _tanh_terms(c * v * (dt(1.0) + a * v * v), dt)
        du = c * (dt(1.0) + dt(3.0) * a * v * v)
        dx[i] = dy[i] * (s + dt(0.5) * v * sech2 * du)


# The exact form calls libm's erfc per element (no vectorised erf here): still one pass
# instead of NumPy's six.  Φ(x) = ½·erfc(−x/√2) keeps its relative precision for x ≪ 0,
# where 1 + erf(x/√2) cancels.

@numba.njit(cache=True, fastmath={"contract"}, error_model="numpy")
def _gelu_exact_loop(x, y):
    for i in range(x.size):
        v = np.float64(x[i])
        y[i] = v * 0.5 * math.erfc(-v * 0.7071067811865476)


@numba.njit(cache=True, fastmath={"contract"}, error_model="numpy")
def _gelu_exact_backward_loop(dy, x, dx):
    for i in range(x.size):
        v = np.float64(x[i])
        cdf = 0.5 * math.erfc(-v * 0.7071067811865476)
        dx[i] = dy[i] * (cdf + v * _INV_SQRT_2PI * exp_nonpositive(-0.5 * v * v))


# Below this many elements a compiled call's dispatch costs more than the reference's
# passes: small arrays go to the reference (as relu's).
SMALL = 1024


def gelu_forward_numba(x, approximate="none"):
    """One compiled pass (float32/float64 NumPy arrays of SMALL elements or more; the
    reference otherwise); the tanh form vectorised, with no libm call."""
    if x.size < SMALL or not compiled_floats(x):
        return gelu_forward_numpy(x, approximate)
    y = empty(x.shape, x.dtype)
    loop = _gelu_tanh_loop if approximate == "tanh" else _gelu_exact_loop
    loop(flat(x), y.reshape(-1))
    return y


def gelu_backward_numba(dy, x, approximate="none"):
    """One compiled pass (float32/float64 NumPy arrays of one dtype, SMALL elements or
    more; the reference otherwise)."""
    if x.size < SMALL or not compiled_floats(dy, x):
        return gelu_backward_numpy(dy, x, approximate)
    dx = empty(x.shape, x.dtype)
    loop = _gelu_tanh_backward_loop if approximate == "tanh" else _gelu_exact_backward_loop
    loop(flat(dy), flat(x), dx.reshape(-1))
    return dx
