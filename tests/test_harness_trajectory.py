"""The training harness with a trajectory model (``--trajectory``) and detector-like training 2D
(``--augment-2d detector``): the camera-space report of ``train`` and ``evaluate``, causal and
flipped training, the data each split gets, resume and bad input."""
from __future__ import annotations

import argparse
import json
import math

import numpy as np
import pytest

from conftest import fit, load, parse_train_options, run_of
import torch

from gast_pyg import build_model
from gast_pyg.checkpoints import CheckpointError, load_checkpoint, save_checkpoint
from gast_pyg.cli import main as cli_main
from gast_pyg.cli.train import add_train_options, train_and_report
from gast_pyg.data import DataError, add_noise_2d, flip_pose, synthetic_motion
from gast_pyg.data.noise import sequence_rng
from gast_pyg.models import TrajectoryModel

TINY = ['--channels', '8', '--receptive-field', '9', '--synthetic-sequences', '1',
        '--synthetic-frames', '120', '--train-subjects', 'S1,S5', '--test-subjects', 'S8',
        '--batch-size', '32', '--downsample', '1', '--threads', '1', '--no-progress']
METRICS = {'root_mm', 'absolute_mpjpe_mm', 'baseline_root_mm', 'baseline_absolute_mpjpe_mm'}
SPLIT = {'train_subjects': ['S1'], 'test_subjects': ['S8']}


@pytest.fixture(autouse=True)
def _restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def options(*argv: str) -> argparse.Namespace:
    return parse_train_options(*[*TINY, *argv])


def assert_trajectory_report(report: dict) -> None:
    assert set(report['trajectory']) == METRICS
    assert all(math.isfinite(v) and v > 0 for v in report['trajectory'].values())
    assert set(report['trajectory_actions']) == {'Walking'}
    walking = report['trajectory_actions']['Walking']
    assert walking['frames'] == report['actions']['Walking']['frames']
    for metric in METRICS:  # one action: its row is the average
        assert walking[metric] == pytest.approx(report['trajectory'][metric])


# Training and evaluation ------------------------------------------------------------------------

def test_a_trajectory_run_reports_camera_space_errors_and_evaluate_repeats_them(tmp_path,
                                                                               capsys):
    result, report = train_and_report(options(
        '--trajectory', '--epochs', '2', '--checkpoint-dir', str(tmp_path / 'run'),
        '--output-json', str(tmp_path / 'train.json')))
    assert isinstance(result.model, TrajectoryModel) and result.model.design == 'shared'
    written = json.loads((tmp_path / 'train.json').read_text())
    assert_trajectory_report(written)
    assert written['trajectory'] == pytest.approx(report['trajectory'])
    assert written['model']['trajectory'] == 'shared'
    # The baseline depth is the training mean, recorded in the checkpoint.
    last = load_checkpoint(tmp_path / 'run' / 'last.pt')
    depth = last['training']['trajectory_mean_depth_m']
    roots = result.data.subset_roots(['S1', 'S5'])
    assert depth == pytest.approx(np.mean([seq[..., 2].mean() for actions in roots.values()
                                           for cameras in actions.values() for seq in cameras]))
    assert written['trajectory_mean_depth_m'] == pytest.approx(depth)
    assert last['training']['trajectory'] == 'shared'
    # Validation is P1 of the pose, not of the absolute joints.
    assert result.history[-1]['val_mpjpe'] < written['trajectory']['absolute_mpjpe_mm']
    assert all(h['train_root_loss'] > 0 for h in result.history)
    out = capsys.readouterr().out
    assert 'trajectory shared' in out and '| Baseline absolute MPJPE (mm) |' in out

    # Evaluation needs no training data: the same numbers from the checkpoint alone.
    assert cli_main(['benchmark', *TINY, '--evaluate', str(tmp_path / 'run' / 'last.pt'),
                 '--output-json', str(tmp_path / 'evaluate.json')]) == 0
    evaluated = json.loads((tmp_path / 'evaluate.json').read_text())
    assert evaluated['trajectory'] == pytest.approx(written['trajectory'])
    assert evaluated['average']['mpjpe'] == pytest.approx(written['average']['mpjpe'])


def test_a_plain_run_has_no_trajectory_keys(tmp_path):
    _, report = train_and_report(options('--epochs', '1', '--checkpoint-dir', str(tmp_path)))
    assert 'trajectory' not in report and 'Camera space' not in report['table']
    assert 'trajectory_mean_depth_m' not in load_checkpoint(tmp_path / 'last.pt')['training']


