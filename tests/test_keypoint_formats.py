"""Importers of other tools' keypoint files, each on a file in that tool's documented layout."""
from __future__ import annotations

import json

import numpy as np
import pytest

from gast_pyg.keypoints import COCO_JOINTS, KeypointError
from gast_pyg.keypoints.blazepose import BLAZEPOSE_33
from gast_pyg.keypoints.detections import COCO_TOE_JOINTS, common_points, to_skeleton
from gast_pyg.keypoints.formats import detect_format, read_detections
from gast_pyg.keypoints.openpose import BODY_25, COCO_18
from gast_pyg.keypoints.alphapose import HALPE_26
from gast_pyg.keypoints.wholebody import WHOLEBODY_133
from gast_pyg.skeleton import Skeleton

RNG = np.random.default_rng(0)


def person(layout, offset=0.0):
    """``(K, 3)`` points with distinct coordinates: x = 100 + 10 k + offset, y = 500 + k."""
    k = np.arange(layout.num_joints, dtype=np.float64)
    return np.stack([100 + 10 * k + offset, 500 + k, np.full_like(k, 0.9)], axis=-1)


def flat(points):
    return [round(float(v), 3) for v in points.reshape(-1)]


def expect_coco(common, source_points, layout):
    index = {name: i for i, name in enumerate(layout.joint_names)}
    np.testing.assert_allclose(common[:17], source_points[[index[n] for n in COCO_JOINTS]])


def write(path, content):
    path.write_text(json.dumps(content))
    return path


def test_openpose_body25_folder(tmp_path):
    folder = tmp_path / 'op'
    folder.mkdir()
    a, b = person(BODY_25), person(BODY_25, 1000)
    b[3] = 0  # OpenPose writes 0, 0, 0 for a joint it did not find
    for frame, people in enumerate([[a, b], [], [b]]):
        write(folder / f'clip_{frame:012d}_keypoints.json',
              {'version': 1.3, 'people': [{'person_id': [-1], 'pose_keypoints_2d': flat(p),
                                           'face_keypoints_2d': []} for p in people]})
    assert detect_format(folder) == 'openpose'
    detections = read_detections(folder)
    assert detections.layout is BODY_25 and detections.track_ids is None
    np.testing.assert_array_equal(detections.frames, [0, 0, 2])
    np.testing.assert_array_equal(detections.frame_indices, [0, 1, 2])
    assert np.isnan(detections.points[1, 3, :2]).all() and detections.points[1, 3, 2] == 0
    common = common_points(detections.points[0], BODY_25)
    expect_coco(common, a, BODY_25)
    index = BODY_25.joint_names.index
    np.testing.assert_allclose(common[COCO_TOE_JOINTS.index('left_toe')],
                               (a[index('left_big_toe')] + a[index('left_small_toe')]) / 2)


def test_openpose_coco18_single_file(tmp_path):
    a = person(COCO_18)
    path = write(tmp_path / 'f_000000000000_keypoints.json',
                 {'people': [{'pose_keypoints_2d': flat(a)}]})
    detections = read_detections(path)
    assert detections.layout is COCO_18 and len(detections.frame_indices) == 1
    common = common_points(detections.points[0], COCO_18)
    expect_coco(common, a, COCO_18)
    assert np.isnan(common[17:, :2]).all() and (common[17:, 2] == 0).all()


@pytest.mark.parametrize('layout', [None, HALPE_26])
def test_alphapose_results_with_track_ids(tmp_path, layout):
    from gast_pyg.keypoints.detections import COCO_LAYOUT
    layout = layout or COCO_LAYOUT
    entries = [{'image_id': f'{frame}.jpg', 'category_id': 1,
                'keypoints': flat(person(layout, 300 * track)), 'score': 2.5,
                'box': [0, 0, 10, 10], 'idx': [track] if frame else track}
               for frame in range(3) for track in (4, 7)]
    path = write(tmp_path / 'alphapose-results.json', entries)
    assert detect_format(path) == 'alphapose'
    detections = read_detections(path)
    assert detections.layout is layout
    np.testing.assert_array_equal(detections.track_ids, [4, 7] * 3)
    np.testing.assert_array_equal(detections.frames, [0, 0, 1, 1, 2, 2])
    expect_coco(common_points(detections.points[1], layout), person(layout, 300 * 7), layout)
    assert np.isfinite(common_points(detections.points, layout)[:, 17:]).all() == (
        layout is HALPE_26)


def test_mmpose_predictions(tmp_path):
    from gast_pyg.keypoints.detections import COCO_LAYOUT
    a = person(COCO_LAYOUT)
    content = {'meta_info': {'dataset_name': 'coco'}, 'instance_info': [
        {'frame_id': f, 'instances': [{'keypoints': a[:, :2].tolist(),
                                       'keypoint_scores': [0.5] * 17,
                                       'bbox': [[0, 0, 100, 100]], 'bbox_score': 0.9}]}
        for f in (1, 2, 4)]}
    path = write(tmp_path / 'results_clip.json', content)
    assert detect_format(path) == 'mmpose'
    detections = read_detections(path)
    np.testing.assert_array_equal(detections.frames, [0, 1, 3])
    assert len(detections.frame_indices) == 4
    np.testing.assert_allclose(detections.points[2, :, :2], a[:, :2])
    np.testing.assert_allclose(detections.points[2, :, 2], 0.5)


