"""Lifting one whole 2D sequence to 3D: the single function inference, evaluation, the attention
figures and the command line share."""
from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from gast_pyg.data.windows import flip_average, sequence_inputs
from gast_pyg.models.base import LiftingModel
from gast_pyg.skeleton import Skeleton
from gast_pyg.validation import check_finite, check_real

__all__ = ['model_device_and_dtype', 'lift_sequence']


def model_device_and_dtype(model: torch.nn.Module) -> tuple[torch.device, torch.dtype]:
    """Where the model's parameters live and their floating-point type (CPU float32 for a
    model without parameters)."""
    parameter = next(model.parameters(), None)
    if parameter is None:
        return torch.device('cpu'), torch.float32
    return parameter.device, parameter.dtype


def lift_sequence(model: LiftingModel, keypoints_2d: np.ndarray,
                  scores: Optional[np.ndarray] = None, *, flip: bool = False,
                  skeleton: Optional[Skeleton] = None, root_relative: bool = True
                  ) -> np.ndarray:
    """3D poses ``(frames, joints, 3)`` float32 of a whole normalised 2D sequence
    ``(frames, joints, 2)``.

    The sequence is edge-padded as in the evaluation (:func:`~gast_pyg.data.sequence_inputs`:
    output frame ``t`` belongs to input frame ``t``; causal models are padded on the left only),
    moved to the model's device and dtype and lifted in one call (chunked in time inside the
    model), optionally averaged with the prediction on the mirrored input (``flip``). The model
    is switched to eval mode. ``scores`` ``(frames, joints)`` are appended as a third input
    channel for models with ``in_features == 3``. With ``root_relative`` the skeleton's root is
    subtracted from every joint (inference); without, the raw output is returned (evaluation
    scores it as the reference code does).
    """
    check_real(keypoints_2d, 'keypoints')
    x = np.asarray(keypoints_2d, dtype=np.float32)
    if model.in_features == 3:
        if scores is None:
            raise ValueError("the model takes scores as a third input channel; pass scores")
        x = np.concatenate([x, np.asarray(scores, dtype=np.float32)[..., None]], axis=-1)
    elif model.in_features != 2:
        raise ValueError(f"models with in_features={model.in_features} are not supported")
    if x.ndim != 3 or x.shape[1] != model.num_joints:
        raise ValueError(f"expected keypoints (frames, {model.num_joints}, 2), got {x.shape}")
    model.eval()
    device, dtype = model_device_and_dtype(model)
    inputs = sequence_inputs(x, model.receptive_field, model.causal).to(device=device, dtype=dtype)
    with torch.inference_mode():
        if flip:
            out = flip_average(model, inputs, skeleton if skeleton is not None else model.skeleton)
        else:
            out = model(inputs)
    check_finite([('its output', out)], f'{type(model).__name__} ({model.skeleton.name})')
    poses = out[0].float().cpu().numpy()
    if root_relative:
        root = model.skeleton.root
        poses = poses - poses[:, root:root + 1]
    return poses.astype(np.float32, copy=False)
