"""MMPose / rtmlib-style per-frame predictions.

MMPose's demos (``--save-predictions``) write ``{"meta_info": {...}, "instance_info":
[{"frame_id": f, "instances": [{"keypoints": [[x, y]] * K, "keypoint_scores": [s] * K,
"bbox": [[x0, y0, x1, y1]], "bbox_score": s}]}]}`` (for an image: ``instance_info`` is the list
of instances itself). A bare list of ``{"frame_id", "instances"}`` frames (what scripts around
rtmlib save) is read the same way. ``K``: 17 (COCO), 26 (Halpe-26) or 133 (COCO-WholeBody);
``track_id`` on the instances is used when every one has it. Frame ids start anywhere (MMPose
counts from 1); the first becomes frame 0.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, List

from gast_pyg.keypoints.alphapose import HALPE_26
from gast_pyg.keypoints.blazepose import BLAZEPOSE_33
from gast_pyg.keypoints.detections import (COCO_LAYOUT, Detections, build_detections,
                                           instance_points)
from gast_pyg.keypoints.sequence import KeypointError
from gast_pyg.keypoints.wholebody import WHOLEBODY_133

__all__ = ['read_mmpose', 'is_mmpose']


def _frames(content: Any) -> Any:
    return content.get('instance_info') if isinstance(content, dict) else content


def is_mmpose(content: Any) -> bool:
    frames = _frames(content)
    return (isinstance(frames, list) and bool(frames) and isinstance(frames[0], dict)
            and ('instances' in frames[0] or 'keypoint_scores' in frames[0]))


def read_mmpose(path: Path, content: Any) -> Detections:
    frames: List[Any] = _frames(content)
    if 'keypoint_scores' in frames[0]:  # one image: the list of instances
        frames = [{'frame_id': 0, 'instances': frames}]
    ids = []
    for k, frame in enumerate(frames):
        frame_id = frame.get('frame_id', k) if isinstance(frame, dict) else None
        if not isinstance(frame_id, int) or not isinstance(frame.get('instances'), list):
            raise KeypointError(f"{path}: instance_info[{k}]: expected an object with an integer "
                                f"'frame_id' and an 'instances' list")
        ids.append(frame_id)
    first = min(ids)
    rows = []
    for k, (frame_id, frame) in enumerate(zip(ids, frames)):
        for n, instance in enumerate(frame['instances']):
            where = f"{path}: instance_info[{k}].instances[{n}]"
            if not isinstance(instance, dict) or 'keypoints' not in instance:
                raise KeypointError(f"{where}: expected an object with 'keypoints'")
            points = instance_points(instance['keypoints'], f"{where}.keypoints",
                                     instance.get('keypoint_scores'))
            rows.append((frame_id - first, points, instance.get('track_id')))
    image_size = None
    if isinstance(content, dict) and content.get('width') and content.get('height'):
        image_size = (int(content['width']), int(content['height']))
    return build_detections(rows, (COCO_LAYOUT, HALPE_26, BLAZEPOSE_33, WHOLEBODY_133),
                            str(path), num_frames=max(ids) - first + 1, image_size=image_size)
