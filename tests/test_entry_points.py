"""Bad input through the entry points users run: every case calls ``gast_pyg.cli.main([...])``
(or the ``gast-pyg`` process, for Ctrl-C) and checks the exit status, the one line printed
(``gast-pyg CMD: error: ...`` naming the file or option and what was expected), the time taken
and the files left on disk.

The output-target cases are parametrised over every command that writes, the hostile-checkpoint
cases over every command that reads a checkpoint, so a new writer or reader added to
:data:`WRITERS` / :data:`READERS` is tried with every case. See docs/reliability.md.
"""
from __future__ import annotations

import functools
import io
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch

from gast_pyg import build_model, save_checkpoint
from gast_pyg.bvh import track_paths
from gast_pyg.cli import main
from gast_pyg.files import TEMPORARY_MARKER

#: Seconds any refused case may take (they take well under one; the bound is for slow machines).
LIMIT_S = 20
PROJECT = Path(__file__).resolve().parents[1]
#: Options that keep a synthetic training run tiny.
TINY_TRAIN = ['--channels', '8', '--receptive-field', '9', '--synthetic-sequences', '1',
              '--synthetic-frames', '60', '--train-subjects', 'S1', '--test-subjects', 'S8',
              '--batch-size', '32', '--downsample', '1', '--threads', '1', '--no-progress']


@dataclass
class Run:
    code: int
    out: str
    err: list[str]
    seconds: float


def run(argv: list[str], capsys) -> Run:
    capsys.readouterr()
    start = time.monotonic()
    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exit:  # argparse's own errors
        code = exit.code
    seconds = time.monotonic() - start
    captured = capsys.readouterr()
    return Run(code, captured.out, captured.err.strip().splitlines(), seconds)


def refused(result: Run, command: str, pattern: str) -> None:
    """Exit 2 within :data:`LIMIT_S` with exactly one line on stderr matching ``pattern``."""
    assert result.code == 2, result
    assert result.seconds < LIMIT_S, result
    assert len(result.err) == 1, result.err
    assert re.fullmatch(rf'gast-pyg {command}: error: {pattern}', result.err[0]), result.err[0]


def temporaries(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.rglob('*') if TEMPORARY_MARKER in path.name)


@pytest.fixture(scope='module')
def inputs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp('inputs')
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    coco = rng.uniform(100, 500, size=(1, 17, 2)) + np.cumsum(rng.normal(size=(30, 17, 2)), 0)
    np.save(folder / 'keypoints.npy', np.concatenate([coco, np.full((30, 17, 1), 0.9)], -1))
    np.save(folder / 'keypoints_xy.npy', coco)
    (folder / 'clip.mp4').write_bytes(b'not decoded: the cases end before the video is read')
    model = build_model(receptive_field=9, channels=8)
    paths = {
        'keypoints': folder / 'keypoints.npy',
        'keypoints_xy': folder / 'keypoints_xy.npy',
        'video': folder / 'clip.mp4',
        'checkpoint': save_checkpoint(folder / 'model.pt', model),
        'causal': save_checkpoint(folder / 'causal.pt',
                                  build_model(receptive_field=9, channels=8, causal=True)),
        'trajectory': save_checkpoint(folder / 'trajectory.pt', build_model(
            receptive_field=9, channels=8, trajectory='shared')),
    }
    from test_checkpoints import reference_state_dict
    paths['authors'] = folder / 'authors.bin'
    torch.save({'model_pos': reference_state_dict(model.eval())}, paths['authors'])
    paths['result'] = folder / 'result.npz'
    assert main([str(arg) for arg in _infer(paths, paths['result'])]) == 0
    return paths


# --------------------------------------------------------------------------------------------
# Output targets: devices, named pipes, sockets, links to them; long names; lookalike names.

def _infer(inputs, target):
    return ['infer', '--keypoints', inputs['keypoints'], '--checkpoint', inputs['checkpoint'],
            '--width', '640', '--height', '640', '--output', target]


def _infer_render(inputs, target):
    return _infer(inputs, target.parent / 'poses.npz') + ['--render', target]


#: The ``--bvh`` / ``bvh --output`` value, and the first track's file the package writes for it.
BVH_OUTPUT = 'out.bvh'
BVH_TRACK0 = track_paths(BVH_OUTPUT, [0])[0].name


