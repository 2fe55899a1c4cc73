"""``benchmarks/h36m.py``: train then evaluate (the options of ``gast-pyg train``), or only
evaluate a checkpoint with ``--evaluate PATH``; errors as in ``gast-pyg``."""
from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Optional

from gast_pyg.cli.errors import run_command
from gast_pyg.cli.evaluate import evaluate_checkpoint
from gast_pyg.cli.options import HelpFormatter, parse_arguments
from gast_pyg.cli.train import DESCRIPTION, add_train_options, train_and_report

__all__ = ['build_parser', 'main']


def build_parser(prog: str = 'benchmarks/h36m.py') -> argparse.ArgumentParser:
    """The options of ``gast-pyg train`` plus ``--evaluate PATH``."""
    parser = argparse.ArgumentParser(prog=prog, description=DESCRIPTION,
                                     formatter_class=HelpFormatter)
    add_train_options(parser)
    parser.add_argument('--evaluate', metavar='PATH', type=Path, default=None,
                        help="only evaluate this checkpoint (ours or the authors') with the data "
                             'options above; model options are read from the checkpoint')
    return parser


def _run(args: argparse.Namespace) -> int:
    if args.evaluate is not None:
        args.checkpoint = str(args.evaluate)
        evaluate_checkpoint(args, args.evaluate)
    else:
        train_and_report(args)
    return 0


def main(argv: Optional[Sequence[str]] = None, prog: str = 'benchmarks/h36m.py') -> int:
    """Run the benchmark; returns the exit status."""
    parser = build_parser(prog)
    return run_command(parser.prog, _run, parse_arguments(parser, argv))
