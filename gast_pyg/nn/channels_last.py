"""Channels-last building blocks shared by every layer of the package."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


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
    r"""A 1x1 convolution on channels-last features: :math:`x W^\top (+ b)`.

    Kept as its own class so that the choice of GEMM backend for every 1x1
    convolution of the package lives in one place.
    """

    def forward(self, x: Tensor) -> Tensor:
        return F.linear(x, self.weight, self.bias)

