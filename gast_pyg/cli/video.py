"""``gast-pyg video``: a video file to the 3D poses of every person in it."""
from __future__ import annotations

import argparse

from gast_pyg.cli.options import HelpFormatter
from gast_pyg.keypoints.formats import FORMATS

__all__ = ['register', 'person_choice']


def person_choice(text: str):
    """``--person``: ``all``, ``best`` or a track id."""
    if text in ('all', 'best'):
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a track id, 'all' or 'best', got {text!r}")


def register(subparsers: argparse._SubParsersAction) -> None:
    """``gast-pyg video``."""
    parser = subparsers.add_parser(
        'video', formatter_class=HelpFormatter,
        help='lift every person of a video file to 3D',
        description='Decode a video, detect 2D keypoints with the built-in offline detector '
                    '(MediaPipe BlazePose; extra "video") or read them from a file, follow '
                    'each person, lift each track to 3D and write an .npz (and an MP4). No '
                    'output is left behind when a run fails.')
    parser.add_argument('input', metavar='INPUT', help='the video file (any format FFmpeg reads)')
    parser.add_argument('--checkpoint', required=True, metavar='CKPT',
                        help="a gast-pyg checkpoint or an authors' .bin")
    parser.add_argument('--output', required=True, metavar='OUT.npz', help='the .npz to write')
    parser.add_argument('--render', default=None, metavar='OUT.mp4',
                        help='also write an MP4: the video with the 2D skeletons beside the 3D '
                             'ones, at the video frame rate')
    parser.add_argument('--keypoints', default=None, metavar='FILE',
                        help='read the 2D keypoints from FILE instead of detecting them')
    parser.add_argument('--format', default=None, choices=list(FORMATS),
                        help='format of --keypoints')
    parser.add_argument('--keypoints-out', default=None, metavar='FILE.json',
                        help='save the 2D detections for a later --keypoints run')
    parser.add_argument('--person', type=person_choice, default='all', metavar='ID|all|best',
                        help='lift one track, every track, or per frame the person '
                             'with the highest mean score')
    parser.add_argument('--max-gap', type=int, default=10,
                        help='a track ends after this many frames without a match')
    parser.add_argument('--skeleton', default=None,
                        help="skeleton of an authors' checkpoint")
    parser.add_argument('--causal', action='store_true',
                        help="the authors' checkpoint is a causal model")
    parser.add_argument('--score-threshold', type=float, default=0.3,
                        help='points scored below this are interpolated')
    parser.add_argument('--max-missing', type=float, default=0.5,
                        help='leave out a track with a joint missing in more than this fraction '
                             'of its frames')
    parser.add_argument('--flip', action='store_true',
                        help='average with the prediction on the mirrored input')
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from gast_pyg.video.pipeline import quality_summary, video_to_3d
    result = video_to_3d(args.input, args.checkpoint, args.output, render=args.render,
                         keypoints=args.keypoints, keypoints_format=args.format,
                         keypoints_out=args.keypoints_out, person=args.person,
                         max_gap=args.max_gap, skeleton=args.skeleton, causal=args.causal,
                         score_threshold=args.score_threshold,
                         max_missing=args.max_missing, flip=args.flip)
    lifted, info = result['lifted'], result['info']
    written = [args.output] + [p for p in (args.render, args.keypoints_out) if p]
    print(f"{', '.join(written)}: {len(lifted.track_ids)} track(s) over "
          f"{len(lifted.frame_indices)} frames of {info.width}x{info.height} at {info.fps:g} fps")
    print(quality_summary(lifted))
    stages = ', '.join(f'{name} {seconds:.2f} s' for name, seconds in result['seconds'].items())
    print(f"{stages}; {result['frames_per_second']:.1f} frames/s end to end")
    return 0
