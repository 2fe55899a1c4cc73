"""Training and evaluation harness: options, data preparation, noise, training, exact resume,
multi-process training, per-action evaluation, checkpoints of both kinds and bad input."""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import SHARED, DepthOracle, fit, load, parse_train_options, run_of

import gast_pyg.files as files_module
from gast_pyg import build_model, load_model
from gast_pyg.checkpoints import CheckpointError, load_checkpoint
from gast_pyg.cli import build_parser as cli_parser
from gast_pyg.cli import main as cli_main
from gast_pyg.cli.train import add_train_options, train_and_report
from gast_pyg.data import (
    NOISE_OUTLIER_RATE,
    NOISE_OUTLIER_SCALE,
    DataError,
    WindowSampler,
    add_noise_2d,
    image_coordinates,
    load_h36m_cameras,
    project_to_2d,
    synthetic_motion,
    world_to_camera,
)
from gast_pyg.evaluation import (
    H36M_ACTIONS,
    canonical_action,
    evaluate,
    format_table,
)
from gast_pyg.metrics import p_mpjpe
from gast_pyg.training import _shard

ROOT = Path(__file__).resolve().parents[1]
H36M_3D = SHARED / 'data' / 'h36m_expmap' / 'data_3d_h36m_expmap.npz'
REFERENCE = SHARED / 'fixtures' / 'gastnet_reference' / 'gastnet_h36m17_rf27_ch32.pt'

# A tiny configuration: ~1000 windows per epoch, 11k parameters, a fraction of a second per epoch.
TINY = ['--channels', '8', '--receptive-field', '9', '--synthetic-sequences', '1',
        '--synthetic-frames', '120', '--train-subjects', 'S1,S5', '--test-subjects', 'S8',
        '--batch-size', '32', '--downsample', '1', '--threads', '1', '--no-progress']


@pytest.fixture(autouse=True)
def _restore_threads():
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def benchmark_parser() -> argparse.ArgumentParser:
    return cli_parser().commands['benchmark']


def benchmark(argv: list[str]) -> int:
    """``benchmarks/h36m.py ARGV``."""
    return cli_main(['benchmark', *argv])


def options(*argv: str, tiny: bool = True) -> argparse.Namespace:
    return parse_train_options(*[*(TINY if tiny else []), *argv])


# Options ---------------------------------------------------------------------------------------

def option_strings(parser: argparse.ArgumentParser) -> set[str]:
    return {s for action in parser._actions for s in action.option_strings} - {'-h', '--help'}


def test_train_and_the_script_share_one_option_set_and_evaluate_offers_only_its_own():
    subcommands = cli_parser().commands
    script = option_strings(benchmark_parser())
    train_options, evaluate_options = (option_strings(subcommands[name])
                                       for name in ('train', 'evaluate'))
    assert script == train_options | {'--evaluate'}
    assert '--evaluate' not in train_options
    for flag in ('--lr', '--epochs', '--resume', '--train-subjects', '--batch-size', '--arch'):
        assert flag not in evaluate_options
    for flag in ('--checkpoint', '--data-3d', '--test-subjects', '--downsample', '--test-flip',
                 '--output-json', '--threads', '--config'):
        assert flag in evaluate_options
    for parser in (benchmark_parser(), subcommands['train'], subcommands['evaluate']):
        assert 'outliers' in parser.format_help()
    for flag in ('--data-3d', '--data-2d', '--noise-2d', '--train-subjects', '--test-subjects',
                 '--actions', '--arch', '--receptive-field', '--channels', '--causal',
                 '--epochs', '--batch-size', '--lr', '--lr-decay', '--dropout', '--downsample',
                 '--checkpoint-dir', '--resume', '--evaluate', '--output-json', '--seed',
                 '--device', '--threads', '--amp', '--test-flip', '--flip-augment', '--config'):
        assert flag in script


