"""Camera models of Human3.6M and HumanEva-I: extrinsic transforms, distorted projection
(screen normalisation, re-exported here, is :mod:`gast_pyg.screen`).

All functions take and return :mod:`numpy` arrays. They compute in float64 and return arrays of
the input points' floating dtype (float32 data stays float32). Points are row vectors in the last
axis, so any leading shape ``(...)`` is allowed.

Conventions (those of Human3.6M and VideoPose3D): a camera's ``orientation`` is the unit
quaternion ``(w, x, y, z)`` of the camera-to-world rotation ``R`` and its ``translation`` the
camera centre ``t`` in world coordinates, so ``X_world = R X_cam + t``; the camera looks along its
``+z`` axis, ``x`` to the right and ``y`` down in the image.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from gast_pyg.screen import float_dtype, image_coordinates, normalize_screen_coordinates

__all__ = [
    'Camera',
    'load_h36m_cameras',
    'load_humaneva_cameras',
    'quaternion_to_matrix',
    'world_to_camera',
    'camera_to_world',
    'project_to_2d',
    'back_project',
    'normalize_screen_coordinates',
    'image_coordinates',
]

Vector = tuple[float, ...]


@dataclass(frozen=True)
class Camera:
    """One calibrated camera.

    Intrinsics are kept twice: in pixels (``*_px``) and normalised to screen coordinates
    (:func:`normalize_screen_coordinates`; the focal length scaled by ``2 / res_w``), so that
    :func:`project_to_2d` with :attr:`intrinsic` directly yields normalised 2D keypoints.

    Attributes:
        id: Camera serial number.
        res_w, res_h: Image size in pixels.
        center_px, focal_length_px: Principal point and focal lengths ``(fx, fy)`` in pixels.
        center, focal_length: The same, normalised.
        radial_distortion: ``(k1, k2, k3)``.
        tangential_distortion: ``(p1, p2)``.
        orientation: Camera-to-world rotation, unit quaternion ``(w, x, y, z)``.
        translation: Camera centre in world coordinates, metres.
    """

    id: str
    res_w: int
    res_h: int
    center_px: Vector
    focal_length_px: Vector
    center: Vector
    focal_length: Vector
    radial_distortion: Vector
    tangential_distortion: Vector
    orientation: Vector
    translation: Vector

    @property
    def intrinsic(self) -> np.ndarray:
        """Normalised intrinsics ``(fx, fy, cx, cy, k1, k2, k3, p1, p2)``, float64 ``(9,)``."""
        return np.array(
            self.focal_length + self.center + self.radial_distortion + self.tangential_distortion
        )

    @property
    def intrinsic_px(self) -> np.ndarray:
        """Pixel intrinsics in the order of :attr:`intrinsic`, float64 ``(9,)``."""
        return np.array(
            self.focal_length_px
            + self.center_px
            + self.radial_distortion
            + self.tangential_distortion
        )


def load_h36m_cameras() -> dict[str, list[Camera]]:
    """The four Human3.6M cameras of each subject (S1, S5, S6, S7, S8, S9, S11).

    Read from the bundled ``h36m_cameras.json`` (public values; translations converted from
    millimetres to metres). Returns a new ``{subject: [camera0, ..., camera3]}`` on every call.
    """
    return {subject: list(cameras) for subject, cameras in _h36m_cameras().items()}


def load_humaneva_cameras() -> dict[str, list[Camera]]:
    """The three HumanEva-I colour cameras C1-C3 (640x480) of each subject, keyed as in the
    VideoPose3D files: ``'Train/S1'``, ``'Validate/S1'``, ``'Unlabeled/Train/S1'``,
    ``'Unlabeled/Validate/S1'``, ``'Unlabeled/S1'`` (likewise S2, S3) share the cameras of S1.

    Read from the bundled ``humaneva_cameras.json`` (public values, translations converted from
    millimetres to metres; see its ``description`` for the sources and the distortion caveat).
    Returns a new ``{subject: [C1, C2, C3]}`` on every call.
    """
    return {subject: list(cameras) for subject, cameras in _humaneva_cameras().items()}


@lru_cache(maxsize=1)
def _h36m_cameras() -> dict[str, tuple[Camera, ...]]:
    return _read_cameras('h36m_cameras.json')


@lru_cache(maxsize=1)
def _humaneva_cameras() -> dict[str, tuple[Camera, ...]]:
    params = _read_json('humaneva_cameras.json')
    cameras = _read_cameras('humaneva_cameras.json')
    return {prefix + subject: cameras[subject]
            for subject in cameras for prefix in params['prefixes']}


def _read_json(name: str) -> dict:
    return json.loads(resources.files(__package__).joinpath(name).read_text(encoding='utf-8'))


def _read_cameras(name: str) -> dict[str, tuple[Camera, ...]]:
    params = _read_json(name)
    cameras: dict[str, tuple[Camera, ...]] = {}
    for subject, extrinsics in params['extrinsics'].items():
        cameras[subject] = ()
        for intrinsic, extrinsic in zip(params['intrinsics'], extrinsics, strict=True):
            w, h = intrinsic['res_w'], intrinsic['res_h']
            center_px = tuple(intrinsic['center'])
            focal_px = tuple(intrinsic['focal_length'])
            cameras[subject] += (
                Camera(
                    id=intrinsic['id'],
                    res_w=w,
                    res_h=h,
                    center_px=center_px,
                    focal_length_px=focal_px,
                    center=tuple(normalize_screen_coordinates(np.array(center_px), w, h).tolist()),
                    focal_length=tuple(f / w * 2 for f in focal_px),
                    radial_distortion=tuple(intrinsic['radial_distortion']),
                    tangential_distortion=tuple(intrinsic['tangential_distortion']),
                    orientation=tuple(extrinsic['orientation']),
                    translation=tuple(t / 1000 for t in extrinsic['translation']),
                ),
            )
    return cameras


def quaternion_to_matrix(q: np.ndarray) -> np.ndarray:
    """Rotation matrices ``(..., 3, 3)`` of quaternions ``(..., 4)`` ordered ``(w, x, y, z)``.

    The quaternions are normalised first.
    """
    q = np.asarray(q, dtype=np.float64)
    w, x, y, z = np.moveaxis(q / np.linalg.norm(q, axis=-1, keepdims=True), -1, 0)
    rows = (
        (1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)),
        (2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)),
        (2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)),
    )
    return np.stack([np.stack(row, axis=-1) for row in rows], axis=-2)


def world_to_camera(X: np.ndarray, R_quat: np.ndarray, t: np.ndarray) -> np.ndarray:
    """World points ``(..., 3)`` to camera coordinates ``(..., 3)``: ``R^T (X - t)``.

    ``R_quat`` ``(4,)`` is the camera-to-world orientation ``(w, x, y, z)``, ``t`` ``(3,)`` the
    camera centre in the units of ``X``.
    """
    X = np.asarray(X)
    R = quaternion_to_matrix(R_quat)
    return ((X - np.asarray(t, dtype=np.float64)) @ R).astype(float_dtype(X), copy=False)


def camera_to_world(X: np.ndarray, R_quat: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Inverse of :func:`world_to_camera`: ``R X + t`` for camera points ``(..., 3)``."""
    X = np.asarray(X)
    R = quaternion_to_matrix(R_quat)
    return (X.astype(np.float64) @ R.T + np.asarray(t, dtype=np.float64)).astype(
        float_dtype(X), copy=False
    )


