"""The viewer page (:mod:`gast_pyg.viewer`, ``gast-pyg view``) in a real browser: headless
Chromium (Debian's ``chromium``; ``scripts/install-chromium.sh``; the browser tests skip without
it) opens the page at given frames (``#frame=N``) and takes screenshots, in which every bone
must be drawn where the data and the documented view put it, in its track's colour, and the
console must hold nothing but the page's own ready line. The page itself is checked without a
browser too: self-contained, the motion decodable back to the data."""
from __future__ import annotations

import base64
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path

from gast_pyg import Skeleton
from gast_pyg.cli import main
from gast_pyg.viewer import LAYOUT, TRACK_COLOURS, ViewerError, viewer_html, write_viewer

WINDOW = (1000, 640)
SKELETON = Skeleton.load('h36m')
# A T-pose in display axes (metres, Y up, facing +Z): legs apart, short arms out (two of them
# side by side, 1 m apart, do not touch).
T_POSE = np.array([
    [0, 0, 0], [-0.12, 0, 0], [-0.2, -0.42, 0], [-0.25, -0.85, 0],
    [0.12, 0, 0], [0.2, -0.42, 0], [0.25, -0.85, 0],
    [0, 0.23, 0], [0, 0.48, 0], [0, 0.58, 0], [0, 0.72, 0],
    [0.15, 0.48, 0], [0.32, 0.48, 0], [0.46, 0.48, 0],
    [-0.15, 0.48, 0], [-0.32, 0.48, 0], [-0.46, 0.48, 0]])


def chromium() -> str:
    path = shutil.which('chromium') or shutil.which('chromium-browser')
    if path is None:
        pytest.skip('chromium is not installed (scripts/install-chromium.sh)')
    return path


