"""People followed from frame to frame: detections of several people become tracks.

When the file has no track ids, :func:`track_people` associates each frame's people with the
tracks of the frames before by the Hungarian assignment
(:func:`scipy.optimize.linear_sum_assignment`) on the cost ``(1 - IoU of the keypoint boxes) +
mean keypoint distance / track box diagonal``. A pair with no box overlap and a distance above
one diagonal is never matched; a track not matched for more than ``max_gap`` frames ends, and a
person that matches no track starts a new one. :func:`build_tracks` then lays the tracks out as
arrays ``(people, frames, joints, 3)``.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Dict, Optional, Tuple, Union

import numpy as np
from scipy.optimize import linear_sum_assignment

from gast_pyg.keypoints.detections import Detections, JointLayout
from gast_pyg.keypoints.sequence import KeypointError

__all__ = ['PersonChoice', 'PersonTracks', 'track_people', 'build_tracks', 'keypoint_boxes']

#: ``--person``: a track id, every track, or per frame the person with the highest mean score.
PersonChoice = Union[int, str]


@dataclass
class PersonTracks:
    """The people of a video as tracks.

    Attributes:
        track_ids: ``(P,)`` int64, in the order of first appearance.
        points: ``(P, T, K, 3)`` float64 ``x, y`` pixels and score in :attr:`layout`; NaN (score
            0) in the frames where a track is absent.
        present: ``(P, T)`` bool, the frames where each track was detected.
        frame_indices: ``(T,)`` int64 video frames.
        layout, image_size, source: as in :class:`~gast_pyg.keypoints.detections.Detections`.
    """

    track_ids: np.ndarray
    points: np.ndarray
    present: np.ndarray
    frame_indices: np.ndarray
    layout: JointLayout
    image_size: Optional[Tuple[int, int]]
    source: str

    @property
    def detection_score(self) -> np.ndarray:
        """``(P, T)`` float64: the mean keypoint score of each detection, NaN where absent."""
        with np.errstate(invalid='ignore'):
            return np.where(self.present, self.points[..., 2].mean(-1), np.nan)


def keypoint_boxes(points: np.ndarray) -> np.ndarray:
    """``(..., 4)`` ``x0, y0, x1, y1`` boxes around the present points of ``(..., K, 3)``
    (NaN when no point is present)."""
    xy = points[..., :2]
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)  # all-NaN rows give NaN boxes
        return np.concatenate([np.nanmin(xy, axis=-2), np.nanmax(xy, axis=-2)], axis=-1)


def _area(boxes: np.ndarray) -> np.ndarray:
    return np.clip(boxes[..., 2:] - boxes[..., :2], 0, None).prod(-1)


def _iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``(M, N)`` IoU of boxes ``(M, 4)`` and ``(N, 4)``."""
    low = np.maximum(a[:, None, :2], b[None, :, :2])
    high = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.clip(high - low, 0, None).prod(-1)
    union = _area(a)[:, None] + _area(b)[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1), 0.0)


def _cost(tracks: np.ndarray, people: np.ndarray) -> np.ndarray:
    """``(M, N)`` association cost of the last points of ``M`` tracks and ``N`` people."""
    track_boxes, people_boxes = keypoint_boxes(tracks), keypoint_boxes(people)
    iou = _iou(np.nan_to_num(track_boxes), np.nan_to_num(people_boxes))
    diagonal = np.maximum(np.linalg.norm(track_boxes[:, 2:] - track_boxes[:, :2], axis=-1), 1.0)
    distance = np.linalg.norm(tracks[:, None, :, :2] - people[None, :, :, :2], axis=-1)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)  # no joint present in both: NaN
        distance = np.nanmean(distance, axis=-1) / diagonal[:, None]
    distance = np.nan_to_num(distance, nan=np.inf)
    cost = (1.0 - iou) + np.minimum(distance, 1e6)
    return np.where((iou > 0) | (distance <= 1.0), cost, np.inf)


def track_people(detections: Detections, max_gap: int = 10) -> np.ndarray:
    """``(N,)`` int64 track ids (from 0) for the instances of ``detections`` (see the module
    docstring for the association)."""
    if max_gap < 0:
        raise KeypointError(f"max_gap must be >= 0, got {max_gap}")
    ids = np.full(len(detections.frames), -1, dtype=np.int64)
    last: Dict[int, Tuple[int, np.ndarray]] = {}  # track -> (frame, points)
    for frame in np.unique(detections.frames):
        rows = np.flatnonzero(detections.frames == frame)
        alive = [t for t, (seen, _) in last.items() if frame - seen - 1 <= max_gap]
        if alive:
            cost = _cost(np.stack([last[t][1] for t in alive]), detections.points[rows])
            finite = np.where(np.isfinite(cost), cost, 1e9)
            for i, j in zip(*linear_sum_assignment(finite)):
                if np.isfinite(cost[i, j]):
                    ids[rows[j]] = alive[i]
        for row in rows:
            if ids[row] < 0:
                ids[row] = len(last)
            last[int(ids[row])] = (int(frame), detections.points[row])
    return ids


def build_tracks(detections: Detections, person: PersonChoice = 'all',
                 max_gap: int = 10) -> PersonTracks:
    """The tracks of ``detections``: the file's track ids when it has them, else
    :func:`track_people`. ``person``: ``'all'``, a track id, or ``'best'`` (one track, id 0:
    in each frame the person with the highest mean score, the single-person reading of
    :func:`~gast_pyg.keypoints.read_keypoints`). Two instances of one track in a frame: the
    higher-scored one is kept."""
    frames = detections.frame_indices
    mean_score = detections.points[..., 2].mean(-1)
    if person == 'best':
        ids = np.zeros(len(detections.frames), dtype=np.int64)
    elif detections.track_ids is not None:
        ids = detections.track_ids
    else:
        ids = track_people(detections, max_gap)
    order = []
    for track in ids:
        if track not in order:
            order.append(int(track))
    if person not in ('all', 'best'):
        if not isinstance(person, (int, np.integer)) or person not in order:
            raise KeypointError(f"{detections.source}: no person {person!r}; the track ids are "
                                f"{order} (or use 'all' / 'best')")
        order = [int(person)]
    if not order:
        raise KeypointError(f"{detections.source}: no person in any of the {len(frames)} frames")
    slot = {track: p for p, track in enumerate(order)}
    points = np.full((len(order), len(frames), detections.layout.num_joints, 3), np.nan)
    points[..., 2] = 0.0
    best = np.full((len(order), len(frames)), -np.inf)
    for row in np.argsort(-mean_score, kind='stable'):
        track = int(ids[row])
        if track in slot:
            p, t = slot[track], int(detections.frames[row] - frames[0])
            if best[p, t] == -np.inf:
                points[p, t], best[p, t] = detections.points[row], mean_score[row]
    return PersonTracks(np.array(order, dtype=np.int64), points, np.isfinite(best), frames,
                        detections.layout, detections.image_size, detections.source)
