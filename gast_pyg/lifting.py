"""Lifting 2D keypoints to 3D: :func:`lift_sequence` (one whole sequence, what inference,
evaluation and the command line use) and :func:`lift_batch` (a batch of already padded inputs:
the one model call behind it, also used by the attention figures and the export check)."""
from __future__ import annotations

import functools
from typing import Optional

import numpy as np
import torch

from gast_pyg.data.windows import flip_average, sequence_inputs
from gast_pyg.errors import GastPygError
from gast_pyg.models.base import LiftingModel
from gast_pyg.skeleton import Skeleton
from gast_pyg.validation import check_finite, check_real

__all__ = ['PRECISIONS', 'model_device_and_dtype', 'lift_batch', 'lift_sequence']

#: The arithmetic :func:`lift_batch` offers: the model's own dtype, or its matrix products and
#: convolutions under ``torch.autocast`` in bfloat16 (inference only; speed and accuracy on CPUs
#: with AMX: docs/performance-notes.md).
PRECISIONS = ('float32', 'bfloat16')


def model_device_and_dtype(model: torch.nn.Module) -> tuple[torch.device, torch.dtype]:
    """Where the model's parameters live and their floating-point type (CPU float32 for a
    model without parameters)."""
    parameter = next(model.parameters(), None)
    if parameter is None:
        return torch.device('cpu'), torch.float32
    return parameter.device, parameter.dtype


def lift_batch(model: LiftingModel, inputs: torch.Tensor, precision: str = 'float32'
               ) -> torch.Tensor:
    """3D poses ``(batch, frames - receptive_field + 1, joints, 3)`` of padded inputs ``(batch,
    frames >= receptive_field, joints, in_features)``, on the model's device and in its dtype.

    The inputs are moved to the model's device and dtype; the model is switched to eval mode and
    run once without autograd (long inputs in time chunks inside the model; windows of exactly
    the receptive field in the strided form), under ``torch.autocast`` in bfloat16 when
    ``precision`` is ``'bfloat16'`` (:data:`PRECISIONS`). A non-finite output is refused.
    """
    if precision not in PRECISIONS:
        raise GastPygError(f"precision: expected one of {', '.join(PRECISIONS)}, got {precision!r}")
    model.eval()
    device, dtype = model_device_and_dtype(model)
    with torch.inference_mode(), torch.autocast(device.type, dtype=torch.bfloat16,
                                                enabled=precision == 'bfloat16'):
        out = model(inputs.to(device=device, dtype=dtype)).to(dtype)
    check_finite([('its output', out)], f'{type(model).__name__} ({model.skeleton.name})')
    return out


def lift_sequence(model: LiftingModel, keypoints_2d: np.ndarray,
                  scores: Optional[np.ndarray] = None, *, flip: bool = False,
                  skeleton: Optional[Skeleton] = None, root_relative: bool = True,
                  precision: str = 'float32') -> np.ndarray:
    """3D poses ``(frames, joints, 3)`` float32 of a whole normalised 2D sequence
    ``(frames, joints, 2)``.

    The sequence is edge-padded as in the evaluation (:func:`~gast_pyg.data.sequence_inputs`:
    output frame ``t`` belongs to input frame ``t``; causal models are padded on the left only)
    and lifted by :func:`lift_batch` in ``precision``, optionally averaged with the prediction
    on the mirrored input (``flip``, one call on both). ``scores`` ``(frames, joints)`` are
    appended as a third input channel for models with ``in_features == 3``. With
    ``root_relative`` the skeleton's root is subtracted from every joint (inference); without,
    the raw output is returned (evaluation scores it as the reference code does).
    """
    check_real(keypoints_2d, 'keypoints')
    x = np.asarray(keypoints_2d, dtype=np.float32)
    if model.in_features == 3:
        if scores is None:
            raise GastPygError("the model takes scores as a third input channel; pass scores")
        x = np.concatenate([x, np.asarray(scores, dtype=np.float32)[..., None]], axis=-1)
    elif model.in_features != 2:
        raise GastPygError(f"models with in_features={model.in_features} are not supported")
    if x.ndim != 3 or x.shape[1] != model.num_joints:
        raise GastPygError(f"expected keypoints (frames, {model.num_joints}, 2), got {x.shape}")
    inputs = sequence_inputs(x, model.receptive_field, model.causal)
    if flip:
        out = flip_average(functools.partial(lift_batch, model, precision=precision), inputs,
                           skeleton if skeleton is not None else model.skeleton)
    else:
        out = lift_batch(model, inputs, precision)
    poses = out[0].float().cpu().numpy()
    if root_relative:
        root = model.skeleton.root
        poses = poses - poses[:, root:root + 1]
    return poses.astype(np.float32, copy=False)
