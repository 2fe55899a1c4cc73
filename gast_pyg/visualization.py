"""Pictures (optional extra ``viz``: matplotlib): the lifted skeleton as an animation, and the
attention figures of the GAST-Net paper.

* :func:`render_animation`: the 2D input of every track (pixels) beside its 3D skeleton, one
  frame per video frame, to GIF (Pillow) or MP4 (H.264 through PyAV, extra ``video``:
  :func:`~gast_pyg.video.encoding.write_mp4`; no ffmpeg program needed).
* :func:`plot_local_attention` (paper Fig. 5): per graph attention block, the learned weights of
  the local branch's symmetric and connection graphs, ``J x J`` (row: the joint that aggregates,
  column: the joint it reads), each entry the softmax-normalised edge weight averaged over the
  output channels (rows sum to 1; blank where the graph has no edge).
* :func:`plot_global_attention` (Fig. 7): the data-dependent global attention ``B_k`` of a chosen
  joint, i.e. its row ``B_k(joint, j)`` averaged over the heads, drawn on the 2D skeleton of a few
  frames for every block (marker area and colour: the weight; the ring: the chosen joint).
* :func:`plot_adaptive_matrices` (Fig. 8): the learned adaptive matrices ``C_k``, one panel per
  block and head, on a colour scale centred at zero.

The attention is read without touching the layers: :meth:`SemGraphConv.edge_weights`, the
parameter ``GlobalGraphAttention.adaptive`` and, for ``B_k``, a forward pre-hook that records each
block's input, then ``GlobalGraphAttention(x, return_attention_weights=True)``.

Figures are drawn on :class:`matplotlib.figure.Figure` objects with the Agg canvas, so the
global pyplot state and backend are left alone.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from gast_pyg.data.windows import sequence_inputs
from gast_pyg.errors import GastPygError
from gast_pyg.files import atomic_write, staged_outputs
from gast_pyg.lifting import lift_batch
from gast_pyg.models.base import LiftingModel
from gast_pyg.skeleton import Skeleton
from gast_pyg.validation import safe_filename

__all__ = [
    'require_matplotlib',
    'check_writer',
    'render_animation',
    'local_attention_matrices',
    'global_attention',
    'adaptive_matrices',
    'plot_local_attention',
    'plot_global_attention',
    'plot_adaptive_matrices',
    'MAX_ATTENTION_FRAMES',
    'attention_figure_paths',
    'attention_figures',
]

PathLike = Union[str, os.PathLike]
_LEFT, _RIGHT, _CENTRE = '#1f77b4', '#d62728', '#404040'


def _matplotlib():
    try:
        import matplotlib
        from matplotlib import animation
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        from mpl_toolkits.mplot3d import Axes3D  # noqa: F401  (registers the 3d projection)
    except ImportError as error:
        raise GastPygError("pictures need matplotlib: pip install 'gast-pyg[viz]' "
                           f"(or pip install matplotlib) ({error})") from error
    return matplotlib, animation, Figure, FigureCanvasAgg


def require_matplotlib() -> None:
    """Raise :class:`~gast_pyg.errors.GastPygError` (saying how to install it) unless matplotlib is usable."""
    _matplotlib()


def check_writer(suffix: str) -> None:
    """Raise :class:`~gast_pyg.errors.GastPygError` unless an animation can be written with
    ``suffix`` (``.gif``: matplotlib with Pillow; ``.mp4``: matplotlib and PyAV)."""
    _, animation, _, _ = _matplotlib()
    suffix = suffix.lower()
    if suffix == '.gif' and not animation.writers.is_available('pillow'):
        raise GastPygError("GIF output needs Pillow (pip install pillow)")
    if suffix == '.mp4':
        from gast_pyg.video.decoding import import_extra
        import_extra('av')
    if suffix not in ('.gif', '.mp4'):
        raise GastPygError(f"unknown animation format {suffix!r}; use .gif or .mp4")


def _figure(width: float, height: float, dpi: int = 100):
    _, _, Figure, FigureCanvasAgg = _matplotlib()
    figure = Figure(figsize=(width, height), dpi=dpi)
    FigureCanvasAgg(figure)
    return figure


def _bone_colours(skeleton: Skeleton) -> List[str]:
    """Colour of the bone from each non-root joint to its parent, by the joint's side."""
    left, right = set(skeleton.joints_left), set(skeleton.joints_right)
    return [_LEFT if j in left else _RIGHT if j in right else _CENTRE
            for j in range(skeleton.num_joints)]


