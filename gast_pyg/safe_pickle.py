"""Reading NumPy ``.npy`` / ``.npz`` files without running code from them.

VideoPose3D data files hold pickled dicts in object arrays, so they cannot be read with
``allow_pickle=False``, and ``allow_pickle=True`` runs whatever the pickle asks for. Here object
arrays are read by :class:`RestrictedUnpickler`, which builds only what such files hold (dicts,
lists, tuples, sets, strings, bytes, numbers, booleans, ``None``, NumPy arrays, dtypes and
scalars) and refuses any other global with one :class:`UnsafePickleError` naming the file and
the global. Numeric arrays are checked against the bytes the file really holds before anything
is allocated.
"""
from __future__ import annotations

import codecs
import os
import pickle
import zipfile
import zlib
from collections import OrderedDict
from pathlib import Path
from typing import Any, BinaryIO, Callable, Optional, Union

import numpy as np

from gast_pyg.errors import GastPygError

__all__ = ['ArrayFileError', 'UnsafePickleError', 'RestrictedUnpickler', 'load_npy', 'load_npz']

PathLike = Union[str, os.PathLike]

# Deflate expands at most 1032-fold; the bound on what a compressed member can hold.
_DEFLATE_RATIO = 1032


class ArrayFileError(GastPygError):
    """A ``.npy`` / ``.npz`` file that cannot be read; the message starts with the file."""


class UnsafePickleError(ArrayFileError, pickle.UnpicklingError):
    """A pickle in a data file asked for a global outside the allow-list."""


_NDARRAY = object()  # stands for numpy.ndarray, which is only an argument of _reconstruct
_reconstruct_array = np.ndarray.__reduce__(np.empty(0))[0]


def _reconstruct(subtype: Any, shape: Any, typecode: Any) -> np.ndarray:
    """``numpy.core.multiarray._reconstruct`` for plain, empty arrays (what ``ndarray.__reduce__``
    writes; the data follow in the state)."""
    if subtype is not _NDARRAY or tuple(shape) != (0,):
        raise pickle.UnpicklingError(f'_reconstruct({subtype!r}, {shape!r}): expected '
                                     'numpy.ndarray of shape (0,)')
    return _reconstruct_array(np.ndarray, (0,), typecode)


def _latin1_encode(text: str, encoding: str = 'latin1') -> bytes:
    """``_codecs.encode`` as protocol-2 pickles use it for ``bytes`` (latin-1 only)."""
    if encoding not in ('latin1', 'latin-1'):
        raise pickle.UnpicklingError(f'_codecs.encode with encoding {encoding!r}; expected latin1')
    return codecs.encode(text, 'latin1')


