"""AlphaPose results (``alphapose-results.json``) and COCO keypoint results: a list of detections
``{"image_id": "12.jpg", "category_id": 1, "keypoints": [x, y, s] * K, "score": s,
"box": [x, y, w, h], "idx": id}`` with ``K = 17`` (COCO), 26 (Halpe-26), 133 (COCO-WholeBody)
or the count of any other layout the readers know. ``idx`` (a number or a one-element list; a
longer list is ignored) is the track id of pose tracking (``--pose_track``); a frame is an
``image_id`` (a name or, in COCO results, a number), by the last number in it (else by first
appearance). One pass over the entries: linear in the file's size.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Union

from gast_pyg.keypoints.detections import (Detections, JointLayout, build_detections,
                                           instance_points)
from gast_pyg.keypoints.layouts import COCO_JOINTS
from gast_pyg.keypoints.sequence import (MAX_FRAME_INDEX, KeypointError, checked_track_id,
                                         is_number)
from gast_pyg.validation import bounded_repr

__all__ = ['HALPE_26', 'read_alphapose', 'is_alphapose']

#: Halpe-26: COCO-17, head, neck, hip, then the feet (toe = mean of big and small toe).
HALPE_26 = JointLayout('Halpe-26', COCO_JOINTS + (
    'head', 'neck', 'hip', 'left_big_toe', 'right_big_toe', 'left_small_toe', 'right_small_toe',
    'left_heel', 'right_heel'),
    toes=(('left_big_toe', 'left_small_toe'), ('right_big_toe', 'right_small_toe')))

_DIGITS = re.compile(r'\d+')


def is_alphapose(content: Any) -> bool:
    return (isinstance(content, list) and bool(content) and isinstance(content[0], dict)
            and 'image_id' in content[0] and 'keypoints' in content[0])


def _image_number(image_id: Union[int, str], where: str) -> Optional[int]:
    """The frame number an ``image_id`` names (its value, or the last number in its name);
    ``None`` when a name has no digits."""
    if isinstance(image_id, int):
        number: Optional[int] = image_id
    else:
        runs = _DIGITS.findall(image_id)
        if not runs:
            return None
        number = int(runs[-1]) if len(runs[-1]) <= len(str(MAX_FRAME_INDEX)) else None
        if number is None:
            raise KeypointError(f"{where}: the frame number in {bounded_repr(image_id)} is "
                                f"beyond {MAX_FRAME_INDEX}; expected 0..{MAX_FRAME_INDEX}")
    if not 0 <= number <= MAX_FRAME_INDEX:
        raise KeypointError(f"{where}: frame number {bounded_repr(number)} is beyond 0.."
                            f"{MAX_FRAME_INDEX}; expected a frame of the video")
    return number


def read_alphapose(path: Path, content: Any, layouts: Sequence[JointLayout]) -> Detections:
    """The detections of the parsed AlphaPose / COCO results ``content`` of ``path``, people in
    one of ``layouts``."""
    order: Dict[Union[int, str], int] = {}  # image_id -> rank of first appearance
    numbers: Dict[Union[int, str], Optional[int]] = {}
    rows = []
    for k, entry in enumerate(content):
        where = f"{path}: [{k}]"
        if not isinstance(entry, dict) or 'image_id' not in entry or 'keypoints' not in entry:
            raise KeypointError(f"{where}: expected an object with 'image_id' and 'keypoints'")
        image_id = entry['image_id']
        if not isinstance(image_id, str) and not (is_number(image_id)
                                                  and isinstance(image_id, int)):
            raise KeypointError(f"{where}.image_id: expected an image name or an integer, got "
                                f"{bounded_repr(image_id)}")
        if image_id not in order:
            order[image_id] = len(order)
            numbers[image_id] = _image_number(image_id, f"{where}.image_id")
        track = entry.get('idx')  # a number, or a list: of one number, else not a track id
        track = (track[0] if len(track) == 1 else None) if isinstance(track, list) else track
        rows.append((image_id, instance_points(entry['keypoints'], f"{where}.keypoints"),
                     checked_track_id(track, f"{where}.idx")))
    by_number = all(n is not None for n in numbers.values()) and len(
        set(numbers.values())) == len(numbers)
    if by_number:
        first = min(numbers.values())
        frame_of = {image_id: number - first for image_id, number in numbers.items()}
    else:
        frame_of = order
    return build_detections([(frame_of[image_id], points, track)
                             for image_id, points, track in rows], layouts, str(path),
                            records=len(content), frame_field='image_id')
