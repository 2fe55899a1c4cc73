"""How the package uses the CPU: the number of torch threads and how idle threads wait.

PyTorch's CPU wheels run their parallel regions on GNU OpenMP (libgomp). At every barrier an
idle worker spins ``GOMP_SPINCOUNT`` times before it sleeps. On a machine whose cores are taken
by other processes, a worker that spins holds a core the other worker needs to reach the
barrier, so each parallel region can cost a scheduler time slice; sleeping at once
(``OMP_WAIT_POLICY=PASSIVE``) makes every small operation between two GEMMs on idle cores wait
for a sleeping worker to be woken. Two defaults:

* ``GOMP_SPINCOUNT=3000`` (:data:`DEFAULT_SPIN_COUNT`), a hundredth of libgomp's default: long
  enough to cover the gap between consecutive operations on idle cores, short enough not to
  hold a core a competing process needs. libgomp reads it once, when torch loads it, so
  :func:`set_default_wait_policy` runs when :mod:`gast_pyg` is imported, and only takes effect
  if ``torch`` has not been imported yet; an ``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT`` already in
  the environment wins.
* as many intra-op threads as cores this process may run on (``os.sched_getaffinity``); the
  load average is not consulted (it lags).

:func:`configure_threads` applies the thread choice once; an explicit ``threads`` (the
``--threads`` option), ``GAST_PYG_THREADS``, ``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS`` take
precedence over the automatic choice, in that order; more than the machine's cores are capped
with a warning.

:func:`configure_allocator` (glibc only) keeps freed blocks of up to 32 MiB for reuse
(``M_MMAP_THRESHOLD`` 32 MiB, ``M_TRIM_THRESHOLD`` 512 MiB). glibc's ``malloc`` otherwise serves
large blocks with fresh ``mmap`` pages and unmaps them on ``free``, so every new activation
tensor of a few MiB is zeroed page by page by the kernel again. The peak memory does not grow;
freed memory is returned to the system later. ``MALLOC_MMAP_THRESHOLD_``,
``MALLOC_TRIM_THRESHOLD_`` or ``GLIBC_TUNABLES`` in the environment leave glibc's own settings.

The measurements behind these choices are in ``docs/performance-notes.md``.
"""
from __future__ import annotations

import ctypes
import os
import sys
import warnings
from typing import Optional

from gast_pyg.errors import GastPygError
__all__ = ['DEFAULT_SPIN_COUNT', 'WAIT_VARIABLES', 'configure_allocator',
           'configure_threads', 'default_threads', 'machine_cores',
           'set_default_wait_policy',
           'wait_policy']

#: Spins of an idle OpenMP worker before it sleeps (``GOMP_SPINCOUNT``), the package's default.
DEFAULT_SPIN_COUNT = 3000

#: The environment variables that set how idle OpenMP workers wait; a user's value wins.
WAIT_VARIABLES = ('OMP_WAIT_POLICY', 'GOMP_SPINCOUNT')
_MALLOC_VARIABLES = ('MALLOC_MMAP_THRESHOLD_', 'MALLOC_TRIM_THRESHOLD_', 'GLIBC_TUNABLES')
# glibc's mallopt parameters and the largest mmap threshold it accepts on 64-bit systems.
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_MMAP_THRESHOLD = 32 * 2**20
_TRIM_THRESHOLD = 512 * 2**20
_THREAD_VARIABLES = ('GAST_PYG_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS')


def set_default_wait_policy() -> str:
    """Make idle OpenMP workers spin :data:`DEFAULT_SPIN_COUNT` times before they sleep
    (``GOMP_SPINCOUNT``), unless the environment already sets ``OMP_WAIT_POLICY`` or
    ``GOMP_SPINCOUNT``. It cannot change once ``torch`` is imported (libgomp has read its
    environment then), so it does nothing in that case. Returns :func:`wait_policy`."""
    if 'torch' not in sys.modules and not any(name in os.environ for name in WAIT_VARIABLES):
        os.environ['GOMP_SPINCOUNT'] = str(DEFAULT_SPIN_COUNT)
    return wait_policy()


def wait_policy() -> str:
    """The OpenMP wait settings of the environment, e.g. ``'GOMP_SPINCOUNT=3000'``, or
    ``"libgomp's default"`` when neither ``OMP_WAIT_POLICY`` nor ``GOMP_SPINCOUNT`` is set."""
    settings = [f'{name}={os.environ[name]}' for name in WAIT_VARIABLES if name in os.environ]
    return ' '.join(settings) or "libgomp's default"


def default_threads() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()
    return max(1, cores or 1)


def machine_cores() -> int:
    """The cores of the machine (``os.cpu_count``), at least those this process may run on."""
    return max(os.cpu_count() or 1, default_threads())


def _threads_from_environment() -> Optional[tuple[str, int]]:
    """``(variable, count)`` of the first thread variable set, ``None`` when none is."""
    for name in _THREAD_VARIABLES:
        text = os.environ.get(name, '').strip()
        if not text:
            continue
        if not (text.isascii() and text.isdigit()) or int(text) < 1:
            raise GastPygError(f'environment variable {name}={text[:40]!r}: expected a positive '
                               'integer number of threads, e.g. 4')
        return name, int(text)
    return None


def configure_threads(threads: Optional[int] = None) -> int:
    """Set torch's intra-op thread count once at start-up and return it.

    Args:
        threads: An explicit count (``--threads``); ``None`` takes ``GAST_PYG_THREADS``,
            ``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS`` if set, else :func:`default_threads`.

    A count above :func:`machine_cores` is capped there with a :class:`RuntimeWarning` (OpenMP
    aborts the process when it cannot create that many threads). Calling it again with the same
    arguments sets the same count (idempotent).

    Raises:
        GastPygError: For a count below 1 or a thread variable that is not a positive integer.
    """
    import torch

    if threads is not None and threads < 1:
        raise GastPygError(f'--threads: expected a positive integer, got {threads}')
    source = '--threads '
    if threads is None:
        variable, threads = _threads_from_environment() or ('', default_threads())
        source = f'{variable}='
    cores = machine_cores()
    if threads > cores:
        warnings.warn(f'{source}{threads}: more threads than the {cores} cores of this machine; '
                      f'using {cores}', RuntimeWarning, stacklevel=2)
        threads = cores
    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    return threads


def configure_allocator() -> bool:
    """Keep freed blocks of up to 32 MiB in the process for reuse (glibc's ``mallopt``:
    ``M_MMAP_THRESHOLD`` 32 MiB, ``M_TRIM_THRESHOLD`` 512 MiB) instead of unmapping them, so
    that activation tensors stop costing a page fault per 4 KiB. Returns whether it was applied:
    not on other C libraries, nor when the environment sets glibc's own malloc variables.
    Calling it again changes nothing."""
    if (not sys.platform.startswith('linux')
            or any(name in os.environ for name in _MALLOC_VARIABLES)):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return (mallopt(_M_MMAP_THRESHOLD, _MMAP_THRESHOLD) == 1
            and mallopt(_M_TRIM_THRESHOLD, _TRIM_THRESHOLD) == 1)

