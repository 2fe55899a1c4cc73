"""The ``gast-pyg`` command: one parser, one error handler, one module per sub-command.

A sub-command module (listed in :data:`COMMANDS`) has ``register(subparsers)``, which adds its
parser (built from the shared groups of :mod:`gast_pyg.cli.options`) and sets ``run`` to the
function that executes it. Building the parser imports neither torch nor a library module that
does (the names offered as choices are listed in :mod:`gast_pyg.cli.choices`); ``run`` imports
the library, so ``--help`` and argument errors answer at once. :func:`main` parses, runs and
turns errors into exit codes (:func:`run_command`): bad input (the package's
:class:`ValueError` family, including :class:`~gast_pyg.errors.GastPygError`) and
:class:`OSError` on the user's paths end in one line ``gast-pyg COMMAND: error: MESSAGE`` and
exit status 2, as argparse's own errors do; anything else is a bug: its traceback is printed,
then one line asking to report it, exit status 1.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import Optional

from gast_pyg.cli import (
    benchmark,
    bvh,
    convert,
    evaluate,
    export,
    infer,
    latency,
    models,
    plot_attention,
    train,
    video,
    view,
)
from gast_pyg.cli.errors import run_command
from gast_pyg.cli.options import HelpFormatter, parse_arguments
from gast_pyg.configs import ConfigError
from gast_pyg.runtime import configure_allocator, configure_threads

__all__ = ['COMMANDS', 'build_parser', 'main', 'run_command']

#: The sub-command modules, in ``--help`` order.
COMMANDS = (train, evaluate, benchmark, infer, plot_attention, export, convert, latency, video,
            bvh, view, models)


def build_parser() -> argparse.ArgumentParser:
    """The ``gast-pyg`` parser with every sub-command (their parsers in ``.commands``)."""
    parser = argparse.ArgumentParser(
        prog='gast-pyg', formatter_class=HelpFormatter,
        description='GAST-Net 3D human pose lifting on PyTorch Geometric.')
    subparsers = parser.add_subparsers(dest='command', required=True, metavar='COMMAND')
    for module in COMMANDS:
        module.register(subparsers)
    parser.commands = subparsers.choices
    return parser


def main(argv: Optional[Sequence[str]] = None,
         parser_factory: Callable[[], argparse.ArgumentParser] = build_parser) -> int:
    """Run ``gast-pyg ARGV``; returns the exit status."""
    parser = parser_factory()
    try:
        args = parse_arguments(parser, argv)
    except ConfigError as error:  # a --config file: reported like any bad input
        words = sys.argv[1:] if argv is None else argv
        command = next((word for word in words if word in parser.commands), None)
        return run_command(f'{parser.prog} {command}' if command else parser.prog, _raise, error)
    return run_command(f'{parser.prog} {args.command}' if getattr(args, 'command', None)
                       else parser.prog, _configured_run, args)


def _raise(error: Exception) -> None:
    raise error


def _configured_run(args: argparse.Namespace) -> object:
    """Check ``--device`` (:func:`~gast_pyg.devices.resolve_device`), set the thread and memory
    defaults once (:func:`~gast_pyg.runtime.configure_threads`: ``--threads`` or the
    environment win; :func:`~gast_pyg.runtime.configure_allocator`), then run the
    sub-command."""
    if getattr(args, 'device', None) is not None:
        from gast_pyg.devices import resolve_device
        resolve_device(args.device)
    configure_threads(getattr(args, 'threads', None))
    configure_allocator()
    return args.run(args)

