"""minigrad's kernel layer: arrays in, arrays out; no autograd, no import of minigrad.

Installed as ``minigrad_kernels`` (see docs/architecture.md for why not ``kernels`` or
``minigrad.kernels``).  Each op has one file, ``<op>.py``, whose implementations share one
signature written at the top of the file; the NumPy reference comes first.

``KERNELS`` is the manifest of every implementation: ``(op, device, impl, module, function)``.
The modules are imported lazily, on first use, by ``minigrad.backend``: listing a Numba or
CUDA kernel here costs nothing at ``import minigrad`` time.  ``DEFAULTS`` names the
implementation each device uses unless the user picks another.

Adding an implementation = writing the function in its op's file + one line below.
"""

KERNELS = (
    # op        device  impl     module                     function
    ("matmul", "cpu", "numpy", "minigrad_kernels.matmul", "matmul_numpy"),
    ("erf", "cpu", "numpy", "minigrad_kernels.erf", "erf_numpy"),
)

DEFAULTS = {
    ("matmul", "cpu"): "numpy",
    ("erf", "cpu"): "numpy",
}

__all__ = ["KERNELS", "DEFAULTS"]
