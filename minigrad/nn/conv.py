"""2-d convolution layer: ``Conv2d``."""

from .. import functional as F
from ..ops._util import conv_padding, pair
from ._util import empty_parameter, reset_weight_and_bias, size, unsupported
from .module import Module

__all__ = ["Conv2d"]


class Conv2d(Module):
    """2-d convolution (cross-correlation, as in PyTorch) over (N, C_in, H, W) inputs.

    Args:
        in_channels, out_channels: C_in and C_out.
        kernel_size, stride, dilation: an int or a pair (KH, KW) etc.
        padding: an int, a pair, ``"valid"`` (none) or ``"same"`` (output H, W = input's;
            stride 1 and an odd dilated kernel only).
        groups: 1 only (kept for PyTorch's argument order).
        bias: whether to learn a bias.
        padding_mode: ``"zeros"`` only.
        device, dtype: where and how to create the parameters.

    Parameters: ``weight`` (C_out, C_in, KH, KW) and ``bias`` (C_out,), both from
    U(−1/√fan_in, 1/√fan_in), fan_in = C_in·KH·KW, as in PyTorch.
    Output: (N, C_out, OH, OW), OH = ⌊(H + 2·PH − DH·(KH − 1) − 1) / SH⌋ + 1.
    """

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__()
        name = "Conv2d"
        unsupported(name, groups=(groups, 1), padding_mode=(padding_mode, "zeros"))
        self.in_channels = size(in_channels, "in_channels", name, minimum=1)
        self.out_channels = size(out_channels, "out_channels", name, minimum=1)
        self.kernel_size = pair(kernel_size, "kernel_size", name)
        if min(self.kernel_size) < 1:
            raise ValueError(f"{name}: kernel_size must be ≥ 1, got {kernel_size!r}")
        self.stride = pair(stride, "stride", name)
        self.dilation = pair(dilation, "dilation", name)
        resolved = conv_padding(padding, self.kernel_size, self.stride, self.dilation, name)
        self.padding = padding if isinstance(padding, str) else resolved
        self.groups, self.padding_mode = groups, padding_mode
        shape = (self.out_channels, self.in_channels) + self.kernel_size
        self.weight = empty_parameter(shape, dtype, device)
        if bias:
            self.bias = empty_parameter((self.out_channels,), dtype, device)
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        """Draw the weight and bias again (PyTorch's default initialisation)."""
        reset_weight_and_bias(self.weight, self.bias)

    def forward(self, x):
        """x (N, C_in, H, W) → (N, C_out, OH, OW)."""
        return self._call(F.conv2d, x, self.weight, self.bias, stride=self.stride,
                          padding=self.padding, dilation=self.dilation)

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.bias is None:
            s += ", bias=False"
        return s
