"""Detector keypoints: reading, COCO-17 -> Human3.6M, gap filling, image size, clear errors."""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import SHARED

from gast_pyg.data import normalize_screen_coordinates
from gast_pyg.keypoints import (
    COCO_JOINTS,
    COCO_TO_H36M,
    KeypointError,
    KeypointWarning,
    coco_to_h36m,
    coco_to_humaneva,
    fill_gaps,
    missing_mask,
    prepare_keypoints,
    read_keypoints,
    resolve_image_size,
)
from gast_pyg.skeleton import Skeleton

BASEBALL = SHARED / 'data' / 'wild' / 'baseball_hrnet_coco17.json'


def baseball() -> Path:
    if not BASEBALL.is_file():
        pytest.skip(f'{BASEBALL} is absent (../shared is not beside the project)')
    return BASEBALL


def authors_coco_h36m(keypoints: np.ndarray) -> np.ndarray:
    """The authors' demo conversion (GAST-Net tools/mpii_coco_h36m.py, coco_h36m), transcribed
    as an independent reference."""
    spple_keypoints = [10, 8, 0, 7]
    h36m_coco_order = [9, 11, 14, 12, 15, 13, 16, 4, 1, 5, 2, 6, 3]
    coco_order = [0, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]
    temporal = keypoints.shape[0]
    out = np.zeros_like(keypoints)
    htps = np.zeros((temporal, 4, 2))
    htps[:, 0, 0] = np.mean(keypoints[:, 1:5, 0], axis=1)
    htps[:, 0, 1] = np.sum(keypoints[:, 1:3, 1], axis=1) - keypoints[:, 0, 1]
    htps[:, 1, :] = np.mean(keypoints[:, 5:7, :], axis=1)
    htps[:, 1, :] += (keypoints[:, 0, :] - htps[:, 1, :]) / 3
    htps[:, 2, :] = np.mean(keypoints[:, 11:13, :], axis=1)
    htps[:, 3, :] = np.mean(keypoints[:, [5, 6, 11, 12], :], axis=1)
    out[:, spple_keypoints, :] = htps
    out[:, h36m_coco_order, :] = keypoints[:, coco_order, :]
    out[:, 9, :] -= (out[:, 9, :] - np.mean(keypoints[:, 5:7, :], axis=1)) / 4
    out[:, 7, 0] += 2 * (out[:, 7, 0] - np.mean(out[:, [0, 8], 0], axis=1))
    out[:, 8, 1] -= (np.mean(keypoints[:, 1:3, 1], axis=1) - keypoints[:, 0, 1]) * 2 / 3
    return out


