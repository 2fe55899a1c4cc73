"""OpenPose keypoint files: a folder of per-frame ``*_keypoints.json`` (``--write_json``).

Each file is ``{"version": ..., "people": [{"person_id": [-1], "pose_keypoints_2d":
[x, y, c] * K, ...}]}`` with ``K = 25`` (BODY_25, the default model), ``K = 18`` (the COCO
model, COCO-18) or the count of any other layout the readers know. Frames are the files in the
order of the number before ``_keypoints.json``
(OpenPose names them ``<video>_000000000012_keypoints.json``). ``person_id`` is ``-1`` unless
OpenPose tracked people; ids are used only when every person has one.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any, List, Optional, Sequence

from gast_pyg.keypoints.detections import (Detections, JointLayout, build_detections,
                                           instance_points)
from gast_pyg.keypoints.reading import load_json
from gast_pyg.keypoints.sequence import KeypointError, checked_track_id

__all__ = ['BODY_25', 'COCO_18', 'read_openpose', 'is_openpose']

#: OpenPose BODY_25 (``mid_hip`` and ``neck`` unused; toe = mean of big and small toe).
BODY_25 = JointLayout('OpenPose BODY_25', (
    'nose', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist', 'left_shoulder', 'left_elbow',
    'left_wrist', 'mid_hip', 'right_hip', 'right_knee', 'right_ankle', 'left_hip', 'left_knee',
    'left_ankle', 'right_eye', 'left_eye', 'right_ear', 'left_ear', 'left_big_toe',
    'left_small_toe', 'left_heel', 'right_big_toe', 'right_small_toe', 'right_heel'),
    toes=(('left_big_toe', 'left_small_toe'), ('right_big_toe', 'right_small_toe')))

#: OpenPose COCO-18 (COCO-17 reordered plus ``neck``; no feet).
COCO_18 = JointLayout('OpenPose COCO-18', (
    'nose', 'neck', 'right_shoulder', 'right_elbow', 'right_wrist', 'left_shoulder', 'left_elbow',
    'left_wrist', 'right_hip', 'right_knee', 'right_ankle', 'left_hip', 'left_knee', 'left_ankle',
    'right_eye', 'left_eye', 'right_ear', 'left_ear'))

_DIGITS = re.compile(r'\d+')


def is_openpose(content: Any) -> bool:
    return isinstance(content, dict) and isinstance(content.get('people'), list)


def _frame_files(path: Path) -> List[Path]:
    files = sorted(path.glob('*_keypoints.json')) or sorted(path.glob('*.json'))
    if not files:
        raise KeypointError(f"{path}: the folder has no OpenPose *_keypoints.json files")

    def number(file: Path) -> int:
        runs = _DIGITS.findall(file.name.replace('_keypoints.json', ''))
        return int(runs[-1]) if runs else -1

    numbers = [number(file) for file in files]
    if all(n >= 0 for n in numbers) and len(set(numbers)) == len(numbers):
        files = [file for _, file in sorted(zip(numbers, files))]
    return files


def _person_track(person: dict, where: str) -> Optional[int]:
    """The track id of ``person_id`` (a number or a one-element list); ``-1`` (untracked) is
    ``None``."""
    ids = person.get('person_id', -1)
    track = ids[0] if isinstance(ids, list) and len(ids) == 1 else ids
    return None if track == -1 else checked_track_id(track, f"{where}.person_id")


def read_openpose(path: Path, layouts: Sequence[JointLayout]) -> Detections:
    """Read an OpenPose folder (or one of its files, as a one-frame video) of people in one of
    ``layouts``."""
    files = _frame_files(path) if path.is_dir() else [path]
    rows = []
    for frame, file in enumerate(files):
        content = load_json(file)
        if not is_openpose(content):
            raise KeypointError(f"{file}: expected an OpenPose object with a 'people' list")
        for k, person in enumerate(content['people']):
            where = f"{file}: people[{k}]"
            if not isinstance(person, dict) or 'pose_keypoints_2d' not in person:
                raise KeypointError(f"{where}: expected an object with 'pose_keypoints_2d'")
            points = instance_points(person['pose_keypoints_2d'], f"{where}.pose_keypoints_2d")
            rows.append((frame, points, _person_track(person, where)))
    return build_detections(rows, layouts, str(path), num_frames=len(files), records=len(files))
