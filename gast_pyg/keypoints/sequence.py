"""One person's raw detections (:class:`KeypointSequence`) and the error of bad keypoint input.

A reader (:mod:`~gast_pyg.keypoints.demo_json`, :mod:`~gast_pyg.keypoints.arrays`) builds a
:class:`KeypointSequence` through :meth:`KeypointSequence.from_points`, which marks what detectors
write for "not found" (non-finite values, exactly ``(0, 0)``) as missing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Optional, Tuple

import numpy as np

from gast_pyg.errors import GastPygError
from gast_pyg.validation import bounded_repr

__all__ = ['KeypointError', 'KeypointWarning', 'KeypointSequence', 'MAX_FRAME_INDEX',
           'is_number', 'checked_image_size']

#: The largest video frame number a keypoint file may give (about 46 hours at 60 fps).
MAX_FRAME_INDEX = 10_000_000


class KeypointError(GastPygError):
    """Keypoints that cannot be read or lifted; the message names the file and what is wrong."""


class KeypointWarning(UserWarning):
    """Something was guessed (e.g. the image size): the result may be off."""


@dataclass
class KeypointSequence:
    """Raw detections of one person, one entry per video frame.

    Attributes:
        xy: ``(T, J, 2)`` float64 pixels; NaN where the frame has no person or the point is
            missing (the file had NaN/inf or exactly ``(0, 0)``).
        scores: ``(T, J)`` float64 confidences (1 where the file has none, 0 where missing).
        frame_indices: ``(T,)`` int64 video frame numbers, consecutive.
        layout: ``'coco'`` or the name of the skeleton the joints are ordered by.
        image_size: ``(width, height)`` when the file says, else ``None``.
        source: The file, for messages.
    """

    xy: np.ndarray
    scores: np.ndarray
    frame_indices: np.ndarray
    layout: str
    image_size: Optional[Tuple[int, int]]
    source: str

    @property
    def num_frames(self) -> int:
        return int(self.xy.shape[0])

    @classmethod
    def from_points(cls, xy: np.ndarray, scores: np.ndarray, frame_indices: np.ndarray,
                    layout: str, image_size: Optional[Tuple[int, int]],
                    source: str) -> 'KeypointSequence':
        """A sequence of ``xy`` ``(T, J, 2)`` and ``scores`` ``(T, J)`` as read, missing points
        made NaN with score 0: non-finite values and exact ``(0, 0)`` (what detectors write for
        'not found')."""
        bad = ~np.isfinite(xy).all(-1) | (xy == 0).all(-1) | ~np.isfinite(scores)
        xy = np.where(bad[..., None], np.nan, xy)
        scores = np.where(bad, 0.0, scores)
        return cls(xy, scores, frame_indices, layout, image_size, source)


def is_number(value: Any) -> bool:
    """Whether a parsed JSON value is a number (``bool`` is not)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def checked_image_size(width: Any, height: Any, source: str) -> Tuple[int, int]:
    """``(width, height)`` in whole pixels; :class:`KeypointError` naming ``source`` unless both
    are finite numbers >= 1 (a one-element array counts as its value)."""
    values = []
    for name, value in (('width', width), ('height', height)):
        value = value.item() if isinstance(value, np.ndarray) and value.size == 1 else value
        if (not is_number(value) and not isinstance(value, np.number) or np.iscomplexobj(value)
                or not (math.isfinite(value) and value >= 1)):
            raise KeypointError(f"{source}: image {name} must be a positive, finite number "
                                f"of pixels >= 1, got {bounded_repr(value)}")
        values.append(int(round(float(value))))
    return values[0], values[1]
