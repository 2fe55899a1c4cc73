"""COCO-WholeBody (133 keypoints: 17 body, 6 feet, 68 face, 2 x 21 hands).

The layout :data:`WHOLEBODY_133` is also what AlphaPose and MMPose whole-body models write in
their own files. :func:`read_wholebody` reads COCO-style annotation / result files:
``{"images": [{"id", "width", "height", ...}], "annotations": [{"image_id", "keypoints":
[x, y, v] * 17, "foot_kpts": [x, y, v] * 6, ...}]}``; a frame is an image, in the order of the
image ids. ``track_id`` on the annotations (PoseTrack style) is used when every one has it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from gast_pyg.keypoints.detections import (COCO_LAYOUT, Detections, JointLayout,
                                           build_detections, instance_points)
from gast_pyg.keypoints.layouts import COCO_JOINTS
from gast_pyg.keypoints.sequence import KeypointError

__all__ = ['WHOLEBODY_133', 'WHOLEBODY_FEET', 'read_wholebody', 'is_wholebody']

#: The 6 foot keypoints after the 17 body ones.
WHOLEBODY_FEET = ('left_big_toe', 'left_small_toe', 'left_heel', 'right_big_toe',
                  'right_small_toe', 'right_heel')

#: Body (COCO-17), feet, then 68 face and 2 x 21 hand points (unused; toe = mean of big and
#: small toe).
WHOLEBODY_133 = JointLayout(
    'COCO-WholeBody-133',
    COCO_JOINTS + WHOLEBODY_FEET + tuple(f'face_{i}' for i in range(68))
    + tuple(f'left_hand_{i}' for i in range(21)) + tuple(f'right_hand_{i}' for i in range(21)),
    toes=(('left_big_toe', 'left_small_toe'), ('right_big_toe', 'right_small_toe')))

_PARTS = ('keypoints', 'foot_kpts', 'face_kpts', 'lefthand_kpts', 'righthand_kpts')


def is_wholebody(content: Any) -> bool:
    return isinstance(content, dict) and isinstance(content.get('annotations'), list)


def read_wholebody(path: Path, content: Any) -> Detections:
    """Read a COCO(-WholeBody) annotation file; body-only annotations give COCO-17."""
    images = content.get('images', [])
    if not isinstance(images, list) or not all(isinstance(i, dict) and 'id' in i for i in images):
        raise KeypointError(f"{path}: 'images' must be a list of objects with an 'id'")
    ids = sorted({i['id'] for i in images} | {a.get('image_id') for a in content['annotations']
                                             if isinstance(a, dict)}, key=str)
    frame_of = {image_id: frame for frame, image_id in enumerate(ids)}
    sizes = {(i.get('width'), i.get('height')) for i in images if 'width' in i}
    image_size = sizes.pop() if len(sizes) == 1 else None
    rows = []
    for k, annotation in enumerate(content['annotations']):
        where = f"{path}: annotations[{k}]"
        if not isinstance(annotation, dict) or 'keypoints' not in annotation:
            raise KeypointError(f"{where}: expected an object with 'image_id' and 'keypoints'")
        parts = [instance_points(annotation[p], f"{where}.{p}") for p in _PARTS
                 if p in annotation]
        points = np.concatenate(parts) if len(parts) in (1, len(_PARTS)) else None
        if points is None:
            raise KeypointError(f"{where}: has {len(parts)} of the 5 whole-body parts {_PARTS}; "
                                f"expected all of them or only 'keypoints'")
        rows.append((frame_of[annotation.get('image_id')], points, annotation.get('track_id')))
    return build_detections(rows, (WHOLEBODY_133, COCO_LAYOUT), str(path), num_frames=len(ids),
                            image_size=image_size)
