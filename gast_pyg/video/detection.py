"""The 2D keypoints of every person of a video: decode (:mod:`~gast_pyg.video.decoding`) ->
detect (:mod:`~gast_pyg.video.detectors`) -> :class:`~gast_pyg.keypoints.detections.Detections`
(:func:`detect_video`), which a :class:`~gast_pyg.lifter.Lifter` turns into 3D poses; and the
detections saved for a later run (:func:`write_detections`).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional, Tuple, Union

import numpy as np
from tqdm import tqdm

from gast_pyg.keypoints import KeypointError
from gast_pyg.keypoints.detections import Detections, build_detections
from gast_pyg.video.decoding import VideoInfo, iter_frames, probe_video
from gast_pyg.video.detectors import BlazePoseDetector, KeypointDetector

__all__ = ['detect_video', 'write_detections']

PathLike = Union[str, os.PathLike]


def detect_video(video: PathLike, detector: Optional[KeypointDetector] = None,
                 progress: bool = True, info: Optional[VideoInfo] = None
                 ) -> Tuple[Detections, VideoInfo]:
    """Run ``detector`` (default: :class:`BlazePoseDetector`) on every frame of ``video``,
    decoding one frame at a time; the detections and the video's :class:`VideoInfo` (``info``:
    the one already probed, so that the file is not opened for it again)."""
    info = probe_video(video) if info is None else info
    detector = BlazePoseDetector(fps=info.fps) if detector is None else detector
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