def _short(name: str) -> str:
    return name.replace('left_', 'L ').replace('right_', 'R ').replace('_', ' ')


# --------------------------------------------------------------------------
# Animation.


def _draw_floor_and_camera(ax, plot_3d: np.ndarray, root: int, centre: np.ndarray,
                           radius: float) -> None:
    """A floor grid at the lowest joint of the clip with each track's root path on it, and the
    camera: a pyramid at the origin looking along the depth axis (plot axes: x, depth, up;
    ``plot_3d`` ``(tracks, frames, joints, 3)``)."""
    floor = float(np.nanmin(plot_3d[..., 2]))
    for track in plot_3d:
        ax.plot(track[:, root, 0], track[:, root, 1], np.full(len(track), floor),
                color='tab:green', lw=1.2)
    ticks = np.linspace(-radius, radius, 9)
    for offset in ticks:
        ax.plot(centre[0] + [-radius, radius], [centre[1] + offset] * 2, [floor] * 2,
                color='0.8', lw=0.8)
        ax.plot([centre[0] + offset] * 2, centre[1] + [-radius, radius], [floor] * 2,
                color='0.8', lw=0.8)
    size = radius * 0.12
    corners = np.array([[-1, 2, -0.75], [1, 2, -0.75], [1, 2, 0.75], [-1, 2, 0.75]]) * size
    for a, b in zip(corners, np.roll(corners, 1, axis=0)):
        ax.plot([a[0], b[0]], [a[1], b[1]], [a[2], b[2]], color='k', lw=1.2)
    for corner in corners:
        ax.plot([0, corner[0]], [0, corner[1]], [0, corner[2]], color='k', lw=1.2)
    ax.text(0, 0, size * 1.5, 'camera', fontsize=7)


def _axes_3d(figure, position: int, panels: int, centre: np.ndarray, radius: float,
             title: str):
    from matplotlib.ticker import MaxNLocator
    ax = figure.add_subplot(1, panels, position, projection='3d')
    ax.set_xlim(centre[0] - radius, centre[0] + radius)
    ax.set_ylim(centre[1] - radius, centre[1] + radius)
    ax.set_zlim(centre[2] - radius, centre[2] + radius)
    ax.set_box_aspect((1, 1, 1))
    ax.view_init(elev=15.0, azim=-70.0)
    ax.set_xlabel('x')
    ax.set_ylabel('depth')
    ax.set_zlabel('up')
    ax.set_title(title, fontsize=10)
    for axis in (ax.xaxis, ax.yaxis, ax.zaxis):
        axis.set_major_locator(MaxNLocator(5))
    ax.tick_params(labelsize=7)
    return ax


