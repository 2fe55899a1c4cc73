"""Detections to model input: the joint order of the skeleton, gaps filled, normalised by the
image size.

:func:`prepare_keypoints` reads a file (:func:`~gast_pyg.keypoints.formats.read_keypoints`),
converts COCO-17 to the skeleton's layout (:mod:`~gast_pyg.keypoints.layouts`), fills gaps
(:func:`~gast_pyg.keypoints.gaps.fill_gaps`) and normalises by the image size
(:func:`resolve_image_size`, :func:`gast_pyg.screen.normalize_screen_coordinates`).
"""
from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Optional, Tuple, Union

import numpy as np

from gast_pyg.keypoints.formats import PathLike, read_keypoints
from gast_pyg.keypoints.gaps import fill_gaps, missing_mask
from gast_pyg.keypoints.layouts import COCO_JOINTS, coco_to_h36m, coco_to_humaneva
from gast_pyg.keypoints.sequence import (KeypointError, KeypointSequence, KeypointWarning,
                                         checked_image_size)
from gast_pyg.screen import normalize_screen_coordinates
from gast_pyg.skeleton import Skeleton

__all__ = ['PreparedKeypoints', 'resolve_image_size', 'prepare_keypoints']

# Common video frame sizes, smallest first, tried when the image size has to be estimated.
_STANDARD_SIZES = ((640, 360), (640, 480), (854, 480), (960, 540), (1024, 576), (1280, 720),
                   (1920, 1080), (2560, 1440), (3840, 2160))


@dataclass
class PreparedKeypoints:
    """Model input made from detections (:func:`prepare_keypoints`).

    Attributes:
        normalized: ``(T, J, 2)`` float32 screen coordinates in the skeleton's joint order.
        pixels: ``(T, J, 2)`` float32 pixels after gap filling (for drawing).
        scores: ``(T, J)`` float32 confidences in the skeleton's joint order (before filling).
        interpolated: ``(T, J)`` bool, the points filled by interpolation.
        frame_indices: ``(T,)`` int64 video frame numbers.
        image_size: ``(width, height)`` used for the normalisation.
        image_size_estimated: The size was estimated from the detections.
        skeleton: The layout of :attr:`normalized`.
    """

    normalized: np.ndarray
    pixels: np.ndarray
    scores: np.ndarray
    interpolated: np.ndarray
    frame_indices: np.ndarray
    image_size: Tuple[int, int]
    image_size_estimated: bool
    skeleton: Skeleton


def resolve_image_size(keypoints: KeypointSequence, width: Optional[float] = None,
                       height: Optional[float] = None) -> Tuple[Tuple[int, int], bool]:
    """``((width, height), estimated)``: the given size, else the file's, else an estimate
    from the detections' extent (the smallest common video size that holds every point, else
    the extent rounded up), announced by a :class:`KeypointWarning`."""
    if (width is None) != (height is None):
        raise KeypointError("give both --width and --height, or neither")
    if width is not None:
        size = checked_image_size(width, height, 'image size')
        extent = np.nanmax(np.where(np.isfinite(keypoints.xy), keypoints.xy, np.nan),
                           axis=tuple(range(keypoints.xy.ndim - 1))) if np.isfinite(
            keypoints.xy).any() else None
        if extent is not None and (extent[0] > size[0] or extent[1] > size[1]):
            warnings.warn(
                f"{keypoints.source}: keypoints reach x={extent[0]:.0f}, y={extent[1]:.0f}, "
                f"outside the given image size {size[0]}x{size[1]}; check --width and --height",
                KeypointWarning, stacklevel=2)
        return size, False
    if keypoints.image_size is not None:
        return keypoints.image_size, False
    x = keypoints.xy[..., 0][np.isfinite(keypoints.xy[..., 0])]
    y = keypoints.xy[..., 1][np.isfinite(keypoints.xy[..., 1])]
    if x.size == 0:
        raise KeypointError(f"{keypoints.source}: no usable keypoints to estimate the image size")
    extent_x, extent_y = float(x.max()), float(y.max())
    candidates = [s for w, h in _STANDARD_SIZES for s in ((w, h), (h, w))
                  if s[0] >= extent_x and s[1] >= extent_y]
    if candidates:
        size = min(candidates, key=lambda s: s[0] * s[1])
    else:
        size = (max(1, math.ceil(extent_x)), max(1, math.ceil(extent_y)))
    warnings.warn(
        f"{keypoints.source}: the image size is not known; using {size[0]}x{size[1]}, estimated "
        f"from the detections (which reach x={extent_x:.0f}, y={extent_y:.0f}). Pass --width and "
        f"--height: the normalisation, hence the 3D scale, depends on it", KeypointWarning,
        stacklevel=2)
    return size, True


