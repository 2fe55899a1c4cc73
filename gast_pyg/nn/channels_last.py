"""Channels-last building blocks shared by every layer of the package."""
from __future__ import annotations

import functools
from typing import Optional

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


#: Inputs of at most this many rows take ``torch.nn.functional.linear`` in :func:`pointwise`.
FEW_ROWS = 64


@functools.lru_cache(maxsize=None)
def mkl_is_fast() -> bool:
    """Whether this CPU is an Intel one (``vendor_id`` in ``/proc/cpuinfo``), on which MKL's
    GEMM, behind :func:`torch.nn.functional.linear`, runs at full speed. On the AMD EPYC cores
    we measured, MKL ran the 2048^3 GEMM at half the rate of oneDNN's 1x1 convolution (226 vs
    445 GFLOP/s); on an Intel Xeon with AVX-512, MKL was the faster one (whole-sequence
    inference 1.06x, training step 1.08x)."""
    try:
        with open('/proc/cpuinfo') as file:
            return any(line.startswith('vendor_id') and 'GenuineIntel' in line for line in file)
    except OSError:
        return False


def pointwise(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    r"""A 1x1 convolution on channels-last features, :math:`x W^\top + b`:
    ``(*, in_channels) -> (*, out_channels)`` for ``weight`` of shape
    ``(out_channels, in_channels)``.

    Every dense projection of the package goes through here, so the choice of
    GEMM backend lives in one place: :func:`torch.nn.functional.linear` (MKL on CPU) on
    GPUs, on Intel CPUs (:func:`mkl_is_fast`) and for inputs of at most :data:`FEW_ROWS` rows
    (one frame: streaming), for which PyTorch's convolution does not pick oneDNN; otherwise
    (AMD and other CPUs) oneDNN's channels-last 1x1 convolution, twice as fast as MKL there.
    """
    if (x.device.type != 'cpu' or x.dim() < 2 or not x.is_contiguous()
            or x.numel() <= FEW_ROWS * x.size(-1) or mkl_is_fast()):
        return F.linear(x, weight, bias)
    rows = x.numel() // x.size(-1)
    # (rows, C) seen as a (1, C, rows, 1) image in channels-last memory format.
    image = x.view(1, rows, 1, x.size(-1)).permute(0, 3, 1, 2)
    out = F.conv2d(image, weight[:, :, None, None], bias)
    return out.permute(0, 2, 3, 1).reshape(*x.shape[:-1], weight.size(0))


class Pointwise(nn.Linear):
    r"""A 1x1 convolution on channels-last features: :math:`x W^\top (+ b)`,
    ``(*, in_features) -> (*, out_features)``, computed by :func:`pointwise`."""

    def forward(self, x: Tensor) -> Tensor:
        return pointwise(x, self.weight, self.bias)


def inplace_relu(x: Tensor) -> Tensor:
    """ReLU in place, unless autograd records it. The outputs of :class:`ChannelsLastBatchNorm`
    are reshaped views, and an in-place operation on a view makes autograd copy the whole
    gradient of its base in the backward pass (``CopySlices``): out of place, a training step of
    the 27-frame model ran 3 % faster."""
    return F.relu(x, inplace=not (torch.is_grad_enabled() and x.requires_grad))
