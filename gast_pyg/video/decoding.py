"""Video decoding with PyAV (optional extra ``video``): one frame at a time, so memory does not
grow with the video's length."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Optional, Union

import numpy as np

from gast_pyg.errors import GastPygError

__all__ = ['VideoError', 'VideoInfo', 'probe_video', 'iter_frames', 'import_extra']

PathLike = Union[str, os.PathLike]


class VideoError(GastPygError):
    """A video that cannot be read; the message names the file and what is wrong."""


def import_extra(module: str):
    """Import a module of the ``video`` extra, or fail with a message naming the extra."""
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise VideoError(f"video input needs the 'video' extra: pip install 'gast-pyg[video]' "
                         f"({module} is missing: {error})") from error


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about the first video stream.

    Attributes:
        path: The file.
        width, height: Frame size in pixels.
        fps: Average frame rate.
        num_frames: Frame count of the header, ``None`` when the container has none.
        codec: Decoder name.
    """

    path: str
    width: int
    height: int
    fps: float
    num_frames: Optional[int]
    codec: str


def _open(path: Path):
    if not path.is_file():
        what = ('is a directory, expected a video file' if path.is_dir()
                else 'is not a regular file (a device, pipe or socket), expected a video file'
                if path.exists() else 'no such video file')
        raise VideoError(f"{path}: {what}")
    av = import_extra('av')
    try:
        container = av.open(str(path))
    except av.FFmpegError as error:
        raise VideoError(f"{path}: not a video PyAV (FFmpeg) can open: {error}") from error
    if not container.streams.video:
        container.close()
        raise VideoError(f"{path}: the file has no video stream")
    return av, container, container.streams.video[0]


def probe_video(path: PathLike) -> VideoInfo:
    """The :class:`VideoInfo` of ``path``; :class:`VideoError` when it is not a video."""
    path = Path(path)
    _, container, stream = _open(path)
    with container:
        context = stream.codec_context
        rate = stream.average_rate or stream.guessed_rate
        if context is None or not stream.width or not rate:
            raise VideoError(f"{path}: the video stream has no decoder in PyAV's FFmpeg "
                             f"(codec {stream.codec.name if stream.codec else 'unknown'}) or no "
                             f"frame size / rate")
        return VideoInfo(str(path), int(stream.width), int(stream.height), float(rate),
                         int(stream.frames) or None, context.name)


def iter_frames(path: PathLike) -> Iterator[np.ndarray]:
    """The frames of ``path`` one by one as ``(height, width, 3)`` uint8 RGB arrays.

    Raises :class:`VideoError` when decoding fails, and at the end when fewer frames came out
    than the header announces (a truncated file)."""
    path = Path(path)
    av, container, stream = _open(path)
    stream.thread_type = 'AUTO'
    expected, count = int(stream.frames), 0
    with container:
        try:
            for frame in container.decode(stream):
                yield frame.to_ndarray(format='rgb24')
                count += 1
        except av.FFmpegError as error:
            raise VideoError(f"{path}: decoding failed after {count} frames: {error}") from error
    if count == 0:
        raise VideoError(f"{path}: no frame could be decoded")
    if expected and count < expected:
        raise VideoError(f"{path}: truncated video: the header announces {expected} frames, "
                         f"only {count} could be decoded")
