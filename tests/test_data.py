"""Data pipeline: cameras, VideoPose3D files, windows and batches, synthetic motion."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import SHARED
from torch import nn

from gast_pyg import Skeleton
from gast_pyg.data import (
    H36M_KEPT_JOINTS,
    DataError,
    WindowSampler,
    action_name,
    align_2d_3d,
    camera_targets,
    camera_to_world,
    flip_average,
    flip_pose,
    ground_truth_2d,
    image_coordinates,
    load_h36m_cameras,
    load_positions_2d,
    load_positions_3d,
    normalize_keypoints,
    normalize_screen_coordinates,
    project_to_2d,
    quaternion_to_matrix,
    select,
    sequence_inputs,
    synthetic_motion,
    world_to_camera,
)

H36M_3D = SHARED / 'data' / 'h36m_expmap' / 'data_3d_h36m_expmap.npz'


@pytest.fixture(scope='module')
def cameras():
    return load_h36m_cameras()


@pytest.fixture(scope='module')
def skeleton():
    return Skeleton.load('h36m')


def pixels_inside(points_2d: np.ndarray, camera) -> bool:
    px = image_coordinates(points_2d, camera.res_w, camera.res_h)
    return bool(((px >= 0) & (px <= [camera.res_w, camera.res_h])).all())


# Cameras ---------------------------------------------------------------------------------------

def test_h36m_cameras_loaded(cameras):
    assert sorted(cameras) == ['S1', 'S11', 'S5', 'S6', 'S7', 'S8', 'S9']
    assert all(len(subject_cameras) == 4 for subject_cameras in cameras.values())
    camera = cameras['S1'][0]
    assert camera.id == '54138969' and (camera.res_w, camera.res_h) == (1000, 1002)
    assert camera.focal_length[0] == pytest.approx(camera.focal_length_px[0] / 1000 * 2)
    assert camera.translation[0] == pytest.approx(1.8411070556640625)  # millimetres -> metres
    assert camera.intrinsic.shape == (9,) and camera.intrinsic_px.shape == (9,)
    load_h36m_cameras()['S1'].clear()
    assert len(load_h36m_cameras()['S1']) == 4


def test_quaternion_to_matrix_is_a_rotation(cameras):
    np.testing.assert_allclose(quaternion_to_matrix(np.array([1.0, 0, 0, 0])), np.eye(3))
    R = quaternion_to_matrix(np.array([c.orientation for c in cameras['S9']]))
    np.testing.assert_allclose(R @ R.transpose(0, 2, 1), np.broadcast_to(np.eye(3), R.shape),
                               atol=1e-6)
    np.testing.assert_allclose(np.linalg.det(R), 1.0, atol=1e-6)
    # 90 degrees about z maps x to y.
    half = np.sqrt(0.5)
    np.testing.assert_allclose(quaternion_to_matrix(np.array([half, 0, 0, half])) @ [1, 0, 0],
                               [0, 1, 0], atol=1e-12)


def test_world_camera_round_trip(cameras):
    X = np.random.default_rng(0).normal(size=(5, 17, 3)).astype(np.float32)
    for camera in cameras['S5']:
        X_cam = world_to_camera(X, camera.orientation, camera.translation)
        assert X_cam.dtype == np.float32
        assert not np.allclose(X_cam, X)
        back = camera_to_world(X_cam, camera.orientation, camera.translation)
        np.testing.assert_allclose(back, X, atol=1e-5)


def test_point_on_optical_axis_projects_to_centre(cameras):
    for camera in cameras['S1']:
        R = quaternion_to_matrix(np.array(camera.orientation))
        X = np.array(camera.translation) + 4.0 * R[:, 2]  # 4 m along the camera's +z axis
        X_cam = world_to_camera(X, camera.orientation, camera.translation)
        np.testing.assert_allclose(X_cam, [0, 0, 4.0], atol=1e-9)
        np.testing.assert_allclose(project_to_2d(X_cam, camera.intrinsic), camera.center)
        np.testing.assert_allclose(project_to_2d(X_cam, camera.intrinsic_px), camera.center_px)


def test_projection_without_distortion_is_pinhole():
    intrinsic = np.array([2.0, 3.0, 0.1, -0.2, 0, 0, 0, 0, 0])
    X = np.array([[0.5, -1.0, 2.0], [1.0, 1.0, 4.0]])
    expected = np.array([[2.0 * 0.25 + 0.1, 3.0 * -0.5 - 0.2], [2.0 * 0.25 + 0.1, 3.0 * 0.25 - 0.2]])
    np.testing.assert_allclose(project_to_2d(X, intrinsic), expected)
    distorted = intrinsic.copy()
    distorted[4] = -0.2
    assert not np.allclose(project_to_2d(X, distorted), expected)


def test_projection_distortion_hand_computed():
    # u = (0.5, -0.25), r2 = 0.3125; radial = 1 + 0.1 r2 + 0.01 r2^2 + 0.001 r2^3 = 1.03225708;
    # tangential = 0.01 * 0.5 - 0.02 * -0.25 = 0.01; u_d = u * 1.04225708 + (0.01, -0.02) * r2.
    intrinsic = np.array([1.0, 1.0, 0.0, 0.0, 0.1, 0.01, 0.001, 0.01, -0.02])
    np.testing.assert_allclose(project_to_2d(np.array([1.0, -0.5, 2.0]), intrinsic),
                               [0.52425354, -0.26681427], rtol=1e-7)


def test_normalised_and_pixel_projections_agree(cameras):
    camera = cameras['S6'][3]
    X_cam = np.random.default_rng(1).uniform([-1, -1, 3], [1, 1, 6], size=(10, 3))
    np.testing.assert_allclose(
        image_coordinates(project_to_2d(X_cam, camera.intrinsic), camera.res_w, camera.res_h),
        project_to_2d(X_cam, camera.intrinsic_px),
        rtol=1e-9,
    )


def test_screen_normalisation_round_trip():
    np.testing.assert_allclose(normalize_screen_coordinates(np.array([[0, 0], [1000, 1002]]),
                                                            1000, 1002),
                               [[-1, -1.002], [1, 1.002]])
    px = np.random.default_rng(2).uniform(0, 1000, size=(7, 17, 2)).astype(np.float32)
    screen = normalize_screen_coordinates(px, 1000, 1002)
    assert screen.dtype == np.float32
    np.testing.assert_allclose(image_coordinates(screen, 1000, 1002), px, rtol=1e-5)


def test_real_h36m_walking_projects_inside_all_images(cameras):
    if not H36M_3D.exists():
        pytest.skip(f'{H36M_3D} is absent (../shared is not beside the project)')
    positions = load_positions_3d(H36M_3D)
    walking = select(positions, ['S1'], ['Walking 1'])
    assert walking['S1']['Walking 1'].shape[1:] == (17, 3)
    poses_2d = ground_truth_2d(walking, cameras)['S1']['Walking 1']
    assert len(poses_2d) == 4
    for sequence, camera in zip(poses_2d, cameras['S1']):
        assert pixels_inside(sequence, camera), camera.id


# VideoPose3D files -----------------------------------------------------------------------------

def save_3d(path: Path, positions) -> Path:
    np.savez_compressed(path, positions_3d=np.array(positions, dtype=object))
    return path


def walk(frames: int = 6, joints: int = 17, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(frames, joints, 3)).astype(np.float32)


def test_load_3d_reduces_32_joints_and_keeps_17(tmp_path):
    raw = walk(joints=32)
    path = save_3d(tmp_path / 'data_3d.npz', {'S1': {'Walking 1': raw}, 'S5': {'Eating': walk()}})
    positions = load_positions_3d(path)
    np.testing.assert_array_equal(positions['S1']['Walking 1'], raw[:, list(H36M_KEPT_JOINTS)])
    np.testing.assert_array_equal(positions['S5']['Eating'], walk())
    assert positions['S1']['Walking 1'].dtype == np.float32


@pytest.mark.parametrize(
    ('content', 'message'),
    [
        ({'S1': {'Walking 1': walk()[0]}}, r'expected shape \(frames, joints, 3\), got \(17, 3\)'),
        ({'S1': {'Walking 1': walk()[..., :2]}}, r'got \(6, 17, 2\)'),
        ({'S1': {'Walking 1': walk(joints=20)}}, 'expected 17 or 32 joints, got 20'),
        ({'S1': {'Walking 1': walk(frames=0)}}, 'at least 1 frame'),
        ({'S1': ['not', 'a', 'dict']}, r'expected a dict \{subject: \{action'),
    ],
)
def test_load_3d_rejects_malformed_sequences(tmp_path, content, message):
    path = save_3d(tmp_path / 'bad.npz', content)
    with pytest.raises(DataError, match=message) as error:
        load_positions_3d(path)
    assert str(path) in str(error.value)
    if isinstance(content['S1'], dict):
        assert "subject 'S1', action 'Walking 1'" in str(error.value)


def test_load_3d_names_first_non_finite_frame(tmp_path):
    data = walk(frames=10)
    data[3, 5, 1] = np.nan
    data[7, 0, 0] = np.inf
    path = save_3d(tmp_path / 'nan.npz', {'S7': {'Sitting 2': data}})
    with pytest.raises(DataError, match=r"subject 'S7', action 'Sitting 2'.*frame 3 \(2 bad"):
        load_positions_3d(path)


def test_load_3d_file_errors(tmp_path):
    with pytest.raises(DataError, match='file not found'):
        load_positions_3d(tmp_path / 'missing.npz')
    text = tmp_path / 'text.npz'
    text.write_text('not an archive')
    with pytest.raises(DataError, match='not an .npz'):
        load_positions_3d(text)
    other = tmp_path / 'other.npz'
    np.savez(other, poses=np.zeros(3))
    with pytest.raises(DataError, match=r"no entry 'positions_3d'.*\['poses'\]"):
        load_positions_3d(other)
    good = save_3d(tmp_path / 'good.npz', {'S1': {'Walking 1': walk(frames=200)}})
    truncated = tmp_path / 'truncated.npz'
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DataError, match='truncated'):
        load_positions_3d(truncated)
    with pytest.raises(DataError, match='expected 15 joints, got 17'):
        load_positions_3d(good, skeleton='humaneva')


def test_load_2d_with_metadata(tmp_path):
    keypoints = {'S1': {'Walking 1': [np.ones((5, 17, 2)), np.ones((5, 17, 3))]}}
    metadata = {'layout_name': 'h36m', 'num_joints': 17, 'keypoints_symmetry': [[4], [1]]}
    path = tmp_path / 'data_2d.npz'
    np.savez_compressed(path, positions_2d=np.array(keypoints, dtype=object),
                        metadata=np.array(metadata, dtype=object))
    positions, meta = load_positions_2d(path)
    assert meta == metadata
    assert [a.shape for a in positions['S1']['Walking 1']] == [(5, 17, 2), (5, 17, 3)]
    assert positions['S1']['Walking 1'][0].dtype == np.float32

    keypoints['S1']['Walking 1'][1] = np.ones((5, 16, 2))
    np.savez_compressed(path, positions_2d=np.array(keypoints, dtype=object),
                        metadata=np.array(metadata, dtype=object))
    with pytest.raises(DataError, match="action 'Walking 1', camera 1: expected 17 joints, got 16"):
        load_positions_2d(path)
    np.savez_compressed(path, positions_2d=np.array({'S1': {'Walking 1': np.ones((5, 17, 2))}},
                                                    dtype=object))
    with pytest.raises(DataError, match='list of per-camera arrays'):
        load_positions_2d(path)


def test_normalize_keypoints_keeps_scores(cameras):
    sequence = np.array([[[0.0, 0.0, 0.7], [1000.0, 1002.0, 0.2]]], dtype=np.float32)
    normalised = normalize_keypoints({'S1': {'Walking 1': [sequence]}}, cameras)
    np.testing.assert_allclose(normalised['S1']['Walking 1'][0],
                               [[[-1, -1.002, 0.7], [1, 1.002, 0.2]]], rtol=1e-6)
    assert sequence[0, 0, 0] == 0.0  # input untouched


def test_ground_truth_2d_and_camera_targets(cameras):
    motion = synthetic_motion(num_sequences=1, frames=20, subjects=['S8'])
    world = motion['S8']['Walking 1']
    poses_2d = ground_truth_2d(motion, cameras)['S8']['Walking 1']
    targets = camera_targets(motion, cameras)['S8']['Walking 1']
    assert len(poses_2d) == len(targets) == 4
    for pose_2d, target, camera in zip(poses_2d, targets, cameras['S8']):
        X_cam = world_to_camera(world, camera.orientation, camera.translation)
        assert pose_2d.shape == (20, 17, 2) and pose_2d.dtype == np.float32
        np.testing.assert_allclose(pose_2d, project_to_2d(X_cam, camera.intrinsic), rtol=1e-6)
        assert target.shape == (20, 17, 3) and not target[:, 0].any()
        np.testing.assert_allclose(target, X_cam - X_cam[:, :1], atol=1e-6)
    with pytest.raises(DataError, match="subject 'S2': no cameras"):
        ground_truth_2d({'S2': motion['S8']}, cameras)


def test_align_2d_3d():
    poses_3d = {'S1': {'Walking 1': np.zeros((5, 17, 3))}}
    poses_2d = {'S1': {'Walking 1': [np.zeros((7, 17, 2)), np.zeros((5, 17, 2))]}}
    aligned = align_2d_3d(poses_2d, poses_3d)
    assert [len(a) for a in aligned['S1']['Walking 1']] == [5, 5]
    per_camera = {'S1': {'Walking 1': [np.zeros((5, 17, 3)), np.zeros((4, 17, 3))]}}
    assert [len(a) for a in align_2d_3d(poses_2d, per_camera)['S1']['Walking 1']] == [5, 4]

    short = {'S1': {'Walking 1': [np.zeros((7, 17, 2)), np.zeros((3, 17, 2))]}}
    with pytest.raises(DataError, match=r"'S1', action 'Walking 1', camera 1: expected at least 5"
                                        r" 2D frames \(the 3D length\), got 3"):
        align_2d_3d(short, poses_3d)
    with pytest.raises(DataError, match="subject 'S5' is in the 2D data but not in the 3D"):
        align_2d_3d({**poses_2d, 'S5': {}}, poses_3d)
    with pytest.raises(DataError, match="subject 'S1': action 'Eating' is in the 3D data but not"):
        align_2d_3d(poses_2d, {'S1': {**poses_3d['S1'], 'Eating': np.zeros((5, 17, 3))}})


def test_select_and_action_name():
    data = {'S1': {'Walking 1': 1, 'Walking 2': 2, 'WalkDog 1': 3, 'Eating': 4},
            'S5': {'Walking 1': 5}}
    assert action_name('Walking 1') == 'Walking' and action_name('Eating') == 'Eating'
    assert select(data, ['S5', 'S1'], ['Walking']) == {
        'S5': {'Walking 1': 5}, 'S1': {'Walking 1': 1, 'Walking 2': 2}}
    assert select(data, ['S1'], ['Walking 2', 'Eating']) == {'S1': {'Walking 2': 2, 'Eating': 4}}
    assert select(data, ['S1']) == {'S1': data['S1']}
    with pytest.raises(DataError, match="unknown subject 'S9'; available: S1, S5"):
        select(data, ['S9'])
    with pytest.raises(DataError, match="action 'Sitting' matches no sequence"):
        select(data, ['S1'], ['Sitting'])


# Windows and batches ---------------------------------------------------------------------------

def encoded_sequences(lengths=(7, 4)) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """2D frame ``t`` of sequence ``s`` holds x = 100 s + t + 1 (> 0), y = joint index; the 3D
    target holds the same x, the joint index and 0."""
    poses_2d, poses_3d = [], []
    for s, length in enumerate(lengths):
        x = np.broadcast_to((100 * s + np.arange(length) + 1.0)[:, None], (length, 17))
        joint = np.broadcast_to(np.arange(17.0), (length, 17))
        poses_2d.append(np.stack([x, joint], axis=-1).astype(np.float32))
        poses_3d.append(np.stack([x, joint, np.zeros_like(x)], axis=-1).astype(np.float32))
    return poses_2d, poses_3d


def collect(sampler) -> tuple[torch.Tensor, torch.Tensor]:
    batches = list(sampler)
    return torch.cat([b[0] for b in batches]), torch.cat([b[1] for b in batches])


@pytest.mark.parametrize('causal', [False, True])
def test_windows_cover_every_frame_once(causal):
    poses_2d, poses_3d = encoded_sequences()
    sampler = WindowSampler(poses_2d, poses_3d, 5, causal=causal, batch_size=3, seed=0)
    assert sampler.num_windows == 11 and len(sampler) == 4
    batches = list(sampler)
    assert len(batches) == 4 and batches[-1][0].shape == (2, 5, 17, 2)
    inputs, targets = collect(sampler)
    assert inputs.shape == (11, 5, 17, 2) and targets.shape == (11, 1, 17, 3)
    assert inputs.dtype == targets.dtype == torch.float32
    assert sorted(targets[:, 0, 0, 0].tolist()) == [1, 2, 3, 4, 5, 6, 7, 101, 102, 103, 104]
    anchor = inputs[:, -1] if causal else inputs[:, 2]
    torch.testing.assert_close(anchor, targets[:, 0, :, :2])
    assert (inputs[..., 1] == torch.arange(17.0)).all()


@pytest.mark.parametrize(('causal', 'expected'), [(False, [1, 1, 1, 2, 3]), (True, [1, 1, 1, 1, 1])])
def test_windows_are_edge_padded(causal, expected):
    poses_2d, poses_3d = encoded_sequences()
    inputs, targets = collect(WindowSampler(poses_2d, poses_3d, 5, causal=causal, shuffle=False))
    assert inputs[0, :, 0, 0].tolist() == expected
    last = inputs[6, :, 0, 0].tolist()  # target frame 7 of sequence 0
    assert last == ([5, 6, 7, 7, 7] if not causal else [3, 4, 5, 6, 7])


def test_downsample_keeps_every_kth_frame():
    poses_2d, poses_3d = encoded_sequences()
    sampler = WindowSampler(poses_2d, poses_3d, 3, downsample=3, shuffle=False, batch_size=2)
    inputs, targets = collect(sampler)
    assert len(sampler) == 3
    assert targets[:, 0, 0, 0].tolist() == [1, 4, 7, 101, 104]
    assert inputs[1, :, 0, 0].tolist() == [1, 4, 7]


def test_flip_pose_twice_is_identity(skeleton):
    x = torch.randn(2, 3, 17, 3)
    flipped = flip_pose(x, skeleton)
    assert torch.equal(flipped[..., 4, 0], -x[..., 1, 0])  # left hip <- mirrored right hip
    torch.testing.assert_close(flip_pose(flipped, skeleton), x)
    array = np.random.default_rng(0).normal(size=(4, 17, 2)).astype(np.float32)
    np.testing.assert_array_equal(flip_pose(flip_pose(array, skeleton), skeleton), array)


def test_flip_augmentation_flips_inputs_and_targets_together(skeleton):
    poses_2d, poses_3d = encoded_sequences((40, 30))
    inputs, targets = collect(WindowSampler(poses_2d, poses_3d, 3, flip_augment=True,
                                            skeleton=skeleton, seed=3, batch_size=16))
    flipped = targets[:, 0, 0, 0] < 0
    assert 0.25 < flipped.float().mean() < 0.75
    assert (inputs[flipped, ..., 0] < 0).all() and (inputs[~flipped, ..., 0] > 0).all()
    perm = torch.tensor(skeleton.flip_permutation, dtype=torch.float32)
    assert (targets[flipped, 0, :, 1] == perm).all() and (inputs[flipped, 1, :, 1] == perm).all()
    torch.testing.assert_close(inputs[:, 1], targets[:, 0, :, :2])
    ordered = WindowSampler(poses_2d, poses_3d, 3, shuffle=False, flip_augment=True,
                            skeleton=skeleton, seed=3)
    assert not torch.equal(collect(ordered)[1], collect(ordered)[1])  # new flips every epoch
    with pytest.raises(ValueError, match='skeleton'):
        WindowSampler(poses_2d, poses_3d, 3, flip_augment=True)


def test_same_seed_same_batches_and_resume(skeleton):
    poses_2d, poses_3d = encoded_sequences((25, 18))

    def make(seed: int) -> WindowSampler:
        return WindowSampler(poses_2d, poses_3d, 3, batch_size=8, seed=seed,
                             flip_augment=True, skeleton=skeleton)

    first, again, other = make(0), make(0), make(1)
    epoch = collect(first)
    torch.testing.assert_close(epoch, collect(again))
    assert not torch.equal(epoch[1], collect(other)[1])
    assert not torch.equal(collect(first)[1], epoch[1])  # a new order every epoch

    state = first.state_dict()
    expected = collect(first)
    resumed = make(7)
    resumed.load_state_dict(state)
    torch.testing.assert_close(collect(resumed), expected)


def test_sampler_rejects_inconsistent_sequences():
    poses_2d, poses_3d = encoded_sequences()
    with pytest.raises(DataError, match='sequence 1: expected equal non-zero 2D and 3D lengths'):
        WindowSampler(poses_2d, [poses_3d[0], poses_3d[1][:3]], 3)
    with pytest.raises(DataError, match='sequence 1'):
        WindowSampler(poses_2d, [poses_3d[0], poses_3d[1][:, :16]], 3)
    with pytest.raises(ValueError, match='odd'):
        WindowSampler(poses_2d, poses_3d, 4)


def test_sequence_inputs_padding():
    sequence = encoded_sequences((4,))[0][0]
    padded = sequence_inputs(sequence, 5)
    assert padded.shape == (1, 8, 17, 2) and padded.dtype == torch.float32
    assert padded[0, :, 0, 0].tolist() == [1, 1, 1, 2, 3, 4, 4, 4]
    assert sequence_inputs(sequence, 5, causal=True)[0, :, 0, 0].tolist() == [1] * 5 + [2, 3, 4]


class Lift(nn.Module):
    """Appends z = 1 to every keypoint: a mirror-equivariant toy model."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, torch.ones_like(x[..., :1])], dim=-1)


