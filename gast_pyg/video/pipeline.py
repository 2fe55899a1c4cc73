"""From a video (or any keypoint file) to 3D poses of every person.

:func:`video_to_3d` runs the whole chain: decode (:mod:`~gast_pyg.video.decoding`) -> detect
(:mod:`~gast_pyg.video.detectors`) -> tracks (:func:`~gast_pyg.keypoints.tracking.build_tracks`)
-> convert to the model's skeleton -> fill gaps -> lift (:func:`lift_tracks`) -> ``.npz``
(:func:`write_tracks`) and MP4 (:func:`~gast_pyg.video.rendering.render_video`).
:func:`lift_keypoint_file` does the same from a keypoint file of any supported tool
(:mod:`gast_pyg.keypoints.formats`), for ``infer``.

Each track is lifted on its own over the frames from its first to its last detection; the frames
between where it was not detected are interpolated like missing points. A track whose points
cannot be filled (:func:`~gast_pyg.keypoints.fill_gaps`) or that is shorter than the model's
receptive field is left out with a warning; when no track is left, the run fails.

The ``.npz`` (P tracks, T video frames, J joints of the model's skeleton):

* ``track_ids`` ``(P,)`` int64; ``frame_indices`` ``(T,)`` int64;
* ``poses_3d`` ``(P, T, J, 3)`` float32, root-relative, checkpoint units (metres for
  Human3.6M), camera axes; NaN outside a track's frames;
* ``keypoints_2d`` ``(P, T, J, 2)`` float32 pixels after conversion and gap filling (NaN
  outside); ``scores`` ``(P, T, J)`` float32 (0 outside); ``interpolated`` ``(P, T, J)`` bool;
* ``present`` ``(P, T)`` bool, frames where the track was detected; ``detection_score``
  ``(P, T)`` float32, the mean keypoint score of the detection (NaN where absent);
* ``fps``, ``width``, ``height`` (the video's, or the file's / estimated image size);
* quality (:func:`~gast_pyg.metrics.pose_quality`): ``bone_length_cv`` ``(P, J - 1)`` with
  ``bone_names`` ``(J - 1,)``, ``limb_asymmetry`` ``(P, S)`` with ``symmetric_pairs`` ``(S,)``,
  ``mean_acceleration`` ``(P,)`` (units per frame squared), ``interpolated_fraction`` ``(P,)``;
* ``joint_names`` ``(J,)``; ``options``: JSON of the options and the stage seconds.
"""
from __future__ import annotations

import dataclasses
import json
import os
import time
import warnings
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np
from tqdm import tqdm

from gast_pyg.files import staged_outputs
from gast_pyg.inference import load_model
from gast_pyg.lifting import lift_sequence
from gast_pyg.keypoints import KeypointError, KeypointSequence, KeypointWarning, prepare_keypoints
from gast_pyg.keypoints.detections import Detections, build_detections, common_points, to_skeleton
from gast_pyg.keypoints.formats import read_detections
from gast_pyg.keypoints.tracking import PersonChoice, PersonTracks, build_tracks
from gast_pyg.metrics import pose_quality
from gast_pyg.models.base import LiftingModel
from gast_pyg.nn import fold_batch_norms
from gast_pyg.skeleton import Skeleton
from gast_pyg.video.decoding import VideoInfo, iter_frames, probe_video
from gast_pyg.video.detectors import BlazePoseDetector, KeypointDetector

__all__ = ['LiftedTracks', 'detect_video', 'write_detections', 'lift_tracks', 'write_tracks',
           'quality_summary', 'lift_keypoint_file', 'video_to_3d']

PathLike = Union[str, os.PathLike]


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


def detect_video(video: PathLike, detector: Optional[KeypointDetector] = None,
                 progress: bool = True) -> Tuple[Detections, VideoInfo]:
    """Run ``detector`` (default: :class:`BlazePoseDetector`) on every frame of ``video``,
    decoding one frame at a time; the detections and the video's :class:`VideoInfo`."""
    info = probe_video(video)
    detector = BlazePoseDetector() if detector is None else detector
    rows, count = [], 0
    with detector:
        for frame in tqdm(iter_frames(video), total=info.num_frames, desc='decode+detect',
                          unit='frame', disable=not progress):
            rows.extend((count, person, None) for person in detector.detect(frame))
            count += 1
    if not rows:
        raise KeypointError(f"{video}: no person detected in any of the {count} frames")
    return build_detections(rows, (detector.layout,), str(video), num_frames=count,
                            image_size=(info.width, info.height)), info