def project_to_2d(X_cam: np.ndarray, intrinsic: np.ndarray) -> np.ndarray:
    """Project camera-space points ``(..., 3)`` (``z > 0``) to the image, ``(..., 2)``.

    Uses the Human3.6M distortion model. With ``u = (x / z, y / z)``, ``r2 = |u|^2`` and
    ``intrinsic = (fx, fy, cx, cy, k1, k2, k3, p1, p2)``::

        u_d = u * (1 + k1 r2 + k2 r2^2 + k3 r2^3 + p1 u_x + p2 u_y) + (p1, p2) * r2
        out = (fx, fy) * u_d + (cx, cy)

    The output is in the units of the intrinsics: pixels with :attr:`Camera.intrinsic_px`,
    normalised screen coordinates with :attr:`Camera.intrinsic`.
    """
    X_cam = np.asarray(X_cam)
    params = np.asarray(intrinsic, dtype=np.float64)
    f, c, k, p = params[:2], params[2:4], params[4:7], params[7:9]
    u = X_cam[..., :2].astype(np.float64) / X_cam[..., 2:3]
    r2 = np.sum(u * u, axis=-1, keepdims=True)
    radial = 1 + r2 * (k[0] + r2 * (k[1] + r2 * k[2]))
    tangential = u @ p[:, None]
    distorted = u * (radial + tangential) + p * r2
    return (f * distorted + c).astype(float_dtype(X_cam), copy=False)


def back_project(
    points_2d: np.ndarray, depth: np.ndarray | float, intrinsic: np.ndarray, iterations: int = 20
) -> np.ndarray:
    """Camera-space points ``(..., 3)`` at ``depth`` (``z``, broadcast against ``(...)``) on the
    rays through image points ``(..., 2)``: the inverse of :func:`project_to_2d` for a known depth.

    The distortion is undone by fixed-point iteration of its model, starting from the distorted
    point (``iterations`` steps; a few suffice for the small Human3.6M coefficients). The image
    points are in the units of ``intrinsic`` (pixels or normalised, as in :func:`project_to_2d`).
    """
    points_2d = np.asarray(points_2d)
    params = np.asarray(intrinsic, dtype=np.float64)
    f, c, k, p = params[:2], params[2:4], params[4:7], params[7:9]
    distorted = (points_2d[..., :2].astype(np.float64) - c) / f
    u = distorted
    for _ in range(iterations):
        r2 = np.sum(u * u, axis=-1, keepdims=True)
        radial = 1 + r2 * (k[0] + r2 * (k[1] + r2 * k[2]))
        u = (distorted - p * r2) / (radial + u @ p[:, None])
    z = np.broadcast_to(np.asarray(depth, dtype=np.float64), u.shape[:-1])[..., None]
    return np.concatenate([u * z, z], axis=-1).astype(float_dtype(points_2d), copy=False)
