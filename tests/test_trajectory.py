"""Trajectory models: shapes, temporal forms, causality, flip, the loss, the mean-depth baseline,
camera-space output, checkpoints and bad input."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from gast_pyg import build_model, load_model, save_checkpoint
from gast_pyg.camera_space import (
    camera_space_poses,
    evaluate_trajectory,
    focal_length_from_fov,
    mean_root_depth,
)
from gast_pyg.checkpoints import CheckpointError, restore_weights
from gast_pyg.data import (
    DataError,
    WindowSampler,
    back_project,
    camera_roots,
    camera_targets,
    ground_truth_2d,
    load_h36m_cameras,
    load_positions_3d,
    project_to_2d,
    sequence_inputs,
    synthetic_motion,
    world_to_camera,
)
from gast_pyg.evaluation import evaluate
from gast_pyg.lifting import lift_sequence
from gast_pyg.metrics import trajectory_loss, weighted_mpjpe
from gast_pyg.models import TrajectoryModel
from gast_pyg.models.trajectory import H36M_FOCAL_LENGTH
from gast_pyg.nn import fold_batch_norms
from tests.conftest import shared_path
from tests.test_model import randomise_batch_norms

DESIGNS = ('shared', 'separate')
ARCHS = ('gast', 'tcn')


def small(arch: str = 'gast', design: str = 'shared', rf: int = 9, **kwargs) -> TrajectoryModel:
    return build_model(receptive_field=rf, channels=8, arch=arch, trajectory=design, **kwargs)


def parameters(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize('arch', ARCHS)
def test_shapes_and_the_cost_of_each_design(arch):
    pose = build_model(receptive_field=9, channels=8, arch=arch)
    shared, separate = small(arch, 'shared'), small(arch, 'separate')
    for model in (shared, separate):
        assert isinstance(model, TrajectoryModel) and model.arch == arch
        assert model.eval()(torch.randn(2, 20, 17, 2)).shape == (2, 12, 17, 3)
    # shared: the pose model plus a root head; separate: a second backbone without pose head.
    head = shared.root_head.weight.numel() + 3
    assert parameters(shared) == parameters(pose) + head
    assert parameters(separate) == 2 * parameters(pose) - parameters(pose.shrink) + head


@pytest.mark.parametrize('causal', [False, True])
@pytest.mark.parametrize('design', DESIGNS)
@pytest.mark.parametrize('arch', ARCHS)
def test_strided_and_dilated_forms_agree(arch, design, causal):
    model = small(arch, design, rf=27, causal=causal).eval()
    randomise_batch_norms(model)
    x = torch.randn(2, 33, 17, 2)
    with torch.no_grad():
        full = model(x)
        windows = torch.cat([model(x[:, t:t + 27]) for t in range(7)], dim=1)
    assert full.shape == windows.shape == (2, 7, 17, 3)
    torch.testing.assert_close(windows, full, atol=1e-5, rtol=1e-4)
    # The root is not pinned at the origin: it carries the head's position.
    assert full[..., 0, :].abs().min() > 0


@pytest.mark.parametrize('design', DESIGNS)
def test_causal_output_ignores_future_frames(design):
    model = small('gast', design, causal=True).eval()
    seq = np.random.default_rng(0).normal(size=(30, 17, 2)).astype(np.float32)
    changed = seq.copy()
    changed[20:] += 1.0
    with torch.no_grad():
        before = model(sequence_inputs(seq, model.receptive_field, causal=True))[0]
        after = model(sequence_inputs(changed, model.receptive_field, causal=True))[0]
    torch.testing.assert_close(after[:20], before[:20])
    assert (after[20] - before[20]).abs().max() > 1e-3


@pytest.mark.parametrize('arch', ARCHS)
def test_folded_batch_norms_and_chunks_keep_the_trajectory(arch):
    model = small(arch, 'separate').eval()
    randomise_batch_norms(model)
    x = torch.randn(1, 60, 17, 2)
    with torch.no_grad():
        expected = model(x)
        model.chunk_frames = 16
        torch.testing.assert_close(model(x), expected)
        torch.testing.assert_close(fold_batch_norms(model)(x), expected, atol=1e-5, rtol=1e-4)


def test_sampler_flips_the_root_x_with_the_image():
    skeleton = build_model(channels=4).skeleton
    rng = np.random.default_rng(1)
    poses_2d = [rng.normal(size=(40, 17, 2)).astype(np.float32)]
    absolute = [(rng.normal(size=(40, 17, 3)) + [0.7, 0.2, 5.0]).astype(np.float32)]
    plain = WindowSampler(poses_2d, absolute, 9, batch_size=40, shuffle=False)
    flipped = WindowSampler(poses_2d, absolute, 9, batch_size=40, shuffle=False, seed=3,
                            flip_augment=True, skeleton=skeleton)
    (x0, y0), = plain
    (x1, y1), = flipped
    mirrored = (y1[:, 0, 0, 0] == -y0[:, 0, 0, 0]).numpy()
    assert 0 < mirrored.sum() < 40
    # Root: x negated, y and depth kept; the image x of the root negated with it.
    torch.testing.assert_close(y1[mirrored, 0, 0, 1:], y0[mirrored, 0, 0, 1:])
    torch.testing.assert_close(x1[mirrored][:, :, 0, 0], -x0[mirrored][:, :, 0, 0])
    torch.testing.assert_close(y1[~mirrored], y0[~mirrored])


def test_weighted_mpjpe_and_trajectory_loss_by_hand():
    pred = torch.zeros(2, 1, 2, 3)
    target = torch.zeros(2, 1, 2, 3)
    target[0, 0, 0] = torch.tensor([0.0, 0.0, 2.0])   # root at depth 2
    target[1, 0, 0] = torch.tensor([0.0, 0.0, 4.0])   # root at depth 4
    target[:, 0, 1] = target[:, 0, 0] + torch.tensor([0.0, 1.0, 0.0])
    pred[0, 0, 0] = torch.tensor([3.0, 0.0, 6.0])     # root 5 m off (3-4-5)
    pred[1, 0, 0] = torch.tensor([0.0, 1.0, 4.0])     # root 1 m off
    pred[:, 0, 1] = pred[:, 0, 0] + torch.tensor([0.0, 0.0, 2.0])  # bone (0, 0, 2) vs (0, 1, 0)
    weight = 1 / target[:, :, :1, 2]
    assert weighted_mpjpe(pred[:, :, :1], target[:, :, :1], weight).item() == pytest.approx(
        (5 / 2 + 1 / 4) / 2)
    loss = trajectory_loss(pred, target)
    # Root-relative: joint 0 is exact, joint 1 off by |(0, -1, 2)| = sqrt(5).
    assert loss.pose.item() == pytest.approx(math.sqrt(5) / 2)
    assert loss.root.item() == pytest.approx((5 / 2 + 1 / 4) / 2)
    assert loss.total.item() == pytest.approx(loss.pose.item() + loss.root.item())
    with pytest.raises(ValueError, match=r'weight of shape \(2, 1\) does not broadcast'):
        weighted_mpjpe(pred[:, :, :1], target[:, :, :1], weight[..., 0])


def test_back_project_inverts_the_distorted_projection():
    camera = load_h36m_cameras()['S9'][2]
    points = np.random.default_rng(0).normal([0, 0, 5], [0.8, 0.8, 1], size=(50, 3))
    for intrinsic in (camera.intrinsic, camera.intrinsic_px):
        image = project_to_2d(points, intrinsic)
        np.testing.assert_allclose(back_project(image, points[:, 2], intrinsic), points, atol=1e-6)


def test_camera_roots_complete_the_root_relative_targets():
    cameras = load_h36m_cameras()
    world = synthetic_motion(1, 50, seed=0, subjects=['S1'])
    roots, targets = camera_roots(world, cameras), camera_targets(world, cameras)
    for index, camera in enumerate(cameras['S1']):
        for action, positions in world['S1'].items():
            absolute = world_to_camera(positions, camera.orientation, camera.translation)
            assert roots['S1'][action][index].shape == (50, 1, 3)
            np.testing.assert_allclose(targets['S1'][action][index] + roots['S1'][action][index],
                                       absolute, atol=1e-5)
    with pytest.raises(DataError, match="subject 'S3'"):
        camera_roots({'S3': world['S1']}, cameras)


def test_real_roots_are_in_front_of_every_camera():
    path = shared_path('data', 'h36m_expmap', 'data_3d_h36m_expmap.npz')
    positions = load_positions_3d(path)
    world = {'S8': {'Walking 1': positions['S8']['Walking 1']}}
    roots = camera_roots(world, load_h36m_cameras())['S8']['Walking 1']
    depth = np.concatenate([r[..., 2] for r in roots])
    assert 2.0 < depth.min() and depth.max() < 9.0
    # Walking covers metres: the root moves through space in camera coordinates.
    assert np.ptp(roots[0][:, 0], axis=0).max() > 1.0


def _synthetic_set(subjects=('S1', 'S8')):
    cameras = load_h36m_cameras()
    world = synthetic_motion(1, 60, seed=2, subjects=list(subjects))
    return (ground_truth_2d(world, cameras), camera_targets(world, cameras),
            camera_roots(world, cameras), cameras)


def test_mean_depth_baseline_matches_a_hand_computation():
    inputs, targets, roots, cameras = _synthetic_set()
    depth = mean_root_depth(roots)
    expected_depth = np.mean([r[..., 2].mean() for a in roots.values() for c in a.values()
                              for r in c])  # equal lengths: the frame-weighted mean
    assert depth == pytest.approx(expected_depth, rel=1e-6)
    model = small('gast', 'shared').eval()
    result = evaluate_trajectory(model, {'S8': inputs['S8']}, {'S8': targets['S8']},
                                 {'S8': roots['S8']}, cameras, depth, flip=False)
    # On ground-truth 2D the baseline root lies on the ray through the true root, at the mean
    # depth: the true root scaled by depth / z; its error is |root| * |1 - depth / z|.
    errors = [np.linalg.norm(r[:, 0], axis=-1) * np.abs(1 - depth / r[:, 0, 2])
              for c in roots['S8'].values() for r in c]
    expected = 1000 * np.concatenate(errors).mean()
    (action, row), = result['actions'].items()
    assert row['frames'] == 4 * 60 and row['sequences'] == 4
    assert row['baseline_root_mm'] == pytest.approx(expected, rel=1e-4)
    assert result['average']['baseline_root_mm'] == pytest.approx(expected, rel=1e-4)
    assert result['mean_depth_m'] == pytest.approx(depth)
    # Absolute errors: the root error enters; the model's pose is the same in both.
    for name in ('root_mm', 'absolute_mpjpe_mm', 'baseline_absolute_mpjpe_mm'):
        assert np.isfinite(row[name]) and row[name] > 0


def test_root_error_of_a_constant_root_head_by_hand():
    inputs, targets, roots, cameras = _synthetic_set(['S8'])
    action = next(iter(roots['S8']))
    true_root = roots['S8'][action][0][:, 0]
    model = small('gast', 'shared').eval()
    model.init_root(torch.from_numpy(true_root.mean(axis=0)))  # input-independent head
    first_camera = [{'S8': {action: data['S8'][action][:1]}} for data in (inputs, targets, roots)]
    result = evaluate_trajectory(model, *first_camera, cameras, 5.0, flip=False)
    spread = 1000 * np.linalg.norm(true_root - true_root.mean(axis=0), axis=-1).mean()
    assert result['average']['root_mm'] == pytest.approx(spread, rel=1e-4)


def test_pose_evaluation_of_a_trajectory_model_compares_root_relative_poses():
    inputs, targets, _, _ = _synthetic_set(['S8'])
    action = next(iter(inputs['S8']))
    one = [{'S8': {action: data['S8'][action][:1]}} for data in (inputs, targets)]
    model = small('gast', 'shared').eval()
    model.init_root(torch.tensor([0.5, 0.0, 5.0]))
    result = evaluate(model, *one, flip=False, metrics=('mpjpe',))
    pred = torch.from_numpy(lift_sequence(model, inputs["S8"][action][0], root_relative=False))
    expected = 1000 * torch.linalg.vector_norm(
        pred - pred[:, :1] - torch.from_numpy(targets['S8'][action][0]), dim=-1).mean()
    assert result['average']['mpjpe'] == pytest.approx(expected.item(), rel=1e-4)
    assert result['average']['mpjpe'] < 2000  # not the 5 m of the camera distance


def test_camera_space_poses_scale_depth_with_the_focal_length():
    model = small('tcn', 'shared')
    predicted = np.random.default_rng(0).normal([0.3, -0.2, 5.0], 0.2, size=(4, 17, 3))
    np.testing.assert_allclose(camera_space_poses(model, predicted, 1000), predicted, rtol=1e-6)
    focal_px = H36M_FOCAL_LENGTH * 500  # twice the training focal length over 500 px
    out = camera_space_poses(model, predicted, 500, focal_length=focal_px)
    root = predicted[:, 0]
    np.testing.assert_allclose(out[:, 0, 2], 2 * root[:, 2], rtol=1e-5)
    # The root keeps its image: f x / z under each camera's focal length.
    np.testing.assert_allclose(out[:, 0, :2], root[:, :2], rtol=1e-5)
    np.testing.assert_allclose(out - out[:, :1], predicted - predicted[:, :1], atol=1e-5)
    # The field of view of the training cameras gives the prediction back.
    fov = math.degrees(2 * math.atan(1 / H36M_FOCAL_LENGTH))
    np.testing.assert_allclose(camera_space_poses(model, predicted, 640, fov=fov), predicted,
                               rtol=1e-5)
    assert focal_length_from_fov(90, 640) == pytest.approx(320)


def test_h36m_focal_length_is_the_mean_of_the_cameras():
    focal = [f for c in load_h36m_cameras()['S1'] for f in c.focal_length]
    assert H36M_FOCAL_LENGTH == pytest.approx(np.mean(focal), abs=1e-4)


@pytest.mark.parametrize('design', DESIGNS)
def test_checkpoint_round_trip_says_it_has_a_trajectory(tmp_path, design):
    model = small('gast', design, trajectory_focal_length=2.5).eval()
    randomise_batch_norms(model)
    path = save_checkpoint(tmp_path / 'traj.pt', model)
    loaded = load_model(path)
    assert isinstance(loaded, TrajectoryModel)
    assert loaded.config['trajectory'] == design and loaded.focal_length == 2.5
    assert loaded.config == model.config
    x = torch.randn(1, 20, 17, 2)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x))
    with pytest.raises(CheckpointError, match='trajectory'):
        restore_weights(build_model(receptive_field=9, channels=8), path)


def test_training_steps_reduce_the_trajectory_loss():
    model = small('gast', 'shared')
    x = torch.randn(16, 9, 17, 2)
    y = torch.randn(16, 1, 17, 3) * 0.1 + torch.tensor([0.0, 0.0, 5.0])
    model.init_root(torch.tensor([0.0, 0.0, 4.0]))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(30):
        loss = trajectory_loss(model(x), y)
        optimizer.zero_grad()
        loss.total.backward()
        optimizer.step()
        losses.append(loss.root.item())
    assert losses[-1] < 0.5 * losses[0]


def test_bad_input_gives_one_clear_error():
    with pytest.raises(ValueError, match="unknown trajectory design 'both'"):
        build_model(channels=4, trajectory='both')
    with pytest.raises(ValueError, match='trajectory_focal_length needs'):
        build_model(channels=4, trajectory_focal_length=2.0)
    with pytest.raises(ValueError, match='focal_length must be > 0'):
        build_model(channels=4, trajectory='shared', trajectory_focal_length=0.0)
    plain = build_model(receptive_field=9, channels=8)
    predicted = np.zeros((3, 17, 3))
    with pytest.raises(ValueError, match='has no trajectory'):
        camera_space_poses(plain, predicted, 1000)
    model = small()
    for focal in (0.0, -100.0):
        with pytest.raises(ValueError, match=r'focal length must be a finite number > 0 pixels, got'):
            camera_space_poses(model, predicted, 1000, focal_length=focal)
    with pytest.raises(ValueError, match='between 0 and 180 degrees'):
        camera_space_poses(model, predicted, 1000, fov=180)
    with pytest.raises(ValueError, match='not both'):
        camera_space_poses(model, predicted, 1000, focal_length=1000, fov=60)
    with pytest.raises(ValueError, match=r'expected predicted poses \(frames, 17, 3\)'):
        camera_space_poses(model, predicted[:, :5], 1000)

    inputs, targets, roots, cameras = _synthetic_set(['S8'])
    with pytest.raises(ValueError, match='has no trajectory'):
        evaluate_trajectory(plain, inputs, targets, roots, cameras, 5.0)
    unknown = {'S42': inputs['S8']}
    with pytest.raises(DataError, match="subject 'S42': no cameras for its 2D data"):
        evaluate_trajectory(model, unknown, {'S42': targets['S8']}, {'S42': roots['S8']},
                            cameras, 5.0)
    too_many = {'S8': {k: v * 2 for k, v in inputs['S8'].items()}}
    with pytest.raises(DataError, match='2D data of camera 4, the subject has 4 cameras'):
        evaluate_trajectory(model, too_many, {'S8': {k: v * 2 for k, v in targets['S8'].items()}},
                            {'S8': {k: v * 2 for k, v in roots['S8'].items()}}, cameras, 5.0)
