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
from torch import Tensor, nn

from gast_pyg.data import action_name, flip_average, sequence_inputs
from gast_pyg.metrics import mpjpe, mpjve, n_mpjpe, p_mpjpe
from gast_pyg.models import TrajectoryModel
from gast_pyg.nn import fold_batch_norms
from gast_pyg.skeleton import Skeleton

__all__ = [
    'METRICS',
    'PROTOCOLS',
    'H36M_ACTIONS',
    'canonical_action',
    'predict_sequence',
    'evaluate',
    'format_table',
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


def _model_skeleton(model: nn.Module, skeleton: Skeleton | None) -> Skeleton:
    skeleton = skeleton if skeleton is not None else getattr(model, 'skeleton', None)
    if skeleton is None:
        raise ValueError('flip averaging needs the skeleton (model.skeleton or skeleton=...)')
    return skeleton


def _device(model: nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device('cpu')


@torch.no_grad()
def predict_sequence(
    model: nn.Module, seq_2d: np.ndarray, flip: bool = True, skeleton: Skeleton | None = None
) -> Tensor:
    """Lift one whole sequence ``(T, J, 2)`` to ``(T, J, 3)`` (float32, CPU).

    The model must be in eval mode (it is not switched here); ``flip`` averages with the
    prediction on the mirrored input. Output frame ``t`` belongs to input frame ``t`` (edge
    padding, causal models padded on the left only).
    """
    inputs = sequence_inputs(seq_2d, model.receptive_field, getattr(model, 'causal', False))
    inputs = inputs.to(_device(model))
    if flip:
        outputs = flip_average(model, inputs, _model_skeleton(model, skeleton))
    else:
        outputs = model(inputs)
    return outputs[0].float().cpu()


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
) -> dict[str, Any]:
    """Per-action errors of ``model`` on every sequence and camera of ``inputs``.

    Each sequence is first downsampled (``[::downsample]``, as VideoPose3D evaluates its
    10 fps models), then lifted whole by a copy with folded batch norms
    (:func:`~gast_pyg.nn.fold_batch_norms`). The model is put in eval mode and left there.

    Returns ``{'actions': {action: {metric: mm, 'frames': n, 'sequences': k}}, 'average':
    {metric: mm}, 'frames': total, 'flip': flip, 'downsample': downsample}``; ``average`` is the
    unweighted mean over actions. ``metrics`` is a subset of :data:`METRICS` (validation uses
    ``('mpjpe',)`` only).

    Raises:
        ValueError: For an unknown metric, an empty input, or a sequence whose 2D and 3D lengths
            or joint counts differ (naming subject, action and camera).
    """
    unknown = sorted(set(metrics) - set(METRICS))
    if unknown:
        raise ValueError(f'unknown metric {unknown[0]!r}; available: {", ".join(METRICS)}')
    if downsample < 1:
        raise ValueError(f'downsample must be >= 1, got {downsample}')
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
        raise ValueError('nothing to evaluate: no sequences selected')
    iterator: Any = sequences
    if progress:
        from tqdm.auto import tqdm
        iterator = tqdm(sequences, desc='evaluate', unit='seq', leave=False, mininterval=5)
    for subject, key, camera, seq_2d, seq_3d in iterator:
        seq_2d, seq_3d = seq_2d[::downsample], seq_3d[::downsample]
        if seq_2d.shape[:2] != seq_3d.shape[:2]:
            raise ValueError(
                f'subject {subject!r}, action {key!r}, camera {camera}: 2D {seq_2d.shape} and '
                f'3D {seq_3d.shape} differ in frames or joints'
            )
        pred = predict_sequence(lifter, seq_2d[..., :2], flip=flip, skeleton=skeleton)
        if isinstance(model, TrajectoryModel):  # camera-space output: compare the pose
            pred = pred - pred[:, model.skeleton.root:model.skeleton.root + 1]
        target = torch.from_numpy(np.ascontiguousarray(seq_3d, dtype=np.float32))
        frames = len(target)
        acc = sums.setdefault(
            canonical_action(key),
            {'frames': 0, 'sequences': 0, 'velocity_frames': 0, **{m: 0.0 for m in metrics}},
        )
        acc['frames'] += frames
        acc['sequences'] += 1
        if 'mpjpe' in metrics:
            acc['mpjpe'] += mpjpe(pred, target).item() * frames
        if 'p_mpjpe' in metrics:
            acc['p_mpjpe'] += p_mpjpe(pred, target).item() * frames
        if 'n_mpjpe' in metrics:
            acc['n_mpjpe'] += n_mpjpe(pred, target).item() * frames
        if 'mpjve' in metrics and frames > 1:
            acc['mpjve'] += mpjve(pred, target).item() * (frames - 1)
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
        actions[name] = row
    average = {
        metric: float(np.nanmean([row[metric] for row in actions.values()])) for metric in metrics
    }
    return {
        'actions': actions,
        'average': average,
        'frames': sum(row['frames'] for row in actions.values()),
        'flip': flip,
        'downsample': downsample,
    }


def format_table(results: Mapping[str, Any], title: str | None = None) -> str:
    """A Markdown table laid out like Table 2 of the paper: one row per protocol
    (:data:`PROTOCOLS`), one column per action (paper order and abbreviations) and ``Avg``."""
    actions = results['actions']
    names = list(actions)
    metrics = [m for m in METRICS if m in results['average']]
    header = ['Protocol', *(H36M_ACTIONS.get(name, name) for name in names), 'Avg']
    lines = [] if title is None else [title, '']
    lines.append('| ' + ' | '.join(header) + ' |')
    lines.append('|' + '|'.join(['---'] + ['---:'] * (len(header) - 1)) + '|')
    for metric in metrics:
        cells = [f'{actions[name][metric]:.1f}' for name in names]
        lines.append(
            f'| {PROTOCOLS[metric]} | ' + ' | '.join(cells)
            + f' | **{results["average"][metric]:.1f}** |'
        )
    return '\n'.join(lines)
