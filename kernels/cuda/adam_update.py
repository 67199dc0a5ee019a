"""One Adam step on one parameter in a single Numba CUDA kernel launch.

Contract (minigrad_kernels.adam_update):
    adam_update(p, g, m, v, v_max, step, lr, beta1, beta2, eps, weight_decay,
                decoupled, maximize) -> None          (p, m, v, v_max updated in place)

One thread per element (grid-stride): p, g, m, v (and v_max) are read once and written once,
instead of the dozen whole-array passes of the reference.  The scalar coefficients are
computed on the host in float64 and rounded to the parameter's dtype, as NumPy rounds a
Python float next to a float32 array, and every operation keeps the reference's order:
the same numbers up to the GPU's fused multiply-adds.
"""
import functools
import math

import numpy as np
from numba import cuda, types

from ..adam_update import adam_update_numpy
from ._launch import SIMULATOR, blocks_for, launch, numba_type

DEFAULT_THREADS = 256
SIMULATOR_THREADS = 32
MAX_BLOCKS = 65535 * 16


@functools.lru_cache(maxsize=None)
def adam_kernel(amsgrad, decoupled, weight_decay, maximize, lerp_near_a):
    """The kernel for one combination of options (its branches fixed at compile time; the
    dtype is the arguments')."""

    @cuda.jit
    def adam(p, g, m, v, v_max, decay, lam, w, one_minus_w, beta2, one_minus_beta2,
             step_size, bias_correction2_sqrt, eps):
        for i in range(cuda.grid(1), p.size, cuda.gridsize(1)):
            gi = g[i]
            if maximize:
                gi = -gi
            pi = p[i]
            if weight_decay:
                if decoupled:
                    pi = pi * decay
                else:
                    gi = gi + lam * pi
            mi = m[i]
            if lerp_near_a:
                mi = mi + w * (gi - mi)
            else:
                mi = gi - (gi - mi) * one_minus_w
            vi = v[i] * beta2
            vi = vi + one_minus_beta2 * gi * gi
            m[i] = mi
            v[i] = vi
            if amsgrad:
                vi = max(v_max[i], vi)
                v_max[i] = vi
            p[i] = pi - step_size * mi / (math.sqrt(vi) / bias_correction2_sqrt + eps)

    return adam


def _flat(a):
    return a.reshape(-1)


def adam_update_numba_cuda(p, g, m, v, v_max, step, lr, beta1, beta2, eps, weight_decay,
                           decoupled, maximize, threads=None):
    """The fused step (see the module docstring).  Arrays that are not C-contiguous (a
    parameter that is a strided view) take the reference's path: the kernel works on flat
    views and must write through them."""
    arrays = (p, g, m, v) + (() if v_max is None else (v_max,))
    if not all(a.flags.c_contiguous for a in arrays):
        return adam_update_numpy(p, g, m, v, v_max, step, lr, beta1, beta2, eps,
                                 weight_decay, decoupled, maximize)
    if p.size == 0:
        return None
    cast = p.dtype.type
    w = 1 - beta1
    scalars = (cast(1 - lr * weight_decay), cast(weight_decay), cast(w), cast(1 - w),
               cast(beta2), cast(1 - beta2), cast(lr / (1 - beta1 ** step)),
               cast((1 - beta2 ** step) ** 0.5), cast(eps))
    kernel = adam_kernel(v_max is not None, bool(decoupled), weight_decay != 0,
                         bool(maximize), abs(w) < 0.5)
    threads = threads or (SIMULATOR_THREADS if SIMULATOR else DEFAULT_THREADS)
    blocks = min(blocks_for(p.size, threads), MAX_BLOCKS)
    flat = [_flat(a) for a in arrays]
    # without amsgrad the kernel never touches v_max: pass g (never written; passing v
    # would make the simulator copy an unchanged v back over the updated one)
    v_max_flat = flat[4] if v_max is not None else flat[1]
    launch(kernel, blocks, threads, p, *flat[:4], v_max_flat, *scalars)
    return None


def kernel_signatures(dtype):
    """(name, kernel, argument types) for ``dtype`` and each option branch (PTX check)."""
    scalar = numba_type(np.dtype(dtype))
    vec = types.Array(scalar, 1, "C")
    out = []
    for amsgrad, decoupled, lerp_near_a in ((False, False, True), (True, True, False)):
        kernel = adam_kernel(amsgrad, decoupled, True, amsgrad, lerp_near_a)
        out.append((f"adam_amsgrad={amsgrad}_decoupled={decoupled}", kernel,
                    (vec,) * 5 + (scalar,) * 9))
    return out
