"""A self-contained HTML page to look at lifted motion: every track's 3D skeleton, turnable, with
the 2D keypoints of the same frame beside it.

One file, no network: the script is inline (plain canvas 2D drawing, no library) and the motion
is a JSON block of base64 little-endian ``int16`` arrays, each with one scale (``value = q *
scale``; ``-32768`` marks a frame where a track is absent), so a 10-minute clip at 30 fps
(18,000 frames, 17 joints, one track) is about 4 MB (``docs/motion.md`` has the measured size
and load time).

What is drawn (display frame: metres, Y up, ``(x, -y, -z)`` of the camera's axes, as in
:mod:`gast_pyg.bvh`): a floor grid at the lowest joint of the clip; each track's bones, left side
light, right side dark, centre in the track's colour (:data:`TRACK_COLOURS`); for trajectory
models the camera (a pyramid at the origin looking down -Z) and each root's path on the floor.
Root-relative tracks stand side by side, 1 m apart, in the order of their mean image x.

The view orbits ``target`` at ``distance`` (:func:`initial_view`): the eye is ``target +
distance * (cos(pitch) sin(yaw), sin(pitch), cos(pitch) cos(yaw))``, looking at ``target`` with
Y up and a vertical field of view ``fov``; a point at view-space ``(x, y, depth)`` is drawn at
``(cx + f x / depth, cy - f y / depth)``, ``f = h / 2 / tan(fov / 2)`` for a panel of height
``h`` centred at ``(cx, cy)``. The page is laid out as: a 40 px control bar on top, the 3D panel
on the left ``round(0.6 W)`` pixels of the window's width ``W``, the 2D panel on the rest, the
image letterboxed at 95 % of the panel.

Controls: drag to orbit, wheel to zoom, double-click to reset the view, space or the button to
play / pause, the slider or the arrow keys to step. ``#frame=N`` in the URL opens paused at frame
``N`` (0-based); ``window.gastViewer`` has ``setFrame(n)``, ``frame()``, ``play()``, ``pause()``.
When drawn, the page logs one console line, ``gast-pyg viewer: ready in MS ms ...``, the time
from navigation start.
"""
from __future__ import annotations

import base64
import html
import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Optional, Union

import numpy as np

from gast_pyg.bvh import CM_PER_M, camera_to_bvh
from gast_pyg.errors import GastPygError
from gast_pyg.files import check_output_targets, staged_outputs
from gast_pyg.saved_result import SavedResult
from gast_pyg.skeleton import Skeleton

__all__ = ['ViewerError', 'TRACK_COLOURS', 'LAYOUT', 'display_points', 'initial_view',
           'viewer_html', 'write_viewer', 'write_result_viewer']

PathLike = Union[str, os.PathLike]

#: Per track (cycled): ``(centre, left, right)`` bone colours.
TRACK_COLOURS = (
    ('#d62728', '#ff9896', '#8c1516'),
    ('#1f77b4', '#8fc4ea', '#0f3c5c'),
    ('#2ca02c', '#98df8a', '#165016'),
    ('#9467bd', '#c5b0d5', '#4a3360'),
    ('#ff7f0e', '#ffbb78', '#80400a'),
)
#: Page layout (module docstring): control bar height in px, share of the width of the 3D
#: panel, share of the 2D panel the image fills.
LAYOUT = {'bar': 40, 'split': 0.6, 'image_fill': 0.95}
_SPACING_M = 1.0
_FOV_DEGREES = 45.0
_PITCH = 0.25
_INT16_MISSING = -32768


class ViewerError(GastPygError):
    """Motion that cannot be shown (wrong shapes, nothing finite)."""


def display_points(poses: np.ndarray, keypoints_2d: np.ndarray, *,
                   trajectory: bool) -> np.ndarray:
    """``(tracks, frames, joints, 3)`` display coordinates (module docstring) of ``poses``
    (metres, camera axes): camera space as is, root-relative tracks side by side in the order
    of their mean image x (``keypoints_2d`` ``(tracks, frames, joints, 2)``)."""
    points = camera_to_bvh(poses) / CM_PER_M
    if not trajectory and len(points) > 1:
        mean_x = [np.nanmean(track[..., 0]) if np.isfinite(track[..., 0]).any() else 0.0
                  for track in keypoints_2d]
        rank = np.argsort(np.argsort(mean_x))
        points[..., 0] += ((rank - (len(points) - 1) / 2) * _SPACING_M)[:, None, None]
    return points


