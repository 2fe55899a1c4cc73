"""The final evaluation of ``gast-pyg train``, ``gast-pyg evaluate`` and ``benchmarks/h36m.py``:
the per-action table on the test subjects, printed and optionally written as JSON."""
from __future__ import annotations

import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from gast_pyg.data.pipeline import PoseData
from gast_pyg.evaluation import evaluate, format_per_joint_table, format_table
from gast_pyg.files import write_bytes
from gast_pyg.models.base import LiftingModel


def evaluate_and_report(model: LiftingModel, data: PoseData, args: Any, source: str,
                        history: Optional[list] = None,
                        extra: Optional[Mapping[str, Any]] = None) -> dict[str, Any]:
    """Evaluate ``model`` on ``args.test_subjects`` of ``data``, print the table and write
    ``args.output_json``; returns the report (the JSON's content)."""
    inputs, targets = data.subset(args.test_subjects)
    started = time.perf_counter()
    results = evaluate(model, inputs, targets, downsample=args.downsample, flip=args.test_flip,
                       skeleton=model.skeleton, progress=args.progress,
                       per_joint=args.per_joint)
    seconds = time.perf_counter() - started
    title = (f'{"SYNTHETIC DEMO - " if data.synthetic else ""}{model.arch} rf '
             f'{model.receptive_field} ({source}) on {", ".join(args.test_subjects)}: '
             f'{data.description}; {results["frames"]:,} frames at downsample '
             f'{args.downsample}, test-time flip {"on" if args.test_flip else "off"}')
    table = format_table(results, title)
    if args.per_joint:
        table += '\n\n' + format_per_joint_table(results, 'P1 per joint (mm)')
    print('', table, f'({seconds:.0f} s; MPJVE in mm per evaluated frame)', sep='\n', flush=True)
    config = dict(model.config, skeleton=model.skeleton.name)
    report = dict(
        title=title, table=table, synthetic=data.synthetic, data=data.description,
        test_subjects=list(args.test_subjects), model=config, checkpoint=source,
        **results, evaluation_seconds=seconds, history=history or [], **(extra or {}))
    if args.output_json:
        path = write_bytes(Path(args.output_json), (json.dumps(report, indent=2) + '\n').encode())
        print(f'wrote {path}', flush=True)
    return report
