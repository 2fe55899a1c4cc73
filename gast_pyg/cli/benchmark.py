"""``gast-pyg benchmark`` (run by ``benchmarks/h36m.py``): train then evaluate with the options of
``gast-pyg train``, or only evaluate a checkpoint with ``--evaluate PATH``."""
from __future__ import annotations

import argparse

from gast_pyg.cli.evaluate import evaluate_checkpoint
from gast_pyg.cli.options import HelpFormatter, checkpoint_file
from gast_pyg.cli.train import DESCRIPTION, add_train_options, train_and_report


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        'benchmark', formatter_class=HelpFormatter,
        help='the accuracy benchmark (benchmarks/h36m.py): train and evaluate, or --evaluate',
        description=DESCRIPTION + ' With --evaluate PATH it only evaluates that checkpoint.')
    add_train_options(parser)
    parser.add_argument('--evaluate', metavar='FILE|NAME', default=None,
                        help="only evaluate this checkpoint (ours, the authors' or a shipped "
                             "model's name) as gast-pyg evaluate does, with the data options "
                             'above; model options are read from the checkpoint')
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    if args.evaluate is not None:
        args.checkpoint = args.evaluate
        evaluate_checkpoint(args, checkpoint_file(args))
    else:
        train_and_report(args)
    return 0
