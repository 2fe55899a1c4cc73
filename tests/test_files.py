"""gast_pyg.files: outputs appear whole or not at all, checked before work starts."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

import gast_pyg.files as files
from gast_pyg.files import (
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