def open_page(page: Path, frame: int, tmp_path: Path, window=WINDOW):
    """Screenshot ``(height, width, 3)`` of ``page`` opened at ``#frame=frame`` and the console
    messages, from one headless Chromium run with a fresh profile."""
    image_module = pytest.importorskip('PIL.Image', reason='pillow (the dev extra) reads screenshots')
    shot = tmp_path / f'{page.stem}-{frame}.png'
    profile = tmp_path / f'profile-{page.stem}-{frame}'
    run = subprocess.run(
        ['nice', '-n', '10', chromium(), '--headless', '--no-sandbox', '--disable-gpu',
         '--disable-quic', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', f'--user-data-dir={profile}',
         '--enable-logging=stderr', '--v=0', '--force-device-scale-factor=1',
         '--hide-scrollbars', f'--window-size={window[0]},{window[1]}',
         f'--screenshot={shot}', f'{page.resolve().as_uri()}#frame={frame}'],
        capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    console = re.findall(r':CONSOLE[^\]]*\] "(.*)", source: ', run.stderr)
    with image_module.open(shot) as image:
        return np.asarray(image.convert('RGB')).astype(int), console


def project(points: np.ndarray, view: dict, width: int, height: int) -> np.ndarray:
    """The documented view (gast_pyg.viewer): display points ``(..., 3)`` to panel pixels."""
    target = np.array(view['target'])
    yaw, pitch, distance = view['yaw'], view['pitch'], view['distance']
    eye = target + distance * np.array([math.cos(pitch) * math.sin(yaw), math.sin(pitch),
                                        math.cos(pitch) * math.cos(yaw)])
    forward = (target - eye) / np.linalg.norm(target - eye)
    right = np.cross(forward, [0, 1, 0])
    right /= np.linalg.norm(right)
    up = np.cross(right, forward)
    relative = points - eye
    x, y, depth = relative @ right, relative @ up, relative @ forward
    focal = height / 2 / math.tan(math.radians(view['fov']) / 2)
    return np.stack([width / 2 + focal * x / depth, height / 2 - focal * y / depth], -1)


def page_data(page: Path) -> dict:
    text = page.read_text()
    block = re.search(r'<script id="gast-data" type="application/json">(.*?)</script>', text, re.S)
    return json.loads(block.group(1))


def colour_near(image: np.ndarray, xy, colour: str, radius: int = 2) -> bool:
    """Whether a pixel within ``radius`` of ``xy`` has ``colour`` (#rrggbb) within 60."""
    rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
    x, y = int(round(xy[0])), int(round(xy[1]))
    patch = image[max(y - radius, 0):y + radius + 1, max(x - radius, 0):x + radius + 1]
    return bool(patch.size) and bool((np.abs(patch - rgb).sum(-1) < 60).any())


def bones_drawn(image: np.ndarray, data: dict, points: np.ndarray, keypoints: np.ndarray,
                frame: int, track: int) -> tuple[list[bool], list[bool]]:
    """For each bone of ``track``, whether its colour is at the midpoint where the view puts it
    in the 3D panel (``points``: display coordinates ``(tracks, frames, joints, 3)``) and where
    its keypoints put it in the 2D panel."""
    width, height = WINDOW
    w3 = round(width * LAYOUT['split'])
    h = height - LAYOUT['bar']
    scale = min((width - w3) / data['image'][0], h / data['image'][1]) * LAYOUT['image_fill']
    ox = w3 + ((width - w3) - data['image'][0] * scale) / 2
    oy = LAYOUT['bar'] + (h - data['image'][1] * scale) / 2
    drawn_3d, drawn_2d = [], []
    for parent, joint, side in data['bones']:
        colour = data['colours'][track][side]
        middle = (points[track, frame, parent] + points[track, frame, joint]) / 2
        x, y = project(middle, data['view'], w3, h)
        drawn_3d.append(colour_near(image, (x, y + LAYOUT['bar']), colour))
        pixel = (keypoints[track, frame, parent] + keypoints[track, frame, joint]) / 2
        drawn_2d.append(colour_near(image, (ox + pixel[0] * scale, oy + pixel[1] * scale),
                                    colour))
    return drawn_3d, drawn_2d


def two_people(frames: int = 12):
    """Two root-relative tracks in camera axes raising their arms over the frames; the second
    is right of the first in the image and absent in the last three frames."""
    poses = np.repeat(T_POSE[None, None], frames, axis=1).repeat(2, axis=0)
    lift = np.linspace(0, 1.2, frames)  # radians, arms rotating up about the shoulders
    for side, (shoulder, joints) in enumerate(((11, (12, 13)), (14, (15, 16)))):
        sign = 1 if side == 0 else -1
        for j in joints:
            arm = T_POSE[j] - T_POSE[shoulder]
            reach = abs(arm[0])
            poses[:, :, j, 0] = T_POSE[shoulder, 0] + sign * reach * np.cos(lift)
            poses[:, :, j, 1] = T_POSE[shoulder, 1] + reach * np.sin(lift)
    poses[1, :, :, 2] += 0.2 * np.sin(np.linspace(0, 3, frames))[:, None]
    keypoints = np.stack([640 + 300 * poses[0, ..., 0], 540 - 300 * poses[0, ..., 1]], -1)
    keypoints = np.stack([keypoints, keypoints + [600, 0]])
    poses[1, -3:] = np.nan
    keypoints[1, -3:] = np.nan
    camera = poses * np.array([1, -1, -1])  # display -> camera axes
    return camera, keypoints


def test_page_is_self_contained_and_holds_the_motion(tmp_path):
    camera, keypoints = two_people()
    html = viewer_html(camera, keypoints, SKELETON, 25.0, (1920, 1080), track_ids=[3, 8],
                       trajectory=False, title='two <people>')
    assert not re.search(r'(src|href)\s*=|https?://|import\s*\(', html)
    assert '<title>two &lt;people&gt; - gast-pyg viewer</title>' in html
    page = tmp_path / 'two.html'
    page.write_text(html)
    data = page_data(page)
    assert (data['frames'], data['tracks'], data['trackIds']) == (12, 2, [3, 8])
    block = data['points3d']
    decoded = np.frombuffer(base64.b64decode(block['data']), '<i2').astype(float)
    decoded = np.where(decoded == -32768, np.nan, decoded * block['scale'])
    expected = (camera * np.array([1, -1, -1])).transpose(1, 0, 2, 3)
    expected[:, 0, :, 0] -= 0.5  # side by side, 1 m apart, in the order of the image x
    expected[:, 1, :, 0] += 0.5
    np.testing.assert_allclose(decoded.reshape(expected.shape), expected,
                               atol=block['scale'] / 2 + 1e-9)


def test_bad_motion_is_refused(tmp_path, capsys):
    camera, keypoints = two_people()
    with pytest.raises(ViewerError, match='one id per track'):
        viewer_html(camera, keypoints, SKELETON, 25.0, (1920, 1080), track_ids=[3],
                    trajectory=False)
    with pytest.raises(ViewerError, match='no finite joint'):
        viewer_html(camera * np.nan, keypoints, SKELETON, 25.0, (1920, 1080),
                    track_ids=[3, 8], trajectory=False)
    missing = tmp_path / 'missing.npz'
    assert main(['view', str(missing), '--output', str(tmp_path / 'x.html')]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error == [f'gast-pyg view: error: {missing}: no such file; expected the .npz written '
                     'by gast-pyg infer or video']
    assert not (tmp_path / 'x.html').exists()


def test_skeletons_drawn_where_the_data_puts_them(tmp_path):
    camera, keypoints = two_people()
    page = tmp_path / 'two.html'
    write_viewer(page, camera, keypoints, SKELETON, 25.0, (1920, 1080), track_ids=[3, 8],
                 trajectory=False)
    data = page_data(page)
    points = camera * np.array([1, -1, -1])
    points[0, ..., 0] -= 0.5
    points[1, ..., 0] += 0.5
    for frame in (0, 6):
        image, console = open_page(page, frame, tmp_path)
        assert len(console) == 1 and console[0].startswith('gast-pyg viewer: ready in '), console
        for track in (0, 1):
            drawn_3d, drawn_2d = bones_drawn(image, data, points, keypoints, frame, track)
            assert all(drawn_3d) and all(drawn_2d), (frame, track, drawn_3d, drawn_2d)
        # The arms are where frame `frame` has them, not where frame 11 does.
        raised_3d, _ = bones_drawn(image, data, points, keypoints, 11, 0)
        assert not all(raised_3d)
    # Frame 10: the second track is absent, so none of its colours is in the 3D panel.
    image, console = open_page(page, 10, tmp_path)
    assert len(console) == 1
    panel = image[LAYOUT['bar']:, :round(WINDOW[0] * LAYOUT['split'])]
    for colour in TRACK_COLOURS[1]:
        rgb = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)])
        assert (np.abs(panel - rgb).sum(-1) < 30).sum() == 0, colour
    assert all(bones_drawn(image, data, points, keypoints, 10, 0)[0])


