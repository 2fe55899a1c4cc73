"""The README's pictures: a few frames of a lifted clip, drawn by the package's own renderer.

    python benchmarks/readme_pictures.py OUT.npz PICTURE.png [--frames 40,120,200]

``OUT.npz`` is what ``gast-pyg infer`` or ``gast-pyg video`` wrote (the first track is drawn);
the chosen frames are rendered with :func:`gast_pyg.visualization.render_animation` and put
side by side in one PNG.
"""
from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image, ImageSequence

from gast_pyg import Skeleton
from gast_pyg.visualization import render_animation


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != '--frames'):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    result = np.load(argv[0], allow_pickle=False)
    poses, keypoints = result['poses_3d'][0], result['keypoints_2d'][0]
    frames = ([int(f) for f in argv[3].split(',')] if len(argv) == 4
              else list(np.linspace(0, len(poses) - 1, 3).astype(int)))
    skeleton = Skeleton.load(json.loads(str(result['options']))['skeleton'])
    size = (int(result['width']), int(result['height'])) if 'width' in result else None
    with tempfile.TemporaryDirectory() as folder:
        gif = Path(folder) / 'frames.gif'
        render_animation(gif, keypoints[frames], poses[frames], skeleton, image_size=size,
                         frame_indices=np.asarray(frames), dpi=60)
        images = [frame.convert('RGB') for frame in ImageSequence.Iterator(Image.open(gif))]
    sheet = Image.new('RGB', (sum(i.width for i in images), max(i.height for i in images)), 'white')
    x = 0
    for image in images:
        sheet.paste(image, (x, 0))
        x += image.width
    sheet.save(argv[1], optimize=True)
    print(f'{argv[1]}: frames {frames} of {argv[0]}, {sheet.width}x{sheet.height}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
