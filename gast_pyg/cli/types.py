"""``type=`` converters for numeric options: each returns the value or raises
:class:`argparse.ArgumentTypeError` with a message saying what was expected, so argparse
reports ``gast-pyg COMMAND: error: argument --X: ...`` with exit 2.

NaN and infinity are refused everywhere (``float('nan')`` compares false with every bound and
would switch a check off silently)."""
from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Optional

__all__ = ['positive_int', 'non_negative_int', 'bounded_int', 'finite_float', 'positive_float',
           'non_negative_float', 'probability', 'focal_length', 'field_of_view']


def _integer(text: str, minimum: int, expected: str, maximum: Optional[int] = None) -> int:
    # ASCII digits only: int() also takes other scripts' digits, and refuses '²' with a message
    # naming neither the option nor what was expected.
    stripped = text.strip()
    if not (stripped.isascii() and stripped.lstrip('+-').isdigit()) or len(stripped) > 30:
        raise argparse.ArgumentTypeError(f'expected {expected}, got {text[:40]!r}')
    value = int(stripped)
    if value < minimum or (maximum is not None and value > maximum):
        raise argparse.ArgumentTypeError(f'expected {expected}, got {value}')
    return value


def positive_int(text: str) -> int:
    """An integer ``>= 1`` (epochs, frames, batch size, fps)."""
    return _integer(text, 1, 'an integer >= 1')


def non_negative_int(text: str) -> int:
    """An integer ``>= 0``."""
    return _integer(text, 0, 'an integer >= 0')


def bounded_int(minimum: int, maximum: int) -> Callable[[str], int]:
    """A converter for integers in ``[minimum, maximum]`` (a count that sizes an allocation,
    such as the panels of a figure)."""
    def convert(text: str) -> int:
        return _integer(text, minimum, f'an integer from {minimum} to {maximum}', maximum)
    convert.__name__ = f'integer from {minimum} to {maximum}'
    return convert


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


def focal_length(text: str) -> float:
    """``--focal-length``: a finite number of pixels ``> 0`` (an infinite one would put every
    pose at an infinite depth)."""
    return _bounded(text, lambda value: value > 0, 'a focal length in pixels > 0')


def field_of_view(text: str) -> float:
    """``--fov``: a horizontal field of view in degrees, strictly between 0 and 180."""
    return _bounded(text, lambda value: 0 < value < 180, 'degrees between 0 and 180 (exclusive)')
