"""Several people in a video: whom the built-in detector finds and what each stage costs.

    python benchmarks/people.py VIDEO [--runs 1x1,2x1,2x2] [--max-missing F]
                                [--picture PNG --frame N]

Each run ``PEOPLExTILES`` is ``gast-pyg video VIDEO --max-people PEOPLE --tiles TILES
--render OUT.mp4`` with the shipped default model (``--max-missing``: of the lifting), and
prints the frames of each track, the seconds of each stage, the frames per second end to end,
the CPU seconds of the whole run and the load average. ``--picture`` saves frame ``N`` of the
first run's MP4 as a PNG.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from gast_pyg.cli import main as gast_pyg
from gast_pyg.video.decoding import iter_frames


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('video', type=Path)
    parser.add_argument('--runs', default='1x1,2x1,2x2')
    parser.add_argument('--max-missing', type=float, default=0.5)
    parser.add_argument('--picture', type=Path)
    parser.add_argument('--frame', type=int, default=70)
    args = parser.parse_args()
    print(f'load average before: {os.getloadavg()[0]:.2f}')
    for number, run in enumerate(args.runs.split(',')):
        people, tiles = (int(v) for v in run.split('x'))
        with tempfile.TemporaryDirectory() as folder:
            movie, out = Path(folder) / 'out.mp4', Path(folder) / 'out.npz'
            printed = io.StringIO()
            cpu = time.process_time()
            with contextlib.redirect_stdout(printed):
                code = gast_pyg(['video', str(args.video), '--output', str(out), '--render',
                                 str(movie), '--max-people', str(people), '--tiles', str(tiles),
                                 '--max-missing', str(args.max_missing), '--no-progress'])
            cpu = time.process_time() - cpu
            if code != 0:
                raise SystemExit(code)
            with np.load(out) as npz:
                track_ids, present = npz['track_ids'], npz['present']
                seconds = json.loads(str(npz['options']))['seconds']
            if number == 0 and args.picture is not None:
                from PIL import Image
                frame = next(f for t, f in enumerate(iter_frames(movie)) if t == args.frame)
                Image.fromarray(frame).save(args.picture)
        frames = ', '.join(f'track {int(i)}: {int(p.sum())}' for i, p in zip(track_ids, present))
        stages = ', '.join(f'{k} {v:.2f} s' for k, v in seconds.items())
        rate = printed.getvalue().split(' frames/s end to end')[0].split()[-1]
        print(f'max_people {people}, tiles {tiles}: frames per track: {frames}; {stages}; '
              f'{rate} frames/s end to end; CPU {cpu:.1f} s; '
              f'load average {os.getloadavg()[0]:.2f}')


if __name__ == '__main__':
    main()
