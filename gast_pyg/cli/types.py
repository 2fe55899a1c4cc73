"""``type=`` converters for numeric options: each returns the value or raises
:class:`argparse.ArgumentTypeError` with a message saying what was expected, so argparse
reports ``gast-pyg COMMAND: error: argument --X: ...`` with exit 2.

NaN and infinity are refused everywhere (``float('nan')`` compares false with every bound and
would switch a check off silently)."""
from __future__ import annotations

import argparse
import math

__all__ = ['positive_int', 'non_negative_int', 'finite_float', 'positive_float',
           'non_negative_float', 'probability']


def _integer(text: str, minimum: int, expected: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected {expected}, got {text!r}') from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f'expected {expected}, got {value}')
    return value


def positive_int(text: str) -> int:
    """An integer ``>= 1`` (epochs, frames, batch size, fps)."""
    return _integer(text, 1, 'an integer >= 1')


def non_negative_int(text: str) -> int:
    """An integer ``>= 0``."""
    return _integer(text, 0, 'an integer >= 0')


def finite_float(text: str) -> float:
    """A finite real number."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected a number, got {text!r}') from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f'expected a finite number, got {text!r}')
    return value


def _bounded(text: str, accept, expected: str) -> float:
    value = finite_float(text)
    if not accept(value):
        raise argparse.ArgumentTypeError(f'expected {expected}, got {text}')
    return value


def positive_float(text: str) -> float:
    """A finite number ``> 0`` (learning rate, image width and height)."""
    return _bounded(text, lambda value: value > 0, 'a number > 0')


def non_negative_float(text: str) -> float:
    """A finite number ``>= 0`` (weight decay)."""
    return _bounded(text, lambda value: value >= 0, 'a number >= 0')


def probability(text: str) -> float:
    """A number in ``[0, 1]`` (score threshold, dropout, learning-rate decay, missing
    fraction)."""
    return _bounded(text, lambda value: 0 <= value <= 1, 'a number in [0, 1]')
