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


def _conv1x1(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    """``(rows, in_channels) -> (rows, out_channels)`` as oneDNN's 1x1 convolution: the rows
    seen as a ``(1, C, rows, 1)`` image in channels-last memory format, no copy."""
    rows = x.size(0)
    image = x.view(1, rows, 1, x.size(1)).permute(0, 3, 1, 2)
    return F.conv2d(image, weight[:, :, None, None], bias).permute(0, 2, 3, 1).view(rows, -1)


class _OneDNNPointwise(torch.autograd.Function):
    """:func:`_conv1x1` with a backward pass of its own. Autograd's convolution backward
    computed the input and weight gradients of the training-sized 1x1 convolutions at
    80-120 GFLOP/s on the AMD EPYC cores we measured, against 150-200 for the forward
    pass; here the input gradient is the forward convolution with the transposed weight and
    the weight gradient one matrix product (a training step of the 27-frame model 1.06x
    faster). The backward is made of differentiable operations, so double backward works."""

    @staticmethod
    @torch.amp.custom_fwd(device_type='cpu')
    def forward(ctx, x: Tensor, weight: Tensor, bias: Optional[Tensor]) -> Tensor:
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return _conv1x1(x, weight, bias)

    @staticmethod
    @torch.amp.custom_bwd(device_type='cpu')  # under the forward's autocast state
    def backward(ctx, grad: Tensor):
        x, weight = ctx.saved_tensors
        grad = grad.contiguous()
        needs_x, needs_weight, needs_bias = ctx.needs_input_grad
        grad_x = _conv1x1(grad, weight.t()) if needs_x else None
        grad_weight = grad.t().mm(x) if needs_weight else None
        grad_bias = grad.sum(0) if ctx.has_bias and needs_bias else None
        return grad_x, grad_weight, grad_bias


def pointwise(x: Tensor, weight: Tensor, bias: Optional[Tensor] = None) -> Tensor:
    r"""A 1x1 convolution on channels-last features, :math:`x W^\top + b`:
    ``(*, in_channels) -> (*, out_channels)`` for ``weight`` of shape
    ``(out_channels, in_channels)``.

    Every dense projection of the package goes through here, so the choice of
    GEMM backend lives in one place: :func:`torch.nn.functional.linear` (MKL on CPU) on
    GPUs, on Intel CPUs (:func:`mkl_is_fast`) and for inputs of at most :data:`FEW_ROWS` rows
    (one frame: streaming), for which PyTorch's convolution does not pick oneDNN; otherwise
    (AMD and other CPUs) oneDNN's channels-last 1x1 convolution, twice as fast as MKL there,
    with the backward pass of :class:`_OneDNNPointwise` when autograd records it.
    """
    if (x.device.type != 'cpu' or x.dim() < 2 or not x.is_contiguous()
            or x.numel() <= FEW_ROWS * x.size(-1) or mkl_is_fast()):
        return F.linear(x, weight, bias)
    rows = x.view(-1, x.size(-1))
    if torch.is_grad_enabled() and (x.requires_grad or weight.requires_grad
                                    or (bias is not None and bias.requires_grad)):
        out = _OneDNNPointwise.apply(rows, weight, bias)
    else:
        out = _conv1x1(rows, weight, bias)
    return out.view(*x.shape[:-1], weight.size(0))


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
