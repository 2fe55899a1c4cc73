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
   :data:`RELINK_LIMITS`; the pairs are chosen by the Hungarian assignment (on each connected
   group of candidate pairs), repeated until no pair is left. The online pass cannot do this: it
   sees one frame of the new track, not how it moves.

Both passes visit each frame's people once and compare only tracks that may match (those seen
within ``max_gap`` frames; tracklets found by their sorted starts), so a long video costs time
in proportion to its detections. :func:`build_tracks` then lays the tracks out as arrays
``(people, frames, joints, 3)``, refused before allocation beyond :data:`MAX_TRACK_BYTES`.
:func:`gap_frames` turns a duration into ``max_gap`` for a frame rate.
"""
from __future__ import annotations

import bisect
import warnings
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple, Union

import numpy as np
from scipy.optimize import linear_sum_assignment
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from gast_pyg.keypoints.detections import Detections, JointLayout
from gast_pyg.keypoints.sequence import KeypointError

__all__ = ['PersonChoice', 'PersonTracks', 'track_people', 'build_tracks', 'keypoint_boxes',
           'gap_frames', 'RELINK_LIMITS', 'MAX_TRACK_BYTES']

#: ``--person``: a track id, every track, or per frame the person with the highest mean score.
PersonChoice = Union[int, str]

#: The most memory the tracks' points ``(people, frames, joints, 3)`` may take, in bytes.
MAX_TRACK_BYTES = 2 * 2 ** 30


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


def _frame_groups(frames: np.ndarray) -> List[np.ndarray]:
    """The rows of each frame of ``frames`` ``(N,)``, frames in increasing order, rows in
    increasing order within a frame (one sort: linear-logarithmic in ``N``)."""
    order = np.argsort(frames, kind='stable')
    starts = np.flatnonzero(np.diff(frames[order])) + 1
    return np.split(order, starts) if order.size else []


def _associate(detections: Detections, max_gap: int) -> np.ndarray:
    ids = np.full(len(detections.frames), -1, dtype=np.int64)
    tracks: List[_Track] = []
    alive: List[int] = []  # the tracks that may still be matched (seen within max_gap frames)
    for rows in _frame_groups(detections.frames):
        frame = int(detections.frames[rows[0]])
        alive = [t for t in alive if frame - tracks[t].frame - 1 <= max_gap]
        if alive:
            cost = _cost(np.stack([tracks[t].predict(frame) for t in alive]),
                         detections.points[rows],
                         np.array([frame - tracks[t].frame for t in alive], dtype=np.float64))
            finite = np.where(np.isfinite(cost), cost, 1e9)
            for i, j in zip(*linear_sum_assignment(finite)):
                if np.isfinite(cost[i, j]):
                    ids[rows[j]] = alive[i]
                    tracks[alive[i]].update(frame, detections.points[rows[j]])
        for row in rows:
            if ids[row] < 0:
                ids[row] = len(tracks)
                alive.append(len(tracks))
                tracks.append(_Track(frame, detections.points[row], np.zeros(2)))
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


def _tracklets(detections: Detections, ids: np.ndarray) -> Tuple[np.ndarray, List[_Tracklet]]:
    """The track names of ``ids`` (sorted) and the :class:`_Tracklet` of each."""
    order = np.lexsort((detections.frames, ids))  # by track, then by frame
    names, starts = np.unique(ids[order], return_index=True)
    return names, [_Tracklet.of(detections.frames[rows], detections.points[rows])
                   for rows in np.split(order, starts[1:])]


def _link_pairs(tracklets: List[_Tracklet], max_gap: int) -> Dict[Tuple[int, int], float]:
    """``{(ended, started): cost}`` of the tracklet pairs that may be linked: the second starts
    at most ``max_gap + 1`` frames after the first ends and every term is within
    :data:`RELINK_LIMITS` (candidates found by the sorted starts, not by trying every pair)."""
    limits = np.array(list(RELINK_LIMITS.values()))
    by_start = sorted(range(len(tracklets)), key=lambda j: tracklets[j].start)
    starts = [tracklets[j].start for j in by_start]
    pairs = {}
    for i, ended in enumerate(tracklets):
        low = bisect.bisect_right(starts, ended.end)
        high = bisect.bisect_right(starts, ended.end + max_gap + 1)
        for j in by_start[low:high]:
            terms = _link_terms(ended, tracklets[j])
            if (terms <= limits).all():
                pairs[i, j] = float(terms.sum())
    return pairs


def _assign(pairs: Dict[Tuple[int, int], float]) -> List[Tuple[int, int]]:
    """The pairs of least total cost, each tracklet ended and started at most once: the
    Hungarian assignment on each connected group of candidate pairs."""
    rows = sorted({i for i, _ in pairs})
    cols = sorted({j for _, j in pairs})
    row_of, col_of = {i: r for r, i in enumerate(rows)}, {j: c for c, j in enumerate(cols)}
    graph = coo_matrix((np.ones(len(pairs)), ([row_of[i] for i, _ in pairs],
                                              [len(rows) + col_of[j] for _, j in pairs])),
                       shape=(len(rows) + len(cols),) * 2)
    _, component = connected_components(graph, directed=False)
    groups: Dict[int, Tuple[List[int], List[int]]] = {}
    for i in rows:
        groups.setdefault(component[row_of[i]], ([], []))[0].append(i)
    for j in cols:
        groups.setdefault(component[len(rows) + col_of[j]], ([], []))[1].append(j)
    chosen = []
    for group_rows, group_cols in groups.values():
        cost = np.array([[pairs.get((i, j), np.inf) for j in group_cols] for i in group_rows])
        for r, c in zip(*linear_sum_assignment(np.where(np.isfinite(cost), cost, 1e9))):
            if np.isfinite(cost[r, c]):
                chosen.append((group_rows[r], group_cols[c]))
    return chosen


def _relink(detections: Detections, ids: np.ndarray, max_gap: int) -> np.ndarray:
    while True:
        names, tracklets = _tracklets(detections, ids)
        pairs = _link_pairs(tracklets, max_gap)
        if not pairs:
            return ids
        merged = {j: i for i, j in _assign(pairs)}  # continued -> continues (chains A -> B -> C)
        roots = np.arange(len(names))
        for j in sorted(merged, key=lambda j: tracklets[j].start):  # a chain's root comes first
            roots[j] = roots[merged[j]]
        ids = names[roots[np.searchsorted(names, ids)]]


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
    order = list(dict.fromkeys(ids.tolist()))  # in the order of first appearance
    if person not in ('all', 'best'):
        if not isinstance(person, (int, np.integer)) or person not in order:
            shown = ', '.join(map(str, order[:20])) + (', ...' if len(order) > 20 else '')
            raise KeypointError(f"{detections.source}: no person {person!r}; the track ids are "
                                f"[{shown}] (or use 'all' / 'best')")
        order = [int(person)]
    if not order:
        raise KeypointError(f"{detections.source}: no person in any of the {len(frames)} frames")
    size = len(order) * len(frames) * detections.layout.num_joints * 3 * 8
    if size > MAX_TRACK_BYTES:
        raise KeypointError(
            f"{detections.source}: {len(order)} tracks over {len(frames)} frames of "
            f"{detections.layout.num_joints} points would take {size / 2 ** 30:.1f} GiB; at most "
            f"{MAX_TRACK_BYTES / 2 ** 30:.0f} GiB are laid out: lift one person (--person ID) or "
            f"a shorter part of the video")
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
