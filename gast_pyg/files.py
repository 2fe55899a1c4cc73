"""The one way gast-pyg writes files: whole or not at all.

Every output is first written to a temporary file in its target's folder, named
``.NAME.gast-pyg-tmp-XXXXXXXX`` so that it is recognisable, and renamed onto the target only
when everything succeeded. Several outputs of one run (:func:`staged_outputs`) are committed
together: all are staged first, then renamed one by one; if a rename fails, the targets renamed
before it get their previous contents back (kept as hard links taken before the commit). A crash
can leave temporaries behind; the next write into the same folder removes those whose process
has ended (:func:`remove_stale_temporaries`).

Temporaries are created with ``os.open(..., 0o666)``, so the process umask applies as for any
new file; the umask itself is never changed.
"""
from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Union

from gast_pyg.errors import GastPygError

__all__ = ['OutputError', 'TEMPORARY_MARKER', 'check_output_targets', 'remove_stale_temporaries',
           'Staging', 'staged_outputs', 'atomic_write', 'write_bytes']

PathLike = Union[str, os.PathLike]

#: Part of the name of every temporary file (``.NAME.gast-pyg-tmp-PID-XXXXXXXX.SUFFIX``).
TEMPORARY_MARKER = '.gast-pyg-tmp-'


class OutputError(GastPygError):
    """An output path that cannot be written (a folder, an input of the run, not writable)."""


def check_output_targets(outputs: Iterable[PathLike], inputs: Iterable[PathLike] = ()) -> None:
    """Raise :class:`OutputError` before any work starts unless every output can be written:
    not an existing directory, not one of ``inputs`` (or the same file under another name), not
    given twice, and its folder (created if missing) is writable."""
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
        for source in inputs:
            if resolved == source.resolve() or (
                    output.exists() and source.exists() and os.path.samefile(output, source)):
                raise OutputError(f'{output}: is also an input of this run ({source}); '
                                  'choose another output path')
        folder = output.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent  # created when the output is written
        if not folder.is_dir():
            raise OutputError(f'{output}: {folder} is not a folder')
        if not os.access(folder, os.W_OK | os.X_OK):
            raise OutputError(f'{output}: its folder {folder} is not writable')


def _owner_alive(name: str) -> bool:
    pid_text = name.partition(TEMPORARY_MARKER)[2].partition('-')[0]
    if not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale_temporaries(folder: PathLike) -> list[Path]:
    """Delete the temporaries that ended processes left in ``folder`` (those of running
    processes, this one included, stay); returns what was removed."""
    removed = []
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        for path in Path(folder).iterdir():
            if (path.name.startswith('.') and TEMPORARY_MARKER in path.name
                    and not _owner_alive(path.name)):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    removed.append(path)
    return removed


def _new_temporary(target: Path) -> Path:
    """Create an empty temporary beside ``target`` (mode 0o666 minus the umask)."""
    for _ in range(100):
        tmp = target.with_name(f'.{target.name}{TEMPORARY_MARKER}{os.getpid()}-'
                               f'{secrets.token_hex(4)}{target.suffix}')
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        except FileExistsError:
            continue
        return tmp
    raise FileExistsError(f'{target}: no free temporary name in {target.parent}')


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Staging:
    """The outputs of one :func:`staged_outputs` block."""

    def __init__(self) -> None:
        self.pending: list[tuple[Path, Path]] = []

    def stage(self, target: PathLike) -> Path:
        """A fresh temporary path beside ``target``; write it, it is renamed onto ``target``
        when the block ends without an error. The folder is created if missing."""
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(target.parent)
        tmp = _new_temporary(target)
        self.pending.append((tmp, target))
        return tmp

    def commit(self) -> None:
        """Rename every temporary onto its target; all or none."""
        for tmp, _ in self.pending:
            _fsync(tmp)
        backups: list[tuple[Path, Path | None]] = []
        try:
            for tmp, target in self.pending:
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
        for tmp, _ in self.pending:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()


@contextlib.contextmanager
def staged_outputs() -> Iterator[Staging]:
    """Context manager for outputs that appear together: ``stage(target)`` hands out
    temporary paths; when the block finishes they are renamed onto their targets (all or none),
    when it raises they are deleted and the targets are left as they were."""
    staging = Staging()
    try:
        yield staging
        staging.commit()
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