# Strings, bytes, numbers, booleans and None are opcodes of every pickle protocol, not globals;
# containers are globals in the older protocols. Constructors that allocate by a count
# (``bytes(10**12)``) or format a value (``str(...)``) are left out.
_BUILTINS = {'dict': dict, 'list': list, 'tuple': tuple, 'set': set, 'frozenset': frozenset}
_NUMPY = {'_reconstruct': _reconstruct, 'scalar': np.float64(0).__reduce__()[0]}
_ALLOWED: dict[tuple[str, str], Any] = {
    **{(module, name): value for module in ('builtins', '__builtin__')
       for name, value in _BUILTINS.items()},
    **{(module, name): value for module in ('numpy.core.multiarray', 'numpy._core.multiarray')
       for name, value in _NUMPY.items()},
    ('numpy', 'ndarray'): _NDARRAY,
    ('numpy', 'dtype'): np.dtype,
    ('collections', 'OrderedDict'): OrderedDict,
    ('_codecs', 'encode'): _latin1_encode,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that builds only plain data and NumPy arrays (module docstring).

    Args:
        file: The pickle stream.
        source: The file, for messages.
    """

    def __init__(self, file: BinaryIO, source: str):
        super().__init__(file, encoding='latin1')
        self.source = source

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[module, name]
        except KeyError:
            raise UnsafePickleError(
                f'{self.source}: refused to unpickle {module}.{name}: a data file may hold only '
                'dicts, lists, strings, numbers and NumPy arrays (nothing was run)') from None

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError(f'{self.source}: refused a persistent id in the pickle')


def _read_array(file: BinaryIO, available: int, source: str) -> np.ndarray:
    """One ``.npy`` stream holding at most ``available`` bytes (header included)."""
    start = file.tell()
    version = np.lib.format.read_magic(file)
    if version == (1, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(file)
    elif version == (2, 0):
        shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(file)
    else:
        raise ArrayFileError(f'{source}: .npy format version {version}; expected 1.0 or 2.0')
    if dtype.hasobject:
        array = RestrictedUnpickler(file, source).load()
        if not isinstance(array, np.ndarray):
            raise ArrayFileError(f'{source}: the pickle holds a {type(array).__name__}; '
                                 'expected an array')
        return array
    count = int(np.prod(shape, dtype=object))
    size = count * dtype.itemsize
    header = file.tell() - start
    if size > available - header:
        raise ArrayFileError(f'{source}: the header declares a {dtype} array of shape {shape} '
                             f'({size} bytes), but the file holds at most '
                             f'{max(available - header, 0)} bytes of data (truncated or forged)')
    buffer = bytearray(size)
    view, filled = memoryview(buffer), 0
    while filled < size:
        read = file.readinto(view[filled:])
        if not read:
            break
        filled += read
    if filled != size:
        raise ArrayFileError(f'{source}: truncated: fewer than the {size} bytes of data declared')
    array = np.frombuffer(buffer, dtype=dtype)
    return array.reshape(shape[::-1]).transpose() if fortran_order else array.reshape(shape)


# What a corrupt or forged file makes the reading raise (an unpickler fed garbage raises about
# anything); each becomes one ArrayFileError naming the file.
_READ_ERRORS = (OSError, EOFError, ValueError, TypeError, AttributeError, KeyError, IndexError,
                zipfile.BadZipFile, zlib.error, pickle.UnpicklingError, RecursionError,
                MemoryError)


def _guarded(path: Path, read: Callable[[], Any]) -> Any:
    try:
        return read()
    except ArrayFileError:
        raise
    except _READ_ERRORS as error:
        raise ArrayFileError(f'{path}: not a readable NumPy file (corrupt or truncated): '
                             f'{type(error).__name__}: {str(error)[:200]}') from error


def load_npy(path: PathLike) -> np.ndarray:
    """The array of a ``.npy`` file; object arrays through :class:`RestrictedUnpickler`.

    Raises:
        ArrayFileError: If the file is unreadable, truncated or declares more data than it
            holds; :class:`UnsafePickleError` if its pickle asks for anything but plain data.
    """
    path = Path(path)

    def read() -> np.ndarray:
        with open(path, 'rb') as file:
            return _read_array(file, os.fstat(file.fileno()).st_size, str(path))

    return _guarded(path, read)


def load_npz(path: PathLike, max_bytes: Optional[int] = None) -> dict[str, np.ndarray]:
    """The arrays of an ``.npz`` archive, ``{name: array}``, each read as :func:`load_npy` does.
    ``max_bytes``: the most its entries may hold together once expanded (checked from the
    archive's directory before any entry is read).

    Raises:
        ArrayFileError: As :func:`load_npy`, naming the archive and the entry.
    """
    path = Path(path)

    def read() -> dict[str, np.ndarray]:
        arrays = {}
        with zipfile.ZipFile(path) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
            if max_bytes is not None and expanded > max_bytes:
                raise ArrayFileError(f'{path}: the archive expands to {expanded} bytes; at most '
                                     f'{max_bytes} are read')
            for info in archive.infolist():
                name = info.filename[:-4] if info.filename.endswith('.npy') else info.filename
                available = info.file_size
                if info.compress_type == zipfile.ZIP_DEFLATED:
                    available = min(available, info.compress_size * _DEFLATE_RATIO)
                elif info.compress_type != zipfile.ZIP_STORED:
                    raise ArrayFileError(f'{path}: entry {name!r} uses compression '
                                         f'{info.compress_type}; expected stored or deflated')
                with archive.open(info) as member:
                    arrays[name] = _read_array(member, available,
                                               f'{path}: entry {name!r}')
        return arrays

    return _guarded(path, read)