def test_presets_are_the_papers_and_explicit_options_win():
    h36m = run_of(options('--data-3d', 'x.npz', tiny=False))
    data, model, optim = h36m.data, h36m.model, h36m.optim
    assert (data.dataset, optim.epochs, optim.batch_size, optim.lr, optim.lr_decay,
            model.dropout_rate, model.width, h36m.downsample) == (
        'h36m', 60, 128, 1e-3, 0.95, 0.05, 128, 5)
    assert data.data_2d == 'gt' and h36m.evaluation.test_flip and optim.flip_augment
    assert data.train_subjects == ('S1', 'S5', 'S6', 'S7', 'S8')
    assert data.test_subjects == h36m.validation_subjects == ('S9', 'S11')
    assert run_of(options('--data-3d', 'x', '--receptive-field', '243', tiny=False)).downsample == 1
    tcn = run_of(options('--data-3d', 'x', '--arch', 'tcn', tiny=False)).model
    assert (tcn.width, tcn.dropout_rate) == (1024, 0.25)
    humaneva = run_of(options('--data-3d', 'x', '--dataset', 'humaneva', tiny=False))
    assert (humaneva.optim.epochs, humaneva.optim.batch_size, humaneva.optim.lr_decay,
            humaneva.model.dropout_rate, humaneva.data.skeleton) == (200, 32, 0.98, 0.5, 'humaneva')
    assert run_of(options(tiny=False)).data.dataset == 'synthetic'
    explicit = run_of(options('--data-3d', 'x', '--epochs', '3', '--lr-decay', '0.5',
                              '--dropout', '0', '--actions', 'Walking,Eating', tiny=False))
    assert (explicit.optim.epochs, explicit.optim.lr_decay, explicit.model.dropout_rate) == (
        3, 0.5, 0.0)
    assert explicit.data.actions == ('Walking', 'Eating')


# Noise model -----------------------------------------------------------------------------------

def test_noise_2d_is_seeded_gaussian_jitter_in_pixels_with_rare_outliers():
    clean = {'S1': {'Walking 1': [np.full((4000, 17, 2), 500.0, np.float32)] * 2}}
    noisy = add_noise_2d(clean, 5.0, seed=3)
    again = add_noise_2d(clean, 5.0, seed=3)
    other = add_noise_2d(clean, 5.0, seed=4)
    delta = noisy['S1']['Walking 1'][0] - 500.0
    np.testing.assert_array_equal(noisy['S1']['Walking 1'][0], again['S1']['Walking 1'][0])
    assert not np.array_equal(noisy['S1']['Walking 1'][0], other['S1']['Walking 1'][0])
    # Cameras get independent streams.
    assert not np.array_equal(noisy['S1']['Walking 1'][0], noisy['S1']['Walking 1'][1])
    norms = np.linalg.norm(delta, axis=-1)
    outliers = norms > 8 * 5.0  # beyond 8 sigma: practically only outliers
    assert NOISE_OUTLIER_RATE * 0.6 < outliers.mean() < NOISE_OUTLIER_RATE * 1.2
    assert delta[~outliers].std() == pytest.approx(5.0, rel=0.03)
    assert delta[outliers].std() == pytest.approx(NOISE_OUTLIER_SCALE * 5.0, rel=0.2)
    assert clean['S1']['Walking 1'][0].max() == 500.0  # input untouched


def test_noise_2d_is_applied_in_pixels_before_normalisation():
    clean = load(options(), {'test_subjects': ['S8']})
    noisy = load(options('--noise-2d', '4'), {'test_subjects': ['S8']})
    camera = load_h36m_cameras()['S8'][0]
    a = image_coordinates(clean.inputs['S8']['Walking 1'][0], camera.res_w, camera.res_h)
    b = image_coordinates(noisy.inputs['S8']['Walking 1'][0], camera.res_w, camera.res_h)
    delta = (b - a)[np.linalg.norm(b - a, axis=-1) < 32]
    assert delta.std() == pytest.approx(4.0, rel=0.1)
    np.testing.assert_array_equal(clean.targets['S8']['Walking 1'][0],
                                  noisy.targets['S8']['Walking 1'][0])
    assert 'noise 4 px' in noisy.description


# Training, checkpoints, exact resume -----------------------------------------------------------

