"""The HRNet / GAST-Net demo JSON: frames of people of keypoints.

``{"data": [{"frame_index": i, "skeleton": [{"pose": [[x, y] * K], "score": [[s] * K],
"bbox": [x0, y0, x1, y1]}, ...]}, ...]}`` (a bare list of frames is accepted too), with optional
top-level ``width`` and ``height`` (the image size). The demo writes COCO-17 (``K = 17``).
:func:`read_demo_json` keeps the best person of each frame
(:class:`~gast_pyg.keypoints.sequence.KeypointSequence`, ``K`` the joints of a given layout);
:func:`read_demo_detections` keeps every person
(:class:`~gast_pyg.keypoints.detections.Detections`, ``K`` the joints of any layout the readers
know, e.g. 133 COCO-WholeBody points).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from gast_pyg.keypoints.detections import (Detections, JointLayout, build_detections,
                                           clean_points, instance_points)
from gast_pyg.keypoints.layouts import expected_joints
from gast_pyg.keypoints.reading import load_json
from gast_pyg.keypoints.sequence import (KeypointError, KeypointSequence, check_implied_frames,
                                         checked_frame_number, checked_image_size)

__all__ = ['read_demo_json', 'is_demo_json', 'read_demo_detections']


def _frames(path: Path, content: Any) -> List[Any]:
    frames = content.get('data') if isinstance(content, dict) else content
    if not isinstance(frames, list):
        raise KeypointError(f"{path}: expected a JSON object with a 'data' list of frames "
                            f"(or a list of frames)")
    if not frames:
        raise KeypointError(f"{path}: the file has no frames")
    return frames


def _check_count(count: int, joints: Optional[Tuple[int, str]], field: str) -> None:
    if joints is not None and count != joints[0]:
        raise KeypointError(f"{field} has {count} keypoints; expected {joints[0]} ({joints[1]})")


def _frame_people(frame: Any, i: int, where: str, joints: Optional[Tuple[int, str]] = None
                  ) -> Tuple[int, List[np.ndarray]]:
    """``(frame_index, [points (K, 3) of each person])`` of ``data[i]``; ``joints``: ``(K,
    description)`` of the layout required (``None``: any)."""
    if not isinstance(frame, dict):
        raise KeypointError(f"{where}: expected an object with 'frame_index' and 'skeleton', "
                            f"got {type(frame).__name__}")
    index = checked_frame_number(frame.get('frame_index', i), f"{where}.frame_index")
    skeleton = frame.get('skeleton', [])
    if not isinstance(skeleton, list):
        raise KeypointError(f"{where}.skeleton: expected a list of people, "
                            f"got {type(skeleton).__name__}")
    people = []
    for k, person in enumerate(skeleton):
        if not isinstance(person, dict) or 'pose' not in person:
            raise KeypointError(f"{where}.skeleton[{k}]: expected an object with a 'pose' list, "
                                f"got {type(person).__name__}")
        pose, score, field = person['pose'], person.get('score'), f"{where}.skeleton[{k}].pose"
        if isinstance(pose, list) and pose and isinstance(pose[0], list):
            _check_count(len(pose), joints, field)  # before the scores, counted against it
        if isinstance(score, list):
            score = [s[0] if isinstance(s, list) and len(s) == 1 else s for s in score]
        people.append(instance_points(pose, field, score))
        _check_count(len(people[-1]), joints, field)
    return index, people


def _image_size(path: Path, content: Any):
    if isinstance(content, dict) and ('width' in content or 'height' in content):
        return checked_image_size(content.get('width'), content.get('height'), str(path))
    return None


def read_demo_json(path: Path, layout: str = 'coco') -> KeypointSequence:
    """The best person of each frame of the demo JSON at ``path`` (module docstring).

    Frames are placed by ``frame_index`` (their position when absent); frames between the first
    and the last index that the file leaves out, or that have an empty ``skeleton`` list, are
    frames without a person. With several people in a frame, the one with the highest mean
    score is taken. ``layout``: ``'coco'`` or the skeleton whose joint order the file uses.
    """
    joints = expected_joints(layout)
    content = load_json(path)
    frames = _frames(path, content)
    indices, people = [], []
    for i, frame in enumerate(frames):
        index, candidates = _frame_people(frame, i, f"{path}: data[{i}]", joints)
        indices.append(index)
        people.append(max((clean_points(p) for p in candidates), key=lambda p: float(
            p[:, 2].mean()), default=None))

    order = np.argsort(indices, kind='stable')
    sorted_indices = np.asarray(indices, dtype=np.int64)[order]
    repeated = sorted_indices[1:][np.diff(sorted_indices) == 0]
    if repeated.size:
        raise KeypointError(f"{path}: frame_index {int(repeated[0])} appears more than once")
    first, last = int(sorted_indices[0]), int(sorted_indices[-1])
    check_implied_frames(first, last, len(frames), str(path), 'frame_index')
    frame_indices = np.arange(first, last + 1, dtype=np.int64)
    xy = np.full((len(frame_indices), joints[0], 2), np.nan)
    scores = np.zeros((len(frame_indices), joints[0]))
    for index, points in zip(indices, people):
        if points is not None:
            xy[index - first], scores[index - first] = points[:, :2], points[:, 2]
    return KeypointSequence.from_points(xy, scores, frame_indices, layout,
                                        _image_size(path, content), str(path))


def is_demo_json(content: Any) -> bool:
    """Whether parsed JSON looks like the demo layout (frames with ``skeleton`` or
    ``frame_index``)."""
    frames = content.get('data') if isinstance(content, dict) else content
    return (isinstance(frames, list) and bool(frames) and isinstance(frames[0], dict)
            and ('skeleton' in frames[0] or 'frame_index' in frames[0]))


def read_demo_detections(path: Path, content: Any,
                         layouts: Sequence[JointLayout]) -> Detections:
    """Every person of every frame of the parsed demo JSON ``content`` of ``path``, in one of
    ``layouts`` (:func:`read_demo_json` keeps the best one per frame)."""
    frames = _frames(path, content)
    rows, first = [], None
    for i, frame in enumerate(frames):
        index, people = _frame_people(frame, i, f"{path}: data[{i}]")
        first = index if first is None else min(first, index)
        rows.extend((index, points, None) for points in people)
    return build_detections(rows, layouts, str(path), num_frames=len(frames),
                            image_size=_image_size(path, content), first_frame=first,
                            records=len(frames), frame_field='frame_index')