class Constant(nn.Module):
    def __init__(self, pose: torch.Tensor) -> None:
        super().__init__()
        self.pose = pose

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.pose.expand(x.shape[0], x.shape[1], -1, -1)


def test_flip_average(skeleton):
    x = torch.randn(2, 6, 17, 2)
    torch.testing.assert_close(flip_average(Lift(), x, skeleton), Lift()(x))
    pose = torch.randn(17, 3)
    expected = (pose + flip_pose(pose, skeleton)) / 2
    torch.testing.assert_close(flip_average(Constant(pose), x, skeleton),
                               expected.expand(2, 6, 17, 3))


# Synthetic motion ------------------------------------------------------------------------------

def test_synthetic_motion(skeleton, cameras):
    motion = synthetic_motion(num_sequences=2, frames=150, seed=4)
    assert list(motion) == ['S1', 'S5', 'S6', 'S7', 'S8']
    assert list(motion['S1']) == ['Walking 1', 'Walking 2']
    sequence = motion['S6']['Walking 2']
    assert sequence.shape == (150, 17, 3) and sequence.dtype == np.float32
    np.testing.assert_array_equal(sequence, synthetic_motion(2, 150, seed=4)['S6']['Walking 2'])
    assert not np.array_equal(sequence, synthetic_motion(2, 150, seed=5)['S6']['Walking 2'])
    assert not np.array_equal(sequence, motion['S6']['Walking 1'])

    parents = np.array(skeleton.parents[1:])
    bones = np.linalg.norm(sequence[:, 1:] - sequence[:, parents], axis=-1)
    np.testing.assert_allclose(bones, np.broadcast_to(bones[0], bones.shape), atol=1e-5)
    assert 0.1 < bones.min() and bones.max() < 0.5
    assert 0.9 < sequence[:, 0, 2].min() and sequence[:, 0, 2].max() < 1.0
    assert sequence[..., 2].min() > 0
    assert np.linalg.norm(np.diff(sequence[:, 0], axis=0), axis=-1).max() > 0  # it moves

    for subject, poses_2d in ground_truth_2d(motion, cameras).items():
        for views in poses_2d.values():
            for view, camera in zip(views, cameras[subject]):
                assert pixels_inside(view, camera), (subject, camera.id)