def write_detections(path: PathLike, detections: Detections, fps: Optional[float] = None) -> None:
    """Save ``detections`` to ``path`` as MMPose-style predictions JSON (``instance_info``
    frames, with the layout's name, ``width``, ``height`` and ``fps`` at the top), which
    :func:`~gast_pyg.keypoints.formats.read_detections` reads back."""
    frames = []
    for frame in detections.frame_indices:
        rows = np.flatnonzero(detections.frames == frame)
        frames.append(dict(frame_id=int(frame), instances=[
            dict(keypoints=np.nan_to_num(detections.points[r, :, :2]).round(2).tolist(),
                 keypoint_scores=detections.points[r, :, 2].round(4).tolist())
            for r in rows]))
    width, height = detections.image_size or (None, None)
    content = dict(meta_info=dict(layout=detections.layout.name), width=width, height=height,
                   fps=fps, instance_info=frames)
    Path(path).write_text(json.dumps(content), encoding='utf-8')


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
                progress: bool = True) -> LiftedTracks:
    """Convert, fill and lift each track of ``tracks`` with ``model`` (see the module docstring
    for which tracks are left out); the poses and the quality of each lifted track."""
    skeleton, joints = model.skeleton, model.num_joints
    total = len(tracks.frame_indices)
    kept, failures = [], []
    for p in tqdm(range(len(tracks.track_ids)), desc='lift', unit='track', disable=not progress):
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
        poses = lift_sequence(model, prepared.normalized, prepared.scores, flip=flip)
        kept.append((p, span, prepared, poses))
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
    for k, (_, span, prepared, poses) in enumerate(kept):
        lifted.poses_3d[k, span] = poses
        lifted.keypoints_2d[k, span] = prepared.pixels
        lifted.scores[k, span] = prepared.scores
        lifted.interpolated[k, span] = prepared.interpolated
        lifted.quality.append(pose_quality(poses, skeleton, prepared.interpolated))
    return lifted


def write_tracks(output: PathLike, lifted: LiftedTracks, fps: float,
                 options: Dict[str, Any]) -> None:
    """Write the ``.npz`` of the module docstring to ``output`` (callers stage it, see
    :func:`~gast_pyg.inference.staged_outputs`)."""
    skeleton = lifted.skeleton
    names = skeleton.joint_names
    quality = {key: np.stack([q[key] for q in lifted.quality]) for key in lifted.quality[0]}
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
                 options=np.array(json.dumps(options)), **quality)
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
            f"acceleration {float(q['mean_acceleration']):.3g} units/frame^2; "
            f"{float(q['interpolated_fraction']):.1%} of points interpolated")
    return '\n'.join(lines)


def _model(checkpoint: PathLike, skeleton: Optional[str], causal: bool) -> LiftingModel:
    return fold_batch_norms(load_model(checkpoint, skeleton=skeleton, causal=causal))


def _check_suffix(path: Optional[PathLike], suffix: str, option: str) -> None:
    if path is not None and Path(path).suffix.lower() != suffix:
        raise ValueError(f"{path}: {option} must end with {suffix}")


