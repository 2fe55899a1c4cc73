"""Detector-like 2D keypoints made from clean projections (``--augment-2d detector``).

Ground-truth 2D of motion capture differs from what a 2D detector gives in five ways, each
reproduced here, in pixels, before the package's screen normalisation:

1. **Camera.** A zoom by a factor ``z`` about the principal point is exactly what a pinhole
   camera at the same place with focal length ``z * f`` sees (the small lens distortion of the
   Human3.6M cameras aside); a shift of the image window is a crop, i.e. a moved principal
   point. Since normalisation divides by the image width, an image of another size showing the
   same person is also such a zoom and shift, so this covers other image sizes and focal lengths.
   ``z`` is log-uniform in :attr:`DetectorNoise.zoom_range`; the shift is uniform over the
   positions that keep the person's keypoints inside the image (centred when they cannot fit).
2. **Joint definitions.** Detectors are trained on COCO annotations, whose hips, shoulders and
   head sit elsewhere than the mocap joint centres. Hips are scaled about the pelvis, shoulders
   about their midpoint, neck and head about the thorax, by per-sequence factors between 1 (mocap)
   and the ratios measured on the HRNet baseball clip after :func:`gast_pyg.keypoints.coco_to_h36m`
   (``python benchmarks/detector_offsets.py``), plus a static random offset per joint.
3. **Per-joint noise scaled by the person's size**, as in COCO's keypoint similarity: the std per
   axis of joint ``j`` is ``noise_scale * q * sigma_j * s``, with ``s`` the square root of the
   area of the keypoints' bounding box in that frame (the stand-in for COCO's object scale),
   ``q`` a per-sequence detector quality log-uniform in ``[1 / quality_spread, quality_spread]``
   and ``sigma_j`` from :func:`detector_sigmas`.
4. **Temporal correlation.** A detector errs alike on similar consecutive frames: the noise is a
   mix of white noise and a unit-variance first-order low-pass (AR(1)) process.
5. **Failures.** Outliers (a point thrown by a multiple of ``s``) and missing joints (runs of
   frames), the latter filled by :func:`gast_pyg.keypoints.fill_gaps`, the interpolation
   ``infer`` uses.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Mapping, Optional, Sequence, Tuple, Union

import numpy as np

from gast_pyg.data.cameras import Camera
from gast_pyg.data.noise import sequence_rng
from gast_pyg.errors import GastPygError
from gast_pyg.keypoints.gaps import fill_gaps
from gast_pyg.keypoints.layouts import coco_to_h36m
from gast_pyg.skeleton import Skeleton

__all__ = ['COCO_KEYPOINT_SIGMAS', 'DetectorNoise', 'detector_sigmas', 'detector_like_2d',
           'add_detector_noise_2d']

#: The per-keypoint constants of COCO's object keypoint similarity (pycocotools
#: ``COCOeval``, ``kpt_oks_sigmas``), in :data:`gast_pyg.keypoints.COCO_JOINTS` order: the
#: spread of human annotations of each keypoint relative to the object's scale.
COCO_KEYPOINT_SIGMAS = np.array([0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62,
                                 0.62, 1.07, 1.07, 0.87, 0.87, 0.89, 0.89]) / 10.0

SeedLike = Union[int, np.random.Generator]
SkeletonLike = Union[str, Skeleton]


@dataclass(frozen=True)
class DetectorNoise:
    """Parameters of :func:`detector_like_2d` (defaults in brackets).

    Attributes:
        noise_scale: Per-axis noise std in units of ``sigma_j * s`` [0.5]. With the defaults
            this gives a mean error of about 10 px on the Human3.6M projections (person
            ~450 px tall in 1000 px images).
        quality_spread: Per-sequence quality factor, log-uniform in ``[1/spread, spread]`` [2.0].
        low_pass_fraction: Share of the noise variance that is low-pass (the rest white) [0.7].
        correlation_frames: Time constant of the low-pass part, in frames of the input [5.0]
            (0.1 s at Human3.6M's 50 Hz).
        hip_width_scale, shoulder_width_scale, neck_scale, head_scale: The measured
            detector/mocap ratios of hip width, shoulder width, thorax-to-neck and
            thorax-to-head distance [0.89, 1.20, 0.81, 0.95]; each sequence uses
            ``ratio ** u``, one ``u`` uniform in [0, 1] per ratio.
        joint_offset: Std of a static per-sequence offset of every joint, in units of the
            sequence's median ``s`` [0.02].
        outlier_rate: Probability of a point being an outlier [0.005] ...
        outlier_scale: ... moved with a per-axis std of this many ``s`` [0.1].
        gap_rate: Probability per frame and joint that a run of missing frames starts [0.004] ...
        gap_length: ... its mean length in frames, geometric [4.0].
        zoom_range: Range of the zoom factor ``z`` [(0.6, 1.6)].
        crop: Shift the image window at random [True] (else the zoom alone).
    """

    noise_scale: float = 0.5
    quality_spread: float = 2.0
    low_pass_fraction: float = 0.7
    correlation_frames: float = 5.0
    hip_width_scale: float = 0.89
    shoulder_width_scale: float = 1.20
    neck_scale: float = 0.81
    head_scale: float = 0.95
    joint_offset: float = 0.02
    outlier_rate: float = 0.005
    outlier_scale: float = 0.1
    gap_rate: float = 0.004
    gap_length: float = 4.0
    zoom_range: Tuple[float, float] = (0.6, 1.6)
    crop: bool = True

    def __post_init__(self) -> None:
        for name in ('noise_scale', 'joint_offset', 'outlier_scale', 'correlation_frames'):
            if not getattr(self, name) >= 0:
                raise GastPygError(f"DetectorNoise.{name} must be >= 0, got {getattr(self, name)}")
        for name in ('low_pass_fraction', 'outlier_rate', 'gap_rate'):
            if not 0 <= getattr(self, name) <= 1:
                raise GastPygError(f"DetectorNoise.{name} must be in [0, 1], "
                                   f"got {getattr(self, name)}")
        for name in ('quality_spread', 'hip_width_scale', 'shoulder_width_scale', 'neck_scale',
                     'head_scale', 'gap_length'):
            if not getattr(self, name) > 0:
                raise GastPygError(f"DetectorNoise.{name} must be > 0, got {getattr(self, name)}")
        low, high = self.zoom_range
        if not 0 < low <= high:
            raise GastPygError(f"DetectorNoise.zoom_range must be (low, high) with "
                               f"0 < low <= high, got {self.zoom_range}")


@lru_cache(maxsize=None)
def _h36m_joint_names() -> Tuple[str, ...]:
    return tuple(Skeleton.load('h36m').joint_names)


@lru_cache(maxsize=None)
def _h36m_sigmas() -> np.ndarray:
    # coco_to_h36m is affine and keeps x and y apart, so the std of each output coordinate is
    # the root sum of squares of its coefficients times the COCO sigmas (independent errors).
    basis = np.zeros((17, 17, 2))
    basis[np.arange(17), np.arange(17)] = 1.0
    coefficients = coco_to_h36m(basis)[0] - coco_to_h36m(np.zeros((17, 2)))[0]  # (in, out, 2)
    sigmas = np.sqrt(np.einsum('ioa,i->oa', coefficients ** 2, COCO_KEYPOINT_SIGMAS ** 2))
    sigmas.setflags(write=False)
    return sigmas


def detector_sigmas(skeleton: SkeletonLike = 'h36m') -> np.ndarray:
    """Per-joint, per-axis detector sigmas ``(joints, 2)`` of the Human3.6M-17 layout.

    Joints copied from COCO keep their :data:`COCO_KEYPOINT_SIGMAS`; a joint that
    :func:`gast_pyg.keypoints.coco_to_h36m` synthesises (pelvis, spine, thorax, neck, head) gets
    the std of that formula's linear combination of independently noisy COCO keypoints, per
    axis (e.g. pelvis = mid-hips: ``0.107 / sqrt(2)``; head y = both eyes' y minus the nose's:
    ``sqrt(2 * 0.025**2 + 0.026**2)``).

    Raises:
        GastPygError: For a skeleton with other joints than Human3.6M-17.
    """
    skeleton = Skeleton.load(skeleton)
    expected = _h36m_joint_names()
    if list(skeleton.joint_names) != list(expected):
        raise GastPygError(f"detector-like 2D needs the Human3.6M-17 joints {list(expected)}; "
                           f"skeleton {skeleton.name!r} has {list(skeleton.joint_names)}")
    return _h36m_sigmas()


def _low_pass(white: np.ndarray, frames: float) -> np.ndarray:
    """Unit-variance AR(1) process over axis 0 driven by unit white noise."""
    if frames == 0:
        return white
    a = np.exp(-1.0 / frames)
    gain = np.sqrt(1.0 - a * a)
    out = np.empty_like(white)
    out[0] = white[0]
    for t in range(1, len(white)):
        out[t] = a * out[t - 1] + gain * white[t]
    return out


def _person_size(xy: np.ndarray) -> np.ndarray:
    """``(T,)`` square root of the keypoints' bounding-box area, at least 1 px."""
    extent = xy.max(axis=1) - xy.min(axis=1)
    return np.sqrt(np.maximum(extent[:, 0] * extent[:, 1], 1.0))


def _camera_change(xy: np.ndarray, image_size: Tuple[int, int], centre: np.ndarray,
                   params: DetectorNoise, rng: np.random.Generator) -> np.ndarray:
    zoom = np.exp(rng.uniform(*np.log(params.zoom_range)))
    out = centre + zoom * (xy - centre)
    if not params.crop:
        return out
    size = np.asarray(image_size, dtype=np.float64)
    low, high = out.reshape(-1, 2).min(0), out.reshape(-1, 2).max(0)
    # Shifts d with 0 <= low + d and high + d <= size; centred when the person cannot fit.
    lo, hi = -low, size - high
    shift = np.where(lo <= hi, rng.uniform(np.minimum(lo, hi), np.maximum(lo, hi)),
                     (lo + hi) / 2)
    return out + shift


def _definition_change(xy: np.ndarray, names: Sequence[str], params: DetectorNoise,
                       rng: np.random.Generator) -> np.ndarray:
    j = {name: i for i, name in enumerate(names)}
    out = xy.copy()
    hip, shoulder, neck, head = np.array([params.hip_width_scale, params.shoulder_width_scale,
                                          params.neck_scale, params.head_scale]) \
        ** rng.uniform(0.0, 1.0, size=4)
    pelvis = xy[:, j['pelvis']]
    for name in ('left_hip', 'right_hip'):
        out[:, j[name]] = pelvis + hip * (xy[:, j[name]] - pelvis)
    shoulders = (xy[:, j['left_shoulder']] + xy[:, j['right_shoulder']]) / 2
    for name in ('left_shoulder', 'right_shoulder'):
        out[:, j[name]] = shoulders + shoulder * (xy[:, j[name]] - shoulders)
    thorax = xy[:, j['thorax']]
    for name, factor in (('neck', neck), ('head', head)):
        out[:, j[name]] = thorax + factor * (xy[:, j[name]] - thorax)
    scale = np.median(_person_size(xy))
    return out + rng.normal(0.0, params.joint_offset * scale, size=xy.shape[1:])


def _gaps(frames: int, joints: int, params: DetectorNoise,
          rng: np.random.Generator) -> np.ndarray:
    missing = np.zeros((frames, joints), dtype=bool)
    starts = np.argwhere(rng.random((frames, joints)) < params.gap_rate)
    lengths = rng.geometric(1.0 / params.gap_length, size=len(starts))
    for (t, joint), length in zip(starts, lengths):
        missing[t:t + length, joint] = True
    # fill_gaps needs one present frame per joint.
    missing[rng.integers(frames), missing.all(axis=0)] = False
    return missing


def detector_like_2d(
    keypoints: np.ndarray,
    image_size: Tuple[int, int],
    seed: SeedLike = 0,
    params: Optional[DetectorNoise] = None,
    skeleton: SkeletonLike = 'h36m',
    principal_point: Optional[Tuple[float, float]] = None,
) -> np.ndarray:
    """Detector-like keypoints from clean pixel keypoints of one sequence (the module
    docstring says how).

    Args:
        keypoints: ``(frames, joints, 2|3)`` pixels in the skeleton's joint order; a third
            channel (scores) is passed through unchanged.
        image_size: ``(width, height)`` in pixels.
        seed: An int or a :class:`numpy.random.Generator`; the same seed gives the same output.
        params: The augmentation's parameters (default: :class:`DetectorNoise`'s).
        skeleton: Human3.6M-17 (:func:`detector_sigmas`).
        principal_point: Centre of the zoom (default: the image centre).

    Returns:
        ``(frames, joints, 2|3)`` finite pixels, same dtype as ``keypoints``.
    """
    params = DetectorNoise() if params is None else params
    skeleton = Skeleton.load(skeleton)
    sigmas = detector_sigmas(skeleton)
    keypoints = np.asarray(keypoints)
    if keypoints.ndim != 3 or keypoints.shape[1] != skeleton.num_joints \
            or keypoints.shape[2] not in (2, 3) or len(keypoints) == 0:
        raise GastPygError(f"keypoints must have shape (frames > 0, {skeleton.num_joints}, 2|3), "
                           f"got {keypoints.shape}")
    if not np.isfinite(keypoints[..., :2]).all():
        raise GastPygError("keypoints must be finite (fill gaps before augmenting)")
    rng = np.random.default_rng(seed)
    frames, joints = keypoints.shape[:2]
    centre = (np.asarray(image_size, dtype=np.float64) / 2 if principal_point is None
              else np.asarray(principal_point, dtype=np.float64))

    xy = _camera_change(keypoints[..., :2].astype(np.float64), image_size, centre, params, rng)
    xy = _definition_change(xy, skeleton.joint_names, params, rng)
    size = _person_size(xy)[:, None, None]
    quality = np.exp(rng.uniform(-1.0, 1.0) * np.log(params.quality_spread))
    white = rng.standard_normal((frames, joints, 2))
    unit = (np.sqrt(1.0 - params.low_pass_fraction) * white
            + np.sqrt(params.low_pass_fraction)
            * _low_pass(rng.standard_normal((frames, joints, 2)), params.correlation_frames))
    xy = xy + params.noise_scale * quality * sigmas * size * unit
    outliers = rng.random((frames, joints)) < params.outlier_rate
    xy[outliers] += rng.normal(0.0, 1.0, size=(int(outliers.sum()), 2)) \
        * params.outlier_scale * np.broadcast_to(size, (frames, joints, 1))[outliers]
    missing = _gaps(frames, joints, params, rng)
    xy = fill_gaps(xy, missing, skeleton.joint_names, max_missing=1.0,
                   source='detector-like 2D augmentation')

    out = keypoints.copy()
    out[..., :2] = xy.astype(keypoints.dtype)
    return out


def add_detector_noise_2d(
    positions_px: Mapping[str, Mapping[str, Sequence[np.ndarray]]],
    cameras: Mapping[str, Sequence[Camera]],
    seed: int = 0,
    params: Optional[DetectorNoise] = None,
    skeleton: SkeletonLike = 'h36m',
) -> dict[str, dict[str, list[np.ndarray]]]:
    """The ``--augment-2d detector`` hook: :func:`detector_like_2d` on every sequence of
    ``{subject: {action: [camera0 (frames, joints, 2|3), ...]}}`` in pixels, each with its
    camera's image size and principal point.

    Each sequence draws from its own stream (:func:`~gast_pyg.data.noise.sequence_rng`, as
    ``--noise-2d`` does).
    """
    skeleton = Skeleton.load(skeleton)
    out: dict[str, dict[str, list[np.ndarray]]] = {}
    for subject, actions in positions_px.items():
        out[subject] = {}
        for action, sequences in actions.items():
            out[subject][action] = []
            for index, (sequence, camera) in enumerate(zip(sequences, cameras[subject])):
                rng = sequence_rng(seed, subject, action, index)
                out[subject][action].append(detector_like_2d(
                    sequence, (camera.res_w, camera.res_h), rng, params, skeleton,
                    camera.center_px))
    return out
