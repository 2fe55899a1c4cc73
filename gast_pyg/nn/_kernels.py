"""CPU kernels behind the layers: the dense projection, dropout and ReLU.

The layers call these instead of :func:`torch.nn.functional.linear`,
:func:`torch.nn.functional.dropout` and :func:`torch.nn.functional.relu`; each computes the same
function as its PyTorch counterpart (up to the rounding of the dropout probability stated in
:func:`dropout`) and differs only in how it computes it on CPUs. Each chooses by the device of
its input: on a GPU (or any device but the CPU) each is exactly its PyTorch counterpart, which
runs cuBLAS / cuDNN and a fused dropout kernel there. On CPUs:

- :func:`pointwise`: :math:`x W^\\top + b` as oneDNN's channels-last 1x1 convolution where
  :func:`mkl_is_fast` says MKL's GEMM is not the faster backend, with a backward pass of its own;
- :func:`dropout`: inverted dropout with masks drawn 16 bits per element;
- :func:`inplace_relu`: ReLU in place unless autograd records it.

What each choice was measured to gain is listed in ``docs/performance-notes.md``.
"""
from __future__ import annotations

import functools
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

from gast_pyg.errors import GastPygError

__all__ = ['FEW_ROWS', 'LEVELS', 'mkl_is_fast', 'pointwise', 'dropout', 'inplace_relu']

#: Inputs of at most this many rows take ``torch.nn.functional.linear`` in :func:`pointwise`.
FEW_ROWS = 64

#: Dropout probabilities are rounded to a multiple of ``1 / LEVELS`` on the CPU path.
LEVELS = 2**16


@functools.lru_cache(maxsize=None)
def mkl_is_fast() -> bool:
    """Whether this CPU is an Intel one (``vendor_id`` in ``/proc/cpuinfo``), on which MKL's
    GEMM, behind :func:`torch.nn.functional.linear`, is the faster backend for
    :func:`pointwise`; elsewhere oneDNN's 1x1 convolution is. ``False`` when the file cannot be
    read."""
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
    """:func:`_conv1x1` with a backward pass of its own: the input gradient is the forward
    convolution with the transposed weight, the weight gradient one matrix product
    ``grad^T x``, the bias gradient the column sum of ``grad``. The backward is made of
    differentiable operations, so double backward works; under autocast it runs in the
    forward's autocast state."""

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
    r"""A 1x1 convolution on channels-last features, :math:`x W^\top + b`.

    Args:
        x: ``(*, in_channels)``.
        weight: ``(out_channels, in_channels)``.
        bias: ``(out_channels,)`` or ``None``.

    Returns:
        ``(*, out_channels)``.

    Every dense projection of the package goes through here, so the choice of GEMM backend lives
    in one place: :func:`torch.nn.functional.linear` (MKL on CPU) on other devices, on CPUs where
    :func:`mkl_is_fast`, for non-contiguous inputs and for inputs of at most :data:`FEW_ROWS`
    rows (one frame: streaming), for which PyTorch's convolution does not pick oneDNN; otherwise
    oneDNN's channels-last 1x1 convolution, with the backward pass of :class:`_OneDNNPointwise`
    when autograd records it.
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


def dropout(x: Tensor, p: float, training: bool = True) -> Tensor:
    r"""Inverted dropout: each element zeroed with probability :math:`p`, the others scaled by
    :math:`1 / (1 - p)`, as :func:`torch.nn.functional.dropout`.

    On CPUs one 64-bit draw gives the masks of four elements: an element is kept when its 16
    random bits are at least :math:`p` in units of :math:`2^{-16}`. The probability is therefore
    :math:`p` rounded to a multiple of :math:`2^{-16}` (0.05 becomes 0.0500031), and kept values
    are scaled with that rounded :math:`p`, so the expectation is exact. The draws come from
    PyTorch's default generator: :func:`torch.manual_seed` makes the masks reproducible. Other
    devices, and :obj:`p` that rounds to 0 or 1, take :func:`torch.nn.functional.dropout`.

    Args:
        x: Any shape.
        p: The dropout probability, in ``[0, 1]``.
        training: Apply dropout; otherwise ``x`` is returned as is.

    Returns:
        The shape of ``x``.
    """
    if not 0 <= p <= 1:
        raise GastPygError(f"dropout probability must be in [0, 1], got {p}")
    levels = round(p * LEVELS)
    if not training or x.device.type != 'cpu' or not 0 < levels < LEVELS:
        return F.dropout(x, p=p, training=training)
    draws = torch.empty((x.numel() + 3) // 4, dtype=torch.int64, device=x.device)
    draws.random_(-2**63, None)
    # Each 16-bit lane, read as a signed number, is uniform in [-2^15, 2^15).
    lanes = draws.view(torch.int16)[:x.numel()].view(x.shape)
    keep = lanes >= levels - LEVELS // 2
    return torch.ops.aten.native_dropout_backward(x, keep, LEVELS / (LEVELS - levels))


def inplace_relu(x: Tensor) -> Tensor:
    """:math:`\\max(x, 0)`, on CPUs in place unless autograd records it (in place on the
    reshaped views :class:`~gast_pyg.nn.ChannelsLastBatchNorm` returns, autograd would copy the
    gradient of the view's base in the backward pass); on other devices
    :func:`torch.nn.functional.relu`, a new tensor. Any shape, returned as given."""
    inplace = x.device.type == 'cpu' and not (torch.is_grad_enabled() and x.requires_grad)
    return F.relu(x, inplace=inplace)