def render_animation(
    path: PathLike,
    keypoints_2d: np.ndarray,
    poses_3d: np.ndarray,
    skeleton: Skeleton,
    image_size: Optional[Tuple[int, int]] = None,
    frame_indices: Optional[np.ndarray] = None,
    fps: float = 25.0,
    dpi: int = 80,
    progress: bool = False,
    camera_space: bool = False,
    track_ids: Optional[Sequence[int]] = None,
) -> Path:
    """Write an animation of every track's 2D input ``(tracks, T, J, 2)`` (pixels, y down) in
    one panel beside its 3D poses ``(tracks, T, J, 3)`` (camera axes: x right, y down, z away
    from the camera; drawn with the camera's up as up and its depth going into the picture),
    one panel per track, to ``path`` (``.gif`` or ``.mp4``). NaN where a track is absent; one
    track may also be given as ``(T, J, 2)`` and ``(T, J, 3)``. ``track_ids`` label the tracks
    (default 0, 1, ...). With ``camera_space`` the poses are camera-space joints (a trajectory
    model's, metres): one panel shows every track's motion through space, with the camera (a
    pyramid at the origin looking along the depth axis) and the floor (a grid at the lowest
    joint of the clip, each root's path on it).

    Left joints and bones are blue, right ones red, the others grey; each track's id is written
    above its 2D skeleton. The 3D axes span the largest extent over the whole clip, so the scale
    is the same in every frame. With ``progress``, a progress bar counts the frames drawn (on a
    terminal only).
    """
    path = Path(path)
    check_writer(path.suffix)
    _, animation, _, _ = _matplotlib()
    keypoints_2d = np.asarray(keypoints_2d, dtype=np.float64)
    poses_3d = np.asarray(poses_3d, dtype=np.float64)
    if poses_3d.ndim == 3:
        keypoints_2d, poses_3d = keypoints_2d[None], poses_3d[None]
    tracks, frames = poses_3d.shape[:2]
    if keypoints_2d.shape[:3] != poses_3d.shape[:3] or poses_3d.shape[2] != skeleton.num_joints:
        raise GastPygError(f"2D {keypoints_2d.shape} and 3D {poses_3d.shape} poses do not match "
                           f"each other and skeleton '{skeleton.name}'")
    track_ids = list(range(tracks)) if track_ids is None else [int(i) for i in track_ids]
    frame_indices = np.arange(frames) if frame_indices is None else np.asarray(frame_indices)
    if image_size is None:
        image_size = tuple(float(v) for v in np.nanmax(keypoints_2d, axis=(0, 1, 2)))
    # Camera axes -> plot axes: x stays, depth z goes into the picture, up is -y.
    plot_3d = np.stack([poses_3d[..., 0], poses_3d[..., 2], -poses_3d[..., 1]], axis=-1)
    if camera_space:
        # The scene: the motion and the camera at the origin, in one cube.
        low = np.minimum(np.nanmin(plot_3d, axis=(0, 1, 2)), 0.0)
        high = np.maximum(np.nanmax(plot_3d, axis=(0, 1, 2)), 0.0)
        centre_3d = (low + high) / 2
        radius = max(float((high - low).max()) / 2, 1e-3) * 1.1
    else:
        centre_3d = np.zeros(3)
        radius = max(float(np.nanmax(np.abs(plot_3d))), 1e-3) * 1.05

    # The 2D view: the region the people cover over the clip (with a margin), inside the image.
    low = np.nanmin(keypoints_2d, axis=(0, 1, 2))
    high = np.nanmax(keypoints_2d, axis=(0, 1, 2))
    centre, half = (low + high) / 2, max(float((high - low).max()) / 2 * 1.15, 1.0)
    x_range = (max(0.0, centre[0] - half), min(float(image_size[0]), centre[0] + half))
    y_range = (max(0.0, centre[1] - half), min(float(image_size[1]), centre[1] + half))

    panels = 2 if camera_space else 1 + tracks
    figure = _figure(5 * panels, 5, dpi)
    ax2d = figure.add_subplot(1, panels, 1)
    ax2d.set_xlim(*x_range)
    ax2d.set_ylim(y_range[1], y_range[0])
    ax2d.set_aspect('equal')
    ax2d.tick_params(labelsize=7)
    if camera_space:
        scene = _axes_3d(figure, 2, panels, centre_3d, radius, '3D, camera space (m)')
        _draw_floor_and_camera(scene, plot_3d, skeleton.root, centre_3d, radius)
        axes_3d = [scene] * tracks
    else:
        axes_3d = [_axes_3d(figure, 2 + p, panels, centre_3d, radius,
                            f'track {track_ids[p]}: 3D, root-relative') for p in range(tracks)]
    colours = _bone_colours(skeleton)
    bones = skeleton.bones
    lines_2d = [[ax2d.plot([], [], lw=2.5, color=colours[j])[0] for j, _ in bones]
                for _ in range(tracks)]
    lines_3d = [[ax.plot([], [], [], lw=2.5, color=colours[j])[0] for j, _ in bones]
                for ax in axes_3d]
    points_2d = ax2d.scatter(*keypoints_2d[:, 0].reshape(-1, 2).T, s=12, c=colours * tracks,
                             zorder=3)
    labels = [ax2d.text(0, 0, str(i), fontsize=9, color='k', ha='left', va='bottom')
              for i in track_ids]
    title = ax2d.title
    heading = f'(pixels, image {image_size[0]:.0f}x{image_size[1]:.0f})'
    figure.subplots_adjust(left=0.07 / panels * 2, right=1 - 0.03 / panels * 2, bottom=0.08,
                           top=0.9, wspace=0.12)

    def draw(t: int):
        for p in range(tracks):
            for line, (j, q) in zip(lines_2d[p], bones):
                line.set_data(keypoints_2d[p, t, [j, q], 0], keypoints_2d[p, t, [j, q], 1])
            for line, (j, q) in zip(lines_3d[p], bones):
                line.set_data_3d(plot_3d[p, t, [j, q], 0], plot_3d[p, t, [j, q], 1],
                                 plot_3d[p, t, [j, q], 2])
            present = np.isfinite(keypoints_2d[p, t]).all()
            labels[p].set_visible(bool(present))
            if present:
                labels[p].set_position(keypoints_2d[p, t].min(0) - [0, 0.02 * half])
        points_2d.set_offsets(keypoints_2d[:, t].reshape(-1, 2))
        title.set_text(f'frame {int(frame_indices[t])}: 2D input {heading}')
        return [*sum(lines_2d, []), *sum(lines_3d, []), points_2d, *labels, title]

    from tqdm.auto import tqdm
    with tqdm(total=frames, desc=f'render {path.suffix[1:]}', unit='frame', leave=False,
              disable=None if progress else True) as bar:
        with staged_outputs() as staging:
            if path.suffix.lower() == '.gif':
                movie = animation.FuncAnimation(figure, draw, frames=frames,
                                                interval=1000.0 / fps, blit=False)
                movie.save(str(staging.stage(path)), writer=animation.PillowWriter(fps=fps),
                           dpi=dpi, progress_callback=lambda done, total: bar.update(1))
            else:
                from gast_pyg.video.encoding import write_mp4

                def pictures():
                    for t in range(frames):
                        draw(t)
                        figure.canvas.draw()
                        bar.update(1)
                        yield np.asarray(figure.canvas.buffer_rgba())[..., :3]
                write_mp4(staging.stage(path), pictures(), fps)
    return path


