"""Several people in a video: whom the built-in detector finds and what each stage costs.

    python benchmarks/people.py VIDEO [--runs 1x1,2x1,2x2] [--max-missing F]
                                [--picture PNG --frame N]

Each run ``PEOPLExTILES`` lifts ``VIDEO`` with the shipped default model through
:func:`gast_pyg.video.pipeline.video_to_3d` with a
:class:`~gast_pyg.video.detectors.BlazePoseDetector` of that ``max_people`` and ``tiles`` (and
renders the MP4; ``--max-missing``: of the lifting, as in ``gast-pyg video``), and prints the frames of each track, the seconds of each stage, the frames per
second end to end, the CPU seconds of the whole run and the load average. ``--picture`` saves
frame ``N`` of the first run's MP4 as a PNG.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from gast_pyg.video.decoding import iter_frames, probe_video
from gast_pyg.video.detectors import BlazePoseDetector
from gast_pyg.video.pipeline import video_to_3d


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('video', type=Path)
    parser.add_argument('--runs', default='1x1,2x1,2x2')
    parser.add_argument('--max-missing', type=float, default=0.5)
    parser.add_argument('--picture', type=Path)
    parser.add_argument('--frame', type=int, default=70)
    args = parser.parse_args()
    fps = probe_video(args.video).fps
    print(f'load average before: {os.getloadavg()[0]:.2f}')
    for number, run in enumerate(args.runs.split(',')):
        people, tiles = (int(v) for v in run.split('x'))
        with tempfile.TemporaryDirectory() as folder:
            movie = Path(folder) / 'out.mp4'
            cpu = time.process_time()
            result = video_to_3d(args.video, None, Path(folder) / 'out.npz', render=movie,
                                 detector=BlazePoseDetector(people, tiles, fps),
                                 max_missing=args.max_missing, progress=False)
            cpu = time.process_time() - cpu
            if number == 0 and args.picture is not None:
                from PIL import Image
                frame = next(f for t, f in enumerate(iter_frames(movie)) if t == args.frame)
                Image.fromarray(frame).save(args.picture)
        lifted = result['lifted']
        frames = ', '.join(f'track {int(i)}: {int(p.sum())}'
                           for i, p in zip(lifted.track_ids, lifted.present))
        seconds = ', '.join(f'{k} {v:.2f} s' for k, v in result['seconds'].items())
        print(f'max_people {people}, tiles {tiles}: frames per track: {frames}; {seconds}; '
              f'{result["frames_per_second"]:.2f} frames/s end to end; CPU {cpu:.1f} s; '
              f'load average {os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    main()
