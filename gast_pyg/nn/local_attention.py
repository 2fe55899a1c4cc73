"""Local attention: semantic graph convolutions over the symmetric and the
connection graph of a skeleton."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor, nn

from gast_pyg.errors import GastPygError
from gast_pyg.nn._kernels import dropout, inplace_relu
from gast_pyg.nn.channels_last import ChannelsLastBatchNorm, Pointwise
from gast_pyg.nn.sem_graph_conv import SemGraphConv


class LocalAttention(nn.Module):
    r"""The local attention graph of GAST-Net: channel-wise
    :class:`SemGraphConv` branches in parallel, each followed by batch norm and
    ReLU, concatenated and fused by a 1x1 convolution, batch norm, ReLU and
    dropout:

    .. math::
        \mathbf{x}' = \mathrm{Dropout}(\mathrm{ReLU}(\mathrm{BN}(\mathbf{W}
        [\mathrm{ReLU}(\mathrm{BN}(\mathrm{Sem}_{sym}(\mathbf{x})))\,\|\,
        \mathrm{ReLU}(\mathrm{BN}(\mathrm{Sem}_{con}(\mathbf{x})))])))

    The *symmetric* graph links each joint with its left/right counterpart,
    the *connection* graph with its first-order neighbours (and second-order
    ones for distal joints); both carry self-loops. Either branch can be left
    out (pass :obj:`None`) for ablations.

    Args:
        channels (int): Size of each input and output sample.
        symmetric_edge_index (torch.Tensor, optional): The symmetric graph.
        connection_edge_index (torch.Tensor, optional): The connection graph.
        num_nodes (int, optional): Number of nodes.
        dropout (float, optional): Dropout after the last ReLU.

    Shapes:
        - **input:** :math:`(*, |\mathcal{V}|, C)`
        - **output:** :math:`(*, |\mathcal{V}|, C)`
    """

    def __init__(
        self,
        channels: int,
        symmetric_edge_index: Optional[Tensor],
        connection_edge_index: Optional[Tensor],
        num_nodes: Optional[int] = None,
        dropout: float = 0.0,
    ):
        super().__init__()
        graphs = {'symmetric': symmetric_edge_index, 'connection': connection_edge_index}
        graphs = {name: edge_index for name, edge_index in graphs.items() if edge_index is not None}
        if not graphs:
            raise GastPygError(
                "LocalAttention needs at least one of the symmetric and connection graphs")
        self.channels = channels
        self.dropout = dropout
        self.convs = nn.ModuleDict({
            name: SemGraphConv(channels, channels, edge_index, num_nodes)
            for name, edge_index in graphs.items()
        })
        self.norms = nn.ModuleDict({name: ChannelsLastBatchNorm(channels) for name in graphs})
        self.lin = Pointwise(len(graphs) * channels, channels, bias=False)
        self.norm = ChannelsLastBatchNorm(channels)
        self.batch_norm_pairs = (('lin', 'norm'), *((f'convs.{name}', f'norms.{name}') for name in graphs))

    def reset_parameters(self):
        for module in (*self.convs.values(), *self.norms.values(), self.lin, self.norm):
            module.reset_parameters()

    def forward(self, x: Tensor) -> Tensor:
        branches = [inplace_relu(self.norms[name](conv(x))) for name, conv in self.convs.items()]
        out = inplace_relu(self.norm(self.lin(torch.cat(branches, dim=-1))))
        return dropout(out, p=self.dropout, training=self.training)

    def extra_repr(self) -> str:
        return f'{self.channels}, graphs={list(self.convs)}'
