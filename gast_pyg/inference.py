"""Lifting the 2D keypoints of every person of a video to 3D: the one path of ``gast-pyg
infer`` (a keypoint file, :func:`infer`) and ``gast-pyg video`` (:mod:`gast_pyg.video.pipeline`).

The keypoints become tracks (:func:`~gast_pyg.keypoints.tracking.build_tracks`: the file's track
ids or frame-to-frame association; ``person``: a track id, ``'all'`` or ``'best'``, the person
with the highest mean score in each frame). Each track is converted to the model's skeleton and
lifted on its own over the frames from its first to its last detection (:func:`lift_tracks`);
the frames between where it was not detected are interpolated like missing points. A track whose
points cannot be filled (:func:`~gast_pyg.keypoints.fill_gaps`) or that is shorter than the
model's receptive field is left out with a warning; when no track is left, the run fails.
Every output is staged beside its target and renamed only when everything succeeded, so a failed
run leaves no partial file behind.

The ``.npz`` (:func:`write_tracks`; P tracks, T frames, J joints of the model's skeleton; the
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
import os
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np
from tqdm import tqdm

from gast_pyg.camera_space import camera_space_poses, check_trajectory_model, focal_length_from_fov
from gast_pyg.checkpoints import load_any_checkpoint
from gast_pyg.files import check_output_targets, staged_outputs
from gast_pyg.keypoints import (KeypointError, KeypointSequence, KeypointWarning, prepare_keypoints,
                                resolve_image_size)
from gast_pyg.keypoints.detections import common_points, to_skeleton
from gast_pyg.keypoints.formats import read_detections
from gast_pyg.keypoints.tracking import PersonChoice, PersonTracks, build_tracks
from gast_pyg.lifting import lift_sequence
from gast_pyg.metrics import pose_quality
from gast_pyg.models import TrajectoryModel
from gast_pyg.models.base import LiftingModel
from gast_pyg.nn import fold_batch_norms
from gast_pyg.pretrained import resolve_checkpoint
from gast_pyg.skeleton import Skeleton

__all__ = ['load_model', 'LiftedTracks', 'lift_tracks', 'write_tracks', 'quality_summary',
           'check_camera_options', 'camera_focal_length', 'check_suffix', 'infer']

PathLike = Union[str, os.PathLike]
RENDER_SUFFIXES = ('.gif', '.mp4')


def load_model(checkpoint: Optional[PathLike], skeleton: Union[str, Skeleton, None] = None,
               causal: bool = False) -> LiftingModel:
    """The model of a checkpoint file of either kind (a :class:`~pathlib.Path` or any
    ``os.PathLike``, see :func:`~gast_pyg.checkpoints.load_any_checkpoint`), of a shipped
    model's name or file (a ``str``) or ``None`` for the shipped default
    (:func:`~gast_pyg.pretrained.resolve_checkpoint`), in eval mode."""
    path = (Path(checkpoint) if isinstance(checkpoint, os.PathLike)
            else resolve_checkpoint(checkpoint, causal=causal)[0])
    return load_any_checkpoint(path, skeleton=skeleton, causal=causal)[0]


def check_suffix(path: Optional[PathLike], suffixes: Tuple[str, ...], option: str) -> None:
    """One error naming ``path`` and ``option`` unless ``path`` is unset or ends with one of
    ``suffixes``."""
    if path is not None and Path(path).suffix.lower() not in suffixes:
        raise ValueError(f"{path}: {option} must end with {' or '.join(suffixes)}")


def check_camera_options(model: LiftingModel, source: str, focal_length: Optional[float],
                         fov: Optional[float]) -> None:
    """Before any work: ``focal_length`` / ``fov`` need a trajectory model, exclude each other
    and must be > 0 pixels / inside (0, 180) degrees."""
    if focal_length is None and fov is None:
        return
    check_trajectory_model(model, source)
    if focal_length is not None and fov is not None:
        raise ValueError("give --focal-length or --fov, not both")
    if focal_length is not None and not focal_length > 0:
        raise ValueError(f"--focal-length must be > 0 pixels, got {focal_length:g}")
    if fov is not None and not 0 < fov < 180:
        raise ValueError(f"--fov must be between 0 and 180 degrees, got {fov:g}")


def camera_focal_length(model: TrajectoryModel, image_width: float,
                        focal_length: Optional[float], fov: Optional[float]) -> float:
    """The focal length in pixels the camera-space poses are for: the given one, that of
    ``fov``, or by default the model's training focal length over ``image_width``."""
    if fov is not None:
        return focal_length_from_fov(fov, image_width)
    return float(focal_length if focal_length is not None
                 else model.focal_length * image_width / 2)