def initial_view(points: np.ndarray, *, trajectory: bool) -> dict[str, float | list[float]]:
    """The opening view of display ``points`` ``(..., 3)``: ``target`` the centre of their
    bounding box (the camera at the origin included for a trajectory), ``distance`` to see a
    sphere around it, ``yaw`` 0 (from +Z, the camera's side), ``pitch`` 0.25 rad, ``fov``
    45 degrees, and ``floor``, the height of the lowest joint."""
    finite = points[np.isfinite(points).all(axis=-1)]
    if trajectory:
        finite = np.concatenate([finite, np.zeros((1, 3))])
    low, high = finite.min(axis=0), finite.max(axis=0)
    radius = max(0.5 * float(np.linalg.norm(high - low)), 1.0)
    return {'target': ((low + high) / 2).tolist(),
            'distance': 1.05 * radius / math.sin(math.radians(_FOV_DEGREES) / 2),
            'yaw': 0.0, 'pitch': _PITCH, 'fov': _FOV_DEGREES, 'floor': float(low[1])}


def _quantised(values: np.ndarray) -> dict[str, object]:
    """``values`` as base64 int16 with one scale (NaN: -32768)."""
    finite = np.isfinite(values)
    peak = float(np.abs(values[finite]).max()) if finite.any() else 1.0
    scale = max(peak, 1e-9) / 32767
    quantised = np.where(finite, np.round(np.where(finite, values, 0.0) / scale),
                         _INT16_MISSING).astype('<i2')
    return {'scale': scale, 'data': base64.b64encode(quantised.tobytes()).decode('ascii')}


def viewer_html(poses: np.ndarray, keypoints_2d: np.ndarray, skeleton: Skeleton, fps: float,
                image_size: tuple[int, int], *, track_ids: Sequence[int], trajectory: bool,
                frame_indices: Optional[np.ndarray] = None, title: str = 'gast-pyg') -> str:
    """The page (module docstring) for ``poses`` ``(tracks, frames, joints, 3)`` (metres, camera
    axes; camera-space with ``trajectory``, else root-relative; NaN where a track is absent),
    ``keypoints_2d`` ``(tracks, frames, joints, 2)`` pixels of an image of ``image_size``
    ``(width, height)``, at ``fps``; ``frame_indices`` ``(frames,)`` the video frame of each
    (default ``0..frames-1``).

    Raises:
        ViewerError: For mismatched shapes, ``fps`` <= 0 or no finite joint.
    """
    poses = np.asarray(poses, dtype=np.float64)
    keypoints_2d = np.asarray(keypoints_2d, dtype=np.float64)
    tracks, frames = poses.shape[:2] if poses.ndim == 4 else (0, 0)
    if (poses.ndim != 4 or poses.shape[2:] != (skeleton.num_joints, 3)
            or keypoints_2d.shape != poses.shape[:3] + (2,) or len(track_ids) != tracks
            or not frames):
        raise ViewerError(f'poses {poses.shape}, keypoints_2d {keypoints_2d.shape}, '
                          f'{len(track_ids)} track ids; expected (tracks, frames, '
                          f'{skeleton.num_joints}, 3), (tracks, frames, {skeleton.num_joints}, '
                          '2) and one id per track, at least one frame')
    if not (math.isfinite(fps) and fps > 0):
        raise ViewerError(f'fps: got {fps}; expected frames per second > 0')
    if not np.isfinite(poses).all(axis=-1).any():
        raise ViewerError('poses: no finite joint; expected at least one lifted frame')
    points = display_points(poses, keypoints_2d, trajectory=trajectory)
    frame_indices = np.arange(frames) if frame_indices is None else np.asarray(frame_indices)
    left, right = set(skeleton.joints_left), set(skeleton.joints_right)
    data = {
        'title': title, 'fps': fps, 'frames': frames, 'tracks': tracks,
        'joints': skeleton.num_joints, 'trackIds': [int(t) for t in track_ids],
        'frameIndices': [int(f) for f in frame_indices], 'trajectory': trajectory,
        'root': skeleton.root, 'image': [int(image_size[0]), int(image_size[1])],
        'bones': [[p, j, 1 if j in left else 2 if j in right else 0] for j, p in skeleton.bones],
        'colours': [TRACK_COLOURS[k % len(TRACK_COLOURS)] for k in range(tracks)],
        'layout': LAYOUT, 'view': initial_view(points, trajectory=trajectory),
        # Frame-major: index ((t * tracks + k) * joints + j) * channels + c.
        'points3d': _quantised(points.transpose(1, 0, 2, 3)),
        'points2d': _quantised(keypoints_2d.transpose(1, 0, 2, 3)),
    }
    payload = json.dumps(data, separators=(',', ':')).replace('<', '\\u003c')
    return _PAGE.replace('/*TITLE*/', html.escape(title)).replace('/*DATA*/', payload)


