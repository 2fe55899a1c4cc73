"""AlphaPose results (``alphapose-results.json``): a list of detections
``{"image_id": "12.jpg", "category_id": 1, "keypoints": [x, y, s] * K, "score": s,
"box": [x, y, w, h], "idx": id}`` with ``K = 17`` (COCO), 26 (Halpe-26) or 133
(COCO-WholeBody). ``idx`` (a number or a one-element list) is the track id of pose tracking
(``--pose_track``); a frame is an ``image_id``, by the number in its name (else by first
appearance).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from gast_pyg.keypoints.detections import (COCO_LAYOUT, Detections, JointLayout,
                                           build_detections, instance_points)
from gast_pyg.keypoints.layouts import COCO_JOINTS
from gast_pyg.keypoints.sequence import KeypointError
from gast_pyg.keypoints.wholebody import WHOLEBODY_133

__all__ = ['HALPE_26', 'read_alphapose', 'is_alphapose']

#: Halpe-26: COCO-17, head, neck, hip, then the feet (toe = mean of big and small toe).
HALPE_26 = JointLayout('Halpe-26', COCO_JOINTS + (
    'head', 'neck', 'hip', 'left_big_toe', 'right_big_toe', 'left_small_toe', 'right_small_toe',
    'left_heel', 'right_heel'),
    toes=(('left_big_toe', 'left_small_toe'), ('right_big_toe', 'right_small_toe')))

_NUMBER = re.compile(r'(\d+)(?!.*\d)')


def is_alphapose(content: Any) -> bool:
    return (isinstance(content, list) and bool(content) and isinstance(content[0], dict)
            and 'image_id' in content[0] and 'keypoints' in content[0])


def read_alphapose(path: Path, content: Any) -> Detections:
    image_ids = []
    for k, entry in enumerate(content):
        if not isinstance(entry, dict) or 'image_id' not in entry or 'keypoints' not in entry:
            raise KeypointError(f"{path}: [{k}]: expected an object with 'image_id' and "
                                f"'keypoints'")
        if entry['image_id'] not in image_ids:
            image_ids.append(entry['image_id'])
    numbers = [_NUMBER.search(str(i)) for i in image_ids]
    if all(numbers) and len({int(m.group(1)) for m in numbers}) == len(numbers):
        frame_of = {i: int(m.group(1)) for i, m in zip(image_ids, numbers)}
        first = min(frame_of.values())
        frame_of = {i: f - first for i, f in frame_of.items()}
    else:
        frame_of = {i: f for f, i in enumerate(image_ids)}
    rows = []
    for k, entry in enumerate(content):
        points = instance_points(entry['keypoints'], f"{path}: [{k}].keypoints")
        track = entry.get('idx')
        track = track[0] if isinstance(track, list) and len(track) == 1 else track
        rows.append((frame_of[entry['image_id']], points,
                     int(track) if isinstance(track, (int, float)) else None))
    return build_detections(rows, (COCO_LAYOUT, HALPE_26, WHOLEBODY_133), str(path))
