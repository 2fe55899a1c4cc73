"""Trajectory models: root-relative poses plus the root's camera-space position.

A :class:`TrajectoryModel` outputs *absolute* camera-space joints, ``poses - poses[root] +
root_position``, so it keeps the contract of every
:class:`~gast_pyg.models.base.LiftingModel` (``(batch, frames, joints, 2) -> (batch, frames',
joints, 3)``), and chunked inference, the strided / dilated forms, causal padding and flip
averaging (which negates x of every joint, the root's included) apply unchanged. Subtracting the
root joint gives back the root-relative poses.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

import torch
from torch import Tensor

from gast_pyg.models.base import LiftingModel, ModelError
from gast_pyg.nn import Pointwise

__all__ = ['TrajectoryModel', 'TRAJECTORY_DESIGNS', 'H36M_FOCAL_LENGTH']

#: ``'shared'``: one backbone, a pose head and a root head on its features. ``'separate'``:
#: VideoPose3D's way, a second backbone of the same configuration with a one-joint head.
TRAJECTORY_DESIGNS = ('shared', 'separate')

#: Mean focal length of the four Human3.6M cameras in normalised screen units (``2 f / w``,
#: about 1147 px at 1000 px width: a horizontal field of view of 47.1 degrees).
H36M_FOCAL_LENGTH = 2.2936


class TrajectoryModel(LiftingModel):
    r"""A lifting model whose output also places the root in camera space.

    Shapes: ``(batch, frames, joints, in_features) -> (batch, frames - receptive_field + 1,
    joints, 3)``, camera-space joints in the units of the training targets (metres); joint
    ``skeleton.root`` is the predicted root position.

    Args:
        pose (LiftingModel): The pose model; its backbone feeds the root head in the
            ``'shared'`` design.
        root_backbone (LiftingModel, optional): For the ``'separate'`` design, a second model
            of the same configuration whose :meth:`~LiftingModel.features` feed the root head
            (its own output layer is dropped).
        focal_length (float): Normalised focal length (``2 f_px / width``) of the cameras the
            root was trained with; depth predictions hold for cameras of that focal length and
            scale with it (see :func:`gast_pyg.camera_space.camera_space_poses`).
    """

    def __init__(self, pose: LiftingModel, root_backbone: Optional[LiftingModel] = None,
                 focal_length: float = H36M_FOCAL_LENGTH):
        super().__init__(pose.skeleton, pose.filter_widths, pose.causal, pose.dropout,
                         pose.in_features)
        if not focal_length > 0:
            raise ModelError(f"focal_length must be > 0, got {focal_length}")
        self.arch = pose.arch
        self.pose = pose
        self.root_backbone = root_backbone
        if root_backbone is not None:
            if root_backbone.config != pose.config:
                raise ModelError("the root backbone must have the pose model's configuration")
            root_backbone.shrink = None  # only its features are used
        self.design = 'shared' if root_backbone is None else 'separate'
        self.focal_length = float(focal_length)
        features = pose if root_backbone is None else root_backbone
        self.root_head = Pointwise(features.feature_size, 3, bias=True)

    @property
    def channels(self) -> int:
        """The width of the pose model."""
        return self.pose.channels

    @property
    def config(self) -> Dict[str, Any]:
        return dict(self.pose.config, trajectory=self.design,
                    trajectory_focal_length=self.focal_length)

    @torch.no_grad()
    def init_root(self, mean_position: Tensor) -> None:
        """Start the root head at ``mean_position`` ``(3,)`` (e.g. the mean training root):
        zero weights, bias = the mean, so training begins at the baseline instead of the camera
        centre."""
        self.root_head.weight.zero_()
        bias = self.root_head.bias
        bias.copy_(torch.as_tensor(mean_position, dtype=bias.dtype, device=bias.device))

    def lift(self, x: Tensor) -> Tensor:
        features = self.pose.features(x)
        poses = self.pose.poses(features)
        if self.root_backbone is not None:
            features = self.root_backbone.features(x)
        root = self.root_head(features.flatten(-2).unsqueeze(-2))
        r = self.skeleton.root
        return poses - poses[..., r:r + 1, :] + root

    def extra_repr(self) -> str:
        return f'design={self.design}, focal_length={self.focal_length:g}'
