"""Reading back the ``.npz`` that ``gast-pyg infer`` and ``gast-pyg video`` write (contents in
:mod:`gast_pyg.inference`), for the exports that start from a saved result (``gast-pyg bvh``,
``gast-pyg view``). The archive is read without running code
(:func:`~gast_pyg.data.safe_pickle.load_npz`) and every field used is checked; a bad field is
one :class:`ResultFileError` naming the file, the field and what was expected.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import numpy as np

from gast_pyg.safe_pickle import load_npz
from gast_pyg.errors import GastPygError
from gast_pyg.skeleton import Skeleton

__all__ = ['ResultFileError', 'SavedResult', 'read_result']

PathLike = Union[str, os.PathLike]


class ResultFileError(GastPygError):
    """A saved result that is not what ``gast-pyg infer`` writes."""


@dataclass(frozen=True)
class SavedResult:
    """The fields of a saved result that the exports use (P tracks, T frames, J joints).

    Attributes:
        track_ids: ``(P,)`` track id of each track.
        frame_indices: ``(T,)`` video frame of each pose.
        poses_3d: ``(P, T, J, 3)`` root-relative joints, metres, camera axes; NaN outside a
            track's frames.
        poses_3d_camera: ``(P, T, J, 3)`` camera-space joints of a trajectory model, or ``None``.
        keypoints_2d: ``(P, T, J, 2)`` input keypoints in pixels; NaN outside a track's frames.
        fps: Frames per second of the video.
        image_size: ``(width, height)`` in pixels.
        skeleton: The model's skeleton.
        source: The file read, for messages.
    """

    track_ids: np.ndarray
    frame_indices: np.ndarray
    poses_3d: np.ndarray
    poses_3d_camera: Optional[np.ndarray]
    keypoints_2d: np.ndarray
    fps: float
    image_size: tuple[int, int]
    skeleton: Skeleton
    source: str

    @property
    def trajectory(self) -> bool:
        return self.poses_3d_camera is not None

    def track_span(self, track: int) -> slice:
        """The frames of track number ``track`` (its first to its last lifted frame)."""
        lifted = np.flatnonzero(np.isfinite(self.poses_3d[track]).all(axis=(-1, -2)))
        return slice(int(lifted[0]), int(lifted[-1]) + 1)

    def track_poses(self, track: int) -> np.ndarray:
        """``(frames, J, 3)`` joints of track number ``track`` over its span: camera-space for
        a trajectory model, else root-relative."""
        poses = self.poses_3d_camera if self.trajectory else self.poses_3d
        return poses[track, self.track_span(track)]


def _field(arrays: dict[str, np.ndarray], name: str, source: str, expected: str,
           shape: Optional[tuple[Optional[int], ...]] = None, kind: str = 'fiub') -> np.ndarray:
    if name not in arrays:
        raise ResultFileError(f'{source}: `{name}` is missing; expected {expected} (is this a '
                              '.npz written by gast-pyg infer or video?)')
    value = arrays[name]
    if (value.dtype.kind not in kind or (shape is not None and (
            value.ndim != len(shape)
            or any(n is not None and n != m for n, m in zip(shape, value.shape))))):
        raise ResultFileError(f'{source}: `{name}` has dtype {value.dtype} and shape '
                              f'{value.shape}; expected {expected}')
    return value


def _skeleton(arrays: dict[str, np.ndarray], names: tuple[str, ...], source: str,
              skeleton: Union[str, Skeleton, None]) -> Skeleton:
    """The given skeleton, else the bundled one named in ``options``; its joints must be
    ``names``."""
    if skeleton is None:
        options = _field(arrays, 'options', source, 'a JSON string', (), kind='U')
        try:
            skeleton = json.loads(str(options))['skeleton']
        except (ValueError, KeyError, TypeError):
            raise ResultFileError(f'{source}: `options` has no skeleton name; expected the JSON '
                                  'that gast-pyg infer writes (or pass --skeleton)') from None
    loaded = Skeleton.load(skeleton)
    if loaded.joint_names != names:
        raise ResultFileError(f'{source}: `joint_names` {list(names)} are not the joints of '
                              f'skeleton {loaded.name!r} {list(loaded.joint_names)}; expected '
                              'the same joints in the same order (pass --skeleton YAML)')
    return loaded


def read_result(path: PathLike, skeleton: Union[str, Skeleton, None] = None) -> SavedResult:
    """Read and check a saved result; ``skeleton`` (name, YAML path or object) overrides the
    bundled skeleton named in the file's ``options``.

    Raises:
        ResultFileError: For a missing file, a missing or malformed field, or a track without
            frames.
        ~gast_pyg.data.safe_pickle.ArrayFileError: For a file that is not a readable ``.npz``.
    """
    source = str(path)
    if not Path(path).is_file():
        raise ResultFileError(f'{source}: no such file; expected the .npz written by gast-pyg '
                              'infer or video')
    arrays = load_npz(Path(path))
    names = tuple(str(name) for name in _field(arrays, 'joint_names', source,
                                               'the joint names (J,)', (None,), kind='U'))
    joints = len(names)
    track_ids = _field(arrays, 'track_ids', source, 'integer track ids (P,)', (None,), 'iu')
    tracks = len(track_ids)
    frame_indices = _field(arrays, 'frame_indices', source, 'integer frames (T,)', (None,), 'iu')
    frames = len(frame_indices)
    shape = (tracks, frames, joints, 3)
    poses = _field(arrays, 'poses_3d', source, f'float joints {shape}', shape, 'f')
    camera = (_field(arrays, 'poses_3d_camera', source, f'float joints {shape}', shape, 'f')
              if 'poses_3d_camera' in arrays else None)
    keypoints = _field(arrays, 'keypoints_2d', source, f'float pixels {shape[:3] + (2,)}',
                       shape[:3] + (2,), 'f')
    fps = float(_field(arrays, 'fps', source, 'a number > 0', ()))
    width = _field(arrays, 'width', source, 'an image width > 0', ())
    height = _field(arrays, 'height', source, 'an image height > 0', ())
    if not (np.isfinite(fps) and fps > 0):
        raise ResultFileError(f'{source}: `fps` is {fps}; expected frames per second > 0')
    if not (width > 0 and height > 0):
        raise ResultFileError(f'{source}: `width` x `height` is {width} x {height}; expected '
                              'an image size > 0')
    for k, track in enumerate(track_ids):
        if not np.isfinite(poses[k]).all(axis=(-1, -2)).any():
            raise ResultFileError(f'{source}: `poses_3d` of track {int(track)} has no finite '
                                  'frame; expected the joints of at least one frame')
    return SavedResult(track_ids=track_ids.astype(np.int64), frame_indices=frame_indices,
                       poses_3d=poses, poses_3d_camera=camera, keypoints_2d=keypoints, fps=fps,
                       image_size=(int(width), int(height)),
                       skeleton=_skeleton(arrays, names, source, skeleton), source=source)
