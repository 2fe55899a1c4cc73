"""``gast-pyg infer``: lift the keypoints of a video to 3D poses (:func:`gast_pyg.inference.infer`)."""
from __future__ import annotations

import argparse

from gast_pyg.cli.options import (
    HelpFormatter,
    add_camera_options,
    add_checkpoint_options,
    add_keypoint_options,
    add_lifting_output_options,
    add_runtime_options,
    checkpoint_file,
)
from gast_pyg.cli.types import positive_float


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        'infer', formatter_class=HelpFormatter,
        help='lift the 2D keypoints of a video to 3D poses',
        description='Lift the detector keypoints of every person in a keypoint file (the '
                    'format is recognised from the content) to 3D poses with a gast-pyg, an '
                    'authors\' or a shipped checkpoint and write them to an .npz (optionally '
                    'an animation); trajectory checkpoints add camera-space poses. No output '
                    'is left behind when a run fails.')
    add_keypoint_options(parser, tracks=True)
    add_checkpoint_options(parser)
    add_camera_options(parser)
    group = add_lifting_output_options(
        parser, 'OUT.gif|OUT.mp4', "also write an animation of the first track's 3D skeleton "
        'beside its 2D input, needs the viz extra (unset: none)')
    group.add_argument('--fps', type=positive_float, default=25.0,
                       help='frame rate stored and of the animation')
    add_runtime_options(parser, device=False)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gast_pyg.inference import infer, quality_summary
    result = infer(args.keypoints, checkpoint_file(args), args.output, format=args.format,
                   person=args.person, max_gap=args.max_gap, skeleton=args.skeleton,
                   causal=args.causal, width=args.width, height=args.height,
                   score_threshold=args.score_threshold, max_missing=args.max_missing,
                   flip=args.flip, focal_length=args.focal_length, fov=args.fov,
                   render=args.render, fps=args.fps, progress=args.progress,
                   precision=args.precision)
    lifted, options = result['lifted'], result['options']
    width, height = lifted.image_size
    print(f"{args.output}: {len(lifted.track_ids)} track(s) over {len(lifted.frame_indices)} "
          f"frames x {lifted.skeleton.num_joints} joints ({options['skeleton']}, receptive "
          f"field {options['receptive_field']}, causal={options['causal']}); image "
          f"{width}x{height}{' (estimated)' if options['image_size_estimated'] else ''}; "
          f"{int(lifted.interpolated.sum())} points interpolated"
          + (f"; camera-space poses for a focal length of {lifted.focal_length:.0f} px"
             if lifted.poses_3d_camera is not None else ''))
    print(quality_summary(lifted))
    if args.render:
        print(f'{args.render}: animation written')
    return 0
