"""``gast-pyg video``: a video file to the 3D poses of every person in it."""
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

__all__ = ['register']


def register(subparsers: argparse._SubParsersAction) -> None:
    """``gast-pyg video``."""
    parser = subparsers.add_parser(
        'video', formatter_class=HelpFormatter,
        help='lift every person of a video file to 3D',
        description='Decode a video, detect 2D keypoints with the built-in offline detector '
                    '(MediaPipe BlazePose; extra "video") or read them from a file, follow '
                    'each person, lift each track to 3D and write an .npz (and an MP4); '
                    'trajectory checkpoints add camera-space poses. No output is left behind '
                    'when a run fails.')
    parser.add_argument('input', metavar='INPUT', help='the video file (any format FFmpeg reads)')
    add_keypoint_options(parser, tracks=True, required=False, image_size=False)
    add_checkpoint_options(parser)
    add_camera_options(parser)
    group = add_lifting_output_options(
        parser, 'OUT.mp4', 'also write an MP4: the video with the 2D skeletons beside the 3D '
        'ones, at the video frame rate (unset: none)')
    group.add_argument('--keypoints-out', default=None, metavar='FILE.json',
                       help='save the 2D detections for a later --keypoints run (unset: none)')
    add_runtime_options(parser, device=False)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gast_pyg.inference import quality_summary
    from gast_pyg.video.pipeline import video_to_3d
    result = video_to_3d(args.input, checkpoint_file(args), args.output, render=args.render,
                         keypoints=args.keypoints, keypoints_format=args.format,
                         keypoints_out=args.keypoints_out, person=args.person,
                         max_gap=args.max_gap, skeleton=args.skeleton, causal=args.causal,
                         score_threshold=args.score_threshold, max_missing=args.max_missing,
                         flip=args.flip, focal_length=args.focal_length, fov=args.fov,
                         progress=args.progress, precision=args.precision)
    lifted, info = result['lifted'], result['info']
    written = [args.output] + [p for p in (args.render, args.keypoints_out) if p]
    print(f"{', '.join(written)}: {len(lifted.track_ids)} track(s) over "
          f"{len(lifted.frame_indices)} frames of {info.width}x{info.height} at {info.fps:g} fps")
    print(quality_summary(lifted))
    stages = ', '.join(f'{name} {seconds:.2f} s' for name, seconds in result['seconds'].items())
    print(f"{stages}; {result['frames_per_second']:.1f} frames/s end to end")
    return 0
