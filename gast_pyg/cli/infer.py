"""``gast-pyg infer``: lift the keypoints of every person of a keypoint file to 3D poses with a
:class:`~gast_pyg.lifter.Lifter`, then write the outputs (:mod:`gast_pyg.cli.outputs`)."""
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
    lifting_options,
)
from gast_pyg.cli.types import positive_float

RENDER_SUFFIXES = ('.gif', '.mp4', '.html')


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        'infer', formatter_class=HelpFormatter,
        help='lift the 2D keypoints of a video to 3D poses',
        description='Lift the detector keypoints of every person in a keypoint file (the '
                    'format is recognised from the content) to 3D poses with a gast-pyg, an '
                    'authors\' or a shipped checkpoint and write them to an .npz (optionally '
                    'an animation, a 3D viewer page and BVH files); trajectory checkpoints add '
                    'camera-space poses. No output is left behind when a run fails.')
    add_keypoint_options(parser, tracks=True)
    add_checkpoint_options(parser)
    add_camera_options(parser)
    group = add_lifting_output_options(
        parser, 'OUT.gif|OUT.mp4|OUT.html', 'also write every track: an animation of the 3D '
        'skeletons beside the 2D input (.gif, .mp4; needs the viz extra) or the 3D viewer page '
        '(.html) (unset: none)')
    group.add_argument('--fps', type=positive_float, default=25.0,
                       help='frame rate of the keypoints: stored, and of the animation and BVH')
    add_runtime_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gast_pyg.cli.outputs import check_outputs, write_outputs
    from gast_pyg.keypoints.tracking import gap_frames
    from gast_pyg.lifter import Lifter
    checkpoint = checkpoint_file(args)
    inputs = [args.keypoints, checkpoint]
    check_outputs(args, RENDER_SUFFIXES, inputs, animation=True)
    lifter = Lifter(checkpoint, lifting_options(args), device=args.device,
                    skeleton=args.skeleton, causal=args.causal)
    max_gap = args.max_gap if args.max_gap is not None else gap_frames(args.fps)
    result = lifter.lift_file(args.keypoints, args.format, args.person, max_gap,
                              progress=args.progress, layout=args.layout)
    result.fps = args.fps
    result.options.update(keypoints=str(args.keypoints), format=args.format)
    written = write_outputs(args, result, inputs)
    width, height = result.image_size
    options = result.options
    print(f"{', '.join(written)}: {len(result.track_ids)} track(s) over "
          f"{len(result.frame_indices)} frames x {result.skeleton.num_joints} joints "
          f"({options['skeleton']}, receptive field {options['receptive_field']}, "
          f"causal={options['causal']}); image {width}x{height}"
          f"{' (estimated)' if options['image_size_estimated'] else ''}; "
          f"{int(result.interpolated.sum())} points interpolated"
          + (f"; camera-space poses for a focal length of {result.focal_length:.0f} px"
             if result.poses_3d_camera is not None else ''))
    print(result.summary())
    return 0
