"""``gast-pyg plot-attention``: the paper's attention figures of a checkpoint on a keypoint file."""
from __future__ import annotations

import argparse
from pathlib import Path

from gast_pyg.cli.options import (
    HelpFormatter,
    add_checkpoint_options,
    add_keypoint_options,
    checkpoint_file,
)
from gast_pyg.cli.choices import MAX_ATTENTION_FRAMES
from gast_pyg.cli.types import bounded_int
from gast_pyg.files import check_output_targets, staged_outputs


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        'plot-attention', formatter_class=HelpFormatter,
        help="draw the paper's attention figures (Fig. 5, 7, 8) as PNG",
        description='Draw the local attention matrices (Fig. 5), the global attention B_k of '
                    'one joint across blocks and frames (Fig. 7) and the adaptive matrices C_k '
                    '(Fig. 8) of a GAST-Net checkpoint on a keypoint file. Needs the viz extra.')
    add_keypoint_options(parser)
    add_checkpoint_options(parser)
    group = parser.add_argument_group('figures')
    group.add_argument('--joint', default='right_ankle', help='joint of Fig. 7')
    group.add_argument('--frames', type=bounded_int(1, MAX_ATTENTION_FRAMES), default=4,
                       help='frames shown in Fig. 7')
    group.add_argument('--output-dir', type=Path, default=Path('.'),
                       help='where to write the PNGs')
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gast_pyg.keypoints import prepare_keypoints
    from gast_pyg.loading import load_model
    from gast_pyg.visualization import attention_figure_paths, attention_figures, require_matplotlib
    require_matplotlib()
    check_output_targets(attention_figure_paths(args.output_dir, args.joint),
                         inputs=[args.keypoints])
    model = load_model(checkpoint_file(args, causal=args.causal), skeleton=args.skeleton,
                       causal=args.causal)
    prepared = prepare_keypoints(args.keypoints, model.skeleton, layout=args.layout,
                                 width=args.width, height=args.height,
                                 score_threshold=args.score_threshold,
                                 max_missing=args.max_missing, max_gap=args.max_gap)
    with staged_outputs() as staging:
        paths = attention_figures(model, prepared, args.joint, args.output_dir,
                                  frames=args.frames, staging=staging)
    for path in paths:
        print(path)
    return 0
