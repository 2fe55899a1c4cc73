"""Pose errors: MPJPE (protocol 1), P-MPJPE (protocol 2), N-MPJPE and MPJVE; the depth-weighted
MPJPE and the loss of trajectory models.

Every function takes a prediction and a target of the same shape ``(..., joints, 3)`` (any number
of leading dimensions; :func:`mpjve` reads the frame axis at ``-3``) and returns a 0-dim tensor,
the mean over all joints and leading dimensions, in the units of the inputs (metres in this
package; multiply by 1000 for the millimetres of published tables).
"""
from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor

__all__ = ['mpjpe', 'p_mpjpe', 'n_mpjpe', 'mpjve', 'weighted_mpjpe', 'TrajectoryLoss',
           'trajectory_loss']


def _check_shapes(pred: Tensor, target: Tensor, min_dim: int = 2) -> None:
    if pred.shape != target.shape:
        raise ValueError(
            f'pred and target must have the same shape, got {tuple(pred.shape)} and '
            f'{tuple(target.shape)}'
        )
    if pred.dim() < min_dim:
        raise ValueError(
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
        raise ValueError(f'expected at least 2 frames on axis -3, got shape {tuple(pred.shape)}')
    return mpjpe(torch.diff(pred, dim=-3), torch.diff(target, dim=-3))


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
        raise ValueError(f'weight of shape {tuple(weight.shape)} does not broadcast to the '
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
