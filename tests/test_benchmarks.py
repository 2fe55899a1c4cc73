"""benchmarks/against_reference.py: paired timing and its refusal of a wrong checkout (the
authors' code itself is never part of the test suite)."""
from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def against_reference(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / 'benchmarks'))
    return importlib.import_module('against_reference')


def test_paired_rounds_alternate_which_side_runs_first(against_reference, monkeypatch):
    calls = []
    monkeypatch.setattr(against_reference, 'best_gemm_rate', lambda: calls.append('gemm') or 100.0)
    triples = against_reference.paired_round(lambda: calls.append('ours'),
                                             lambda: calls.append('reference'), 1, 4)
    assert calls == ['ours', 'reference',  # warm-up
                     'ours', 'reference', 'gemm', 'reference', 'ours', 'gemm',
                     'ours', 'reference', 'gemm', 'reference', 'ours', 'gemm']
    assert len(triples) == 4
    assert all(ours >= 0 and reference >= 0 and gemm == 100.0 for ours, reference, gemm in triples)


def test_a_folder_without_the_authors_model_is_refused_in_one_line(tmp_path):
    result = subprocess.run([sys.executable, str(ROOT / 'benchmarks' / 'against_reference.py'),
                             '--reference-repo', str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"against_reference.py: error: --reference-repo {tmp_path}: no model/gast_net.py "
        "(expected a checkout of fabro66/GAST-Net-3DPoseEstimation)")
