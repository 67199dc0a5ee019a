"""Post-training int8 quantisation (``torch.ao.quantization``'s names): ``quantize_dynamic``,
``prepare`` → calibration → ``convert``, ``fuse_modules``, ``prepare_qat`` (fake
quantisation, straight-through estimator); the quantised layers, the observers
and the arithmetic.  Formulas: observers.py (scales, zero points, rounding) and modules.py
(the int8 product and its error bound); docs/compression.md."""
from .modules import DynamicQuantizedLinear, QuantizedConv2d, QuantizedLinear
from .observers import (HistogramObserver, MinMaxObserver, affine_qparams, dequantize,
                        quantize_per_tensor, quantize_weight)
from .qat import FakeQuantConv2d, FakeQuantLinear, fake_quantize, prepare_qat
from .quantize import ConvReLU2d, LinearReLU, convert, fuse_modules, prepare, quantize_dynamic

__all__ = ["quantize_dynamic", "prepare", "convert", "fuse_modules", "LinearReLU",
           "ConvReLU2d", "DynamicQuantizedLinear", "QuantizedLinear", "QuantizedConv2d",
           "MinMaxObserver", "HistogramObserver", "quantize_weight", "quantize_per_tensor",
           "dequantize", "affine_qparams", "prepare_qat", "fake_quantize", "FakeQuantLinear",
           "FakeQuantConv2d"]
