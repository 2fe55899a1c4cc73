"""``gast-pyg bvh``: a saved result to one BVH animation per track."""
from __future__ import annotations

import argparse

from gast_pyg.cli.options import HelpFormatter
from gast_pyg.cli.types import positive_float


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        'bvh', formatter_class=HelpFormatter,
        help='write the tracks of a saved result as BVH animations',
        description='Read a result .npz of gast-pyg infer or video and write one BVH file per '
                    'track (OUT_track{id}.bvh): centimetres, Y up, the skeleton of the model '
                    'with each joint rotation solved from the 3D joints, the root moving in '
                    'camera space for a trajectory model and at the origin otherwise (see '
                    'docs/motion.md).')
    parser.add_argument('result', help='the .npz written by gast-pyg infer or video')
    parser.add_argument('--output', required=True, metavar='OUT.bvh',
                        help='the file name; the track id is added before the suffix')
    parser.add_argument('--fps', type=positive_float, default=None,
                        help="frames per second of the animation (unset: the result's)")
    parser.add_argument('--skeleton', default=None, metavar='NAME|YAML',
                        help="the model's skeleton (unset: the bundled one named in the result)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gast_pyg.bvh import write_result_bvh
    from gast_pyg.saved_result import read_result
    result = read_result(args.result, skeleton=args.skeleton)
    for path in write_result_bvh(result, args.output, fps=args.fps):
        print(path)
    return 0
