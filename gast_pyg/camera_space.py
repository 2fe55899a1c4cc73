"""Poses in camera space: evaluating trajectory models against the mean-depth baseline, and
camera-space output for videos of unknown calibration.

A :class:`~gast_pyg.models.TrajectoryModel` outputs absolute camera-space joints
``(frames, joints, 3)`` (metres; x right, y down, z along the optical axis) as seen by the cameras
it was trained with. Depth is not observable from 2D alone: the model infers it from the apparent
size of the person under its training focal length, so for another camera the depth scales with
that camera's focal length (:func:`camera_space_poses`).

The baseline of :func:`evaluate_trajectory` knows the camera: it puts the root on the ray through
the 2D root keypoint (:func:`~gast_pyg.data.back_project`, distortion undone) at the mean root
depth of the training set, and uses the model's root-relative pose.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from gast_pyg.data import Camera, DataError, back_project
from gast_pyg.errors import GastPygError
from gast_pyg.evaluation import H36M_ACTIONS, canonical_action
from gast_pyg.lifting import lift_sequence
from gast_pyg.metrics import mpjpe
from gast_pyg.models import LiftingModel, TrajectoryModel
from gast_pyg.nn import fold_batch_norms

__all__ = ['TRAJECTORY_METRICS', 'check_trajectory_model', 'focal_length_from_fov',
           'camera_space_poses', 'mean_root_depth', 'evaluate_trajectory']

#: Keys of :func:`evaluate_trajectory`, millimetres.
TRAJECTORY_METRICS = ('root_mm', 'absolute_mpjpe_mm', 'baseline_root_mm',
                      'baseline_absolute_mpjpe_mm')

Nested = Mapping[str, Mapping[str, Sequence[np.ndarray]]]


def check_trajectory_model(model: LiftingModel, source: str = 'the model') -> TrajectoryModel:
    """``model`` if it predicts the root's position, else one :class:`~gast_pyg.errors.GastPygError` saying so."""
    if not isinstance(model, TrajectoryModel):
        raise GastPygError(f"{source} has no trajectory: it predicts root-relative poses only; "
                           f"camera-space poses need a model built with trajectory='shared' or "
                           f"'separate' (trained with the trajectory loss)")
    return model


def focal_length_from_fov(fov_degrees: float, image_width: float) -> float:
    """The focal length in pixels of a horizontal field of view ``fov_degrees`` over
    ``image_width`` pixels: ``width / 2 / tan(fov / 2)``."""
    if not 0 < fov_degrees < 180:
        raise GastPygError(f"field of view must be between 0 and 180 degrees, got {fov_degrees}")
    if not image_width > 0:
        raise GastPygError(f"image width must be > 0, got {image_width}")
    return image_width / 2 / math.tan(math.radians(fov_degrees) / 2)


def camera_space_poses(
    model: LiftingModel,
    predicted: np.ndarray,
    image_width: float,
    focal_length: float | None = None,
    fov: float | None = None,
) -> np.ndarray:
    """Camera-space poses ``(frames, joints, 3)`` float32 (metres, camera axes) for a camera of
    ``focal_length`` pixels (or horizontal field of view ``fov`` degrees) over ``image_width``
    pixels, from a trajectory model's output ``predicted`` ``(frames, joints, 3)`` (e.g. one
    sequence of :func:`~gast_pyg.lifting.lift_sequence` with ``root_relative=False``).

    Default: the focal length the model was trained with (Human3.6M: a 47.1 degree horizontal
    field of view), i.e. the prediction unchanged. The principal point is taken at the image
    centre. Caveat: the depth is the model's guess from the person's apparent size, so it scales
    linearly with the focal length (the same image through a wider lens, a shorter focal length,
    means a nearer person); x and y (the image position times depth over focal length) and the
    root-relative pose do not change.

    Raises:
        GastPygError: For a model without trajectory, both or invalid ``focal_length`` /
            ``fov`` (a focal length <= 0), or ``predicted`` of the wrong shape.
    """
    model = check_trajectory_model(model)
    if focal_length is not None and fov is not None:
        raise GastPygError("give the focal length or the field of view, not both")
    if fov is not None:
        focal_length = focal_length_from_fov(fov, image_width)
    if focal_length is not None and not 0 < focal_length < math.inf:
        raise GastPygError(f"focal length must be a finite number > 0 pixels, got {focal_length}")
    if not image_width > 0:
        raise GastPygError(f"image width must be > 0, got {image_width}")
    predicted = np.asarray(predicted, dtype=np.float32)
    if predicted.ndim != 3 or predicted.shape[1:] != (model.num_joints, 3):
        raise GastPygError(f"expected predicted poses (frames, {model.num_joints}, 3), got "
                           f"{predicted.shape}")
    if focal_length is None:
        return predicted.copy()
    scale = (2 * focal_length / image_width) / model.focal_length
    r = model.skeleton.root
    out = predicted.copy()
    # The root keeps its image position f x / z; its depth follows the focal length.
    with np.errstate(over='ignore', invalid='ignore'):
        out[..., 2] += predicted[:, r:r + 1, 2] * np.float32(scale - 1)
    if not np.isfinite(out).all():
        raise GastPygError(f"focal length {focal_length:g} pixels: the camera-space depths "
                         "overflow float32; expected a focal length of the order of the image "
                         "width")
    return out


