"""People followed from frame to frame: detections of several people become tracks.

When the file has no track ids, :func:`track_people` works in two passes.

1. **Online association**, frame by frame: each track's last points are moved by its velocity
   (of the keypoint box centre, pixels per frame, an exponential average) over the frames since it
   was last seen, and the frame's people are assigned to the tracks by the Hungarian assignment
   (:func:`scipy.optimize.linear_sum_assignment`) on the cost ``(1 - IoU of the keypoint boxes) +
   mean keypoint distance / track box diagonal + 0.01 * frames unseen`` (the last term prefers
   the track seen last). A pair with no box overlap and a distance above one diagonal, or whose
   box diagonals differ by more than 1.5 times, is never matched. A track not matched for more
   than ``max_gap`` frames ends; a person that matches no track starts a new one. Moving the
   points by the velocity keeps two people who cross apart (each is looked for where it is
   going) and finds a person again after an occlusion.
2. **Re-linking**: a track that starts at most ``max_gap`` frames after another one ended
   continues it when it starts where and how that one ended. The cost is the sum of three
   terms: the position error, the distance between the end moved forward by the end velocity
   and the start moved back by the start velocity, each over half the gap (so a person who
   turned round while hidden is found too), over the ended track's box diagonal; ``|log|`` of
   the ratio of the box diagonals; and the mean distance of the two poses, each centred on its
   box and scaled by its diagonal. A pair is linked only when each term is below
   :data:`RELINK_LIMITS`; the pairs are chosen by the Hungarian assignment, repeated until no
   pair is left. The online pass cannot do this: it sees one frame of the new track, not how
   it moves.

:func:`build_tracks` then lays the tracks out as arrays ``(people, frames, joints, 3)``.
:func:`gap_frames` turns a duration into ``max_gap`` for a frame rate.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import List, Optional, Tuple, Union

import numpy as np
from scipy.optimize import linear_sum_assignment

from gast_pyg.keypoints.detections import Detections, JointLayout
from gast_pyg.keypoints.sequence import KeypointError

__all__ = ['PersonChoice', 'PersonTracks', 'track_people', 'build_tracks', 'keypoint_boxes',
           'gap_frames', 'RELINK_LIMITS']

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


#: The largest position error (in box diagonals), ``|log|`` size ratio and pose distance of a
#: tracklet pair that is re-linked (module docstring); the size limit also bounds the online
#: association.
RELINK_LIMITS = dict(position=1.0, size=float(np.log(1.5)), pose=0.25)


def _cost(tracks: np.ndarray, people: np.ndarray, unseen: np.ndarray) -> np.ndarray:
    """``(M, N)`` association cost of the predicted points ``(M, K, 3)`` of ``M`` tracks, unseen
    for ``unseen`` ``(M,)`` frames, and ``N`` people ``(N, K, 3)``."""
    track_boxes, people_boxes = keypoint_boxes(tracks), keypoint_boxes(people)
    iou = _iou(np.nan_to_num(track_boxes), np.nan_to_num(people_boxes))
    diagonal = np.maximum(np.linalg.norm(track_boxes[:, 2:] - track_boxes[:, :2], axis=-1), 1.0)
    distance = np.linalg.norm(tracks[:, None, :, :2] - people[None, :, :, :2], axis=-1)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)  # no joint present in both: NaN
        distance = np.nanmean(distance, axis=-1) / diagonal[:, None]
    distance = np.nan_to_num(distance, nan=np.inf)
    cost = (1.0 - iou) + np.minimum(distance, 1e6) + 0.01 * unseen[:, None]
    people_diagonal = np.maximum(np.linalg.norm(people_boxes[:, 2:] - people_boxes[:, :2],
                                                axis=-1), 1.0)
    size = np.abs(np.log(np.nan_to_num(people_diagonal[None, :] / diagonal[:, None], nan=1.0)))
    return np.where(((iou > 0) | (distance <= 1.0)) & (size <= RELINK_LIMITS['size']), cost,
                    np.inf)


def _centre_and_diagonal(points: np.ndarray) -> Tuple[np.ndarray, float]:
    box = keypoint_boxes(points)
    return (box[:2] + box[2:]) / 2, max(float(np.linalg.norm(box[2:] - box[:2])), 1.0)


@dataclass
class _Track:
    """The online state of one track: where it was last seen and how fast it moved."""

    frame: int
    points: np.ndarray  # (K, 3)
    velocity: np.ndarray  # (2,) pixels per frame of the box centre

    def predict(self, frame: int) -> np.ndarray:
        moved = self.points.copy()
        moved[:, :2] += self.velocity * (frame - self.frame)
        return moved

    def update(self, frame: int, points: np.ndarray) -> None:
        step = (_centre_and_diagonal(points)[0] - _centre_and_diagonal(self.points)[0])
        step = np.nan_to_num(step / (frame - self.frame))
        self.velocity = 0.5 * self.velocity + 0.5 * step
        self.frame, self.points = frame, points


def _associate(detections: Detections, max_gap: int) -> np.ndarray:
    ids = np.full(len(detections.frames), -1, dtype=np.int64)
    tracks: List[_Track] = []
    for frame in np.unique(detections.frames):
        rows = np.flatnonzero(detections.frames == frame)
        alive = [t for t, track in enumerate(tracks) if frame - track.frame - 1 <= max_gap]
        if alive:
            cost = _cost(np.stack([tracks[t].predict(frame) for t in alive]),
                         detections.points[rows],
                         np.array([frame - tracks[t].frame for t in alive], dtype=np.float64))
            finite = np.where(np.isfinite(cost), cost, 1e9)
            for i, j in zip(*linear_sum_assignment(finite)):
                if np.isfinite(cost[i, j]):
                    ids[rows[j]] = alive[i]
                    tracks[alive[i]].update(int(frame), detections.points[rows[j]])
        for row in rows:
            if ids[row] < 0:
                ids[row] = len(tracks)
                tracks.append(_Track(int(frame), detections.points[row], np.zeros(2)))
    return ids


@dataclass
class _Tracklet:
    """The ends of one track for re-linking: first / last frame, points, box centre and
    diagonal, and velocity (pixels per frame over its first / last few frames)."""

    start: int
    end: int
    first: np.ndarray
    last: np.ndarray
    start_velocity: np.ndarray
    end_velocity: np.ndarray

    @classmethod
    def of(cls, frames: np.ndarray, points: np.ndarray, span: int = 5) -> '_Tracklet':
        def velocity(a: int, b: int) -> np.ndarray:
            if frames[b] == frames[a]:
                return np.zeros(2)
            step = _centre_and_diagonal(points[b])[0] - _centre_and_diagonal(points[a])[0]
            return np.nan_to_num(step / (frames[b] - frames[a]))
        n = len(frames)
        return cls(int(frames[0]), int(frames[-1]), points[0], points[-1],
                   velocity(0, min(span, n) - 1), velocity(max(n - span, 0), n - 1))


def _pose_distance(a: np.ndarray, b: np.ndarray) -> float:
    (centre_a, diagonal_a), (centre_b, diagonal_b) = _centre_and_diagonal(a), \
        _centre_and_diagonal(b)
    shape_a = (a[:, :2] - centre_a) / diagonal_a
    shape_b = (b[:, :2] - centre_b) / diagonal_b
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', RuntimeWarning)  # no joint present in both: NaN
        distance = np.nanmean(np.linalg.norm(shape_a - shape_b, axis=-1))
    return float(np.nan_to_num(distance, nan=np.inf))


def _link_terms(ended: _Tracklet, started: _Tracklet) -> np.ndarray:
    """Position error, ``|log|`` size ratio, pose distance (module docstring)."""
    half_gap = (started.start - ended.end) / 2
    (end_centre, diagonal), (start_centre, start_diagonal) = (
        _centre_and_diagonal(ended.last), _centre_and_diagonal(started.first))
    forward = end_centre + ended.end_velocity * half_gap
    back = start_centre - started.start_velocity * half_gap
    return np.array([np.linalg.norm(forward - back) / diagonal,
                     abs(np.log(start_diagonal / diagonal)),
                     _pose_distance(ended.last, started.first)])


def _relink(detections: Detections, ids: np.ndarray, max_gap: int) -> np.ndarray:
    ids = ids.copy()
    limits = np.array(list(RELINK_LIMITS.values()))
    while True:
        names = list(np.unique(ids))
        tracklets = []
        for name in names:
            rows = np.flatnonzero(ids == name)
            rows = rows[np.argsort(detections.frames[rows], kind='stable')]
            tracklets.append(_Tracklet.of(detections.frames[rows], detections.points[rows]))
        cost = np.full((len(names), len(names)), np.inf)
        for i, ended in enumerate(tracklets):
            for j, started in enumerate(tracklets):
                if 0 < started.start - ended.end <= max_gap + 1:
                    terms = _link_terms(ended, started)
                    if (terms <= limits).all():
                        cost[i, j] = terms.sum()
        if not np.isfinite(cost).any():
            return ids
        merged = {}  # a continued tracklet -> the one it continues (chains A -> B -> C too)
        for i, j in zip(*linear_sum_assignment(np.where(np.isfinite(cost), cost, 1e9))):
            if np.isfinite(cost[i, j]):
                merged[names[j]] = names[i]
        for name in merged:
            root = name
            while root in merged:
                root = merged[root]
            ids[ids == name] = root


def _renumber(ids: np.ndarray) -> np.ndarray:
    """Ids 0, 1, ... in the order of first appearance."""
    _, first, inverse = np.unique(ids, return_index=True, return_inverse=True)
    rank = np.argsort(np.argsort(first))
    return rank[inverse].astype(np.int64)


def gap_frames(fps: float, seconds: float = 1.0) -> int:
    """``max_gap`` for a video at ``fps``: the frames in ``seconds`` (at least 1)."""
    if not fps > 0 or not seconds >= 0:
        raise KeypointError(f"fps must be > 0 and seconds >= 0, got {fps} and {seconds}")
    return max(1, int(round(fps * seconds)))


def track_people(detections: Detections, max_gap: int = 30) -> np.ndarray:
    """``(N,)`` int64 track ids (0, 1, ... in the order of first appearance) for the instances
    of ``detections``: online association, then re-linking (module docstring). ``max_gap``: the
    most frames a person may be unseen and keep the identity (:func:`gap_frames` of the video's
    frame rate; 30 is a second at 30 fps)."""
    if max_gap < 0:
        raise KeypointError(f"max_gap must be >= 0, got {max_gap}")
    if len(detections.frames) == 0:
        return np.zeros(0, dtype=np.int64)
    return _renumber(_relink(detections, _associate(detections, max_gap), max_gap))


def build_tracks(detections: Detections, person: PersonChoice = 'all',
                 max_gap: int = 30) -> PersonTracks:
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