def test_causal_separate_trajectory_trains_with_flips_from_the_mean_root(tmp_path):
    result, report = train_and_report(options(
        '--trajectory', 'separate', '--causal', '--epochs', '0', '--checkpoint-dir',
        str(tmp_path)))
    model = result.model
    assert model.causal and model.design == 'separate'
    # Zero epochs: the root head is still at its start, the mean training root.
    roots = result.data.subset_roots(['S1', 'S5'])
    mean = np.concatenate([seq.reshape(-1, 3) for actions in roots.values()
                           for cameras in actions.values() for seq in cameras]).mean(axis=0)
    np.testing.assert_allclose(model.root_head.bias.detach().numpy(), mean, rtol=1e-5)
    assert torch.count_nonzero(model.root_head.weight) == 0
    assert_trajectory_report(report)

    result, report = train_and_report(options(
        '--trajectory', 'separate', '--causal', '--epochs', '2', '--flip-augment',
        '--checkpoint-dir', str(tmp_path / 'trained')))
    assert_trajectory_report(report)
    assert result.history[-1]['train_root_loss'] < result.history[0]['train_root_loss']


def test_the_sampler_of_a_trajectory_run_gets_absolute_targets_whose_root_x_flips(monkeypatch):
    import gast_pyg.training as training

    targets = []
    real = training.WindowSampler

    def capture(poses_2d, poses_3d, *args, **kwargs):
        targets.extend(poses_3d)
        return real(poses_2d, poses_3d, *args, **kwargs)

    monkeypatch.setattr(training, 'WindowSampler', capture)
    result = fit(options('--trajectory', '--epochs', '0', '--flip-augment'))
    relative = result.data.targets['S1']['Walking 1'][0]
    root = result.data.roots['S1']['Walking 1'][0]
    np.testing.assert_allclose(targets[0], relative + root)
    assert (root[..., 2] > 1).all()  # metres in front of the camera
    # Flipping mirrors the image: the root's x changes sign, its height and depth do not.
    flipped = flip_pose(targets[0], result.data.skeleton)
    np.testing.assert_allclose(flipped[:, 0], targets[0][:, 0] * [-1, 1, 1])


# Detector-like training 2D ---------------------------------------------------------------------

def test_augment_2d_detector_changes_the_training_inputs_only():
    plain = load(options(), SPLIT)
    detector = load(options('--augment-2d', 'detector'), SPLIT)
    again = load(options('--augment-2d', 'detector'), SPLIT)
    reseeded = load(options('--augment-2d', 'detector', '--seed', '1'), SPLIT)

    def inputs(data, subject, training):
        return data.subset([subject], training=training)[0][subject]['Walking 1']

    clean = inputs(plain, 'S1', True)
    augmented = inputs(detector, 'S1', True)
    for a, b in zip(clean, augmented):
        assert a.shape == b.shape and np.isfinite(b).all()
        assert np.abs(a - b).mean() > 0.002  # normalised units: > 1 px
    for a, b in zip(augmented, inputs(again, 'S1', True)):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(augmented[0], inputs(reseeded, 'S1', True)[0])
    # What is evaluated (the test subject, and the training subject outside training) is not.
    for subject, training in (('S8', True), ('S8', False), ('S1', False)):
        for a, b in zip(inputs(plain, subject, training), inputs(detector, subject, training)):
            np.testing.assert_array_equal(a, b)
    assert set(detector.augmented_inputs) == {'S1'}
    np.testing.assert_array_equal(detector.targets['S1']['Walking 1'][0],
                                  plain.targets['S1']['Walking 1'][0])
    assert 'detector-like' in detector.description and 'detector' not in plain.description


def test_augment_2d_detector_keeps_the_camera_of_a_trajectory_model():
    plain = load(options(), SPLIT)
    detector = load(options('--augment-2d', 'detector'), SPLIT)
    trajectory = load(options('--augment-2d', 'detector', '--trajectory'), SPLIT)
    shifts = [[np.abs(np.median(a - b, axis=(0, 1))).max() for a, b in zip(
        plain.inputs['S1']['Walking 1'], data.augmented_inputs['S1']['Walking 1'])]
        for data in (detector, trajectory)]
    # Zoom and crop move the whole person (by tenths of the image width) ...
    assert max(shifts[0]) > 0.05
    # ... without them the person stays where the camera sees it (noise and offsets only).
    assert max(shifts[1]) < 0.02
    for a, b in zip(plain.inputs['S1']['Walking 1'],
                    trajectory.augmented_inputs['S1']['Walking 1']):
        assert np.abs(a - b).mean() > 0.002


def test_augment_2d_detector_replaces_noise_2d_for_training_only():
    noisy = load(options('--noise-2d', '4'), SPLIT)
    both = load(options('--noise-2d', '4', '--augment-2d', 'detector'), SPLIT)
    detector = load(options('--augment-2d', 'detector'), SPLIT)
    for subject in ('S1', 'S8'):
        for a, b in zip(noisy.inputs[subject]['Walking 1'], both.inputs[subject]['Walking 1']):
            np.testing.assert_array_equal(a, b)
    for a, b in zip(both.augmented_inputs['S1']['Walking 1'],
                    detector.augmented_inputs['S1']['Walking 1']):
        np.testing.assert_array_equal(a, b)


