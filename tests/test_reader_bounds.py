"""Bad keypoint files through ``gast-pyg infer``, for every format the package reads: one line
naming the file and the field, exit 2, in seconds and bounded memory, nothing written; and the
containers and joint layouts are independent (every format holds every layout)."""
from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import time
from pathlib import Path

import numpy as np
import pytest
import torch

from gast_pyg import build_model, save_checkpoint
from gast_pyg.cli import main
from gast_pyg.keypoints import LAYOUTS, KeypointError
from gast_pyg.keypoints.formats import FORMATS, read_detections
from gast_pyg.keypoints.reading import MAX_FILE_BYTES

# The person of every file: plausible COCO-17 pixels (a standing person, 1080p).
COCO_BODY = np.array([[960, 300], [970, 290], [950, 290], [985, 295], [935, 295], [1010, 380],
                      [910, 380], [1030, 480], [890, 480], [1040, 570], [880, 570], [990, 580],
                      [930, 580], [995, 730], [925, 730], [1000, 870], [920, 870]], dtype=float)
POSE = COCO_BODY.tolist()
FLAT = [v for x, y in POSE for v in (x, y, 0.9)]


def demo(frames=(0, 1), pose=POSE, **top):
    return dict(data=[{'frame_index': f, 'skeleton': [{'pose': pose, 'score': [0.9] * 17}]}
                      for f in frames], **top)


def alphapose(image_ids=('0.jpg', '1.jpg'), keypoints=FLAT, **fields):
    return [dict(image_id=i, category_id=1, keypoints=keypoints, score=2.5, **fields)
            for i in image_ids]


def mmpose(frame_ids=(1, 2), keypoints=POSE, instance=None, **top):
    return dict(meta_info={}, instance_info=[
        {'frame_id': f, 'instances': [dict(keypoints=keypoints, keypoint_scores=[0.9] * 17,
                                           **(instance or {}))]} for f in frame_ids], **top)


def wholebody(image=None, annotation=None, keypoints=FLAT):
    return {'images': [{'id': 1, 'width': 1920, 'height': 1080, **(image or {})}],
            'annotations': [{'image_id': 1, 'keypoints': keypoints, **(annotation or {})}]}


def write_json(path: Path, content) -> Path:
    path.write_text(json.dumps(content))
    return path


def openpose_folder(path: Path, people=None, third=None) -> Path:
    """A folder of two OpenPose frames of ``people``; ``third(path)`` makes a third frame."""
    path.mkdir()
    for frame in range(2):
        write_json(path / f'clip_{frame:012d}_keypoints.json',
                   {'version': 1.3, 'people': people or [{'person_id': [-1],
                                                          'pose_keypoints_2d': FLAT}]})
    if third is not None:
        third(path / 'clip_000000000002_keypoints.json')
    return path


def npz(path: Path, keypoints=None, **extra) -> Path:
    keypoints = np.tile(np.concatenate([COCO_BODY, np.full((17, 1), 0.9)], 1), (2, 1, 1)) \
        if keypoints is None else keypoints
    np.savez(path, keypoints=keypoints, **extra)
    return path


def deep(path: Path) -> Path:
    path.write_text('[' * 200_000 + ']' * 200_000)
    return path


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def oversized(path: Path) -> Path:
    with open(path, 'wb') as file:  # sparse: no disk space taken
        file.truncate(MAX_FILE_BYTES + 1)
    return path


def with_value(pose, value):
    pose = [list(p) for p in pose]
    pose[3][0] = value
    return pose


def flat_with(value):
    return [value] + FLAT[1:]