# --------------------------------------------------------------------------
# Attention read from a model.


def _dense(edge_index: torch.Tensor, values: torch.Tensor, num_nodes: int) -> np.ndarray:
    """``values`` ``(..., E)`` at the edges as ``(..., N, N)`` ``[target, source]``, NaN off
    the graph."""
    out = torch.full((*values.shape[:-1], num_nodes, num_nodes), float('nan'), dtype=values.dtype)
    out[..., edge_index[1], edge_index[0]] = values
    return out.numpy()


def local_attention_matrices(model: LiftingModel) -> List[Dict[str, np.ndarray]]:
    """Per graph attention block, ``{graph name: (J, J)}``: the local branch's edge weights
    averaged over channels, ``[target, source]``, NaN where the graph has no edge."""
    out = []
    for block in _blocks(model):
        matrices = {}
        if block.local is not None:
            for name, conv in block.local.convs.items():
                with torch.no_grad():
                    weights = conv.edge_weights().mean(-1)
                matrices[name] = _dense(conv.edge_index, weights, conv.num_nodes)
        out.append(matrices)
    return out


def adaptive_matrices(model: LiftingModel) -> List[Optional[np.ndarray]]:
    """Per block, ``C_k`` ``(heads, J, J)`` ``[target, source]`` (``None`` without it)."""
    return [None if block.glob is None or block.glob.adaptive is None
            else block.glob.adaptive.detach().cpu().numpy().copy() for block in _blocks(model)]


