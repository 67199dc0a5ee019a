"""minigrad's kernel layer: arrays in, arrays out; no autograd, no import of minigrad.

Installed as ``minigrad_kernels`` (see docs/architecture.md for why not ``kernels`` or
``minigrad.kernels``).  Each op has one file, ``<op>.py``, whose implementations share one
signature written at the top of the file; the NumPy reference comes first.

``KERNELS`` is the manifest of every implementation: ``(op, device, impl, module, function)``.
An op with several entry points is a family named ``<family>.<entry>`` (``conv2d.forward``,
``conv2d.backward_input``...); choosing an implementation for the family name chooses it
for every entry.
The modules are imported lazily, on first use, by ``minigrad.backend``: listing a Numba or
CUDA kernel here costs nothing at ``import minigrad`` time.  ``DEFAULTS`` names the
implementation each device uses unless the user picks another.

Adding an implementation = writing the function in its op's file + one line below.
"""

KERNELS = (
    # op        device  impl     module                     function
    ("matmul", "cpu", "numpy", "minigrad_kernels.matmul", "matmul_numpy"),
    ("erf", "cpu", "numpy", "minigrad_kernels.erf", "erf_numpy"),
    ("conv2d.forward", "cpu", "numpy", "minigrad_kernels.conv2d", "conv2d_forward_numpy"),
    ("conv2d.backward_input", "cpu", "numpy", "minigrad_kernels.conv2d",
     "conv2d_backward_input_numpy"),
    ("conv2d.backward_weight", "cpu", "numpy", "minigrad_kernels.conv2d",
     "conv2d_backward_weight_numpy"),
    ("max_pool2d.forward", "cpu", "numpy", "minigrad_kernels.pool", "max_pool2d_forward_numpy"),
    ("max_pool2d.backward", "cpu", "numpy", "minigrad_kernels.pool",
     "max_pool2d_backward_numpy"),
    ("softmax_xent.forward", "cpu", "numpy", "minigrad_kernels.softmax_xent",
     "softmax_xent_numpy"),
    ("softmax_xent.backward", "cpu", "numpy", "minigrad_kernels.softmax_xent",
     "softmax_xent_backward_numpy"),
)

DEFAULTS = {(op, device): impl for op, device, impl, _, _ in KERNELS if impl == "numpy"}

__all__ = ["KERNELS", "DEFAULTS"]