def test_both_augmentations_draw_one_stream_per_sequence():
    clean = {'S1': {'Walking 1': [np.zeros((50, 17, 2))]}}
    noisy = add_noise_2d(clean, 1.0, seed=7)['S1']['Walking 1'][0]
    expected = sequence_rng(7, 'S1', 'Walking 1', 0).normal(0.0, 1.0, size=(50, 17, 2))
    outliers = np.abs(noisy - expected).max(axis=-1) > 0
    assert outliers.mean() < 0.05  # all but the outliers are this stream's first draws
    np.testing.assert_allclose(noisy[~outliers], expected[~outliers])
    assert not np.array_equal(sequence_rng(7, 'S1', 'Walking 1', 1).random(4),
                              sequence_rng(7, 'S1', 'Walking 1', 0).random(4))


def test_a_detector_run_trains_and_writes_the_option_into_its_config(tmp_path):
    train_and_report(options('--augment-2d', 'detector', '--epochs', '1', '--checkpoint-dir',
                             str(tmp_path)))
    assert 'augment_2d: detector' in (tmp_path / 'config.yaml').read_text()
    assert load_checkpoint(tmp_path / 'last.pt')['training']['augment_2d'] == 'detector'


def test_augment_2d_detector_needs_ground_truth_2d_of_human36m_joints():
    with pytest.raises(DataError, match='augment_2d detector .* needs data_2d gt, not '
                                        'data_2d detections.npz'):
        load(options('--augment-2d', 'detector', '--data-2d', 'detections.npz'), SPLIT)
    with pytest.raises(DataError, match="augment_2d detector: .*Human3.6M-17 joints.*"
                                        "'h36m_toes'"):
        load(options('--augment-2d', 'detector', '--skeleton', 'h36m_toes'), SPLIT)


# Resume and bad input --------------------------------------------------------------------------

@pytest.mark.parametrize('first, changed, message', [
    ([], ['--trajectory'], "saved with trajectory None, this run has 'shared'"),
    (['--trajectory'], ['--trajectory', 'separate'],
     "saved with trajectory 'shared', this run has 'separate'"),
    (['--augment-2d', 'detector'], [], "saved with augment_2d 'detector', this run has 'none'"),
])
def test_resume_refuses_a_changed_trajectory_or_augmentation(tmp_path, first, changed, message):
    fit(options(*first, '--epochs', '1', '--checkpoint-dir', str(tmp_path)))
    with pytest.raises(CheckpointError, match=message):
        fit(options(*changed, '--epochs', '2', '--checkpoint-dir', str(tmp_path), '--resume'))
    result = fit(options(*first, '--epochs', '2', '--checkpoint-dir', str(tmp_path),
                           '--resume'))
    assert [h['epoch'] for h in result.history] == [1, 2]


def test_a_checkpoint_saved_before_augment_2d_existed_resumes(tmp_path):
    fit(options('--epochs', '1', '--checkpoint-dir', str(tmp_path)))
    checkpoint = load_checkpoint(tmp_path / 'last.pt')
    del checkpoint['training']['augment_2d']
    torch.save(checkpoint, tmp_path / 'last.pt')
    assert len(fit(options('--epochs', '2', '--checkpoint-dir', str(tmp_path),
                             '--resume')).history) == 2


def test_a_trajectory_checkpoint_without_the_mean_depth_is_one_error(tmp_path, capsys):
    model = build_model(receptive_field=9, channels=8, trajectory='shared')
    save_checkpoint(tmp_path / 'bare.pt', model, training={'downsample': 1})
    assert cli_main(['benchmark', *TINY, '--evaluate', str(tmp_path / 'bare.pt')]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert 'bare.pt' in err and "'trajectory_mean_depth_m': expected metres > 0, got None" in err


def test_a_trajectory_run_on_a_subject_without_cameras_is_one_error(tmp_path):
    positions = synthetic_motion(1, 60, seed=1, subjects=('S1', 'S8'))
    positions['S99'] = positions.pop('S8')
    path = tmp_path / 'data_3d.npz'
    np.savez_compressed(path, positions_3d=positions)
    with pytest.raises(DataError, match=r"subject 'S99' has no Human3\.6M cameras"):
        fit(options('--trajectory', '--data-3d', str(path), '--dataset', 'h36m',
                      '--train-subjects', 'S99', '--test-subjects', 'S1', '--epochs', '1',
                      '--checkpoint-dir', str(tmp_path / 'run')))