# HumanEva-I --------------------------------------------------------------------------------------

def humaneva_motion(frames: int = 300, seed: int = 0) -> np.ndarray:
    """Smooth 15-joint motion ``(frames, 15, 3)``, metres, z up, around the HumanEva-I origin
    (about 4 m in front of all three cameras)."""
    rng = np.random.default_rng(seed)
    rest = np.array([[0, 0, 0.95], [0, 0, 1.45], [0.18, 0, 1.45], [0.2, 0, 1.18], [0.2, 0, 0.93],
                     [-0.18, 0, 1.45], [-0.2, 0, 1.18], [-0.2, 0, 0.93], [0.1, 0, 0.95],
                     [0.1, 0, 0.5], [0.1, 0, 0.08], [-0.1, 0, 0.95], [-0.1, 0, 0.5],
                     [-0.1, 0, 0.08], [0, 0, 1.7]])
    t = np.arange(frames)[:, None, None] / 60
    phase = rng.uniform(0, 2 * np.pi, (1, 15, 3))
    wobble = 0.05 * np.sin(2 * np.pi * 0.8 * t + phase)
    drift = np.concatenate([0.5 * np.sin(2 * np.pi * 0.1 * t), 0.5 * np.cos(2 * np.pi * 0.1 * t),
                            np.zeros_like(t)], axis=-1)
    return (rest + wobble + drift).astype(np.float32)


