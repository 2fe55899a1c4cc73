"""``gast-pyg video``: a video file to the 3D poses of every person in it: detect
(:func:`~gast_pyg.video.detection.detect_video`, or read ``--keypoints``), lift with a
:class:`~gast_pyg.lifter.Lifter`, write the outputs (:mod:`gast_pyg.cli.outputs`)."""
from __future__ import annotations

import argparse
import time

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
from gast_pyg.cli.types import positive_int

__all__ = ['register']

RENDER_SUFFIXES = ('.mp4', '.html')


def register(subparsers: argparse._SubParsersAction) -> None:
    """``gast-pyg video``."""
    parser = subparsers.add_parser(
        'video', formatter_class=HelpFormatter,
        help='lift every person of a video file to 3D',
        description='Decode a video, detect the 2D keypoints of every person with the built-in '
                    'offline detector (MediaPipe BlazePose; extra "video") or read them from a '
                    'file, follow each person, lift each track to 3D and write an .npz (and an '
                    'MP4 or a 3D viewer page, and BVH files); trajectory checkpoints add '
                    'camera-space poses. No output is left behind when a run fails.')
    parser.add_argument('input', metavar='INPUT', help='the video file (any format FFmpeg reads)')
    add_keypoint_options(parser, tracks=True, required=False, image_size=False)
    group = parser.add_argument_group('detector (without --keypoints)')
    group.add_argument('--max-people', type=positive_int, default=4,
                       help='most people detected per frame')
    group.add_argument('--tiles', type=positive_int, default=1,
                       help='1: the whole frame; 2 or more: that many overlapping tiles, for '
                            'small or distant people (about that many times the detection time)')
    add_checkpoint_options(parser)
    add_camera_options(parser)
    group = add_lifting_output_options(
        parser, 'OUT.mp4|OUT.html', 'also write the video with the 2D skeletons beside the 3D '
        'ones (.mp4) or the 3D viewer page (.html), every track (unset: none)')
    group.add_argument('--keypoints-out', default=None, metavar='FILE.json',
                       help='save the 2D detections for a later --keypoints run (unset: none)')
    add_runtime_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import dataclasses

    from gast_pyg.cli.outputs import check_outputs, check_suffix, write_outputs
    from gast_pyg.keypoints.formats import read_detections
    from gast_pyg.keypoints.tracking import gap_frames
    from gast_pyg.lifter import Lifter
    from gast_pyg.video.decoding import iter_frames, probe_video
    from gast_pyg.video.detection import detect_video, write_detections
    from gast_pyg.video.detectors import BlazePoseDetector

    checkpoint = checkpoint_file(args)
    inputs = [args.input, args.keypoints, checkpoint]
    check_suffix(args.keypoints_out, ('.json',), '--keypoints-out')
    check_outputs(args, RENDER_SUFFIXES, inputs, extra=[args.keypoints_out] if
                  args.keypoints_out else [])
    start = time.perf_counter()
    seconds = {}
    lifter = Lifter(checkpoint, lifting_options(args, image_size=False), device=args.device,
                    skeleton=args.skeleton, causal=args.causal)
    seconds['load model'] = time.perf_counter() - start
    info = probe_video(args.input)
    if args.keypoints is None:
        detector = BlazePoseDetector(max_people=args.max_people, tiles=args.tiles, fps=info.fps)
        detections, info = detect_video(args.input, detector, args.progress, info)
        seconds['decode+detect'] = time.perf_counter() - start - sum(seconds.values())
    else:
        detections = dataclasses.replace(read_detections(args.keypoints, args.format, layout=args.layout),
                                         image_size=(info.width, info.height))
        seconds['read keypoints'] = time.perf_counter() - start - sum(seconds.values())
    max_gap = args.max_gap if args.max_gap is not None else gap_frames(info.fps)
    result = lifter.lift_detections(detections, args.person, max_gap, args.progress)
    result.fps = info.fps
    seconds['track+lift'] = time.perf_counter() - start - sum(seconds.values())
    result.options.update(video=str(args.input), codec=info.codec,
                          keypoints=str(args.keypoints) if args.keypoints else None,
                          max_people=args.max_people, tiles=args.tiles, seconds=seconds)
    frames = None
    if args.render and args.render.lower().endswith('.mp4'):
        from tqdm import tqdm
        frames = tqdm(iter_frames(args.input), total=len(result.frame_indices), desc='render',
                      unit='frame', disable=None if args.progress else True)
    extra = []
    if args.keypoints_out:
        extra.append((args.keypoints_out,
                      lambda path: write_detections(path, detections, info.fps)))
    written = write_outputs(args, result, inputs, frames=frames, extra=extra)
    seconds['write'] = time.perf_counter() - start - sum(seconds.values())
    elapsed = time.perf_counter() - start
    print(f"{', '.join(written)}: {len(result.track_ids)} track(s) over "
          f"{len(result.frame_indices)} frames of {info.width}x{info.height} at {info.fps:g} fps")
    print(result.summary())
    stages = ', '.join(f'{name} {value:.2f} s' for name, value in seconds.items())
    print(f"{stages}; {len(result.frame_indices) / elapsed:.1f} frames/s end to end")
    return 0