@dataclasses.dataclass
class LiftedTracks:
    """3D poses of several tracks; the arrays as stored in the ``.npz`` (module docstring)."""

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
    quality: List[Dict[str, np.ndarray]] = dataclasses.field(default_factory=list)
    poses_3d_camera: Optional[np.ndarray] = None
    focal_length: Optional[float] = None



def _track_sequence(tracks: PersonTracks, p: int, skeleton: Skeleton,
                    ) -> Tuple[KeypointSequence, str, slice]:
    present = np.flatnonzero(tracks.present[p])
    span = slice(int(present[0]), int(present[-1]) + 1)
    points = common_points(tracks.points[p, span], tracks.layout)
    xy, scores, layout = to_skeleton(points, skeleton, tracks.layout.has_toes, tracks.source)
    source = f"{tracks.source} (track {int(tracks.track_ids[p])})"
    return (KeypointSequence(xy, scores, tracks.frame_indices[span], layout, tracks.image_size,
                             source), layout, span)


def lift_tracks(tracks: PersonTracks, model: LiftingModel, *, width: Optional[float] = None,
                height: Optional[float] = None, score_threshold: float = 0.3,
                max_missing: float = 0.5, flip: bool = False,
                focal_length: Optional[float] = None, fov: Optional[float] = None,
                progress: bool = True, precision: str = 'float32') -> LiftedTracks:
    """Convert, fill and lift each track of ``tracks`` with ``model`` (see the module docstring
    for which tracks are left out); the poses and the quality of each lifted track. For a
    trajectory model also the camera-space poses for a camera of ``focal_length`` pixels or
    ``fov`` degrees (:func:`~gast_pyg.camera_space.camera_space_poses`)."""
    skeleton, joints = model.skeleton, model.num_joints
    trajectory = isinstance(model, TrajectoryModel)
    root = skeleton.root
    if width is None and height is None and tracks.image_size is None:
        # One estimate for every track, so that all are normalised alike.
        everyone = KeypointSequence(tracks.points[..., :2], tracks.points[..., 2],
                                    tracks.frame_indices, tracks.layout.name, None, tracks.source)
        (width, height), _ = resolve_image_size(everyone)
    total = len(tracks.frame_indices)
    kept, failures = [], []
    for p in tqdm(range(len(tracks.track_ids)), desc='lift', unit='track', disable=None if progress else True):
        sequence, layout, span = _track_sequence(tracks, p, skeleton)
        track = int(tracks.track_ids[p])
        if sequence.num_frames < model.receptive_field:
            failures.append(f"track {track} has {sequence.num_frames} frames, fewer than the "
                            f"model's receptive field of {model.receptive_field}")
            continue
        try:
            prepared = prepare_keypoints(sequence, skeleton, layout=layout, width=width,
                                         height=height, score_threshold=score_threshold,
                                         max_missing=max_missing)
        except KeypointError as error:
            failures.append(str(error))
            continue
        poses = lift_sequence(model, prepared.normalized, prepared.scores, flip=flip,
                              precision=precision,
                              root_relative=not trajectory)
        camera = (camera_space_poses(model, poses, prepared.image_size[0], focal_length, fov)
                  if trajectory else None)
        if trajectory:
            poses = poses - poses[:, root:root + 1]
        kept.append((p, span, prepared, poses, camera))
    if not kept:
        raise KeypointError(f"{tracks.source}: no person could be lifted: " + '; '.join(failures))
    for failure in failures:
        warnings.warn(f"left out: {failure}", KeypointWarning, stacklevel=2)

    count = len(kept)
    lifted = LiftedTracks(
        track_ids=tracks.track_ids[[p for p, *_ in kept]],
        poses_3d=np.full((count, total, joints, 3), np.nan, dtype=np.float32),
        keypoints_2d=np.full((count, total, joints, 2), np.nan, dtype=np.float32),
        scores=np.zeros((count, total, joints), dtype=np.float32),
        interpolated=np.zeros((count, total, joints), dtype=bool),
        present=tracks.present[[p for p, *_ in kept]],
        detection_score=tracks.detection_score[[p for p, *_ in kept]].astype(np.float32),
        frame_indices=tracks.frame_indices, image_size=kept[0][2].image_size, skeleton=skeleton)
    if trajectory:
        lifted.poses_3d_camera = np.full_like(lifted.poses_3d, np.nan)
        lifted.focal_length = camera_focal_length(model, lifted.image_size[0], focal_length, fov)
    for k, (_, span, prepared, poses, camera) in enumerate(kept):
        if camera is not None:
            lifted.poses_3d_camera[k, span] = camera
        lifted.poses_3d[k, span] = poses
        lifted.keypoints_2d[k, span] = prepared.pixels
        lifted.scores[k, span] = prepared.scores
        lifted.interpolated[k, span] = prepared.interpolated
        lifted.quality.append(pose_quality(poses, skeleton, prepared.interpolated))
    return lifted


