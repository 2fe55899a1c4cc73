"""gast_pyg.runtime: thread count and OpenMP spin before sleeping chosen once, overridable."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gast_pyg.runtime import (DEFAULT_SPIN_COUNT, configure_threads, default_threads,
                              set_default_wait_policy, wait_policy)

ROOT = Path(__file__).resolve().parents[1]


def python(code: str, **variables: str) -> str:
    """``code`` in a fresh interpreter whose environment has no OpenMP wait settings but
    ``variables``."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in ('OMP_WAIT_POLICY', 'GOMP_SPINCOUNT')}
    environment.update(variables, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, '-c', code], env=environment, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_importing_the_package_first_sets_a_short_spin_before_idle_threads_sleep():
    code = "import gast_pyg, os; print(os.environ.get('GOMP_SPINCOUNT'), os.environ.get('OMP_WAIT_POLICY'))"
    assert python(code) == f'{DEFAULT_SPIN_COUNT} None'
    assert python(code, OMP_WAIT_POLICY='ACTIVE') == 'None ACTIVE'
    assert python(code, GOMP_SPINCOUNT='10') == '10 None'


# CPU time the process burns while its main thread sleeps after a parallel region: the idle
# OpenMP worker's spinning.
IDLE_BURN = """
import gast_pyg, resource, time, torch
torch.set_num_threads(2)
a = torch.randn(512, 512)
for _ in range(20):
    a @ a
before = resource.getrusage(resource.RUSAGE_SELF)
time.sleep(0.5)
after = resource.getrusage(resource.RUSAGE_SELF)
print(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
"""


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason='needs two cores')
def test_the_default_reaches_openmp_idle_workers_stop_spinning_at_once():
    # The default (a few thousand spins) burns next to nothing in half a second of idling; a
    # spin count of three billion keeps the worker spinning throughout: the variable set at
    # import is the one libgomp reads.
    assert float(python(IDLE_BURN)) < 0.05
    assert float(python(IDLE_BURN, GOMP_SPINCOUNT='3000000000')) > 0.1


def test_the_wait_policy_is_left_alone_once_torch_is_loaded_or_when_set(monkeypatch):
    monkeypatch.delenv('OMP_WAIT_POLICY', raising=False)
    monkeypatch.delenv('GOMP_SPINCOUNT', raising=False)
    # This process has imported torch: libgomp has read its environment, so no pretending.
    assert set_default_wait_policy() == "libgomp's default"
    assert 'GOMP_SPINCOUNT' not in os.environ
    monkeypatch.setenv('OMP_WAIT_POLICY', 'ACTIVE')
    assert set_default_wait_policy() == 'OMP_WAIT_POLICY=ACTIVE'
    assert 'GOMP_SPINCOUNT' not in os.environ and wait_policy() == 'OMP_WAIT_POLICY=ACTIVE'