def _infer_bvh(inputs, target):
    return _infer(inputs, target.parent / 'poses.npz') + ['--bvh', target.with_name(BVH_OUTPUT)]


def _bvh(inputs, target):
    return ['bvh', inputs['result'], '--output', target.with_name(BVH_OUTPUT)]


def _view(inputs, target):
    return ['view', inputs['result'], '--output', target]


def _video(inputs, target):
    return ['video', inputs['video'], '--keypoints', inputs['keypoints'], '--checkpoint',
            inputs['checkpoint'], '--output', target]


def _video_keypoints_out(inputs, target):
    return _video(inputs, target.parent / 'poses.npz') + ['--keypoints-out', target]


def _export(inputs, target):
    return ['export', '--checkpoint', inputs['checkpoint'], '--format', 'torchscript',
            '--output', target]


def _convert(inputs, target):
    return ['convert', inputs['authors'], target]


def _train(inputs, target):
    return ['train', *TINY_TRAIN, '--epochs', '1', '--checkpoint-dir', target.parent]


def _train_json(inputs, target):
    return ['train', *TINY_TRAIN, '--epochs', '1', '--checkpoint-dir', target.parent / 'run',
            '--output-json', target]


def _plot_attention(inputs, target):
    return ['plot-attention', '--keypoints', inputs['keypoints_xy'], '--checkpoint',
            inputs['checkpoint'], '--width', '640', '--height', '640', '--output-dir',
            target.parent]


def _evaluate_json(inputs, target):
    return ['evaluate', '--checkpoint', inputs['checkpoint'], '--synthetic-sequences', '1',
            '--synthetic-frames', '60', '--test-subjects', 'S8', '--no-progress',
            '--output-json', target]


#: ``command: (target file name, argv for a target path)`` of every command that writes.
WRITERS: dict[str, tuple[str, Callable]] = {
    'infer --output': ('out.npz', _infer),
    'infer --render': ('out.gif', _infer_render),
    'infer --bvh': (BVH_TRACK0, _infer_bvh),
    'bvh --output': (BVH_TRACK0, _bvh),
    'view --output': ('out.html', _view),
    'video --output': ('out.npz', _video),
    'video --keypoints-out': ('out.json', _video_keypoints_out),
    'export --output': ('model.ts', _export),
    'convert TARGET': ('converted.pt', _convert),
    # best.pt: a last.pt of any kind marks an earlier run, refused as such (test below).
    'train --checkpoint-dir': ('best.pt', _train),
    'train --output-json': ('report.json', _train_json),
    'evaluate --output-json': ('report.json', _evaluate_json),
    'plot-attention --output-dir': ('fig5_local_attention.png', _plot_attention),
}


def _fifo(path: Path) -> Callable[[], bool]:
    os.mkfifo(path)
    return lambda: stat.S_ISFIFO(os.lstat(path).st_mode)


def _socket(path: Path) -> Callable[[], bool]:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()
    return lambda: stat.S_ISSOCK(os.lstat(path).st_mode)


def _devnull_link(path: Path) -> Callable[[], bool]:
    before = os.stat('/dev/null')
    path.symlink_to('/dev/null')
    return lambda: (os.readlink(path) == '/dev/null'
                    and stat.S_ISCHR(os.stat('/dev/null').st_mode)
                    and os.stat('/dev/null').st_rdev == before.st_rdev)


#: Commands that need the viz extra before they look at their paths.
NEEDS_MATPLOTLIB = {'infer --render', 'plot-attention --output-dir', 'plot-attention --checkpoint'}


def needs(command: str) -> None:
    if command in NEEDS_MATPLOTLIB:
        pytest.importorskip('matplotlib')


#: ``kind: (make it at a path -> whether it is intact, what the message calls it)``.
SPECIAL_TARGETS = {
    'fifo': (_fifo, r'a named pipe \(FIFO\)'),
    'socket': (_socket, 'a socket'),
    'link to /dev/null': (_devnull_link, 'a character device'),
}