def _blocks(model: LiftingModel):
    blocks = getattr(model, 'blocks', None)
    if blocks is None:
        raise GastPygError(f"{model.__class__.__name__} has no graph attention blocks "
                           f"(attention figures need a GAST-Net)")
    return list(blocks)


def global_attention(model: LiftingModel, keypoints_2d: np.ndarray,
                     frames: Sequence[int]) -> List[Optional[np.ndarray]]:
    """``B_k`` of every block at the given frames of a normalised sequence ``(T, J, 2)``:
    per block ``(len(frames), heads, J, J)`` ``[target, source]`` (``None`` without ``B_k``).

    Frame ``t`` is lifted from its own receptive-field window of the edge-padded sequence (the
    strided single-window form); each block's activation aligned with ``t`` is taken: the centre
    of the block's frames, or the last one for causal models. The windows go through
    :func:`~gast_pyg.lifting.lift_batch`, not :func:`~gast_pyg.lifting.lift_sequence`: a figure
    needs each block's input at a few chosen frames, which one window per frame gives directly,
    while the whole-sequence pass runs in time chunks and shifts each block's frames by its own
    offset.
    """
    blocks = _blocks(model)
    rf = model.receptive_field
    inputs = sequence_inputs(np.asarray(keypoints_2d, dtype=np.float32), rf, model.causal)
    frames = [int(t) for t in frames]
    if not frames or min(frames) < 0 or max(frames) >= inputs.size(1) - rf + 1:
        raise GastPygError(f"frames must lie in 0..{inputs.size(1) - rf}, got {frames}")
    windows = torch.cat([inputs[:, t:t + rf] for t in frames])
    captured: Dict[int, torch.Tensor] = {}
    handles = []
    for i, block in enumerate(blocks):
        if block.glob is not None:
            handles.append(block.glob.register_forward_pre_hook(
                lambda module, args, i=i: captured.__setitem__(i, args[0].detach().clone())))
    try:
        lift_batch(model, windows)
        with torch.inference_mode():
            out: List[Optional[np.ndarray]] = []
            for i, block in enumerate(blocks):
                if i not in captured or not block.glob.attention:
                    out.append(None)
                    continue
                x = captured[i]
                aligned = x.size(1) - 1 if model.causal else x.size(1) // 2
                _, (edge_index, alpha) = block.glob(x[:, aligned], return_attention_weights=True)
                # alpha (frames, E, heads) -> (frames, heads, J, J)
                out.append(_dense(edge_index.cpu(), alpha.transpose(-1, -2).cpu(),
                                  block.glob.num_nodes))
    finally:
        for handle in handles:
            handle.remove()
    return out


# --------------------------------------------------------------------------
# Figures.


def _save(figure, path: PathLike) -> Path:
    with atomic_write(path) as file:
        figure.savefig(file, dpi=figure.dpi, format='png')
    return Path(path)


def _matrix_axes(ax, matrix: np.ndarray, names: Sequence[str], title: str, cmap: str,
                 vmin: float, vmax: float, figure, labels: bool):
    image = ax.imshow(np.ma.masked_invalid(matrix), cmap=cmap, vmin=vmin, vmax=vmax)
    ax.set_facecolor('#eeeeee')
    ax.set_title(title, fontsize=9)
    ticks = np.arange(len(names))
    ax.set_xticks(ticks)
    ax.set_yticks(ticks)
    ax.set_xticklabels([_short(n) for n in names] if labels else [], rotation=90, fontsize=6)
    ax.set_yticklabels([_short(n) for n in names], fontsize=6)
    figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return image


