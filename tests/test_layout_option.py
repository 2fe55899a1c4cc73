"""``--layout`` forces the joint layout of a keypoint file for ``gast-pyg infer``."""
from __future__ import annotations

import numpy as np

from conftest import shared_path
from gast_pyg.cli import main


def test_layout_is_recognised_or_forced(tmp_path, capsys):
    keypoints = shared_path('data', 'wild', 'baseball_hrnet_coco17.json')
    common = ['infer', '--keypoints', str(keypoints), '--width', '1920', '--height', '1080',
              '--no-progress', '--threads', '1']
    assert main([*common, '--output', str(tmp_path / 'a.npz')]) == 0
    assert main([*common, '--layout', 'coco', '--output', str(tmp_path / 'b.npz')]) == 0
    a, b = np.load(tmp_path / 'a.npz'), np.load(tmp_path / 'b.npz')
    np.testing.assert_array_equal(a['poses_3d'], b['poses_3d'])
    capsys.readouterr()
    assert main([*common, '--layout', 'body25', '--output', str(tmp_path / 'c.npz')]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and str(keypoints) in err[0] and '25' in err[0]
    assert not (tmp_path / 'c.npz').exists()
