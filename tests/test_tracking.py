"""Frame-to-frame association of several people."""
from __future__ import annotations

import numpy as np
import pytest

from gast_pyg.keypoints import KeypointError
from gast_pyg.keypoints.detections import COCO_LAYOUT, Detections
from gast_pyg.keypoints.tracking import build_tracks, gap_frames, track_people


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


def shuffled(rows, seed=0):
    """``rows`` with the people of each frame in a random order."""
    rng = np.random.default_rng(seed)
    out = []
    for frame in sorted({f for f, _ in rows}):
        here = [r for r in rows if r[0] == frame]
        out += [here[i] for i in rng.permutation(len(here))]
    return out


def identities(ids, rows, name_of):
    """``{name: set of track ids}`` of the rows, named by ``name_of(row)``."""
    out = {}
    for i, row in zip(ids, rows):
        out.setdefault(name_of(row), set()).add(int(i))
    return out


def test_equal_people_crossing_behind_each_other_keep_their_identity():
    """Two people of one size walk towards each other on one line; the one behind is hidden
    for 9 frames as they cross, and each frame lists its people in a random order."""
    rows = []
    for t in range(60):
        rows.append((t, body(200 + 15 * t, 900, 400)))
        if not 26 <= t <= 34:
            rows.append((t, body(1100 - 15 * t, 900, 400) + [0, 0, -0.1]))  # B: score 0.8
    rows = shuffled(rows)
    ids = track_people(detections(rows, 60))
    names = identities(ids, rows, lambda row: 'A' if row[1][0, 2] > 0.85 else 'B')
    assert names == {'A': {0}, 'B': {1}} or names == {'A': {1}, 'B': {0}}


def test_one_second_disappearance_keeps_the_identity():
    rows = [(t, body(100 + 8 * t, 900, 500)) for t in range(80) if not 20 <= t < 50]
    assert gap_frames(30.0) == 30
    np.testing.assert_array_equal(track_people(detections(rows, 80), gap_frames(30.0)), 0)
    ids = track_people(detections(rows, 80), max_gap=29)
    assert list(ids) == [0] * 20 + [1] * 30


def test_eleven_frame_gap_of_one_of_two_people_gives_two_tracks():
    rows = []
    for t in range(40):
        rows.append((t, body(300 + 4 * t, 900, 600)))
        if not 15 <= t < 26:
            rows.append((t, body(1400 - 3 * t, 700, 300)))
    tracks = build_tracks(detections(shuffled(rows, 1), 40))
    assert tracks.track_ids.tolist() == [0, 1]
    assert tracks.present.sum(1).tolist() == [40, 29]


def test_a_person_who_turned_round_while_hidden_is_relinked():
    """Walking right at 30 px per frame, hidden for frames 20-35 and turning round at 28: the
    online pass looks for him 500 px to the right and starts a new track; re-linking, which
    moves the new track back by its own velocity, joins the two."""
    def x(t):
        return 100 + 30 * t if t < 28 else 100 + 30 * 28 - 30 * (t - 28)
    rows = [(t, body(x(t), 900, 300)) for t in range(56) if not 20 <= t <= 35]
    np.testing.assert_array_equal(track_people(detections(rows, 56)), 0)


def test_someone_else_appearing_where_a_person_vanished_is_a_new_track():
    tall = [(t, body(500 + 5 * t, 900, 600)) for t in range(20)]
    short = [(t, body(600 + 5 * t, 900, 250)) for t in range(24, 40)]
    ids = track_people(detections(tall + short, 40))
    assert list(ids) == [0] * 20 + [1] * 16


def test_gap_frames():
    assert gap_frames(29.97) == 30 and gap_frames(24.0, 0.5) == 12 and gap_frames(5.0, 0.0) == 1
    with pytest.raises(ValueError, match='fps must be > 0'):
        gap_frames(0.0)