def test_trajectory_page_shows_the_walk_and_the_camera(tmp_path):
    frames = 30
    walk = np.linspace(-1.5, 1.5, frames)  # metres, left to right, 4 m from the camera
    display = np.repeat(T_POSE[None, None], frames, axis=1)
    display[0, :, :, 0] += walk[:, None]
    display[0, :, :, 2] -= 4.0
    keypoints = np.stack([960 + 250 * display[0, ..., 0], 540 - 250 * display[0, ..., 1]], -1)
    page = tmp_path / 'walk.html'
    write_viewer(page, display * np.array([1, -1, -1]), keypoints[None], SKELETON, 30.0,
                 (1920, 1080), track_ids=[0], trajectory=True)
    data = page_data(page)
    for frame in (0, frames - 1):
        image, console = open_page(page, frame, tmp_path)
        assert len(console) == 1 and console[0].startswith('gast-pyg viewer: ready'), console
        drawn_3d, drawn_2d = bones_drawn(image, data, display, keypoints[None], frame, 0)
        assert all(drawn_3d) and all(drawn_2d), (frame, drawn_3d, drawn_2d)
        other = frames - 1 - frame
        assert not any(bones_drawn(image, data, display, keypoints[None], other, 0)[0])
    # The camera: black lines at the projected origin.
    w3, h = round(WINDOW[0] * LAYOUT['split']), WINDOW[1] - LAYOUT['bar']
    x, y = project(np.array([0.0, 0.0, -0.125]), data['view'], w3, h)
    assert colour_near(image, (x, y + LAYOUT['bar']), '#000000', radius=12)


def test_ten_minute_clip_opens_at_once(tmp_path):
    frames = 18_000  # 10 minutes at 30 fps
    t = np.arange(frames) / 30
    display = np.repeat(T_POSE[None, None], frames, axis=1)
    display[0, :, :, 0] += np.sin(t / 10)[:, None]
    display[0, :, :, 2] += -4 + np.cos(t / 10)[:, None]
    keypoints = np.stack([960 + 250 * display[0, ..., 0], 540 - 250 * display[0, ..., 1]], -1)
    page = tmp_path / 'long.html'
    write_viewer(page, display * np.array([1, -1, -1]), keypoints[None], SKELETON, 30.0,
                 (1920, 1080), track_ids=[0], trajectory=True)
    size = page.stat().st_size
    assert size < 5_000_000
    image, console = open_page(page, frames - 1, tmp_path)
    milliseconds = float(re.match(r'gast-pyg viewer: ready in (\d+) ms', console[0]).group(1))
    print(f'10-minute clip: {size / 1e6:.2f} MB, ready in {milliseconds:.0f} ms')
    assert len(console) == 1 and milliseconds < 5000
    assert all(bones_drawn(image, page_data(page), display, keypoints[None], frames - 1, 0)[0])


def test_baseball_page(tmp_path):
    """The shipped model's output for the real clip, through ``gast-pyg view``; the pictures
    of docs/images/ are screenshots of this page."""
    keypoints_file = shared_path('data', 'wild', 'baseball_hrnet_coco17.json')
    chromium()
    result = tmp_path / 'baseball.npz'
    assert main(['infer', '--keypoints', str(keypoints_file), '--checkpoint',
                 'gast-27-trajectory', '--output', str(result), '--width', '1920',
                 '--height', '1080', '--fps', '30', '--no-progress']) == 0
    page = tmp_path / 'baseball.html'
    assert main(['view', str(result), '--output', str(page)]) == 0
    with np.load(result) as saved:
        display = saved['poses_3d_camera'] * np.array([1, -1, -1])
        keypoints = saved['keypoints_2d']
    data = page_data(page)
    for frame in (40, 140):
        image, console = open_page(page, frame, tmp_path)
        assert len(console) == 1 and console[0].startswith('gast-pyg viewer: ready'), console
        drawn_3d, drawn_2d = bones_drawn(image, data, display, keypoints, frame, 0)
        # A bone may hide another's midpoint; nearly all must show.
        assert sum(drawn_3d) >= 14 and sum(drawn_2d) >= 14, (frame, drawn_3d, drawn_2d)