def random_coco(frames: int = 30, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.uniform(50, 600, size=(frames, 17, 2))


def write_frames(path: Path, poses, scores=None, indices=None, **top) -> Path:
    data = []
    for i, pose in enumerate(poses):
        people = []
        if pose is not None:
            score = [[0.9]] * 17 if scores is None else [[float(s)] for s in scores[i]]
            people.append({'pose': np.asarray(pose).tolist(), 'score': score,
                           'bbox': [0, 0, 1, 1]})
        data.append({'frame_index': i + 1 if indices is None else indices[i], 'skeleton': people})
    path.write_text(json.dumps(dict(top, label='test', data=data)))
    return path


# --------------------------------------------------------------------------
# Conversion.


def test_coco_to_h36m_matches_the_authors_conversion():
    coco = random_coco()
    ours, _ = coco_to_h36m(coco)
    np.testing.assert_allclose(ours, authors_coco_h36m(coco), rtol=0, atol=1e-9)


def test_mapping_table_names_every_h36m_joint_in_order():
    h36m = Skeleton.load('h36m')
    assert tuple(name for name, _ in COCO_TO_H36M) == h36m.joint_names
    assert COCO_JOINTS == Skeleton.load('coco').joint_names
    coco = random_coco(3)
    ours, _ = coco_to_h36m(coco)
    for name, rule in COCO_TO_H36M:
        if rule == name:  # copied joints
            np.testing.assert_array_equal(ours[:, h36m.joint_names.index(name)],
                                          coco[:, COCO_JOINTS.index(name)])


def test_scores_of_derived_joints_and_nan_propagation():
    coco = random_coco(2)
    scores = np.linspace(0.1, 0.9, 17)[None].repeat(2, 0)
    coco[1, COCO_JOINTS.index('nose')] = np.nan
    xy, s = coco_to_h36m(coco, scores)
    names = Skeleton.load('h36m').joint_names
    c = {n: scores[0, i] for i, n in enumerate(COCO_JOINTS)}
    assert s[0, names.index('pelvis')] == pytest.approx((c['left_hip'] + c['right_hip']) / 2)
    assert s[0, names.index('head')] == pytest.approx(
        (c['left_eye'] + c['right_eye'] + c['left_ear'] + c['right_ear']) / 4)
    assert s[0, names.index('right_wrist')] == c['right_wrist']
    # The nose feeds neck, thorax and (through the thorax) spine, and the head's height.
    nan_joints = {names[j] for j in np.flatnonzero(np.isnan(xy[1]).any(-1))}
    assert nan_joints == {'neck', 'thorax', 'spine', 'head'}
    assert np.isfinite(xy[0]).all()


# --------------------------------------------------------------------------
# Reading.


def test_reads_the_baseball_detections():
    path = baseball()
    seq = read_keypoints(path)
    raw = json.loads(path.read_text())['data']
    assert seq.xy.shape == (277, 17, 2) and seq.layout == 'coco' and seq.image_size is None
    np.testing.assert_array_equal(seq.frame_indices, np.arange(1, 278))
    np.testing.assert_allclose(seq.xy[0], raw[0]['skeleton'][0]['pose'])
    np.testing.assert_allclose(seq.scores[5], np.array(raw[5]['skeleton'][0]['score'])[:, 0])
    assert np.isfinite(seq.xy).all()


def test_frames_without_a_person_and_left_out_frames_become_missing(tmp_path):
    poses = list(random_coco(6))
    poses[2] = None  # empty skeleton list
    path = write_frames(tmp_path / 'k.json', poses, indices=[10, 11, 12, 13, 15, 16])
    seq = read_keypoints(path)
    np.testing.assert_array_equal(seq.frame_indices, np.arange(10, 17))
    missing = np.isnan(seq.xy).all((1, 2))
    np.testing.assert_array_equal(missing, [0, 0, 1, 0, 1, 0, 0])  # 12: nobody, 14: left out
    assert (seq.scores[missing] == 0).all()


def test_the_best_scored_person_is_taken(tmp_path):
    a, b = random_coco(2)
    frame = {'frame_index': 0, 'skeleton': [
        {'pose': a.tolist(), 'score': [[0.2]] * 17},
        {'pose': b.tolist(), 'score': [[0.8]] * 17}]}
    (tmp_path / 'two.json').write_text(json.dumps({'data': [frame]}))
    np.testing.assert_allclose(read_keypoints(tmp_path / 'two.json').xy[0], b)


def test_arrays_with_scores_and_image_size(tmp_path):
    coco = random_coco(8)
    scores = np.full((8, 17, 1), 0.7)
    np.save(tmp_path / 'k.npy', np.concatenate([coco, scores], -1))
    seq = read_keypoints(tmp_path / 'k.npy')
    np.testing.assert_allclose(seq.xy, coco)
    np.testing.assert_allclose(seq.scores, 0.7)
    np.savez(tmp_path / 'k.npz', keypoints=coco, frame_indices=np.arange(100, 108), width=640,
             height=480)
    seq = read_keypoints(tmp_path / 'k.npz')
    assert seq.image_size == (640, 480) and seq.frame_indices[0] == 100
    assert (seq.scores == 1).all()


@pytest.mark.parametrize('content, message', [
    ('{"data": [{"frame_index": 1, "skeleton": [', 'malformed JSON at line 1'),
    ('{"label": "x"}', "'data' list"),
    ('{"data": []}', 'no frames'),
    ('{"data": [{"frame_index": "a", "skeleton": []}]}', 'frame_index'),
    ('{"data": [{"frame_index": 1, "skeleton": []}, {"frame_index": 1, "skeleton": []}]}',
     'frame_index 1 appears more than once'),
    ('{"data": [{"frame_index": 1, "skeleton": [{"pose": "x"}]}]}', 'pose: expected a list'),
])
def test_malformed_json_gives_one_clear_error(tmp_path, content, message):
    path = tmp_path / 'bad.json'
    path.write_text(content)
    with pytest.raises(KeypointError, match=message) as error:
        read_keypoints(path)
    assert str(path) in str(error.value)


def test_wrong_keypoint_count_is_refused(tmp_path):
    poses = random_coco(3)[:, :16]
    with pytest.raises(KeypointError, match=r'skeleton\[0\]\.pose has 16 keypoints; expected 17'):
        read_keypoints(write_frames(tmp_path / 'k.json', poses))
    np.save(tmp_path / 'k.npy', random_coco(3)[:, :15])
    with pytest.raises(KeypointError, match='15 keypoints per frame; expected 17'):
        read_keypoints(tmp_path / 'k.npy')
    np.save(tmp_path / 'h.npy', random_coco(3)[:, :15])
    read_keypoints(tmp_path / 'h.npy', layout='humaneva')  # 15 joints is right there
    np.save(tmp_path / 'flat.npy', np.zeros((3, 34)))
    with pytest.raises(KeypointError, match=r'expected a numeric array \(frames, 17, 2 or 3\)'):
        read_keypoints(tmp_path / 'flat.npy')
    (tmp_path / 'k.txt').write_text('1 2')
    with pytest.raises(KeypointError, match='unknown keypoint file type'):
        read_keypoints(tmp_path / 'k.txt')
    (tmp_path / 'broken.npy').write_bytes(b'not numpy')
    with pytest.raises(KeypointError, match='not a readable NumPy'):
        read_keypoints(tmp_path / 'broken.npy')


# --------------------------------------------------------------------------
# Gap filling.


def test_gaps_are_filled_by_linear_interpolation_and_edges_hold():
    t = np.arange(20, dtype=float)
    xy = np.stack([np.stack([3 * t + j, -t + 2 * j], -1) for j in range(3)], 1)
    missing = np.zeros((20, 3), bool)
    missing[5:9, 0] = True   # inner gap: on the line again
    missing[:3, 1] = True    # leading gap: holds the first present value
    missing[17:, 2] = True   # trailing gap: holds the last present value
    holey = np.where(missing[..., None], np.nan, xy)
    filled = fill_gaps(holey, missing, ['a', 'b', 'c'])
    np.testing.assert_allclose(filled[:, 0], xy[:, 0])
    np.testing.assert_allclose(filled[:3, 1], np.repeat(xy[3:4, 1], 3, 0))
    np.testing.assert_allclose(filled[17:, 2], np.repeat(xy[16:17, 2], 3, 0))
    np.testing.assert_array_equal(filled[~missing], xy[~missing])


def test_zero_nan_and_low_score_points_are_missing_and_filled(tmp_path):
    coco = random_coco(40)
    coco[10] = 0.0           # an all-zero frame (detector: nobody)
    coco[11] = np.nan        # a NaN frame
    scores = np.full((40, 17, 1), 0.9)
    scores[20, 3] = 0.05     # one low-confidence point
    np.save(tmp_path / 'k.npy', np.concatenate([coco, scores], -1))
    prepared = prepare_keypoints(tmp_path / 'k.npy', 'coco', width=640, height=640)
    assert prepared.interpolated[10].all() and prepared.interpolated[11].all()
    assert prepared.interpolated.sum() == 2 * 17 + 1
    np.testing.assert_allclose(prepared.pixels[10], coco[9] + (coco[12] - coco[9]) / 3, rtol=1e-5)
    np.testing.assert_allclose(prepared.pixels[20, 3], (coco[19, 3] + coco[21, 3]) / 2, rtol=1e-5)
    assert np.isfinite(prepared.normalized).all()


def test_too_much_missing_is_refused_with_the_joint_named(tmp_path):
    coco = random_coco(20)
    coco[:12, COCO_JOINTS.index('left_wrist')] = np.nan
    np.save(tmp_path / 'k.npy', coco)
    with pytest.raises(KeypointError, match=r'left_wrist is missing in 12 of 20 frames \(60%; '
                                            r'the limit is 50%\)'):
        prepare_keypoints(tmp_path / 'k.npy', width=640, height=640)
    # A looser limit accepts it.
    prepared = prepare_keypoints(tmp_path / 'k.npy', width=640, height=640, max_missing=0.7)
    assert prepared.interpolated[:12, Skeleton.load('h36m').joint_names.index('left_wrist')].all()
    with pytest.raises(KeypointError, match='in 12 consecutive frames'):
        prepare_keypoints(tmp_path / 'k.npy', width=640, height=640, max_missing=0.7, max_gap=10)


@pytest.mark.parametrize('fill', [0.0, np.nan])
def test_all_zero_or_nan_input_is_refused(tmp_path, fill):
    np.save(tmp_path / 'k.npy', np.full((10, 17, 2), fill))
    with pytest.raises(KeypointError, match='no usable keypoints: every point of all 10 frames'):
        prepare_keypoints(tmp_path / 'k.npy', width=640, height=480)


def test_missing_mask_uses_the_threshold():
    xy = np.zeros((2, 3, 2))
    scores = np.array([[0.1, 0.5, 0.3], [1, 1, 1]])
    np.testing.assert_array_equal(missing_mask(xy, scores, 0.3), [[1, 0, 0], [0, 0, 0]])


# --------------------------------------------------------------------------
# Image size and the whole preparation.


def test_image_size_given_or_estimated_with_a_warning(tmp_path):
    coco = random_coco(5)
    coco[..., 0] *= 1100 / coco[..., 0].max()   # reaches x = 1100 > 1024
    np.save(tmp_path / 'k.npy', coco)
    seq = read_keypoints(tmp_path / 'k.npy')
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        assert resolve_image_size(seq, 1280, 720) == ((1280, 720), False)
    with pytest.warns(KeypointWarning, match='1280x720, estimated from the detections'):
        assert resolve_image_size(seq) == ((1280, 720), True)
    with pytest.raises(KeypointError, match='both --width and --height'):
        resolve_image_size(seq, width=1280)
    with pytest.raises(KeypointError, match='positive'):
        resolve_image_size(seq, -5, 10)


def test_prepare_normalises_the_converted_filled_sequence(tmp_path):
    coco = random_coco(12)
    path = write_frames(tmp_path / 'k.json', coco, width=1000, height=800)
    with warnings.catch_warnings():
        warnings.simplefilter('error')   # the file gives the size: no warning
        prepared = prepare_keypoints(path)
    h36m, _ = coco_to_h36m(coco)
    assert prepared.image_size == (1000, 800) and not prepared.image_size_estimated
    np.testing.assert_allclose(prepared.pixels, h36m, rtol=1e-6)
    np.testing.assert_allclose(prepared.normalized,
                               normalize_screen_coordinates(h36m, 1000, 800), atol=1e-6)
    np.testing.assert_array_equal(prepared.frame_indices, np.arange(1, 13))


def test_layouts_and_skeletons_must_fit(tmp_path):
    coco = random_coco(4)
    np.save(tmp_path / 'k.npy', coco)
    with pytest.raises(KeypointError, match="COCO-17, but the model's skeleton is 'h36m_toes'"):
        prepare_keypoints(tmp_path / 'k.npy', 'h36m_toes', width=640, height=640)
    # COCO keypoints for a HumanEva model are converted with coco_to_humaneva.
    humaneva = prepare_keypoints(tmp_path / 'k.npy', 'humaneva', width=640, height=640)
    expected = coco_to_humaneva(np.concatenate([coco, np.ones(coco.shape[:2] + (1,))], -1))
    np.testing.assert_allclose(humaneva.pixels, expected[..., :2], rtol=1e-6)
    assert humaneva.pixels.shape == (4, 15, 2)
    # COCO keypoints for a COCO model are used as they are.
    prepared = prepare_keypoints(tmp_path / 'k.npy', 'coco', width=640, height=640)
    np.testing.assert_allclose(prepared.pixels, coco, rtol=1e-6)
    # Keypoints already in the Human3.6M layout pass unconverted.
    prepared = prepare_keypoints(tmp_path / 'k.npy', 'h36m', layout='h36m', width=640, height=640)
    np.testing.assert_allclose(prepared.pixels, coco, rtol=1e-6)


def test_baseball_prepares_with_an_estimated_size():
    with pytest.warns(KeypointWarning):
        prepared = prepare_keypoints(baseball())
    assert prepared.normalized.shape == (277, 17, 2)
    assert prepared.image_size == (1920, 1080) and prepared.image_size_estimated
    # Three COCO points score under 0.3; one of them is an ear that only moves the head's score.
    assert 1 <= prepared.interpolated.sum() <= 3
    assert np.abs(prepared.normalized).max() < 1


def test_coco_to_humaneva_maps_points_and_scores():
    from gast_pyg.keypoints import COCO_TO_HUMANEVA
    rng = np.random.default_rng(0)
    coco = np.concatenate([rng.uniform(0, 640, (4, 17, 2)), rng.uniform(0, 1, (4, 17, 1))], -1)
    out = coco_to_humaneva(coco)
    assert out.shape == (4, 15, 3)
    assert [name for name, _ in COCO_TO_HUMANEVA] == list(Skeleton.load('humaneva').joint_names)
    i = {name: k for k, name in enumerate(COCO_JOINTS)}
    np.testing.assert_allclose(out[:, 0], (coco[:, i['left_hip']] + coco[:, i['right_hip']]) / 2)
    np.testing.assert_allclose(out[:, 1],
                               (coco[:, i['left_shoulder']] + coco[:, i['right_shoulder']]) / 2)
    np.testing.assert_allclose(out[:, 14], coco[:, i['nose']])
    np.testing.assert_allclose(out[:, 2], coco[:, i['left_shoulder']])
    np.testing.assert_allclose(out[:, 13], coco[:, i['right_ankle']])
    xy_only = coco_to_humaneva(coco[..., :2])
    assert xy_only.shape == (4, 15, 2)
    np.testing.assert_allclose(xy_only, out[..., :2])
    coco[1, i['left_hip'], 0] = np.nan
    nan = coco_to_humaneva(coco)
    assert np.isnan(nan[1, 0, 0]) and np.isnan(nan[1, 8, 0]) and not np.isnan(nan[1, 11]).any()
    with pytest.raises(KeypointError, match=r'\(\.\.\., 17, 2\) or \(\.\.\., 17, 3\)'):
        coco_to_humaneva(np.zeros((4, 15, 2)))


def test_a_given_image_size_the_keypoints_exceed_is_used_with_a_warning(tmp_path):
    coco = random_coco(4)  # x and y up to 600
    np.save(tmp_path / 'k.npy', coco)
    with pytest.warns(KeypointWarning, match=r'keypoints reach x=\d+, y=\d+, outside the given '
                                             r'image size 320x240; check --width and --height'):
        prepared = prepare_keypoints(tmp_path / 'k.npy', 'h36m', width=320, height=240)
    assert prepared.image_size == (320, 240)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        prepare_keypoints(tmp_path / 'k.npy', 'h36m', width=640, height=640)