def write_tracks(output: PathLike, lifted: LiftedTracks, fps: float,
                 options: Dict[str, Any]) -> None:
    """Write the ``.npz`` of the module docstring to ``output`` (callers stage it, see
    :func:`~gast_pyg.files.staged_outputs`)."""
    skeleton = lifted.skeleton
    names = skeleton.joint_names
    arrays = {key: np.stack([q[key] for q in lifted.quality]) for key in lifted.quality[0]}
    if lifted.poses_3d_camera is not None:
        arrays.update(poses_3d_camera=lifted.poses_3d_camera,
                      focal_length=np.float64(lifted.focal_length))
    with open(output, 'wb') as file:
        np.savez(file, track_ids=lifted.track_ids, frame_indices=lifted.frame_indices,
                 poses_3d=lifted.poses_3d, keypoints_2d=lifted.keypoints_2d,
                 scores=lifted.scores, interpolated=lifted.interpolated,
                 present=lifted.present, detection_score=lifted.detection_score,
                 fps=np.float64(fps), width=np.int64(lifted.image_size[0]),
                 height=np.int64(lifted.image_size[1]), joint_names=np.array(names),
                 bone_names=np.array([f'{names[p]}-{names[j]}'
                                      for j, p in enumerate(skeleton.parents) if p >= 0]),
                 symmetric_pairs=np.array([f'{names[l]}/{names[r]}'
                                           for l, r in skeleton.symmetric_pairs]),
                 options=np.array(json.dumps(options)), **arrays)
        file.flush()
        os.fsync(file.fileno())


def quality_summary(lifted: LiftedTracks) -> str:
    """One line per track: frames, mean / worst bone length CV, mean / worst left-right
    asymmetry, mean joint acceleration and the interpolated share."""
    lines = []
    bones = [f'{lifted.skeleton.joint_names[j]}' for j, p in enumerate(lifted.skeleton.parents)
             if p >= 0]
    for track, present, q in zip(lifted.track_ids, lifted.present, lifted.quality):
        cv, asym = q['bone_length_cv'], q['limb_asymmetry']
        lines.append(
            f"track {int(track)}: {int(present.sum())} frames detected; bone length CV mean "
            f"{cv.mean():.3f} (worst {cv.max():.3f}, bone to {bones[int(cv.argmax())]}); "
            f"left/right asymmetry mean {asym.mean():.3f} (worst {asym.max():.3f}); mean joint "
            f"acceleration {float(q['mean_acceleration']):.3g} m/frame^2; "
            f"{float(q['interpolated_fraction']):.1%} of points interpolated")
    return '\n'.join(lines)


