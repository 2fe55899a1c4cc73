"""Channels-last building blocks shared by every layer of the package: batch normalisation and
the 1x1 convolution over the last (channel) axis."""
from __future__ import annotations

from torch import Tensor, nn

from gast_pyg.nn._kernels import pointwise

__all__ = ['ChannelsLastBatchNorm', 'Pointwise']


class ChannelsLastBatchNorm(nn.BatchNorm1d):
    r"""Batch normalisation over the last (channel) axis of a tensor of any rank.

    Statistics are taken over every other axis, so on ``(batch, frames, joints,
    channels)`` it computes exactly what :class:`torch.nn.BatchNorm2d` computes
    on the ``(batch, channels, frames, joints)`` layout, without a permute copy.
    The state dict has the same keys as :class:`~torch.nn.BatchNorm2d`.
    """

    def forward(self, x: Tensor) -> Tensor:
        return super().forward(x.reshape(-1, x.size(-1))).view(x.shape)


class Pointwise(nn.Linear):
    r"""A 1x1 convolution on channels-last features: :math:`x W^\top (+ b)`,
    ``(*, in_features) -> (*, out_features)``; the parameters and the function of
    :class:`torch.nn.Linear`, computed by the package's CPU kernel for dense projections."""

    def forward(self, x: Tensor) -> Tensor:
        return pointwise(x, self.weight, self.bias)
