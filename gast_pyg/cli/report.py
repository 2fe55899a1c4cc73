"""The final evaluation of ``gast-pyg train``, ``gast-pyg evaluate`` and ``benchmarks/h36m.py``:
the per-action table on the test subjects (and, for a trajectory model, the camera-space table),
printed and optionally written as JSON."""
from __future__ import annotations

import json
import time
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Optional, Union

from gast_pyg.camera_space import evaluate_trajectory
from gast_pyg.checkpoints import CheckpointError
from gast_pyg.configs import EvaluationConfig
from gast_pyg.data.pipeline import PoseData
from gast_pyg.evaluation import evaluate, format_per_joint_table, format_table
from gast_pyg.files import write_bytes
from gast_pyg.models import TrajectoryModel
from gast_pyg.models.base import LiftingModel

PathLike = Union[str, os.PathLike]

#: Row labels of the trajectory table, the metrics of
#: :data:`~gast_pyg.camera_space.TRAJECTORY_METRICS`.
TRAJECTORY_ROWS = {
    'root_mm': 'Root position (mm)',
    'absolute_mpjpe_mm': 'Absolute MPJPE (mm)',
    'baseline_root_mm': 'Baseline root (mm)',
    'baseline_absolute_mpjpe_mm': 'Baseline absolute MPJPE (mm)',
}


def evaluate_and_report(model: LiftingModel, data: PoseData, subjects: Sequence[str],
                        evaluation: EvaluationConfig, downsample: int, source: str, *,
                        output_json: Optional[PathLike] = None, progress: bool = True,
                        history: Optional[list] = None,
                        extra: Optional[Mapping[str, Any]] = None,
                        mean_root_depth: Optional[float] = None) -> dict[str, Any]:
    """Evaluate ``model`` on ``subjects`` of ``data`` every ``downsample`` frames, print the
    table and write ``output_json``; returns the report (the JSON's content).

    A :class:`~gast_pyg.models.TrajectoryModel` is also evaluated in camera space against the
    baseline at ``mean_root_depth`` (metres, the training mean,
    :func:`~gast_pyg.camera_space.evaluate_trajectory`): a second table, and the report's
    ``trajectory`` (averages of :data:`TRAJECTORY_ROWS`' metrics), ``trajectory_actions`` (per
    action) and ``trajectory_mean_depth_m``.

    Raises:
        CheckpointError: For a trajectory model without ``mean_root_depth``.
    """
    trajectory = isinstance(model, TrajectoryModel)
    if trajectory and mean_root_depth is None:
        raise CheckpointError(f'{source}: a trajectory model is evaluated against the mean '
                              'training root depth, which is not known')
    subjects = list(subjects)
    flip, precision = evaluation.test_flip, evaluation.precision
    inputs, targets = data.subset(subjects)
    started = time.perf_counter()
    results = evaluate(model, inputs, targets, downsample=downsample, flip=flip,
                       skeleton=model.skeleton, progress=progress,
                       per_joint=evaluation.per_joint, precision=precision)
    if trajectory:
        camera_space = evaluate_trajectory(
            model, inputs, targets, data.subset_roots(subjects), data.cameras,
            mean_root_depth, downsample=downsample, flip=flip, precision=precision)
    seconds = time.perf_counter() - started
    title = (f'{"SYNTHETIC DEMO - " if data.synthetic else ""}{model.arch} rf '
             f'{model.receptive_field} ({source}) on {", ".join(subjects)}: '
             f'{data.description}; {results["frames"]:,} frames at downsample '
             f'{downsample}, test-time flip {"on" if flip else "off"}')
    table = format_table(results, title)
    if evaluation.per_joint:
        table += '\n\n' + format_per_joint_table(results, 'P1 per joint (mm)')
    if trajectory:
        table += '\n\n' + format_table(
            camera_space, f'Camera space: the predicted root and the absolute joints (pose + '
            f'root); the baseline puts the root on the ray through the 2D root at the mean '
            f'training depth, {mean_root_depth:.3f} m', TRAJECTORY_ROWS)
    print('', table, f'({seconds:.0f} s; MPJVE in mm per evaluated frame)', sep='\n', flush=True)
    config = dict(model.config, skeleton=model.skeleton.name)
    report = dict(
        title=title, table=table, synthetic=data.synthetic, data=data.description,
        test_subjects=subjects, model=config, checkpoint=source,
        **results, evaluation_seconds=seconds, history=history or [], **(extra or {}))
    if trajectory:
        report.update(trajectory=camera_space['average'],
                      trajectory_actions=camera_space['actions'],
                      trajectory_mean_depth_m=camera_space['mean_depth_m'])
    if output_json:
        path = write_bytes(Path(output_json), (json.dumps(report, indent=2) + '\n').encode())
        print(f'wrote {path}', flush=True)
    return report
