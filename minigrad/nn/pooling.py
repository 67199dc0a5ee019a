"""2-d pooling layers: ``MaxPool2d``, ``AvgPool2d``."""
from .. import functional as F
from ..ops._util import pair
from ._util import unsupported
from .module import Module

__all__ = ["MaxPool2d", "AvgPool2d"]


class MaxPool2d(Module):
    """Maximum over KH × KW windows of (N, C, H, W) inputs, per channel.

    ``kernel_size``, ``stride`` (default: the kernel size) and ``padding`` (implicit −∞,
    at most half the kernel): an int or a pair.  ``dilation``, ``return_indices`` and
    ``ceil_mode`` exist for PyTorch's argument order; only their defaults are supported.
    No parameters.
    """

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        unsupported("MaxPool2d", dilation=(dilation, 1),
                     return_indices=(return_indices, False), ceil_mode=(ceil_mode, False))
        for arg, value in (("kernel_size", kernel_size), ("padding", padding),
                           ("stride", kernel_size if stride is None else stride)):
            pair(value, arg, "MaxPool2d")     # checked now; kept as given (PyTorch's repr)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, x):
        """x (N, C, H, W) → (N, C, OH, OW)."""
        return self._call(F.max_pool2d, x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, "
                f"ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """Mean over KH × KW windows of (N, C, H, W) inputs, per channel (zero padding counts
    in the mean: PyTorch's default ``count_include_pad=True``).

    ``kernel_size``, ``stride`` (default: the kernel size), ``padding``: an int or a pair.
    ``ceil_mode``, ``count_include_pad`` and ``divisor_override`` exist for PyTorch's
    argument order; only their defaults are supported.  No parameters.
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        unsupported("AvgPool2d", ceil_mode=(ceil_mode, False),
                     count_include_pad=(count_include_pad, True),
                     divisor_override=(divisor_override, None))
        for arg, value in (("kernel_size", kernel_size), ("padding", padding),
                           ("stride", kernel_size if stride is None else stride)):
            pair(value, arg, "AvgPool2d")     # checked now; kept as given (PyTorch's repr)
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x):
        """x (N, C, H, W) → (N, C, OH, OW)."""
        return self._call(F.avg_pool2d, x, self.kernel_size, self.stride, self.padding)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