@pytest.mark.parametrize('kind', SPECIAL_TARGETS)
@pytest.mark.parametrize('writer', WRITERS)
def test_output_that_is_not_a_regular_file_is_refused_and_kept(tmp_path, inputs, capsys,
                                                                writer, kind):
    needs(writer)
    name, argv = WRITERS[writer]
    make, called = SPECIAL_TARGETS[kind]
    folder = tmp_path / 'out'
    folder.mkdir()
    target = folder / name
    intact = make(target)
    result = run(argv(inputs, target), capsys)
    refused(result, writer.split()[0],
            rf'{re.escape(str(target))}: is {called}, not a regular file; .*')
    assert intact()
    assert sorted(p.name for p in folder.iterdir()) == [name]


def test_evaluate_refuses_its_output_json_before_evaluating(tmp_path, inputs, capsys):
    target = tmp_path / 'report.json'
    os.mkfifo(target)
    result = run(_evaluate_json(inputs, target), capsys)
    assert result.code == 2
    assert '| P1' not in result.out  # no evaluation ran


def test_checkpoint_dir_of_an_earlier_run_is_refused_and_kept(tmp_path, inputs, capsys):
    folder = tmp_path / 'out'
    folder.mkdir()
    intact = _fifo(folder / 'last.pt')  # whatever last.pt is, it marks an earlier run
    result = run(_train(inputs, folder / 'best.pt'), capsys)
    refused(result, 'train', rf'--checkpoint-dir {re.escape(str(folder))}: holds the checkpoints '
                             r'of an earlier run; --resume continues it, another folder starts '
                             r'a new one')
    assert intact() and sorted(p.name for p in folder.iterdir()) == ['last.pt']


@pytest.mark.parametrize('writer', ['export --output', 'convert TARGET', 'view --output',
                                    'evaluate --output-json', 'train --output-json'])
def test_dev_null_as_output_is_refused_not_replaced(tmp_path, inputs, capsys, writer):
    before = os.stat('/dev/null')
    result = run(WRITERS[writer][1](inputs, Path('/dev/null')), capsys)
    refused(result, writer.split()[0], r'/dev/null: is a character device, not a regular file; .*')
    after = os.stat('/dev/null')
    assert stat.S_ISCHR(after.st_mode) and after.st_rdev == before.st_rdev
    assert after.st_ino == before.st_ino


@pytest.mark.parametrize('writer', ['infer --output', 'export --output', 'convert TARGET',
                                    'view --output', 'evaluate --output-json'])
def test_longest_legal_output_name_is_written(tmp_path, inputs, capsys, writer):
    suffix = Path(WRITERS[writer][0]).suffix
    target = tmp_path / ('n' * (244 - len(suffix)) + suffix)
    assert len(target.name) == 244
    result = run(WRITERS[writer][1](inputs, target), capsys)
    assert result.code == 0, result.err
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]


def test_symlinked_output_is_written_through(tmp_path, inputs, capsys):
    real = tmp_path / 'real' / 'poses.npz'
    real.parent.mkdir()
    real.write_bytes(b'old')
    link = tmp_path / 'poses.npz'
    link.symlink_to(real)
    assert run(_infer(inputs, link), capsys).code == 0
    assert link.is_symlink() and os.readlink(link) == str(real)
    with np.load(real) as data:
        assert data['poses_3d'].shape == (1, 30, 17, 3)


def test_names_that_are_not_the_packages_temporaries_are_kept(tmp_path, inputs, capsys):
    ended = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'],
                           capture_output=True, text=True, check=True)
    dead = int(ended.stdout)
    keep = ['.notes.gast-pyg-tmp-draft.txt', f'.out.npz.gast-pyg-tmp-{dead}-draft.npz',
            f'.out.npz.gast-pyg-tmp-{dead}-0123456789ABCDEF.npz', 'gast-pyg-tmp-1-x']
    stale = f'.out.npz.gast-pyg-tmp-{dead}-0123456789abcdef.npz'
    for name in [*keep, stale]:
        (tmp_path / name).write_text('mine')
    (tmp_path / f'.dir.gast-pyg-tmp-{dead}-0123456789abcdef').mkdir()
    keep.append(f'.dir.gast-pyg-tmp-{dead}-0123456789abcdef')
    assert run(_infer(inputs, tmp_path / 'out.npz'), capsys).code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*keep, 'out.npz'])