def plot_local_attention(model: LiftingModel, path: PathLike) -> Path:
    """Fig. 5: the local branch's symmetric and connection weight matrices of every block,
    averaged over channels (rows: aggregating joint, columns: source joint)."""
    matrices = local_attention_matrices(model)
    graphs = sorted({name for m in matrices for name in m})
    if not graphs:
        raise GastPygError("the model has no local attention branch")
    names = model.skeleton.joint_names
    figure = _figure(4.6 * len(graphs), 4.2 * len(matrices), 100)
    for i, blockwise in enumerate(matrices):
        for g, name in enumerate(graphs):
            ax = figure.add_subplot(len(matrices), len(graphs), i * len(graphs) + g + 1)
            if name not in blockwise:
                ax.set_axis_off()
                continue
            _matrix_axes(ax, blockwise[name], names, f'block {i}: {name} graph (mean over '
                         f'{_blocks(model)[i].in_channels} channels)', 'viridis', 0.0,
                         float(np.nanmax(blockwise[name])), figure, labels=True)
            ax.set_xlabel('source joint', fontsize=7)
            ax.set_ylabel('aggregating joint', fontsize=7)
    figure.suptitle('Local attention (GAST-Net Fig. 5): learned edge weights, rows sum to 1')
    figure.tight_layout()
    return _save(figure, path)


def plot_adaptive_matrices(model: LiftingModel, path: PathLike) -> Path:
    """Fig. 8: ``C_k`` of every block (rows) and head (columns), colour scale centred at 0."""
    matrices = adaptive_matrices(model)
    present = [m for m in matrices if m is not None]
    if not present:
        raise GastPygError("the model has no adaptive matrices C_k")
    heads = max(m.shape[0] for m in present)
    names = model.skeleton.joint_names
    figure = _figure(3.6 * heads, 3.4 * len(matrices), 100)
    for i, stack in enumerate(matrices):
        limit = float(np.abs(stack).max()) if stack is not None else 1.0
        limit = limit if limit > 0 else 1.0
        for k in range(heads):
            ax = figure.add_subplot(len(matrices), heads, i * heads + k + 1)
            if stack is None or k >= stack.shape[0]:
                ax.set_axis_off()
                continue
            _matrix_axes(ax, stack[k], names, f'block {i}, head {k}: $C_{{{k}}}$', 'RdBu_r',
                         -limit, limit, figure, labels=(i == len(matrices) - 1))
    figure.suptitle('Adaptive matrices $C_k$ (GAST-Net Fig. 8): rows aggregate from columns')
    figure.tight_layout()
    return _save(figure, path)


