"""GAST-Net: graph attention blocks interleaved with dilated temporal convolutions."""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

from torch import Tensor, nn

from gast_pyg.models.base import FrameMap, LiftingModel, check_options
from gast_pyg.models.temporal import TemporalBlock, TemporalConv
from gast_pyg.nn import ChannelsLastBatchNorm, GraphAttentionBlock, Pointwise
from gast_pyg.nn._kernels import inplace_relu
from gast_pyg.skeleton import Skeleton


class GASTNet(LiftingModel):
    r"""GAST-Net (Liu et al., 2020): lifts 2D keypoint sequences to 3D poses.

    The input passes a batch norm, a temporal convolution of width
    ``filter_widths[0]`` to :obj:`channels`, batch norm and ReLU, then graph
    attention block 0 (``C -> 2C``). Stage ``i = 1..L-1`` is a residual
    :class:`~gast_pyg.models.temporal.TemporalBlock` of width
    ``filter_widths[i]`` and dilation ``prod(filter_widths[:i])`` followed by
    graph attention block ``i`` (``2^i C -> 2^{i+1} C``); a 1x1 convolution
    maps to 3D coordinates.

    Shapes and the two temporal forms: see :class:`~gast_pyg.models.base.LiftingModel`.

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

    """

    arch = 'gast'

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
        super().__init__(skeleton, filter_widths, causal, dropout, in_features)
        check_options('GASTNet', counts={'channels': channels, 'heads': heads},
                      flags=dict(local_connection=local_connection, local_symmetry=local_symmetry,
                                 global_attention=global_attention,
                                 adaptive_matrix=adaptive_matrix))
        filter_widths = self.filter_widths
        self.channels = channels
        self.heads = heads
        self.ablation = dict(local_connection=local_connection, local_symmetry=local_symmetry,
                             global_attention=global_attention, adaptive_matrix=adaptive_matrix)

        num_joints = skeleton.num_joints
        symmetric = skeleton.edge_index('symmetric') if local_symmetry else None
        connection = skeleton.edge_index('connection') if local_connection else None

        def block(width: int) -> GraphAttentionBlock:
            return GraphAttentionBlock(width, 2 * width, num_joints, symmetric, connection, heads,
                                       dropout, global_attention, adaptive_matrix)

        self.batch_norm_pairs = (('input_norm', 'expand'), ('expand', 'expand_norm'))
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
        self.feature_size = num_joints * self.shrink.in_features

    @property
    def config(self) -> Dict[str, Any]:
        return dict(super().config, channels=self.channels, heads=self.heads, **self.ablation)

    def stages(self) -> Tuple[FrameMap, List[Tuple[nn.Module, FrameMap]]]:
        def after_expand(x: Tensor) -> Tensor:
            return self.blocks[0](inplace_relu(self.expand_norm(x)))

        return self.input_norm, [(self.expand, after_expand),
                                 *zip(self.temporal, self.blocks[1:])]

    def poses(self, features: Tensor) -> Tensor:
        return self.shrink(features)

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, channels={self.channels}'
