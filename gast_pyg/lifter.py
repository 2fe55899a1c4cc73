"""The lifter: one loaded model and the lifting options, turning the 2D keypoints of every
person of a video into 3D poses. ``gast-pyg infer``, ``gast-pyg video`` and the Python API all
go through :class:`Lifter`; its results are :class:`LiftResult` objects, written with
:meth:`LiftResult.save` (drawing them, BVH and the viewer page are separate steps).

The keypoints become tracks (:func:`~gast_pyg.keypoints.tracking.build_tracks`: the file's track
ids or frame-to-frame association; ``person``: a track id, ``'all'`` or ``'best'``, the person
with the highest mean score in each frame). Each track is converted to the model's skeleton and
lifted on its own over the frames from its first to its last detection (:meth:`Lifter.lift_tracks`);
the frames between where it was not detected are interpolated like missing points. A track whose
points cannot be filled (:func:`~gast_pyg.keypoints.fill_gaps`) or that is shorter than the
model's receptive field is left out with a warning; when no track is left, the run fails.

The ``.npz`` (:meth:`LiftResult.save`; P tracks, T frames, J joints of the model's skeleton; the
track axis is there even for one track):

* ``track_ids`` ``(P,)`` int64; ``frame_indices`` ``(T,)`` int64, the video frame of each pose;
* ``poses_3d`` ``(P, T, J, 3)`` float32, root-relative, checkpoint units (metres for
  Human3.6M), camera axes (x right, y down, z away from the camera); NaN outside a track's
  frames;
* ``poses_3d_camera`` ``(P, T, J, 3)`` float32, only for a trajectory checkpoint: the joints in
  camera space (metres, camera axes) for the camera of ``focal_length`` (pixels, stored too; the
  depth scales with it, see :func:`~gast_pyg.camera_space.camera_space_poses`);
* ``keypoints_2d`` ``(P, T, J, 2)`` float32 pixels after conversion and gap filling (NaN
  outside); ``scores`` ``(P, T, J)`` float32 (0 outside); ``interpolated`` ``(P, T, J)`` bool;
* ``present`` ``(P, T)`` bool, frames where the track was detected; ``detection_score``
  ``(P, T)`` float32, the mean keypoint score of the detection (NaN where absent);
* ``fps``, ``width``, ``height`` (the video's, or the file's / estimated image size);
* quality (:func:`~gast_pyg.metrics.pose_quality`): ``bone_length_cv`` ``(P, J - 1)`` with
  ``bone_names`` ``(J - 1,)``, ``limb_asymmetry`` ``(P, S)`` with ``symmetric_pairs`` ``(S,)``,
  ``mean_acceleration`` ``(P,)`` (units per frame squared), ``interpolated_fraction`` ``(P,)``;
* ``joint_names`` ``(J,)``; ``options``: JSON of the options (and, for videos, stage seconds).
"""
from __future__ import annotations

import dataclasses
import json
import math
import os
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np
from tqdm import tqdm

from gast_pyg.devices import resolve_device
from gast_pyg.camera_space import camera_space_poses, check_trajectory_model, focal_length_from_fov
from gast_pyg.errors import GastPygError
from gast_pyg.files import staged_outputs
from gast_pyg.loading import load_model
from gast_pyg.keypoints import (KeypointError, KeypointSequence, KeypointWarning, prepare_keypoints,
                                resolve_image_size)
from gast_pyg.keypoints.detections import common_points, to_skeleton
from gast_pyg.keypoints.detections import Detections
from gast_pyg.keypoints.formats import read_detections
from gast_pyg.keypoints.tracking import PersonChoice, PersonTracks, build_tracks
from gast_pyg.lifting import PRECISIONS, lift_sequence
from gast_pyg.metrics import pose_quality
from gast_pyg.models import TrajectoryModel
from gast_pyg.models.base import LiftingModel
from gast_pyg.nn import fold_batch_norms
from gast_pyg.skeleton import Skeleton

__all__ = ['Lifter', 'LiftingOptions', 'LiftResult']

PathLike = Union[str, os.PathLike]


