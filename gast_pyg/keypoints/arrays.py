"""Keypoints as NumPy arrays: ``.npy`` ``(T, J, 2|3)`` (third channel: scores) or ``.npz``.

An ``.npz`` holds the array under ``keypoints`` (or ``positions_2d`` / ``keypoints_2d``, or as its
only array), with optional ``scores`` ``(T, J)``, ``frame_indices`` ``(T,)`` and ``width`` /
``height``. Files are read by :mod:`gast_pyg.safe_pickle` (nothing in them runs).
:func:`read_keypoint_array` gives the one person as a
:class:`~gast_pyg.keypoints.sequence.KeypointSequence`, :func:`read_array_detections` as
:class:`~gast_pyg.keypoints.detections.Detections`.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from gast_pyg.keypoints.detections import COCO_LAYOUT, Detections
from gast_pyg.keypoints.layouts import expected_joints
from gast_pyg.keypoints.sequence import (MAX_FRAME_INDEX, KeypointError, KeypointSequence,
                                         checked_image_size)
from gast_pyg.safe_pickle import ArrayFileError, load_npy, load_npz
from gast_pyg.validation import check_real

__all__ = ['read_keypoint_array', 'read_array_detections']


def read_keypoint_array(path: Path, layout: str = 'coco') -> KeypointSequence:
    """The person of the ``.npy`` / ``.npz`` file at ``path`` (module docstring); ``layout``:
    ``'coco'`` or the skeleton whose joint order the file uses."""
    joints, what = expected_joints(layout)
    extra = {}
    try:
        if path.suffix.lower() == '.npz':
            archive = load_npz(path)
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
    if not np.issubdtype(array.dtype, np.number) or array.ndim != 3 or array.shape[2] not in (2, 3):
        raise KeypointError(f"{path}: expected a numeric array (frames, {joints}, 2 or 3), got "
                            f"{array.dtype} {tuple(array.shape)}")
    if array.shape[1] != joints:
        raise KeypointError(f"{path}: the array has {array.shape[1]} keypoints per frame; "
                            f"expected {joints} ({what})")
    if array.shape[0] == 0:
        raise KeypointError(f"{path}: the array has no frames")
    frames = array.shape[0]
    xy = array[..., :2].astype(np.float64)
    if array.shape[2] == 3:
        scores = array[..., 2].astype(np.float64)
    elif 'scores' in extra:
        scores = np.asarray(extra['scores'], dtype=np.float64)
        if scores.shape != (frames, joints):
            raise KeypointError(f"{path}: 'scores' has shape {scores.shape}; expected "
                                f"{(frames, joints)}")
    else:
        scores = np.ones((frames, joints))
    frame_indices = np.arange(frames, dtype=np.int64)
    if 'frame_indices' in extra:
        frame_indices = np.asarray(extra['frame_indices'])
        if (frame_indices.shape != (frames,) or not np.issubdtype(frame_indices.dtype, np.integer)
                or np.any(np.diff(frame_indices) <= 0) or frame_indices[0] < 0
                or frame_indices[-1] > MAX_FRAME_INDEX):
            raise KeypointError(f"{path}: 'frame_indices' must be {frames} increasing integers "
                                f"in 0..{MAX_FRAME_INDEX}")
        frame_indices = frame_indices.astype(np.int64)
    image_size = None
    if 'width' in extra or 'height' in extra:
        image_size = checked_image_size(extra.get('width'), extra.get('height'), str(path))
    return KeypointSequence.from_points(xy, scores, frame_indices, layout, image_size, str(path))


def read_array_detections(path: Path) -> Detections:
    """The COCO-17 person of the array file at ``path``, one row per frame that has one."""
    sequence = read_keypoint_array(path, 'coco')
    present = np.isfinite(sequence.xy).all(-1).any(-1)
    points = np.concatenate([sequence.xy, sequence.scores[..., None]], axis=-1)[present]
    return Detections(sequence.frame_indices[present], points, None, sequence.frame_indices,
                      COCO_LAYOUT, sequence.image_size, str(path))