def test_humaneva_cameras_are_shared_by_the_split_prefixes():
    from gast_pyg.data import load_humaneva_cameras
    cameras = load_humaneva_cameras()
    for subject in ('S1', 'S2', 'S3'):
        for prefix in ('Train/', 'Validate/', 'Unlabeled/Train/', 'Unlabeled/Validate/'):
            assert cameras[prefix + subject] == cameras['Train/' + subject]
    assert 'S1' not in cameras and 'Train/S4' not in cameras
    # S3 was calibrated like S1 (the same values up to rounding), S2 differently.
    for a, b, c in zip(cameras['Train/S1'], cameras['Train/S3'], cameras['Train/S2']):
        assert a.orientation == b.orientation != c.orientation
        assert a.translation == pytest.approx(b.translation, abs=1e-6)
    c1, c2, c3 = cameras['Train/S2']
    assert [c.id for c in (c1, c2, c3)] == ['C1', 'C2', 'C3']
    assert all((c.res_w, c.res_h) == (640, 480) for c in (c1, c2, c3))
    assert c1.focal_length_px == pytest.approx((765.789418, 765.330306))
    assert c1.center == pytest.approx(tuple(normalize_screen_coordinates(
        np.array(c1.center_px), 640, 480)))
    assert c2.translation == pytest.approx((0.9235740, -3.8779243, 1.5045518))  # metres
    assert load_humaneva_cameras() is not cameras  # a fresh dict every call


