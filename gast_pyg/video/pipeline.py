"""From a video file to 3D poses of every person.

:func:`video_to_3d` runs the whole chain: decode (:mod:`~gast_pyg.video.decoding`) -> detect
(:mod:`~gast_pyg.video.detectors`) -> tracks (:func:`~gast_pyg.keypoints.tracking.build_tracks`)
-> lift each track (:func:`~gast_pyg.inference.lift_tracks`, the path ``infer`` takes too) ->
``.npz`` (:func:`~gast_pyg.inference.write_tracks`, layout in :mod:`gast_pyg.inference`) and
MP4 (:func:`~gast_pyg.video.rendering.render_video`).
"""
from __future__ import annotations

import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Any, Dict, Optional, Tuple, Union

import numpy as np
from tqdm import tqdm

from gast_pyg.files import check_output_targets, staged_outputs
from gast_pyg.inference import (check_camera_options, check_suffix, lift_tracks, load_model,
                                write_tracks)
from gast_pyg.keypoints import KeypointError
from gast_pyg.keypoints.detections import Detections, build_detections
from gast_pyg.keypoints.formats import read_detections
from gast_pyg.keypoints.tracking import PersonChoice, build_tracks
from gast_pyg.nn import fold_batch_norms
from gast_pyg.video.decoding import VideoInfo, iter_frames, probe_video
from gast_pyg.video.detectors import BlazePoseDetector, KeypointDetector

__all__ = ['detect_video', 'write_detections', 'video_to_3d']

PathLike = Union[str, os.PathLike]


def detect_video(video: PathLike, detector: Optional[KeypointDetector] = None,
                 progress: bool = True) -> Tuple[Detections, VideoInfo]:
    """Run ``detector`` (default: :class:`BlazePoseDetector`) on every frame of ``video``,
    decoding one frame at a time; the detections and the video's :class:`VideoInfo`."""
    info = probe_video(video)
    detector = BlazePoseDetector() if detector is None else detector
    rows, count = [], 0
    with detector:
        for frame in tqdm(iter_frames(video), total=info.num_frames, desc='decode+detect',
                          unit='frame', disable=None if progress else True):
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


def video_to_3d(video: PathLike, checkpoint: Optional[PathLike], output: PathLike, *,
                render: Optional[PathLike] = None, keypoints: Optional[PathLike] = None,
                keypoints_format: Optional[str] = None, keypoints_out: Optional[PathLike] = None,
                detector: Optional[KeypointDetector] = None, person: PersonChoice = 'all',
                max_gap: int = 10, skeleton: Optional[str] = None, causal: bool = False,
                score_threshold: float = 0.3, max_missing: float = 0.5, flip: bool = False,
                focal_length: Optional[float] = None, fov: Optional[float] = None,
                progress: bool = True, precision: str = 'float32') -> Dict[str, Any]:
    """Lift every person of ``video`` and write ``output`` (``.npz``, layout in
    :mod:`gast_pyg.inference`, with the video's frame rate and size), optionally ``render``
    (MP4) and ``keypoints_out`` (the 2D detections, see :func:`write_detections`);
    ``keypoints`` reads the 2D detections from a file instead of running ``detector``;
    ``checkpoint``: a file, a shipped model's name or ``None`` (the shipped default);
    ``focal_length`` / ``fov``: the camera of a trajectory model's camera-space poses. All
    outputs appear together, or none when anything fails.

    Returns ``lifted`` (:class:`~gast_pyg.inference.LiftedTracks`), ``info``
    (:class:`VideoInfo`), ``seconds`` per stage and ``frames_per_second`` end to end."""
    check_suffix(output, ('.npz',), '--output')
    check_suffix(render, ('.mp4',), '--render')
    check_suffix(keypoints_out, ('.json',), '--keypoints-out')
    targets = [Path(p) for p in (output, render, keypoints_out) if p is not None]
    check_output_targets(targets, inputs=[video] + [p for p in (keypoints, checkpoint) if p])
    start = time.perf_counter()
    seconds: Dict[str, float] = {}
    model = fold_batch_norms(load_model(checkpoint, skeleton=skeleton, causal=causal))
    check_camera_options(model, str(checkpoint), focal_length, fov)
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
                         flip=flip, focal_length=focal_length, fov=fov, progress=progress,
                         precision=precision)
    seconds['track+lift'] = time.perf_counter() - start - sum(seconds.values())
    options = dict(video=str(video), checkpoint=str(checkpoint), keypoints=str(keypoints)
                   if keypoints else None, person=person, max_gap=max_gap,
                   layout=tracks.layout.name, skeleton=model.skeleton.name,
                   receptive_field=model.receptive_field, score_threshold=score_threshold,
                   max_missing=max_missing, flip=flip, precision=precision, codec=info.codec,
                   focal_length=lifted.focal_length)
    with staged_outputs() as staging:
        if render is not None:
            from gast_pyg.video.rendering import render_video
            frames = tqdm(iter_frames(video), total=len(lifted.frame_indices), desc='render',
                          unit='frame', disable=None if progress else True)
            camera = lifted.poses_3d_camera is not None
            render_video(staging.stage(render), frames, lifted.keypoints_2d,
                         lifted.poses_3d_camera if camera else lifted.poses_3d,
                         lifted.track_ids, model.skeleton, info.fps, camera_space=camera)
            seconds['render'] = time.perf_counter() - start - sum(seconds.values())
        options['seconds'] = seconds
        write_tracks(staging.stage(output), lifted, info.fps, options)
        if keypoints_out is not None:
            write_detections(staging.stage(keypoints_out), detections, info.fps)
    elapsed = time.perf_counter() - start
    return dict(lifted=lifted, info=info, seconds=seconds,
                frames_per_second=len(lifted.frame_indices) / elapsed)