def test_a_full_disk_names_the_output_in_one_line(tmp_path, inputs):
    """RLIMIT_FSIZE makes every write past 20 kB fail (EFBIG), as a full disk (ENOSPC) does."""
    code = ('import resource, signal, sys; signal.signal(signal.SIGXFSZ, signal.SIG_IGN); '
            'from gast_pyg.cli import main; '
            'resource.setrlimit(resource.RLIMIT_FSIZE, (20000, resource.RLIM_INFINITY)); '
            'code = main(sys.argv[1:]); import gc; gc.collect(); sys.exit(code)')
    target = tmp_path / 'out.npz'
    done = subprocess.run([sys.executable, '-c', code, *map(str, _infer(inputs, target))],
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=str(PROJECT)))
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines() == [
        f'gast-pyg infer: error: {target}: cannot write it: File too large']
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------------------------
# Hostile checkpoints through every command that reads one.

def _config_checkpoint(path: Path, **config) -> Path:
    """A small gast-pyg checkpoint whose config asks for a huge model (no weights)."""
    model = build_model(receptive_field=9, channels=8)
    torch.save({'format': 'gast-pyg', 'format_version': 1, 'state_dict': {},
                'config': {**model.config, **config}}, path)
    return path


@functools.lru_cache(maxsize=1)
def _zip_bomb_bytes() -> bytes:
    plain, packed = io.BytesIO(), io.BytesIO()
    torch.save({'format': 'gast-pyg', 'blob': torch.zeros(16 * 2**20)}, plain)
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(packed, 'w', zipfile.ZIP_DEFLATED) as bomb:
        for item in source.infolist():
            bomb.writestr(item.filename, source.read(item))
    return packed.getvalue()


def _zip_bomb(path: Path) -> Path:
    """A ``torch.save`` archive whose one tensor entry was re-deflated: 64 MiB of zeros in
    about 64 kB."""
    path.write_bytes(_zip_bomb_bytes())
    return path


HOSTILE_CHECKPOINTS: dict[str, tuple[Callable[[Path], Path], str]] = {
    '40 temporal layers': (lambda path: _config_checkpoint(path, filter_widths=[3] * 40),
                           r"'config' filter_widths=\[3, 3, .*: 40 temporal layers, at most 5 "
                           r'expected; refused before building the model'),
    '10^7 channels': (lambda path: _config_checkpoint(path, channels=10 ** 7),
                      r"'config' channels=10000000: expected at most 4096; refused before "
                      r'building the model'),
    'zip bomb': (_zip_bomb, r"refused: entry '.*' unpacks \d+ bytes to 67108864 \(more than "
                            r'100x: a zip bomb\?\); checkpoints of weights barely compress'),
    'byte 0x80': (lambda path: path.write_bytes(b'\x80') and path,
                  r"not a readable PyTorch checkpoint \(starts with b'\\x80'\)"),
    'named pipe': (lambda path: os.mkfifo(path) or path,
                   r'is not a regular file \(a device, pipe or socket\), expected a checkpoint '
                   r'file'),
    'directory': (lambda path: path.mkdir() or path,
                  'is a directory, expected a checkpoint file'),
}

#: ``command: argv for a checkpoint path and a scratch folder`` of every command reading one.
READERS: dict[str, Callable] = {
    'evaluate --checkpoint': lambda inputs, ckpt, out: [
        'evaluate', '--checkpoint', ckpt, '--synthetic-sequences', '1', '--no-progress'],
    'infer --checkpoint': lambda inputs, ckpt, out: [
        'infer', '--keypoints', inputs['keypoints'], '--checkpoint', ckpt, '--output',
        out / 'o.npz'],
    'export --checkpoint': lambda inputs, ckpt, out: [
        'export', '--checkpoint', ckpt, '--format', 'onnx', '--output', out / 'm.onnx'],
    'plot-attention --checkpoint': lambda inputs, ckpt, out: [
        'plot-attention', '--keypoints', inputs['keypoints_xy'], '--checkpoint', ckpt,
        '--output-dir', out],
    'latency --checkpoint': lambda inputs, ckpt, out: [
        'latency', '--checkpoint', ckpt, '--frames', '2', '--warmup', '0'],
    'video --checkpoint': lambda inputs, ckpt, out: [
        'video', inputs['video'], '--keypoints', inputs['keypoints'], '--checkpoint', ckpt,
        '--output', out / 'o.npz'],
    'convert SOURCE': lambda inputs, ckpt, out: ['convert', ckpt, out / 'c.pt'],
    'train --init-weights': lambda inputs, ckpt, out: [
        'train', *TINY_TRAIN, '--epochs', '1', '--checkpoint-dir', out / 'run',
        '--init-weights', ckpt],
}
#: Readers that never build the model a package checkpoint's config describes: what they say.
CONFIG_NOT_BUILT = {
    'train --init-weights': r'init_weights needs a pose model of the same configuration '
                            r'\(differs in (filter_widths|channels)\)',
}


