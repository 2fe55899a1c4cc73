"""The ``gast-pyg`` command. Each command lives with the code it runs: a
module listed in :data:`COMMAND_MODULES` adds its sub-commands through a
``register(subparsers)`` function, and each sub-command sets ``run``."""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import Optional, Sequence

from gast_pyg.runtime import configure_threads

COMMAND_MODULES = ('gast_pyg.checkpoints',
                   'gast_pyg.training',
                   'gast_pyg.inference',
                   'gast_pyg.visualization',
                   'gast_pyg.export')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog='gast-pyg', description='GAST-Net 3D human pose lifting on PyTorch Geometric.')
    subparsers = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    configure_threads(getattr(args, 'threads', None))
    try:
        return args.run(args) or 0
    except ValueError as error:
        print(f'gast-pyg {args.command}: error: {error}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
