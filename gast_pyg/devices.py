"""The device a command computes on: a name (``--device``) checked against this machine.

``'auto'`` is the first CUDA GPU when torch sees one, else the CPU; ``'cpu'``, ``'cuda'`` and
``'cuda:N'`` name one. A CUDA device this machine does not have is a :class:`DeviceError` (one
line: the name and why), raised before any data is read or any model is built.
"""
from __future__ import annotations

import torch

from gast_pyg.errors import GastPygError

__all__ = ['DEVICE_TYPES', 'DeviceError', 'resolve_device']

#: The device types the package runs on.
DEVICE_TYPES = ('cpu', 'cuda')


class DeviceError(GastPygError):
    """A device name that is not one of :data:`DEVICE_TYPES`, or a GPU that is not there."""


def resolve_device(name: str = 'auto') -> torch.device:
    """``'auto'`` (CUDA if available), ``'cpu'``, ``'cuda'``, ``'cuda:1'``, ... as a device.

    Raises:
        DeviceError: For another name, or a CUDA device when torch has no CUDA (a CPU-only
            build, or no GPU visible) or fewer GPUs than the index asks for.
    """
    if name == 'auto':
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    try:
        device = torch.device(name)
    except (RuntimeError, TypeError):
        device = None
    if device is None or device.type not in DEVICE_TYPES:
        raise DeviceError(f"device {name!r}: expected 'auto', 'cpu', 'cuda' or 'cuda:N'")
    if device.type == 'cuda':
        if not torch.cuda.is_available():
            why = ('a CPU-only build' if torch.version.cuda is None
                   else f'built for CUDA {torch.version.cuda}, but it sees no GPU')
            raise DeviceError(f'device {name!r}: CUDA is not available (torch '
                              f'{torch.__version__} is {why})')
        count = torch.cuda.device_count()
        if device.index is not None and device.index >= count:
            raise DeviceError(f'device {name!r}: this machine has {count} CUDA GPU(s), '
                              f'cuda:0 to cuda:{count - 1}')
    return device