def infer(
    keypoints: PathLike,
    checkpoint: Optional[PathLike],
    output: PathLike,
    *,
    format: Optional[str] = None,
    person: PersonChoice = 'all',
    max_gap: int = 10,
    skeleton: Optional[str] = None,
    causal: bool = False,
    width: Optional[float] = None,
    height: Optional[float] = None,
    score_threshold: float = 0.3,
    max_missing: float = 0.5,
    flip: bool = False,
    focal_length: Optional[float] = None,
    fov: Optional[float] = None,
    render: Optional[PathLike] = None,
    fps: float = 25.0,
    progress: bool = False,
    precision: str = 'float32',
) -> Dict[str, Any]:
    """Lift every person of a keypoint file of any supported tool (``format``: a name of
    :data:`~gast_pyg.keypoints.formats.FORMATS`, ``None``: recognised from the content) and
    write ``output`` (``.npz``, contents in the module docstring) and, with ``render``, an
    animation of the first lifted track's 3D skeleton beside its 2D input (GIF, or MP4 when
    matplotlib has an ffmpeg writer; a trajectory model's in camera space, with the floor and
    the camera). ``checkpoint``: a file, a shipped model's name or
    ``None`` (the shipped default). Nothing is written unless everything succeeds; every output
    is checked before any work starts (:func:`~gast_pyg.files.check_output_targets`).

    Returns ``lifted`` (:class:`LiftedTracks`) and ``options`` (as stored).
    Raises :class:`~gast_pyg.keypoints.KeypointError` /
    :class:`~gast_pyg.checkpoints.CheckpointError` (both :class:`ValueError`) on bad input.
    """
    check_suffix(output, ('.npz',), '--output')
    check_suffix(render, RENDER_SUFFIXES, '--render')
    if render is not None:
        from gast_pyg.visualization import check_writer
        check_writer(Path(render).suffix.lower())
    check_output_targets([Path(output)] + ([Path(render)] if render is not None else []),
                         inputs=[keypoints] + ([checkpoint] if checkpoint is not None else []))
    model = fold_batch_norms(load_model(checkpoint, skeleton=skeleton, causal=causal))
    check_camera_options(model, str(checkpoint), focal_length, fov)
    tracks = build_tracks(read_detections(keypoints, format), person, max_gap)
    lifted = lift_tracks(tracks, model, width=width, height=height,
                         score_threshold=score_threshold, max_missing=max_missing, flip=flip,
                         focal_length=focal_length, fov=fov, progress=progress,
                         precision=precision)
    options = dict(
        keypoints=str(keypoints), checkpoint=str(checkpoint), format=format, person=person,
        max_gap=max_gap, layout=tracks.layout.name, skeleton=model.skeleton.name,
        image_size=list(lifted.image_size),
        image_size_estimated=width is None and height is None and tracks.image_size is None,
        score_threshold=score_threshold, max_missing=max_missing, flip=flip, precision=precision,
        causal=model.causal, receptive_field=model.receptive_field, arch=model.arch,
        units='checkpoint units (metres for Human3.6M)', focal_length=lifted.focal_length,
        root_joint=model.skeleton.joint_names[model.skeleton.root])
    with staged_outputs() as staging:
        write_tracks(staging.stage(output), lifted, fps, options)
        if render is not None:
            from gast_pyg.visualization import render_animation
            span = np.isfinite(lifted.poses_3d[0, :, 0, 0])
            camera = lifted.poses_3d_camera is not None
            poses = lifted.poses_3d_camera if camera else lifted.poses_3d
            render_animation(staging.stage(render), lifted.keypoints_2d[0, span], poses[0, span],
                             model.skeleton, image_size=lifted.image_size,
                             frame_indices=lifted.frame_indices[span], fps=fps,
                             progress=progress, camera_space=camera)
    return dict(lifted=lifted, options=options)
