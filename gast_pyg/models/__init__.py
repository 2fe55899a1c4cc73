"""Lifting models (GAST-Net, the TCN baseline, trajectory models) and their temporal building
blocks."""
from gast_pyg.models.base import LiftingModel, ModelError, receptive_field
from gast_pyg.models.builder import ARCHITECTURES, FILTER_WIDTHS, build_model
from gast_pyg.models.gastnet import GASTNet
from gast_pyg.models.tcn import TemporalConvNet
from gast_pyg.models.temporal import TemporalBlock, TemporalConv
from gast_pyg.models.trajectory import TrajectoryModel

__all__ = ['LiftingModel', 'GASTNet', 'TemporalConvNet', 'TrajectoryModel', 'build_model',
           'receptive_field', 'ModelError', 'ARCHITECTURES', 'FILTER_WIDTHS', 'TemporalBlock', 'TemporalConv']
