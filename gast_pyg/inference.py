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

import argparse
import contextlib
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Union

import numpy as np
import torch

from gast_pyg.checkpoints import load_any_checkpoint
from gast_pyg.data.windows import flip_average, sequence_inputs
from gast_pyg.keypoints import PreparedKeypoints, prepare_keypoints
from gast_pyg.models.base import LiftingModel
from gast_pyg.nn import fold_batch_norms
from gast_pyg.skeleton import Skeleton
from gast_pyg.validation import check_real

__all__ = ['load_model', 'lift_sequence', 'infer', 'staged_outputs', 'add_keypoint_arguments',
           'reported_warnings', 'register']

PathLike = Union[str, os.PathLike]
RENDER_SUFFIXES = ('.gif', '.mp4')


# --------------------------------------------------------------------------
# Outputs that appear all at once, or not at all.


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class _Staging:
    def __init__(self) -> None:
        self.pending: List[tuple] = []

    def stage(self, target: PathLike) -> Path:
        """A temporary path beside ``target`` (same suffix), renamed onto it on success."""
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f'.{target.stem}.', suffix=f'.tmp{target.suffix}',
                                   dir=target.parent)
        os.close(fd)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; outputs get the usual mode
        self.pending.append((Path(tmp), target))
        return Path(tmp)


@contextlib.contextmanager
def staged_outputs() -> Iterator[_Staging]:
    """Context manager: ``stage(target)`` hands out temporary paths; when the block finishes
    they are renamed onto their targets, when it raises they are deleted."""
    staging = _Staging()
    try:
        yield staging
        for tmp, target in staging.pending:
            os.replace(tmp, target)
    finally:
        for tmp, _ in staging.pending:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


# --------------------------------------------------------------------------
# Model and lifting.


def load_model(checkpoint: PathLike, skeleton: Union[str, Skeleton, None] = None,
               causal: bool = False) -> LiftingModel:
    """The model of either kind of checkpoint, in eval mode: see
    :func:`~gast_pyg.checkpoints.load_any_checkpoint`."""
    return load_any_checkpoint(checkpoint, skeleton=skeleton, causal=causal)[0]


def lift_sequence(model: LiftingModel, keypoints_2d: np.ndarray,
                  scores: Optional[np.ndarray] = None, flip: bool = False) -> np.ndarray:
    """3D poses ``(T, J, 3)`` float32, root-relative, of a whole normalised 2D sequence
    ``(T, J, 2)``: edge-padded as in the evaluation (:func:`~gast_pyg.data.sequence_inputs`), one
    model call (chunked inside the model), optionally averaged with the mirrored input
    (``flip``). ``scores`` ``(T, J)`` are appended as a third input channel for models with
    ``in_features == 3``."""
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
    inputs = sequence_inputs(x, model.receptive_field, model.causal)
    with torch.inference_mode():
        out = flip_average(model, inputs, model.skeleton) if flip else model(inputs)
    model.check_output(out)
    poses = out[0].numpy()
    root = model.skeleton.root
    return (poses - poses[:, root:root + 1]).astype(np.float32)


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
) -> Dict[str, Any]:
    """Lift the keypoints of one video and write ``output`` (``.npz``, contents in the module
    docstring) and, with ``render``, an animation of the 3D skeleton beside the 2D input (GIF,
    or MP4 when matplotlib has an ffmpeg writer). Nothing is written unless everything succeeds.

    Returns a summary: ``poses_3d``, ``frame_indices``, ``options`` and the prepared keypoints.
    Raises :class:`~gast_pyg.keypoints.KeypointError` /
    :class:`~gast_pyg.checkpoints.CheckpointError` (both :class:`ValueError`) on bad input.
    """
    output = Path(output)
    if output.suffix.lower() != '.npz':
        raise ValueError(f"{output}: --output must end with .npz")
    _check_render_target(render)
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
            file.flush()
            os.fsync(file.fileno())
        if render is not None:
            from gast_pyg.visualization import render_animation
            render_animation(staging.stage(render), prepared.pixels, poses, model.skeleton,
                             image_size=prepared.image_size, frame_indices=prepared.frame_indices,
                             fps=fps)
    return dict(poses_3d=poses, frame_indices=prepared.frame_indices, options=options,
                prepared=prepared)