def test_humaneva_data_loads_selects_and_projects_into_the_images(tmp_path):
    from gast_pyg.data import load_humaneva_cameras
    cameras = load_humaneva_cameras()
    path = save_3d(tmp_path / 'he.npz', {'Train/S1': {'Walk 1 chunk0': humaneva_motion()},
                                         'Validate/S1': {'Walk 1 chunk0': humaneva_motion(seed=1),
                                                         'Jog 1 chunk0': humaneva_motion(seed=2)}})
    data = load_positions_3d(path, skeleton='humaneva')
    assert data['Train/S1']['Walk 1 chunk0'].shape == (300, 15, 3)
    chosen = select(data, ['Validate/S1'], ['Jog'])
    assert list(chosen) == ['Validate/S1'] and list(chosen['Validate/S1']) == ['Jog 1 chunk0']
    with pytest.raises(DataError, match="unknown subject 'Train/S2'"):
        select(data, ['Train/S2'])
    inputs = ground_truth_2d(data, cameras)
    targets = camera_targets(data, cameras)
    for subject in data:
        for sequences, camera in zip(zip(*inputs[subject].values()), cameras[subject]):
            assert all(pixels_inside(seq, camera) for seq in sequences)
        for sequence in targets[subject]['Walk 1 chunk0']:
            assert sequence.shape == (300, 15, 3) and np.allclose(sequence[:, 0], 0)
