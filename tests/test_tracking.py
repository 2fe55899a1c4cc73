"""Frame-to-frame association of several people."""
from __future__ import annotations

import numpy as np
import pytest

from gast_pyg.keypoints import KeypointError
from gast_pyg.keypoints.detections import COCO_LAYOUT, Detections
from gast_pyg.keypoints.tracking import build_tracks, track_people


def body(x, y, height):
    """A 17-point figure ``(17, 3)`` of the given height with its feet at (x, y)."""
    k = np.arange(17)
    return np.stack([x + 0.1 * height * np.sin(k), y - height * (1 - k / 17),
                     np.full(17, 0.9)], axis=-1)


def detections(rows, frames, ids=None):
    return Detections(np.array([f for f, _ in rows]), np.stack([p for _, p in rows]),
                      None if ids is None else np.array(ids), np.arange(frames), COCO_LAYOUT,
                      None, 'synthetic')


def crossing(frames=30):
    """Person A walks right near the camera (tall), B left far away (short); their x cross at
    frame 15 and the order in each frame alternates so the file order says nothing."""
    rows, truth = [], []
    for t in range(frames):
        a = (t, body(100 + 20 * t, 900, 600))
        b = (t, body(700 - 20 * t, 500, 200))
        pair = [(a, 'A'), (b, 'B')] if t % 2 else [(b, 'B'), (a, 'A')]
        rows += [r for r, _ in pair]
        truth += [n for _, n in pair]
    return rows, truth


def test_crossing_people_keep_their_identity():
    rows, truth = crossing()
    ids = track_people(detections(rows, 30))
    assert len(set(ids)) == 2
    for name in 'AB':
        assert len({i for i, n in zip(ids, truth) if n == name}) == 1


def test_gap_within_and_beyond_max_gap():
    rows = [(t, body(100 + 5 * t, 900, 600)) for t in range(20) if not 8 <= t < 12]
    np.testing.assert_array_equal(track_people(detections(rows, 20), max_gap=4), 0)
    ids = track_people(detections(rows, 20), max_gap=3)
    assert list(ids[:8]) == [0] * 8 and list(ids[8:]) == [1] * 8


def test_far_jump_starts_a_new_track():
    rows = [(0, body(100, 900, 300)), (1, body(1500, 900, 300))]
    np.testing.assert_array_equal(track_people(detections(rows, 2)), [0, 1])


def test_build_tracks_layout_and_selection():
    rows, _ = crossing(10)
    rows = [r for r in rows if not (r[0] == 3 and r[1][16, 1] > 600)]  # A missing in frame 3
    tracks = build_tracks(detections(rows, 12))
    assert tracks.points.shape == (2, 12, 17, 3)
    a = int(np.flatnonzero(np.nanmax(tracks.points[:, 0, :, 1], axis=1) > 600)[0])
    assert not tracks.present[a, 3] and tracks.present[1 - a, 3]
    assert np.isnan(tracks.points[a, 3, :, :2]).all() and (tracks.points[a, 3, :, 2] == 0).all()
    assert not tracks.present[:, 10:].any()
    np.testing.assert_allclose(tracks.detection_score[tracks.present], 0.9)
    assert np.isnan(tracks.detection_score[~tracks.present]).all()

    only = build_tracks(detections(rows, 12), person=int(tracks.track_ids[a]))
    np.testing.assert_array_equal(only.points, tracks.points[a:a + 1])
    with pytest.raises(KeypointError, match=r"no person 9; the track ids are \[0, 1\]"):
        build_tracks(detections(rows, 12), person=9)


def test_best_takes_the_highest_score_per_frame():
    low, high = body(100, 900, 600), body(800, 900, 600)
    low[:, 2], high[:, 2] = 0.4, 0.8
    rows = [(0, low), (0, high), (1, high), (1, low)]
    tracks = build_tracks(detections(rows, 2), person='best')
    np.testing.assert_array_equal(tracks.track_ids, [0])
    np.testing.assert_allclose(tracks.points[0, :, :, 0], np.stack([high[:, 0]] * 2))


def test_file_ids_win_over_association():
    rows, _ = crossing(4)
    tracks = build_tracks(detections(rows, 4, ids=[5, 3] * 4))
    np.testing.assert_array_equal(tracks.track_ids, [5, 3])
    assert tracks.present.all()


def test_no_person_at_all():
    empty = Detections(np.zeros(0, np.int64), np.zeros((0, 17, 3)), None, np.arange(5),
                       COCO_LAYOUT, None, 'empty.json')
    with pytest.raises(KeypointError, match='empty.json: no person in any of the 5 frames'):
        build_tracks(empty)