# --------------------------------------------------------------------------
# Command line.


def add_keypoint_arguments(parser: argparse.ArgumentParser) -> None:
    """The options shared by every command that reads detector keypoints."""
    parser.add_argument('--keypoints', required=True, metavar='FILE',
                        help='2D keypoints: .json (HRNet/GAST-Net demo layout) or .npy/.npz '
                             '(frames, 17, 2|3)')
    parser.add_argument('--checkpoint', required=True, metavar='CKPT',
                        help="a gast-pyg checkpoint or an authors' .bin")
    parser.add_argument('--skeleton', default=None,
                        help="skeleton of an authors' checkpoint (default: by joint count); "
                             "for gast-pyg checkpoints a check")
    parser.add_argument('--causal', action='store_true',
                        help="the authors' checkpoint is a causal model")
    parser.add_argument('--layout', default='coco',
                        help="joint layout of the keypoints: coco (default; converted to h36m) "
                             "or the model skeleton's name")
    parser.add_argument('--width', type=float, default=None, help='image width in pixels')
    parser.add_argument('--height', type=float, default=None, help='image height in pixels')
    parser.add_argument('--score-threshold', type=float, default=0.3,
                        help='points scored below this are interpolated (default 0.3)')
    parser.add_argument('--max-missing', type=float, default=0.5,
                        help='refuse when a joint is missing in more than this fraction of the '
                             'frames (default 0.5)')
    parser.add_argument('--max-gap', type=int, default=None,
                        help='refuse when a joint is missing in more consecutive frames')


@contextlib.contextmanager
def reported_warnings(command: str) -> Iterator[None]:
    """Print warnings raised inside the block as ``gast-pyg COMMAND: warning: ...``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        try:
            yield
        finally:
            for warning in caught:
                print(f'gast-pyg {command}: warning: {warning.message}', file=sys.stderr)


def register(subparsers: argparse._SubParsersAction) -> None:
    """``gast-pyg infer``."""
    parser = subparsers.add_parser(
        'infer', help='lift the 2D keypoints of a video to 3D poses',
        description='Lift detector keypoints (COCO-17 JSON or arrays) to root-relative 3D poses '
                    'with a gast-pyg or an authors\' checkpoint and write them to an .npz '
                    '(optionally an animation). No output is left behind when a run fails.')
    add_keypoint_arguments(parser)
    parser.add_argument('--output', required=True, metavar='OUT.npz', help='the .npz to write')
    parser.add_argument('--render', default=None, metavar='OUT.gif|OUT.mp4',
                        help='also write an animation of the 3D skeleton beside the 2D input '
                             '(needs the viz extra)')
    parser.add_argument('--fps', type=float, default=25.0, help='animation frame rate')
    parser.add_argument('--flip', action='store_true',
                        help='average with the prediction on the mirrored input')
    parser.set_defaults(run=_run)


def _run(args: argparse.Namespace) -> int:
    with reported_warnings('infer'):
        result = infer(args.keypoints, args.checkpoint, args.output, skeleton=args.skeleton,
                       layout=args.layout, width=args.width, height=args.height,
                       causal=args.causal, score_threshold=args.score_threshold,
                       max_missing=args.max_missing, max_gap=args.max_gap, flip=args.flip,
                       render=args.render, fps=args.fps)
    prepared: PreparedKeypoints = result['prepared']
    options = result['options']
    width, height = prepared.image_size
    print(f"{args.output}: {len(result['frame_indices'])} frames x {prepared.skeleton.num_joints} "
          f"joints ({options['skeleton']}, receptive field {options['receptive_field']}, "
          f"causal={options['causal']}); image {width}x{height}"
          f"{' (estimated)' if prepared.image_size_estimated else ''}; "
          f"{int(prepared.interpolated.sum())} points interpolated")
    if args.render:
        print(f'{args.render}: animation written')
    return 0