def test_training_lowers_the_error_and_writes_checkpoints(tmp_path, capsys):
    result, results = train_and_report(options('--epochs', '3', '--checkpoint-dir', str(tmp_path),
                                               '--output-json', str(tmp_path / 'r.json')))
    history = [h['val_mpjpe'] for h in result.history]
    assert len(history) == 3 and history[-1] < history[0]
    train_errors = [h['train_mpjpe'] for h in result.history]
    assert train_errors[-1] < train_errors[0]
    assert [h['lr'] for h in result.history] == pytest.approx([2e-3, 2e-3 * 0.95, 2e-3 * 0.95**2])
    last = load_checkpoint(tmp_path / 'last.pt')
    assert last['epoch'] == 3 and last['lr'] == pytest.approx(2e-3 * 0.95**3)
    best = load_checkpoint(tmp_path / 'best.pt')
    assert best['best_val_mpjpe'] == pytest.approx(min(history))
    assert best['epoch'] == 1 + int(np.argmin(history))
    # Our checkpoint rebuilds the final model.
    model = load_model(tmp_path / 'last.pt')
    for a, b in zip(model.state_dict().values(), result.model.state_dict().values()):
        assert torch.equal(a, b)
    report = json.loads((tmp_path / 'r.json').read_text())
    assert report['synthetic'] and set(report['actions']) == {'Walking'}
    assert report['average']['mpjpe'] == pytest.approx(results['average']['mpjpe'])
    out = capsys.readouterr().out
    assert 'SYNTHETIC DEMO' in out and '| P1: MPJPE (mm) |' in out


def state_of(directory: Path) -> dict:
    checkpoint = load_checkpoint(directory / 'last.pt')
    return {'weights': checkpoint['state_dict'], 'optimizer': checkpoint['optimizer']['state'],
            'epoch': checkpoint['epoch'], 'lr': checkpoint['lr']}


def assert_same_state(a: dict, b: dict) -> None:
    assert (a['epoch'], a['lr']) == (b['epoch'], b['lr'])
    assert a['weights'].keys() == b['weights'].keys()
    for key in a['weights']:
        assert torch.equal(a['weights'][key], b['weights'][key]), key
    for index, slots in a['optimizer'].items():
        for name, value in slots.items():
            assert torch.equal(value, b['optimizer'][index][name]), (index, name)


class _FailingOs(types.SimpleNamespace):
    """``os`` for gast_pyg.files (the checkpoints' writer) whose ``replace`` is interrupted at
    call ``fail_at``."""

    def __init__(self, fail_at: int):
        super().__init__(calls=0, fail_at=fail_at)

    def __getattr__(self, name):
        return getattr(os, name)

    def replace(self, src, dst):
        self.calls += 1
        if self.calls == self.fail_at:
            raise KeyboardInterrupt('interrupted while writing a checkpoint')
        os.replace(src, dst)


def test_resume_continues_exactly_and_interruptions_leave_whole_checkpoints(tmp_path,
                                                                            monkeypatch):
    # Dropout and flip augmentation on, so torch's and the sampler's random streams matter.
    common = ['--dropout', '0.2', '--epochs', '3']
    fit(options(*common, '--checkpoint-dir', str(tmp_path / 'straight')))
    straight = state_of(tmp_path / 'straight')

    # 2 epochs, then 1 more with --resume.
    split = str(tmp_path / 'split')
    fit(options('--dropout', '0.2', '--epochs', '2', '--checkpoint-dir', split))
    assert load_checkpoint(Path(split) / 'last.pt')['epoch'] == 2
    fit(options(*common, '--checkpoint-dir', split, '--resume'))
    assert_same_state(state_of(Path(split)), straight)

    # Interrupted while writing the checkpoint of epoch 3: the one of epoch 2 stays whole.
    interrupted = tmp_path / 'interrupted'
    failing = _FailingOs(fail_at=10**9)
    monkeypatch.setattr(files_module, 'os', failing)
    fit(options('--dropout', '0.2', '--epochs', '2', '--checkpoint-dir', str(interrupted)))
    saves = failing.calls  # last.pt and best.pt writes of 2 epochs
    failing.calls, failing.fail_at = 0, 1
    with pytest.raises(KeyboardInterrupt):
        fit(options(*common, '--checkpoint-dir', str(interrupted), '--resume'))
    monkeypatch.undo()
    assert saves >= 2
    assert sorted(p.name for p in interrupted.iterdir()) == ['best.pt', 'last.pt']
    assert load_checkpoint(interrupted / 'last.pt')['epoch'] == 2
    fit(options(*common, '--checkpoint-dir', str(interrupted), '--resume'))
    assert_same_state(state_of(interrupted), straight)