def lift_keypoint_file(keypoints: PathLike, checkpoint: PathLike, output: PathLike, *,
                       format: Optional[str] = None, person: PersonChoice = 'all',
                       max_gap: int = 10, skeleton: Optional[str] = None, causal: bool = False,
                       width: Optional[float] = None, height: Optional[float] = None,
                       fps: float = 25.0, score_threshold: float = 0.3, max_missing: float = 0.5,
                       flip: bool = False, progress: bool = False) -> LiftedTracks:
    """Read a keypoint file of any supported tool, build the tracks (``person``: a track id,
    ``'all'`` or ``'best'``), lift each and write ``output`` (``.npz``, module docstring)."""
    _check_suffix(output, '.npz', '--output')
    model = _model(checkpoint, skeleton, causal)
    tracks = build_tracks(read_detections(keypoints, format), person, max_gap)
    lifted = lift_tracks(tracks, model, width=width, height=height,
                         score_threshold=score_threshold, max_missing=max_missing, flip=flip,
                         progress=progress)
    options = dict(keypoints=str(keypoints), checkpoint=str(checkpoint), person=person,
                   max_gap=max_gap, layout=tracks.layout.name, skeleton=model.skeleton.name,
                   receptive_field=model.receptive_field, score_threshold=score_threshold,
                   max_missing=max_missing, flip=flip, image_size=list(lifted.image_size))
    with staged_outputs() as staging:
        write_tracks(staging.stage(output), lifted, fps, options)
    return lifted


def video_to_3d(video: PathLike, checkpoint: PathLike, output: PathLike, *,
                render: Optional[PathLike] = None, keypoints: Optional[PathLike] = None,
                keypoints_format: Optional[str] = None, keypoints_out: Optional[PathLike] = None,
                detector: Optional[KeypointDetector] = None, person: PersonChoice = 'all',
                max_gap: int = 10, skeleton: Optional[str] = None, causal: bool = False,
                score_threshold: float = 0.3, max_missing: float = 0.5, flip: bool = False,
                progress: bool = True) -> Dict[str, Any]:
    """Lift every person of ``video`` and write ``output`` (``.npz``), optionally ``render``
    (MP4) and ``keypoints_out`` (the 2D detections, see :func:`write_detections`);
    ``keypoints`` reads the 2D detections from a file instead of running ``detector``. All
    outputs appear together, or none when anything fails.

    Returns ``lifted`` (:class:`LiftedTracks`), ``info`` (:class:`VideoInfo`), ``seconds`` per
    stage and ``frames_per_second`` end to end."""
    _check_suffix(output, '.npz', '--output')
    _check_suffix(render, '.mp4', '--render')
    _check_suffix(keypoints_out, '.json', '--keypoints-out')
    start = time.perf_counter()
    seconds: Dict[str, float] = {}
    model = _model(checkpoint, skeleton, causal)
    seconds['load model'] = time.perf_counter() - start
    if keypoints is None:
        detections, info = detect_video(video, detector, progress)
        seconds['decode+detect'] = time.perf_counter() - start - sum(seconds.values())
    else:
        info = probe_video(video)
        detections = dataclasses.replace(read_detections(keypoints, keypoints_format),
                                         image_size=(info.width, info.height))
        seconds['read keypoints'] = time.perf_counter() - start - sum(seconds.values())
    tracks = build_tracks(detections, person, max_gap)
    lifted = lift_tracks(tracks, model, score_threshold=score_threshold, max_missing=max_missing,
                         flip=flip, progress=progress)
    seconds['track+lift'] = time.perf_counter() - start - sum(seconds.values())
    options = dict(video=str(video), checkpoint=str(checkpoint), keypoints=str(keypoints)
                   if keypoints else None, person=person, max_gap=max_gap,
                   layout=tracks.layout.name, skeleton=model.skeleton.name,
                   receptive_field=model.receptive_field, score_threshold=score_threshold,
                   max_missing=max_missing, flip=flip, codec=info.codec)
    with staged_outputs() as staging:
        if render is not None:
            from gast_pyg.video.rendering import render_video
            frames = tqdm(iter_frames(video), total=len(lifted.frame_indices), desc='render',
                          unit='frame', disable=not progress)
            render_video(staging.stage(render), frames, lifted.keypoints_2d, lifted.poses_3d,
                         lifted.track_ids, model.skeleton, info.fps)
            seconds['render'] = time.perf_counter() - start - sum(seconds.values())
        options['seconds'] = seconds
        write_tracks(staging.stage(output), lifted, info.fps, options)
        if keypoints_out is not None:
            write_detections(staging.stage(keypoints_out), detections, info.fps)
    elapsed = time.perf_counter() - start
    return dict(lifted=lifted, info=info, seconds=seconds,
                frames_per_second=len(lifted.frame_indices) / elapsed)
