"""One person's raw detections (:class:`KeypointSequence`) and the error of bad keypoint input.

A reader (:mod:`~gast_pyg.keypoints.demo_json`, :mod:`~gast_pyg.keypoints.arrays`) builds a
:class:`KeypointSequence` through :meth:`KeypointSequence.from_points`, which marks what detectors
write for "not found" (non-finite values, exactly ``(0, 0)``) as missing.

Every reader checks the fields it takes from a file here, before anything is allocated from
them: :func:`checked_image_size`, :func:`checked_frame_number` (``0..``:data:`MAX_FRAME_INDEX`),
:func:`checked_track_id` and :func:`check_implied_frames` (a file may not imply many more video
frames than it lists records). Each failure is one :class:`KeypointError` naming the file, the
field and what was expected.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Tuple

import numpy as np

from gast_pyg.errors import GastPygError
from gast_pyg.validation import bounded_repr

__all__ = ['KeypointError', 'KeypointWarning', 'KeypointSequence', 'MAX_FRAME_INDEX',
           'MAX_IMAGE_SIZE', 'MAX_TRACK_ID', 'is_number', 'checked_image_size',
           'checked_frame_number', 'checked_track_id', 'check_implied_frames']

#: The largest video frame number a keypoint file may give (about 46 hours at 60 fps).
MAX_FRAME_INDEX = 10_000_000

#: The largest image width or height, in pixels.
MAX_IMAGE_SIZE = 1_000_000

#: The largest track id a keypoint file may give.
MAX_TRACK_ID = 2 ** 31 - 1

# Frames without a person a file may imply, per record it lists (beyond a fixed allowance):
# a file cannot make a reader allocate much more than its own content.
_IMPLIED_FRAMES_PER_RECORD = 10
_IMPLIED_FRAMES_ALLOWANCE = 1000


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
    are finite numbers in ``1..``:data:`MAX_IMAGE_SIZE` (a one-element array counts as its
    value)."""
    values = []
    for name, value in (('width', width), ('height', height)):
        value = value.item() if isinstance(value, np.ndarray) and value.size == 1 else value
        if isinstance(value, np.number) and not np.iscomplexobj(value):
            value = value.item()
        if not is_number(value) or not 1 <= value <= MAX_IMAGE_SIZE:  # NaN compares False
            raise KeypointError(f"{source}: image {name}: expected a positive number of pixels, "
                                f"1..{MAX_IMAGE_SIZE}, got {bounded_repr(value)}")
        values.append(int(round(float(value))))
    return values[0], values[1]


def checked_frame_number(value: Any, where: str) -> int:
    """``value`` as a video frame number: an integer (``bool`` is not) in
    ``0..``:data:`MAX_FRAME_INDEX`; :class:`KeypointError` naming ``where`` otherwise."""
    if isinstance(value, np.integer):
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_FRAME_INDEX:
        raise KeypointError(f"{where}: expected a frame number, an integer in "
                            f"0..{MAX_FRAME_INDEX}, got {bounded_repr(value)}")
    return value


def checked_track_id(value: Any, where: str) -> Optional[int]:
    """``value`` as a track id: ``None`` stays ``None``; else an integer (or a float with an
    integral value) in ``0..``:data:`MAX_TRACK_ID`; :class:`KeypointError` naming ``where``
    otherwise."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_TRACK_ID:
        raise KeypointError(f"{where}: expected a track id, an integer in 0..{MAX_TRACK_ID}, "
                            f"got {bounded_repr(value)}")
    return value


def check_implied_frames(first: int, last: int, records: int, source: str, field: str) -> None:
    """Refuse frame numbers running from ``first`` to ``last`` when the file lists only
    ``records`` records (frames or entries): at most 10 frames per record, plus 1000, may lie in
    between, so that no file makes a reader allocate much more than the file holds."""
    limit = _IMPLIED_FRAMES_PER_RECORD * records + _IMPLIED_FRAMES_ALLOWANCE
    if last - first + 1 > limit:
        raise KeypointError(f"{source}: {field} runs from {first} to {last} for only {records} "
                            f"records listed; expected at most {limit} frames in between (a "
                            f"forged or corrupt {field}?)")
