"""``gast-pyg export``: a checkpoint as TorchScript or ONNX."""
from __future__ import annotations

import argparse

from gast_pyg.cli.choices import EXPORT_FORMATS
from gast_pyg.cli.options import (
    HelpFormatter,
    add_checkpoint_options,
    add_runtime_options,
    checkpoint_file,
)
from gast_pyg.files import check_output_targets


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        'export', formatter_class=HelpFormatter,
        help='export a checkpoint to TorchScript or ONNX',
        description='Export the whole-sequence model of a checkpoint (fixed skeleton, dynamic '
                    'batch and frames) and check the export numerically against eager PyTorch.')
    add_checkpoint_options(parser)
    group = parser.add_argument_group('export')
    group.add_argument('--format', required=True, choices=EXPORT_FORMATS, help='what to write')
    group.add_argument('--output', required=True, metavar='FILE', help='.pt / .onnx to write')
    group.add_argument('--no-check', action='store_true',
                       help='skip the numerical check against eager PyTorch')
    add_runtime_options(parser, progress=False)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gast_pyg.devices import resolve_device
    from gast_pyg.export import export_model
    from gast_pyg.loading import load_model
    device = resolve_device(args.device)
    checkpoint = checkpoint_file(args, causal=args.causal)
    check_output_targets([args.output], inputs=[p for p in [checkpoint] if p])
    model = load_model(checkpoint, skeleton=args.skeleton, causal=args.causal).to(device)
    print(export_model(model, args.output, args.format, check=not args.no_check))
    return 0