@pytest.mark.parametrize('hostile', HOSTILE_CHECKPOINTS)
@pytest.mark.parametrize('reader', READERS)
def test_hostile_checkpoint_is_one_line_within_seconds(tmp_path, inputs, capsys, reader,
                                                       hostile):
    needs(reader)
    make, message = HOSTILE_CHECKPOINTS[hostile]
    if reader in CONFIG_NOT_BUILT and 'config' in message:
        message = CONFIG_NOT_BUILT[reader]
    checkpoint = make(tmp_path / 'hostile.pt')
    out = tmp_path / 'out'
    out.mkdir()
    result = run(READERS[reader](inputs, checkpoint, out), capsys)
    refused(result, reader.split()[0], rf'{re.escape(str(checkpoint))}: {message}')
    assert list(out.iterdir()) == []


# --------------------------------------------------------------------------------------------
# Runtime options: threads and devices.

def test_more_threads_than_cores_are_capped_with_one_warning(tmp_path, inputs, capsys):
    result = run(_infer(inputs, tmp_path / 'o.npz') + ['--threads', '100000'], capsys)
    assert result.code == 0, result.err
    cores = max(os.cpu_count() or 1, len(os.sched_getaffinity(0)))
    assert result.err == [f'gast-pyg infer: warning: --threads 100000: more threads than the '
                          f'{cores} cores of this machine; using {cores}']
    assert torch.get_num_threads() == cores


@pytest.mark.parametrize('value', ['100000', '²', 'wide', '-3'])
def test_thread_variable_is_capped_or_named(tmp_path, inputs, capsys, monkeypatch, value):
    monkeypatch.setenv('GAST_PYG_THREADS', value)
    result = run(_infer(inputs, tmp_path / 'o.npz'), capsys)
    if value == '100000':
        assert result.code == 0 and len(result.err) == 1
        assert result.err[0].startswith('gast-pyg infer: warning: GAST_PYG_THREADS=100000: more '
                                        'threads than the ')
    else:
        refused(result, 'infer', f"environment variable GAST_PYG_THREADS='{value}': expected a "
                                 'positive integer number of threads, e.g. 4')
    assert not (tmp_path / 'o.npz').exists() or value == '100000'


DEVICE_COMMANDS = {
    'train': lambda tmp: ['train', *TINY_TRAIN, '--checkpoint-dir', tmp / 'run'],
    'evaluate': lambda tmp: ['evaluate', '--checkpoint', 'gast-27'],
    'benchmark': lambda tmp: ['benchmark', *TINY_TRAIN, '--checkpoint-dir', tmp / 'run'],
}


@pytest.mark.parametrize('device,message', [
    ('foo', r"device 'foo': expected 'auto', 'cpu', 'cuda' or 'cuda:N'"),
    ('cuda:x', r"device 'cuda:x': expected 'auto', 'cpu', 'cuda' or 'cuda:N'"),
    pytest.param('cuda', r"device 'cuda': CUDA is not available .*",
                 marks=pytest.mark.skipif(torch.cuda.is_available(), reason='CUDA is here')),
])
@pytest.mark.parametrize('command', DEVICE_COMMANDS)
def test_unusable_device_is_one_line(tmp_path, capsys, command, device, message):
    result = run(DEVICE_COMMANDS[command](tmp_path) + ['--device', device], capsys)
    refused(result, command, message)
    assert not (tmp_path / 'run').exists()


# --------------------------------------------------------------------------------------------
# Silent wrong results and unbounded work.

