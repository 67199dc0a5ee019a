"""Rectified linear unit, elementwise.

Contract (every implementation):

    relu(x) -> y                   y = max(x, 0);  y is NaN where x is NaN
    relu_backward(dy, y) -> dx     dx = dy where y > 0, else 0   (y: relu's output)

    x, y, dy: arrays of one shape; y has x's dtype, dx has dy's dtype.  Where y ≤ 0 (or is
    NaN) dx is exactly 0, whatever dy holds there (PyTorch's threshold_backward).

Every convolution and hidden linear layer of the seed CNNs is followed by a ReLU, so its
two passes run on the largest activations of a step; NumPy's ``maximum`` (NaN-propagating,
with a scalar operand) moves ~3 GB/s on them, a compiled loop 4x that (measured).
"""
import numba
import numpy as np

from ._arrays import array_module, compiled_floats
from .memory import empty


def relu_numpy(x):
    """Reference: ``maximum(x, 0)`` (any array module: it uses x's; also the CuPy
    implementation)."""
    # a zero of x's own type, made once per dtype: NumPy resolves a Python 0 against x's
    # dtype on every call, which doubles the time of this on small arrays (0.78 against
    # 0.40 µs on 4×4; making x.dtype.type(0) each time costs another 0.3 µs)
    # (floats only: for bool and integer arrays NumPy's result dtype with a Python 0 is kept)
    zero = _ZEROS.get(x.dtype, 0)
    return array_module(x).maximum(x, zero)


_ZEROS = {np.dtype(t): np.dtype(t).type(0) for t in ("float16", "float32", "float64")}


def relu_backward_numpy(dy, y):
    """Reference: dy where y > 0, else an exact 0 (any array module)."""
    return array_module(dy).where(y > 0, dy, dy.dtype.type(0))


# ---------------------------------------------------------------------------------------
# Numba: one pass each, single-threaded (see minigrad_kernels.DEFAULTS), over 1-D views of
# C-contiguous float arrays; other dtypes go to the reference.

@numba.njit(cache=True)
def _relu_loop(x, y, zero):
    for i in range(x.size):
        v = x[i]
        y[i] = zero if v <= zero else v       # NaN fails the test: kept


@numba.njit(cache=True)
def _relu_backward_loop(dy, y, dx, zero):
    for i in range(dy.size):
        dx[i] = dy[i] if y[i] > zero else zero


# Below this many elements a compiled call's dispatch (~1.5 µs, measured) costs more than
# the reference's pass: small arrays go to the reference.
SMALL = 1024


def relu_numba(x):
    """One compiled pass (float32/float64 arrays of SMALL elements or more; the reference
    otherwise)."""
    if x.size < SMALL or not compiled_floats(x):
        return relu_numpy(x)
    y = empty(x.shape, x.dtype)
    _relu_loop(np.ascontiguousarray(x).reshape(-1), y.reshape(-1), x.dtype.type(0))
    return y


def relu_backward_numba(dy, y):
    """One compiled pass (float32/float64 of one dtype, SMALL elements or more; the
    reference otherwise)."""
    if dy.size < SMALL or not compiled_floats(dy, y):
        return relu_backward_numpy(dy, y)
    dx = empty(dy.shape, dy.dtype)
    _relu_backward_loop(np.ascontiguousarray(dy).reshape(-1),
                        np.ascontiguousarray(y).reshape(-1), dx.reshape(-1),
                        dy.dtype.type(0))
    return dx