def test_resume_refuses_other_options_and_missing_files(tmp_path):
    fit(options('--epochs', '1', '--checkpoint-dir', str(tmp_path), '--test-subjects', 'S8'))
    with pytest.raises(CheckpointError, match=r'last\.pt: saved with batch_size 32, this run '
                                              r'has 16'):
        fit(options('--epochs', '2', '--batch-size', '16', '--checkpoint-dir', str(tmp_path),
                      '--resume'))
    with pytest.raises(CheckpointError, match='no checkpoint to resume from'):
        fit(options('--epochs', '2', '--resume', str(tmp_path / 'nothing.pt')))


def test_shards_of_an_epoch_are_disjoint_and_equal_in_size():
    sequences = [np.random.default_rng(i).normal(size=(37, 17, 2)).astype(np.float32)
                 for i in range(3)]
    targets = [np.arange(37 * 17 * 3, dtype=np.float32).reshape(37, 17, 3) + 10**5 * i
               for i in range(3)]
    sampler = WindowSampler(sequences, targets, 9, batch_size=4, seed=1)
    full = [t for _, t in sampler]
    world = 3
    steps = len(sampler) // world
    sampler_states = [WindowSampler(sequences, targets, 9, batch_size=4, seed=1)
                      for _ in range(world)]
    shards = [list(_shard(iter(s), rank, world, steps)) for rank, s in enumerate(sampler_states)]
    assert [len(shard) for shard in shards] == [steps] * world
    for rank, shard in enumerate(shards):
        for k, (_, target) in enumerate(shard):
            assert torch.equal(target, full[rank + k * world])
    seen = torch.cat([t[:, 0, 0, 0] for shard in shards for _, t in shard])
    assert len(set(seen.tolist())) == len(seen) == steps * world * 4


