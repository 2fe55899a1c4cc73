"""Screen coordinates: pixels normalised by the image width, the models' 2D input.

:func:`normalize_screen_coordinates` maps pixels ``(..., 2)`` of a ``w x h`` image to
``x / w * 2 - [1, h / w]``: ``[0, w]`` to ``[-1, 1]`` horizontally and ``[0, h]`` to
``[-h / w, h / w]`` vertically, preserving the aspect ratio; :func:`image_coordinates` is its
inverse. Both compute in float64 and return arrays of the input's floating dtype (float32 stays
float32; other dtypes become float64).
"""
from __future__ import annotations

import numpy as np

__all__ = ['normalize_screen_coordinates', 'image_coordinates', 'float_dtype']


def float_dtype(X: np.ndarray) -> np.dtype:
    """The dtype results for ``X`` are returned in: its own if floating, else float64."""
    return X.dtype if np.issubdtype(X.dtype, np.floating) else np.dtype(np.float64)


def normalize_screen_coordinates(X: np.ndarray, w: int, h: int) -> np.ndarray:
    """Pixels ``(..., 2)`` to screen coordinates: ``x / w * 2 - [1, h / w]``.

    ``[0, w]`` maps to ``[-1, 1]`` horizontally and ``[0, h]`` to ``[-h / w, h / w]`` vertically,
    preserving the aspect ratio.
    """
    X = np.asarray(X)
    return (X / w * 2 - np.array([1, h / w])).astype(float_dtype(X), copy=False)


def image_coordinates(X: np.ndarray, w: int, h: int) -> np.ndarray:
    """Inverse of :func:`normalize_screen_coordinates`: screen ``(..., 2)`` to pixels."""
    X = np.asarray(X)
    return ((X + np.array([1, h / w])) * w / 2).astype(float_dtype(X), copy=False)
