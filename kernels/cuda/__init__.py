"""Numba CUDA kernels (impl ``numba_cuda``): one module per op, each function with the same
signature as the op's CPU implementation (see ``minigrad_kernels/<op>.py``), taking device
arrays: CuPy arrays on a GPU, NumPy arrays under the CUDA simulator
(``NUMBA_ENABLE_CUDASIM=1``).  Outputs are allocated with the input's array module.

Importing a module here imports ``numba.cuda``; nothing imports them until a ``numba_cuda``
kernel is selected (``minigrad_kernels.KERNELS`` lists them lazily).  docs/kernels.md says
how to write and test one.
"""
