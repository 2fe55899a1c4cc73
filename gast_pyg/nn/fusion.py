"""Inference copies: batch norms folded into the neighbouring linear maps, per-layer constants
computed once."""
from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from gast_pyg.nn.channels_last import ChannelsLastBatchNorm
from gast_pyg.nn.global_attention import GlobalGraphAttention
from gast_pyg.nn.sem_graph_conv import SemGraphConv


def _scale_shift(norm: ChannelsLastBatchNorm) -> tuple[Tensor, Tensor]:
    scale = norm.weight * torch.rsqrt(norm.running_var + norm.eps)
    return scale, norm.bias - norm.running_mean * scale


def _add_bias(linear: nn.Module, shift: Tensor) -> None:
    if linear.bias is None:
        linear.bias = nn.Parameter(shift)
    else:
        linear.bias.data.add_(shift)


def _fold_after(linear: nn.Module, norm: ChannelsLastBatchNorm) -> None:
    """``norm(linear(x))`` as one map: rows of the weight scaled, shift as bias."""
    scale, shift = _scale_shift(norm)
    rows = linear.weight.size(0) // scale.numel()  # SemGraphConv stacks W_self on W_neigh
    if linear.bias is not None:
        linear.bias.data.mul_(scale)
    linear.weight.data.mul_(scale.repeat(rows).view(-1, *[1] * (linear.weight.dim() - 1)))
    _add_bias(linear, shift)


def _fold_before(norm: ChannelsLastBatchNorm, conv: nn.Conv2d) -> None:
    """``conv(norm(x))`` for a convolution without padding: input channels scaled."""
    scale, shift = _scale_shift(norm)
    weight = conv.weight.data
    _add_bias(conv, (weight * shift.view(1, -1, 1, 1)).sum(dim=(1, 2, 3)))
    weight.mul_(scale.view(1, -1, 1, 1))


@torch.no_grad()
def fold_batch_norms(model: nn.Module) -> nn.Module:
    """An inference copy of ``model`` in eval mode with every batch norm that a
    module declares in ``batch_norm_pairs`` folded into its neighbouring
    linear map and replaced by :class:`~torch.nn.Identity`.

    A pair ``(linear, norm)`` is ``norm(linear(x))``; a pair ``(norm, conv)``
    whose first name is the norm is ``conv(norm(x))``. Names may be dotted
    paths below the declaring module. The constants of every layer are computed
    once (:meth:`SemGraphConv.cache_edge_weights`,
    :meth:`GlobalGraphAttention.fuse_projection`). The copy computes the same
    function with fewer passes over memory; it is not meant for training.

    Raises:
        ValueError: For a declared pair without a batch norm (a pair it cannot fold).
    """
    model = copy.deepcopy(model).eval()
    for module in list(model.modules()):
        for first, second in getattr(module, 'batch_norm_pairs', ()):
            a, b = module.get_submodule(first), module.get_submodule(second)
            norm_name = first if isinstance(a, ChannelsLastBatchNorm) else second
            if isinstance(a, ChannelsLastBatchNorm):
                _fold_before(a, b)
            elif isinstance(b, ChannelsLastBatchNorm):
                _fold_after(a, b)
            else:
                raise ValueError(
                    f'{type(module).__name__} declares the batch-norm pair ({first!r}, '
                    f'{second!r}), but neither is a ChannelsLastBatchNorm; fix its '
                    'batch_norm_pairs')
            parent, _, name = norm_name.rpartition('.')
            setattr(module.get_submodule(parent) if parent else module, name, nn.Identity())
    for module in model.modules():
        if isinstance(module, SemGraphConv):
            module.cache_edge_weights()
        elif isinstance(module, GlobalGraphAttention):
            module.fuse_projection()
    return model
