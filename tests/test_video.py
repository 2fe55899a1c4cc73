"""``gast-pyg video`` on the real clip ``../shared/data/wild/apart.avi`` (detected once per
module) and its bad inputs. Skips when ``../shared`` or the ``video`` extra is absent."""
from __future__ import annotations

import contextlib
import io
import json
import re
import sys

import numpy as np
import pytest

from conftest import shared_path
from gast_pyg import build_model, save_checkpoint
from gast_pyg.cli import main
from gast_pyg.keypoints.blazepose import BLAZEPOSE_33
from gast_pyg.keypoints.formats import read_detections
from gast_pyg.keypoints.tracking import build_tracks
from gast_pyg.video.decoding import VideoError, import_extra, iter_frames, probe_video

av = pytest.importorskip('av')
pytest.importorskip('mediapipe')
pytest.importorskip('cv2')



def video(*argv, capsys=None):
    """``gast-pyg video ARGV --no-progress``: the exit status, stdout and the error lines."""
    code = main(['video', *map(str, argv), '--no-progress'])
    if capsys is None:
        return code
    captured = capsys.readouterr()
    return code, captured.out, [line for line in captured.err.splitlines() if 'error' in line]


def arrays(path):
    """The arrays of an ``.npz``, and its options."""
    with np.load(path) as npz:
        contents = {key: npz[key] for key in npz.files}
    return contents, json.loads(str(contents['options']))


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    return save_checkpoint(tmp_path_factory.mktemp('ckpt') / 'tiny.pt',
                           build_model('h36m', receptive_field=27, channels=8).eval())


@pytest.fixture(scope='module')
def apart():
    return shared_path('data', 'wild', 'apart.avi')


@pytest.fixture(scope='module')
def run(apart, checkpoint, tmp_path_factory):
    """One detection run with every output: the folder and what the command printed."""
    out = tmp_path_factory.mktemp('apart')
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        code = video(apart, '--checkpoint', checkpoint, '--output', out / 'apart.npz',
                     '--render', out / 'apart.mp4', '--keypoints-out', out / 'apart.json')
    assert code == 0
    return out, printed.getvalue()


def test_npz_layout(run):
    out, printed = run
    with np.load(out / 'apart.npz') as npz:
        tracks = len(npz['track_ids'])
        assert tracks >= 1 and npz['poses_3d'].shape == (tracks, 87, 17, 3)
        assert npz['keypoints_2d'].shape == (tracks, 87, 17, 2)
        assert npz['detection_score'].shape == npz['present'].shape == (tracks, 87)
        assert float(npz['fps']) == 30.0 and (int(npz['width']), int(npz['height'])) == (1920, 1080)
        assert npz['present'][0].sum() == 87  # BlazePose finds the near person in every frame
        present = npz['present']
        assert np.isfinite(npz['poses_3d'][present]).all()
        np.testing.assert_allclose(npz['poses_3d'][present][:, 0], 0, atol=1e-6)  # root-relative
        assert npz['bone_length_cv'].shape == (tracks, 16)
        assert npz['limb_asymmetry'].shape == (tracks, 6)
        assert 0 <= npz['interpolated_fraction'][0] < 0.5
        options = json.loads(str(npz['options']))
        assert options['layout'] == 'BlazePose-33' and set(options['seconds']) == {
            'load model', 'decode+detect', 'track+lift'}
    assert float(printed.split(' frames/s end to end')[0].split()[-1]) > 0


def test_rendered_mp4(run):
    out, _ = run
    tracks = len(arrays(out / 'apart.npz')[0]['track_ids'])
    with av.open(str(out / 'apart.mp4')) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == 'h264' and stream.average_rate == 30
        assert (stream.width, stream.height) == (960 + 540 * tracks, 540)
        frames = [f.to_ndarray(format='rgb24') for f in container.decode(stream)]
    assert len(frames) == 87
    panel = frames[40][:, 960:]
    assert (panel < 200).any(axis=-1).sum() > 200  # the 3D skeleton is drawn on the white panel


def test_saved_detections_round_trip_and_rerun(run, apart, checkpoint, tmp_path):
    out, _ = run
    detections = read_detections(out / 'apart.json')
    assert detections.layout is BLAZEPOSE_33 and detections.image_size == (1920, 1080)
    assert len(detections.frame_indices) == 87
    assert video(apart, '--checkpoint', checkpoint, '--output', tmp_path / 'again.npz',
                 '--keypoints', out / 'apart.json') == 0
    again, options = arrays(tmp_path / 'again.npz')
    assert 'decode+detect' not in options['seconds'] and 'read keypoints' in options['seconds']
    first = arrays(out / 'apart.npz')[0]
    np.testing.assert_array_equal(again['track_ids'], first['track_ids'])
    np.testing.assert_allclose(again['poses_3d'], first['poses_3d'], atol=1e-3)


