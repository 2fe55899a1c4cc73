"""MMPose / rtmlib-style per-frame predictions.

MMPose's demos (``--save-predictions``) write ``{"meta_info": {...}, "instance_info":
[{"frame_id": f, "instances": [{"keypoints": [[x, y]] * K, "keypoint_scores": [s] * K,
"bbox": [[x0, y0, x1, y1]], "bbox_score": s}]}]}`` (for an image: ``instance_info`` is the list
of instances itself). A bare list of ``{"frame_id", "instances"}`` frames (what scripts around
rtmlib save) is read the same way. ``K``: 17 (COCO), 26 (Halpe-26), 133 (COCO-WholeBody) or the
count of any other layout the readers know;
``track_id`` on the instances is used when every one has it. Frame ids start anywhere (MMPose
counts from 1); the first becomes frame 0.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, List, Sequence

from gast_pyg.keypoints.detections import (Detections, JointLayout, build_detections,
                                           instance_points)
from gast_pyg.keypoints.sequence import (KeypointError, checked_frame_number, checked_image_size,
                                         checked_track_id)

__all__ = ['read_mmpose', 'is_mmpose']


def _frames(content: Any) -> Any:
    return content.get('instance_info') if isinstance(content, dict) else content


def is_mmpose(content: Any) -> bool:
    frames = _frames(content)
    return (isinstance(frames, list) and bool(frames) and isinstance(frames[0], dict)
            and ('instances' in frames[0] or 'keypoint_scores' in frames[0]))


def read_mmpose(path: Path, content: Any, layouts: Sequence[JointLayout]) -> Detections:
    """The detections of the parsed MMPose predictions ``content`` of ``path``, people in one
    of ``layouts``."""
    frames: List[Any] = _frames(content)
    if 'keypoint_scores' in frames[0]:  # one image: the list of instances
        frames = [{'frame_id': 0, 'instances': frames}]
    ids = []
    for k, frame in enumerate(frames):
        where = f"{path}: instance_info[{k}]"
        if not isinstance(frame, dict) or not isinstance(frame.get('instances'), list):
            raise KeypointError(f"{where}: expected an object with an integer 'frame_id' and an "
                                f"'instances' list")
        ids.append(checked_frame_number(frame.get('frame_id', k), f"{where}.frame_id"))
    first = min(ids)
    rows = []
    for k, (frame_id, frame) in enumerate(zip(ids, frames)):
        for n, instance in enumerate(frame['instances']):
            where = f"{path}: instance_info[{k}].instances[{n}]"
            if not isinstance(instance, dict) or 'keypoints' not in instance:
                raise KeypointError(f"{where}: expected an object with 'keypoints'")
            points = instance_points(instance['keypoints'], f"{where}.keypoints",
                                     instance.get('keypoint_scores'))
            rows.append((frame_id - first, points,
                         checked_track_id(instance.get('track_id'), f"{where}.track_id")))
    image_size = None
    size = (content.get('width'), content.get('height')) if isinstance(content, dict) else ()
    if any(value is not None for value in size):
        image_size = checked_image_size(*size, str(path))
    return build_detections(rows, layouts, str(path), num_frames=max(ids) - first + 1,
                            image_size=image_size, records=len(frames), frame_field='frame_id')
