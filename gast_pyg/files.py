"""The one way gast-pyg writes files: whole or not at all.

Every output is first written to a temporary file in its target's folder, named
``.STEM.gast-pyg-tmp-PID-TOKEN.SUFFIX`` (:data:`TEMPORARY_NAME`: ``STEM`` the first 32 characters
of the target's name, ``PID`` the writing process, ``TOKEN`` 16 random hex digits, ``SUFFIX`` the
target's suffix when it is a plain one), and renamed onto the target only when everything
succeeded. The name stays short whatever the target's length, so any legal file name can be
written. Several outputs of one run (:func:`staged_outputs`) are committed together: all are
staged first, then renamed one by one; if a rename fails, the targets renamed before it get their
previous contents back (kept as hard links taken before the commit).

Targets:

* an existing target must be a regular file: a device (``/dev/null``), a named pipe or a socket
  is refused (:func:`check_output_targets`, again when it is staged), never replaced;
* a symbolic link is written through: the new file replaces the file the link points to, the
  link stays (a link to anything but a regular file is refused like that file).

A crash can leave temporaries behind; the next write into the same folder removes those whose
process has ended (:func:`remove_stale_temporaries`). Only names that match
:data:`TEMPORARY_NAME` exactly, on regular files of this user, are ever removed: a user's
``.notes.gast-pyg-tmp-draft.txt`` is not the package's and stays.

Temporaries are created with ``os.open(..., 0o666)``, so the process umask applies as for any
new file; the umask itself is never changed. An :class:`OSError` while a staged output is written
(a full disk, a file size limit) becomes an :class:`OutputError` naming the target, not the
temporary.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Optional, Union

from gast_pyg.errors import GastPygError

__all__ = ['OutputError', 'TEMPORARY_MARKER', 'TEMPORARY_NAME', 'check_output_targets',
           'remove_stale_temporaries', 'Staging', 'staged_outputs', 'atomic_write', 'write_bytes']

PathLike = Union[str, os.PathLike]

#: Part of the name of every temporary file.
TEMPORARY_MARKER = '.gast-pyg-tmp-'
#: The exact name of a temporary (module docstring); nothing else is ever removed.
TEMPORARY_NAME = re.compile(r'\.(?s:.{1,32})' + re.escape(TEMPORARY_MARKER)
                            + r'(?P<pid>[1-9][0-9]{0,9})-[0-9a-f]{16}(?:\.[A-Za-z0-9_]{1,16})?')
_STEM = 32
_SUFFIX = re.compile(r'\.[A-Za-z0-9_]{1,16}')
# errno values of a write that failed for lack of room, whatever the file.
_WRITE_ERRORS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_KINDS = ((stat.S_ISCHR, 'a character device'), (stat.S_ISBLK, 'a block device'),
          (stat.S_ISFIFO, 'a named pipe (FIFO)'), (stat.S_ISSOCK, 'a socket'))


class OutputError(GastPygError):
    """An output path that cannot be written (a folder, a device, an input of the run, not
    writable, no room left)."""


def _special_kind(path: Path) -> Optional[str]:
    """What ``path`` (links followed) is when it exists and is not a regular file or a
    folder, e.g. ``'a character device'``; ``None`` otherwise."""
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    return next((kind for test, kind in _KINDS if test(mode)), None)


def _refuse_special(output: Path) -> None:
    kind = _special_kind(output)
    if kind is not None:
        raise OutputError(f'{output}: is {kind}, not a regular file; outputs are written as a new '
                          'file renamed onto their path, which would replace it: give a file '
                          'path')


def check_output_targets(outputs: Iterable[PathLike], inputs: Iterable[PathLike] = ()) -> None:
    """Raise :class:`OutputError` before any work starts unless every output can be written:
    not an existing directory, device, named pipe or socket (links followed), not one of
    ``inputs`` (or the same file under another name), not given twice, and its folder (created
    if missing) is writable."""
    outputs = [Path(path) for path in outputs]
    inputs = [Path(path) for path in inputs]
    seen: set[Path] = set()
    for output in outputs:
        resolved = output.resolve()
        if resolved in seen:
            raise OutputError(f'{output}: given as two outputs of one run')
        seen.add(resolved)
        if output.is_dir():
            raise OutputError(f'{output}: is a directory, expected a file path to write')
        _refuse_special(output)
        for source in inputs:
            if resolved == source.resolve() or (
                    output.exists() and source.exists() and os.path.samefile(output, source)):
                raise OutputError(f'{output}: is also an input of this run ({source}); '
                                  'choose another output path')
        folder = resolved.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent  # created when the output is written
        if not folder.is_dir():
            raise OutputError(f'{output}: {folder} is not a folder')
        if not os.access(folder, os.W_OK | os.X_OK):
            raise OutputError(f'{output}: its folder {folder} is not writable')


def _writer_ended(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's live process
        return False
    return False


def remove_stale_temporaries(folder: PathLike) -> list[Path]:
    """Delete the temporaries that ended processes left in ``folder``: regular files of this
    user whose name is exactly :data:`TEMPORARY_NAME` and whose writer is no longer running
    (those of running processes, this one included, stay); returns what was removed."""
    removed = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError, PermissionError):
        for entry in os.scandir(folder):
            match = TEMPORARY_NAME.fullmatch(entry.name)
            if match is None or not _writer_ended(int(match['pid'])):
                continue
            with contextlib.suppress(FileNotFoundError):
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid():
                    os.unlink(entry.path)
                    removed.append(Path(entry.path))
    return removed


def _new_temporary(target: Path) -> Path:
    """Create an empty temporary beside ``target`` (mode 0o666 minus the umask)."""
    suffix = target.suffix if _SUFFIX.fullmatch(target.suffix) else ''
    for _ in range(100):
        tmp = target.with_name(f'.{target.name[:_STEM]}{TEMPORARY_MARKER}{os.getpid()}-'
                               f'{secrets.token_hex(8)}{suffix}')
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise OutputError(f'{target}: no free temporary name in {target.parent}')


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Staging:
    """The outputs of one :func:`staged_outputs` block."""

    def __init__(self) -> None:
        #: ``(temporary, file renamed onto, path as given)`` of every staged output.
        self.pending: list[tuple[Path, Path, Path]] = []

    def stage(self, target: PathLike) -> Path:
        """A fresh temporary path beside ``target`` (beside the file it links to, for a
        symbolic link); write it, it is renamed onto that file when the block ends without an
        error. The folder is created if missing.

        Raises:
            OutputError: If ``target`` is a device, a named pipe or a socket, or its folder
                cannot be written.
        """
        given = Path(target)
        _refuse_special(given)
        target = Path(os.path.realpath(given))
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            remove_stale_temporaries(target.parent)
            tmp = _new_temporary(target)
        except OSError as error:
            raise OutputError(f'{given}: cannot write it: {error.strerror or error}') from error
        self.pending.append((tmp, target, given))
        return tmp

    def written(self, error: OSError) -> Optional[Path]:
        """The target (as given) a failed write belongs to: the one whose temporary the error
        names; for an error without a file name that says the disk or a limit is full, the
        latest staged; ``None`` when ``error`` is not about the outputs."""
        names = {os.fspath(name) for name in (error.filename, error.filename2) if name}
        for tmp, _, given in reversed(self.pending):
            if str(tmp) in names:
                return given
        if not names and error.errno in _WRITE_ERRORS and self.pending:
            return self.pending[-1][2]
        return None

    def commit(self) -> None:
        """Rename every temporary onto its target; all or none."""
        for tmp, _, given in self.pending:
            try:
                _fsync(tmp)
            except OSError as error:
                raise OutputError(f'{given}: cannot write it: {error.strerror}') from error
        backups: list[tuple[Path, Optional[Path]]] = []
        try:
            for tmp, target, _ in self.pending:
                backup = None
                if target.exists():
                    backup = _new_temporary(target)
                    backup.unlink()
                    os.link(target, backup)
                backups.append((target, backup))
                os.replace(tmp, target)
        except BaseException:
            for target, backup in backups:
                if backup is not None:
                    os.replace(backup, target)
                else:
                    with contextlib.suppress(FileNotFoundError):
                        target.unlink()
            raise
        finally:
            for _, backup in backups:
                if backup is not None:
                    with contextlib.suppress(FileNotFoundError):
                        backup.unlink()

    def discard(self) -> None:
        for tmp, _, _ in self.pending:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


@contextlib.contextmanager
def staged_outputs() -> Iterator[Staging]:
    """Context manager for outputs that appear together: ``stage(target)`` hands out
    temporary paths; when the block finishes they are renamed onto their targets (all or none),
    when it raises they are deleted and the targets are left as they were. An :class:`OSError`
    of writing an output is raised as an :class:`OutputError` naming its target."""
    staging = Staging()
    try:
        try:
            yield staging
            staging.commit()
        except OSError as error:
            target = staging.written(error)
            if target is None:
                raise
            raise OutputError(f'{target}: cannot write it: '
                              f'{error.strerror or error}') from error
    finally:
        staging.discard()


@contextlib.contextmanager
def atomic_write(target: PathLike) -> Iterator[BinaryIO]:
    """Context manager: a binary file object whose contents replace ``target`` when the block
    ends without an error (and leave it untouched otherwise)."""
    with staged_outputs() as staging:
        with open(staging.stage(target), 'wb') as file:
            yield file


def write_bytes(target: PathLike, data: bytes | bytearray | memoryview) -> Path:
    """Replace ``target`` with ``data`` atomically; returns the path."""
    with atomic_write(target) as file:
        file.write(data)
    return Path(target)

