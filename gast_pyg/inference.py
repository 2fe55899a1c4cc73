"""``gast-pyg infer``: detector keypoints of a video to root-relative 3D poses.

:func:`infer` reads the keypoints (:mod:`gast_pyg.keypoints`), loads the package's or the
authors' checkpoint (:func:`load_model`), lifts the whole sequence with the same edge padding as
the evaluation (:func:`lift_sequence`; long videos run in time chunks inside the model, see
:attr:`gast_pyg.models.LiftingModel.chunk_frames`) and writes one ``.npz`` (and optionally a GIF
/ MP4) atomically: every output is written to a temporary file beside its target and renamed
only when everything succeeded, so a failed run leaves no partial file behind.

The ``.npz`` holds:

* ``poses_3d``: ``(T, J, 3)`` float32, root-relative (the skeleton's root at the origin), in
  the unit the checkpoint was trained in (metres for Human3.6M), camera axes (x right, y down,
  z away from the camera);
* ``frame_indices``: ``(T,)`` int64, the video frame of each pose (from the keypoint file);
* ``keypoints_2d``: ``(T, J, 2)`` float32, the 2D input in pixels after conversion and gap
  filling; ``interpolated``: ``(T, J)`` bool, the points that were filled in;
* ``joint_names``: ``(J,)`` str; ``options``: a JSON string of the options used.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Dict, Optional, Union

import numpy as np

from gast_pyg.checkpoints import load_any_checkpoint
from gast_pyg.files import check_output_targets, staged_outputs
from gast_pyg.keypoints import prepare_keypoints
from gast_pyg.lifting import lift_sequence
from gast_pyg.models.base import LiftingModel
from gast_pyg.nn import fold_batch_norms
from gast_pyg.skeleton import Skeleton

__all__ = ['load_model', 'infer']

PathLike = Union[str, os.PathLike]
RENDER_SUFFIXES = ('.gif', '.mp4')


def load_model(checkpoint: PathLike, skeleton: Union[str, Skeleton, None] = None,
               causal: bool = False) -> LiftingModel:
    """The model of either kind of checkpoint, in eval mode: see
    :func:`~gast_pyg.checkpoints.load_any_checkpoint`."""
    return load_any_checkpoint(checkpoint, skeleton=skeleton, causal=causal)[0]


def _check_render_target(render: Optional[PathLike]) -> None:
    if render is None:
        return
    suffix = Path(render).suffix.lower()
    if suffix not in RENDER_SUFFIXES:
        raise ValueError(f"{render}: --render must end with .gif or .mp4")
    from gast_pyg.visualization import check_writer
    check_writer(suffix)


def infer(
    keypoints: PathLike,
    checkpoint: PathLike,
    output: PathLike,
    *,
    skeleton: Optional[str] = None,
    layout: str = 'coco',
    width: Optional[float] = None,
    height: Optional[float] = None,
    causal: bool = False,
    score_threshold: float = 0.3,
    max_missing: float = 0.5,
    max_gap: Optional[int] = None,
    flip: bool = False,
    render: Optional[PathLike] = None,
    fps: float = 25.0,
    progress: bool = False,
) -> Dict[str, Any]:
    """Lift the keypoints of one video and write ``output`` (``.npz``, contents in the module
    docstring) and, with ``render``, an animation of the 3D skeleton beside the 2D input (GIF,
    or MP4 when matplotlib has an ffmpeg writer; ``progress`` shows a progress bar while it is
    drawn). Nothing is written unless everything succeeds; every output is checked before any
    work starts (:func:`~gast_pyg.files.check_output_targets`).

    Returns a summary: ``poses_3d``, ``frame_indices``, ``options`` and the prepared keypoints.
    Raises :class:`~gast_pyg.keypoints.KeypointError` /
    :class:`~gast_pyg.checkpoints.CheckpointError` (both :class:`ValueError`) on bad input.
    """
    output = Path(output)
    if output.suffix.lower() != '.npz':
        raise ValueError(f"{output}: --output must end with .npz")
    _check_render_target(render)
    check_output_targets([output] + ([Path(render)] if render is not None else []),
                         inputs=[keypoints, checkpoint])
    model = fold_batch_norms(load_model(checkpoint, skeleton=skeleton, causal=causal))
    prepared = prepare_keypoints(keypoints, model.skeleton, layout=layout, width=width,
                                 height=height, score_threshold=score_threshold,
                                 max_missing=max_missing, max_gap=max_gap)
    poses = lift_sequence(model, prepared.normalized, prepared.scores, flip=flip)
    options = dict(
        keypoints=str(keypoints), checkpoint=str(checkpoint), skeleton=model.skeleton.name,
        layout=layout, image_size=list(prepared.image_size),
        image_size_estimated=prepared.image_size_estimated, score_threshold=score_threshold,
        max_missing=max_missing, max_gap=max_gap, flip=flip, causal=model.causal,
        receptive_field=model.receptive_field, arch=model.arch, units='checkpoint units '
        '(metres for Human3.6M)', root_joint=model.skeleton.joint_names[model.skeleton.root])
    with staged_outputs() as staging:
        tmp = staging.stage(output)
        with open(tmp, 'wb') as file:
            np.savez(file, poses_3d=poses, frame_indices=prepared.frame_indices,
                     keypoints_2d=prepared.pixels, interpolated=prepared.interpolated,
                     joint_names=np.array(model.skeleton.joint_names),
                     options=np.array(json.dumps(options)))
        if render is not None:
            from gast_pyg.visualization import render_animation
            render_animation(staging.stage(render), prepared.pixels, poses, model.skeleton,
                             image_size=prepared.image_size, frame_indices=prepared.frame_indices,
                             fps=fps, progress=progress)
    return dict(poses_3d=poses, frame_indices=prepared.frame_indices, options=options,
                prepared=prepared)