def test_explicit_threads_win_over_the_environment(monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv('GAST_PYG_THREADS', '1')
        assert configure_threads(2) == 2 and torch.get_num_threads() == 2
        assert configure_threads() == 1 and torch.get_num_threads() == 1
        assert configure_threads() == 1  # idempotent
        monkeypatch.delenv('GAST_PYG_THREADS')
        monkeypatch.setenv('OMP_NUM_THREADS', '2')
        assert configure_threads() == 2
        monkeypatch.delenv('OMP_NUM_THREADS')
        monkeypatch.delenv('MKL_NUM_THREADS', raising=False)
        assert configure_threads() == default_threads()
        assert 1 <= default_threads() <= len(os.sched_getaffinity(0))
    finally:
        torch.set_num_threads(before)


def test_bad_thread_counts_name_the_variable(monkeypatch):
    monkeypatch.setenv('GAST_PYG_THREADS', 'two')
    with pytest.raises(ValueError, match="GAST_PYG_THREADS='two': expected a positive integer"):
        configure_threads()
    with pytest.raises(ValueError, match='threads: expected a positive integer, got 0'):
        configure_threads(0)


def test_benchmark_competitors_are_stopped_when_the_measurement_fails():
    spec = importlib.util.spec_from_file_location('speed', ROOT / 'benchmarks' / 'speed.py')
    speed = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(speed)
    started = []
    real_popen = speed.subprocess.Popen

    def recording_popen(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    speed.subprocess.Popen = recording_popen
    try:
        with pytest.raises(KeyboardInterrupt):
            with speed.competitors('import time; time.sleep(60)', 2):
                raise KeyboardInterrupt
    finally:
        speed.subprocess.Popen = real_popen
    assert len(started) == 2
    assert all(process.poll() is not None for process in started)


# Minor page faults of 50 rounds of three live 8 MiB tensors (activations of a layer), written
# and freed.
PAGE_FAULTS = """
import resource, sys, torch
from gast_pyg.runtime import configure_allocator
applied = configure_allocator() if sys.argv[1] == 'configured' else False

def layer():
    a, b, c = (torch.ones(2 * 2**20) for _ in range(3))

layer()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):
    layer()
print(applied, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


@pytest.mark.skipif(not sys.platform.startswith('linux'), reason="glibc's mallopt")
def test_the_allocator_keeps_freed_activation_blocks_instead_of_faulting_them_in_again():
    def faults(mode: str, **variables: str):
        environment = {key: value for key, value in os.environ.items()
                       if not key.startswith('MALLOC_') and key != 'GLIBC_TUNABLES'}
        environment.update(variables, PYTHONPATH=str(ROOT))
        applied, count = subprocess.run(
            [sys.executable, '-c', PAGE_FAULTS, mode], env=environment, check=True,
            capture_output=True, text=True).stdout.split()
        return applied == 'True', int(count)

    applied, kept = faults('configured')
    if not applied:
        pytest.skip('not glibc')
    every_page = 50 * 3 * 2048  # 8 MiB / 4 KiB per tensor
    assert kept < every_page / 10
    # glibc's own variables in the environment are left to glibc: here every large block is
    # unmapped when freed, so each new tensor faults all its pages in again.
    applied, unmapped = faults('configured', MALLOC_MMAP_THRESHOLD_='131072')
    assert applied is False and unmapped == pytest.approx(every_page, rel=0.2)


def test_more_threads_than_the_machine_has_are_capped_with_a_warning(monkeypatch):
    from gast_pyg.runtime import machine_cores
    before = torch.get_num_threads()
    try:
        with pytest.warns(RuntimeWarning, match=rf'--threads 100000: more threads than the '
                                                rf'{machine_cores()} cores of this machine'):
            assert configure_threads(100000) == machine_cores()
        monkeypatch.setenv('GAST_PYG_THREADS', str(10 ** 20))
        with pytest.warns(RuntimeWarning, match=r'GAST_PYG_THREADS=100000000000000000000: more'):
            assert configure_threads() == torch.get_num_threads() == machine_cores()
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize('value', ['²', '٣', '2.0', ' 2 x'])
def test_thread_variable_of_other_digits_is_named(monkeypatch, value):
    monkeypatch.setenv('GAST_PYG_THREADS', value)
    with pytest.raises(ValueError, match=r"environment variable GAST_PYG_THREADS='.*': expected "
                                         r'a positive integer number of threads'):
        configure_threads()


@pytest.mark.parametrize('name,fragment', [
    ('foo', r"device 'foo': expected 'auto', 'cpu', 'cuda' or 'cuda:N'"),
    ('cuda:-1', r"device 'cuda:-1': expected"),
    ('', r"device '': expected"),
])
def test_unknown_device_is_one_error(name, fragment):
    from gast_pyg.errors import GastPygError
    from gast_pyg.devices import resolve_device
    with pytest.raises(GastPygError, match=fragment):
        resolve_device(name)
    assert resolve_device('cpu').type == 'cpu' and resolve_device('auto').type in ('cpu', 'cuda')
