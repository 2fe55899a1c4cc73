"""gast-pyg: GAST-Net 3D human pose lifting on PyTorch Geometric.

The public names are imported on first use (PEP 562 ``__getattr__``), so that ``import
gast_pyg.cli`` (the ``gast-pyg`` command's parser and ``--help``) does not load torch."""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gast_pyg.runtime import set_default_wait_policy

set_default_wait_policy()  # before torch loads OpenMP; see gast_pyg.runtime

if TYPE_CHECKING:
    from gast_pyg.checkpoints import CheckpointError, load_reference_checkpoint, save_checkpoint
    from gast_pyg.models import GASTNet, build_model
    from gast_pyg.skeleton import Skeleton, SkeletonError

__version__ = '0.1.0'

#: Each public name and the module that defines it.
_PUBLIC = {
    'Skeleton': 'gast_pyg.skeleton',
    'SkeletonError': 'gast_pyg.skeleton',
    'GASTNet': 'gast_pyg.models',
    'build_model': 'gast_pyg.models',
    'load_reference_checkpoint': 'gast_pyg.checkpoints',
    'save_checkpoint': 'gast_pyg.checkpoints',
    'CheckpointError': 'gast_pyg.checkpoints',
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