# (case, format, build(tmp folder) -> keypoint file or folder, what the message names besides
# the file: the field, the frame file of a folder).
FILE_CASES = [
    ('frame_index 10^9', 'gast', lambda t: write_json(t / 'k.json', demo((0, 10 ** 9))),
     ['frame_index']),
    ('frame_index 10^20', 'gast', lambda t: write_json(t / 'k.json', demo((0, 10 ** 20))),
     ['frame_index']),
    ('frame_index far beyond the frames listed', 'gast',
     lambda t: write_json(t / 'k.json', demo((0, 5_000_000))), ['frame_index runs from 0']),
    ('width a list', 'gast', lambda t: write_json(t / 'k.json', demo(width=[1920], height=1080)),
     ['width']),
    ('width Infinity', 'gast',
     lambda t: write_json(t / 'k.json', demo(width=float('inf'), height=1080)), ['width']),
    ("width 'wide'", 'gast', lambda t: write_json(t / 'k.json', demo(width='wide', height=1080)),
     ['width']),
    ('coordinate of 401 digits', 'gast',
     lambda t: write_json(t / 'k.json', demo(pose=with_value(POSE, 10 ** 400))), ['pose']),
    ('coordinate 1e300', 'gast',
     lambda t: write_json(t / 'k.json', demo(pose=with_value(POSE, 1e300))), ['pose']),
    ('pose a dict', 'gast', lambda t: write_json(t / 'k.json', demo(pose={'x': 1})), ['pose']),
    ('JSON 200,000 deep', 'gast', lambda t: deep(t / 'k.json'), ['nested too deeply']),
    ("image_id '1000000000000.jpg'", 'alphapose',
     lambda t: write_json(t / 'r.json', alphapose(('0.jpg', '1000000000000.jpg'))),
     ['image_id']),
    ('image_id a list', 'alphapose',
     lambda t: write_json(t / 'r.json', alphapose(([1], '1.jpg'))), ['image_id']),
    ('image_id 10^20', 'alphapose', lambda t: write_json(t / 'r.json', alphapose((0, 10 ** 20))),
     ['image_id']),
    ('image_id far beyond the entries listed', 'alphapose',
     lambda t: write_json(t / 'r.json', alphapose(('0.jpg', '5000000.jpg'))),
     ['image_id runs from 0']),
    ('idx 1e300', 'alphapose', lambda t: write_json(t / 'r.json', alphapose(idx=1e300)),
     ['idx']),
    ('idx a dict', 'alphapose', lambda t: write_json(t / 'r.json', alphapose(idx={'a': 1})),
     ['idx']),
    ('keypoint a string', 'alphapose',
     lambda t: write_json(t / 'r.json', alphapose(keypoints=flat_with('12'))), ['keypoints']),
    ('keypoint of 401 digits', 'alphapose',
     lambda t: write_json(t / 'r.json', alphapose(keypoints=flat_with(10 ** 400))),
     ['keypoints']),
    ('frame_id 10^9', 'mmpose', lambda t: write_json(t / 'm.json', mmpose((1, 10 ** 9))),
     ['frame_id']),
    ('frame_id 10^20', 'mmpose', lambda t: write_json(t / 'm.json', mmpose((1, 10 ** 20))),
     ['frame_id']),
    ('track_id a dict', 'mmpose',
     lambda t: write_json(t / 'm.json', mmpose(instance={'track_id': {'id': 1}})), ['track_id']),
    ("width 'wide'", 'mmpose', lambda t: write_json(t / 'm.json', mmpose(width='wide')),
     ['width']),
    ('keypoint 1e300', 'mmpose',
     lambda t: write_json(t / 'm.json', mmpose(keypoints=with_value(POSE, 1e300))),
     ['keypoints']),
    ('person_id a dict', 'openpose',
     lambda t: openpose_folder(t / 'op', [{'person_id': {'a': 1}, 'pose_keypoints_2d': FLAT}]),
     ['person_id']),
    ('pose_keypoints_2d holds a list', 'openpose',
     lambda t: openpose_folder(t / 'op', [{'pose_keypoints_2d': flat_with([1])}]),
     ['pose_keypoints_2d']),
    ('a frame file 200,000 deep', 'openpose',
     lambda t: openpose_folder(t / 'op', third=deep),
     ['clip_000000000002_keypoints.json', 'nested too deeply']),
    ('a frame file that is a FIFO', 'openpose',
     lambda t: openpose_folder(t / 'op', third=fifo),
     ['clip_000000000002_keypoints.json', 'FIFO']),
    ("images[0] width 'wide'", 'wholebody',
     lambda t: write_json(t / 'w.json', wholebody(image={'width': 'wide'})), ['width']),
    ('annotation image_id a list', 'wholebody',
     lambda t: write_json(t / 'w.json', wholebody(annotation={'image_id': [1]})), ['image_id']),
    ('track_id a dict', 'wholebody',
     lambda t: write_json(t / 'w.json', wholebody(annotation={'track_id': {}})), ['track_id']),
    ('keypoint of 401 digits', 'wholebody',
     lambda t: write_json(t / 'w.json', wholebody(keypoints=flat_with(10 ** 400))),
     ['keypoints']),
    ('frame_indices up to 10^9', 'array',
     lambda t: npz(t / 'k.npz', frame_indices=np.array([0, 10 ** 9])), ['frame_indices']),
    ('frame_indices far beyond the frames listed', 'array',
     lambda t: npz(t / 'k.npz', frame_indices=np.array([0, 5_000_000])),
     ['frame_indices runs from 0']),
    ("width 'wide'", 'array', lambda t: npz(t / 'k.npz', width='wide', height=1080), ['width']),
    ('width inf', 'array', lambda t: npz(t / 'k.npz', width=np.inf, height=1080), ['width']),
    ('values 1e300', 'array', lambda t: npz(t / 'k.npz', keypoints=np.full((2, 17, 3), 1e300)),
     ['beyond']),
]