@dataclasses.dataclass(frozen=True)
class LiftingOptions:
    """How a :class:`Lifter` turns keypoints into poses.

    Attributes:
        score_threshold: Points scored below this are missing and interpolated.
        max_missing: A track whose joint is missing in more than this share of its frames is
            left out (with a warning).
        flip: Average each prediction with the one of the mirrored input.
        precision: ``'float32'`` or ``'bfloat16'`` (autocast) arithmetic.
        image_size: ``(width, height)`` in pixels of the keypoints' image; ``None``: the file's,
            else estimated from the keypoints.
        focal_length, fov: The camera of a trajectory model's camera-space poses, in pixels or
            degrees (at most one; ``None``: the camera the model was trained with).
    """

    score_threshold: float = 0.3
    max_missing: float = 0.5
    flip: bool = False
    precision: str = 'float32'
    image_size: Optional[Tuple[float, float]] = None
    focal_length: Optional[float] = None
    fov: Optional[float] = None

    def __post_init__(self) -> None:
        if not 0 <= self.score_threshold <= 1 or not 0 <= self.max_missing <= 1:
            raise KeypointError(f'score_threshold and max_missing must be in [0, 1], got '
                                f'{self.score_threshold} and {self.max_missing}')
        if self.precision not in PRECISIONS:
            raise GastPygError(f'precision must be one of {", ".join(PRECISIONS)}, got '
                               f'{self.precision!r}')
        if self.image_size is not None and not (
                len(self.image_size) == 2
                and all(math.isfinite(v) and v > 0 for v in self.image_size)):
            raise KeypointError(f'image_size must be (width, height) in pixels > 0, got '
                                f'{self.image_size}')
        if self.focal_length is not None and self.fov is not None:
            raise GastPygError('give focal_length or fov, not both')
        if self.focal_length is not None and not (0 < self.focal_length < math.inf):
            raise GastPygError(f'focal_length must be a finite number of pixels > 0, got '
                               f'{self.focal_length:g}')
        if self.fov is not None and not 0 < self.fov < 180:
            raise GastPygError(f'fov must be between 0 and 180 degrees, got {self.fov:g}')


@dataclasses.dataclass
class LiftResult:
    """3D poses of several tracks (P tracks, T frames, J joints); the arrays as stored in the
    ``.npz`` (module docstring)."""

    track_ids: np.ndarray
    poses_3d: np.ndarray
    keypoints_2d: np.ndarray
    scores: np.ndarray
    interpolated: np.ndarray
    present: np.ndarray
    detection_score: np.ndarray
    frame_indices: np.ndarray
    image_size: Tuple[int, int]
    skeleton: Skeleton
    fps: float = 25.0
    quality: List[Dict[str, np.ndarray]] = dataclasses.field(default_factory=list)
    poses_3d_camera: Optional[np.ndarray] = None
    focal_length: Optional[float] = None
    options: Dict[str, Any] = dataclasses.field(default_factory=dict)

    def save(self, path: PathLike) -> Path:
        """Write the ``.npz`` to ``path`` whole or not at all (staged beside it, renamed at
        the end)."""
        with staged_outputs() as staging:
            self.write(staging.stage(path))
        return Path(path)

    def write(self, path: PathLike) -> None:
        """Write the ``.npz`` straight to ``path`` (for a caller that stages several outputs
        together, see :func:`~gast_pyg.files.staged_outputs`)."""
        skeleton = self.skeleton
        names = skeleton.joint_names
        arrays = {key: np.stack([q[key] for q in self.quality]) for key in self.quality[0]}
        if self.poses_3d_camera is not None:
            arrays.update(poses_3d_camera=self.poses_3d_camera,
                          focal_length=np.float64(self.focal_length))
        with open(path, 'wb') as file:
            np.savez(file, track_ids=self.track_ids, frame_indices=self.frame_indices,
                     poses_3d=self.poses_3d, keypoints_2d=self.keypoints_2d,
                     scores=self.scores, interpolated=self.interpolated,
                     present=self.present, detection_score=self.detection_score,
                     fps=np.float64(self.fps), width=np.int64(self.image_size[0]),
                     height=np.int64(self.image_size[1]), joint_names=np.array(names),
                     bone_names=np.array([f'{names[p]}-{names[j]}'
                                          for j, p in enumerate(skeleton.parents) if p >= 0]),
                     symmetric_pairs=np.array([f'{names[l]}/{names[r]}'
                                               for l, r in skeleton.symmetric_pairs]),
                     options=np.array(json.dumps(self.options)), **arrays)
            file.flush()
            os.fsync(file.fileno())

    def summary(self) -> str:
        """One line per track: frames, mean / worst bone length CV, mean / worst left-right
        asymmetry, mean joint acceleration and the interpolated share."""
        lines = []
        bones = [self.skeleton.joint_names[j] for j, p in enumerate(self.skeleton.parents)
                 if p >= 0]
        for track, present, q in zip(self.track_ids, self.present, self.quality):
            cv, asym = q['bone_length_cv'], q['limb_asymmetry']
            lines.append(
                f"track {int(track)}: {int(present.sum())} frames detected; bone length CV mean "
                f"{cv.mean():.3f} (worst {cv.max():.3f}, bone to {bones[int(cv.argmax())]}); "
                f"left/right asymmetry mean {asym.mean():.3f} (worst {asym.max():.3f}); mean "
                f"joint acceleration {float(q['mean_acceleration']):.3g} m/frame^2; "
                f"{float(q['interpolated_fraction']):.1%} of points interpolated")
        return '\n'.join(lines)