def write_viewer(output: PathLike, poses: np.ndarray, keypoints_2d: np.ndarray,
                 skeleton: Skeleton, fps: float, image_size: tuple[int, int], *,
                 track_ids: Sequence[int], trajectory: bool,
                 frame_indices: Optional[np.ndarray] = None, title: str = 'gast-pyg') -> None:
    """Write :func:`viewer_html` (same arguments) to ``output`` (callers stage it:
    :func:`~gast_pyg.files.staged_outputs`)."""
    page = viewer_html(poses, keypoints_2d, skeleton, fps, image_size, track_ids=track_ids,
                       trajectory=trajectory, frame_indices=frame_indices, title=title)
    with open(output, 'w', encoding='utf-8', newline='\n') as file:
        file.write(page)


def write_result_viewer(result: SavedResult, output: PathLike) -> Path:
    """The page of every track of a saved result, written whole or not at all."""
    check_output_targets([output], inputs=[result.source])
    with staged_outputs() as staging:
        write_viewer(staging.stage(output),
                     result.poses_3d_camera if result.trajectory else result.poses_3d,
                     result.keypoints_2d, result.skeleton, result.fps, result.image_size,
                     track_ids=result.track_ids, trajectory=result.trajectory,
                     frame_indices=result.frame_indices, title=Path(result.source).name)
    return Path(output)


