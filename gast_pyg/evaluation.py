"""Evaluation: per-action MPJPE (P1), P-MPJPE (P2), N-MPJPE and MPJVE, and the paper's table.

Inputs and targets are nested dicts ``{subject: {action: [per camera array]}}`` as built by
:mod:`gast_pyg.data` (normalised 2D ``(T, J, 2)``, root-relative camera-space 3D ``(T, J, 3)`` in
metres). Every sequence is lifted whole (edge-padded, :func:`~gast_pyg.data.sequence_inputs`), by
default averaged with the prediction on its mirror image (:func:`~gast_pyg.data.flip_average`).

Errors are accumulated per action, sub-actions merged (``'Walking 1'`` and ``'Walking 2'`` are
``'Walking'``, over all subjects and cameras), as frame-weighted means; the average is the plain
mean over actions, as in VideoPose3D and GAST-Net. Results are in millimetres; MPJVE is in
millimetres per frame of the evaluated sequence (``50 / downsample`` Hz for Human3.6M).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from gast_pyg.data import DataError, action_name
from gast_pyg.errors import GastPygError
from gast_pyg.lifting import lift_sequence
from gast_pyg.metrics import mpjpe, mpjve, n_mpjpe, p_mpjpe
from gast_pyg.models import TrajectoryModel
from gast_pyg.nn import fold_batch_norms
from gast_pyg.skeleton import Skeleton

__all__ = [
    'METRICS',
    'PROTOCOLS',
    'H36M_ACTIONS',
    'canonical_action',
    'evaluate',
    'format_table',
    'format_per_joint_table',
]

#: Metric keys of :func:`evaluate`, in table order.
METRICS = ('mpjpe', 'p_mpjpe', 'n_mpjpe', 'mpjve')
#: Row labels of :func:`format_table`.
PROTOCOLS = {
    'mpjpe': 'P1: MPJPE (mm)',
    'p_mpjpe': 'P2: P-MPJPE (mm)',
    'n_mpjpe': 'N-MPJPE (mm)',
    'mpjve': 'MPJVE (mm/frame)',
}
#: The 15 Human3.6M actions in the column order of the paper's Table 2, with its abbreviations.
H36M_ACTIONS = {
    'Directions': 'Dir.', 'Discussion': 'Disc.', 'Eating': 'Eat', 'Greeting': 'Greet',
    'Phoning': 'Phone', 'Photo': 'Photo', 'Posing': 'Pose', 'Purchases': 'Purch.',
    'Sitting': 'Sit', 'SittingDown': 'SitD.', 'Smoking': 'Smoke', 'Waiting': 'Wait',
    'WalkDog': 'WalkD.', 'Walking': 'Walk', 'WalkTogether': 'WalkT.',
}
# Other spellings of the same actions (VideoPose3D's S1 keys, the original release).
_ALIASES = {'TakingPhoto': 'Photo', 'WalkingDog': 'WalkDog', 'WalkingTogether': 'WalkTogether'}


def canonical_action(key: str) -> str:
    """The action a sequence key belongs to: sub-action number dropped, aliases unified
    (``'TakingPhoto 1' -> 'Photo'``, ``'WalkingDog 2' -> 'WalkDog'``)."""
    name = action_name(key)
    return _ALIASES.get(name, name)


def _action_order(names: Sequence[str]) -> list[str]:
    known = [name for name in H36M_ACTIONS if name in names]
    return known + sorted(name for name in names if name not in H36M_ACTIONS)


def evaluate(
    model: nn.Module,
    inputs: Mapping[str, Mapping[str, Sequence[np.ndarray]]],
    targets: Mapping[str, Mapping[str, Sequence[np.ndarray]]],
    *,
    downsample: int = 1,
    flip: bool = True,
    metrics: Sequence[str] = METRICS,
    skeleton: Skeleton | None = None,
    progress: bool = False,
    precision: str = 'float32',
    per_joint: bool = False,
) -> dict[str, Any]:
    """Per-action errors of ``model`` on every sequence and camera of ``inputs``.

    Each sequence is first downsampled (``[::downsample]``, as VideoPose3D evaluates its
    10 fps models), then lifted whole by a copy with folded batch norms
    (:func:`~gast_pyg.nn.fold_batch_norms`) in ``precision`` (:data:`~gast_pyg.lifting.PRECISIONS`).
    The model is put in eval mode and left there.

    Returns ``{'actions': {action: {metric: mm, 'frames': n, 'sequences': k}}, 'average':
    {metric: mm}, 'frames': total, 'flip': flip, 'downsample': downsample, 'precision':
    precision}``; ``average`` is the unweighted mean over actions. ``metrics`` is a subset of
    :data:`METRICS` (validation uses ``('mpjpe',)`` only).

    With ``per_joint``, the result also holds the P1 error of every joint (names from the
    skeleton, ``model.skeleton`` or ``skeleton``): ``actions[action]['per_joint']`` and, the
    unweighted mean over actions, ``'per_joint': {joint_name: mm}``.

    Raises:
        GastPygError: For an unknown metric, an empty input, or a sequence whose 2D and 3D lengths
            or joint counts differ (naming subject, action and camera).
    """
    unknown = sorted(set(metrics) - set(METRICS))
    if unknown:
        raise GastPygError(f'unknown metric {unknown[0]!r}; available: {", ".join(METRICS)}')
    if downsample < 1:
        raise GastPygError(f'downsample must be >= 1, got {downsample}')
    model.eval()
    lifter = fold_batch_norms(model)
    sums: dict[str, dict[str, float]] = {}
    sequences = [
        (subject, key, camera, seq_2d, targets[subject][key][camera])
        for subject, actions in inputs.items()
        for key, cameras in actions.items()
        for camera, seq_2d in enumerate(cameras)
    ]
    if not sequences:
        raise GastPygError('nothing to evaluate: no sequences selected')
    _check_lengths(sequences, downsample, getattr(model, 'receptive_field', 1))
    if per_joint:
        names_from = skeleton if skeleton is not None else getattr(model, 'skeleton', None)
        if names_from is None:
            raise GastPygError('per-joint errors need the skeleton (model.skeleton or '
                               'skeleton=...)')
        joint_names = names_from.joint_names
    else:
        joint_names = ()
    iterator: Any = sequences
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(sequences, desc='evaluate', unit='seq', leave=False, mininterval=5,
                        disable=None)  # None: no bar when stderr is not a terminal
    for subject, key, camera, seq_2d, seq_3d in iterator:
        seq_2d, seq_3d = seq_2d[::downsample], seq_3d[::downsample]
        if seq_2d.shape[:2] != seq_3d.shape[:2]:
            raise DataError(
                f'subject {subject!r}, action {key!r}, camera {camera}: 2D {seq_2d.shape} and '
                f'3D {seq_3d.shape} differ in frames or joints'
            )
        if per_joint and seq_3d.shape[1] != len(joint_names):
            raise DataError(f'subject {subject!r}, action {key!r}, camera {camera}: '
                            f'{seq_3d.shape[1]} joints, the skeleton names {len(joint_names)}')
        pred = torch.from_numpy(lift_sequence(lifter, seq_2d[..., :2], flip=flip,
                                              skeleton=skeleton, precision=precision,
                                              # a trajectory model's output is camera-space:
                                              # compare its root-relative pose
                                              root_relative=isinstance(model, TrajectoryModel)))
        target = torch.from_numpy(np.ascontiguousarray(seq_3d, dtype=np.float32))
        frames = len(target)
        acc = sums.setdefault(
            canonical_action(key),
            {'frames': 0, 'sequences': 0, 'velocity_frames': 0, **{m: 0.0 for m in metrics},
             'per_joint': np.zeros(len(joint_names))},
        )
        acc['frames'] += frames
        acc['sequences'] += 1
        if per_joint:
            errors = torch.linalg.vector_norm(pred - target, dim=-1)
            acc['per_joint'] += errors.sum(dim=0).double().numpy()
        errors = {}
        if 'mpjpe' in metrics:
            errors['mpjpe'] = mpjpe(pred, target).item()
        if 'p_mpjpe' in metrics:
            errors['p_mpjpe'] = p_mpjpe(pred, target).item()
        if 'n_mpjpe' in metrics:
            errors['n_mpjpe'] = n_mpjpe(pred, target).item()
        if 'mpjve' in metrics and frames > 1:
            errors['mpjve'] = mpjve(pred, target).item()
        bad = next((metric for metric, value in errors.items() if not np.isfinite(value)), None)
        if bad is not None:
            largest = float(np.abs(seq_3d).max())
            raise GastPygError(f'subject {subject!r}, action {key!r}, camera {camera}: the {bad} '
                             f'error is {errors[bad]} (3D coordinates up to {largest:.3g}): the '
                             'data overflow float32 arithmetic; expected metres (or millimetres)')
        for metric, value in errors.items():
            acc[metric] += value * (frames - 1 if metric == 'mpjve' else frames)
        if 'mpjve' in errors:
            acc['velocity_frames'] += frames - 1

    actions: dict[str, dict[str, float]] = {}
    for name in _action_order(list(sums)):
        acc = sums[name]
        row: dict[str, float] = {}
        for metric in metrics:
            weight = acc['velocity_frames'] if metric == 'mpjve' else acc['frames']
            row[metric] = 1000 * acc[metric] / weight if weight else float('nan')
        row['frames'] = acc['frames']
        row['sequences'] = acc['sequences']
        if per_joint:
            row['per_joint'] = dict(zip(joint_names, (1000 * acc['per_joint'] / acc['frames'])
                                        .tolist()))
        actions[name] = row
    average = {
        metric: float(np.nanmean([row[metric] for row in actions.values()])) for metric in metrics
    }
    results: dict[str, Any] = {
        'actions': actions,
        'average': average,
        'frames': sum(row['frames'] for row in actions.values()),
        'flip': flip,
        'downsample': downsample,
        'precision': precision,
    }
    if per_joint:
        results['per_joint'] = {
            joint: float(np.mean([row['per_joint'][joint] for row in actions.values()]))
            for joint in joint_names
        }
    return results


def _check_lengths(sequences: Sequence[tuple], downsample: int, receptive_field: int) -> None:
    """Raise one :class:`ValueError` for a subject none of whose sequences (after
    ``[::downsample]``) spans the model's receptive field: its poses would be computed from
    edge padding, not from motion."""
    longest: dict[str, int] = {}
    for subject, _, _, seq_2d, _ in sequences:
        frames = len(range(0, len(seq_2d), downsample))
        longest[subject] = max(longest.get(subject, 0), frames)
    for subject, frames in longest.items():
        if frames < receptive_field:
            raise GastPygError(f'subject {subject!r}: its longest sequence has {frames} frame(s) '
                             f'after downsampling by {downsample}, fewer than the receptive field '
                             f'of {receptive_field} frames; evaluate longer sequences or a '
                             'smaller --downsample')


def format_table(results: Mapping[str, Any], title: str | None = None,
                 rows: Mapping[str, str] = PROTOCOLS) -> str:
    """A Markdown table laid out like Table 2 of the paper: one row per metric of ``rows``
    (``{metric: label}``, by default the protocols :data:`PROTOCOLS`) that ``results`` has, one
    column per action (paper order and abbreviations) and ``Avg``."""
    actions = results['actions']
    names = list(actions)
    metrics = [m for m in rows if m in results['average']]
    header = ['Protocol', *(H36M_ACTIONS.get(name, name) for name in names), 'Avg']
    lines = [] if title is None else [title, '']
    lines.append('| ' + ' | '.join(header) + ' |')
    lines.append('|' + '|'.join(['---'] + ['---:'] * (len(header) - 1)) + '|')
    for metric in metrics:
        cells = [f'{actions[name][metric]:.1f}' for name in names]
        lines.append(
            f'| {rows[metric]} | ' + ' | '.join(cells)
            + f' | **{results["average"][metric]:.1f}** |'
        )
    return '\n'.join(lines)


def format_per_joint_table(results: Mapping[str, Any], title: str | None = None) -> str:
    """A Markdown table of the per-joint P1 errors of :func:`evaluate` (``per_joint=True``): one
    row per joint in skeleton order, one column per action and ``Avg`` (the mean over actions).

    Raises:
        GastPygError: When ``results`` has no per-joint errors.
    """
    if 'per_joint' not in results:
        raise GastPygError('no per-joint errors in the results; evaluate with per_joint=True')
    actions = results['actions']
    names = list(actions)
    header = ['Joint', *(H36M_ACTIONS.get(name, name) for name in names), 'Avg']
    lines = [] if title is None else [title, '']
    lines.append('| ' + ' | '.join(header) + ' |')
    lines.append('|' + '|'.join(['---'] + ['---:'] * (len(header) - 1)) + '|')
    for joint, average in results['per_joint'].items():
        cells = [f'{actions[name]["per_joint"][joint]:.1f}' for name in names]
        lines.append(f'| {joint} | ' + ' | '.join(cells) + f' | **{average:.1f}** |')
    return '\n'.join(lines)
