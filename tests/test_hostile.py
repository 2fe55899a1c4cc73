"""Hostile input: files that try to run code, small files that ask for huge memory or time,
wrongly typed or non-finite values, unsafe names, and kills during checkpoint writes.

Cases that could exhaust the machine if the guard were missing run in a forked child bounded by
``RLIMIT_AS`` and a timeout (:func:`run_bounded`), so a regression fails the test instead of
the machine.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from gast_pyg import (CheckpointError, Skeleton, SkeletonError, build_model, load_model,
                      save_checkpoint)
from gast_pyg.checkpoints import load_checkpoint
from gast_pyg.data import DataError, load_positions_2d, load_positions_3d
from gast_pyg.files import TEMPORARY_MARKER
from gast_pyg.keypoints import KeypointError, read_keypoints

EXTRA_MEMORY = 1 << 30  # bytes of address space a bounded child may add to the parent's


def _address_space() -> int:
    with open('/proc/self/status') as status:
        line = next(line for line in status if line.startswith('VmSize:'))
    return int(line.split()[1]) * 1024


def run_bounded(function, *args, timeout: float = 60, memory: int = EXTRA_MEMORY,
                **kwargs) -> str:
    """``str(function(*args, **kwargs))`` computed in a forked child that may grow its address
    space by at most ``memory`` bytes (``RLIMIT_AS``) and is killed after ``timeout`` seconds;
    an exception in the child comes back as ``'raised Type: message'``. Fails the test on a
    timeout."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read)
        try:
            limit = _address_space() + memory
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            result = str(function(*args, **kwargs))
        except BaseException as error:  # noqa: BLE001 - reported to the parent
            result = f'raised {type(error).__name__}: {error}'
        os.write(write, result[:4000].encode('utf-8', 'replace'))
        os._exit(0)
    os.close(write)
    deadline = time.monotonic() + timeout
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(read)
            pytest.fail(f'no answer within {timeout} s')
        time.sleep(0.01)
    with os.fdopen(read, 'rb') as pipe:
        return pipe.read().decode()


def message(function, *args, error: type[BaseException] = Exception):
    """Call ``function(*args)`` and return the message of the ``error`` it raises (another
    exception propagates; no exception is reported as ``'no error'``)."""
    try:
        function(*args)
    except error as raised:
        return str(raised)
    return 'no error'


