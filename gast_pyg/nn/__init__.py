"""PyTorch Geometric layers of GAST-Net, usable on any graph.

The layers of the paper (:class:`SemGraphConv`, :class:`LocalAttention`,
:class:`GlobalGraphAttention`, :class:`GraphAttentionBlock`), the channels-last building blocks
they are made of (:class:`ChannelsLastBatchNorm`, :class:`Pointwise`), the global attention's
complete graph (:func:`complete_edge_index`) and :func:`fold_batch_norms`, which makes an
inference copy of a model. The CPU kernels the layers call are private
(``gast_pyg.nn._kernels``).
"""
from gast_pyg.nn.block import GraphAttentionBlock
from gast_pyg.nn.channels_last import ChannelsLastBatchNorm, Pointwise
from gast_pyg.nn.fusion import fold_batch_norms
from gast_pyg.nn.global_attention import GlobalGraphAttention, complete_edge_index
from gast_pyg.nn.local_attention import LocalAttention
from gast_pyg.nn.sem_graph_conv import SemGraphConv

__all__ = [
    'SemGraphConv',
    'GlobalGraphAttention',
    'LocalAttention',
    'GraphAttentionBlock',
    'ChannelsLastBatchNorm',
    'Pointwise',
    'fold_batch_norms',
    'complete_edge_index',
]