def prepare_keypoints(
    keypoints: Union[PathLike, KeypointSequence],
    skeleton: Union[str, Skeleton] = 'h36m',
    layout: str = 'coco',
    width: Optional[float] = None,
    height: Optional[float] = None,
    score_threshold: float = 0.3,
    max_missing: float = 0.5,
    max_gap: Optional[int] = None,
) -> PreparedKeypoints:
    """Read (unless given a :class:`KeypointSequence`), convert to ``skeleton``'s joint order,
    fill gaps and normalise by the image size.

    COCO-17 input (``layout='coco'``) is converted to ``h36m`` (:func:`coco_to_h36m`) or
    ``humaneva`` (:func:`coco_to_humaneva`) or used as is for the bundled ``coco`` skeleton;
    input in another layout must name ``skeleton``'s own. Scores are compared with
    ``score_threshold`` after the conversion. A given image size that the keypoints exceed is
    used, with a :class:`KeypointWarning` stating the extent found.
    """
    skeleton = skeleton if isinstance(skeleton, Skeleton) else Skeleton.load(skeleton)
    sequence = keypoints if isinstance(keypoints, KeypointSequence) else read_keypoints(
        keypoints, layout)
    xy, scores = sequence.xy, sequence.scores
    if sequence.layout == 'coco' and skeleton.joint_names == Skeleton.load('h36m').joint_names:
        xy, scores = coco_to_h36m(xy, scores)
    elif (sequence.layout == 'coco'
          and skeleton.joint_names == Skeleton.load('humaneva').joint_names):
        converted = coco_to_humaneva(np.concatenate([xy, scores[..., None]], axis=-1))
        xy, scores = converted[..., :2], converted[..., 2]
    elif sequence.layout == 'coco' and skeleton.joint_names == COCO_JOINTS:
        pass
    elif (sequence.layout != 'coco'
          and Skeleton.load(sequence.layout).joint_names == skeleton.joint_names):
        pass
    else:
        given = 'COCO-17' if sequence.layout == 'coco' else f"in the '{sequence.layout}' layout"
        raise KeypointError(
            f"{sequence.source}: the keypoints are {given}, but the model's skeleton is "
            f"'{skeleton.name}' ({skeleton.num_joints} joints); COCO-17 converts to 'h36m' "
            f"and 'humaneva' only (or use a 'coco' model, or keypoints already in the "
            f"skeleton's layout)")

    missing = missing_mask(xy, scores, score_threshold)
    filled = fill_gaps(xy, missing, skeleton.joint_names, max_missing, max_gap, sequence.source,
                       sequence.frame_indices)
    (w, h), estimated = resolve_image_size(sequence, width, height)
    normalized = normalize_screen_coordinates(filled, w, h).astype(np.float32)
    return PreparedKeypoints(normalized=normalized, pixels=filled.astype(np.float32),
                             scores=scores.astype(np.float32), interpolated=missing,
                             frame_indices=sequence.frame_indices, image_size=(w, h),
                             image_size_estimated=estimated, skeleton=skeleton)
