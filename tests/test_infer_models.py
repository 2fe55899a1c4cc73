"""``infer`` / ``video`` beyond one person: several tracks, camera-space poses of trajectory
checkpoints, registry names and the shipped default model of every command that loads one."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

import gast_pyg.pretrained as pretrained
from gast_pyg import Lifter, LiftingOptions, build_model, load_model, save_checkpoint
from gast_pyg.camera_space import camera_space_poses
from gast_pyg.cli import build_parser, main
from gast_pyg.keypoints import prepare_keypoints
from gast_pyg.lifting import lift_sequence
from gast_pyg.nn import fold_batch_norms
from gast_pyg.pretrained import package_checkpoint

FRAMES = 30


def tiny(causal: bool = False, trajectory=None, seed: int = 0):
    torch.manual_seed(seed)
    model = build_model(receptive_field=9, channels=8, causal=causal, trajectory=trajectory)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return model.eval()


@pytest.fixture(scope='module')
def checkpoints(tmp_path_factory):
    folder = tmp_path_factory.mktemp('ckpt')
    return dict(plain=save_checkpoint(folder / 'plain.pt', tiny()),
                trajectory=save_checkpoint(folder / 'trajectory.pt', tiny(trajectory='shared')))


def walker(rng, start_x: float) -> np.ndarray:
    """(FRAMES, 17, 2) COCO pixels of a person drifting right from ``start_x``."""
    base = rng.uniform(-60, 60, size=(1, 17, 2)) + [start_x, 300]
    return base + np.arange(FRAMES)[:, None, None] * [3.0, 0.0]


def people(seed: int = 0):
    rng = np.random.default_rng(seed)
    return walker(rng, 200), walker(rng, 900)


def two_people(path: Path, seed: int = 0) -> Path:
    """The demo JSON, two people per frame (no track ids: the tracker follows them), the second
    one scored lower."""
    a, b = people(seed)
    data = [{'frame_index': t, 'skeleton': [
        {'pose': a[t].tolist(), 'score': [[0.9]] * 17},
        {'pose': b[t].tolist(), 'score': [[0.6]] * 17}]} for t in range(FRAMES)]
    path.write_text(json.dumps({'width': 1280, 'height': 720, 'data': data}))
    return path


def one_person(path: Path, seed: int = 0) -> Path:
    points = walker(np.random.default_rng(seed), 400)
    np.save(path, np.concatenate([points, np.full((FRAMES, 17, 1), 0.9)], -1))
    return path


def cli(args, capsys):
    try:
        code = main(args)
    except SystemExit as done:  # argparse's own errors
        code = done.code
    captured = capsys.readouterr()
    return code, captured.out, [line for line in captured.err.splitlines() if 'error' in line]


# --------------------------------------------------------------------------
# Several people.


def test_every_track_is_lifted_on_its_own(tmp_path, checkpoints, capsys):
    keypoints = two_people(tmp_path / 'two.json')
    out = tmp_path / 'two.npz'
    code, stdout, _ = cli(['infer', '--keypoints', str(keypoints), '--checkpoint',
                           str(checkpoints['plain']), '--output', str(out)], capsys)
    assert code == 0 and '2 track(s) over 30 frames' in stdout
    assert 'track 0: 30 frames detected' in stdout and 'track 1: 30 frames detected' in stdout
    model = fold_batch_norms(load_model(checkpoints['plain']))
    with np.load(out) as npz:
        assert npz['track_ids'].tolist() == [0, 1]
        assert npz['poses_3d'].shape == (2, FRAMES, 17, 3)
        assert npz['bone_length_cv'].shape == (2, 16) and npz['present'].all()
        assert (int(npz['width']), int(npz['height'])) == (1280, 720)
        poses = npz['poses_3d']
    # Each track equals the single-person lifting of that person's own keypoints.
    for k, points in enumerate(people()):
        array = tmp_path / f'person{k}.npy'
        np.save(array, np.concatenate([points, np.full((FRAMES, 17, 1), 0.9)], -1))
        prepared = prepare_keypoints(array, width=1280, height=720)
        np.testing.assert_allclose(poses[k], lift_sequence(model, prepared.normalized),
                                   atol=1e-6)


@pytest.mark.parametrize('person, expected', [('best', [0]), ('1', [1]), ('all', [0, 1])])
def test_person_choice(tmp_path, checkpoints, person, expected):
    out = tmp_path / 'o.npz'
    assert main(['infer', '--keypoints', str(two_people(tmp_path / 'two.json')), '--checkpoint',
                 str(checkpoints['plain']), '--output', str(out), '--person', person]) == 0
    with np.load(out) as npz:
        assert npz['track_ids'].tolist() == expected
        assert npz['poses_3d'].shape == (len(expected), FRAMES, 17, 3)


def test_forced_format_that_does_not_fit_is_one_error(tmp_path, checkpoints, capsys):
    code, _, errors = cli(['infer', '--keypoints', str(two_people(tmp_path / 'two.json')),
                           '--format', 'alphapose', '--checkpoint', str(checkpoints['plain']),
                           '--output', str(tmp_path / 'o.npz')], capsys)
    assert code == 2 and len(errors) == 1 and 'does not have the alphapose layout' in errors[0]
    assert not (tmp_path / 'o.npz').exists()


# --------------------------------------------------------------------------
# Camera space.


def test_trajectory_checkpoint_writes_camera_space_poses(tmp_path, checkpoints):
    keypoints = one_person(tmp_path / 'k.npy')
    square = LiftingOptions(image_size=(1000, 1000))
    result = Lifter(checkpoints['trajectory'], square).lift_file(keypoints)
    result.save(tmp_path / 'o.npz')
    model = fold_batch_norms(load_model(checkpoints['trajectory']))
    prepared = prepare_keypoints(keypoints, width=1000, height=1000)
    raw = lift_sequence(model, prepared.normalized, root_relative=False)
    with np.load(tmp_path / 'o.npz') as npz:
        camera, poses = npz['poses_3d_camera'], npz['poses_3d']
        assert camera.shape == poses.shape == (1, FRAMES, 17, 3)
        # The default camera is the training one: 2 f / width = the model's focal length.
        assert float(npz['focal_length']) == pytest.approx(model.focal_length * 500)
    np.testing.assert_allclose(camera[0], raw, atol=1e-5)
    np.testing.assert_allclose(poses[0], raw - raw[:, :1], atol=1e-5)
    assert result.options['focal_length'] == pytest.approx(model.focal_length * 500)
    # Twice the focal length: twice the root depth, the same root-relative pose.
    longer = Lifter(checkpoints['trajectory'], LiftingOptions(
        image_size=(1000, 1000), focal_length=model.focal_length * 1000)).lift_file(keypoints)
    np.testing.assert_allclose(longer.poses_3d_camera[0, :, 0, 2], 2 * raw[:, 0, 2], rtol=1e-5)
    np.testing.assert_allclose(longer.poses_3d[0], poses[0], atol=1e-5)
    np.testing.assert_allclose(longer.poses_3d_camera[0],
                               camera_space_poses(model, raw, 1000, model.focal_length * 1000),
                               atol=1e-5)
    # A 90 degree field of view over 1000 pixels is a 500 pixel focal length.
    wide = Lifter(checkpoints['trajectory'],
                  LiftingOptions(image_size=(1000, 1000), fov=90.0)).lift_file(keypoints)
    assert wide.focal_length == pytest.approx(500.0)


@pytest.mark.parametrize('which, extra, expected', [
    ('trajectory', ['--focal-length', '0'],
     'argument --focal-length: expected a focal length in pixels > 0, got 0'),
    ('trajectory', ['--focal-length', '-5'],
     'argument --focal-length: expected a focal length in pixels > 0, got -5'),
    ('trajectory', ['--fov', '180'],
     'argument --fov: expected degrees between 0 and 180 (exclusive), got 180'),
    ('plain', ['--focal-length', '1000'], 'has no trajectory'),
    ('plain', ['--fov', '60'], 'has no trajectory'),
    ('trajectory', ['--fov', '60', '--focal-length', '9'], 'not allowed with argument'),
])
def test_bad_camera_options_are_one_error_and_no_output(tmp_path, checkpoints, capsys, which,
                                                        extra, expected):
    code, _, errors = cli(['infer', '--keypoints', str(one_person(tmp_path / 'k.npy')),
                           '--checkpoint', str(checkpoints[which]), '--output',
                           str(tmp_path / 'o.npz'), *extra], capsys)
    assert code == 2 and len(errors) == 1 and expected in errors[0], errors
    assert sorted(p.name for p in tmp_path.iterdir()) == ['k.npy']


# --------------------------------------------------------------------------
# Registry names and the shipped default.


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """A temporary registry in place of the bundled one: a default and a default causal model."""
    entries = []
    for name, causal in (('tiny', False), ('tiny-causal', True)):
        checkpoint = save_checkpoint(tmp_path / 'runs' / f'{name}.pt', tiny(causal))
        entries.append(package_checkpoint(checkpoint, name, directory=tmp_path / 'weights'))
    path = tmp_path / 'weights' / 'registry.yaml'
    path.write_text(yaml.safe_dump({'default': 'tiny', 'default_causal': 'tiny-causal',
                                    'models': entries}))
    monkeypatch.setattr(pretrained, 'BUNDLED_REGISTRY', path)
    return path


def test_infer_uses_the_shipped_default_and_says_so(tmp_path, registry, capsys):
    keypoints = one_person(tmp_path / 'k.npy')
    code, stdout, _ = cli(['infer', '--keypoints', str(keypoints), '--output',
                           str(tmp_path / 'd.npz')], capsys)
    assert code == 0 and 'using the shipped model tiny (gast, receptive field 9, h36m;' in stdout
    code, stdout, _ = cli(['infer', '--keypoints', str(keypoints), '--checkpoint', 'tiny',
                           '--output', str(tmp_path / 'n.npz')], capsys)
    assert code == 0 and 'using the shipped model' not in stdout
    with np.load(tmp_path / 'd.npz') as default, np.load(tmp_path / 'n.npz') as named:
        np.testing.assert_array_equal(default['poses_3d'], named['poses_3d'])
        assert json.loads(str(default['options']))['checkpoint'].endswith('tiny.pt')


def test_latency_export_and_plot_attention_use_the_default(tmp_path, registry, capsys):
    code, stdout, _ = cli(['latency', '--frames', '2', '--warmup', '0'], capsys)
    assert code == 0 and 'using the shipped model tiny-causal (' in stdout
    assert 'StreamingLifter: receptive field 9' in stdout
    out = tmp_path / 'm.pt'
    code, stdout, _ = cli(['export', '--format', 'torchscript', '--output', str(out)], capsys)
    assert code == 0 and 'using the shipped model tiny (' in stdout and out.is_file()
    pytest.importorskip('matplotlib')
    figures = tmp_path / 'figures'
    code, stdout, _ = cli(['plot-attention', '--keypoints', str(one_person(tmp_path / 'k.npy')),
                           '--width', '1000', '--height', '1000', '--output-dir', str(figures)],
                          capsys)
    assert code == 0 and 'using the shipped model tiny (' in stdout
    assert any(p.suffix == '.png' for p in figures.iterdir())


@pytest.mark.parametrize('command', [
    ['infer', '--keypoints', 'K', '--output', 'O.npz'],
    ['video', 'V.mp4', '--output', 'O.npz'],
    ['export', '--format', 'torchscript', '--output', 'O.pt'],
    ['latency'],
])
def test_an_empty_registry_is_one_error_naming_the_option(tmp_path, monkeypatch, capsys,
                                                          command):
    empty = tmp_path / 'registry.yaml'
    empty.write_text(yaml.safe_dump({'default': None, 'default_causal': None, 'models': []}))
    monkeypatch.setattr(pretrained, 'BUNDLED_REGISTRY', empty)
    keypoints = one_person(tmp_path / 'k.npy')
    args = [str(keypoints) if a == 'K' else str(tmp_path / a) if a[0] in 'OV' else a
            for a in command]
    before = sorted(p.name for p in tmp_path.iterdir())
    code, _, errors = cli(args, capsys)
    assert code == 2 and len(errors) == 1, errors
    assert 'no --checkpoint given' in errors[0] and 'no default' in errors[0]
    assert 'with --checkpoint FILE|NAME' in errors[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_unknown_checkpoint_name_lists_the_registered_ones(tmp_path, registry, capsys):
    code, _, errors = cli(['infer', '--keypoints', str(one_person(tmp_path / 'k.npy')),
                           '--checkpoint', 'gast-81', '--output', str(tmp_path / 'o.npz')], capsys)
    assert code == 2 and len(errors) == 1
    assert "unknown pretrained model 'gast-81'; known: tiny, tiny-causal" in errors[0]


def test_evaluate_takes_a_name_and_the_evaluate_alias():
    parser = build_parser()
    assert parser.parse_args(['evaluate', '--evaluate', 'tiny']).checkpoint == 'tiny'
    assert parser.parse_args(['evaluate', '--checkpoint', 'tiny']).checkpoint == 'tiny'