_PAGE = r'''<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>/*TITLE*/ - gast-pyg viewer</title>
<style>
html, body { margin: 0; height: 100%; overflow: hidden; background: #fff;
  font: 13px system-ui, sans-serif; color: #222; }
#bar { position: absolute; left: 0; top: 0; right: 0; display: flex; align-items: center;
  gap: 10px; padding: 0 10px; box-sizing: border-box; background: #eee;
  border-bottom: 1px solid #ccc; }
#bar button { width: 64px; }
#slider { flex: 1; }
#label { min-width: 300px; font-variant-numeric: tabular-nums; }
canvas { position: absolute; display: block; }
#view3d { cursor: grab; }
</style></head>
<body>
<div id="bar"><button id="play" type="button">Play</button>
<input id="slider" type="range" min="0" value="0" step="1" aria-label="frame">
<span id="label"></span></div>
<canvas id="view3d"></canvas><canvas id="view2d"></canvas>
<script id="gast-data" type="application/json">/*DATA*/</script>
<script>
(function () {
  'use strict';
  const D = JSON.parse(document.getElementById('gast-data').textContent);
  const T = D.frames, P = D.tracks, J = D.joints, L = D.layout;

  function decode(block) {
    const bytes = atob(block.data), n = bytes.length >> 1, out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      let q = bytes.charCodeAt(2 * i) | (bytes.charCodeAt(2 * i + 1) << 8);
      if (q >= 32768) q -= 65536;
      out[i] = q === -32768 ? NaN : q * block.scale;
    }
    return out;
  }
  const P3 = decode(D.points3d), P2 = decode(D.points2d);

  // Root paths on the floor, at most 4000 points per track.
  const paths = [];
  if (D.trajectory) {
    const step = Math.max(1, Math.ceil(T / 4000));
    for (let k = 0; k < P; k++) {
      const path = [];
      for (let t = 0; t < T; t += step) {
        const i = ((t * P + k) * J + D.root) * 3;
        if (!isNaN(P3[i])) path.push([P3[i], D.view.floor, P3[i + 2]]);
      }
      paths.push(path);
    }
  }
  // Floor grid over the clip's extent, at most about 40 lines a side.
  let xmin = Infinity, xmax = -Infinity, zmin = Infinity, zmax = -Infinity;
  for (let i = 0; i < P3.length; i += 3) {
    if (isNaN(P3[i])) continue;
    xmin = Math.min(xmin, P3[i]); xmax = Math.max(xmax, P3[i]);
    zmin = Math.min(zmin, P3[i + 2]); zmax = Math.max(zmax, P3[i + 2]);
  }
  if (D.trajectory) {
    xmin = Math.min(xmin, 0); xmax = Math.max(xmax, 0);
    zmin = Math.min(zmin, 0); zmax = Math.max(zmax, 0);
  }
  const span = Math.max(xmax - xmin, zmax - zmin) + 2;
  const spacing = [0.25, 0.5, 1, 2, 5, 10, 20, 50].find(s => span / s <= 40) || 100;
  const grid = [];
  const y = D.view.floor;
  const gx0 = Math.floor((xmin - 1) / spacing) * spacing;
  const gx1 = Math.ceil((xmax + 1) / spacing) * spacing;
  const gz0 = Math.floor((zmin - 1) / spacing) * spacing;
  const gz1 = Math.ceil((zmax + 1) / spacing) * spacing;
  for (let x = gx0; x <= gx1 + 1e-9; x += spacing) grid.push([[x, y, gz0], [x, y, gz1]]);
  for (let z = gz0; z <= gz1 + 1e-9; z += spacing) grid.push([[gx0, y, z], [gx1, y, z]]);

  const c3 = document.getElementById('view3d'), c2 = document.getElementById('view2d');
  const g3 = c3.getContext('2d'), g2 = c2.getContext('2d');
  const bar = document.getElementById('bar'), slider = document.getElementById('slider');
  const label = document.getElementById('label'), button = document.getElementById('play');
  slider.max = String(T - 1);
  const view = {};
  function resetView() {
    view.target = D.view.target.slice(); view.distance = D.view.distance;
    view.yaw = D.view.yaw; view.pitch = D.view.pitch;
  }
  resetView();
  let frame = 0, playing = false, startTime = 0, startFrame = 0, dirty = true;

  function layout() {
    const W = window.innerWidth, H = window.innerHeight, dpr = window.devicePixelRatio || 1;
    const w3 = Math.round(W * L.split), h = Math.max(1, H - L.bar);
    bar.style.height = L.bar + 'px';
    for (const [c, x, w] of [[c3, 0, w3], [c2, w3, W - w3]]) {
      c.style.left = x + 'px'; c.style.top = L.bar + 'px';
      c.style.width = w + 'px'; c.style.height = h + 'px';
      c.width = Math.max(1, Math.round(w * dpr)); c.height = Math.round(h * dpr);
    }
    dirty = true;
  }

  function camera(w, h) {
    const cp = Math.cos(view.pitch), t = view.target;
    const eye = [t[0] + view.distance * cp * Math.sin(view.yaw),
                 t[1] + view.distance * Math.sin(view.pitch),
                 t[2] + view.distance * cp * Math.cos(view.yaw)];
    const f = norm([t[0] - eye[0], t[1] - eye[1], t[2] - eye[2]]);
    const r = norm(cross(f, [0, 1, 0])), u = cross(r, f);
    const focal = h / 2 / Math.tan(D.view.fov * Math.PI / 360);
    return { eye, f, r, u, focal, cx: w / 2, cy: h / 2 };
  }
  function cross(a, b) {
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  }
  function norm(a) {
    const n = Math.hypot(a[0], a[1], a[2]) || 1;
    return [a[0] / n, a[1] / n, a[2] / n];
  }
  function toView(cam, p) {
    const v = [p[0] - cam.eye[0], p[1] - cam.eye[1], p[2] - cam.eye[2]];
    return [v[0] * cam.r[0] + v[1] * cam.r[1] + v[2] * cam.r[2],
            v[0] * cam.u[0] + v[1] * cam.u[1] + v[2] * cam.u[2],
            v[0] * cam.f[0] + v[1] * cam.f[1] + v[2] * cam.f[2]];
  }
  const NEAR = 0.05;
  function screen(cam, v) {
    return [cam.cx + cam.focal * v[0] / v[2], cam.cy - cam.focal * v[1] / v[2]];
  }
  function segment(g, cam, a, b) {  // a 3D line, clipped at the near plane
    let va = toView(cam, a), vb = toView(cam, b);
    if (va[2] < NEAR && vb[2] < NEAR) return;
    if (va[2] < NEAR || vb[2] < NEAR) {
      const s = (NEAR - va[2]) / (vb[2] - va[2]);
      const clip = [va[0] + s * (vb[0] - va[0]), va[1] + s * (vb[1] - va[1]), NEAR];
      if (va[2] < NEAR) va = clip; else vb = clip;
    }
    const sa = screen(cam, va), sb = screen(cam, vb);
    g.moveTo(sa[0], sa[1]); g.lineTo(sb[0], sb[1]);
  }
  function joint3(t, k, j) {
    const i = ((t * P + k) * J + j) * 3;
    return [P3[i], P3[i + 1], P3[i + 2]];
  }

  function draw3d() {
    const dpr = window.devicePixelRatio || 1, w = c3.width / dpr, h = c3.height / dpr;
    g3.setTransform(dpr, 0, 0, dpr, 0, 0);
    g3.fillStyle = '#ffffff'; g3.fillRect(0, 0, w, h);
    const cam = camera(w, h);
    g3.strokeStyle = '#d9d9d9'; g3.lineWidth = 1; g3.beginPath();
    for (const [a, b] of grid) segment(g3, cam, a, b);
    g3.stroke();
    g3.lineWidth = 1.5; g3.globalAlpha = 0.5;
    paths.forEach((path, k) => {
      g3.strokeStyle = D.colours[k][0]; g3.beginPath();
      for (let i = 1; i < path.length; i++) segment(g3, cam, path[i - 1], path[i]);
      g3.stroke();
    });
    g3.globalAlpha = 1;
    if (D.trajectory) {  // the camera: a pyramid at the origin looking down -Z
      const c = [[-0.16, -0.09, -0.25], [0.16, -0.09, -0.25], [0.16, 0.09, -0.25],
                 [-0.16, 0.09, -0.25]];
      g3.strokeStyle = '#000'; g3.lineWidth = 1.5; g3.beginPath();
      for (let i = 0; i < 4; i++) {
        segment(g3, cam, [0, 0, 0], c[i]);
        segment(g3, cam, c[i], c[(i + 1) % 4]);
      }
      g3.stroke();
    }
    const bones = [];
    for (let k = 0; k < P; k++) {
      if (isNaN(P3[((frame * P + k) * J) * 3])) continue;
      for (const [a, b, side] of D.bones) {
        const pa = joint3(frame, k, a), pb = joint3(frame, k, b);
        const middle = [(pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2, (pa[2] + pb[2]) / 2];
        const depth = toView(cam, middle)[2];
        bones.push([depth, pa, pb, D.colours[k][side]]);
      }
    }
    bones.sort((x, y) => y[0] - x[0]);
    g3.lineWidth = 4; g3.lineCap = 'round';
    for (const [, pa, pb, colour] of bones) {
      g3.strokeStyle = colour; g3.beginPath(); segment(g3, cam, pa, pb); g3.stroke();
    }
    caption(g3, D.trajectory ? '3D, camera space (m): drag to turn, wheel to zoom'
                             : '3D, root-relative (m): drag to turn, wheel to zoom');
  }
  function caption(g, text) {
    g.fillStyle = '#555'; g.font = '12px system-ui, sans-serif'; g.fillText(text, 8, 16);
  }

  function draw2d() {
    const dpr = window.devicePixelRatio || 1, w = c2.width / dpr, h = c2.height / dpr;
    g2.setTransform(dpr, 0, 0, dpr, 0, 0);
    g2.fillStyle = '#f2f2f2'; g2.fillRect(0, 0, w, h);
    const s = Math.min(w / D.image[0], h / D.image[1]) * L.image_fill;
    const ox = (w - D.image[0] * s) / 2, oy = (h - D.image[1] * s) / 2;
    g2.fillStyle = '#ffffff'; g2.fillRect(ox, oy, D.image[0] * s, D.image[1] * s);
    g2.strokeStyle = '#999'; g2.lineWidth = 1;
    g2.strokeRect(ox, oy, D.image[0] * s, D.image[1] * s);
    g2.lineWidth = 3; g2.lineCap = 'round';
    for (let k = 0; k < P; k++) {
      const base = (frame * P + k) * J * 2;
      if (isNaN(P2[base])) continue;
      for (const [a, b, side] of D.bones) {
        g2.strokeStyle = D.colours[k][side]; g2.beginPath();
        g2.moveTo(ox + P2[base + 2 * a] * s, oy + P2[base + 2 * a + 1] * s);
        g2.lineTo(ox + P2[base + 2 * b] * s, oy + P2[base + 2 * b + 1] * s);
        g2.stroke();
      }
    }
    caption(g2, '2D keypoints (' + D.image[0] + ' x ' + D.image[1] + ' px)');
  }

  function setFrame(n) {
    frame = Math.min(T - 1, Math.max(0, Math.floor(Number(n)) || 0));
    slider.value = String(frame);
    const tracks = [];
    for (let k = 0; k < P; k++) {
      if (!isNaN(P3[((frame * P + k) * J) * 3])) tracks.push(D.trackIds[k]);
    }
    label.textContent = 'frame ' + frame + ' / ' + (T - 1) + ' (video frame ' +
      D.frameIndices[frame] + '), track ' + (tracks.join(', ') || 'none');
    dirty = true;
  }
  function play() {
    playing = true; startTime = performance.now(); startFrame = frame;
    button.textContent = 'Pause';
  }
  function pause() { playing = false; button.textContent = 'Play'; }
  function fromHash() {
    const m = /frame=(\d+)/.exec(window.location.hash);
    if (m) { pause(); setFrame(m[1]); }
    return Boolean(m);
  }

  function tick(now) {
    if (playing) {
      const n = (startFrame + Math.floor((now - startTime) * D.fps / 1000)) % T;
      if (n !== frame) setFrame(n);
    }
    if (dirty) { dirty = false; draw3d(); draw2d(); }
    window.requestAnimationFrame(tick);
  }

  button.addEventListener('click', () => (playing ? pause() : play()));
  slider.addEventListener('input', () => { setFrame(slider.value); if (playing) play(); });
  window.addEventListener('keydown', (e) => {
    if (e.key === ' ') { e.preventDefault(); playing ? pause() : play(); }
    else if (e.key === 'ArrowRight') { pause(); setFrame(frame + 1); }
    else if (e.key === 'ArrowLeft') { pause(); setFrame(frame - 1); }
  });
  let drag = null;
  c3.addEventListener('pointerdown', (e) => {
    drag = [e.clientX, e.clientY]; c3.setPointerCapture(e.pointerId);
  });
  c3.addEventListener('pointermove', (e) => {
    if (!drag) return;
    view.yaw -= (e.clientX - drag[0]) * 0.01;
    view.pitch = Math.min(1.5, Math.max(-1.5, view.pitch + (e.clientY - drag[1]) * 0.01));
    drag = [e.clientX, e.clientY]; dirty = true;
  });
  c3.addEventListener('pointerup', () => { drag = null; });
  c3.addEventListener('wheel', (e) => {
    e.preventDefault(); view.distance *= Math.exp(e.deltaY * 0.001); dirty = true;
  }, { passive: false });
  c3.addEventListener('dblclick', () => { resetView(); dirty = true; });
  window.addEventListener('resize', layout);
  window.addEventListener('hashchange', fromHash);
  window.gastViewer = { setFrame, frame: () => frame, play, pause, frames: T };

  layout();
  setFrame(0);
  const paused = fromHash();
  dirty = false; draw3d(); draw2d();
  console.info('gast-pyg viewer: ready in ' + performance.now().toFixed(0) + ' ms, ' + T +
               ' frames, ' + P + ' tracks');
  if (!paused) play();
  window.requestAnimationFrame(tick);
})();
</script></body></html>
'''
