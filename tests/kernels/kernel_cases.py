"""Inputs for every kernel op: a hypothesis strategy of argument tuples and the tolerance.

Every op in ``minigrad_kernels.KERNELS`` must have an entry here (checked by a test), so a
new kernel is compared with its op's NumPy reference without writing a new test.
"""
import numpy as np
from hypothesis import strategies as st


@st.composite
def matmul_args(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    m, k, n = (draw(st.integers(1, 40)) for _ in range(3))
    batch = draw(st.sampled_from([(), (2,), (3, 1)]))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(batch + (m, k)).astype(dtype)
    b = rng.standard_normal((k, n)).astype(dtype)
    return (a, b)


@st.composite
def erf_args(draw):
    dtype = draw(st.sampled_from([np.float32, np.float64]))
    shape = draw(st.lists(st.integers(1, 5), max_size=3).map(tuple))
    seed = draw(st.integers(0, 2**32 - 1))
    return (np.random.default_rng(seed).uniform(-4, 4, shape).astype(dtype),)


CASES = {
    # op: (argument strategy, rtol for float32, rtol for float64)
    "matmul": (matmul_args(), 1e-4, 1e-12),
    "erf": (erf_args(), 1e-6, 1e-15),
}
