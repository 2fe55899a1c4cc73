"""Several people in a video: the built-in detector (extra ``video``) and the tracker on
``apart.avi``, and the detector's pure-NumPy parts (tiles, merging) everywhere."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from gast_pyg.keypoints.blazepose import BLAZEPOSE_33
from gast_pyg.keypoints.detections import build_detections
from gast_pyg.keypoints.tracking import build_tracks, gap_frames
from gast_pyg.video.decoding import VideoError
from gast_pyg.video.detectors import merge_people, tile_windows

APART = Path(__file__).resolve().parents[2] / 'shared' / 'data' / 'wild' / 'apart.avi'


def test_tile_windows():
    assert tile_windows(1920, 1080, 1) == [(0, 0, 1920, 1080)]
    assert tile_windows(1920, 1080, 2) == [(0, 0, 1080, 1080), (840, 0, 1920, 1080)]
    assert tile_windows(1920, 1080, 3)[1] == (420, 0, 1500, 1080)
    assert tile_windows(480, 640, 2) == [(0, 0, 480, 480), (0, 160, 480, 640)]
    with pytest.raises(ValueError, match='tiles must be >= 1, got 0'):
        tile_windows(640, 480, 0)


def person(x, height, score, jitter=0.0, seed=0):
    """A 33-point figure ``(33, 3)`` with its feet at ``(x, 900)``."""
    k = np.arange(33)
    points = np.stack([x + 0.1 * height * np.sin(k), 900 - height * (1 - k / 33),
                       np.full(33, score)], axis=-1)
    points[:, :2] += np.random.default_rng(seed).normal(0, jitter, (33, 2))
    return points


def test_merge_keeps_one_view_of_each_person_best_first():
    near = person(900, 760, 0.9)
    near_cut = person(900, 760, 0.7, jitter=0.1 * 760 / 33 * 2, seed=1)  # other tile's view
    behind = person(950, 300, 0.6)  # inside the near man's box, another person
    merged = merge_people(np.stack([near_cut, behind, near]), max_people=4)
    np.testing.assert_array_equal(merged, np.stack([near, behind]))
    np.testing.assert_array_equal(merge_people(np.stack([behind, near]), max_people=1), near[None])
    assert merge_people(np.zeros((0, 33, 3)), max_people=2).shape == (0, 33, 3)


@pytest.fixture(scope='module')
def mediapipe():
    pytest.importorskip('av')
    return pytest.importorskip('mediapipe')


@pytest.fixture(scope='module')
def apart(mediapipe):
    if not APART.is_file():
        pytest.skip(f'{APART} is absent')
    return APART


def detect(video, first=0, last=None, **options):
    """The detections of frames ``first``..``last`` of ``video`` as
    :class:`~gast_pyg.keypoints.detections.Detections`."""
    from gast_pyg.video.decoding import iter_frames, probe_video
    from gast_pyg.video.detectors import BlazePoseDetector
    info = probe_video(video)
    rows = []
    with BlazePoseDetector(fps=info.fps, **options) as detector:
        for t, frame in enumerate(iter_frames(video)):
            if last is not None and t > last:
                break
            if t >= first:
                rows += [(t, points, None) for points in detector.detect(frame)]
    return build_detections(rows, (BLAZEPOSE_33,), str(video), num_frames=info.num_frames,
                            image_size=(info.width, info.height)), info


def test_apart_two_people_no_identity_swap(apart):
    detections, info = detect(apart)
    tracks = build_tracks(detections, max_gap=gap_frames(info.fps))
    assert tracks.track_ids.tolist() == [0, 1]
    near, far = tracks.present
    assert near.all() and far.sum() >= 30
    boxes = np.linalg.norm(np.ptp(tracks.points[..., :2], axis=2), axis=-1)  # (2, T) diagonals
    assert (boxes[0, far] > 1.5 * boxes[1, far]).all()  # the near man stays track 0
    for track, present in zip(boxes, tracks.present):  # and no track jumps between the men
        steps = track[present][1:] / track[present][:-1]
        assert (steps > 0.8).all() and (steps < 1.25).all()
    assert np.isfinite(tracks.points[tracks.present]).all()


def test_tiles_find_the_far_man_earlier(apart):
    """Frames 44-56: the whole frame finds the far man from frame 54, two tiles from 46."""
    whole, _ = detect(apart, 44, 56)
    tiled, _ = detect(apart, 44, 56, tiles=2)
    people_per_frame = [np.bincount(d.frames - 44, minlength=13) for d in (whole, tiled)]
    assert people_per_frame[0].max() == 2 and people_per_frame[1].max() == 2
    assert (people_per_frame[1] == 2).sum() >= (people_per_frame[0] == 2).sum() + 5


def test_max_people_and_bad_options(apart):
    detections, _ = detect(apart, 60, 62, max_people=1)
    assert np.bincount(detections.frames - 60).tolist() == [1, 1, 1]
    from gast_pyg.video.detectors import BlazePoseDetector
    for options, message in [(dict(max_people=0), 'max_people must be >= 1, got 0'),
                             (dict(tiles=0), 'tiles must be >= 1, got 0'),
                             (dict(fps=0.0), 'fps must be > 0, got 0.0')]:
        with pytest.raises(VideoError, match=message):
            BlazePoseDetector(**options)


def test_native_logs_are_silenced(mediapipe):
    """Creating, running and closing the detector writes nothing to stderr (file descriptor 2),
    where the progress bars are."""
    script = ('import numpy as np; from gast_pyg.video.detectors import BlazePoseDetector\n'
              'with BlazePoseDetector(tiles=2) as d:\n'
              '    for _ in range(3): d.detect(np.zeros((360, 640, 3), np.uint8))\n'
              'print("done")')
    result = subprocess.run([sys.executable, '-c', script], capture_output=True, text=True,
                            timeout=120, cwd=Path(__file__).resolve().parents[1])
    assert result.returncode == 0, result.stderr
    assert result.stdout == 'done\n' and result.stderr == ''
