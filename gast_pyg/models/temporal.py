"""Temporal convolutions on channels-last ``(batch, frames, joints, channels)`` tensors.

Each module runs in two forms that share every weight: the *dilated* form over
whole sequences (inference) and the *strided* single-frame form over windows
of exactly the receptive field (training), where a convolution of width ``k``
uses stride ``k`` instead of dilation so that no unused frame is computed.
"""
from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from gast_pyg.models.base import ModelError
from gast_pyg.nn import ChannelsLastBatchNorm, Pointwise
from gast_pyg.nn._kernels import dropout, inplace_relu


class TemporalConv(nn.Conv2d):
    r"""A convolution of width :obj:`kernel_size` over frames, shared by all
    joints, without bias. Same weights and state dict as a
    :class:`~torch.nn.Conv2d` with kernel ``(kernel_size, 1)``.

    Shapes: ``(batch, frames, joints, in_channels) ->
    (batch, frames', joints, out_channels)``, ``frames' = frames -
    dilation * (kernel_size - 1)`` (dilated) or ``frames // kernel_size``
    (strided).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int = 1):
        super().__init__(in_channels, out_channels, (kernel_size, 1),
                         dilation=(dilation, 1), bias=False)

    def forward(self, x: Tensor, strided: bool = False) -> Tensor:
        # (B, T, J, C) viewed as (B, C, T, J) is a channels-last tensor: the
        # convolution runs on it without a copy and returns channels-last.
        x = x.permute(0, 3, 1, 2)
        if strided:
            y = F.conv2d(x, self.weight, self.bias, stride=self.kernel_size)
        else:
            y = F.conv2d(x, self.weight, self.bias, dilation=self.dilation)
        return y.permute(0, 2, 3, 1)


class TemporalBlock(nn.Module):
    r"""A residual temporal block of VideoPose3D / GAST-Net:

    .. math::
        \mathbf{x}' = \mathbf{x}[\text{centre}] + \mathrm{Dropout}(
        \mathrm{ReLU}(\mathrm{BN}(\mathbf{W} \, \mathrm{ReLU}(\mathrm{BN}(
        \mathrm{TemporalConv}(\mathbf{x}))))))

    The residual takes the frames aligned with the outputs: the centre of each
    window, or its end when :obj:`causal`. VideoPose3D also drops out after
    the first ReLU (:obj:`dropout_after_conv`); GAST-Net does not.
    """

    def __init__(self, channels: int, kernel_size: int, dilation: int,
                 causal: bool = False, dropout: float = 0.0, dropout_after_conv: bool = False):
        super().__init__()
        self.batch_norm_pairs = (('conv', 'conv_norm'), ('pointwise', 'pointwise_norm'))
        if kernel_size % 2 != 1:
            raise ModelError(f"temporal filter widths must be odd, got {kernel_size}")
        self.kernel_size = kernel_size
        self.dilation = dilation
        self.causal = causal
        self.dropout = dropout
        self.dropout_after_conv = dropout_after_conv
        self.pad = (kernel_size - 1) * dilation // 2
        self.conv = TemporalConv(channels, channels, kernel_size, dilation)
        self.conv_norm = ChannelsLastBatchNorm(channels)
        self.pointwise = Pointwise(channels, channels, bias=False)
        self.pointwise_norm = ChannelsLastBatchNorm(channels)

    def forward(self, x: Tensor, strided: bool = False) -> Tensor:
        half = self.kernel_size // 2
        if strided:
            start = half + (half if self.causal else 0)
            residual = x[:, start::self.kernel_size]
        else:
            start = self.pad + (self.pad if self.causal else 0)
            residual = x[:, start:x.size(1) - 2 * self.pad + start]
        return self.after_conv(self.conv(x, strided), residual)

    def after_conv(self, y: Tensor, residual: Tensor) -> Tensor:
        """The block from the output ``y`` of its temporal convolution on, with ``residual`` the
        input frames aligned with ``y`` (streaming computes ``y`` one frame at a time)."""
        y = inplace_relu(self.conv_norm(y))
        if self.dropout_after_conv:
            y = dropout(y, p=self.dropout, training=self.training)
        y = inplace_relu(self.pointwise_norm(self.pointwise(y)))
        return residual + dropout(y, p=self.dropout, training=self.training)
