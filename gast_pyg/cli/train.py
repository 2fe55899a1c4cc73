"""``gast-pyg train``: train a model (:func:`gast_pyg.training.train`), then evaluate it on the
test subjects and print the per-action table.

Every run writes into one folder (``--checkpoint-dir``, by default ``runs/NAME/`` with ``NAME``
the configuration's or the dataset's name, ``runs/NAME-2/`` and so on when that one holds a
run): ``best.pt``, ``last.pt`` and ``config.yaml``, the run's
:class:`~gast_pyg.configs.RunConfig`, so ``gast-pyg train --config runs/NAME/config.yaml``
repeats the run (in a new folder).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

from gast_pyg.cli.choices import AMP_DTYPES
from gast_pyg.cli.options import (
    HelpFormatter,
    add_config_option,
    add_data_options,
    add_evaluation_options,
    add_model_options,
    add_runtime_options,
    positive_int,
)
from gast_pyg.cli.types import non_negative_int, positive_float
from gast_pyg.configs import ConfigError
from gast_pyg.files import check_output_targets, write_bytes

if TYPE_CHECKING:
    from gast_pyg.configs import RunConfig
    from gast_pyg.training import TrainResult

DESCRIPTION = ("Train GAST-Net (or the TCN baseline) with the paper's protocol and report MPJPE "
               '/ P-MPJPE / N-MPJPE / MPJVE per action. Without --data-3d it runs a small '
               'synthetic demo end to end.')

def add_train_options(parser: argparse.ArgumentParser) -> None:
    """Every option of a training run (also those of ``benchmarks/h36m.py``)."""
    add_config_option(parser)
    add_data_options(parser, training=True)
    add_model_options(parser)
    group = parser.add_argument_group('training')
    group.add_argument('--epochs', type=non_negative_int, default=None,
                       help='(unset: by dataset, h36m 60, humaneva 200)')
    group.add_argument('--batch-size', type=positive_int, default=None,
                       help='windows per step over all processes (unset: h36m 128, humaneva 32)')
    group.add_argument('--lr', type=positive_float, default=None,
                       help='Amsgrad learning rate (unset: 1e-3)')
    group.add_argument('--lr-decay', type=positive_float, default=None,
                       help='learning rate factor per epoch (unset: h36m 0.95, humaneva 0.98)')
    group.add_argument('--flip-augment', action=argparse.BooleanOptionalAction, default=True,
                       help='mirror half of the training windows')
    group.add_argument('--amp', action='store_true',
                       help='automatic mixed precision (unset --amp-dtype: float16 on CUDA, '
                            'bfloat16 on CPU)')
    group.add_argument('--amp-dtype', choices=AMP_DTYPES, default=None,
                       help='the autocast type of --amp (float16 is trained with loss scaling)')
    group.add_argument('--init-weights', metavar='CHECKPOINT', default=None,
                       help='start from the pose weights of a gast-pyg checkpoint of the same '
                            'model (causal or not; a trajectory model takes its pose part) '
                            'instead of a random initialisation')
    group.add_argument('--checkpoint-dir', metavar='DIR', type=Path, default=None,
                       help='where best.pt, last.pt and config.yaml are written (unset: '
                            'runs/NAME, NAME the configuration or the dataset)')
    group.add_argument('--resume', metavar='PATH', nargs='?', const='last', default=None,
                       help='continue a run exactly from a checkpoint (without PATH: '
                            'CHECKPOINT_DIR/last.pt); the options must be those of the run, '
                            'except --epochs')
    add_evaluation_options(parser)
    add_runtime_options(parser)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        'train', formatter_class=HelpFormatter,
        help='train a model and evaluate it on the test subjects',
        description=DESCRIPTION + ' Under torchrun, trains with DistributedDataParallel.')
    add_train_options(parser)
    parser.set_defaults(run=run)


def run_folder(config: RunConfig, args: argparse.Namespace) -> Path:
    """Where this run writes: ``--checkpoint-dir`` (refused when it holds a run's checkpoints
    and the run is not resumed), else ``runs/NAME``, or ``runs/NAME-2``, ``-3``, ... when that
    folder already holds a run: a new run never overwrites an earlier one."""
    folder = config.run_folder()
    if args.resume or not (folder / 'last.pt').exists():
        return folder
    if config.checkpoint_dir is not None:
        raise ConfigError(f'--checkpoint-dir {folder}: holds the checkpoints of an earlier run; '
                          '--resume continues it, another folder starts a new one')
    number = 2
    while (folder.with_name(f'{folder.name}-{number}') / 'last.pt').exists():
        number += 1
    return folder.with_name(f'{folder.name}-{number}')


def train_and_report(args: argparse.Namespace) -> tuple[TrainResult, Optional[dict[str, Any]]]:
    """Build the run's configuration, train, write ``config.yaml``, evaluate (rank 0) and print
    the table; returns the training result and the evaluation report (``None`` on other ranks
    or without test subjects)."""
    from gast_pyg.cli.report import evaluate_and_report
    from gast_pyg.cli.run_config import run_config
    from gast_pyg.devices import resolve_device
    from gast_pyg.training import train
    resolve_device(args.device)  # a GPU that is not there is refused before anything is read
    config, warnings = run_config(args)
    folder = run_folder(config, args)
    config = config.replace(checkpoint_dir=str(folder))
    outputs = [folder / 'best.pt', folder / 'last.pt', folder / 'config.yaml']
    if args.output_json:
        outputs.append(Path(args.output_json))
    check_output_targets(outputs, inputs=[p for p in (config.data.data_3d, config.data.data_2d)
                                          if p not in (None, 'gt')])
    for warning in warnings:
        print(warning, flush=True)
    result = train(config, device=args.device, threads=args.threads, resume=args.resume,
                   progress=args.progress)
    report = None
    if result.rank == 0:
        # Without its folder, so that repeating it starts a new run beside this one.
        write_bytes(folder / 'config.yaml', config.replace(checkpoint_dir=None).dump().encode())
        print(f'run folder: {folder} (best.pt, last.pt, config.yaml)', flush=True)
        if config.data.test_subjects:
            report = evaluate_and_report(
                result.model, result.data, config.data.test_subjects, config.evaluation,
                config.downsample, f'final weights ({folder / "last.pt"})',
                output_json=args.output_json, progress=args.progress, history=result.history,
                mean_root_depth=result.mean_root_depth)
    return result, report


def run(args: argparse.Namespace) -> int:
    train_and_report(args)
    return 0
