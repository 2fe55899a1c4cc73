"""The device a command computes on: a name (``--device``) checked against this machine.

``'auto'`` is the first CUDA GPU when torch sees one, else the CPU; ``'cpu'``, ``'cuda'`` and
``'cuda:N'`` name one. A CUDA device this machine does not have is a :class:`DeviceError` (one
line: the name and why), raised before any data is read or any model is built.
"""
from __future__ import annotations

from typing import Optional

import torch

from gast_pyg.errors import GastPygError

__all__ = ['DEVICE_TYPES', 'DeviceError', 'resolve_device', 'AMP_DTYPES', 'autocast_dtype']

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


#: The autocast types of ``optim.amp_dtype``; unset, float16 on CUDA and bfloat16 on CPUs.
AMP_DTYPES = {'float16': torch.float16, 'bfloat16': torch.bfloat16}


def autocast_dtype(amp_dtype: Optional[str], device: torch.device) -> torch.dtype:
    """The autocast type of a mixed-precision run on ``device``: ``amp_dtype`` (a key of
    :data:`AMP_DTYPES`), or when ``None`` float16 on CUDA and bfloat16 on CPUs."""
    if amp_dtype is None:
        return torch.float16 if device.type == 'cuda' else torch.bfloat16
    if amp_dtype not in AMP_DTYPES:
        raise DeviceError(f'amp_dtype: expected one of {", ".join(AMP_DTYPES)}, got {amp_dtype!r}')
    return AMP_DTYPES[amp_dtype]
