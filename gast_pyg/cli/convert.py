"""``gast-pyg convert``: an authors' checkpoint to the package's format."""
from __future__ import annotations

import argparse

from gast_pyg.cli.options import HelpFormatter
from gast_pyg.files import check_output_targets


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        'convert', formatter_class=HelpFormatter,
        help="convert an authors' GAST-Net checkpoint to a gast-pyg checkpoint",
        description="Read an authors' checkpoint (weights only, no code executed) and write it "
                    "as a gast-pyg checkpoint with its configuration embedded.")
    parser.add_argument('source', help="the authors' .bin file")
    parser.add_argument('target', help='the gast-pyg checkpoint to write')
    parser.add_argument('--skeleton', default=None,
                        help='bundled skeleton name or YAML path (unset: by joint count)')
    parser.add_argument('--causal', action='store_true', help='the checkpoint is a causal model')
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gast_pyg.checkpoints import save_checkpoint
    from gast_pyg.loading import load_model
    check_output_targets([args.target], inputs=[args.source])
    model = load_model(args.source, skeleton=args.skeleton, causal=args.causal)
    save_checkpoint(args.target, model, converted_from=str(args.source))
    print(f'{args.target}: {model.__class__.__name__} ({model.skeleton.name}, receptive field '
          f'{model.receptive_field}, {model.channels} channels, causal={model.causal})')
    return 0
