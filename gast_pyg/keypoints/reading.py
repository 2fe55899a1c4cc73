"""Opening keypoint files: regular files only, of bounded size, JSON of bounded nesting.

Every keypoint reader opens its files through :func:`check_file` and :func:`load_json`:

- the path must name a regular file: a FIFO, a device or a socket is refused from its
  :func:`os.stat`, before it is opened (nothing hangs or reads forever), and the file is opened
  non-blocking and checked again, so a file swapped in between is refused too;
- a file larger than :data:`MAX_FILE_BYTES` is refused unread (a JSON file takes several times its
  size in memory once parsed; an archive may not expand beyond it either);
- JSON nested deeper than Python's recursion limit, malformed JSON, text that is not UTF-8 and
  numbers Python cannot parse each end in one :class:`~gast_pyg.keypoints.sequence.KeypointError`
  naming the file.
"""
from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from gast_pyg.keypoints.sequence import KeypointError

__all__ = ['MAX_FILE_BYTES', 'check_file', 'read_bytes', 'load_json']

#: The largest keypoint file read, in bytes (512 MiB: a 33-minute COCO-WholeBody file of two
#: people per frame is about 350 MB of JSON).
MAX_FILE_BYTES = 512 * 2 ** 20

_KINDS = ((stat.S_ISFIFO, 'a FIFO'), (stat.S_ISCHR, 'a character device'),
          (stat.S_ISBLK, 'a block device'), (stat.S_ISSOCK, 'a socket'))


def _check_status(path: Path, status: os.stat_result, folders: bool) -> None:
    if stat.S_ISDIR(status.st_mode):
        if folders:
            return
        raise KeypointError(f"{path}: a folder; expected a keypoint file")
    if not stat.S_ISREG(status.st_mode):
        kind = next((name for test, name in _KINDS if test(status.st_mode)), 'not a regular file')
        raise KeypointError(f"{path}: {kind}; expected a regular keypoint file")
    if status.st_size > MAX_FILE_BYTES:
        raise KeypointError(f"{path}: {status.st_size} bytes; keypoint files are read up to "
                            f"{MAX_FILE_BYTES} bytes ({MAX_FILE_BYTES >> 20} MiB)")


def check_file(path: Path, folders: bool = False) -> None:
    """Refuse ``path`` unless it is a regular file of at most :data:`MAX_FILE_BYTES` (or, with
    ``folders``, a folder); :class:`KeypointError` naming it."""
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise KeypointError(f"{path}: no such keypoint file or folder") from None
    except OSError as error:
        raise KeypointError(f"{path}: cannot be read: {error.strerror}") from error
    _check_status(path, status, folders)


def read_bytes(path: Path) -> bytes:
    """The content of the regular file ``path`` (:func:`check_file`), read through a descriptor
    opened non-blocking and checked again, never more than :data:`MAX_FILE_BYTES`."""
    check_file(path)
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, 'O_NONBLOCK', 0))
    except OSError as error:
        raise KeypointError(f"{path}: cannot be read: {error.strerror}") from error
    with os.fdopen(descriptor, 'rb') as file:
        status = os.fstat(descriptor)
        _check_status(path, status, folders=False)
        content = file.read(status.st_size)
        while extra := file.read(1 << 20):  # the file grew after its stat
            content += extra
            if len(content) > MAX_FILE_BYTES:
                raise KeypointError(f"{path}: more than {MAX_FILE_BYTES} bytes; keypoint files "
                                    f"are read up to {MAX_FILE_BYTES >> 20} MiB")
    return content


def load_json(path: Path) -> Any:
    """The parsed JSON of the file ``path`` (module docstring); :class:`KeypointError` naming the
    file when it cannot be read or parsed."""
    content = read_bytes(path)
    try:
        return json.loads(content.decode('utf-8'))
    except json.JSONDecodeError as error:
        raise KeypointError(f"{path}: malformed JSON at line {error.lineno}, column "
                            f"{error.colno}: {error.msg}") from error
    except UnicodeDecodeError as error:
        raise KeypointError(f"{path}: not a UTF-8 text (JSON) file: {error}") from error
    except RecursionError as error:
        raise KeypointError(f"{path}: the JSON is nested too deeply; expected frames of "
                            f"people of keypoints") from error
    except ValueError as error:  # e.g. an integer of more digits than Python converts
        raise KeypointError(f"{path}: a number cannot be read: {str(error)[:120]}") from error
