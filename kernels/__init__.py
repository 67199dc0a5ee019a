"""minigrad's kernel layer: arrays in, arrays out; no autograd, no import of minigrad.

Installed as ``minigrad_kernels`` (see docs/architecture.md for why not ``kernels`` or
``minigrad.kernels``).  Each op has one file, ``<op>.py``, whose implementations share one
signature written at the top of the file; the NumPy reference comes first, written on
its inputs' array module so that it is also the CuPy implementation.  A kernel that
allocates an array itself takes it from ``memory.empty``: memory reuse lives there only.

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
    ("erf", "cpu", "numba", "minigrad_kernels.erf", "erf_numba"),
    ("conv2d.forward", "cpu", "numpy", "minigrad_kernels.conv2d", "conv2d_forward_numpy"),
    ("conv2d.backward_input", "cpu", "numpy", "minigrad_kernels.conv2d",
     "conv2d_backward_input_numpy"),
    ("conv2d.backward_weight", "cpu", "numpy", "minigrad_kernels.conv2d",
     "conv2d_backward_weight_numpy"),
    ("conv2d.forward", "cpu", "numba", "minigrad_kernels.conv2d", "conv2d_forward_numba"),
    ("conv2d.backward_input", "cpu", "numba", "minigrad_kernels.conv2d",
     "conv2d_backward_input_numba"),
    ("conv2d.backward_weight", "cpu", "numba", "minigrad_kernels.conv2d",
     "conv2d_backward_weight_numba"),
    ("max_pool2d.forward", "cpu", "numpy", "minigrad_kernels.pool", "max_pool2d_forward_numpy"),
    ("max_pool2d.backward", "cpu", "numpy", "minigrad_kernels.pool",
     "max_pool2d_backward_numpy"),
    ("max_pool2d.forward", "cpu", "numba", "minigrad_kernels.pool", "max_pool2d_forward_numba"),
    ("max_pool2d.backward", "cpu", "numba", "minigrad_kernels.pool",
     "max_pool2d_backward_numba"),
    ("softmax_xent.forward", "cpu", "numpy", "minigrad_kernels.softmax_xent",
     "softmax_xent_numpy"),
    ("softmax_xent.backward", "cpu", "numpy", "minigrad_kernels.softmax_xent",
     "softmax_xent_backward_numpy"),
    ("adam_update", "cpu", "numpy", "minigrad_kernels.adam_update", "adam_update_numpy"),
    ("adam_update", "cpu", "numba", "minigrad_kernels.adam_update", "adam_update_numba"),
    ("relu.forward", "cpu", "numpy", "minigrad_kernels.relu", "relu_numpy"),
    ("attention.forward", "cpu", "numpy", "minigrad_kernels.attention",
     "attention_forward_numpy"),
    ("attention.backward", "cpu", "numpy", "minigrad_kernels.attention",
     "attention_backward_numpy"),
    ("attention.forward", "cpu", "numba", "minigrad_kernels.attention",
     "attention_forward_numba"),
    ("attention.backward", "cpu", "numba", "minigrad_kernels.attention",
     "attention_backward_numba"),
    ("attention.forward", "cpu", "blas", "minigrad_kernels.attention",
     "attention_forward_blas"),
    ("attention.backward", "cpu", "blas", "minigrad_kernels.attention",
     "attention_backward_blas"),
    ("relu.backward", "cpu", "numpy", "minigrad_kernels.relu", "relu_backward_numpy"),
    ("relu.forward", "cpu", "numba", "minigrad_kernels.relu", "relu_numba"),
    ("relu.backward", "cpu", "numba", "minigrad_kernels.relu", "relu_backward_numba"),
    ("gelu.forward", "cpu", "numpy", "minigrad_kernels.gelu", "gelu_forward_numpy"),
    ("gelu.backward", "cpu", "numpy", "minigrad_kernels.gelu", "gelu_backward_numpy"),
    ("gelu.forward", "cpu", "numba", "minigrad_kernels.gelu", "gelu_forward_numba"),
    ("gelu.backward", "cpu", "numba", "minigrad_kernels.gelu", "gelu_backward_numba"),
    ("layer_norm.forward", "cpu", "numpy", "minigrad_kernels.layer_norm",
     "layer_norm_forward_numpy"),
    ("layer_norm.backward", "cpu", "numpy", "minigrad_kernels.layer_norm",
     "layer_norm_backward_numpy"),
    ("layer_norm.forward", "cpu", "numba", "minigrad_kernels.layer_norm",
     "layer_norm_forward_numba"),
    ("layer_norm.backward", "cpu", "numba", "minigrad_kernels.layer_norm",
     "layer_norm_backward_numba"),
    # CUDA: our own Numba CUDA kernels (minigrad_kernels.cuda, imported only when one is
    # used), and CuPy below.  Both take device arrays and return arrays of the input's kind;
    # see docs/kernels.md.
    ("erf", "cuda", "cupy", "minigrad_kernels.erf", "erf_cupy"),
    ("matmul", "cuda", "numba_cuda", "minigrad_kernels.cuda.matmul", "matmul_numba_cuda"),
    ("conv2d.forward", "cuda", "numba_cuda", "minigrad_kernels.cuda.conv2d",
     "conv2d_forward_numba_cuda"),
    ("conv2d.backward_input", "cuda", "numba_cuda", "minigrad_kernels.cuda.conv2d",
     "conv2d_backward_input_numba_cuda"),
    ("conv2d.backward_weight", "cuda", "numba_cuda", "minigrad_kernels.cuda.conv2d",
     "conv2d_backward_weight_numba_cuda"),
    ("max_pool2d.forward", "cuda", "numba_cuda", "minigrad_kernels.cuda.pool",
     "max_pool2d_forward_numba_cuda"),
    ("max_pool2d.backward", "cuda", "numba_cuda", "minigrad_kernels.cuda.pool",
     "max_pool2d_backward_numba_cuda"),
    ("softmax_xent.forward", "cuda", "numba_cuda", "minigrad_kernels.cuda.softmax_xent",
     "softmax_xent_numba_cuda"),
    ("softmax_xent.backward", "cuda", "numba_cuda", "minigrad_kernels.cuda.softmax_xent",
     "softmax_xent_backward_numba_cuda"),
    ("adam_update", "cuda", "numba_cuda", "minigrad_kernels.cuda.adam_update",
     "adam_update_numba_cuda"),
    ("attention.forward", "cuda", "numba_cuda", "minigrad_kernels.cuda.attention",
     "attention_forward_numba_cuda"),
    ("attention.backward", "cuda", "numba_cuda", "minigrad_kernels.cuda.attention",
     "attention_backward_numba_cuda"),
)
# CuPy: the NumPy reference of every op but erf (erf_cupy above), as it is, on CuPy arrays:
# a reference uses its inputs' array module (cuBLAS for the products, CuPy elementwise
# kernels and reductions for the rest).
KERNELS += tuple((op, "cuda", "cupy", module, function)
                 for op, _, impl, module, function in KERNELS if impl == "numpy" and op != "erf")

# The default per (op, device) is the fastest implementation measured on the development
# machine (2-core x86-64, OpenBLAS; python -m benchmarks); NumPy where nothing beats it.
# The Numba kernels are single-threaded on purpose: OpenBLAS's threads and a parallel Numba
# region contend for the cores after every GEMM (measured: +7 ms per alternation with
# Numba's OpenMP layer), and these loops are memory-bound anyway.
_FASTEST = {
    ("conv2d.forward", "cpu"): "numba",          # im2col loop without the strided copies
    ("conv2d.backward_input", "cpu"): "numba",   # col2im: 1.7-1.9x faster than KH·KW adds
    ("conv2d.backward_weight", "cpu"): "numba",  # im2col loop, when forward kept no cols
    ("max_pool2d.backward", "cpu"): "numba",     # 1.7-2.3x faster than KH·KW masked adds
    ("max_pool2d.forward", "cpu"): "numba",      # 2 × 2 windows: 3x faster (else NumPy's)
    ("adam_update", "cpu"): "numba",             # one pass, same bits: 4.5x faster (694k params)
    ("relu.forward", "cpu"): "numba",            # one pass: 2-2.7x faster than np.maximum
    ("relu.backward", "cpu"): "numba",           # one pass instead of a mask and a multiply
    # blockwise attention with BLAS tiles, forward + backward, causal float32, 32 heads,
    # E = 32 (python -m benchmarks.attention_bench): 2-3.5x faster than the fused Numba
    # loops at L = 64-1024, and a few tiles of extra memory, not several L × S arrays
    ("attention.forward", "cpu"): "blas",
    ("attention.backward", "cpu"): "blas",
    ("erf", "cpu"): "numba",                     # libm's erf, no Python object: 8-10x faster
    # GPT MLP's GELU (tanh), 768 x 512 float32: one vectorised pass each, no libm tanh;
    # forward + backward 0.8 vs 1.0 ms, and only x saved between them
    ("gelu.forward", "cpu"): "numba",
    ("gelu.backward", "cpu"): "numba",
    # GPT LayerNorm, 768 x 128 float32: one pass per row, sums in float64; forward +
    # backward 0.06 vs 0.39 ms.  With the GELU: a GPT training step 45 -> 40 ms (2 cores)
    ("layer_norm.forward", "cpu"): "numba",
    ("layer_norm.backward", "cpu"): "numba",
}
# On CUDA the default is CuPy until a benchmark on a real GPU says otherwise: no GPU has
# measured our Numba CUDA kernels against it yet (pick them with use_kernels/MINIGRAD_KERNELS).
DEFAULTS = {(op, device): impl for op, device, impl, _, _ in KERNELS
            if (device, impl) in (("cpu", "numpy"), ("cuda", "cupy"))}
DEFAULTS.update(_FASTEST)

__all__ = ["KERNELS", "DEFAULTS"]

# int8 × int8 → int32 products of the quantised layers (minigrad.quantization, issue 17).
# Every implementation gives the same bits (integer arithmetic, tests/kernels/test_qgemm.py).
KERNELS += (
    ("qgemm", "cpu", "numpy", "minigrad_kernels.qgemm", "qgemm_numpy"),
    ("qgemm", "cpu", "sgemm", "minigrad_kernels.qgemm", "qgemm_sgemm"),
    ("qgemm", "cpu", "numba", "minigrad_kernels.qgemm", "qgemm_numba"),
)
# float32 SGEMM in chunks of K ≤ 1024 (exact): OpenBLAS, far faster than NumPy's integer
# matmul (no BLAS) or the Numba loop; figures in docs/compression.md (benchmarks/qgemm_bench.py)
DEFAULTS[("qgemm", "cpu")] = "sgemm"

# Whole quantised layers (float32 in, float32 out; minigrad.quantization's QuantizedLinear,
# DynamicQuantizedLinear, QuantizedConv2d): the quantisation of the input, the int8 product
# and the epilogue in one call.  Same bits in every implementation (kernels/qlayer.py).
KERNELS += (
    ("qlayer.linear", "cpu", "numpy", "minigrad_kernels.qlayer", "qlayer_linear_numpy"),
    ("qlayer.conv2d", "cpu", "numpy", "minigrad_kernels.qlayer", "qlayer_conv2d_numpy"),
    ("qlayer.linear", "cpu", "numba", "minigrad_kernels.qlayer", "qlayer_linear_numba"),
    ("qlayer.conv2d", "cpu", "numba", "minigrad_kernels.qlayer", "qlayer_conv2d_numba"),
)
# three passes over memory instead of about ten, SGEMM for the product (docs/compression.md)
DEFAULTS[("qlayer.linear", "cpu")] = "numba"
DEFAULTS[("qlayer.conv2d", "cpu")] = "numba"
