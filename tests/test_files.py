"""gast_pyg.files: outputs appear whole or not at all, checked before work starts."""
from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys

import pytest

import gast_pyg.files as files
from gast_pyg.files import (
    TEMPORARY_NAME,
    OutputError,
    atomic_write,
    check_output_targets,
    remove_stale_temporaries,
    staged_outputs,
    write_bytes,
)


def test_output_targets_are_checked(tmp_path):
    (tmp_path / 'folder').mkdir()
    source = tmp_path / 'in.npz'
    source.write_bytes(b'x')
    with pytest.raises(OutputError, match=r'folder: is a directory'):
        check_output_targets([tmp_path / 'folder'])
    with pytest.raises(OutputError, match=r'in\.npz: is also an input of this run'):
        check_output_targets([tmp_path / 'sub' / '..' / 'in.npz'], inputs=[source])
    with pytest.raises(OutputError, match='given as two outputs'):
        check_output_targets([tmp_path / 'a', tmp_path / 'a'])
    check_output_targets([tmp_path / 'new' / 'out.npz'], inputs=[source])
    assert not (tmp_path / 'new').exists()  # nothing is created before the work succeeds
    with pytest.raises(OutputError, match=r'in\.npz is not a folder'):
        check_output_targets([source / 'out.npz'])


@pytest.mark.skipif(os.geteuid() == 0, reason='root writes into read-only folders')
def test_unwritable_folder_is_refused(tmp_path):
    locked = tmp_path / 'locked'
    locked.mkdir(mode=0o500)
    with pytest.raises(OutputError, match='is not writable'):
        check_output_targets([locked / 'out.npz'])


def test_the_umask_is_applied_and_never_changed(tmp_path):
    old = os.umask(0o027)
    try:
        write_bytes(tmp_path / 'a.bin', b'a')
        assert (tmp_path / 'a.bin').stat().st_mode & 0o777 == 0o640
        assert os.umask(0o027) == 0o027  # still what it was set to
    finally:
        os.umask(old)


def test_a_failed_block_leaves_the_old_targets_and_no_temporary(tmp_path):
    (tmp_path / 'a.npz').write_bytes(b'old')
    with pytest.raises(RuntimeError):
        with staged_outputs() as staging:
            staging.stage(tmp_path / 'a.npz').write_bytes(b'new')
            staging.stage(tmp_path / 'b.gif').write_bytes(b'new')
            raise RuntimeError('boom')
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a.npz']
    assert (tmp_path / 'a.npz').read_bytes() == b'old'


def test_a_failed_commit_restores_the_targets_renamed_before_it(tmp_path, monkeypatch):
    (tmp_path / 'a.npz').write_bytes(b'old a')
    real_replace, calls = os.replace, []

    def replace(src, dst):
        calls.append(dst)
        if len(calls) == 2:
            raise OSError(28, 'No space left on device')
        real_replace(src, dst)

    monkeypatch.setattr(files.os, 'replace', replace)
    with pytest.raises(OutputError, match=r'b\.npz: cannot write it: No space left on device'):
        with staged_outputs() as staging:
            staging.stage(tmp_path / 'a.npz').write_bytes(b'new a')
            staging.stage(tmp_path / 'b.npz').write_bytes(b'new b')
    monkeypatch.undo()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['a.npz']
    assert (tmp_path / 'a.npz').read_bytes() == b'old a'


def test_temporaries_of_ended_processes_are_removed_by_the_next_write(tmp_path):
    code = ('import os, sys; from gast_pyg.files import Staging; '
            'Staging().stage(sys.argv[1]).write_bytes(b"partial"); os._exit(9)')
    done = subprocess.run([sys.executable, '-c', code, str(tmp_path / 'out.npz')],
                          env=dict(os.environ, PYTHONPATH=os.getcwd()))
    assert done.returncode == 9
    left = [p.name for p in tmp_path.iterdir()]
    assert len(left) == 1 and left[0].startswith('.out.npz.gast-pyg-tmp-')
    with staged_outputs() as staging:
        mine = staging.stage(tmp_path / 'other.npz')
        mine.write_bytes(b'x')
        assert remove_stale_temporaries(tmp_path) == []  # this process's own stays
        assert mine.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['other.npz']


def test_atomic_write_keeps_the_suffix_of_the_target(tmp_path):
    with atomic_write(tmp_path / 'x.onnx') as file:
        assert file.name.endswith('.onnx') and '.gast-pyg-tmp-' in file.name
        file.write(b'1')
    assert (tmp_path / 'x.onnx').read_bytes() == b'1'


