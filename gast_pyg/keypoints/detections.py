"""Detections of several people in a joint layout of some 2D detector, and their conversion to
the model's skeleton.

Every importer (:mod:`gast_pyg.keypoints.formats`) and the built-in video detector produce one
:class:`Detections`: a flat table of person instances (one row per person per frame) in the
detector's own joint order, described by a :class:`JointLayout`. :func:`common_points` converts
any layout to the common layout :data:`COCO_TOE_JOINTS` (COCO-17 plus a toe per foot, NaN where
the detector has no feet), and :func:`to_skeleton` goes on to the model's skeleton (``coco``,
``h36m`` through :func:`~gast_pyg.keypoints.layouts.coco_to_h36m`, ``h36m_toes``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

from gast_pyg.keypoints.layouts import COCO_JOINTS, coco_to_h36m
from gast_pyg.keypoints.sequence import KeypointError, check_implied_frames
from gast_pyg.skeleton import Skeleton

__all__ = ['JointLayout', 'Detections', 'COCO_TOE_JOINTS', 'COCO_LAYOUT', 'MAX_KEYPOINT_VALUE',
           'common_points', 'to_skeleton', 'clean_points', 'checked_values', 'instance_points',
           'select_layout', 'build_detections']

#: The common layout every detector layout converts to: the 17 COCO keypoints and a toe per foot.
COCO_TOE_JOINTS = COCO_JOINTS + ('left_toe', 'right_toe')


@dataclass(frozen=True)
class JointLayout:
    """The joint order of a detector.

    Attributes:
        name: e.g. ``'BODY_25'``.
        joint_names: The detector's joints in its order; the 17 COCO joints under their
            :data:`~gast_pyg.keypoints.COCO_JOINTS` names.
        toes: ``(left sources, right sources)``: the joints whose mean point is the toe of
            :data:`COCO_TOE_JOINTS` (empty when the detector has no feet).
    """

    name: str
    joint_names: Tuple[str, ...]
    toes: Tuple[Tuple[str, ...], Tuple[str, ...]] = ((), ())

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    @property
    def has_toes(self) -> bool:
        return bool(self.toes[0])


#: COCO-17 itself (HRNet, the GAST-Net demo, AlphaPose/MMPose COCO models).
COCO_LAYOUT = JointLayout('COCO-17', COCO_JOINTS)


@dataclass
class Detections:
    """Person instances of a video, in a detector's joint layout.

    Attributes:
        frames: ``(N,)`` int64, the video frame of each instance.
        points: ``(N, K, 3)`` float64 ``x, y`` pixels and score; missing points NaN with score 0.
        track_ids: ``(N,)`` int64 identities the file gives, else ``None`` (then
            :func:`~gast_pyg.keypoints.tracking.track_people` associates frames).
        frame_indices: ``(T,)`` int64, every frame of the video (also those without a person).
        layout: The joint order of :attr:`points`.
        image_size: ``(width, height)`` when the source says, else ``None``.
        source: The file, for messages.
    """

    frames: np.ndarray
    points: np.ndarray
    track_ids: Optional[np.ndarray]
    frame_indices: np.ndarray
    layout: JointLayout
    image_size: Optional[Tuple[int, int]]
    source: str


#: The largest magnitude of a finite keypoint coordinate or score; beyond it a file is refused
#: (no video is that large, and the conversions would overflow).
MAX_KEYPOINT_VALUE = 1e7


def clean_points(points: np.ndarray) -> np.ndarray:
    """``(..., K, 3)`` points with non-finite or exactly ``(0, 0)`` coordinates (what detectors
    write for 'not found') set to NaN, their score to 0."""
    points = np.array(points, dtype=np.float64)
    bad = ~np.isfinite(points).all(-1) | (points[..., :2] == 0).all(-1)
    points[bad, :2] = np.nan
    points[bad, 2] = 0.0
    return points


def checked_values(values: Any, where: str) -> np.ndarray:
    """``values`` (numbers or ``None``, nested lists or an array) as a float64 array, ``None``
    as NaN; :class:`KeypointError` naming ``where`` when a finite value lies beyond
    :data:`MAX_KEYPOINT_VALUE` (non-finite values mean 'missing' and are kept)."""
    try:
        array = np.array(values, dtype=np.float64)
    except OverflowError:
        raise KeypointError(f"{where}: a number too large for a float; expected pixel "
                            f"coordinates and scores within +-{MAX_KEYPOINT_VALUE:g}") from None
    beyond = np.abs(array) > MAX_KEYPOINT_VALUE  # NaN compares False
    if beyond.any() and (beyond := beyond & np.isfinite(array)).any():
        raise KeypointError(f"{where}: value {array[beyond].flat[0]:.6g} is beyond "
                            f"+-{MAX_KEYPOINT_VALUE:g}; expected pixel coordinates and scores")
    return array


def common_points(points: np.ndarray, layout: JointLayout) -> np.ndarray:
    """Points ``(..., K, 3)`` in ``layout`` to ``(..., 19, 3)`` in :data:`COCO_TOE_JOINTS`; a toe
    is the mean of its source points and scores (NaN / 0 when the layout has none)."""
    index: Dict[str, int] = {name: i for i, name in enumerate(layout.joint_names)}
    body = points[..., [index[name] for name in COCO_JOINTS], :]
    toes = []
    for sources in layout.toes:
        if sources:
            toes.append(points[..., [index[name] for name in sources], :].mean(axis=-2))
        else:
            toe = np.full(points.shape[:-2] + (3,), np.nan)
            toe[..., 2] = 0.0
            toes.append(toe)
    return np.concatenate([body, np.stack(toes, axis=-2)], axis=-2)


def to_skeleton(points: np.ndarray, skeleton: Skeleton, has_toes: bool,
                source: str) -> Tuple[np.ndarray, np.ndarray, str]:
    """Common points ``(..., 19, 3)`` to ``(xy (..., J, 2), scores (..., J), layout)`` for
    ``skeleton``, where ``layout`` is what :func:`~gast_pyg.keypoints.prepare_keypoints` expects
    (``'coco'`` for COCO-17 input it converts itself, else the skeleton's name).

    ``coco`` and ``h36m`` take the COCO-17 part; ``h36m_toes`` is ``h36m`` plus the toes, so it
    needs a layout with feet (``has_toes``)."""
    xy, scores = points[..., :2], points[..., 2]
    coco_part = slice(0, len(COCO_JOINTS))
    names = skeleton.joint_names
    h36m = Skeleton.load('h36m').joint_names
    if names in (COCO_JOINTS, h36m):
        return xy[..., coco_part, :], scores[..., coco_part], 'coco'
    if set(names) == set(h36m) | {'left_toe', 'right_toe'}:
        if not has_toes:
            raise KeypointError(
                f"{source}: the model's skeleton '{skeleton.name}' needs toe points, but these "
                f"keypoints have no feet; use a detector with feet (OpenPose BODY_25, AlphaPose "
                f"Halpe-26, COCO-WholeBody, BlazePose) or a model without toes")
        body_xy, body_scores = coco_to_h36m(xy[..., coco_part, :], scores[..., coco_part])
        by_name = {name: (body_xy[..., i, :], body_scores[..., i]) for i, name in enumerate(h36m)}
        toe = len(COCO_JOINTS)
        by_name['left_toe'] = (xy[..., toe, :], scores[..., toe])
        by_name['right_toe'] = (xy[..., toe + 1, :], scores[..., toe + 1])
        return (np.stack([by_name[n][0] for n in names], axis=-2),
                np.stack([by_name[n][1] for n in names], axis=-1), skeleton.name)
    raise KeypointError(
        f"{source}: detector keypoints convert to the 'coco', 'h36m' and 'h36m_toes' skeletons, "
        f"not to the model's '{skeleton.name}'")


_NUMBER_TYPES = frozenset((int, float, type(None)))  # not bool: type(True) is bool


def _numbers(items: Any) -> bool:
    return isinstance(items, list) and set(map(type, items)) <= _NUMBER_TYPES


def instance_points(values: Any, where: str, scores: Any = None) -> np.ndarray:
    """One person's keypoints ``(K, 3)`` from a flat ``[x, y, s] * K`` list (``scores`` absent),
    a list of ``[x, y]`` / ``[x, y, s]`` points, or points plus a separate ``scores`` list
    (numbers or ``null``, through :func:`checked_values`; :func:`build_detections` then marks
    the missing ones, :func:`clean_points`)."""
    if _numbers(values) and scores is None:
        if len(values) % 3:
            raise KeypointError(f"{where}: expected a flat list of x, y, score triples; its "
                                f"length {len(values)} is not a multiple of 3")
        array = checked_values(values, where).reshape(-1, 3)
    elif isinstance(values, list) and all(_numbers(p) and len(p) in (2, 3) for p in values):
        array = checked_values([p if len(p) == 3 and p[2] is not None else p[:2] + [1.0]
                                for p in values], where).reshape(-1, 3)
        if scores is not None:
            if not _numbers(scores) or len(scores) != len(values):
                count = len(scores) if isinstance(scores, list) else type(scores).__name__
                raise KeypointError(f"{where}: expected {len(values)} keypoint scores, got {count}")
            array[:, 2] = checked_values(scores, where)
    else:
        raise KeypointError(f"{where}: expected a list of [x, y] points or a flat [x, y, score, "
                            f"...] list, got {type(values).__name__}")
    return array


def select_layout(count: int, layouts: Sequence[JointLayout], source: str) -> JointLayout:
    """The layout of ``layouts`` with ``count`` joints; :class:`KeypointError` listing them
    when none has."""
    by_count = {layout.num_joints: layout for layout in layouts}
    if count not in by_count:
        known = ', '.join(f'{n} ({layout.name})' for n, layout in by_count.items())
        raise KeypointError(f"{source}: people with {count} keypoints; expected {known}")
    return by_count[count]


def build_detections(rows: Sequence[Tuple[int, np.ndarray, Optional[int]]],
                     layouts: Sequence[JointLayout], source: str, num_frames: Optional[int] = None,
                     image_size: Optional[Tuple[int, int]] = None, first_frame: int = 0,
                     records: Optional[int] = None,
                     frame_field: str = 'frame number') -> Detections:
    """:class:`Detections` from ``(frame, points (K, 3), track_id or None)`` rows (missing points
    marked by :func:`clean_points`); the layout is the one of ``layouts`` with ``K`` joints.
    Every row must have the same ``K``, and track ids are kept only when every row has one. The
    video's frames run from ``first_frame`` to the last row's frame (at least ``num_frames`` of
    them). ``records``: how many records (frames or
    entries) a file lists; the frames it implies are then bounded before they are allocated
    (:func:`~gast_pyg.keypoints.sequence.check_implied_frames`, naming ``frame_field``)."""
    if not rows and num_frames is None:
        raise KeypointError(f"{source}: the file has no frames")
    first_count = rows[0][1].shape[0] if rows else None
    other = next((i for i, (_, p, _) in enumerate(rows) if p.shape[0] != first_count), None)
    if other is not None:
        raise KeypointError(
            f"{source}: mixed joint counts: frame {rows[other][0]} has a person with "
            f"{rows[other][1].shape[0]} keypoints, frame {rows[0][0]} one with "
            f"{first_count}; every person must use the same layout")
    layout = select_layout(first_count, layouts, source) if rows else layouts[0]
    frames = np.array([frame for frame, _, _ in rows], dtype=np.int64)
    if frames.size and frames.min() < first_frame:
        raise KeypointError(f"{source}: frame number {int(frames.min())} is before the first "
                            f"frame {first_frame}")
    end = max(int(frames.max()) + 1 if frames.size else first_frame,
              first_frame + (num_frames or 0))
    if records is not None:
        check_implied_frames(first_frame, end - 1, records, source, frame_field)
    points = (clean_points(np.stack([p for _, p, _ in rows])) if rows
              else np.zeros((0, layout.num_joints, 3)))
    ids = [track for _, _, track in rows]
    track_ids = (np.array(ids, dtype=np.int64) if ids and all(t is not None for t in ids)
                 else None)
    return Detections(frames, points, track_ids, np.arange(first_frame, end, dtype=np.int64),
                      layout, image_size, source)
