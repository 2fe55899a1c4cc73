"""Pose errors: MPJPE (protocol 1), P-MPJPE (protocol 2), N-MPJPE and MPJVE; the depth-weighted
MPJPE and the loss of trajectory models.

Every function takes a prediction and a target of the same shape ``(..., joints, 3)`` (any number
of leading dimensions; :func:`mpjve` reads the frame axis at ``-3``) and returns a 0-dim tensor,
the mean over all joints and leading dimensions, in the units of the inputs (metres in this
package; multiply by 1000 for the millimetres of published tables).

Without ground truth (in-the-wild video), :func:`pose_quality` measures how plausible lifted
poses ``(frames, joints, 3)`` are: bone length variation over time, left/right asymmetry, jitter
(mean joint acceleration) and the share of interpolated input.
"""
from __future__ import annotations

from typing import Dict, NamedTuple

import numpy as np
import torch
from torch import Tensor

from gast_pyg.errors import GastPygError
from gast_pyg.skeleton import Skeleton

__all__ = ['mpjpe', 'p_mpjpe', 'n_mpjpe', 'mpjve', 'weighted_mpjpe', 'TrajectoryLoss',
           'trajectory_loss', 'bone_lengths', 'bone_length_cv', 'limb_asymmetry',
           'mean_joint_acceleration', 'pose_quality']


def _check_shapes(pred: Tensor, target: Tensor, min_dim: int = 2) -> None:
    if pred.shape != target.shape:
        raise GastPygError(
            f'pred and target must have the same shape, got {tuple(pred.shape)} and '
            f'{tuple(target.shape)}'
        )
    if pred.dim() < min_dim:
        raise GastPygError(
            f'expected at least {min_dim} dimensions (..., joints, coordinates), '
            f'got shape {tuple(pred.shape)}'
        )


def mpjpe(pred: Tensor, target: Tensor) -> Tensor:
    """Mean per-joint position error: the mean Euclidean distance between matching joints.

    Differentiable; the training loss. Shapes: ``(..., joints, 3)``.
    """
    _check_shapes(pred, target)
    return torch.linalg.vector_norm(pred - target, dim=-1).mean()


def p_mpjpe(pred: Tensor, target: Tensor) -> Tensor:
    """MPJPE after aligning each predicted pose to its target by a similarity transform.

    Per pose, the rotation (reflections excluded), uniform scale and translation minimising the
    squared error are found in closed form (Procrustes / Umeyama via an SVD of the 3x3
    cross-covariance), computed in float64 for all leading dimensions at once. An evaluation
    metric: the result is detached from autograd and has the dtype of ``pred``. Shapes:
    ``(..., joints, 3)``.
    """
    _check_shapes(pred, target)
    p = pred.detach().to(torch.float64)
    y = target.detach().to(torch.float64)
    mu_p = p.mean(dim=-2, keepdim=True)
    mu_y = y.mean(dim=-2, keepdim=True)
    p0, y0 = p - mu_p, y - mu_y
    # For row vectors, argmax_R tr(R^T H) with H = p0^T y0 = U S V^T is R = U D V^T, where
    # D = diag(1, ..., 1, +-1) turns a reflection into the closest rotation.
    u, s, vh = torch.linalg.svd(p0.transpose(-1, -2) @ y0)
    sign = torch.sign(torch.linalg.det(u @ vh))
    sign = torch.where(sign == 0, torch.ones_like(sign), sign)
    d = torch.ones_like(s)
    d[..., -1] = sign
    rotation = (u * d.unsqueeze(-2)) @ vh
    scale = (s * d).sum(dim=-1) / p0.square().sum(dim=(-2, -1)).clamp_min(1e-12)
    aligned = scale[..., None, None] * (p0 @ rotation) + mu_y
    return torch.linalg.vector_norm(aligned - y, dim=-1).mean().to(pred.dtype)


def n_mpjpe(pred: Tensor, target: Tensor) -> Tensor:
    """MPJPE after rescaling each predicted pose by its least-squares optimal scale.

    Per pose, ``s = <pred, target> / <pred, pred>`` (sums over joints and coordinates, no
    centring; the poses are expected root-relative). Differentiable. Shapes:
    ``(..., joints, 3)``.
    """
    _check_shapes(pred, target)
    dot = (pred * target).sum(dim=(-2, -1), keepdim=True)
    norm = pred.square().sum(dim=(-2, -1), keepdim=True).clamp_min(1e-12)
    return mpjpe(dot / norm * pred, target)


def mpjve(pred: Tensor, target: Tensor) -> Tensor:
    """Mean per-joint velocity error: MPJPE of the first differences along the frame axis.

    Shapes: ``(..., frames, joints, 3)`` with at least 2 frames; the result is in input units
    per frame (multiply by the frame rate for units per second).
    """
    _check_shapes(pred, target, min_dim=3)
    if pred.shape[-3] < 2:
        raise GastPygError(f'expected at least 2 frames on axis -3, got shape {tuple(pred.shape)}')
    return mpjpe(torch.diff(pred, dim=-3), torch.diff(target, dim=-3))


