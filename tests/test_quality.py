"""Plausibility measures without ground truth, and lifting keypoint files of any tool."""
from __future__ import annotations

import numpy as np
import pytest

from conftest import shared_path
from gast_pyg import Lifter, LiftingOptions, build_model, save_checkpoint
from gast_pyg.metrics import (bone_length_cv, limb_asymmetry, mean_joint_acceleration,
                              pose_quality)
from gast_pyg.skeleton import Skeleton

H36M = Skeleton.load('h36m')
RNG = np.random.default_rng(0)


def rigid_walk(frames=20):
    """A fixed random pose translated at constant velocity: rigid, no acceleration."""
    pose = RNG.normal(size=(17, 3))
    return pose + np.arange(frames)[:, None, None] * np.array([0.01, 0, 0.02])


def test_rigid_motion_scores_zero():
    poses = rigid_walk()
    np.testing.assert_allclose(bone_length_cv(poses, H36M), 0, atol=1e-12)
    assert mean_joint_acceleration(poses) == pytest.approx(0, abs=1e-12)


def test_bone_length_cv_of_a_stretching_bone():
    poses = rigid_walk()
    wrist = H36M.joint_names.index('left_wrist')
    elbow = H36M.parents[wrist]
    forearm = poses[:, wrist] - poses[:, elbow]
    scale = np.where(np.arange(20) % 2, 1.5, 0.5)[:, None]  # lengths L/2 and 3L/2: CV 0.5
    poses[:, wrist] = poses[:, elbow] + forearm * scale
    cv = bone_length_cv(poses, H36M)
    bone = [j for j, p in enumerate(H36M.parents) if p >= 0].index(wrist)
    assert cv[bone] == pytest.approx(0.5)
    assert np.delete(cv, bone) == pytest.approx(0, abs=1e-12)


def test_limb_asymmetry_and_acceleration():
    poses = np.zeros((3, 17, 3))
    for joint, parent in enumerate(H36M.parents):
        if parent >= 0:
            poses[:, joint] = poses[:, parent] + [0, 1, 0]
    knee = H36M.joint_names.index('left_knee')
    poses[:, knee:knee + 2] += [0, 1, 0]  # the left thigh is 2 instead of 1: asymmetry 2/3
    asymmetry = limb_asymmetry(poses, H36M)
    pairs = [(H36M.joint_names[l], H36M.joint_names[r]) for l, r in H36M.symmetric_pairs]
    assert asymmetry[pairs.index(('left_knee', 'right_knee'))] == pytest.approx(2 / 3)
    assert np.delete(asymmetry, pairs.index(('left_knee', 'right_knee'))) == pytest.approx(0)
    poses[1] += [0, 0, 1]  # one joint-wide jump: second difference 2 in frame 0 -> 2 / 1 frame
    assert mean_joint_acceleration(poses) == pytest.approx(2.0)
    quality = pose_quality(poses, H36M, np.eye(3, 17, dtype=bool))
    assert float(quality['interpolated_fraction']) == pytest.approx(3 / 51)


def test_infer_baseball_tracks_and_quality(tmp_path):
    keypoints = shared_path('data', 'wild', 'baseball_hrnet_coco17.json')
    checkpoint = save_checkpoint(tmp_path / 'tiny.pt', build_model(channels=8).eval())
    lifted = Lifter(checkpoint, LiftingOptions(image_size=(1920, 1080))).lift_file(keypoints)
    lifted.save(tmp_path / 'b.npz')
    with np.load(tmp_path / 'b.npz') as npz:
        assert npz['poses_3d'].shape == (1, len(npz['frame_indices']), 17, 3)
        assert npz['track_ids'].tolist() == [0] and (int(npz['width']), int(npz['height'])) == (
            1920, 1080)
        np.testing.assert_allclose(npz['mean_acceleration'], lifted.quality[0]['mean_acceleration'])
    assert lifted.summary().startswith('track 0: ')
