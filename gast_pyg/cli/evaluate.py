"""``gast-pyg evaluate``: a checkpoint (ours or the authors') per action on the test subjects."""
from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any, Optional

from gast_pyg.cli.options import (
    HelpFormatter,
    add_checkpoint_options,
    add_config_option,
    add_data_options,
    add_evaluation_options,
    add_runtime_options,
    checkpoint_file,
)


def add_evaluate_options(parser: argparse.ArgumentParser) -> None:
    """Only what an evaluation uses: the checkpoint, the data, the table, the runtime."""
    add_config_option(parser)
    add_checkpoint_options(parser, required=True, aliases=('--evaluate',))
    add_data_options(parser, training=False)
    add_evaluation_options(parser)
    add_runtime_options(parser)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        'evaluate', formatter_class=HelpFormatter,
        help="evaluate a checkpoint (ours or the authors') per action",
        description="Evaluate a gast-pyg or an authors' GAST-Net checkpoint on the test "
                    'subjects and print the per-action table (model options are read from the '
                    'checkpoint; the data options are those of training).')
    add_evaluate_options(parser)
    parser.set_defaults(run=run)


def evaluate_checkpoint(args: argparse.Namespace, source: Optional[str]) -> dict[str, Any]:
    """Evaluate the checkpoint ``source`` (a file or a shipped model's name) with the data options of ``args``; returns the report.

    Without an explicit ``--downsample``, our checkpoints are evaluated at the frame rate they
    were trained at (the authors' at the rule of their receptive field). A trajectory checkpoint
    is also evaluated in camera space, against the baseline at the mean training root depth it
    records."""
    from gast_pyg.checkpoints import CheckpointError
    from gast_pyg.loading import load_model
    from gast_pyg.cli.report import evaluate_and_report
    from gast_pyg.cli.run_config import run_config
    from gast_pyg.data import shared_subjects
    from gast_pyg.data.pipeline import load_data
    from gast_pyg.models import TrajectoryModel
    from gast_pyg.devices import resolve_device
    from gast_pyg.data.pipeline import synthetic_banner
    device = resolve_device(args.device)
    config, _ = run_config(args, training=False)
    model = load_model(source, skeleton=args.skeleton, causal=args.causal)
    model.to(device)
    origin = model.origin
    path, training = origin.path, origin.training
    mean_root_depth = training.get('trajectory_mean_depth_m')
    if isinstance(model, TrajectoryModel) and not (
            type(mean_root_depth) in (int, float) and 0 < mean_root_depth < math.inf):
        raise CheckpointError(f"{path}: a trajectory checkpoint without the mean training root "
                              f"depth of the baseline ('training' entry "
                              f"'trajectory_mean_depth_m': expected metres > 0, got "
                              f"{mean_root_depth!r}); checkpoints of gast-pyg train --trajectory "
                              f"have it")
    trained = training.get('downsample')
    if config.data.downsample is not None:
        downsample = config.data.downsample
    elif type(trained) is int and trained > 0:
        downsample = trained
        print(f'evaluating every {downsample}th frame, as {path} was trained (--downsample '
              'overrides)', flush=True)
    else:
        downsample = config.replace(receptive_field=model.receptive_field).downsample
    subjects = config.data.test_subjects
    data = load_data(config.data, {'test_subjects': subjects}, skeleton=model.skeleton)
    synthetic_banner(data, print)
    trained_on = training.get('train_subjects') or ()
    for subject in shared_subjects(subjects, trained_on):
        print(f'warning: {path} was trained on test subject {subject}: its errors are errors on '
              'training data', flush=True)
    return evaluate_and_report(model, data, subjects, config.evaluation, downsample,
                               f'{path}, {origin.kind} checkpoint',
                               output_json=args.output_json, progress=args.progress,
                               extra={'checkpoint_kind': origin.kind,
                                      'checkpoint_epoch': origin.epoch},
                               mean_root_depth=mean_root_depth)


def run(args: argparse.Namespace) -> int:
    from gast_pyg.files import check_output_targets
    source = checkpoint_file(args)
    if args.output_json:
        check_output_targets([Path(args.output_json)], inputs=[
            p for p in (source, args.data_3d, args.data_2d) if p not in (None, 'gt')])
    evaluate_checkpoint(args, source)
    return 0