class Exploit:
    """Pickles to a call of ``os.system`` that creates ``marker``."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}',)


# --------------------------------------------------------------------------
# Data files that try to run code.


@pytest.mark.parametrize('key', ['positions_3d', 'positions_2d', 'metadata'])
def test_data_file_pickling_a_call_runs_nothing(tmp_path, key):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'data.npz'
    entries = {'positions_3d': {}, 'positions_2d': {}}
    entries[key] = np.array(Exploit(marker), dtype=object)
    np.savez(path, **entries)
    load = load_positions_3d if key == 'positions_3d' else load_positions_2d
    with pytest.raises(DataError, match=r'data.npz: entry .*refused to unpickle posix.system'):
        load(path)
    assert not marker.exists()


def test_keypoint_archive_pickling_a_call_runs_nothing(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'keypoints.npz'
    np.savez(path, keypoints=np.zeros((4, 17, 2)), width=np.array(Exploit(marker), dtype=object))
    with pytest.raises(KeypointError, match='refused to unpickle posix.system'):
        read_keypoints(path)
    assert not marker.exists()


def test_restricted_unpickler_reads_what_videopose3d_files_hold(tmp_path):
    from gast_pyg.safe_pickle import load_npz
    positions = {'S1': {'Walking 1': [np.ones((3, 17, 2), np.float32)] * 2}}
    metadata = {'layout_name': 'h36m', 'num_joints': 17, 'keypoints_symmetry': [[4, 5], [1, 2]],
                'scale': np.float64(2.5), 'nothing': None, 'flags': (True, False)}
    path = tmp_path / 'data_2d.npz'
    np.savez_compressed(path, positions_2d=positions, metadata=metadata)
    loaded = load_npz(path)
    assert loaded['metadata'].item() == metadata
    cameras = loaded['positions_2d'].item()['S1']['Walking 1']
    assert len(cameras) == 2 and np.array_equal(cameras[1], positions['S1']['Walking 1'][1])


def _forged_npy(shape: tuple[int, ...]) -> bytes:
    header = {'descr': '<f8', 'fortran_order': False, 'shape': shape}
    text = repr(header).encode('latin1')
    text += b' ' * (-(10 + len(text) + 1) % 64) + b'\n'
    return b'\x93NUMPY\x01\x00' + len(text).to_bytes(2, 'little') + text + bytes(64)


@pytest.mark.parametrize('suffix', ['.npy', '.npz'])
def test_array_header_declaring_terabytes_is_refused_before_allocating(tmp_path, suffix):
    path = tmp_path / f'keypoints{suffix}'
    forged = _forged_npy((10 ** 11, 17, 2))
    if suffix == '.npy':
        path.write_bytes(forged)
    else:
        import zipfile
        with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as archive:
            archive.writestr('keypoints.npy', forged)
    out = run_bounded(message, read_keypoints, path, error=KeypointError)
    assert 'declares' in out and str(path) in out


# --------------------------------------------------------------------------
# Small inputs asking for all memory or time.


def test_yaml_alias_bomb_ends_fast_in_bounded_memory(tmp_path):
    anchors = ['&a0 [' + ', '.join(['x'] * 9) + ']']
    anchors += [f'&a{i} [' + ', '.join([f'*a{i - 1}'] * 9) + ']' for i in range(1, 9)]
    path = tmp_path / 'bomb.yaml'  # joint 0 is a list of 9 ** 9 names once expanded
    path.write_text('name: bomb\nparents: [null]\njoints: [[' + ', '.join(anchors) + ']]\n')
    assert path.stat().st_size < 1000
    out = run_bounded(message, Skeleton.from_yaml, path, error=SkeletonError)
    assert 'expands to more than' in out and len(out) < 500


def test_yaml_larger_than_the_limit_is_refused_unread(tmp_path):
    from gast_pyg.skeleton import MAX_YAML_BYTES
    path = tmp_path / 'big.yaml'
    path.write_text('description: "' + 'x' * MAX_YAML_BYTES + '"\n')
    with pytest.raises(SkeletonError, match='bytes; expected a skeleton YAML file of at most'):
        Skeleton.from_yaml(path)


def test_error_messages_quote_a_bounded_value():
    from gast_pyg.validation import bounded_repr
    shared = ['x'] * 9
    for _ in range(8):
        shared = [shared] * 9  # 9 ** 9 leaves, a few hundred objects
    assert len(bounded_repr(shared)) <= 200
    with pytest.raises(SkeletonError) as info:
        Skeleton.from_dict({'name': 'bomb', 'joints': shared, 'parents': [None]})
    assert len(str(info.value)) < 400


def test_checkpoint_with_shared_references_ends_fast_in_bounded_memory(tmp_path):
    shared = ['x'] * 10
    for _ in range(8):
        shared = [shared] * 10
    path = tmp_path / 'bomb.pt'
    torch.save({'format': 'gast-pyg', 'config': {'skeleton': {'name': 'x', 'joints': shared}},
                'state_dict': {}}, path)
    assert path.stat().st_size < 100_000
    out = run_bounded(message, load_model, path, error=CheckpointError)
    assert out.startswith(f'{path}: refused: it holds more than 1000000 objects') and len(out) < 500


@pytest.mark.parametrize('form', ['parents', 'edges', 'cycle'])
def test_ten_thousand_joint_chain_validates_in_linear_time(form):
    names = [f'j{i}' for i in range(10_000)]
    if form == 'parents':
        data = {'parents': [None] + names[:-1]}
    elif form == 'edges':
        data = {'edges': [[a, b] for a, b in zip(names, names[1:])]}
    else:
        data = {'parents': names[-1:] + names[:-1]}

    def build() -> Skeleton:
        return Skeleton.from_dict(dict(data, name='chain', joints=names))

    if form == 'cycle':
        out = run_bounded(message, build, error=SkeletonError)
        assert 'is on a cycle' in out and '(10000 joints)' in out and len(out) < 500
    else:
        assert run_bounded(lambda: build().num_joints) == '10000'


@pytest.mark.parametrize('frame_index', [10 ** 9, 10 ** 20, 10 ** 7 + 1])
def test_huge_frame_index_is_refused_before_allocating(tmp_path, frame_index):
    person = {'pose': [[10.0, 20.0]] * 17, 'score': [0.9] * 17}
    path = tmp_path / 'keypoints.json'
    path.write_text(json.dumps({'data': [{'frame_index': 0, 'skeleton': [person]},
                                         {'frame_index': frame_index, 'skeleton': [person]}]}))
    out = run_bounded(message, read_keypoints, path, error=KeypointError)
    assert 'frame_index' in out and 'keypoints.json' in out


def test_frame_index_far_beyond_the_listed_frames_is_refused(tmp_path):
    person = {'pose': [[10.0, 20.0]] * 17}
    path = tmp_path / 'keypoints.json'
    path.write_text(json.dumps([{'frame_index': 0, 'skeleton': [person]},
                                {'frame_index': 5_000_000, 'skeleton': [person]}]))
    with pytest.raises(KeypointError, match='frame_index runs from 0 to 5000000 for only 2'):
        read_keypoints(path)


def test_deeply_nested_keypoint_json_is_one_error(tmp_path):
    path = tmp_path / 'keypoints.json'
    path.write_text('[' * 100_000 + ']' * 100_000)
    with pytest.raises(KeypointError, match='nested too deeply'):
        read_keypoints(path)


# --------------------------------------------------------------------------
# Silent wrong results: non-finite weights and outputs, complex input, wrong types.


def small_model(**options):
    return build_model(receptive_field=9, channels=8, **options)


@pytest.mark.parametrize('bad', [float('nan'), float('inf')])
def test_checkpoint_with_non_finite_weights_is_refused(tmp_path, bad):
    model = small_model()
    with torch.no_grad():
        model.blocks[0].lin.weight[0, 0] = bad
    path = save_checkpoint(tmp_path / 'model.pt', model)
    with pytest.raises(CheckpointError, match=r"model.pt: weight 'blocks.0.lin.weight' holds NaN "
                                              r"or infinite values \(1 of"):
        load_model(path)


def test_non_finite_model_output_raises_in_lifting():
    from gast_pyg.lifting import lift_sequence
    model = small_model().eval()
    with torch.no_grad():
        model.expand_norm.running_var.fill_(-1.0)  # sqrt of a negative variance: NaN
    with pytest.raises(ValueError, match=r'GASTNet \(h36m\): its output holds NaN'):
        lift_sequence(model, np.zeros((20, 17, 2), np.float32))


def test_complex_input_is_refused(tmp_path):
    from gast_pyg.lifting import lift_sequence
    model = small_model().eval()
    keypoints = np.zeros((20, 17, 2), np.complex64) + 1j
    with pytest.raises(ValueError, match='expected real numbers, got complex'):
        lift_sequence(model, keypoints)
    with pytest.raises(ValueError, match='GASTNet input: expected real numbers'):
        model(torch.zeros(1, 9, 17, 2, dtype=torch.complex64))
    path = tmp_path / 'keypoints.npy'
    np.save(path, keypoints)
    with pytest.raises(KeypointError, match='keypoints.npy: expected real numbers'):
        read_keypoints(path)
    data = tmp_path / 'data_3d.npz'
    np.savez(data, positions_3d={'S1': {'Walking': np.zeros((5, 17, 3), np.complex128)}})
    with pytest.raises(DataError, match="subject 'S1', action 'Walking': expected real numbers"):
        load_positions_3d(data)


@pytest.mark.parametrize('option,value,fragment', [
    ('causal', 'no', 'causal must be True or False'),
    ('causal', 1, 'causal must be True or False'),
    ('dropout', float('nan'), r'dropout must be a number in \[0, 1\)'),
    ('dropout', 1.5, r'dropout must be a number in \[0, 1\)'),
    ('channels', '8', 'channels must be an integer >= 1'),
    ('filter_widths', ['3', '3'], 'filter_widths must be odd positive integers'),
    ('global_attention', 'yes', 'global_attention must be True or False'),
])
def test_wrongly_typed_config_in_a_checkpoint_is_refused(tmp_path, option, value, fragment):
    model = small_model()
    path = tmp_path / 'model.pt'
    torch.save({'format': 'gast-pyg', 'format_version': 1, 'state_dict': model.state_dict(),
                'config': {**model.config, 'channels': 8, option: value}}, path)
    with pytest.raises(CheckpointError, match=f"model.pt: 'config' does not describe a model: "
                                              f".*{fragment}"):
        load_model(path)
    with pytest.raises(ValueError, match=fragment):
        build_model(**{**model.config, 'channels': 8, option: value})


def test_malicious_checkpoint_refusal_is_one_line_without_unsafe_advice(tmp_path):
    marker = tmp_path / 'pwned'
    path = tmp_path / 'evil.pt'
    torch.save({'format': 'gast-pyg', 'payload': Exploit(marker)}, path)
    with pytest.raises(CheckpointError) as info:
        load_model(path)
    message = str(info.value)
    assert message.startswith(f'{path}: refused to load: it asks for posix.system')
    assert '\n' not in message and 'weights_only' not in message
    assert not marker.exists()


# --------------------------------------------------------------------------
# Names that could leave the output folder.


@pytest.mark.parametrize('joint', ['x/../../..', '../escape', 'a b', '', '.hidden', '-rf',
                                   'x' * 65, 'name\x00', 'ä'])
def test_unsafe_joint_names_are_refused(tmp_path, joint):
    path = tmp_path / 'skeleton.yaml'
    path.write_text(json.dumps({'name': 'bad', 'joints': ['root', joint],
                                'parents': [None, 'root']}))
    with pytest.raises(SkeletonError, match=r'skeleton.yaml: `joints`: entry 1 is .*; expected a '
                                            r'name of 1 to 64 letters'):
        Skeleton.from_yaml(path)


@pytest.mark.parametrize('text,expected', [
    ('x/../../..', 'x_.._.._..'), ('../../etc/passwd', '_.._etc_passwd'), ('.hidden', 'hidden'),
    ('right_ankle', 'right_ankle'), ('', '_'), ('/', '_'), ('..', '_'), ('a' * 100, 'a' * 64),
])
def test_safe_filename_keeps_one_harmless_path_component(text, expected):
    from gast_pyg.validation import safe_filename
    assert safe_filename(text) == expected


# --------------------------------------------------------------------------
# Numeric options (argparse type= converters of gast_pyg/cli/types.py).


@pytest.mark.parametrize('name,accepted,refused', [
    ('positive_int', {'1': 1, '60': 60}, ['0', '-1', '2.5', 'nan', 'x']),
    ('non_negative_int', {'0': 0, '3': 3}, ['-1', '1.5', '']),
    ('finite_float', {'-1.5': -1.5, '0': 0.0}, ['nan', 'inf', '-inf', 'x']),
    ('positive_float', {'0.4': 0.4, '1e-3': 1e-3}, ['0', '-1', 'nan', 'inf']),
    ('non_negative_float', {'0': 0.0, '2': 2.0}, ['-0.1', 'nan']),
    ('probability', {'0': 0.0, '0.95': 0.95, '1': 1.0}, ['-1', '1.01', 'nan', 'inf']),
])
def test_numeric_option_types(name, accepted, refused):
    from gast_pyg.cli import types
    convert = getattr(types, name)
    for text, value in accepted.items():
        assert convert(text) == value
    for text in refused:
        with pytest.raises(argparse.ArgumentTypeError, match='expected'):
            convert(text)


def test_numeric_option_error_is_one_argparse_line(capsys):
    from gast_pyg.cli.types import probability
    parser = argparse.ArgumentParser(prog='gast-pyg infer')
    parser.add_argument('--score-threshold', type=probability)
    with pytest.raises(SystemExit) as info:
        parser.parse_args(['--score-threshold', 'nan'])
    assert info.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert error == ("gast-pyg infer: error: argument --score-threshold: expected a finite "
                     "number, got 'nan'")


# --------------------------------------------------------------------------
# Kills during checkpoint writes.

def kill_saver_repeatedly(folder: Path, kills: int = 10, seed: int = 0) -> None:
    """Fork a process saving ``last.pt`` then ``best.pt`` in a loop and SIGKILL it at a random
    moment, ``kills`` times."""
    model = build_model(receptive_field=27, channels=64)
    rng = random.Random(seed)
    for _ in range(kills):
        pid = os.fork()
        if pid == 0:  # the saver: killed, never returns into pytest
            for epoch in range(1, 10 ** 6):
                save_checkpoint(folder / 'last.pt', model, epoch=epoch)
                save_checkpoint(folder / 'best.pt', model, epoch=epoch)
            os._exit(1)
        time.sleep(rng.uniform(0.05, 1.0))
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


@pytest.fixture(scope='module')
def killed_folder(tmp_path_factory):
    folder = tmp_path_factory.mktemp('killed')
    kill_saver_repeatedly(folder)
    return folder


def test_checkpoints_kept_after_kills_all_load(killed_folder):
    # Kept files are the targets; a kill may leave a temporary (removed by the next write).
    kept = sorted(path for path in killed_folder.glob('*.pt') if TEMPORARY_MARKER not in path.name)
    assert kept, 'the saver was killed before it wrote anything'
    for path in kept:
        payload = load_checkpoint(path)
        assert payload['epoch'] >= 1


def test_next_save_leaves_no_temporaries_after_kills(killed_folder):
    save_checkpoint(killed_folder / 'last.pt', small_model(), epoch=0)
    assert sorted(path.name for path in killed_folder.iterdir()) == ['best.pt', 'last.pt']