def test_coco_wholebody_annotations(tmp_path):
    a = person(WHOLEBODY_133)
    parts = {'keypoints': a[:17], 'foot_kpts': a[17:23], 'face_kpts': a[23:91],
             'lefthand_kpts': a[91:112], 'righthand_kpts': a[112:]}
    content = {'images': [{'id': i, 'file_name': f'{i}.jpg', 'width': 1280, 'height': 720}
                          for i in (10, 11)],
               'annotations': [dict(image_id=i, **{k: flat(v) for k, v in parts.items()})
                               for i in (10, 11)]}
    path = write(tmp_path / 'wholebody.json', content)
    assert detect_format(path) == 'wholebody'
    detections = read_detections(path)
    assert detections.layout is WHOLEBODY_133 and detections.image_size == (1280, 720)
    common = common_points(detections.points[0], WHOLEBODY_133)
    expect_coco(common, a, WHOLEBODY_133)
    np.testing.assert_allclose(common[18], (a[20] + a[21]) / 2)  # right big + small toe


def test_gast_demo_json_keeps_every_person(tmp_path):
    from gast_pyg.keypoints.detections import COCO_LAYOUT
    a, b = person(COCO_LAYOUT), person(COCO_LAYOUT, 500)
    frames = [{'frame_index': 5 + f, 'skeleton': [
        {'pose': p[:, :2].tolist(), 'score': [[0.8]] * 17, 'bbox': [0, 0, 1, 1]} for p in (a, b)]}
        for f in range(2)]
    path = write(tmp_path / 'demo.json', {'label': 'x', 'data': frames})
    detections = read_detections(path)
    assert detect_format(path) == 'gast'
    np.testing.assert_array_equal(detections.frames, [5, 5, 6, 6])
    np.testing.assert_array_equal(detections.frame_indices, [5, 6])
    np.testing.assert_allclose(detections.points[1, :, :2], b[:, :2])


def test_array_file(tmp_path):
    array = RNG.uniform(10, 500, (6, 17, 3))
    array[2] = np.nan
    np.save(tmp_path / 'k.npy', array)
    detections = read_detections(tmp_path / 'k.npy')
    np.testing.assert_array_equal(detections.frames, [0, 1, 3, 4, 5])
    np.testing.assert_allclose(detections.points[2], array[3])


def test_unknown_layout_lists_the_known_ones(tmp_path):
    path = write(tmp_path / 'other.json', {'frames': []})
    with pytest.raises(KeypointError, match='unknown keypoint layout.*OpenPose.*AlphaPose.*'
                                            'MMPose.*COCO-WholeBody.*--format'):
        read_detections(path)


def test_forced_format_that_does_not_fit(tmp_path):
    path = write(tmp_path / 'op.json', {'people': []})
    with pytest.raises(KeypointError, match='does not have the alphapose layout'):
        read_detections(path, 'alphapose')
    with pytest.raises(KeypointError, match="unknown keypoint format 'nope'"):
        read_detections(path, 'nope')


def test_mixed_joint_counts(tmp_path):
    entries = [{'image_id': '0.jpg', 'keypoints': flat(person(BODY_25)[:17])},
               {'image_id': '1.jpg', 'keypoints': flat(person(HALPE_26))}]
    path = write(tmp_path / 'mixed.json', entries)
    with pytest.raises(KeypointError, match=r'mixed joint counts: frame 1 has a person with 26 '
                                            r'keypoints, frame 0 one with 17'):
        read_detections(path)


def test_unsupported_joint_count(tmp_path):
    path = write(tmp_path / 'r.json', [{'image_id': '0.jpg', 'keypoints': [1.0, 2.0, 0.5] * 5}])
    with pytest.raises(KeypointError, match=r'people with 5 keypoints; expected 17 \(COCO-17\), '
                                            r'18 \(OpenPose COCO-18\), 25 \(OpenPose BODY_25\), '
                                            r'26 \(Halpe-26\), 33 \(BlazePose-33\), 133'):
        read_detections(path)


def test_blazepose_table_and_toe_skeleton():
    a = person(BLAZEPOSE_33)
    common = common_points(a, BLAZEPOSE_33)
    names = BLAZEPOSE_33.joint_names
    expect_coco(common, a, BLAZEPOSE_33)
    assert common[COCO_JOINTS.index('left_eye'), 0] == a[names.index('left_eye'), 0] == 120
    toes = Skeleton.load('h36m_toes')
    xy, scores, layout = to_skeleton(common, toes, BLAZEPOSE_33.has_toes, 'src')
    assert layout == 'h36m_toes' and xy.shape == (19, 2) and scores.shape == (19,)
    np.testing.assert_allclose(xy[toes.joint_names.index('left_toe')],
                               a[names.index('left_foot_index'), :2])
    np.testing.assert_allclose(xy[toes.joint_names.index('pelvis')],
                               (a[23, :2] + a[24, :2]) / 2)
    with pytest.raises(KeypointError, match="'h36m_toes' needs toe points.*no feet"):
        to_skeleton(common, toes, False, 'src')
