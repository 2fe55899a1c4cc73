"""Multi-head global graph attention with an adaptive adjacency matrix."""
from __future__ import annotations

import math
from typing import Optional, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor
from torch.nn import Parameter
from torch_geometric.nn import MessagePassing
from torch_geometric.utils import softmax

from gast_pyg.errors import GastPygError
from gast_pyg.nn._kernels import dropout, inplace_relu, pointwise
from gast_pyg.nn.channels_last import ChannelsLastBatchNorm, Pointwise


def complete_edge_index(num_nodes: int) -> Tensor:
    r"""The complete graph with self-loops, ``(2, N * N)``, sorted by
    (target, source): edge ``k`` goes from node ``k % N`` to node ``k // N``."""
    index = torch.arange(num_nodes)
    return torch.stack([index.repeat(num_nodes), index.repeat_interleave(num_nodes)])


class GlobalGraphAttention(MessagePassing):
    r"""The multi-head global graph attention of GAST-Net (Eq. 3-4 of
    `"A Graph Attention Spatio-temporal Convolutional Network for 3D Human
    Pose Estimation in Video" <https://arxiv.org/abs/2003.14179>`_):

    .. math::
        \mathbf{y}^{(k)}_i = \sum_{j \in \mathcal{N}(i)} \left(
        B_k(i, j) + C_k(i, j) \right) \mathbf{W}^{(k)}_g \mathbf{x}_j,
        \qquad
        B_k(i, j) = \mathrm{softmax}_j \left( \mathrm{LeakyReLU}_{0.2} \left(
        \mathbf{a}^{(k)\top}_{\theta} \theta_k(\mathbf{x}_i) +
        \mathbf{a}^{(k)\top}_{\phi} \phi_k(\mathbf{x}_j) \right) \right),

    with :math:`\theta_k, \phi_k, \mathbf{W}^{(k)}_g` affine maps to
    ``in_channels // heads`` channels and :math:`C_k` a learned
    ``num_nodes x num_nodes`` matrix (initialised to zero). The heads are
    concatenated and passed through a 1x1 convolution, batch norm, ReLU and
    dropout: :math:`\mathrm{Dropout}(\mathrm{ReLU}(\mathrm{BN}(
    \mathbf{W}_o [\mathbf{y}^{(1)} \| \dots \| \mathbf{y}^{(K)}])))`.

    The score splits into a target term and a source term, so each head costs
    :math:`O(NC + N^2)` for its scores (never an ``(N, N, C)`` tensor); the
    projections :math:`\mathbf{a}_\theta^\top \theta_k` and
    :math:`\mathbf{a}_\phi^\top \phi_k` are folded into one map per head.
    On the default complete graph the aggregation runs as a dense batched
    matrix product; on any other :obj:`edge_index` as message passing over its
    edges (softmax over each node's incoming edges, :math:`C_k` read at the
    edges). Both give the same result on the complete graph.

    Args:
        in_channels (int): Size of each input (and output) sample.
        num_nodes (int): Number of nodes (the size of :math:`C_k`).
        heads (int, optional): Number of heads :math:`K`; must divide
            :obj:`in_channels`. (default: :obj:`4`)
        dropout (float, optional): Dropout after the output ReLU.
            (default: :obj:`0.0`)
        attention (bool, optional): Use the data-dependent :math:`B_k`.
            (default: :obj:`True`)
        adaptive (bool, optional): Use the adaptive matrix :math:`C_k`.
            (default: :obj:`True`)
        edge_index (torch.Tensor, optional): The graph to attend over
            (default: the complete graph with self-loops).
        negative_slope (float, optional): LeakyReLU slope. (default: :obj:`0.2`)
        **kwargs (optional): Additional arguments of
            :class:`torch_geometric.nn.conv.MessagePassing`.

    Shapes:
        - **input:** node features :math:`(*, |\mathcal{V}|, F)`
        - **output:** node features :math:`(*, |\mathcal{V}|, F)`; with
          :obj:`return_attention_weights=True` also
          :math:`(\mathbf{ei}, \alpha)`, :math:`\alpha` of shape
          :math:`(*, |\mathcal{E}|, K)`: :math:`B_k` at every edge
          (:math:`C_k` is the parameter :obj:`adaptive`).
    """

    def __init__(
        self,
        in_channels: int,
        num_nodes: int,
        heads: int = 4,
        dropout: float = 0.0,
        attention: bool = True,
        adaptive: bool = True,
        edge_index: Optional[Tensor] = None,
        negative_slope: float = 0.2,
        **kwargs,
    ):
        kwargs.setdefault('aggr', 'add')
        super().__init__(node_dim=-2, **kwargs)
        if heads < 1 or in_channels % heads != 0:
            raise GastPygError(f"'heads' must divide in_channels={in_channels}, got heads={heads}")
        if not (attention or adaptive):
            raise GastPygError("at least one of 'attention' (B_k) and 'adaptive' (C_k) must be on")

        self.in_channels = in_channels
        self.num_nodes = num_nodes
        self.heads = heads
        self.head_channels = in_channels // heads
        self.dropout = dropout
        self.attention = attention
        self.negative_slope = negative_slope

        complete = complete_edge_index(num_nodes)
        if edge_index is None:
            edge_index = complete
        self.register_buffer('edge_index', edge_index.long().clone(), persistent=False)
        self._complete = bool(edge_index.shape == complete.shape
                              and torch.equal(edge_index.cpu(), complete))

        self.lin_g = Pointwise(in_channels, in_channels, bias=True)
        if attention:
            self.lin_theta = Pointwise(in_channels, in_channels, bias=True)
            self.lin_phi = Pointwise(in_channels, in_channels, bias=True)
            self.att_theta = Parameter(torch.empty(heads, self.head_channels))
            self.att_phi = Parameter(torch.empty(heads, self.head_channels))
        else:
            self.register_module('lin_theta', None)
            self.register_module('lin_phi', None)
            self.register_parameter('att_theta', None)
            self.register_parameter('att_phi', None)
        if adaptive:
            self.adaptive = Parameter(torch.empty(heads, num_nodes, num_nodes))
        else:
            self.register_parameter('adaptive', None)

        # Set by fuse_projection() on inference copies: _projection() computed once.
        self.register_buffer('fused_weight', None, persistent=False)
        self.register_buffer('fused_bias', None, persistent=False)
        self.lin_out = Pointwise(in_channels, in_channels, bias=False)
        self.norm = ChannelsLastBatchNorm(in_channels)
        self.batch_norm_pairs = (('lin_out', 'norm'),)
        self.reset_parameters()

    def reset_parameters(self):
        super().reset_parameters()
        # Kaiming-normal weights and zero biases per head, as the reference.
        for lin in (self.lin_g, self.lin_theta, self.lin_phi):
            if lin is not None:
                torch.nn.init.kaiming_normal_(lin.weight)
                torch.nn.init.zeros_(lin.bias)
        if self.attention:
            std = math.sqrt(2.0 / (2 * self.head_channels))
            torch.nn.init.normal_(self.att_theta, std=std)
            torch.nn.init.normal_(self.att_phi, std=std)
        if self.adaptive is not None:
            torch.nn.init.zeros_(self.adaptive)
        self.lin_out.reset_parameters()
        self.norm.reset_parameters()

    @torch.no_grad()
    def fuse_projection(self) -> None:
        """Compute :meth:`_projection` once and reuse it in eval mode, for inference copies
        that run many small inputs (streaming: one frame per call). Later changes to the
        weights are not seen; training mode computes it afresh."""
        self.fused_weight = self.fused_bias = None
        self.fused_weight, self.fused_bias = (t.clone() for t in self._projection())

    def _projection(self) -> Tuple[Tensor, Tensor]:
        """One weight and bias giving g (C columns), then the target and the
        source score of every head (K columns each)."""
        if self.fused_weight is not None and not self.training:
            return self.fused_weight, self.fused_bias
        if not self.attention:
            return self.lin_g.weight, self.lin_g.bias
        shape = (self.heads, self.head_channels, self.in_channels)
        w_theta = torch.einsum('hdc,hd->hc', self.lin_theta.weight.view(shape), self.att_theta)
        w_phi = torch.einsum('hdc,hd->hc', self.lin_phi.weight.view(shape), self.att_phi)
        b_theta = (self.lin_theta.bias.view(self.att_theta.shape) * self.att_theta).sum(-1)
        b_phi = (self.lin_phi.bias.view(self.att_phi.shape) * self.att_phi).sum(-1)
        weight = torch.cat([self.lin_g.weight, w_theta, w_phi])
        bias = torch.cat([self.lin_g.bias, b_theta, b_phi])
        return weight, bias

    def attention_heads(
        self,
        x: Tensor,
        edge_index: Optional[Tensor] = None,
    ) -> Tuple[Tensor, Optional[Tensor]]:
        r"""The concatenated head outputs :math:`[\mathbf{y}^{(1)} \| \dots \|
        \mathbf{y}^{(K)}]`, ``(*, N, C)``, before the output projection, and
        :math:`B_k` at every edge, ``(*, E, K)`` (``None`` without attention)."""
        if x.size(-2) != self.num_nodes or x.size(-1) != self.in_channels:
            raise GastPygError(
                f"{self.__class__.__name__} expects x of shape (*, {self.num_nodes}, "
                f"{self.in_channels}), got {tuple(x.shape)}")
        weight, bias = self._projection()
        h = pointwise(x, weight, bias)
        g = h[..., :self.in_channels]
        if self.attention:
            score_dst = h[..., self.in_channels:self.in_channels + self.heads]
            score_src = h[..., self.in_channels + self.heads:]
        else:
            score_dst = score_src = None

        if edge_index is None and self._complete:
            return self._dense(g, score_dst, score_src)
        edge_index = self.edge_index if edge_index is None else edge_index
        src, dst = edge_index
        alpha = None
        coef = None
        if self.attention:
            alpha = score_dst.index_select(-2, dst) + score_src.index_select(-2, src)
            alpha = F.leaky_relu(alpha, self.negative_slope)
            alpha = softmax(alpha, dst, num_nodes=self.num_nodes, dim=-2)
            coef = alpha
        if self.adaptive is not None:
            adaptive = self.adaptive[:, dst, src].t()
            coef = adaptive if coef is None else coef + adaptive
        out = self.propagate(edge_index, x=g, coef=coef,
                             size=(self.num_nodes, self.num_nodes))
        return out, alpha

    def _dense(
        self,
        g: Tensor,
        score_dst: Optional[Tensor],
        score_src: Optional[Tensor],
    ) -> Tuple[Tensor, Optional[Tensor]]:
        # (*, N, K * D) -> (*, K, N, D)
        g = g.unflatten(-1, (self.heads, self.head_channels)).transpose(-3, -2)
        alpha = None
        if self.attention:
            scores = score_dst.transpose(-1, -2).unsqueeze(-1) + score_src.transpose(-1, -2).unsqueeze(-2)
            alpha = torch.softmax(F.leaky_relu(scores, self.negative_slope), dim=-1)
            coef = alpha if self.adaptive is None else alpha + self.adaptive
        else:
            coef = self.adaptive
        out = (coef @ g).transpose(-3, -2).flatten(-2)
        if alpha is not None:
            alpha = alpha.flatten(-2).transpose(-1, -2)
        return out, alpha

    def message(self, x_j: Tensor, coef: Tensor) -> Tensor:
        x_j = x_j.unflatten(-1, (self.heads, self.head_channels))
        return (coef.unsqueeze(-1) * x_j).flatten(-2)

    def forward(
        self,
        x: Tensor,
        edge_index: Optional[Tensor] = None,
        return_attention_weights: Optional[bool] = None,
    ) -> Union[Tensor, Tuple[Tensor, Tuple[Tensor, Optional[Tensor]]]]:
        out, alpha = self.attention_heads(x, edge_index)
        out = inplace_relu(self.norm(self.lin_out(out)))
        out = dropout(out, p=self.dropout, training=self.training)
        if return_attention_weights:
            return out, (self.edge_index if edge_index is None else edge_index, alpha)
        return out

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}({self.in_channels}, num_nodes={self.num_nodes}, '
                f'heads={self.heads}, attention={self.attention}, '
                f'adaptive={self.adaptive is not None})')
