"""The base of the package's own errors.

Every error that describes bad input (a file, a field, an option out of range) derives from
:class:`GastPygError`, itself a :class:`ValueError`, so callers can catch either; the command
line prints them as one line instead of a traceback.
"""
from __future__ import annotations

__all__ = ['GastPygError']


class GastPygError(ValueError):
    """Bad input to gast-pyg: the message names the file or option and what was expected."""