# --------------------------------------------------------------------------
# Plausibility without ground truth (in-the-wild results): NumPy, NaN frames ignored.


def bone_lengths(poses: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """``(T, J - 1)`` length of each bone (joint to its parent, in joint order without the
    root) of poses ``(T, J, 3)``."""
    joints = [j for j, p in enumerate(skeleton.parents) if p >= 0]
    parents = [skeleton.parents[j] for j in joints]
    return np.linalg.norm(poses[:, joints] - poses[:, parents], axis=-1)


def bone_length_cv(poses: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """``(J - 1,)`` coefficient of variation (std / mean over the frames) of each bone's length;
    a rigid skeleton gives 0."""
    lengths = bone_lengths(poses, skeleton)
    return np.nanstd(lengths, axis=0) / np.maximum(np.nanmean(lengths, axis=0), 1e-12)


def limb_asymmetry(poses: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """``(S,)`` per left/right joint pair of the skeleton (roots excluded), the relative
    difference ``|L - R| / mean(L, R)`` of the mean lengths of the bones ending at them."""
    mean = np.nanmean(bone_lengths(poses, skeleton), axis=0)
    bone_of = {j: b for b, j in enumerate(j for j, p in enumerate(skeleton.parents) if p >= 0)}
    left, right = zip(*[(bone_of[l], bone_of[r]) for l, r in skeleton.symmetric_pairs])
    left, right = mean[list(left)], mean[list(right)]
    return np.abs(left - right) / np.maximum((left + right) / 2, 1e-12)


def mean_joint_acceleration(poses: np.ndarray) -> float:
    """Mean norm of the second difference over time of every joint of ``(T, J, 3)`` poses, in
    pose units per frame squared (NaN with fewer than 3 frames)."""
    if poses.shape[0] < 3:
        return float('nan')
    return float(np.nanmean(np.linalg.norm(np.diff(poses, n=2, axis=0), axis=-1)))


def pose_quality(poses: np.ndarray, skeleton: Skeleton,
                 interpolated: np.ndarray) -> Dict[str, np.ndarray]:
    """The plausibility measures of one lifted track: poses ``(T, J, 3)`` and the ``(T, J)``
    points that were interpolated. Keys: ``bone_length_cv`` ``(J - 1,)``, ``limb_asymmetry``
    ``(S,)``, ``mean_acceleration`` and ``interpolated_fraction`` (scalars)."""
    return dict(bone_length_cv=bone_length_cv(poses, skeleton),
                limb_asymmetry=limb_asymmetry(poses, skeleton),
                mean_acceleration=np.float64(mean_joint_acceleration(poses)),
                interpolated_fraction=np.float64(np.asarray(interpolated).mean()))


def weighted_mpjpe(pred: Tensor, target: Tensor, weight: Tensor) -> Tensor:
    """MPJPE with a weight per position: ``mean(weight * |pred - target|)``, VideoPose3D's
    ``weighted_mpjpe``.

    Shapes: ``pred``, ``target`` ``(..., joints, 3)``; ``weight`` broadcastable to ``(...,
    joints)``. Differentiable.
    """
    _check_shapes(pred, target)
    errors = torch.linalg.vector_norm(pred - target, dim=-1)
    if weight.dim() > errors.dim() or any(
            w not in (1, e) for w, e in zip(reversed(weight.shape), reversed(errors.shape))):
        raise GastPygError(f'weight of shape {tuple(weight.shape)} does not broadcast to the '
                           f'errors (..., joints) {tuple(errors.shape)}')
    return (weight * errors).mean()


class TrajectoryLoss(NamedTuple):
    """The loss of one batch of a trajectory model and its two terms."""

    total: Tensor  #: ``pose + root``, the value to minimise
    pose: Tensor  #: MPJPE of the root-relative joints
    root: Tensor  #: depth-weighted MPJPE of the root position


def trajectory_loss(pred: Tensor, target: Tensor, root: int = 0) -> TrajectoryLoss:
    """Loss of a trajectory model on absolute camera-space joints ``(batch, frames, joints,
    3)``: MPJPE of the root-relative joints plus VideoPose3D's trajectory loss, the MPJPE of the
    root weighted by ``1 / z`` of the ground-truth root (far people, whose depth is harder and
    matters less in the image, count less).
    """
    _check_shapes(pred, target, min_dim=3)
    pred_root, target_root = pred[..., root:root + 1, :], target[..., root:root + 1, :]
    pose = mpjpe(pred - pred_root, target - target_root)
    root_term = weighted_mpjpe(pred_root, target_root, 1 / target_root[..., 2])
    return TrajectoryLoss(pose + root_term, pose, root_term)