def test_focal_length_that_overflows_is_refused(tmp_path, inputs, capsys):
    # 'inf' itself is refused when parsed (next test).
    argv = _infer(inputs, tmp_path / 'o.npz')
    argv[argv.index('--checkpoint') + 1] = inputs['trajectory']
    result = run(argv + ['--focal-length', '1e308'], capsys)
    refused(result, 'infer', r'focal length .*')
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize('option,value', [('--focal-length', 'inf'), ('--focal-length', '0'),
                                          ('--fov', 'nan')])
def test_camera_options_are_refused_when_parsed(tmp_path, inputs, capsys, option, value):
    argv = _infer(inputs, tmp_path / 'o.npz')
    result = run(argv + [option, value], capsys)
    assert result.code == 2
    assert result.err[-1].startswith(f'gast-pyg infer: error: argument {option}: expected ')


def _data_3d(path: Path, frames: int, scale: float = 1.0, subject='S8') -> Path:
    rng = np.random.default_rng(0)
    pose = rng.normal(scale=0.2, size=(1, 17, 3)) + np.cumsum(
        rng.normal(scale=0.01, size=(frames, 1, 3)), 0)
    np.savez(path, positions_3d={subject: {'Walking': (pose * scale).astype(np.float32)}})
    return path


def test_evaluation_of_a_subject_shorter_than_the_receptive_field_is_refused(tmp_path, inputs,
                                                                              capsys):
    data = _data_3d(tmp_path / 'data_3d.npz', frames=12)
    result = run(['evaluate', '--checkpoint', inputs['checkpoint'], '--data-3d', data,
                  '--test-subjects', 'S8', '--no-progress'], capsys)
    refused(result, 'evaluate', r"subject 'S8': its longest sequence has 3 frame\(s\) after "
                                r'downsampling by 5, fewer than the receptive field of 9 frames; '
                                r'.*')
    assert '| P1' not in result.out


def test_evaluation_whose_coordinates_overflow_is_refused(tmp_path, inputs, capsys):
    data = _data_3d(tmp_path / 'data_3d.npz', frames=60, scale=3e37)
    result = run(['evaluate', '--checkpoint', inputs['checkpoint'], '--data-3d', data,
                  '--test-subjects', 'S8', '--downsample', '1', '--no-progress',
                  '--output-json', tmp_path / 'report.json'], capsys)
    refused(result, 'evaluate', r"subject 'S8', action 'Walking', camera 0: the mpjpe error is "
                                r'(inf|nan) \(3D coordinates up to .*\): the data overflow float32 '
                                r'arithmetic; .*')
    assert 'nan' not in result.out and 'inf' not in result.out
    assert not (tmp_path / 'report.json').exists()


@pytest.mark.parametrize('positions,fragment', [
    ({9: {'Walking': np.zeros((60, 17, 3), np.float32)}},
     r"'positions_3d': subject 9 is a int; expected a dict .* with string names"),
    ({'S8': {1: np.zeros((60, 17, 3), np.float32)}},
     r"'positions_3d': subject 'S8', action 1 is a int; expected a dict .* with string names"),
])
def test_data_file_with_keys_that_are_not_names_is_one_line(tmp_path, inputs, capsys,
                                                            positions, fragment):
    data = tmp_path / 'data_3d.npz'
    np.savez(data, positions_3d=positions)
    result = run(['evaluate', '--checkpoint', inputs['checkpoint'], '--data-3d', data,
                  '--test-subjects', 'S8', '--no-progress'], capsys)
    refused(result, 'evaluate', rf'{re.escape(str(data))}: {fragment}')


def test_data_file_metadata_of_the_wrong_type_is_one_line(tmp_path, inputs, capsys):
    data_3d = _data_3d(tmp_path / 'data_3d.npz', frames=60)
    data_2d = tmp_path / 'data_2d.npz'
    np.savez(data_2d, positions_2d={'S8': {'Walking': [np.zeros((60, 17, 2), np.float32)]}},
             metadata={'num_joints': 'wide'})
    result = run(['evaluate', '--checkpoint', inputs['checkpoint'], '--data-3d', data_3d,
                  '--data-2d', data_2d, '--test-subjects', 'S8', '--no-progress'], capsys)
    refused(result, 'evaluate', rf"{re.escape(str(data_2d))}: metadata 'num_joints': expected an "
                                r"integer >= 1, got 'wide'")


