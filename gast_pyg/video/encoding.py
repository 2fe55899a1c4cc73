"""MP4 writing with PyAV (extra ``video``): H.264 in MP4 from RGB frames, one at a time. PyAV's
wheels bundle FFmpeg with libx264, so no ffmpeg program is needed."""
from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Union

import numpy as np

from gast_pyg.video.decoding import VideoError, import_extra

__all__ = ['write_mp4']

PathLike = Union[str, os.PathLike]


def write_mp4(path: PathLike, frames: Iterable[np.ndarray], fps: float, crf: int = 23) -> int:
    """Encode ``frames`` (``(height, width, 3)`` uint8 RGB arrays, all of the first one's size,
    consumed one by one) to the H.264 MP4 ``path`` (yuv420p, libx264 at quality ``crf``) at
    ``fps`` frames per second; the number of frames written. An odd width or height is padded
    by one white column or row (yuv420p needs even sizes). :class:`VideoError` when ``frames``
    is empty or a frame's size differs from the first one's."""
    av = import_extra('av')
    path = Path(path)
    container = av.open(str(path), mode='w', format='mp4')
    count, stream, size = 0, None, None
    try:
        for frame in frames:
            if stream is None:
                size = frame.shape[:2]
                stream = container.add_stream('libx264',
                                              rate=Fraction(fps).limit_denominator(100000))
                stream.height, stream.width = (s + s % 2 for s in size)
                stream.pix_fmt = 'yuv420p'
                stream.options = {'crf': str(crf), 'preset': 'veryfast'}
            if frame.shape[:2] != size:
                raise VideoError(f"{path}: frame {count} is {frame.shape[1]}x{frame.shape[0]}, "
                                 f"the first one {size[1]}x{size[0]}")
            if size[0] % 2 or size[1] % 2:
                frame = np.pad(frame, ((0, size[0] % 2), (0, size[1] % 2), (0, 0)),
                               constant_values=255)
            image = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame, dtype=np.uint8),
                                               format='rgb24')
            container.mux(stream.encode(image))
            count += 1
        if stream is None:
            raise VideoError(f"{path}: no video frame to write")
        container.mux(stream.encode(None))
    finally:
        container.close()
    return count
