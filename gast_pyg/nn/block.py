"""The graph attention block: a node's features beside its local and global context."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

from gast_pyg.nn._kernels import inplace_relu
from gast_pyg.nn.channels_last import ChannelsLastBatchNorm, Pointwise
from gast_pyg.nn.global_attention import GlobalGraphAttention
from gast_pyg.nn.local_attention import LocalAttention


class GraphAttentionBlock(nn.Module):
    r"""The graph attention block of GAST-Net:

    .. math::
        \mathbf{x}' = \mathrm{ReLU}(\mathrm{BN}(\mathbf{W}[\mathbf{x} \,\|\,
        \mathrm{Local}(\mathbf{x}) \,\|\, \mathrm{Global}(\mathbf{x})]))

    with :class:`LocalAttention` and :class:`GlobalGraphAttention`, both
    ``in_channels -> in_channels``, and a 1x1 convolution to
    :obj:`out_channels` (``2 * in_channels`` in GAST-Net).

    Args:
        in_channels (int): Size of each input sample.
        out_channels (int): Size of each output sample.
        num_nodes (int): Number of nodes.
        symmetric_edge_index (torch.Tensor, optional): Symmetric graph of the
            local branch (:obj:`None` leaves that graph out).
        connection_edge_index (torch.Tensor, optional): Connection graph of the
            local branch (:obj:`None` leaves it out; with both out there is no
            local branch).
        heads (int, optional): Heads of the global attention. (default: 4)
        dropout (float, optional): Dropout in both branches. (default: 0)
        global_attention (bool, optional): Use :math:`B_k`. (default: True)
        adaptive_matrix (bool, optional): Use :math:`C_k`. (default: True;
            with both global options off there is no global branch)

    Shapes:
        - **input:** :math:`(*, |\mathcal{V}|, F_{in})`
        - **output:** :math:`(*, |\mathcal{V}|, F_{out})`
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        num_nodes: int,
        symmetric_edge_index: Optional[Tensor],
        connection_edge_index: Optional[Tensor],
        heads: int = 4,
        dropout: float = 0.0,
        global_attention: bool = True,
        adaptive_matrix: bool = True,
    ):
        super().__init__()
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.local = None
        if symmetric_edge_index is not None or connection_edge_index is not None:
            self.local = LocalAttention(in_channels, symmetric_edge_index, connection_edge_index,
                                        num_nodes, dropout)
        self.glob = None
        if global_attention or adaptive_matrix:
            self.glob = GlobalGraphAttention(in_channels, num_nodes, heads, dropout,
                                             attention=global_attention, adaptive=adaptive_matrix)
        branches = 1 + (self.local is not None) + (self.glob is not None)
        self.lin = Pointwise(branches * in_channels, out_channels, bias=False)
        self.norm = ChannelsLastBatchNorm(out_channels)
        self.batch_norm_pairs = (('lin', 'norm'),)

    def reset_parameters(self):
        for module in (self.local, self.glob, self.lin, self.norm):
            if module is not None:
                module.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        parts = [x]
        if self.local is not None:
            parts.append(self.local(x))
        if self.glob is not None:
            parts.append(self.glob(x))
        return inplace_relu(self.norm(self.lin(torch.cat(parts, dim=-1))))

    def extra_repr(self) -> str:
        return f'{self.in_channels}, {self.out_channels}'
