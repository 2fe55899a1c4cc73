"""``build_model``: one entry point for every architecture and configuration."""
from __future__ import annotations

import os
from typing import Any, Mapping, Optional, Sequence, Union

from gast_pyg.models.base import LiftingModel, ModelError
from gast_pyg.models.gastnet import GASTNet
from gast_pyg.models.tcn import TemporalConvNet
from gast_pyg.models.trajectory import H36M_FOCAL_LENGTH, TRAJECTORY_DESIGNS, TrajectoryModel
from gast_pyg.skeleton import Skeleton

SkeletonLike = Union[str, os.PathLike, Skeleton, Mapping[str, Any]]

ARCHITECTURES = {'gast': GASTNet, 'tcn': TemporalConvNet}
# Paper configurations: receptive field -> temporal filter widths.
FILTER_WIDTHS = {9: [3, 3], 27: [3, 3, 3], 81: [3, 3, 3, 3], 243: [3, 3, 3, 3, 3]}


def resolve_skeleton(skeleton: SkeletonLike) -> Skeleton:
    """A :class:`Skeleton` from a bundled name, a YAML path, a mapping (as
    stored in checkpoints) or a :class:`Skeleton`."""
    if isinstance(skeleton, Skeleton):
        return skeleton
    if isinstance(skeleton, Mapping):
        return Skeleton.from_dict(dict(skeleton), source='<checkpoint config>')
    return Skeleton.load(skeleton)


def build_model(
    skeleton: SkeletonLike = 'h36m',
    receptive_field: Optional[int] = None,
    filter_widths: Optional[Sequence[int]] = None,
    channels: Optional[int] = None,
    causal: bool = False,
    dropout: Optional[float] = None,
    arch: str = 'gast',
    trajectory: Optional[str] = None,
    trajectory_focal_length: Optional[float] = None,
    **kwargs: Any,
) -> LiftingModel:
    """Build a lifting model for ``skeleton`` with ``receptive_field`` frames
    (9, 27, 81 or 243: filter widths ``[3] * n``) or explicit
    ``filter_widths`` (default: 27 frames).

    ``arch='gast'`` builds :class:`GASTNet` (defaults: 128 channels, dropout
    0.05; further keyword arguments: ``heads``, ``in_features`` and the
    ablation switches ``local_connection``, ``local_symmetry``,
    ``global_attention``, ``adaptive_matrix``); ``arch='tcn'`` the VideoPose3D
    baseline :class:`TemporalConvNet` (defaults: 1024 channels, dropout 0.25).

    ``trajectory='shared'`` or ``'separate'`` wraps it in a
    :class:`~gast_pyg.models.trajectory.TrajectoryModel` that also predicts the
    root's camera-space position (from the pose backbone's features, or from a
    second backbone of the same configuration);
    ``trajectory_focal_length`` is the normalised focal length of its training
    cameras (default: Human3.6M's).
    """
    if arch not in ARCHITECTURES:
        raise ModelError(f"unknown arch {arch!r}; available: {sorted(ARCHITECTURES)}")
    model_class = ARCHITECTURES[arch]
    if filter_widths is not None and receptive_field is not None:
        raise ModelError("give receptive_field or filter_widths, not both")
    if filter_widths is None:
        receptive_field = 27 if receptive_field is None else receptive_field
        if receptive_field not in FILTER_WIDTHS:
            raise ModelError(f"receptive_field must be one of {sorted(FILTER_WIDTHS)} "
                             f"(or give filter_widths), got {receptive_field}")
        filter_widths = FILTER_WIDTHS[receptive_field]
    if channels is not None:
        kwargs['channels'] = channels
    if dropout is not None:
        kwargs['dropout'] = dropout
    if trajectory is not None and trajectory not in TRAJECTORY_DESIGNS:
        raise ModelError(f"unknown trajectory design {trajectory!r}; available: "
                         f"{', '.join(TRAJECTORY_DESIGNS)} (or None for poses only)")
    if trajectory is None and trajectory_focal_length is not None:
        raise ModelError("trajectory_focal_length needs trajectory='shared' or 'separate'")
    skeleton = resolve_skeleton(skeleton)
    model = model_class(skeleton, filter_widths, causal=causal, **kwargs)
    if trajectory is None:
        return model
    root_backbone = None
    if trajectory == 'separate':
        root_backbone = model_class(skeleton, filter_widths, causal=causal, **kwargs)
    focal_length = H36M_FOCAL_LENGTH if trajectory_focal_length is None else trajectory_focal_length
    return TrajectoryModel(model, root_backbone, focal_length)
