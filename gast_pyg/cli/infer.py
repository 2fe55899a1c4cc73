"""``gast-pyg infer``: lift the keypoints of a video to 3D poses (:func:`gast_pyg.inference.infer`)."""
from __future__ import annotations

import argparse

from gast_pyg.cli.options import HelpFormatter, add_checkpoint_options, add_keypoint_options
from gast_pyg.cli.types import positive_float
from gast_pyg.inference import infer
from gast_pyg.keypoints import PreparedKeypoints


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        'infer', formatter_class=HelpFormatter,
        help='lift the 2D keypoints of a video to 3D poses',
        description='Lift detector keypoints (COCO-17 JSON or arrays) to root-relative 3D poses '
                    'with a gast-pyg or an authors\' checkpoint and write them to an .npz '
                    '(optionally an animation). No output is left behind when a run fails.')
    add_keypoint_options(parser)
    add_checkpoint_options(parser)
    group = parser.add_argument_group('output')
    group.add_argument('--output', required=True, metavar='OUT.npz', help='the .npz to write')
    group.add_argument('--render', default=None, metavar='OUT.gif|OUT.mp4',
                       help='also write an animation of the 3D skeleton beside the 2D input '
                            '(needs the viz extra; unset: none)')
    group.add_argument('--fps', type=positive_float, default=25.0, help='animation frame rate')
    group.add_argument('--flip', action='store_true',
                       help='average with the prediction on the mirrored input')
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    result = infer(args.keypoints, args.checkpoint, args.output, skeleton=args.skeleton,
                   layout=args.layout, width=args.width, height=args.height, causal=args.causal,
                   score_threshold=args.score_threshold, max_missing=args.max_missing,
                   max_gap=args.max_gap, flip=args.flip, render=args.render, fps=args.fps,
                   progress=True)
    prepared: PreparedKeypoints = result['prepared']
    options = result['options']
    width, height = prepared.image_size
    print(f"{args.output}: {len(result['frame_indices'])} frames x {prepared.skeleton.num_joints} "
          f"joints ({options['skeleton']}, receptive field {options['receptive_field']}, "
          f"causal={options['causal']}); image {width}x{height}"
          f"{' (estimated)' if prepared.image_size_estimated else ''}; "
          f"{int(prepared.interpolated.sum())} points interpolated")
    if args.render:
        print(f'{args.render}: animation written')
    return 0
