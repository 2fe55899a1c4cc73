"""GAST-Net: graph attention blocks interleaved with dilated temporal convolutions."""
from __future__ import annotations

import os
from typing import Any, Dict, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from gast_pyg.models.temporal import TemporalBlock, TemporalConv
from gast_pyg.nn import ChannelsLastBatchNorm, GraphAttentionBlock, Pointwise
from gast_pyg.skeleton import Skeleton


def receptive_field(filter_widths: Sequence[int]) -> int:
    """Frames one output frame sees: ``1 + 2 * sum(pad_i)`` (the product of the
    widths when they are all odd)."""
    frames, dilation = 1, 1
    for width in filter_widths:
        frames += (width - 1) * dilation
        dilation *= width
    return frames


class GASTNet(nn.Module):
    r"""GAST-Net (Liu et al., 2020): lifts 2D keypoint sequences to 3D poses.

    The input passes a batch norm, a temporal convolution of width
    ``filter_widths[0]`` to :obj:`channels`, batch norm and ReLU, then graph
    attention block 0 (``C -> 2C``). Stage ``i = 1..L-1`` is a residual
    :class:`~gast_pyg.models.temporal.TemporalBlock` of width
    ``filter_widths[i]`` and dilation ``prod(filter_widths[:i])`` followed by
    graph attention block ``i`` (``2^i C -> 2^{i+1} C``); a 1x1 convolution
    maps to 3D coordinates.

    One module holds the weights of both temporal forms: a batch of windows of
    exactly :attr:`receptive_field` frames (training) runs the strided
    single-frame form, longer sequences the dilated form; both agree.

    Args:
        skeleton (Skeleton): The joints and their graphs.
        filter_widths (list of int): Odd temporal widths, e.g. ``[3, 3, 3]``.
        channels (int): Width ``C`` of the first block.
        causal (bool): Output frame ``t`` sees input frames ``t .. t + rf - 1``
            and the residuals take the last frame of each window instead of its
            centre (real-time models).
        dropout (float): Dropout probability.
        heads (int): Heads of every global attention.
        local_connection, local_symmetry, global_attention, adaptive_matrix
            (bool): Switch the connection / symmetric graphs of the local
            branch and :math:`B_k` / :math:`C_k` of the global branch (ablations).
        in_features (int): Channels of each input keypoint (2; 3 with scores).

    Attributes:
        chunk_frames (int): In eval mode, sequences producing more output
            frames than this are processed in time chunks of that many output
            frames (overlapping by the receptive field), so intermediate
            tensors stay cache-sized and memory is bounded by the chunk, not
            the sequence. The result is the same as one pass. ``0`` disables.
    """

    chunk_frames: int = 256

    def __init__(
        self,
        skeleton: Skeleton,
        filter_widths: Sequence[int] = (3, 3, 3),
        channels: int = 128,
        causal: bool = False,
        dropout: float = 0.05,
        heads: int = 4,
        local_connection: bool = True,
        local_symmetry: bool = True,
        global_attention: bool = True,
        adaptive_matrix: bool = True,
        in_features: int = 2,
    ):
        super().__init__()
        filter_widths = [int(w) for w in filter_widths]
        if not filter_widths or any(w < 1 or w % 2 == 0 for w in filter_widths):
            raise ValueError(f"filter_widths must be odd positive integers, got {filter_widths}")
        self.skeleton = skeleton
        self.filter_widths = filter_widths
        self.channels = channels
        self.causal = causal
        self.dropout = dropout
        self.heads = heads
        self.in_features = in_features
        self.ablation = dict(local_connection=local_connection, local_symmetry=local_symmetry,
                             global_attention=global_attention, adaptive_matrix=adaptive_matrix)
        self.receptive_field = receptive_field(filter_widths)

        num_joints = skeleton.num_joints
        symmetric = skeleton.edge_index('symmetric') if local_symmetry else None
        connection = skeleton.edge_index('connection') if local_connection else None

        def block(width: int) -> GraphAttentionBlock:
            return GraphAttentionBlock(width, 2 * width, num_joints, symmetric, connection, heads,
                                       dropout, global_attention, adaptive_matrix)

        self.input_norm = ChannelsLastBatchNorm(in_features)
        self.expand = TemporalConv(in_features, channels, filter_widths[0])
        nn.init.kaiming_normal_(self.expand.weight)
        self.expand_norm = ChannelsLastBatchNorm(channels)
        self.blocks = nn.ModuleList([block(channels)])
        self.temporal = nn.ModuleList()
        dilation = filter_widths[0]
        for i, width in enumerate(filter_widths[1:], start=1):
            self.temporal.append(TemporalBlock(2**i * channels, width, dilation, causal, dropout))
            self.blocks.append(block(2**i * channels))
            dilation *= width
        self.shrink = Pointwise(2**len(filter_widths) * channels, 3, bias=False)

    @property
    def num_joints(self) -> int:
        return self.skeleton.num_joints

    @property
    def config(self) -> Dict[str, Any]:
        """Everything :func:`~gast_pyg.models.build_model` needs to rebuild
        this model (the skeleton as a mapping)."""
        return dict(arch='gast', skeleton=self.skeleton.to_dict(),
                    filter_widths=list(self.filter_widths), channels=self.channels,
                    causal=self.causal, dropout=self.dropout, heads=self.heads,
                    in_features=self.in_features, **self.ablation)

    @classmethod
    def from_checkpoint(cls, path: str | os.PathLike) -> GASTNet:
        """Rebuild a model saved by :func:`gast_pyg.save_checkpoint` (config
        embedded, loaded with ``weights_only=True``)."""
        from gast_pyg.checkpoints import model_from_checkpoint
        return model_from_checkpoint(path)

    def check_input(self, x: Tensor) -> None:
        """Raise one :class:`ValueError` naming the expected and the received
        shape unless ``x`` is ``(batch, frames >= receptive_field, joints,
        in_features)``."""
        expected = f"(batch, frames >= {self.receptive_field}, {self.num_joints}, {self.in_features})"
        if (x.dim() != 4 or x.size(2) != self.num_joints or x.size(3) != self.in_features
                or x.size(1) < self.receptive_field):
            raise ValueError(f"{self.__class__.__name__} ({self.skeleton.name}, receptive field "
                             f"{self.receptive_field}) expects input of shape {expected}, "
                             f"got {tuple(x.shape)}")

    def forward(self, x: Tensor) -> Tensor:
        r"""``(batch, frames, joints, in_features) -> (batch, frames -
        receptive_field + 1, joints, 3)``; output frame ``t`` is computed from
        input frames ``t .. t + receptive_field - 1``."""
        self.check_input(x)
        frames = x.size(1) - self.receptive_field + 1
        if not self.training and 0 < self.chunk_frames < frames:
            return torch.cat([self._forward(x[:, start:start + self.chunk_frames + self.receptive_field - 1])
                              for start in range(0, frames, self.chunk_frames)], dim=1)
        return self._forward(x)

    def _forward(self, x: Tensor) -> Tensor:
        strided = x.size(1) == self.receptive_field
        x = self.input_norm(x)
        x = F.relu(self.expand_norm(self.expand(x, strided)))
        x = self.blocks[0](x)
        for temporal, block in zip(self.temporal, self.blocks[1:]):
            x = block(temporal(x, strided))
        return self.shrink(x)

    def extra_repr(self) -> str:
        return (f'skeleton={self.skeleton.name}, joints={self.num_joints}, '
                f'filter_widths={self.filter_widths}, channels={self.channels}, '
                f'receptive_field={self.receptive_field}, causal={self.causal}')
