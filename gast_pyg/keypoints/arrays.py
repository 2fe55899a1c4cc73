"""Keypoints as NumPy arrays: ``.npy`` ``(T, K, 2|3)`` (third channel: scores) or ``.npz``.

An ``.npz`` holds the array under ``keypoints`` (or ``positions_2d`` / ``keypoints_2d``, or as its
only array), with optional ``scores`` ``(T, K)``, ``frame_indices`` ``(T,)`` and ``width`` /
``height``. Files are read by :mod:`gast_pyg.safe_pickle` (nothing in them runs; an archive may
not expand beyond :data:`~gast_pyg.keypoints.reading.MAX_FILE_BYTES`).
:func:`read_keypoint_array` gives the one person as a
:class:`~gast_pyg.keypoints.sequence.KeypointSequence` (``K`` the joints of a given layout),
:func:`read_array_detections` as :class:`~gast_pyg.keypoints.detections.Detections` (``K`` the
joints of any layout the readers know).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence, Tuple

import numpy as np

from gast_pyg.keypoints.detections import (Detections, JointLayout, build_detections,
                                           checked_values, clean_points, select_layout)
from gast_pyg.keypoints.layouts import expected_joints
from gast_pyg.keypoints.reading import MAX_FILE_BYTES, check_file
from gast_pyg.keypoints.sequence import (MAX_FRAME_INDEX, KeypointError, KeypointSequence,
                                         checked_image_size)
from gast_pyg.safe_pickle import ArrayFileError, load_npy, load_npz
from gast_pyg.validation import check_real

__all__ = ['read_keypoint_array', 'read_array_detections']


def _read(path: Path, joints: Optional[Tuple[int, str]]
          ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, Optional[Tuple[int, int]]]:
    """``(xy (T, K, 2), scores (T, K), frame_indices (T,), image_size)`` of the array file;
    ``joints``: ``(K, description)`` of the layout required (``None``: any ``K``)."""
    check_file(path)
    extra = {}
    try:
        if path.suffix.lower() == '.npz':
            archive = load_npz(path, max_bytes=MAX_FILE_BYTES)
            names = list(archive)
            key = next((k for k in ('keypoints', 'positions_2d', 'keypoints_2d') if k in names),
                       names[0] if len(names) == 1 else None)
            if key is None:
                raise KeypointError(f"{path}: no 'keypoints' array among {names}")
            array = archive[key]
            extra = {k: archive[k] for k in ('scores', 'frame_indices', 'width', 'height')
                     if k in names}
        else:
            array = load_npy(path)
    except ArrayFileError as error:
        raise KeypointError(str(error)) from error

    check_real(array, str(path), KeypointError)
    wanted = 'K' if joints is None else joints[0]
    if not np.issubdtype(array.dtype, np.number) or array.ndim != 3 or array.shape[2] not in (2, 3):
        raise KeypointError(f"{path}: expected a numeric array (frames, {wanted}, 2 or 3), got "
                            f"{array.dtype} {tuple(array.shape)}")
    if joints is not None and array.shape[1] != joints[0]:
        raise KeypointError(f"{path}: the array has {array.shape[1]} keypoints per frame; "
                            f"expected {joints[0]} ({joints[1]})")
    if array.shape[0] == 0:
        raise KeypointError(f"{path}: the array has no frames")
    frames, count = array.shape[:2]
    values = checked_values(array, str(path))
    xy = values[..., :2]
    if array.shape[2] == 3:
        scores = values[..., 2]
    elif 'scores' in extra:
        check_real(extra['scores'], f"{path}: 'scores'", KeypointError)
        if not np.issubdtype(extra['scores'].dtype, np.number):
            raise KeypointError(f"{path}: 'scores': expected numbers, got {extra['scores'].dtype}")
        scores = checked_values(extra['scores'], f"{path}: 'scores'")
        if scores.shape != (frames, count):
            raise KeypointError(f"{path}: 'scores' has shape {scores.shape}; expected "
                                f"{(frames, count)}")
    else:
        scores = np.ones((frames, count))
    frame_indices = np.arange(frames, dtype=np.int64)
    if 'frame_indices' in extra:
        frame_indices = np.asarray(extra['frame_indices'])
        if (frame_indices.shape != (frames,) or not np.issubdtype(frame_indices.dtype, np.integer)
                or frame_indices[0] < 0 or np.any(frame_indices > MAX_FRAME_INDEX)
                or np.any(np.diff(frame_indices.astype(np.int64)) <= 0)):
            raise KeypointError(f"{path}: 'frame_indices' must be {frames} increasing integers "
                                f"in 0..{MAX_FRAME_INDEX}")
        frame_indices = frame_indices.astype(np.int64)
    image_size = None
    if 'width' in extra or 'height' in extra:
        image_size = checked_image_size(extra.get('width'), extra.get('height'), str(path))
    return xy, scores, frame_indices, image_size


def read_keypoint_array(path: Path, layout: str = 'coco') -> KeypointSequence:
    """The person of the ``.npy`` / ``.npz`` file at ``path`` (module docstring); ``layout``:
    ``'coco'`` or the skeleton whose joint order the file uses."""
    xy, scores, frame_indices, image_size = _read(path, expected_joints(layout))
    return KeypointSequence.from_points(xy, scores, frame_indices, layout, image_size, str(path))


def read_array_detections(path: Path, layouts: Sequence[JointLayout]) -> Detections:
    """The person of the array file at ``path`` in the layout of ``layouts`` with its number of
    joints, one row per frame that has one."""
    xy, scores, frame_indices, image_size = _read(path, None)
    layout = select_layout(xy.shape[1], layouts, str(path))
    points = clean_points(np.concatenate([xy, scores[..., None]], axis=-1))
    present = np.isfinite(points[..., :2]).all(-1).any(-1)
    rows = [(int(frame), p, None) for frame, p in zip(frame_indices[present], points[present])]
    first, last = int(frame_indices[0]), int(frame_indices[-1])
    return build_detections(rows, (layout,), str(path), num_frames=last - first + 1,
                            image_size=image_size, first_frame=first,
                            records=len(frame_indices), frame_field='frame_indices')
