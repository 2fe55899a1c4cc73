"""gast-pyg: GAST-Net 3D human pose lifting on PyTorch Geometric.

The public names are imported on first use (PEP 562 ``__getattr__``), so that ``import
gast_pyg.cli`` (the ``gast-pyg`` command's parser and ``--help``) does not load torch."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gast_pyg.runtime import set_default_wait_policy

set_default_wait_policy()  # before torch loads OpenMP; see gast_pyg.runtime

if TYPE_CHECKING:
    from gast_pyg.checkpoints import CheckpointError, save_checkpoint
    from gast_pyg.configs import RunConfig
    from gast_pyg.errors import GastPygError
    from gast_pyg.lifter import Lifter, LiftingOptions, LiftResult
    from gast_pyg.loading import load_model
    from gast_pyg.models import GASTNet, build_model
    from gast_pyg.skeleton import Skeleton, SkeletonError
    from gast_pyg.training import train

__version__ = '0.1.0'

#: Each public name and the module that defines it.
_PUBLIC = {
    'load_model': 'gast_pyg.loading',
    'Lifter': 'gast_pyg.lifter',
    'LiftingOptions': 'gast_pyg.lifter',
    'LiftResult': 'gast_pyg.lifter',
    'RunConfig': 'gast_pyg.configs',
    'train': 'gast_pyg.training',
    'Skeleton': 'gast_pyg.skeleton',
    'SkeletonError': 'gast_pyg.skeleton',
    'GASTNet': 'gast_pyg.models',
    'build_model': 'gast_pyg.models',
    'save_checkpoint': 'gast_pyg.checkpoints',
    'CheckpointError': 'gast_pyg.checkpoints',
    'GastPygError': 'gast_pyg.errors',
}

__all__ = list(_PUBLIC)


def __getattr__(name: str) -> Any:
    """Import the public ``name`` from its module on first use."""
    if name not in _PUBLIC:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    value = getattr(importlib.import_module(_PUBLIC[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
