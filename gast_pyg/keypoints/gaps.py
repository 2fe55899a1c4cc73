"""Gap filling: each joint interpolated over time in the frames where it is missing.

:func:`missing_mask` marks the points to fill (no person, NaN, or a score under the threshold);
:func:`fill_gaps` fills them linearly between the nearest present frames of the same joint and
refuses with one :class:`~gast_pyg.keypoints.sequence.KeypointError` when too much is missing.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from gast_pyg.keypoints.sequence import KeypointError

__all__ = ['missing_mask', 'fill_gaps']


def missing_mask(xy: np.ndarray, scores: np.ndarray, score_threshold: float) -> np.ndarray:
    """``(T, J)`` bool: points that are NaN / infinite or scored under ``score_threshold``."""
    return ~np.isfinite(xy).all(-1) | (scores < score_threshold)


def _runs(flags: np.ndarray) -> list:
    """``(start, stop)`` of every run of ``True`` in a 1D bool array."""
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def _frame_ranges(frames: np.ndarray, limit: int = 4) -> str:
    runs = _runs(np.isin(np.arange(frames.max() + 1), frames))
    text = ', '.join(str(a) if b - a == 1 else f'{a}-{b - 1}' for a, b in runs[:limit])
    return text + (', ...' if len(runs) > limit else '')


def fill_gaps(
    xy: np.ndarray,
    missing: np.ndarray,
    joint_names: Sequence[str],
    max_missing: float = 0.5,
    max_gap: Optional[int] = None,
    source: str = 'keypoints',
    frame_indices: Optional[np.ndarray] = None,
) -> np.ndarray:
    """Replace the ``missing`` points ``(T, J)`` of ``xy`` ``(T, J, 2)`` by linear
    interpolation over time between the nearest present frames of the same joint (the first /
    last present value before / after them).

    Raises :class:`KeypointError` when nothing is present, when a joint is missing in more than
    ``max_missing`` (a fraction) of the frames, or in a run longer than ``max_gap`` frames.
    """
    frames, joints = missing.shape
    frame_indices = np.arange(frames) if frame_indices is None else np.asarray(frame_indices)
    if missing.all():
        raise KeypointError(f"{source}: no usable keypoints: every point of all {frames} frames "
                            f"is missing (no person, zero, NaN or under the score threshold)")
    empty = np.flatnonzero(missing.all(1))
    empty_note = (f"; frames {_frame_ranges(frame_indices[empty])} have no usable point at all"
                  if empty.size else '')
    fraction = missing.mean(0)
    worst = int(np.argmax(fraction))
    if fraction[worst] > max_missing:
        raise KeypointError(
            f"{source}: too much is missing to lift: {joint_names[worst]} is missing in "
            f"{int(missing[:, worst].sum())} of {frames} frames ({fraction[worst]:.0%}; the limit "
            f"is {max_missing:.0%}){empty_note}. Relax --max-missing or --score-threshold, or cut "
            f"the video to where the person is visible")
    if max_gap is not None:
        for j in range(joints):
            for start, stop in _runs(missing[:, j]):
                if stop - start > max_gap:
                    raise KeypointError(
                        f"{source}: too much is missing to lift: {joint_names[j]} is missing in "
                        f"{stop - start} consecutive frames ({frame_indices[start]}-"
                        f"{frame_indices[stop - 1]}; the limit is {max_gap}). Relax --max-gap")
    filled = np.array(xy, dtype=np.float64, copy=True)
    t = np.arange(frames)
    for j in range(joints):
        gone = missing[:, j]
        if gone.any():
            for axis in range(filled.shape[-1]):
                filled[gone, j, axis] = np.interp(t[gone], t[~gone], filled[~gone, j, axis])
    return filled
