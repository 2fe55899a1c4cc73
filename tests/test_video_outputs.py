"""``gast-pyg video`` on the real two-person clip, as the README runs it: every person found and
lifted, one BVH per track and the viewer page (needs the video extra; skips without it)."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import shared_path
from gast_pyg.cli import main

pytest.importorskip('av')
pytest.importorskip('mediapipe')


def test_apart_gives_two_tracks_with_a_bvh_each_and_the_page(tmp_path, capsys):
    video = shared_path('data', 'wild', 'apart.avi')
    out = tmp_path / 'apart.npz'
    assert main(['video', str(video), '--output', str(out), '--bvh', str(tmp_path / 'a.bvh'),
                 '--render', str(tmp_path / 'a.html'), '--no-progress', '--threads', '1']) == 0
    result = np.load(out)
    present = result['present']
    assert present.shape == (2, 87)
    # The near man in every frame, the far man (hidden behind him at first) in at least 30.
    assert sorted(present.sum(axis=1).tolist())[::-1][0] == 87
    assert sorted(present.sum(axis=1).tolist())[0] >= 30
    # No identity swap: each track keeps its size in the image (the near man is about twice
    # as tall as the far one in every frame both are seen).
    both = present.all(axis=0)
    y = result['keypoints_2d'][..., 1][:, both]          # (tracks, frames, joints)
    heights = y.max(axis=-1) - y.min(axis=-1)
    near = int(np.argmax(present.sum(axis=1)))
    assert both.sum() >= 30 and (heights[near] > 1.3 * heights[1 - near]).all()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(['a.html', 'apart.npz'] + [f'a_track{int(t)}.bvh'
                                                        for t in result['track_ids']])
    for track in result['track_ids']:
        text = (tmp_path / f'a_track{int(track)}.bvh').read_text()
        assert text.startswith('HIERARCHY\nROOT ') and 'Frames: ' in text
    page = (tmp_path / 'a.html').read_text()
    assert '<script' in page and 'http' not in page.split('<script', 1)[1].split('</script>')[0]