def plot_global_attention(model: LiftingModel, keypoints_2d: np.ndarray, pixels: np.ndarray,
                          joint: str, path: PathLike, frames: Sequence[int],
                          frame_indices: Optional[np.ndarray] = None) -> Path:
    """Fig. 7: the row of ``B_k`` (mean over heads) of ``joint`` at ``frames`` for every block,
    drawn on the 2D skeleton of each frame (``pixels`` ``(T, J, 2)``)."""
    names = model.skeleton.joint_names
    if joint not in names:
        raise GastPygError(f"unknown joint {joint!r}; skeleton '{model.skeleton.name}' has "
                           f"{', '.join(names)}")
    target = names.index(joint)
    attention = global_attention(model, keypoints_2d, frames)
    rows = [(i, a) for i, a in enumerate(attention) if a is not None]
    if not rows:
        raise GastPygError("the model has no data-dependent global attention B_k")
    frame_indices = np.arange(len(pixels)) if frame_indices is None else frame_indices
    skeleton = model.skeleton
    figure = _figure(3.0 * len(frames) + 1.0, 3.4 * len(rows), 100)
    grid = figure.add_gridspec(len(rows), len(frames) + 1, width_ratios=[1] * len(frames) + [0.08])
    vmax = max(float(a[:, :, target].mean(1).max()) for _, a in rows)
    scatter = None
    for r, (i, a) in enumerate(rows):
        weights = a[:, :, target].mean(1)  # (frames, J): B(joint <- j), mean over heads
        for c, t in enumerate(frames):
            ax = figure.add_subplot(grid[r, c])
            pose = pixels[t]
            for j, p in skeleton.bones:
                ax.plot(pose[[j, p], 0], pose[[j, p], 1], color='#b0b0b0', lw=2, zorder=1)
            scatter = ax.scatter(pose[:, 0], pose[:, 1], s=30 + 900 * weights[c] / vmax,
                                 c=weights[c], cmap='magma_r', vmin=0, vmax=vmax, zorder=2,
                                 edgecolors='k', linewidths=0.4)
            ax.scatter(pose[target, 0], pose[target, 1], s=260, facecolors='none',
                       edgecolors='#00a000', linewidths=2, zorder=3)
            top = int(np.argmax(weights[c]))
            ax.set_title(f'block {i}, frame {int(frame_indices[t])}\nmost: {_short(names[top])} '
                         f'({weights[c, top]:.2f})', fontsize=8)
            ax.set_aspect('equal')
            ax.margins(0.15)
            ax.invert_yaxis()
            ax.set_xticks([])
            ax.set_yticks([])
    figure.colorbar(scatter, cax=figure.add_subplot(grid[:, -1]), label=f'B_k({_short(joint)}, j)')
    figure.suptitle(f'Global attention of {_short(joint)} (GAST-Net Fig. 7): its row of B_k, '
                    f'mean over heads (ring: {_short(joint)})')
    figure.tight_layout()
    return _save(figure, path)


#: Most frames of Fig. 7 (one panel each; the figure grows 3 inches per panel).
MAX_ATTENTION_FRAMES = 16


def attention_figure_paths(output_dir: PathLike, joint: str) -> List[Path]:
    """The files :func:`attention_figures` writes into ``output_dir`` for ``joint``."""
    output_dir = Path(output_dir)
    return [output_dir / 'fig5_local_attention.png',
            output_dir / f'fig7_global_attention_{safe_filename(joint)}.png',
            output_dir / 'fig8_adaptive_matrices.png']


def attention_figures(model: LiftingModel, prepared, joint: str, output_dir: PathLike,
                      frames: int = 4, staging=None) -> List[Path]:
    """Write ``fig5_local_attention.png``, ``fig7_global_attention_<joint>.png`` and
    ``fig8_adaptive_matrices.png`` to ``output_dir`` for the keypoints ``prepared``
    (:class:`~gast_pyg.keypoints.PreparedKeypoints`), at ``frames`` evenly spaced frames
    (1 to :data:`MAX_ATTENTION_FRAMES`)."""
    if not 1 <= frames <= MAX_ATTENTION_FRAMES:
        raise GastPygError(f'frames: expected 1 to {MAX_ATTENTION_FRAMES} panels of Fig. 7, '
                         f'got {frames}')
    output_dir = Path(output_dir)
    total = len(prepared.normalized)
    count = max(1, min(frames, total))
    chosen = np.unique(np.linspace(0, total - 1, num=count).round().astype(int))
    targets = attention_figure_paths(output_dir, joint)
    if joint not in model.skeleton.joint_names:
        raise GastPygError(f"unknown joint {joint!r}; skeleton '{model.skeleton.name}' has "
                           f"{', '.join(model.skeleton.joint_names)}")

    def where(target: Path) -> Path:
        return staging.stage(target) if staging is not None else target

    output_dir.mkdir(parents=True, exist_ok=True)
    plot_local_attention(model, where(targets[0]))
    plot_global_attention(model, prepared.normalized, prepared.pixels, joint, where(targets[1]),
                          list(chosen), prepared.frame_indices)
    plot_adaptive_matrices(model, where(targets[2]))
    return targets