# Files that are not keypoint files at all, tried with every --format (and without): what the
# message says (for --format array, a JSON file is not a NumPy file).
SPECIAL_FILES = {
    '/dev/zero': (lambda t: Path('/dev/zero'), 'character device'),
    'a FIFO': (lambda t: fifo(t / 'k.json'), 'FIFO'),
    'larger than the limit': (lambda t: oversized(t / 'k.json'), f'{MAX_FILE_BYTES} bytes'),
    'JSON 200,000 deep': (lambda t: deep(t / 'k.json'), 'nested too deeply'),
}
NOT_NUMPY = 'not a readable NumPy file'



def test_every_format_has_file_cases():
    assert {case[1] for case in FILE_CASES} == set(FORMATS)


@pytest.fixture(scope='module', autouse=True)
def _warm(tmp_path_factory):
    """Imports done and the shipped model loaded once, outside the measured runs."""
    path = write_json(tmp_path_factory.mktemp('warm') / 'empty.json', {'data': []})
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        assert main(['infer', '--keypoints', str(path), '--output', str(path.with_suffix('.npz')),
                     '--no-progress']) == 2


def peak_memory() -> int:
    """The process's peak resident memory so far, in bytes (Linux reports kB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_infer(keypoints: Path, out: Path, *extra: str):
    """``gast-pyg infer`` on ``keypoints``: exit status, stderr lines, seconds, and how much the
    peak resident memory grew."""
    stderr = io.StringIO()
    peak, start = peak_memory(), time.perf_counter()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        status = main(['infer', '--keypoints', str(keypoints), '--output', str(out / 'o.npz'),
                       '--no-progress', *extra])
    return (status, stderr.getvalue().splitlines(), time.perf_counter() - start,
            peak_memory() - peak)


def assert_refused(keypoints: Path, fragments, tmp_path: Path, *extra: str):
    out = tmp_path / 'out'
    out.mkdir()
    status, lines, seconds, grown = run_infer(keypoints, out, *extra)
    assert status == 2, lines
    assert len(lines) == 1, lines
    line = lines[0]
    assert line.startswith('gast-pyg infer: error: ') and str(keypoints) in line, line
    for fragment in fragments:
        assert fragment in line, line
    assert seconds < 10, seconds
    assert grown < 300 * 2 ** 20, grown
    assert list(out.iterdir()) == []


@pytest.mark.parametrize('case, format, build, fragments', FILE_CASES,
                         ids=[f'{case[1]}: {case[0]}' for case in FILE_CASES])
@pytest.mark.parametrize('forced', [False, True], ids=['detected', 'forced'])
def test_bad_file_is_one_line_naming_file_and_field(tmp_path, case, format, build, fragments,
                                                     forced):
    assert_refused(build(tmp_path), fragments, tmp_path,
                   *(['--format', format] if forced else []))


@pytest.mark.parametrize('name', list(SPECIAL_FILES))
@pytest.mark.parametrize('format', [None, *FORMATS])
def test_special_files_are_refused_before_reading(tmp_path, name, format):
    build, fragment = SPECIAL_FILES[name]
    fragment = NOT_NUMPY if format == 'array' and fragment == 'nested too deeply' else fragment
    assert_refused(build(tmp_path), [fragment], tmp_path,
                   *(['--format', format] if format else []))


def test_archive_expanding_beyond_the_limit_is_refused_unread(tmp_path, monkeypatch):
    """The entries' expanded sizes are read from the archive's directory, before any entry."""
    path = npz(tmp_path / 'k.npz')
    monkeypatch.setattr('gast_pyg.keypoints.arrays.MAX_FILE_BYTES', 500)
    assert_refused(path, ['the archive expands to', 'at most 500 are read'], tmp_path)


def test_sixty_thousand_alphapose_entries_read_in_seconds(tmp_path):
    """33 minutes of video at 30 fps: the reader is linear (it was quadratic: ``not in list``)."""
    points = np.rint(COCO_BODY).astype(int).tolist()
    flat = [v for x, y in points for v in (x, y, 1)]
    path = tmp_path / 'alphapose-results.json'
    path.write_text(json.dumps([{'image_id': f'{i}.jpg', 'keypoints': flat, 'idx': 1}
                                for i in range(60_000)]))
    start = time.perf_counter()
    detections = read_detections(path)
    seconds = time.perf_counter() - start
    assert len(detections.frames) == 60_000 and detections.frame_indices[-1] == 59_999
    np.testing.assert_array_equal(detections.track_ids, np.ones(60_000))
    assert seconds < 30, seconds


# Containers x joint layouts ----------------------------------------------------------------------

def layout_points(layout, frame: int) -> np.ndarray:
    """``(K, 3)`` distinct points of ``layout``: x = 100 + 7 k + frame, y = 300 + 3 k."""
    k = np.arange(layout.num_joints, dtype=float)
    return np.stack([100 + 7 * k + frame, 300 + 3 * k, np.full_like(k, 0.75)], axis=-1)


def flat_points(points: np.ndarray) -> list:
    return [float(v) for v in points.reshape(-1)]


def write_container(container: str, path: Path, frames) -> Path:
    """A file of ``container`` holding one person per frame, ``frames``: ``(K, 3)`` arrays."""
    if container == 'gast':
        return write_json(path / 'k.json', {'data': [
            {'frame_index': t, 'skeleton': [{'pose': p[:, :2].tolist(),
                                             'score': [[s] for s in p[:, 2]]}]}
            for t, p in enumerate(frames)]})
    if container in ('alphapose', 'coco results'):
        return write_json(path / 'r.json', [
            {'image_id': f'{t}.jpg' if container == 'alphapose' else 1000 + t, 'category_id': 1,
             'keypoints': flat_points(p), 'score': 1.0} for t, p in enumerate(frames)])
    if container == 'mmpose':
        return write_json(path / 'm.json', {'meta_info': {}, 'instance_info': [
            {'frame_id': t + 1, 'instances': [{'keypoints': p[:, :2].tolist(),
                                               'keypoint_scores': p[:, 2].tolist()}]}
            for t, p in enumerate(frames)]})
    if container == 'openpose':
        folder = path / 'op'
        folder.mkdir()
        for t, p in enumerate(frames):
            write_json(folder / f'v_{t:012d}_keypoints.json',
                       {'people': [{'person_id': [-1], 'pose_keypoints_2d': flat_points(p)}]})
        return folder
    if container == 'coco annotations':
        return write_json(path / 'w.json', {
            'images': [{'id': t, 'width': 1920, 'height': 1080} for t in range(len(frames))],
            'annotations': [{'image_id': t, 'keypoints': flat_points(p)}
                            for t, p in enumerate(frames)]})
    if container == 'npy':
        np.save(path / 'k.npy', np.stack(frames))
        return path / 'k.npy'
    assert container == 'npz'
    return npz(path / 'k.npz', keypoints=np.stack(frames)[..., :2],
               scores=np.stack(frames)[..., 2])


CONTAINERS = ('gast', 'alphapose', 'coco results', 'mmpose', 'openpose', 'coco annotations',
              'npy', 'npz')


@pytest.mark.parametrize('layout', list(LAYOUTS))
@pytest.mark.parametrize('container', CONTAINERS)
def test_every_container_holds_every_layout(tmp_path, container, layout):
    frames = [layout_points(LAYOUTS[layout], t) for t in range(3)]
    path = write_container(container, tmp_path, frames)
    for given in (None, layout):
        detections = read_detections(path, layout=given)
        assert detections.layout is LAYOUTS[layout]
        np.testing.assert_array_equal(detections.frame_indices, [0, 1, 2])
        np.testing.assert_allclose(detections.points, np.stack(frames))
    other = 'wholebody133' if layout != 'wholebody133' else 'coco'
    with pytest.raises(KeypointError, match=f'people with {LAYOUTS[layout].num_joints} '
                                            f'keypoints; expected {LAYOUTS[other].num_joints} '):
        read_detections(path, layout=other)


def test_unknown_layout_name_lists_the_known_ones(tmp_path):
    path = write_container('gast', tmp_path, [layout_points(LAYOUTS['coco'], 0)])
    with pytest.raises(KeypointError, match="unknown joint layout 'body_25'; known: coco, "
                                            "coco18, body25, halpe26, blazepose33, wholebody133"):
        read_detections(path, layout='body_25')


def wholebody_person(frame: int) -> np.ndarray:
    """``(133, 3)``: the COCO body walking right, big / small toes ahead of the ankles, the
    face and hands around the head and wrists."""
    points = np.zeros((133, 3))
    points[:17, :2] = COCO_BODY + [2.0 * frame, 0.0]
    ankles = points[[15, 16], :2]
    points[17:23, :2] = np.concatenate([ankles + [25, 15], ankles + [15, 20], ankles + [-10, 12]])[
        [0, 2, 4, 1, 3, 5]]  # left big toe, small toe, heel, right big toe, small toe, heel
    points[23:91, :2] = points[0, :2] + np.random.default_rng(frame).normal(0, 8, (68, 2))
    points[91:112, :2] = points[9, :2] + np.random.default_rng(frame + 1).normal(0, 6, (21, 2))
    points[112:, :2] = points[10, :2] + np.random.default_rng(frame + 2).normal(0, 6, (21, 2))
    points[:, 2] = 0.9
    return points


def test_demo_json_of_wholebody_people_lifts_through_the_toe_skeleton(tmp_path):
    torch.manual_seed(0)
    checkpoint = save_checkpoint(tmp_path / 'toes.pt',
                                 build_model('h36m_toes', receptive_field=9, channels=8).eval())
    frames = [wholebody_person(t) for t in range(12)]
    keypoints = write_json(tmp_path / 'wholebody.json', {'width': 1920, 'height': 1080, 'data': [
        {'frame_index': t, 'skeleton': [{'pose': p[:, :2].tolist(), 'score': p[:, 2].tolist()}]}
        for t, p in enumerate(frames)]})
    output = tmp_path / 'poses.npz'
    assert main(['infer', '--keypoints', str(keypoints), '--checkpoint', str(checkpoint),
                 '--output', str(output), '--no-progress']) == 0
    with np.load(output) as result:
        assert result['poses_3d'].shape == (1, 12, 19, 3)
        assert np.isfinite(result['poses_3d']).all()
        options = json.loads(str(result['options']))
        names = list(result['joint_names'])
        left_toe = result['keypoints_2d'][0, :, names.index('left_toe')]
        right_ankle = result['keypoints_2d'][0, :, names.index('right_ankle')]
    assert options['layout'] == 'COCO-WholeBody-133' and options['skeleton'] == 'h36m_toes'
    for t, person in enumerate(frames):  # toe = mean of big and small toe; the body is COCO's
        np.testing.assert_allclose(left_toe[t], (person[17, :2] + person[18, :2]) / 2, atol=1e-3)
        np.testing.assert_allclose(right_ankle[t], person[16, :2], atol=1e-3)