def mean_root_depth(roots: Nested) -> float:
    """Frame-weighted mean ``z`` (metres) of camera-space roots ``{subject: {action: [per camera
    (T, 1, 3)]}}`` (:func:`~gast_pyg.data.camera_roots`): the baseline's depth, from the training
    subjects."""
    depths = [seq[..., 2].ravel() for actions in roots.values() for cameras in actions.values()
              for seq in cameras]
    if not depths:
        raise GastPygError('no root positions to average')
    return float(np.concatenate(depths).mean())


def _camera(cameras: Mapping[str, Sequence[Camera]], subject: str, action: str,
            index: int) -> Camera:
    if subject not in cameras:
        raise DataError(f'subject {subject!r}: no cameras for its 2D data; cameras are known for '
                        f'{", ".join(sorted(cameras))}')
    if index >= len(cameras[subject]):
        raise DataError(f'subject {subject!r}, action {action!r}: 2D data of camera {index}, the '
                        f'subject has {len(cameras[subject])} cameras')
    return cameras[subject][index]


def evaluate_trajectory(
    model: LiftingModel,
    inputs: Nested,
    targets: Nested,
    roots: Nested,
    cameras: Mapping[str, Sequence[Camera]],
    mean_depth: float,
    *,
    downsample: int = 1,
    flip: bool = True,
    precision: str = 'float32',
) -> dict[str, Any]:
    """Root and absolute-pose errors of a trajectory model and of the mean-depth baseline.

    ``inputs`` (normalised 2D ``(T, J, 2)``), ``targets`` (root-relative ``(T, J, 3)``) and
    ``roots`` (:func:`~gast_pyg.data.camera_roots`, ``(T, 1, 3)``) are ``{subject: {action: [per
    camera]}}``; ``cameras`` the calibration of each subject (its intrinsics place the baseline
    root); ``mean_depth`` the training mean root depth (:func:`mean_root_depth`). Sequences are
    downsampled and lifted whole as in :func:`~gast_pyg.evaluation.evaluate` (folded batch norms,
    optional flip averaging).

    Returns ``{'actions': {action: {metric: mm, 'frames': n, 'sequences': k}}, 'average':
    {metric: mm}, 'frames': total, 'mean_depth_m': mean_depth}`` with the metrics of
    :data:`TRAJECTORY_METRICS`: ``root_mm`` (distance of the predicted root), ``absolute_mpjpe_mm``
    (MPJPE of the absolute joints, pose + root), and the same two for the baseline root with the
    model's pose. Actions merge sub-actions (frame-weighted); the average is over actions.

    Raises:
        GastPygError: For a model without trajectory, an empty selection, mismatched lengths.
        DataError: For 2D data of a subject or camera whose calibration is unknown.
    """
    model = check_trajectory_model(model)
    if downsample < 1:
        raise GastPygError(f'downsample must be >= 1, got {downsample}')
    if not mean_depth > 0:
        raise GastPygError(f'mean_depth must be > 0 metres, got {mean_depth}')
    model.eval()
    lifter = fold_batch_norms(model)
    r = model.skeleton.root
    sums: dict[str, dict[str, float]] = {}
    for subject, actions in inputs.items():
        for key, sequences in actions.items():
            for index, seq_2d in enumerate(sequences):
                camera = _camera(cameras, subject, key, index)
                seq_2d = seq_2d[::downsample, :, :2]
                relative = targets[subject][key][index][::downsample]
                root = roots[subject][key][index][::downsample]
                if not len(seq_2d) == len(relative) == len(root):
                    raise GastPygError(f'subject {subject!r}, action {key!r}, camera {index}: '
                                       f'{len(seq_2d)} 2D, {len(relative)} 3D and {len(root)} root '
                                       f'frames')
                pred = torch.from_numpy(lift_sequence(lifter, seq_2d, flip=flip,
                                                      root_relative=False, precision=precision))
                target_root = torch.from_numpy(np.ascontiguousarray(root, dtype=np.float32))
                target = torch.from_numpy(np.ascontiguousarray(relative, dtype=np.float32))
                target = target - target[:, r:r + 1] + target_root
                pred_root = pred[:, r:r + 1]
                baseline_root = torch.from_numpy(back_project(
                    seq_2d[:, r:r + 1], mean_depth, camera.intrinsic).astype(np.float32))
                errors = {
                    'root_mm': mpjpe(pred_root, target_root),
                    'absolute_mpjpe_mm': mpjpe(pred, target),
                    'baseline_root_mm': mpjpe(baseline_root, target_root),
                    'baseline_absolute_mpjpe_mm': mpjpe(pred - pred_root + baseline_root, target),
                }
                acc = sums.setdefault(canonical_action(key), dict.fromkeys(
                    ('frames', 'sequences', *TRAJECTORY_METRICS), 0.0))
                acc['frames'] += len(target)
                acc['sequences'] += 1
                for name, error in errors.items():
                    acc[name] += 1000 * error.item() * len(target)
    if not sums:
        raise GastPygError('nothing to evaluate: no sequences selected')
    order = [name for name in H36M_ACTIONS if name in sums] + sorted(set(sums) - set(H36M_ACTIONS))
    per_action = {
        name: {**{m: sums[name][m] / sums[name]['frames'] for m in TRAJECTORY_METRICS},
               'frames': int(sums[name]['frames']), 'sequences': int(sums[name]['sequences'])}
        for name in order
    }
    average = {m: float(np.mean([row[m] for row in per_action.values()]))
               for m in TRAJECTORY_METRICS}
    return {'actions': per_action, 'average': average,
            'frames': sum(row['frames'] for row in per_action.values()),
            'mean_depth_m': float(mean_depth)}
