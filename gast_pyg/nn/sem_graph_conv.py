"""Semantic graph convolution with learned, channel-wise edge weights."""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor
from torch.nn import Parameter
from torch_geometric.nn import MessagePassing
from torch_geometric.utils import softmax
from torch_geometric.utils.num_nodes import maybe_num_nodes

from gast_pyg.errors import GastPygError
from gast_pyg.nn._kernels import pointwise


class SemGraphConv(MessagePassing):
    r"""The channel-wise semantic graph convolution of GAST-Net (Eq. 2 of
    `"A Graph Attention Spatio-temporal Convolutional Network for 3D Human
    Pose Estimation in Video" <https://arxiv.org/abs/2003.14179>`_), after
    SemGCN (`Zhao et al. <https://arxiv.org/abs/1904.03345>`_):

    .. math::
        \mathbf{x}^{\prime}_i[c] = \alpha_{c,ii}\,(\mathbf{x}_i
        \mathbf{W}_{\mathrm{self}})[c] + \sum_{j \in \mathcal{N}(i)
        \setminus \{i\}} \alpha_{c,ij}\,(\mathbf{x}_j
        \mathbf{W}_{\mathrm{neigh}})[c],
        \qquad
        \alpha_{c,ij} = \frac{\exp(e_{c,ij})}{\sum_{k \in \mathcal{N}(i)}
        \exp(e_{c,ik})},

    where :math:`\mathcal{N}(i)` are the sources of the edges into :math:`i`
    (a self-loop included, if the graph has one) and :math:`e_{c,ij}` is one
    learnable logit per edge and output channel (one per edge when
    :obj:`channelwise=False`, the original SemGCN).

    The layer owns per-edge parameters, so it is built for one graph, which it
    stores as a buffer; :obj:`edge_logit[k]` belongs to edge :obj:`k` of that
    :obj:`edge_index`. Nodes are on axis ``-2``: one graph serves inputs of
    shape ``(num_nodes, C)``, ``(B * T, num_nodes, C)`` or
    ``(B, T, num_nodes, C)`` alike.

    Args:
        in_channels (int): Size of each input sample.
        out_channels (int): Size of each output sample.
        edge_index (torch.Tensor): The graph, ``(2, E)``, row 0 the sources.
        num_nodes (int, optional): Number of nodes (default: inferred from
            :obj:`edge_index`).
        channelwise (bool, optional): One logit per edge and output channel
            (GAST-Net) or one per edge (SemGCN). (default: :obj:`True`)
        bias (bool, optional): Add a learnable bias (GAST-Net: none).
            (default: :obj:`False`)
        **kwargs (optional): Additional arguments of
            :class:`torch_geometric.nn.conv.MessagePassing`.

    Shapes:
        - **input:** node features :math:`(*, |\mathcal{V}|, F_{in})`
        - **output:** node features :math:`(*, |\mathcal{V}|, F_{out})`
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        edge_index: Tensor,
        num_nodes: Optional[int] = None,
        channelwise: bool = True,
        bias: bool = False,
        **kwargs,
    ):
        kwargs.setdefault('aggr', 'add')
        super().__init__(node_dim=-2, **kwargs)
        if edge_index.dim() != 2 or edge_index.size(0) != 2:
            raise GastPygError(
                f"'edge_index' must have shape (2, E), got {tuple(edge_index.shape)}")

        self.in_channels = in_channels
        self.out_channels = out_channels
        self.num_nodes = maybe_num_nodes(edge_index, num_nodes)
        self.channelwise = channelwise

        self.register_buffer('edge_index', edge_index.long().clone(), persistent=False)
        is_loop = edge_index[0] == edge_index[1]
        self.register_buffer('loop_edges', is_loop.nonzero().view(-1), persistent=False)
        self.register_buffer('other_edges', (~is_loop).nonzero().view(-1), persistent=False)
        # W_self stacked on W_neigh: one GEMM gives both projections.
        self.weight = Parameter(torch.empty(2 * out_channels, in_channels))
        self.edge_logit = Parameter(
            torch.empty(edge_index.size(1), out_channels if channelwise else 1))
        if bias:
            self.bias = Parameter(torch.empty(out_channels))
        else:
            self.register_parameter('bias', None)
        # Set by cache_edge_weights() on inference copies: the weights of the self-loops and of
        # the other edges, computed once.
        self.register_buffer('cached_alpha_self', None, persistent=False)
        self.register_buffer('cached_alpha_others', None, persistent=False)
        self.reset_parameters()

    def reset_parameters(self):
        super().reset_parameters()
        # Xavier-uniform (gain 1.414) with the fans the reference computes for
        # its (2, in_channels, out_channels) weight tensor.
        fan_in = self.in_channels * self.out_channels
        fan_out = 2 * self.out_channels
        bound = 1.414 * math.sqrt(6.0 / (fan_in + fan_out))
        torch.nn.init.uniform_(self.weight, -bound, bound)
        torch.nn.init.ones_(self.edge_logit)
        if self.bias is not None:
            torch.nn.init.zeros_(self.bias)

    def edge_weights(self, edge_index: Optional[Tensor] = None) -> Tensor:
        r"""The normalised edge weights :math:`\alpha`, ``(E, out_channels)``
        (``(E, 1)`` when not channel-wise), in :obj:`edge_index` order."""
        edge_index = self.edge_index if edge_index is None else edge_index
        return softmax(self.edge_logit, edge_index[1], num_nodes=self.num_nodes, dim=0)

    def _split_edge_weights(self, edge_index: Tensor, loops: Tensor,
                            others: Tensor) -> tuple[Tensor, Tensor]:
        """The weight of each node's self-loop ``(num_nodes, C)`` (0 without one) and those of
        the other edges ``(E_others, C)``."""
        alpha = self.edge_weights(edge_index)
        alpha_self = alpha.new_zeros(self.num_nodes, alpha.size(-1)).index_add_(
            0, edge_index[1, loops], alpha[loops])
        return alpha_self, alpha[others]

    @torch.no_grad()
    def cache_edge_weights(self) -> None:
        """Compute the normalised edge weights once and reuse them in eval mode on the layer's
        own graph, for inference copies that run many small inputs (streaming: one frame per
        call). Later changes to :obj:`edge_logit` are not seen; training mode computes them
        afresh."""
        alpha_self, alpha_others = self._split_edge_weights(self.edge_index, self.loop_edges,
                                                            self.other_edges)
        self.cached_alpha_self, self.cached_alpha_others = alpha_self.clone(), alpha_others.clone()

    def forward(self, x: Tensor, edge_index: Optional[Tensor] = None) -> Tensor:
        edge_index = self.edge_index if edge_index is None else edge_index
        if edge_index.size(1) != self.edge_logit.size(0):
            raise GastPygError(
                f"{self.__class__.__name__} was built for {self.edge_logit.size(0)} edges, "
                f"got an 'edge_index' with {edge_index.size(1)}")
        if x.size(-2) != self.num_nodes or x.size(-1) != self.in_channels:
            raise GastPygError(
                f"{self.__class__.__name__} expects x of shape (*, {self.num_nodes}, "
                f"{self.in_channels}), got {tuple(x.shape)}")

        if edge_index is self.edge_index:
            loops, others = self.loop_edges, self.other_edges
        else:
            is_loop = edge_index[0] == edge_index[1]
            loops, others = is_loop.nonzero().view(-1), (~is_loop).nonzero().view(-1)
        # The self term needs no gather: alpha at each node's self-loop (0
        # without one) times x_i W_self; only the other edges pass messages.
        if (self.cached_alpha_self is not None and not self.training
                and edge_index is self.edge_index):
            alpha_self, alpha_others = self.cached_alpha_self, self.cached_alpha_others
        else:
            alpha_self, alpha_others = self._split_edge_weights(edge_index, loops, others)
        h_self, h_neigh = pointwise(x, self.weight).split(self.out_channels, dim=-1)
        out = self.propagate(edge_index[:, others], x=h_neigh, alpha=alpha_others,
                             size=(self.num_nodes, self.num_nodes))
        out = out.addcmul_(alpha_self, h_self)
        return out if self.bias is None else out + self.bias

    def message(self, x_j: Tensor, alpha: Tensor) -> Tensor:
        return alpha * x_j

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.in_channels}, {self.out_channels}, '
                f'num_nodes={self.num_nodes}, edges={self.edge_logit.size(0)}, '
                f'channelwise={self.channelwise})')