def test_not_a_video(tmp_path, checkpoint, capsys):
    fake = tmp_path / 'clip.mp4'
    fake.write_text('not a video')
    code, _, errors = video(fake, '--checkpoint', checkpoint, '--output', tmp_path / 'o.npz',
                            '--render', tmp_path / 'o.mp4', capsys=capsys)
    assert code == 2 and len(errors) == 1
    assert re.match(r"gast-pyg video: error: .*clip.mp4: not a video PyAV \(FFmpeg\) can open",
                    errors[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ['clip.mp4']


def test_truncated_video(tmp_path, apart, checkpoint, capsys):
    cut = tmp_path / 'cut.avi'
    cut.write_bytes(apart.read_bytes()[:400_000])
    code, _, errors = video(cut, '--checkpoint', checkpoint, '--output', tmp_path / 'o.npz',
                            '--render', tmp_path / 'o.mp4', '--keypoints-out',
                            tmp_path / 'o.json', capsys=capsys)
    assert code == 2 and len(errors) == 1
    assert re.match(r'gast-pyg video: error: .*cut.avi: truncated video: the header announces '
                    r'87 frames, only \d+ could be decoded', errors[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ['cut.avi']


def test_no_person(tmp_path, checkpoint, capsys):
    empty = tmp_path / 'empty.mp4'
    with av.open(str(empty), 'w') as container:
        stream = container.add_stream('libx264', rate=25)
        stream.width, stream.height, stream.pix_fmt = 128, 96, 'yuv420p'
        for _ in range(30):
            frame = av.VideoFrame.from_ndarray(np.full((96, 128, 3), 90, np.uint8), format='rgb24')
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    assert probe_video(empty).num_frames == 30
    code, _, errors = video(empty, '--checkpoint', checkpoint, '--output', tmp_path / 'o.npz',
                            capsys=capsys)
    assert code == 2 and len(errors) == 1
    assert errors[0] == (f'gast-pyg video: error: {empty}: no person detected in any of the 30 '
                         'frames')
    assert not (tmp_path / 'o.npz').exists()


def test_fewer_frames_than_receptive_field(run, apart, tmp_path, capsys):
    big = save_checkpoint(tmp_path / 'rf243.pt',
                          build_model('h36m', receptive_field=243, channels=8).eval())
    code, _, errors = video(apart, '--checkpoint', big, '--output', tmp_path / 'o.npz',
                            '--keypoints', run[0] / 'apart.json', '--render', tmp_path / 'o.mp4',
                            capsys=capsys)
    assert code == 2 and len(errors) == 1
    assert re.search(r"no person could be lifted: track 0 has 87 frames, fewer than the model's "
                     r"receptive field of 243", errors[0])
    assert sorted(p.name for p in tmp_path.iterdir()) == ['rf243.pt']


def test_frames_are_decoded_one_at_a_time(apart):
    frames = iter_frames(apart)
    first = next(frames)
    assert first.shape == (1080, 1920, 3) and first.dtype == np.uint8
    frames.close()


def test_missing_extra_names_it(monkeypatch):
    monkeypatch.setitem(sys.modules, 'av', None)
    with pytest.raises(VideoError, match=r"needs the 'video' extra: pip install "
                                         r"'gast-pyg\[video\]'"):
        import_extra('av')


def test_command_prints_stages_and_quality(run, apart, checkpoint, tmp_path, capsys):
    code = main(['video', str(apart), '--checkpoint', str(checkpoint), '--output',
                 str(tmp_path / 'c.npz'), '--keypoints', str(run[0] / 'apart.json'),
                 '--person', 'best'])
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert '1 track(s) over 87 frames of 1920x1080 at 30 fps' in printed
    assert 'track 0: 87 frames detected; bone length CV mean' in printed
    assert 'read keypoints' in printed and 'frames/s end to end' in printed


def test_toe_skeleton_from_blazepose_feet(run, apart, tmp_path):
    toes = save_checkpoint(tmp_path / 'toes.pt',
                           build_model('h36m_toes', receptive_field=27, channels=8).eval())
    assert video(apart, '--checkpoint', toes, '--output', tmp_path / 't.npz', '--keypoints',
                 run[0] / 'apart.json', '--max-gap', '30') == 0
    lifted, _ = arrays(tmp_path / 't.npz')
    tracks = build_tracks(read_detections(run[0] / 'apart.json'), max_gap=30)
    assert lifted['poses_3d'].shape == (len(tracks.track_ids), 87, 19, 3)
    toe = list(lifted['joint_names']).index('left_toe')
    foot = BLAZEPOSE_33.joint_names.index('left_foot_index')
    for k, points in enumerate(tracks.points):  # (87, 33, 3) each
        seen = tracks.present[k] & (points[:, foot, 2] >= 0.3)
        assert seen.sum() >= 20
        np.testing.assert_allclose(lifted['keypoints_2d'][k, seen, toe], points[seen, foot, :2],
                                   atol=0.01)


def test_every_track_is_lifted_and_rendered(run, apart, checkpoint, tmp_path, capsys):
    """Two people with MMPose track ids (the detected one and a copy 300 px to the right)."""
    detections = read_detections(run[0] / 'apart.json')
    frames = []
    for frame in range(87):
        rows = detections.points[detections.frames == frame]
        frames.append({'frame_id': frame, 'instances': [
            {'keypoints': (p[:, :2] + [shift, 0]).tolist(), 'keypoint_scores': p[:, 2].tolist(),
             'track_id': track} for p in rows for track, shift in ((3, 0), (8, 300))]})
    two = tmp_path / 'two.json'
    two.write_text(json.dumps({'instance_info': frames}))
    code, printed, _ = video(apart, '--checkpoint', checkpoint, '--output', tmp_path / 'two.npz',
                             '--keypoints', two, '--render', tmp_path / 'two.mp4', capsys=capsys)
    assert code == 0
    lifted, _ = arrays(tmp_path / 'two.npz')
    np.testing.assert_array_equal(lifted['track_ids'], [3, 8])
    np.testing.assert_allclose(lifted['keypoints_2d'][1, ..., 0] - lifted['keypoints_2d'][0, ..., 0],
                               300, atol=0.05)
    with av.open(str(tmp_path / 'two.mp4')) as container:
        assert container.streams.video[0].width == 960 + 2 * 540
    assert 'track 8: 87 frames detected' in printed


def test_trajectory_checkpoint_adds_camera_space_poses_and_scene(run, apart, tmp_path, capsys):
    model = build_model('h36m', receptive_field=27, channels=8, trajectory='shared').eval()
    checkpoint = save_checkpoint(tmp_path / 'trajectory.pt', model)
    out = tmp_path / 'camera.npz'
    code = main(['video', str(apart), '--checkpoint', str(checkpoint), '--output', str(out),
                 '--keypoints', str(run[0] / 'apart.json'), '--fov', '60',
                 '--render', str(tmp_path / 'camera.mp4'), '--no-progress'])
    assert code == 0, capsys.readouterr().err
    with np.load(out) as npz:
        tracks = len(npz['track_ids'])
        camera, poses, present = npz['poses_3d_camera'], npz['poses_3d'], npz['present']
        assert camera.shape == poses.shape == (tracks, 87, 17, 3)
        assert float(npz['focal_length']) == pytest.approx(960 / np.tan(np.radians(30)))
    np.testing.assert_allclose((camera - camera[:, :, :1])[present], poses[present], atol=1e-5)
    with av.open(str(tmp_path / 'camera.mp4')) as container:
        stream = container.streams.video[0]
        assert (stream.width, stream.height) == (960 + 540, 540)  # one scene panel
        frame = next(container.decode(stream)).to_ndarray(format='rgb24')
    assert (frame[:, 960:] < 200).any(axis=-1).sum() > 200  # floor, camera and skeletons


def test_focal_length_with_a_plain_checkpoint_is_one_error(run, apart, checkpoint, tmp_path,
                                                           capsys):
    code = main(['video', str(apart), '--checkpoint', str(checkpoint), '--output',
                 str(tmp_path / 'o.npz'), '--keypoints', str(run[0] / 'apart.json'),
                 '--focal-length', '1000'])
    errors = [line for line in capsys.readouterr().err.splitlines() if 'error' in line]
    assert code == 2 and len(errors) == 1 and 'has no trajectory' in errors[0]
    assert not (tmp_path / 'o.npz').exists()