def _track_sequence(tracks: PersonTracks, p: int, skeleton: Skeleton,
                    ) -> Tuple[KeypointSequence, str, slice]:
    present = np.flatnonzero(tracks.present[p])
    span = slice(int(present[0]), int(present[-1]) + 1)
    points = common_points(tracks.points[p, span], tracks.layout)
    xy, scores, layout = to_skeleton(points, skeleton, tracks.layout.has_toes, tracks.source)
    source = f"{tracks.source} (track {int(tracks.track_ids[p])})"
    return (KeypointSequence(xy, scores, tracks.frame_indices[span], layout, tracks.image_size,
                             source), layout, span)


class Lifter:
    """One loaded model (batch norms folded into an inference copy) and the lifting options.

    Args:
        model: A model, or what :func:`~gast_pyg.loading.load_model` takes (a shipped name, a
            checkpoint file, ``None``: the shipped default).
        options: How keypoints become poses (:class:`LiftingOptions`).
        device: Where the model runs (``'auto'``: CUDA if available, ``'cpu'``, ``'cuda'``,
            ``'cuda:1'``, ...).
        skeleton, causal: Passed to :func:`~gast_pyg.loading.load_model` (the authors'
            checkpoints cannot state them).

    Example::

        lifter = Lifter('gast-27', LiftingOptions(image_size=(1920, 1080)))
        result = lifter.lift_file('keypoints.json')    # every person of a keypoint file
        result.save('poses.npz')
    """

    def __init__(self, model: Union[LiftingModel, PathLike, None] = None,
                 options: LiftingOptions = LiftingOptions(), *, device: str = 'auto',
                 skeleton: Optional[str] = None, causal: bool = False):
        if not isinstance(model, LiftingModel):
            model = load_model(model, skeleton=skeleton, causal=causal)
        self.source = str(getattr(getattr(model, 'origin', None), 'path', 'the model'))
        if options.focal_length is not None or options.fov is not None:
            check_trajectory_model(model, self.source)
        self.model = fold_batch_norms(model).to(resolve_device(device))
        self.options = options

    def lift_file(self, path: PathLike, format: Optional[str] = None,
                  person: PersonChoice = 'all', max_gap: int = 30, progress: bool = False,
                  layout: Optional[str] = None) -> LiftResult:
        """Every person of a keypoint file of any supported tool (``format``: a name of
        :data:`~gast_pyg.keypoints.formats.FORMATS`, ``layout`` one of
        :data:`~gast_pyg.keypoints.formats.LAYOUTS`; ``None``: recognised from the content)."""
        return self.lift_detections(read_detections(path, format, layout=layout), person,
                                    max_gap, progress)

    def lift_detections(self, detections: Detections, person: PersonChoice = 'all',
                        max_gap: int = 30, progress: bool = False) -> LiftResult:
        """Every person of ``detections``, followed as tracks
        (:func:`~gast_pyg.keypoints.tracking.build_tracks`; ``max_gap``: frames a person may
        be missing and keep their identity)."""
        result = self.lift_tracks(build_tracks(detections, person, max_gap), progress)
        result.options.update(person=person, max_gap=max_gap)
        return result

    def lift_tracks(self, tracks: PersonTracks, progress: bool = False) -> LiftResult:
        """Convert, fill and lift each track (see the module docstring for which tracks are
        left out); the poses and the quality of each lifted track, and for a trajectory model
        the camera-space poses (:func:`~gast_pyg.camera_space.camera_space_poses`)."""
        model, options = self.model, self.options
        skeleton, joints = model.skeleton, model.num_joints
        trajectory = isinstance(model, TrajectoryModel)
        width, height = options.image_size or (None, None)
        if width is None and tracks.image_size is None:
            # One estimate for every track, so that all are normalised alike.
            everyone = KeypointSequence(tracks.points[..., :2], tracks.points[..., 2],
                                        tracks.frame_indices, tracks.layout.name, None,
                                        tracks.source)
            (width, height), _ = resolve_image_size(everyone)
        total = len(tracks.frame_indices)
        kept, failures = [], []
        for p in tqdm(range(len(tracks.track_ids)), desc='lift', unit='track',
                      disable=None if progress else True):
            sequence, layout, span = _track_sequence(tracks, p, skeleton)
            track = int(tracks.track_ids[p])
            if sequence.num_frames < model.receptive_field:
                failures.append(f"track {track} has {sequence.num_frames} frames, fewer than "
                                f"the model's receptive field of {model.receptive_field}")
                continue
            try:
                prepared = prepare_keypoints(sequence, skeleton, layout=layout, width=width,
                                             height=height,
                                             score_threshold=options.score_threshold,
                                             max_missing=options.max_missing)
            except KeypointError as error:
                failures.append(str(error))
                continue
            poses = lift_sequence(model, prepared.normalized, prepared.scores, flip=options.flip,
                                  precision=options.precision, root_relative=not trajectory)
            camera = (camera_space_poses(model, poses, prepared.image_size[0],
                                         options.focal_length, options.fov)
                      if trajectory else None)
            if trajectory:
                poses = poses - poses[:, skeleton.root:skeleton.root + 1]
            kept.append((p, span, prepared, poses, camera))
        if not kept:
            raise KeypointError(f"{tracks.source}: no person could be lifted: "
                                + '; '.join(failures))
        for failure in failures:
            warnings.warn(f"left out: {failure}", KeypointWarning, stacklevel=2)
        rows = [p for p, *_ in kept]
        count = len(kept)
        result = LiftResult(
            track_ids=tracks.track_ids[rows],
            poses_3d=np.full((count, total, joints, 3), np.nan, dtype=np.float32),
            keypoints_2d=np.full((count, total, joints, 2), np.nan, dtype=np.float32),
            scores=np.zeros((count, total, joints), dtype=np.float32),
            interpolated=np.zeros((count, total, joints), dtype=bool),
            present=tracks.present[rows],
            detection_score=tracks.detection_score[rows].astype(np.float32),
            frame_indices=tracks.frame_indices, image_size=kept[0][2].image_size,
            skeleton=skeleton)
        if trajectory:
            result.poses_3d_camera = np.full_like(result.poses_3d, np.nan)
            result.focal_length = self._focal_length(result.image_size[0])
        for k, (_, span, prepared, poses, camera) in enumerate(kept):
            if camera is not None:
                result.poses_3d_camera[k, span] = camera
            result.poses_3d[k, span] = poses
            result.keypoints_2d[k, span] = prepared.pixels
            result.scores[k, span] = prepared.scores
            result.interpolated[k, span] = prepared.interpolated
            result.quality.append(pose_quality(poses, skeleton, prepared.interpolated))
        result.options = dict(
            checkpoint=self.source, layout=tracks.layout.name, skeleton=skeleton.name,
            image_size=list(result.image_size),
            image_size_estimated=options.image_size is None and tracks.image_size is None,
            score_threshold=options.score_threshold, max_missing=options.max_missing,
            flip=options.flip, precision=options.precision, causal=model.causal,
            receptive_field=model.receptive_field, arch=model.arch,
            units='checkpoint units (metres for Human3.6M)', focal_length=result.focal_length,
            root_joint=skeleton.joint_names[skeleton.root])
        return result

    def _focal_length(self, image_width: float) -> float:
        """The focal length in pixels of the camera-space poses: the given one, that of
        ``fov``, or the model's training focal length over ``image_width``."""
        if self.options.fov is not None:
            return focal_length_from_fov(self.options.fov, image_width)
        if self.options.focal_length is not None:
            return float(self.options.focal_length)
        return float(self.model.focal_length * image_width / 2)
