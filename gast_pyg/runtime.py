"""How the package uses the CPU: the number of torch threads and how idle threads wait.

PyTorch's CPU wheels run their parallel regions on GNU OpenMP (libgomp), whose idle workers
spin-wait at each barrier before they sleep. On a machine whose cores are taken by other
processes, a worker that spins holds a core the other worker needs to reach the barrier, so
every one of the thousands of parallel regions of a training step can cost a scheduler time
slice instead of microseconds: with one competing process on 2 cores a step ran 25-40x slower
instead of 2x. Two defaults avoid that:

* ``OMP_WAIT_POLICY=PASSIVE`` (idle workers sleep at once). libgomp reads it once, when torch
  loads it, so :func:`set_default_wait_policy` runs when :mod:`gast_pyg` is imported, and only
  takes effect if ``torch`` has not been imported yet; a value already in the environment wins.
* as many intra-op threads as cores this process may run on (``os.sched_getaffinity``). With
  passive waiting, two threads beside a competing process kept 60-67 % of their idle speed and
  stayed faster than one thread there (measured with ``benchmarks/speed.py --under-load 1``), so
  the load average is not consulted: it lags, and a stale value cost a lone run half its speed.

:func:`configure_threads` applies the thread choice once; an explicit ``threads`` (the
``--threads`` option), ``GAST_PYG_THREADS``, ``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS`` take
precedence over the automatic choice, in that order.
"""
from __future__ import annotations

import os
import sys
from typing import Optional

__all__ = ['configure_threads', 'default_threads', 'set_default_wait_policy']

_THREAD_VARIABLES = ('GAST_PYG_THREADS', 'OMP_NUM_THREADS', 'MKL_NUM_THREADS')


def set_default_wait_policy() -> bool:
    """Make idle OpenMP workers sleep instead of spin (``OMP_WAIT_POLICY=PASSIVE``) unless the
    environment already sets a policy. Returns whether the policy in effect is passive; it
    cannot change once ``torch`` is imported (libgomp has read its environment)."""
    if 'OMP_WAIT_POLICY' not in os.environ and 'torch' not in sys.modules:
        os.environ['OMP_WAIT_POLICY'] = 'PASSIVE'
    return os.environ.get('OMP_WAIT_POLICY', '').upper() == 'PASSIVE'


def default_threads() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()
    return max(1, cores or 1)


def _threads_from_environment() -> Optional[int]:
    for name in _THREAD_VARIABLES:
        text = os.environ.get(name, '').strip()
        if not text:
            continue
        if not text.isdigit() or int(text) < 1:
            raise ValueError(f'environment variable {name}={text!r}: expected a positive '
                             f'integer number of threads')
        return int(text)
    return None


def configure_threads(threads: Optional[int] = None) -> int:
    """Set torch's intra-op thread count once at start-up and return it.

    Args:
        threads: An explicit count (``--threads``); ``None`` takes ``GAST_PYG_THREADS``,
            ``OMP_NUM_THREADS`` or ``MKL_NUM_THREADS`` if set, else :func:`default_threads`.

    Calling it again with the same arguments sets the same count (idempotent).
    """
    import torch

    if threads is not None and threads < 1:
        raise ValueError(f'threads: expected a positive integer, got {threads}')
    chosen = threads or _threads_from_environment() or default_threads()
    if torch.get_num_threads() != chosen:
        torch.set_num_threads(chosen)
    return chosen