def _fifo(path):
    os.mkfifo(path)
    return lambda: stat.S_ISFIFO(os.lstat(path).st_mode)


def _socket(path):
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(path))
    return lambda: stat.S_ISSOCK(os.lstat(path).st_mode)


@pytest.mark.parametrize('make,kind', [(_fifo, r'a named pipe \(FIFO\)'),
                                       (_socket, 'a socket')])
def test_special_files_are_refused_before_work_and_when_staged(tmp_path, make, kind):
    target = tmp_path / 'out.npz'
    intact = make(target)
    message = rf'out\.npz: is {kind}, not a regular file; outputs are written as a new file'
    with pytest.raises(OutputError, match=message):
        check_output_targets([target])
    with pytest.raises(OutputError, match=message):
        write_bytes(target, b'x')
    assert intact() and sorted(p.name for p in tmp_path.iterdir()) == ['out.npz']


def test_dev_null_is_refused_not_replaced(tmp_path):
    before = os.stat('/dev/null')
    link = tmp_path / 'null.npz'
    link.symlink_to('/dev/null')
    for target in ('/dev/null', link):
        with pytest.raises(OutputError, match=r'is a character device, not a regular file'):
            check_output_targets([target])
        with pytest.raises(OutputError, match=r'is a character device, not a regular file'):
            write_bytes(target, b'x')
    after = os.stat('/dev/null')
    assert stat.S_ISCHR(after.st_mode) and (after.st_rdev, after.st_ino) == (
        before.st_rdev, before.st_ino)
    assert os.readlink(link) == '/dev/null'


def test_a_symbolic_link_is_written_through(tmp_path):
    real = tmp_path / 'data' / 'out.bin'
    real.parent.mkdir()
    real.write_bytes(b'old')
    link = tmp_path / 'out.bin'
    link.symlink_to(real)
    write_bytes(link, b'new')
    assert link.is_symlink() and real.read_bytes() == b'new'
    dangling = tmp_path / 'later.bin'
    dangling.symlink_to(tmp_path / 'data' / 'later.bin')
    write_bytes(dangling, b'made')
    assert dangling.is_symlink() and (tmp_path / 'data' / 'later.bin').read_bytes() == b'made'


def test_longest_legal_name_is_written_through_a_short_temporary(tmp_path):
    target = tmp_path / ('x' * 251 + '.npz')
    with staged_outputs() as staging:
        tmp = staging.stage(target)
        assert len(tmp.name) < 100 and TEMPORARY_NAME.fullmatch(tmp.name)
        tmp.write_bytes(b'1')
    assert target.read_bytes() == b'1' and os.listdir(tmp_path) == [target.name]


def test_a_failed_write_names_the_target_not_the_temporary(tmp_path):
    target = tmp_path / 'out.npz'
    with pytest.raises(OutputError, match=r'^\S*out\.npz: cannot write it: No space left'):
        with staged_outputs() as staging:
            tmp = staging.stage(target)
            raise OSError(28, 'No space left on device', str(tmp))
    with pytest.raises(FileNotFoundError):  # reading an input is not about the outputs
        with staged_outputs() as staging:
            staging.stage(target)
            open(tmp_path / 'missing.json')
    assert os.listdir(tmp_path) == []


def test_only_exact_temporaries_of_ended_writers_are_removed(tmp_path):
    ended = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'],
                           capture_output=True, text=True, check=True)
    dead, alive = int(ended.stdout), os.getpid()
    keep = ['.notes.gast-pyg-tmp-draft.txt', f'.a.gast-pyg-tmp-{dead}-draft',
            f'.a.gast-pyg-tmp-{dead}-0123456789abcdef.npz~', f'a.gast-pyg-tmp-{dead}-0123456789abcdef',
            f'.a.gast-pyg-tmp-{alive}-0123456789abcdef.npz', f'.a.gast-pyg-tmp-{dead}-01234567.npz']
    stale = f'.a.gast-pyg-tmp-{dead}-0123456789abcdef.npz'
    for name in [*keep, stale]:
        (tmp_path / name).write_text('mine')
    folder = tmp_path / f'.b.gast-pyg-tmp-{dead}-0123456789abcdef'
    folder.mkdir()
    link = tmp_path / f'.c.gast-pyg-tmp-{dead}-0123456789abcdef'
    link.symlink_to(tmp_path / 'elsewhere')
    assert remove_stale_temporaries(tmp_path) == [tmp_path / stale]
    assert sorted(os.listdir(tmp_path)) == sorted([*keep, folder.name, link.name])
