"""The HRNet / GAST-Net demo JSON: frames of people of COCO-17 keypoints.

``{"data": [{"frame_index": i, "skeleton": [{"pose": [[x, y] * 17], "score": [[s] * 17],
"bbox": [x0, y0, x1, y1]}, ...]}, ...]}`` (a bare list of frames is accepted too), with optional
top-level ``width`` and ``height`` (the image size). :func:`read_demo_json` keeps the best person
of each frame (:class:`~gast_pyg.keypoints.sequence.KeypointSequence`);
:func:`read_demo_detections` keeps every person
(:class:`~gast_pyg.keypoints.detections.Detections`).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Tuple

import numpy as np

from gast_pyg.keypoints.detections import (COCO_LAYOUT, Detections, build_detections,
                                           instance_points)
from gast_pyg.keypoints.layouts import expected_joints
from gast_pyg.keypoints.sequence import (MAX_FRAME_INDEX, KeypointError, KeypointSequence,
                                         checked_image_size, is_number)
from gast_pyg.validation import bounded_repr

__all__ = ['read_demo_json', 'is_demo_json', 'read_demo_detections']

# Frames without a person a JSON file may imply, per frame it lists (beyond a fixed allowance):
# a file cannot make the reader allocate much more than its own content.
_MAX_IMPLIED_FRAMES = 10
_IMPLIED_FRAMES_ALLOWANCE = 1000


def _person_arrays(person: Any, where: str, joints: int,
                   what: str) -> Tuple[np.ndarray, np.ndarray]:
    if not isinstance(person, dict) or 'pose' not in person:
        raise KeypointError(f"{where}: expected an object with a 'pose' list, got "
                            f"{type(person).__name__}")
    pose = person['pose']
    if not isinstance(pose, list) or not all(
            isinstance(p, list) and len(p) in (2, 3) and all(is_number(v) or v is None for v in p)
            for p in pose):
        raise KeypointError(f"{where}.pose: expected a list of [x, y] number pairs")
    if len(pose) != joints:
        raise KeypointError(f"{where}.pose has {len(pose)} keypoints; expected {joints} ({what})")
    xy = np.array([[np.nan if v is None else v for v in p[:2]] for p in pose], dtype=np.float64)
    score = person.get('score')
    if score is None:
        scores = np.ones(joints)
    else:
        if not isinstance(score, list) or len(score) != joints:
            count = len(score) if isinstance(score, list) else type(score).__name__
            raise KeypointError(f"{where}.score: expected {joints} scores, got {count}")
        flat = [s[0] if isinstance(s, list) and len(s) == 1 else s for s in score]
        if not all(is_number(s) for s in flat):
            raise KeypointError(f"{where}.score: expected numbers or [number] lists")
        scores = np.array(flat, dtype=np.float64)
    return xy, scores


def read_demo_json(path: Path, layout: str = 'coco') -> KeypointSequence:
    """The best person of each frame of the demo JSON at ``path`` (module docstring).

    Frames are placed by ``frame_index`` (their position when absent); frames between the first
    and the last index that the file leaves out, or that have an empty ``skeleton`` list, are
    frames without a person. With several people in a frame, the one with the highest mean
    score is taken. ``layout``: ``'coco'`` or the skeleton whose joint order the file uses.
    """
    joints, what = expected_joints(layout)
    try:
        with open(path, encoding='utf-8') as file:
            content = json.load(file)
    except json.JSONDecodeError as error:
        raise KeypointError(f"{path}: malformed JSON at line {error.lineno}, column "
                            f"{error.colno}: {error.msg}") from error
    except UnicodeDecodeError as error:
        raise KeypointError(f"{path}: not a UTF-8 text (JSON) file: {error}") from error
    except RecursionError as error:
        raise KeypointError(f"{path}: the JSON is nested too deeply; expected frames of "
                            f"people of keypoints") from error
    frames = content.get('data') if isinstance(content, dict) else content
    if not isinstance(frames, list):
        raise KeypointError(f"{path}: expected a JSON object with a 'data' list of frames "
                            f"(or a list of frames)")
    if not frames:
        raise KeypointError(f"{path}: the file has no frames")

    indices, people = [], []
    for i, frame in enumerate(frames):
        where = f"{path}: data[{i}]"
        if not isinstance(frame, dict):
            raise KeypointError(f"{where}: expected an object with 'frame_index' and 'skeleton', "
                                f"got {type(frame).__name__}")
        index = frame.get('frame_index', i)
        if (not isinstance(index, int) or isinstance(index, bool)
                or not 0 <= index <= MAX_FRAME_INDEX):
            raise KeypointError(f"{where}.frame_index: expected an integer in 0.."
                                f"{MAX_FRAME_INDEX}, got {bounded_repr(index)}")
        skeleton = frame.get('skeleton', [])
        if not isinstance(skeleton, list):
            raise KeypointError(f"{where}.skeleton: expected a list of people, "
                                f"got {type(skeleton).__name__}")
        candidates = [_person_arrays(person, f"{where}.skeleton[{k}]", joints, what)
                      for k, person in enumerate(skeleton)]
        best = max(candidates, key=lambda c: float(np.nanmean(c[1])), default=None)
        indices.append(index)
        people.append(best)

    order = np.argsort(indices, kind='stable')
    sorted_indices = np.asarray(indices, dtype=np.int64)[order]
    repeated = sorted_indices[1:][np.diff(sorted_indices) == 0]
    if repeated.size:
        raise KeypointError(f"{path}: frame_index {int(repeated[0])} appears more than once")
    first, last = int(sorted_indices[0]), int(sorted_indices[-1])
    if last - first + 1 > _MAX_IMPLIED_FRAMES * len(frames) + _IMPLIED_FRAMES_ALLOWANCE:
        raise KeypointError(f"{path}: frame_index runs from {first} to {last} for only "
                            f"{len(frames)} frames listed; expected at most "
                            f"{_MAX_IMPLIED_FRAMES * len(frames) + _IMPLIED_FRAMES_ALLOWANCE} "
                            f"frames in between (a forged or corrupt frame_index?)")
    frame_indices = np.arange(first, last + 1, dtype=np.int64)
    xy = np.full((len(frame_indices), joints, 2), np.nan)
    scores = np.zeros((len(frame_indices), joints))
    for index, person in zip(indices, people):
        if person is not None:
            xy[index - first], scores[index - first] = person

    image_size = None
    if isinstance(content, dict) and ('width' in content or 'height' in content):
        image_size = checked_image_size(content.get('width'), content.get('height'), str(path))
    return KeypointSequence.from_points(xy, scores, frame_indices, layout, image_size, str(path))


def is_demo_json(content: Any) -> bool:
    """Whether parsed JSON looks like the demo layout (frames with ``skeleton`` or
    ``frame_index``)."""
    frames = content.get('data') if isinstance(content, dict) else content
    return (isinstance(frames, list) and bool(frames) and isinstance(frames[0], dict)
            and ('skeleton' in frames[0] or 'frame_index' in frames[0]))


def read_demo_detections(path: Path, content: Any) -> Detections:
    """Every person of every frame of the parsed demo JSON ``content`` of ``path``
    (:func:`read_demo_json` keeps the best one per frame)."""
    frames = content.get('data') if isinstance(content, dict) else content
    if not isinstance(frames, list) or not frames:
        raise KeypointError(f"{path}: expected a JSON object with a non-empty 'data' list of "
                            f"frames")
    rows = []
    for i, frame in enumerate(frames):
        where = f"{path}: data[{i}]"
        index = frame.get('frame_index', i) if isinstance(frame, dict) else None
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise KeypointError(f"{where}.frame_index: expected a non-negative integer, "
                                f"got {index!r}")
        people = frame.get('skeleton', [])
        if not isinstance(people, list):
            raise KeypointError(f"{where}.skeleton: expected a list of people")
        for k, person in enumerate(people):
            if not isinstance(person, dict) or 'pose' not in person:
                raise KeypointError(f"{where}.skeleton[{k}]: expected an object with 'pose'")
            score = person.get('score')
            if isinstance(score, list):
                score = [s[0] if isinstance(s, list) and len(s) == 1 else s for s in score]
            rows.append((index, instance_points(person['pose'], f"{where}.skeleton[{k}].pose",
                                                score), None))
    first = min(frame.get('frame_index', i) for i, frame in enumerate(frames))
    image_size = None
    if isinstance(content, dict) and 'width' in content and 'height' in content:
        image_size = (int(content['width']), int(content['height']))
    return build_detections(rows, (COCO_LAYOUT,), str(path), num_frames=len(frames),
                            image_size=image_size, first_frame=first)