def test_two_processes_with_torchrun(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    command = [sys.executable, '-m', 'torch.distributed.run', '--standalone',
               '--nproc_per_node', '2', '-m', 'gast_pyg.cli', 'train', *TINY, '--epochs', '1',
               '--checkpoint-dir', str(tmp_path), '--output-json', str(tmp_path / 'r.json')]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert 'over 2 process(es)' in done.stdout
    checkpoint = load_checkpoint(tmp_path / 'last.pt')
    assert checkpoint['epoch'] == 1 and checkpoint['training']['world_size'] == 2
    assert len(checkpoint['torch_rng']) == 2  # each rank's dropout stream, for --resume
    assert not torch.equal(checkpoint['torch_rng'][0]['cpu'], checkpoint['torch_rng'][1]['cpu'])
    # Each rank trained on half of the 960 windows: 15 steps of 16 windows per epoch.
    history = checkpoint['history'][0]
    assert history['train_mpjpe'] > 0
    assert json.loads((tmp_path / 'r.json').read_text())['average']['mpjpe'] > 0


# Evaluation ------------------------------------------------------------------------------------

def test_evaluation_merges_sub_actions_weights_frames_and_averages_actions():
    rng = np.random.default_rng(0)
    lengths = {'Walking 1': 10, 'Walking 2': 31, 'Eating 2': 20}
    targets = {'S8': {a: [rng.normal(size=(n, 17, 3)).astype(np.float32) for _ in range(2)]
                      for a, n in lengths.items()},
               'S9': {'Walking 1': [rng.normal(size=(25, 17, 3)).astype(np.float32)]}}
    inputs = {s: {a: [t[..., :2] for t in cams] for a, cams in acts.items()}
              for s, acts in targets.items()}
    results = evaluate(DepthOracle(), inputs, targets)
    assert list(results['actions']) == ['Eating', 'Walking']  # paper order
    walking = [t for s in targets for a, cams in targets[s].items() if a.startswith('Walking')
               for t in cams]
    z = np.concatenate([np.abs(t[..., 2]) for t in walking])
    assert results['actions']['Walking']['mpjpe'] == pytest.approx(1000 * z.mean(), rel=1e-5)
    assert results['actions']['Walking']['frames'] == 2 * 10 + 2 * 31 + 25
    assert results['actions']['Walking']['sequences'] == 5
    velocity = np.concatenate([np.abs(np.diff(t[..., 2], axis=0)) for t in walking])
    assert results['actions']['Walking']['mpjve'] == pytest.approx(1000 * velocity.mean(),
                                                                   rel=1e-5)
    predicted = torch.from_numpy(np.concatenate(walking) * [1, 1, 0]).float()
    expected_p2 = p_mpjpe(predicted, torch.from_numpy(np.concatenate(walking)))
    assert results['actions']['Walking']['p_mpjpe'] == pytest.approx(1000 * expected_p2.item(),
                                                                     rel=1e-5)
    for metric in ('mpjpe', 'p_mpjpe', 'n_mpjpe', 'mpjve'):
        mean = (results['actions']['Walking'][metric] + results['actions']['Eating'][metric]) / 2
        assert results['average'][metric] == pytest.approx(mean)
    # Downsampling evaluates every n-th frame; without flip the oracle gives the same errors.
    assert evaluate(DepthOracle(), inputs, targets, downsample=3)['frames'] == (
        2 * 4 + 2 * 11 + 9 + 2 * 7)
    unflipped = evaluate(DepthOracle(), inputs, targets, flip=False)
    assert unflipped['average']['mpjpe'] == pytest.approx(results['average']['mpjpe'])

    table = format_table(results, title='S8').splitlines()
    assert table[0] == 'S8'
    assert table[2] == '| Protocol | Eat | Walk | Avg |'
    assert table[4].startswith('| P1: MPJPE (mm) | ') and table[5].startswith('| P2: P-MPJPE')
    assert table[4].endswith(f'| **{results["average"]["mpjpe"]:.1f}** |')
    assert len(table) == 8


def test_action_names_merge_and_follow_the_paper():
    assert canonical_action('Walking 2') == 'Walking'
    assert canonical_action('TakingPhoto 1') == 'Photo'
    assert canonical_action('WalkingDog') == 'WalkDog'
    assert list(H36M_ACTIONS.values())[:3] == ['Dir.', 'Disc.', 'Eat']


def test_evaluate_our_checkpoint_and_an_authors_checkpoint(tmp_path, capsys):
    _, results = train_and_report(options('--epochs', '1', '--checkpoint-dir', str(tmp_path)))
    assert benchmark([*TINY, '--evaluate', str(tmp_path / 'last.pt'),
                 '--output-json', str(tmp_path / 'ours.json')]) == 0
    ours = json.loads((tmp_path / 'ours.json').read_text())
    assert ours['checkpoint_kind'] == 'gast-pyg' and ours['checkpoint_epoch'] == 1
    assert ours['average']['mpjpe'] == pytest.approx(results['average']['mpjpe'])
    assert ours['model']['filter_widths'] == [3, 3]

    if not REFERENCE.exists():
        pytest.skip(f'{REFERENCE} is absent (../shared is not beside the project)')
    fixture = torch.load(REFERENCE, weights_only=True)
    path = tmp_path / 'authors_27_frames.bin'  # the name says nothing: content decides
    torch.save({'epoch': 60, 'lr': 1e-4, 'model_pos': fixture['state_dict']}, path)
    model = load_model(path)
    assert model.origin.kind == 'reference' and model.receptive_field == 27 and not model.training
    assert benchmark([*TINY, '--evaluate', str(path),
                      '--output-json', str(tmp_path / 'ref.json')]) == 0
    reference = json.loads((tmp_path / 'ref.json').read_text())
    assert reference['checkpoint_kind'] == 'reference'
    assert reference['model']['filter_widths'] == [3, 3, 3]
    assert reference['average']['mpjpe'] > 0
    out = capsys.readouterr().out
    assert out.count('| P1: MPJPE (mm) |') == 3


def test_evaluate_rejects_files_that_are_no_checkpoint(tmp_path, capsys):
    (tmp_path / 'notes.pt').write_text('hello')
    assert benchmark([*TINY, '--evaluate', str(tmp_path / 'notes.pt')]) == 2
    err = capsys.readouterr().err
    assert 'notes.pt' in err and 'not a readable PyTorch checkpoint' in err


# Bad input -------------------------------------------------------------------------------------

@pytest.fixture()
def files(tmp_path):
    """A small 3D file (S1, S8; Walking 1, Walking 2) and its projected 2D file in pixels."""
    positions = synthetic_motion(2, 60, seed=1, subjects=('S1', 'S8'))
    cameras = load_h36m_cameras()
    keypoints = {s: {a: [project_to_2d(world_to_camera(x, c.orientation, c.translation),
                                       c.intrinsic_px) for c in cameras[s]]
                     for a, x in acts.items()} for s, acts in positions.items()}

    def write(positions_3d=positions, positions_2d=keypoints, joints=17):
        path_3d, path_2d = tmp_path / 'data_3d_test.npz', tmp_path / 'data_2d_test_gt.npz'
        np.savez_compressed(path_3d, positions_3d=positions_3d)
        np.savez_compressed(path_2d, positions_2d=positions_2d,
                            metadata={'layout_name': 'h36m', 'num_joints': joints})
        return path_3d, path_2d

    return types.SimpleNamespace(positions=positions, keypoints=keypoints, write=write,
                                 tmp=tmp_path)


def data_options(path_3d, path_2d='gt', *argv):
    return options('--data-3d', str(path_3d), '--data-2d', str(path_2d), '--train-subjects', 'S1',
                   '--test-subjects', 'S8', *argv, tiny=False)


SUBJECTS = {'train_subjects': ['S1'], 'test_subjects': ['S8']}


def test_a_2d_file_matching_the_3d_file_loads(files):
    path_3d, path_2d = files.write()
    from_file = load(data_options(path_3d, path_2d), SUBJECTS)
    projected = load(data_options(path_3d), SUBJECTS)
    for subject in ('S1', 'S8'):
        for a, b in zip(from_file.inputs[subject]['Walking 2'],
                        projected.inputs[subject]['Walking 2']):
            np.testing.assert_allclose(a, b, atol=1e-5)
    assert from_file.targets['S1']['Walking 1'][0][:, 0].max() == 0  # root-relative


def test_longer_2d_is_trimmed_shorter_2d_is_an_error(files):
    longer = {s: {a: [np.concatenate([k, k[-5:]]) for k in cams] for a, cams in acts.items()}
              for s, acts in files.keypoints.items()}
    data = load(data_options(*files.write(positions_2d=longer)), SUBJECTS)
    assert len(data.inputs['S8']['Walking 1'][2]) == len(data.targets['S8']['Walking 1'][2]) == 60
    shorter = {s: {a: list(cams) for a, cams in acts.items()} for s, acts in longer.items()}
    shorter['S8']['Walking 2'][3] = shorter['S8']['Walking 2'][3][:50]
    path_3d, path_2d = files.write(positions_2d=shorter)
    with pytest.raises(DataError) as error:
        load(data_options(path_3d, path_2d), SUBJECTS)
    message = str(error.value)
    for part in (str(path_2d), str(path_3d), "'S8'", "'Walking 2'", 'camera 3', 'at least 60',
                 'got 50'):
        assert part in message


@pytest.mark.parametrize('where', ['subject', 'action'])
def test_subject_or_action_in_one_file_only(files, where):
    if where == 'subject':
        keypoints = {'S1': files.keypoints['S1']}
        expected = ("'S8'", 'not in this 2D file')
    else:
        keypoints = {s: dict(acts) for s, acts in files.keypoints.items()}
        del keypoints['S8']['Walking 2']
        expected = ("'S8'", "'Walking 2'", 'in the 3D data but not in the 2D data')
    path_3d, path_2d = files.write(positions_2d=keypoints)
    with pytest.raises(DataError) as error:
        load(data_options(path_3d, path_2d), SUBJECTS)
    assert str(path_2d) in str(error.value)
    for part in expected:
        assert part in str(error.value)
    # An action only in the 2D file is an error too.
    positions = {s: dict(acts) for s, acts in files.positions.items()}
    del positions['S1']['Walking 1']
    path_3d, path_2d = files.write(positions_3d=positions)
    with pytest.raises(DataError, match="'S1'.*'Walking 1' is in the 2D data but not in the 3D"):
        load(data_options(path_3d, path_2d), SUBJECTS)


def test_nan_and_joint_count_errors_name_file_subject_and_action(files):
    positions = {s: dict(acts) for s, acts in files.positions.items()}
    positions['S8']['Walking 1'] = positions['S8']['Walking 1'].copy()
    positions['S8']['Walking 1'][17, 3] = np.nan
    path_3d, _ = files.write(positions_3d=positions)
    with pytest.raises(DataError) as error:
        load(data_options(path_3d), SUBJECTS)
    for part in (str(path_3d), "'S8'", "'Walking 1'", 'frame 17'):
        assert part in str(error.value)

    path_3d, path_2d = files.write(
        positions_2d={s: {a: [k[:, :16] for k in cams] for a, cams in acts.items()}
                      for s, acts in files.keypoints.items()}, joints=16)
    with pytest.raises(DataError, match=rf"{path_2d}: subject 'S1', action 'Walking 1': 16 "
                                        r"joints, skeleton 'h36m' has 17"):
        load(data_options(path_3d, path_2d), SUBJECTS)

    path_3d, _ = files.write(positions_3d={s: {a: x[:, :15] for a, x in acts.items()}
                                           for s, acts in files.positions.items()})
    with pytest.raises(DataError, match=r"'S1'.*'Walking 1'.*expected 17 or 32 joints, got 15"):
        load(data_options(path_3d), SUBJECTS)


def test_unknown_subject_missing_file_and_unknown_action(files, capsys):
    path_3d, path_2d = files.write()
    with pytest.raises(DataError, match=rf"{path_3d}: unknown subject 'S9' in test_subjects; "
                                        r'available: S1, S8'):
        load(data_options(path_3d), {'test_subjects': ['S9']})
    with pytest.raises(DataError, match=r'missing\.npz: file not found'):
        load(data_options(files.tmp / 'missing.npz'), SUBJECTS)
    with pytest.raises(DataError, match=r'missing_2d\.npz: file not found'):
        load(data_options(path_3d, files.tmp / 'missing_2d.npz'), SUBJECTS)
    with pytest.raises(DataError, match=rf"{path_3d}: action 'Jumping' matches no sequence"):
        load(data_options(path_3d, 'gt', '--actions', 'Jumping'), SUBJECTS)
    # The command line reports one clear error line, no traceback.
    assert benchmark(['--data-3d', str(path_3d), '--train-subjects', 'S1', '--test-subjects', 'S9',
                 '--epochs', '1']) == 2
    err = capsys.readouterr().err.strip()
    assert err.count('\n') == 0 and err.startswith('gast-pyg benchmark: error: ')
    assert "unknown subject 'S9' in test_subjects; available: S1, S8" in err
    assert 'Traceback' not in err


# End to end ------------------------------------------------------------------------------------

def test_benchmark_script_runs_the_synthetic_demo(tmp_path):
    done = subprocess.run(
        [sys.executable, str(ROOT / 'benchmarks' / 'h36m.py'), *TINY, '--epochs', '1',
         '--checkpoint-dir', str(tmp_path)],
        capture_output=True, text=True, timeout=120, env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert done.returncode == 0, done.stderr[-3000:]
    assert 'SYNTHETIC DEMO' in done.stdout
    assert '| Protocol | Walk | Avg |' in done.stdout
    assert (tmp_path / 'last.pt').is_file()


def test_synthetic_preset_is_the_demo():
    from gast_pyg.configs import config_path, read_config_file
    preset = read_config_file(config_path('synthetic'))
    config = run_of(options(tiny=False))
    assert config.data.dataset == 'synthetic' and config.data.data_3d is None
    assert config.optim.epochs == preset['epochs'] >= 2
    assert config.model.width == preset['channels']['gast']


@pytest.mark.skipif(not H36M_3D.exists(), reason=f'{H36M_3D} is absent (no ../shared)')
def test_real_motion_validation_error_falls(tmp_path):
    args = options('--data-3d', str(H36M_3D), '--train-subjects', 'S1', '--test-subjects', 'S6',
                   '--actions', 'Walking,Eating,Greeting', '--receptive-field', '9',
                   '--channels', '16', '--downsample', '10', '--epochs', '2', '--batch-size', '64',
                   '--lr', '2e-3', '--threads', '1', '--no-progress',
                   '--checkpoint-dir', str(tmp_path), tiny=False)
    data = load(args, {'train_subjects': ['S1'], 'test_subjects': ['S6']})
    config = run_of(args)
    torch.manual_seed(config.data.seed)
    untrained = build_model(receptive_field=9, channels=16, dropout=config.model.dropout_rate)
    val_inputs, val_targets = data.subset(['S6'])
    before = evaluate(untrained, val_inputs, val_targets, downsample=10, flip=False,
                      metrics=('mpjpe',))['average']['mpjpe']
    result = fit(args, data=data)
    errors = [h['val_mpjpe'] for h in result.history]
    assert errors[0] < before and errors[1] < errors[0], (before, errors)
    assert errors[1] < 0.6 * before


def test_training_copies_of_held_out_motions_are_dropped(files, capsys):
    positions = {s: dict(acts) for s, acts in files.positions.items()}
    positions['S8']['Walking 2'] = positions['S1']['Walking 2'] + np.float32([0.3, -0.2, 0.0])
    path_3d, _ = files.write(positions_3d=positions)
    args = data_options(path_3d, 'gt', '--receptive-field', '9', '--channels', '8', '--epochs',
                        '1', '--batch-size', '32', '--downsample', '1', '--threads', '1',
                        '--no-progress', '--checkpoint-dir', str(files.tmp / 'run'))
    data = load(args, SUBJECTS)
    assert data.identical == [(('S1', 'Walking 2'), ('S8', 'Walking 2'))]
    assert data.leaks(['S1'], ['S8']) == [(('S1', 'Walking 2'), ('S8', 'Walking 2'))]
    assert data.leaks(['S8'], ['S1']) == [(('S8', 'Walking 2'), ('S1', 'Walking 2'))]
    inputs, _ = data.subset(['S1'], exclude=[('S1', 'Walking 2')])
    assert list(inputs['S1']) == ['Walking 1']
    fit(args, data=data)
    out = capsys.readouterr().out
    assert "excluded S1 'Walking 2' from training: the same motion as held-out S8 'Walking 2'" in out
    # 1 sequence x 4 cameras x 60 frames
    assert 'training on S1 (testing on S8): 240 windows' in out


# HumanEva-I ------------------------------------------------------------------------------------

def test_humaneva_trains_on_split_subjects_with_its_cameras(tmp_path, capsys):
    rest = np.array([[0, 0, 0.95], [0, 0, 1.45], [0.18, 0, 1.45], [0.2, 0, 1.18], [0.2, 0, 0.93],
                     [-0.18, 0, 1.45], [-0.2, 0, 1.18], [-0.2, 0, 0.93], [0.1, 0, 0.95],
                     [0.1, 0, 0.5], [0.1, 0, 0.08], [-0.1, 0, 0.95], [-0.1, 0, 0.5],
                     [-0.1, 0, 0.08], [0, 0, 1.7]])

    def motion(seed: int, frames: int = 240) -> np.ndarray:
        t = np.arange(frames)[:, None, None] / 60
        phase = np.random.default_rng(seed).uniform(0, 2 * np.pi, (1, 15, 3))
        drift = np.concatenate([0.4 * np.sin(0.6 * t), 0.4 * np.cos(0.6 * t),
                                np.zeros_like(t)], axis=-1)
        return (rest + 0.05 * np.sin(5 * t + phase) + drift).astype(np.float32)

    path = tmp_path / 'data_3d_humaneva15.npz'
    positions = {'Train/S1': {'Walk 1 chunk0': motion(0), 'Jog 1 chunk0': motion(1)},
                 'Validate/S1': {'Walk 1 chunk0': motion(2)}}
    np.savez_compressed(path, positions_3d=np.array(positions, dtype=object))
    args = ['--dataset', 'humaneva', '--data-3d', str(path), '--channels', '8',
            '--receptive-field', '9', '--epochs', '1', '--batch-size', '64', '--threads', '1',
            '--no-progress', '--train-subjects', 'Train/S1', '--test-subjects', 'Validate/S1',
            '--checkpoint-dir', str(tmp_path / 'ckpt')]
    resolved = options(*args, tiny=False)
    config = run_of(resolved)
    assert (config.data.skeleton, config.data.train_subjects) == ('humaneva', ('Train/S1',))
    data = load(resolved, {'train_subjects': ['Train/S1'],
                                'test_subjects': ['Validate/S1']})
    assert len(data.inputs['Train/S1']['Walk 1 chunk0']) == 3  # cameras C1-C3
    assert data.inputs['Train/S1']['Walk 1 chunk0'][0].shape == (240, 15, 2)
    assert benchmark(args) == 0
    out = capsys.readouterr().out
    assert '| P1: MPJPE (mm) |' in out and 'SYNTHETIC DEMO' not in out
    no_3d = options('--dataset', 'humaneva', tiny=False)
    with pytest.raises(DataError, match='dataset humaneva needs data_3d'):
        load(no_3d, {'train_subjects': ['Train/S1']})
