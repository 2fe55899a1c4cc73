"""``gast-pyg view``: a saved result to a self-contained 3D viewer page."""
from __future__ import annotations

import argparse

from gast_pyg.cli.options import HelpFormatter


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        'view', formatter_class=HelpFormatter,
        help='write a 3D viewer page (one HTML file) of a saved result',
        description='Read a result .npz of gast-pyg infer or video and write one self-contained '
                    'HTML page (no network): every track\'s 3D skeleton over a floor (with the '
                    'camera and the root paths for a trajectory model), turnable by dragging, '
                    'zoomed with the wheel, played or stepped with a slider, beside the 2D '
                    'keypoints of the same frame (see docs/motion.md).')
    parser.add_argument('result', help='the .npz written by gast-pyg infer or video')
    parser.add_argument('--output', required=True, metavar='OUT.html', help='the page to write')
    parser.add_argument('--skeleton', default=None, metavar='NAME|YAML',
                        help="the model's skeleton (unset: the bundled one named in the result)")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gast_pyg.saved_result import read_result
    from gast_pyg.viewer import write_result_viewer
    result = read_result(args.result, skeleton=args.skeleton)
    print(write_result_viewer(result, args.output))
    return 0
