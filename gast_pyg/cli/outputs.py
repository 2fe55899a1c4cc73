"""What ``gast-pyg infer`` and ``gast-pyg video`` write from a :class:`~gast_pyg.lifter.LiftResult`:
the ``.npz`` (``--output``), a picture (``--render``: an animation, the video's MP4 or the 3D
viewer page) and BVH animations (``--bvh``), all staged together, so that they appear whole or
not at all.
"""
from __future__ import annotations

import argparse
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import numpy as np

from gast_pyg.errors import GastPygError
from gast_pyg.files import check_output_targets, staged_outputs

if TYPE_CHECKING:
    from gast_pyg.lifter import LiftResult

__all__ = ['check_outputs', 'check_suffix', 'write_outputs']


def check_suffix(path: Optional[str], suffixes: Sequence[str], option: str) -> None:
    """One error naming ``option`` unless ``path`` is unset or ends with one of ``suffixes``."""
    if path is not None and Path(path).suffix.lower() not in suffixes:
        raise GastPygError(f"{option} {path}: expected a name ending with "
                           f"{' or '.join(suffixes)}")


def check_outputs(args: argparse.Namespace, render_suffixes: Sequence[str],
                  inputs: Iterable[Optional[str]], extra: Sequence[str] = (),
                  animation: bool = False) -> None:
    """Before any work: the suffixes of ``--output`` (``.npz``), ``--render`` (one of
    ``render_suffixes``) and ``--bvh`` (``.bvh``), and every target
    (:func:`~gast_pyg.files.check_output_targets`; the per-track BVH names are checked once the
    tracks are known, :func:`write_outputs`); ``animation``: a ``.gif`` / ``.mp4`` render is a
    matplotlib animation, whose writer must exist."""
    check_suffix(args.output, ('.npz',), '--output')
    check_suffix(args.render, render_suffixes, '--render')
    check_suffix(args.bvh, ('.bvh',), '--bvh')
    if animation and args.render and Path(args.render).suffix.lower() in ('.gif', '.mp4'):
        from gast_pyg.visualization import check_writer
        check_writer(Path(args.render).suffix.lower())
    targets = [Path(p) for p in (args.output, args.render, *extra) if p]
    check_output_targets(targets, inputs=[p for p in inputs if p])


def write_outputs(args: argparse.Namespace, result: 'LiftResult', inputs: Iterable[Optional[str]],
                  frames: Optional[Iterable[np.ndarray]] = None,
                  extra: Sequence[tuple[str, object]] = ()) -> list[str]:
    """Write every output of ``args`` for ``result`` (``frames``: the video's frames, for an
    MP4 ``--render`` of ``gast-pyg video``; ``extra``: ``(path, writer)`` pairs of a command's
    own outputs, ``writer(staged_path)``); returns the paths written."""
    camera = result.poses_3d_camera is not None
    poses = result.poses_3d_camera if camera else result.poses_3d
    bvh_paths: list[Path] = []
    if args.bvh:
        from gast_pyg.bvh import track_paths
        bvh_paths = track_paths(args.bvh, result.track_ids)
        check_output_targets(bvh_paths, inputs=[p for p in inputs if p])
    written = [args.output]
    with staged_outputs() as staging:
        result.write(staging.stage(args.output))
        if args.render:
            _render(staging.stage(args.render), result, poses, camera, frames, args.progress)
            written.append(args.render)
        if bvh_paths:
            from gast_pyg.bvh import write_bvh
            for k, path in enumerate(bvh_paths):
                span = np.isfinite(poses[k, :, 0, 0])
                write_bvh(staging.stage(path), poses[k, span], result.skeleton, result.fps,
                          trajectory=camera)
            written.extend(str(p) for p in bvh_paths)
        for path, writer in extra:
            writer(staging.stage(path))
            written.append(path)
    return written


def _render(path: Path, result: 'LiftResult', poses: np.ndarray, camera: bool,
            frames: Optional[Iterable[np.ndarray]], progress: bool) -> None:
    suffix = path.suffix.lower()
    if suffix == '.html':
        from gast_pyg.viewer import write_viewer
        write_viewer(path, poses, result.keypoints_2d, result.skeleton, result.fps,
                     result.image_size, track_ids=result.track_ids, trajectory=camera,
                     frame_indices=result.frame_indices)
    elif frames is not None:
        from gast_pyg.video.rendering import render_video
        render_video(path, frames, result.keypoints_2d, poses, result.track_ids,
                     result.skeleton, result.fps, camera_space=camera)
    else:
        from gast_pyg.visualization import render_animation
        render_animation(path, result.keypoints_2d, poses, result.skeleton,
                         image_size=result.image_size, frame_indices=result.frame_indices,
                         fps=result.fps, progress=progress, camera_space=camera,
                         track_ids=result.track_ids)
