"""``gast-pyg models``: the shipped pretrained models; ``gast-pyg package-weights``: make one."""
from __future__ import annotations

import argparse
import json
from typing import Any, Dict, Optional

import yaml

from gast_pyg.cli.options import HelpFormatter

_COLUMNS = ('name', 'default', 'arch', 'receptive_field', 'channels', 'causal', 'trajectory',
            'skeleton')


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``models`` and ``package-weights``."""
    parser = subparsers.add_parser(
        'models', formatter_class=HelpFormatter,
        help='list the shipped pretrained models',
        description='List the pretrained models of the registry with their configuration and '
                    'published accuracy (P1 / P2 in mm on the held-out subject).')
    parser.add_argument('--json', action='store_true',
                        help='print a JSON list of objects (name, default, causal, trajectory, '
                             'skeleton, receptive_field, ...)')
    parser.add_argument('--registry', default=None, metavar='YAML',
                        help='another registry file (unset: the bundled one)')
    parser.set_defaults(run=list_models)

    package = subparsers.add_parser(
        'package-weights', formatter_class=HelpFormatter,
        help='write a shippable weights file and print its registry entry',
        description='Write NAME.pt (weights and configuration, half precision unless the '
                    'outputs then differ by more than 1e-3) from a trained gast-pyg checkpoint '
                    'and print the registry.yaml entry, sha256 included.')
    package.add_argument('checkpoint', help='a gast-pyg checkpoint written by training')
    package.add_argument('--name', required=True, help='registry name, e.g. gast-27')
    package.add_argument('--output-dir', default=None, metavar='DIR',
                         help='where to write NAME.pt (unset: the bundled weights folder)')
    package.add_argument('--float32', action='store_true', help='store float32 weights')
    package.add_argument('--trajectory', action='store_true', help='the model is a trajectory '
                                                                   'model')
    package.add_argument('--training-data', default='unstated', metavar='TEXT',
                         help='what the model was trained on, for the registry')
    package.add_argument('--recipe', default='unstated', metavar='TEXT',
                         help='how it was trained (options), for the registry')
    package.set_defaults(run=package_weights)


def _errors(accuracy: Dict[str, Any], key: str) -> str:
    errors: Optional[Dict[str, Any]] = accuracy.get(key)
    if not errors or errors.get('p1') is None:
        return '-'
    return f"{errors['p1']:.1f}/{errors['p2']:.1f}" if errors.get('p2') is not None \
        else f"{errors['p1']:.1f}/-"


def list_models(args: argparse.Namespace) -> int:
    from gast_pyg.pretrained import list_pretrained, load_registry
    registry = load_registry(args.registry)
    models = list_pretrained(registry)
    if args.json:
        print(json.dumps(models, indent=2))
        return 0
    if not models:
        print(f'no pretrained models are registered in {registry.source}')
        return 0
    # One default per kind: the model used without --checkpoint, and the causal one (latency).
    kinds = {name: kind for kind, name in (('causal', registry.defaults[True]),
                                            ('offline', registry.defaults[False])) if name}
    for model in models:
        model['default'] = kinds.get(model['name'], '-')
    rows = [[str(model[key]) for key in _COLUMNS]
            + [_errors(model['accuracy'], 'gt_2d'), _errors(model['accuracy'], 'noise_2d_5')]
            for model in models]
    header = list(_COLUMNS) + ['P1/P2 GT 2D', 'P1/P2 noise 5 px']
    widths = [max(len(row[i]) for row in rows + [header]) for i in range(len(header))]
    numeric = {header.index(key) for key in ('receptive_field', 'channels')} | {
        len(header) - 2, len(header) - 1}
    for row in [header] + rows:
        print('  '.join(cell.rjust(width) if i in numeric else cell.ljust(width)
                        for i, (cell, width) in enumerate(zip(row, widths))).rstrip())
    held_out = sorted({str(m['accuracy'].get('held_out')) for m in models})
    licences = ' | '.join(dict.fromkeys(m['licence'] for m in models))
    print(f'accuracy in mm on held-out {", ".join(held_out)}; licence: {licences}')
    return 0


def package_weights(args: argparse.Namespace) -> int:
    from gast_pyg.pretrained import package_checkpoint
    options: Dict[str, Any] = dict(half=not args.float32, trajectory=args.trajectory,
                                   training_data=args.training_data, recipe=args.recipe)
    if args.output_dir is not None:
        options['directory'] = args.output_dir
    entry = package_checkpoint(args.checkpoint, args.name, **options)
    print(f"# add to registry.yaml under models ({entry['file']} written):")
    print(yaml.safe_dump([entry], sort_keys=False, width=100), end='')
    return 0