def test_a_repeated_warning_is_shown_once_and_counted_at_the_end(capsys):
    from gast_pyg.cli.errors import run_command

    def overflowing(_):
        with np.errstate(over='warn'):
            for _ in range(280):
                np.float32(3e38) * np.float32(10)
        return 0

    assert run_command('gast-pyg evaluate', overflowing, None) == 0
    assert capsys.readouterr().err.splitlines() == [
        'gast-pyg evaluate: warning: overflow encountered in scalar multiply',
        'gast-pyg evaluate: warning: overflow encountered in scalar multiply (280 times in all)']


def test_plot_attention_frames_are_bounded(tmp_path, inputs, capsys):
    # argparse refuses the value: no matplotlib needed
    result = run(_plot_attention(inputs, tmp_path / 'x') + ['--frames', '1000000000'], capsys)
    assert result.code == 2 and result.seconds < LIMIT_S
    assert result.err[-1] == ('gast-pyg plot-attention: error: argument --frames: expected an '
                              'integer from 1 to 16, got 1000000000')
    assert not tmp_path.joinpath('x').exists()


@pytest.mark.parametrize('kind', ['directory', 'device'])
def test_video_that_is_not_a_file_is_named_precisely(tmp_path, inputs, capsys, kind):
    video = tmp_path / 'clip' if kind == 'directory' else Path('/dev/zero')
    if kind == 'directory':
        video.mkdir()
    argv = _video(inputs, tmp_path / 'o.npz')
    argv[1] = video
    result = run(argv, capsys)
    what = ('is a directory, expected a video file' if kind == 'directory' else
            r'is not a regular file \(a device, pipe or socket\), expected a video file')
    refused(result, 'video', rf'{re.escape(str(video))}: {what}')


def test_shipped_weight_file_failing_its_checksum_is_one_clear_sentence(tmp_path, inputs, capsys,
                                                                         monkeypatch):
    import gast_pyg.pretrained as pretrained
    weights = tmp_path / 'weights'
    weights.mkdir()
    for path in pretrained.BUNDLED_REGISTRY.parent.iterdir():
        if path.is_file():
            (weights / path.name).write_bytes(path.read_bytes())
    default = pretrained.load_registry(weights / 'registry.yaml').default(False).path
    default.write_bytes(default.read_bytes()[:-1] + b'!')
    monkeypatch.setattr(pretrained, 'BUNDLED_REGISTRY', weights / 'registry.yaml')
    result = run(['infer', '--keypoints', inputs['keypoints'], '--output', tmp_path / 'o.npz'],
                 capsys)
    refused(result, 'infer', rf"pretrained model '[a-z0-9-]+': {re.escape(str(default))} is "
                             r'corrupt or was replaced: its sha256 is [0-9a-f]{64}, the registry '
                             r'expects [0-9a-f]{64}; reinstall the package')
    assert not (tmp_path / 'o.npz').exists()


# --------------------------------------------------------------------------------------------
# Ctrl-C.

def test_ctrl_c_is_one_line_exit_130_and_leaves_the_outputs_whole(tmp_path):
    run_dir = tmp_path / 'run'
    argv = [sys.executable, '-m', 'gast_pyg.cli', 'train', *TINY_TRAIN, '--epochs', '10000',
            '--checkpoint-dir', str(run_dir)]
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               text=True, env=dict(os.environ, PYTHONPATH=str(PROJECT)))
    try:
        deadline = time.monotonic() + 120
        while not (run_dir / 'last.pt').exists():
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
            time.sleep(0.05)
        time.sleep(0.5)  # into a later epoch
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=LIMIT_S)
    finally:
        process.kill()
    assert process.returncode == 130
    assert err.strip().splitlines()[-1] == 'gast-pyg train: interrupted'
    assert 'Traceback' not in err
    assert sorted(p.name for p in run_dir.iterdir()) == ['best.pt', 'last.pt']
    from gast_pyg.checkpoints import load_checkpoint
    assert load_checkpoint(run_dir / 'last.pt')['epoch'] >= 1
    assert temporaries(tmp_path) == []
