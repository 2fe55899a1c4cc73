"""gast_pyg.runtime: thread count and OpenMP wait policy chosen once, overridable."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gast_pyg.runtime import configure_threads, default_threads, set_default_wait_policy

ROOT = Path(__file__).resolve().parents[1]


def python(code: str) -> str:
    environment = {key: value for key, value in os.environ.items() if key != 'OMP_WAIT_POLICY'}
    environment['PYTHONPATH'] = str(ROOT)
    return subprocess.run([sys.executable, '-c', code], env=environment, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_importing_the_package_first_makes_idle_openmp_threads_sleep():
    assert python("import gast_pyg, os; print(os.environ.get('OMP_WAIT_POLICY'))") == 'PASSIVE'


def test_the_wait_policy_is_left_alone_once_torch_is_loaded_or_when_set(monkeypatch):
    monkeypatch.delenv('OMP_WAIT_POLICY', raising=False)
    # This process has imported torch: libgomp has read its environment, so no pretending.
    assert set_default_wait_policy() is False and 'OMP_WAIT_POLICY' not in os.environ
    monkeypatch.setenv('OMP_WAIT_POLICY', 'ACTIVE')
    assert set_default_wait_policy() is False and os.environ['OMP_WAIT_POLICY'] == 'ACTIVE'


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
