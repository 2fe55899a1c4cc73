"""``gast-pyg infer``: outputs, both checkpoint kinds, bad input, atomic output, long videos."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import SHARED

from gast_pyg import Lifter, LiftingOptions, build_model, load_model, save_checkpoint
from gast_pyg.cli import main
from gast_pyg.data import flip_average, sequence_inputs
from gast_pyg.files import staged_outputs
from gast_pyg.lifting import lift_sequence
from gast_pyg.keypoints import prepare_keypoints

BASEBALL = SHARED / 'data' / 'wild' / 'baseball_hrnet_coco17.json'
CAUSAL_FIXTURE = SHARED / 'fixtures' / 'gastnet_reference' / 'gastnet_h36m17_rf27_ch16_causal.pt'



def shared(path: Path) -> Path:
    if not path.is_file():
        pytest.skip(f'{path} is absent (../shared is not beside the project)')
    return path


def tiny(skeleton='h36m', causal=False, seed=0, receptive_field=9):
    torch.manual_seed(seed)
    model = build_model(skeleton, receptive_field=receptive_field, channels=8, causal=causal)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return model.eval()


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory) -> Path:
    # Named .bin on purpose: the kind of checkpoint is told by content, not by name.
    return save_checkpoint(tmp_path_factory.mktemp('ckpt') / 'ours.bin', tiny())


def coco_file(path: Path, frames: int = 30, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    walk = np.cumsum(rng.normal(scale=2.0, size=(frames, 1, 2)), 0)
    base = rng.uniform(200, 500, size=(1, 17, 2))
    np.save(path, np.concatenate([base + walk, np.full((frames, 17, 1), 0.9)], -1))
    return path


def expected_poses(model, prepared) -> np.ndarray:
    """Independent of lift_sequence: the model on the padded sequence, root subtracted."""
    with torch.no_grad():
        out = model(sequence_inputs(prepared.normalized, model.receptive_field, model.causal))[0]
    return (out - out[:, :1]).numpy()


def listing(folder: Path) -> list:
    return sorted(p.name for p in folder.iterdir())


def lift(keypoints, checkpoint, causal=False, **options):
    """What ``gast-pyg infer`` computes: the :class:`Lifter` on a keypoint file."""
    return Lifter(checkpoint, LiftingOptions(**options), causal=causal).lift_file(keypoints)


def test_infer_baseball_end_to_end(tmp_path, checkpoint, capsys):
    keypoints = shared(BASEBALL)
    out = tmp_path / 'out' / 'baseball.npz'
    assert main(['infer', '--keypoints', str(keypoints), '--checkpoint', str(checkpoint),
                 '--output', str(out)]) == 0
    captured = capsys.readouterr()
    assert 'warning: ' in captured.err and 'image size is not known' in captured.err
    assert '1 track(s) over 277 frames x 17 joints' in captured.out
    assert 'track 0: 277 frames detected; bone length CV' in captured.out  # the quality summary
    assert listing(out.parent) == ['baseball.npz']
    with np.load(out, allow_pickle=False) as data:
        poses, frames = data['poses_3d'], data['frame_indices']
        options = json.loads(str(data['options']))
        assert list(data['joint_names'])[:2] == ['pelvis', 'right_hip']
        # One track: the multi-track layout with P = 1.
        assert data['track_ids'].tolist() == [0]
        assert data['keypoints_2d'].shape == (1, 277, 17, 2)
        assert data['interpolated'].shape == (1, 277, 17)
        assert data['bone_length_cv'].shape == (1, 16) and 'poses_3d_camera' not in data
    assert poses.shape == (1, 277, 17, 3) and poses.dtype == np.float32
    poses = poses[0]
    np.testing.assert_array_equal(frames, np.arange(1, 278))
    assert np.all(poses[:, 0] == 0)  # root-relative: the pelvis at the origin
    assert options['image_size'] == [1920, 1080] and options['image_size_estimated']
    assert options['receptive_field'] == 9 and options['skeleton'] == 'h36m'
    model = load_model(checkpoint)
    with pytest.warns(UserWarning):
        prepared = prepare_keypoints(keypoints)
    np.testing.assert_allclose(poses, expected_poses(model, prepared), atol=1e-6, rtol=0)


def test_explicit_image_size_and_options_are_recorded(tmp_path, checkpoint):
    keypoints = coco_file(tmp_path / 'k.npy')
    out = tmp_path / 'k3d.npz'
    result = lift(keypoints, checkpoint, image_size=(640, 480), score_threshold=0.5, flip=True)
    assert result.save(out) == out
    prepared = prepare_keypoints(keypoints, width=640, height=480, score_threshold=0.5)
    with np.load(out) as data:
        options = json.loads(str(data['options']))
    assert options['image_size'] == [640, 480] and not options['image_size_estimated']
    assert options['score_threshold'] == 0.5 and options['flip'] is True
    model = load_model(checkpoint)
    inputs = sequence_inputs(prepared.normalized, model.receptive_field)
    with torch.no_grad():
        flipped = flip_average(model, inputs, model.skeleton)[0]
    np.testing.assert_allclose(result.poses_3d[0], (flipped - flipped[:, :1]).numpy(),
                               atol=1e-6)


def test_bfloat16_lifting_stays_close_to_float32_and_is_recorded(tmp_path, checkpoint, capsys):
    keypoints = coco_file(tmp_path / 'k.npy')
    plain = lift(keypoints, checkpoint, image_size=(640, 480))
    assert main(['infer', '--keypoints', str(keypoints), '--checkpoint', str(checkpoint),
                 '--width', '640', '--height', '480', '--precision', 'bfloat16',
                 '--output', str(tmp_path / 'bf16.npz')]) == 0
    with np.load(tmp_path / 'bf16.npz') as data:
        assert json.loads(str(data['options']))['precision'] == 'bfloat16'
        poses = data['poses_3d']
    expected = plain.poses_3d
    assert poses.dtype == np.float32 and poses.shape == expected.shape
    # bfloat16 keeps 8 bits of mantissa: close to float32, not equal to it.
    scale = np.abs(expected).max()
    assert 0 < np.abs(poses - expected).max() < 0.05 * scale
    with pytest.raises(SystemExit) as exit_:
        main(['infer', '--keypoints', str(keypoints), '--checkpoint', str(checkpoint),
              '--precision', 'half', '--output', str(tmp_path / 'x.npz')])
    assert exit_.value.code == 2 and "--precision: invalid choice: 'half'" in capsys.readouterr().err
    with pytest.raises(ValueError, match="precision: expected one of float32, bfloat16, got 'half'"):
        lift_sequence(load_model(checkpoint), np.zeros((5, 17, 2), np.float32), precision='half')
    assert not (tmp_path / 'x.npz').exists()


def test_authors_checkpoint_is_accepted(tmp_path):
    fixture = torch.load(shared(CAUSAL_FIXTURE), weights_only=True)
    path = tmp_path / 'authors_causal.pt'   # named .pt on purpose
    torch.save({'epoch': 80, 'model_pos': fixture['state_dict']}, path)
    keypoints = coco_file(tmp_path / 'k.npy', frames=40)
    result = lift(keypoints, path, causal=True, image_size=(640, 640))
    reference = load_model(path, causal=True)
    assert reference.origin.kind == 'reference' and reference.origin.epoch == 80
    assert result.options['causal'] and result.options['receptive_field'] == 27
    # The lifter folds batch norms into the weights: equal up to float rounding.
    prepared = prepare_keypoints(keypoints, width=640, height=640)
    np.testing.assert_allclose(result.poses_3d[0], expected_poses(reference, prepared),
                               atol=1e-5)


def run_cli(args, capsys):
    code = main(args)
    err = capsys.readouterr().err
    return code, [line for line in err.splitlines() if 'error' in line]


@pytest.mark.parametrize('case', ['malformed', 'count', 'all_nan', 'all_zero', 'skeleton',
                                  'skeleton_option', 'not_a_checkpoint'])
def test_bad_input_gives_one_error_and_no_output(tmp_path, checkpoint, capsys, case):
    keypoints = coco_file(tmp_path / 'k.npy')
    ckpt = checkpoint
    extra = []
    expected = {
        'malformed': 'malformed JSON', 'count': 'people with 16 keypoints; expected 17 (COCO-17)',
        'all_nan': 'no person in any of the 30 frames',
        'all_zero': 'no person in any of the 30 frames',
        'skeleton': "the model's skeleton 'h36m_toes'",
        'skeleton_option': "checkpoint is for skeleton 'h36m'",
        'not_a_checkpoint': 'not a readable PyTorch checkpoint'}[case]
    if case == 'malformed':
        keypoints = tmp_path / 'k.json'
        keypoints.write_text('{"data": [{"frame_index": 1, "skeleton": [{"pose": [[1, 2]')
    elif case == 'count':
        np.save(keypoints, np.ones((30, 16, 2)))
    elif case in ('all_nan', 'all_zero'):
        np.save(keypoints, np.full((30, 17, 2), np.nan if case == 'all_nan' else 0.0))
    elif case == 'skeleton':
        ckpt = save_checkpoint(tmp_path / 'toes.pt', tiny('h36m_toes'))
    elif case == 'skeleton_option':
        extra = ['--skeleton', 'humaneva']
    elif case == 'not_a_checkpoint':
        ckpt = tmp_path / 'model.pt'
        ckpt.write_text('hello')
    out = tmp_path / 'out.npz'
    before = listing(tmp_path)
    code, errors = run_cli(['infer', '--keypoints', str(keypoints), '--checkpoint', str(ckpt),
                            '--output', str(out), '--width', '640', '--height', '480', *extra],
                           capsys)
    assert code == 2
    assert len(errors) == 1 and errors[0].startswith('gast-pyg infer: error: ')
    assert expected in errors[0]
    assert listing(tmp_path) == before  # no output, no temporary file


def test_authors_checkpoint_for_another_skeleton_is_refused(tmp_path, capsys):
    fixture = torch.load(shared(CAUSAL_FIXTURE), weights_only=True)
    path = tmp_path / 'authors.bin'
    torch.save({'model_pos': fixture['state_dict']}, path)
    code, errors = run_cli(['infer', '--keypoints', str(coco_file(tmp_path / 'k.npy')),
                            '--checkpoint', str(path), '--skeleton', 'humaneva',
                            '--output', str(tmp_path / 'o.npz'), '--width', '9', '--height', '9'],
                           capsys)
    assert code == 2 and len(errors) == 1 and "17 joints, skeleton 'humaneva' has 15" in errors[0]
    assert not (tmp_path / 'o.npz').exists()


def test_a_failed_run_keeps_the_previous_output_and_leaves_no_temporary_file(
        tmp_path, checkpoint, monkeypatch, capsys):
    keypoints = coco_file(tmp_path / 'k.npy')
    out = tmp_path / 'o.npz'
    out.write_bytes(b'previous result')
    import gast_pyg.visualization as visualization

    def broken(*args, **kwargs):
        raise RuntimeError('disk full')

    monkeypatch.setattr(visualization, 'check_writer', lambda suffix: None)
    monkeypatch.setattr(visualization, 'render_animation', broken)
    code = main(['infer', '--keypoints', str(keypoints), '--checkpoint', str(checkpoint),
                 '--output', str(out), '--width', '640', '--height', '480',
                 '--render', str(tmp_path / 'o.gif')])
    assert code == 1 and 'RuntimeError: disk full' in capsys.readouterr().err
    assert out.read_bytes() == b'previous result'
    assert listing(tmp_path) == ['k.npy', 'o.npz']


def test_staged_outputs_appear_together():
    import tempfile
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        with staged_outputs() as staging:
            a, b = staging.stage(folder / 'a.npz'), staging.stage(folder / 'b.gif')
            a.write_bytes(b'a')
            b.write_bytes(b'b')
            assert b.suffix == '.gif' and listing(folder) == sorted([a.name, b.name])
        assert listing(folder) == ['a.npz', 'b.gif']
        assert (folder / 'a.npz').stat().st_mode & 0o777 == 0o666 & ~_umask()


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def test_output_suffixes_are_checked_before_any_work(tmp_path, checkpoint, capsys):
    missing = ['infer', '--keypoints', str(tmp_path / 'missing.json'),
               '--checkpoint', str(checkpoint)]
    code, errors = run_cli([*missing, '--output', str(tmp_path / 'out.txt')], capsys)
    assert code == 2 and errors == [f'gast-pyg infer: error: --output {tmp_path / "out.txt"}: '
                                    'expected a name ending with .npz']
    code, errors = run_cli([*missing, '--output', str(tmp_path / 'o.npz'),
                            '--render', str(tmp_path / 'o.avi')], capsys)
    assert code == 2 and errors == [f'gast-pyg infer: error: --render {tmp_path / "o.avi"}: '
                                    'expected a name ending with .gif or .mp4 or .html']
    assert listing(tmp_path) == []


LONG_VIDEO = textwrap.dedent('''
    import json, resource
    import numpy as np, torch
    torch.set_num_threads(1)
    from gast_pyg import build_model
    from gast_pyg.lifting import lift_sequence
    torch.manual_seed(0)
    model = build_model(channels=8).eval()
    seq = (np.random.default_rng(0).normal(size=(20000, 17, 2)) * 0.3).astype(np.float32)
    peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB
    lift_sequence(model, seq[:1000])                    # warm-up: allocator, oneDNN
    start = peak(); chunked = lift_sequence(model, seq); chunked_kib = peak() - start
    model.chunk_frames = 0
    start = peak(); whole = lift_sequence(model, seq); whole_kib = peak() - start
    print(json.dumps(dict(chunked_kib=chunked_kib, whole_kib=whole_kib, frames=len(chunked),
                          max_diff=float(np.abs(chunked - whole).max()),
                          scale=float(np.abs(whole).max()))))
''')


def test_long_video_chunked_equals_one_pass_with_bounded_memory():
    """20,000 frames: chunked (default 256 output frames) and one pass agree, and the chunked
    pass grows the peak RSS by a small bounded amount, where one pass needs ~0.7 GB."""
    done = subprocess.run([sys.executable, '-c', LONG_VIDEO], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result['frames'] == 20000
    assert result['max_diff'] <= 1e-5 * max(1.0, result['scale'])
    assert result['chunked_kib'] < 64 * 1024, result
    assert result['whole_kib'] > 4 * max(result['chunked_kib'], 16 * 1024), result


def test_lift_sequence_checks_its_input(checkpoint):
    model = load_model(checkpoint)
    with pytest.raises(ValueError, match=r'expected keypoints \(frames, 17, 2\)'):
        lift_sequence(model, np.zeros((10, 16, 2)))
    # A sequence shorter than the receptive field is padded, not refused.
    assert lift_sequence(model, np.zeros((2, 17, 2))).shape == (2, 17, 3)
