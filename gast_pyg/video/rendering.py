"""The rendered MP4 (extra ``video``): each video frame with the 2D skeletons drawn on it, beside
one 3D panel per track, H.264 at the video's frame rate, written with PyAV
(:func:`~gast_pyg.video.encoding.write_mp4`; no ffmpeg program needed).

Colours: left joints and bones blue, right red, the others grey; a track's id is written above
the top-left corner of its 2D skeleton and at the top of its 3D panel. The 3D panels show the
root-relative poses from a viewpoint turned 30 degrees about the vertical and 15 degrees down, on
one scale for the whole clip. Frames where a track is absent leave its panel empty. Camera-space
poses (a trajectory model's) are drawn instead in one panel, the scene: every track where it is,
the floor (a grid at the lowest joint of the clip) and the camera (a pyramid at the origin),
from the same viewpoint.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Iterator, Union

import numpy as np

from gast_pyg.skeleton import Skeleton
from gast_pyg.video.decoding import import_extra
from gast_pyg.video.encoding import write_mp4

__all__ = ['render_video', 'PANEL_HEIGHT']

PathLike = Union[str, os.PathLike]
#: Height in pixels of the rendered MP4 (the video frame is scaled to it).
PANEL_HEIGHT = 540
_LEFT, _RIGHT, _CENTRE = (31, 119, 180), (214, 39, 40), (110, 110, 110)


def _colours(skeleton: Skeleton):
    left, right = set(skeleton.joints_left), set(skeleton.joints_right)
    return [_LEFT if j in left else _RIGHT if j in right else _CENTRE
            for j in range(skeleton.num_joints)]


def _view(poses: np.ndarray) -> np.ndarray:
    """Camera-axes poses ``(..., J, 3)`` (y down) to view ``(..., J, 2)`` (x right, y down)."""
    yaw, pitch = np.radians(30.0), np.radians(15.0)
    x, y, z = poses[..., 0], poses[..., 1], poses[..., 2]
    x, z = np.cos(yaw) * x - np.sin(yaw) * z, np.sin(yaw) * x + np.cos(yaw) * z
    y = np.cos(pitch) * y + np.sin(pitch) * z
    return np.stack([x, y], axis=-1)


def _draw(cv2, image: np.ndarray, points: np.ndarray, skeleton: Skeleton, colours,
          thickness: int) -> None:
    if not np.isfinite(points).all():
        return
    for j, p in enumerate(skeleton.parents):
        if p >= 0:
            cv2.line(image, tuple(int(v) for v in points[j]), tuple(int(v) for v in points[p]),
                     colours[j], thickness, cv2.LINE_AA)
    for j, point in enumerate(points):
        cv2.circle(image, tuple(int(v) for v in point), thickness + 1, colours[j], -1,
                   cv2.LINE_AA)


def _scene(poses: np.ndarray) -> tuple:
    """The floor grid's and the camera pyramid's line segments ``(S, 2, 3)`` in camera axes,
    for camera-space ``poses`` ``(people, frames, joints, 3)``."""
    floor = float(np.nanmax(poses[..., 1]))  # y points down: the lowest joint
    x = np.nanmin(poses[..., 0]), np.nanmax(poses[..., 0])
    z = 0.0, float(np.nanmax(poses[..., 2]))
    segments = [[[x0, floor, z[0]], [x0, floor, z[1]]] for x0 in np.linspace(*x, 5)]
    segments += [[[x[0], floor, z0], [x[1], floor, z0]] for z0 in np.linspace(*z, 5)]
    size = 0.1 * max(x[1] - x[0], z[1] - z[0], 1e-3)
    corners = np.array([[-1, -0.75, 2], [1, -0.75, 2], [1, 0.75, 2], [-1, 0.75, 2]]) * size
    segments += [[[0, 0, 0], c] for c in corners]
    segments += [[a, b] for a, b in zip(corners, np.roll(corners, 1, axis=0))]
    return np.asarray(segments, dtype=np.float64)


def render_video(path: PathLike, frames: Iterable[np.ndarray], keypoints_2d: np.ndarray,
                 poses_3d: np.ndarray, track_ids: np.ndarray, skeleton: Skeleton,
                 fps: float, camera_space: bool = False) -> Path:
    """Write the MP4 ``path`` from the video ``frames`` (an iterable of ``(height, width, 3)``
    RGB arrays, consumed one by one) and the tracks' 2D pixels ``(people, frames, joints, 2)``
    and 3D poses ``(people, frames, joints, 3)`` (NaN where a track is absent), root-relative or,
    with ``camera_space``, in camera space (one scene panel, see the module docstring)."""
    cv2 = import_extra('cv2')
    path = Path(path)
    people, total = poses_3d.shape[:2]
    colours = _colours(skeleton)
    panels = 1 if camera_space else people
    if camera_space:
        segments = _scene(poses_3d)
        points = np.concatenate([poses_3d[np.isfinite(poses_3d).all(-1)], segments.reshape(-1, 3)])
        middle = (_view(points).max(0) + _view(points).min(0)) / 2
        view = _view(poses_3d) - middle
        lines = _view(segments) - middle
    else:
        view = _view(poses_3d)
    radius = max(float(np.nanmax(np.abs(view))) if np.isfinite(view).any() else 0.0, 1e-3)
    if camera_space:
        radius = max(radius, float(np.abs(lines).max()))
    panel = PANEL_HEIGHT

    def canvases() -> Iterator[np.ndarray]:
        for t, frame in enumerate(frames):
            if t >= total:
                return
            height, width = frame.shape[:2]
            scale = panel / height
            video_width = int(round(width * scale / 2)) * 2
            canvas = np.full((panel, video_width + panels * panel, 3), 255, dtype=np.uint8)
            if camera_space:
                centre = np.array([video_width + panel / 2, panel / 2])
                for a, b in centre + lines / radius * panel * 0.45:
                    cv2.line(canvas, tuple(int(v) for v in a), tuple(int(v) for v in b),
                             (150, 150, 150), 1, cv2.LINE_AA)
            canvas[:, :video_width] = cv2.resize(frame, (video_width, panel),
                                                 interpolation=cv2.INTER_AREA)
            for p in range(people):
                pixels = keypoints_2d[p, t] * np.array([video_width / width, scale])
                _draw(cv2, canvas, pixels, skeleton, colours, 2)
                offset = video_width + (0 if camera_space else p) * panel
                cv2.putText(canvas, 'camera space' if camera_space else
                            f'track {int(track_ids[p])}', (offset + 10, 28),
                            cv2.FONT_HERSHEY_SIMPLEX, 0.7, (40, 40, 40), 2, cv2.LINE_AA)
                if np.isfinite(pixels).all():
                    head = tuple(int(v) for v in np.nanmin(pixels, axis=0) - [0, 8])
                    cv2.putText(canvas, str(int(track_ids[p])), head, cv2.FONT_HERSHEY_SIMPLEX,
                                0.7, (255, 255, 0), 2, cv2.LINE_AA)
                centre = np.array([offset + panel / 2, panel / 2])
                _draw(cv2, canvas, centre + view[p, t] / radius * panel * 0.45, skeleton,
                      colours, 3)
            yield canvas

    write_mp4(path, canvases(), fps)
    return path
