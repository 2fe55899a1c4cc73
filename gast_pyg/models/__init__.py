"""GAST-Net and its temporal building blocks."""
from gast_pyg.models.builder import FILTER_WIDTHS, build_model
from gast_pyg.models.gastnet import GASTNet, receptive_field
from gast_pyg.models.temporal import TemporalBlock, TemporalConv

__all__ = ['GASTNet', 'build_model', 'receptive_field', 'FILTER_WIDTHS',
           'TemporalBlock', 'TemporalConv']
