"""PyTorch Geometric layers of GAST-Net, usable on any graph."""
from gast_pyg.nn.block import GraphAttentionBlock
from gast_pyg.nn.channels_last import ChannelsLastBatchNorm, Pointwise, inplace_relu, pointwise
from gast_pyg.nn.dropout import dropout
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
    'pointwise',
    'inplace_relu',
    'dropout',
    'fold_batch_norms',
    'complete_edge_index',
]
