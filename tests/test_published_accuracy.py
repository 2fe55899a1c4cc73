"""The published accuracy of the shipped models: the registry, the table of docs/models.md and a
fresh evaluation on the held-out subject agree.

The evaluation is the command users run (``gast-pyg evaluate --checkpoint NAME --data-3d ...
--test-subjects S8 --downsample 5``) on the Human3.6M motion in ``../shared`` (skipped without
it): ground-truth 2D for every shipped model, and the ``--noise-2d 5`` figure of the default.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import shared_path
from gast_pyg.cli import main
from gast_pyg.pretrained import load_registry

PROJECT = Path(__file__).resolve().parents[1]
REGISTRY = load_registry()
NAMES = list(REGISTRY.models)


def docs_rows() -> dict[str, list[str]]:
    """``name: cells`` of the shipped-models table in docs/models.md."""
    rows = {}
    for line in (PROJECT / 'docs' / 'models.md').read_text().splitlines():
        match = re.match(r'\| `([^`]+)`', line)
        if match and match.group(1) in REGISTRY.models:
            rows[match.group(1)] = [cell.strip() for cell in line.strip('|').split('|')]
    return rows


@pytest.mark.parametrize('name', NAMES)
def test_docs_table_states_the_registry_accuracy(name):
    accuracy = REGISTRY.get(name).accuracy
    cells = docs_rows()[name]
    for key in ('gt_2d', 'noise_2d_5'):
        stated = f"{accuracy[key]['p1']:.1f} / {accuracy[key]['p2']:.1f}"
        assert stated in cells, (name, key, stated, cells)


def evaluate(name: str, folder: Path, noise: float = 0.0) -> dict:
    data = shared_path('data', 'h36m_expmap', 'data_3d_h36m_expmap.npz')
    output = folder / f'{name}-{noise}.json'
    code = main(['evaluate', '--checkpoint', name, '--data-3d', str(data), '--test-subjects',
                 'S8', '--downsample', '5', '--noise-2d', str(noise), '--no-progress',
                 '--output-json', str(output)])
    assert code == 0
    return json.loads(output.read_text())


def assert_published(measured: dict, published: dict) -> None:
    """P1 and P2 as published: rounded to 0.1 mm, with room for another machine's round-off."""
    assert measured['mpjpe'] == pytest.approx(published['p1'], abs=0.06)
    assert measured['p_mpjpe'] == pytest.approx(published['p2'], abs=0.06)


@pytest.mark.parametrize('name', NAMES)
def test_ground_truth_2d_accuracy_is_what_evaluation_gives(name, tmp_path, capsys):
    report = evaluate(name, tmp_path)
    assert report['frames'] > 50_000 and report['flip']
    assert_published(report['average'], REGISTRY.get(name).accuracy['gt_2d'])


def test_noisy_2d_accuracy_of_the_default_is_what_evaluation_gives(tmp_path, capsys):
    name = REGISTRY.default().name
    assert_published(evaluate(name, tmp_path, noise=5)['average'],
                     REGISTRY.get(name).accuracy['noise_2d_5'])
