"""COCO-WholeBody (133 keypoints: 17 body, 6 feet, 68 face, 2 x 21 hands).

The layout :data:`WHOLEBODY_133` is also what AlphaPose and MMPose whole-body models write in
their own files. :func:`read_wholebody` reads COCO-style annotation / result files:
``{"images": [{"id", "width", "height", ...}], "annotations": [{"image_id", "keypoints":
[x, y, v] * 17, "foot_kpts": [x, y, v] * 6, ...}]}``; a frame is an image, in the order of the
image ids (integers by value, names as text). ``track_id`` on the annotations (PoseTrack style)
is used when every one has it. Annotations holding only ``keypoints`` may be in any layout the
readers know (by the number of points).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence, Union

import numpy as np

from gast_pyg.keypoints.detections import (Detections, JointLayout, build_detections,
                                           instance_points)
from gast_pyg.keypoints.layouts import COCO_JOINTS
from gast_pyg.keypoints.sequence import (KeypointError, checked_image_size, checked_track_id,
                                         is_number)
from gast_pyg.validation import bounded_repr

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


def _image_id(value: Any, where: str) -> Union[int, str]:
    if isinstance(value, str) or is_number(value) and isinstance(value, int):
        return value
    raise KeypointError(f"{where}: expected an image id, an integer or a name, got "
                        f"{bounded_repr(value)}")


def read_wholebody(path: Path, content: Any, layouts: Sequence[JointLayout]) -> Detections:
    """Read a COCO(-WholeBody) annotation file; people in one of ``layouts`` (the five
    whole-body parts together are COCO-WholeBody-133)."""
    images = content.get('images', [])
    if not isinstance(images, list) or not all(isinstance(i, dict) and 'id' in i for i in images):
        raise KeypointError(f"{path}: 'images' must be a list of objects with an 'id'")
    ids = {_image_id(image['id'], f"{path}: images[{k}].id") for k, image in enumerate(images)}
    sizes = {checked_image_size(image.get('width'), image.get('height'), f"{path}: images[{k}]")
             for k, image in enumerate(images) if 'width' in image or 'height' in image}
    image_size = sizes.pop() if len(sizes) == 1 else None
    rows = []
    for k, annotation in enumerate(content['annotations']):
        where = f"{path}: annotations[{k}]"
        if (not isinstance(annotation, dict) or 'keypoints' not in annotation
                or 'image_id' not in annotation):
            raise KeypointError(f"{where}: expected an object with 'image_id' and 'keypoints'")
        image_id = _image_id(annotation['image_id'], f"{where}.image_id")
        ids.add(image_id)
        parts = [instance_points(annotation[p], f"{where}.{p}") for p in _PARTS
                 if p in annotation]
        if len(parts) not in (1, len(_PARTS)):
            raise KeypointError(f"{where}: has {len(parts)} of the 5 whole-body parts {_PARTS}; "
                                f"expected all of them or only 'keypoints'")
        rows.append((image_id, np.concatenate(parts),
                     checked_track_id(annotation.get('track_id'), f"{where}.track_id")))
    frame_of = {image_id: frame for frame, image_id in
                enumerate(sorted(ids, key=lambda i: (isinstance(i, str), i)))}
    return build_detections([(frame_of[image_id], points, track)
                             for image_id, points, track in rows], layouts, str(path),
                            num_frames=len(ids), image_size=image_size, records=len(ids))
