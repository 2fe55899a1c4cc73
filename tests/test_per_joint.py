"""Per-joint P1 errors of :func:`gast_pyg.evaluation.evaluate` and their table."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import DepthOracle

from gast_pyg import Skeleton
from gast_pyg.evaluation import evaluate, format_per_joint_table


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    # Joint j's depth is j + 1 mm (signs random): per-joint P1 = j + 1 exactly, except the head,
    # which is 0.5 m deep in Walking only.
    depth = np.arange(1, 18, dtype=np.float32) / 1000
    lengths = {'Walking 1': 10, 'Walking 2': 31, 'Eating 2': 20}
    targets = {}
    for subject in ('S8', 'S9'):
        targets[subject] = {}
        for action, frames in lengths.items():
            cameras = []
            for _ in range(2):
                target = rng.normal(size=(frames, 17, 3)).astype(np.float32)
                target[..., 2] = depth * rng.choice([-1, 1], size=(frames, 17))
                if action.startswith('Walking'):
                    target[..., 10, 2] = 0.5
                cameras.append(target)
            targets[subject][action] = cameras
    inputs = {s: {a: [t[..., :2] for t in cams] for a, cams in acts.items()}
              for s, acts in targets.items()}
    return inputs, targets


def test_per_joint_errors_per_action_and_averaged_over_actions(data):
    results = evaluate(DepthOracle(), *data, per_joint=True)
    names = Skeleton.load('h36m').joint_names
    walking, eating = (results['actions'][a]['per_joint'] for a in ('Walking', 'Eating'))
    assert list(walking) == list(names) == list(results['per_joint'])
    for j, name in enumerate(names):
        assert eating[name] == pytest.approx(j + 1, rel=1e-4)
        assert walking[name] == pytest.approx(500.0 if name == 'head' else j + 1, rel=1e-4)
        assert results['per_joint'][name] == pytest.approx((walking[name] + eating[name]) / 2)
    # The joints' mean is the action's P1 (both are frame-weighted means over the same frames).
    for row in results['actions'].values():
        assert np.mean(list(row['per_joint'].values())) == pytest.approx(row['mpjpe'], rel=1e-5)


def test_per_joint_errors_only_on_request(data):
    results = evaluate(DepthOracle(), *data)
    assert 'per_joint' not in results
    assert all('per_joint' not in row for row in results['actions'].values())
    with pytest.raises(ValueError, match='no per-joint errors in the results; evaluate with '
                                         'per_joint=True'):
        format_per_joint_table(results)


def test_per_joint_table_has_one_row_per_joint_in_skeleton_order(data):
    results = evaluate(DepthOracle(), *data, per_joint=True)
    lines = format_per_joint_table(results, title='S8, S9').splitlines()
    assert lines[0] == 'S8, S9'
    assert lines[2] == '| Joint | Eat | Walk | Avg |'
    assert lines[4] == '| pelvis | 1.0 | 1.0 | **1.0** |'
    assert lines[4 + 10] == '| head | 11.0 | 500.0 | **255.5** |'
    assert len(lines) == 4 + 17


def test_per_joint_errors_need_a_skeleton_with_the_models_joints(data):
    model = DepthOracle()
    model.skeleton = None
    with pytest.raises(ValueError, match='per-joint errors need the skeleton'):
        evaluate(model, *data, flip=False, per_joint=True)
    inputs, targets = data
    short = {s: {a: [t[..., :16, :] for t in cams] for a, cams in acts.items()}
             for s, acts in targets.items()}
    short_inputs = {s: {a: [t[..., :2] for t in cams] for a, cams in acts.items()}
                    for s, acts in short.items()}
    with pytest.raises(ValueError, match=r"subject 'S8', action 'Walking 1', camera 0: 16 "
                                         'joints, the skeleton names 17'):
        evaluate(model, short_inputs, short, flip=False, per_joint=True,
                 skeleton=Skeleton.load('h36m'))
