"""gast-pyg: GAST-Net 3D human pose lifting on PyTorch Geometric."""
from gast_pyg.runtime import set_default_wait_policy

set_default_wait_policy()  # before torch loads OpenMP; see gast_pyg.runtime

from gast_pyg.checkpoints import (
    CheckpointError,
    load_reference_checkpoint,
    save_checkpoint,
)
from gast_pyg.models import GASTNet, build_model
from gast_pyg.skeleton import Skeleton, SkeletonError

__version__ = '0.1.0'

__all__ = [
    'Skeleton',
    'SkeletonError',
    'GASTNet',
    'build_model',
    'load_reference_checkpoint',
    'save_checkpoint',
    'CheckpointError',
]
