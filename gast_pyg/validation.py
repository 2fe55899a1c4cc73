"""Checks shared by every reader of untrusted input: bounded messages, safe names, finite numbers.

Error messages quote the offending value through :func:`bounded_repr`, which never builds more
than a few hundred characters however large (or self-referencing) the value is; file names built
from user text go through :func:`safe_filename`; arrays and tensors that must hold real, finite
numbers go through :func:`check_finite`.
"""
from __future__ import annotations

import re
import reprlib
from collections.abc import Iterable
from typing import Any, Union

import numpy as np
import torch

from gast_pyg.errors import GastPygError

__all__ = ['bounded_repr', 'safe_filename', 'check_real', 'check_finite', 'SAFE_NAME']

#: A name safe as (part of) a file name on every platform: letters, digits, ``_ . -``, not
#: starting with a dot or a dash, at most 64 characters.
SAFE_NAME = re.compile(r'[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}')

_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxstring = _REPR.maxother = 60
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 6


def bounded_repr(value: Any, limit: int = 200) -> str:
    """``repr(value)`` cut to at most ``limit`` characters, computed without building the whole
    representation (nesting depth and container lengths are bounded first)."""
    text = _REPR.repr(value)
    return text if len(text) <= limit else text[:limit - 3] + '...'


def safe_filename(text: str, limit: int = 64) -> str:
    """``text`` as one path component: every character outside ``[A-Za-z0-9_.-]`` becomes ``_``,
    leading dots and dashes are dropped (no ``..``, no hidden files, no options), at most
    ``limit`` characters; ``_`` if nothing is left."""
    cleaned = re.sub(r'[^A-Za-z0-9_.-]', '_', str(text)).lstrip('.-')[:limit]
    return cleaned or '_'


ArrayLike = Union[np.ndarray, torch.Tensor]


def check_real(values: Any, what: str, error: type[Exception] = GastPygError) -> None:
    """Raise one ``error`` naming ``what`` if ``values`` (an array, a tensor or anything
    :func:`numpy.asarray` takes) holds complex numbers, whose imaginary part a conversion to
    float would drop silently."""
    complex_dtype = (values.is_complex() if isinstance(values, torch.Tensor)
                     else np.iscomplexobj(values))
    if complex_dtype:
        raise error(f'{what}: expected real numbers, got complex values ({values.dtype})')


def check_finite(named_values: Iterable[tuple[str, ArrayLike]], what: str,
                 error: type[Exception] = GastPygError) -> None:
    """Raise one ``error`` naming ``what`` and the first of ``named_values`` (``(name,
    array or tensor)`` pairs) that holds NaN or infinity, with its count of bad values.
    Non-floating values are skipped."""
    for name, values in named_values:
        tensor = torch.as_tensor(values)
        if not (tensor.is_floating_point() or tensor.is_complex()):
            continue
        finite = torch.isfinite(tensor)
        if not bool(finite.all()):
            bad = int(finite.numel() - finite.sum())
            raise error(f'{what}: {name} holds NaN or infinite values ({bad} of '
                        f'{finite.numel()}); expected finite numbers')
