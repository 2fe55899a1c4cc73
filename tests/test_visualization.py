"""Pictures: attention read from the layers, the animation and the figures (viz extra)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

pytest.importorskip('matplotlib', reason='the viz extra (matplotlib) is not installed')
from PIL import Image  # noqa: E402  (comes with matplotlib)

from gast_pyg import build_model, save_checkpoint  # noqa: E402
from gast_pyg.cli import main  # noqa: E402
from gast_pyg.data import sequence_inputs  # noqa: E402
from gast_pyg.visualization import (  # noqa: E402
    adaptive_matrices,
    check_writer,
    global_attention,
    local_attention_matrices,
    render_animation,
)


def tiny(causal=False, arch='gast'):
    torch.manual_seed(0)
    model = build_model(receptive_field=9, channels=8, causal=causal, arch=arch)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    return model.eval()


def sequence(frames=14, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(scale=0.3, size=(1, 17, 2))
            + np.cumsum(rng.normal(scale=0.03, size=(frames, 17, 2)), 0)).astype(np.float32)


def test_local_matrices_are_the_layer_edge_weights():
    model = tiny()
    matrices = local_attention_matrices(model)
    assert len(matrices) == len(model.blocks) == 2
    for block, blockwise in zip(model.blocks, matrices):
        assert set(blockwise) == {'symmetric', 'connection'}
        for name, matrix in blockwise.items():
            conv = block.local.convs[name]
            src, dst = conv.edge_index
            on_graph = np.zeros((17, 17), bool)
            on_graph[dst, src] = True
            np.testing.assert_array_equal(np.isfinite(matrix), on_graph)
            expected = conv.edge_weights().mean(-1).detach().numpy()
            np.testing.assert_allclose(matrix[dst, src], expected, rtol=1e-6)
            np.testing.assert_allclose(np.nansum(matrix, 1), 1.0, rtol=1e-5)
            assert np.nanstd(matrix) > 1e-3  # perturbed weights: not uniform


def test_adaptive_matrices_are_the_parameters():
    model = tiny()
    for block, matrix in zip(model.blocks, adaptive_matrices(model)):
        np.testing.assert_array_equal(matrix, block.glob.adaptive.detach().numpy())


@pytest.mark.parametrize('causal', [False, True])
def test_global_attention_is_aligned_with_the_frame(causal):
    """B_k from each frame's own window equals B_k of the whole-sequence run at the block
    activation aligned with that frame (centre / last frame of its receptive field)."""
    model = tiny(causal=causal)
    seq = sequence()
    frames = [0, 5, 13]
    attention = global_attention(model, seq, frames)

    captured = {}
    handles = [block.glob.register_forward_pre_hook(
        lambda m, args, i=i: captured.__setitem__(i, args[0].clone()))
        for i, block in enumerate(model.blocks)]
    model.chunk_frames = 0
    with torch.no_grad():
        model(sequence_inputs(seq, 9, causal))
    for handle in handles:
        handle.remove()
    rf, lost = 9, [2, 8]  # frames lost before block 0 (expand conv) and block 1
    for i, block in enumerate(model.blocks):
        assert attention[i].shape == (3, block.glob.heads, 17, 17)
        np.testing.assert_allclose(attention[i].sum(-1), 1.0, rtol=1e-5)
        for k, t in enumerate(frames):
            s = t + (rf - 1) - lost[i] if causal else t + rf // 2 - lost[i] // 2
            with torch.no_grad():
                _, (edge_index, alpha) = block.glob(captured[i][:, s],
                                                    return_attention_weights=True)
            dense = np.zeros((block.glob.heads, 17, 17), np.float32)
            dense[:, edge_index[1], edge_index[0]] = alpha[0].t().numpy()
            np.testing.assert_allclose(attention[i][k], dense, atol=1e-5)
    with pytest.raises(ValueError, match='frames must lie in 0..13'):
        global_attention(model, seq, [14])


def test_global_attention_follows_the_model_dtype_and_mode():
    """The windows go to the model's dtype (float64 weights, float32 keypoints) and the model
    is switched to eval mode (dropout off), as for a whole sequence."""
    seq, frames = sequence(), [0, 7]
    expected = global_attention(tiny(), seq, frames)
    model = tiny().double().train()
    got = global_attention(model, seq, frames)
    assert not model.training
    for single, double in zip(expected, got):
        assert double.dtype == np.float64
        np.testing.assert_allclose(double, single, atol=1e-5)


def test_animation_gif_has_a_frame_per_pose(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.uniform(100, 400, size=(4, 17, 2))
    poses = rng.normal(scale=0.3, size=(4, 17, 3))
    model = tiny()
    path = render_animation(tmp_path / 'a.gif', pixels, poses, model.skeleton,
                            image_size=(640, 480), frame_indices=np.arange(10, 14), fps=5)
    with Image.open(path) as gif:
        assert gif.n_frames == 4 and gif.size == (800, 400)
        gif.seek(2)
        rgb = np.asarray(gif.convert('RGB')).astype(int)
    blue = (np.abs(rgb - [31, 119, 180]).sum(-1) < 60).sum()
    red = (np.abs(rgb - [214, 39, 40]).sum(-1) < 60).sum()
    assert blue > 100 and red > 100  # left and right limbs are drawn in 2D and 3D
    with pytest.raises(ValueError, match='do not match'):
        render_animation(tmp_path / 'b.gif', pixels[:3], poses, model.skeleton)


def two_tracks(frames=6):
    """Track 4 in every frame, track 9 from frame 2 on, 300 px to its right (NaN before)."""
    rng = np.random.default_rng(2)
    pixels = np.repeat(rng.uniform(100, 300, size=(1, 1, 17, 2)), frames, axis=1)
    pixels = np.concatenate([pixels, pixels + [300, 0]])
    poses = rng.normal(scale=0.3, size=(2, frames, 17, 3))
    pixels[1, :2] = poses[1, :2] = np.nan
    return pixels, poses


def test_animation_draws_every_track(tmp_path):
    pixels, poses = two_tracks()
    path = render_animation(tmp_path / 'two.gif', pixels, poses, tiny().skeleton,
                            image_size=(640, 480), track_ids=[4, 9], fps=5)
    with Image.open(path) as gif:
        assert gif.n_frames == 6 and gif.size == (1200, 400)  # 2D panel + one 3D panel each
        pictures = []
        for t in (0, 4):
            gif.seek(t)
            pictures.append(np.asarray(gif.convert('RGB')).astype(int))
    for t, rgb in zip((0, 4), pictures):
        drawn = [(np.abs(rgb[:, x0:x0 + 400] - [214, 39, 40]).sum(-1) < 60).sum()
                 for x0 in (0, 400, 800)]
        assert drawn[0] > 100 and drawn[1] > 100  # track 4: 2D and its 3D panel
        assert (drawn[2] > 100) == (t == 4)  # track 9's panel is empty while it is absent
    columns = (np.abs(pictures[1][:, :400] - [214, 39, 40]).sum(-1) < 60).nonzero()[1]
    assert np.ptp(columns) > 120  # frame 4: the red 2D limbs of both people, 300 px apart


def test_mp4_through_pyav(tmp_path):
    av = pytest.importorskip('av')
    check_writer('.mp4')
    pixels, poses = two_tracks(frames=5)
    render_animation(tmp_path / 'two.mp4', pixels, poses, tiny().skeleton,
                     image_size=(640, 480), track_ids=[4, 9], fps=10, camera_space=False)
    with av.open(str(tmp_path / 'two.mp4')) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == 'h264' and stream.average_rate == 10
        assert (stream.width, stream.height) == (1200, 400)
        frames = [f.to_ndarray(format='rgb24') for f in container.decode(stream)]
    assert len(frames) == 5
    red = (np.abs(frames[4][:, 800:].astype(int) - [214, 39, 40]).sum(-1) < 80).sum()
    assert red > 50  # track 9's 3D skeleton


def test_mp4_without_pyav_names_the_extra(monkeypatch):
    monkeypatch.setitem(__import__('sys').modules, 'av', None)
    with pytest.raises(ValueError, match=r"needs the 'video' extra.*av is missing"):
        check_writer('.mp4')


@pytest.fixture(scope='module')
def inputs(tmp_path_factory):
    folder = tmp_path_factory.mktemp('viz')
    rng = np.random.default_rng(1)
    coco = rng.uniform(100, 500, size=(1, 17, 2)) + np.cumsum(rng.normal(size=(20, 17, 2)), 0)
    np.save(folder / 'k.npy', coco)
    return folder / 'k.npy', save_checkpoint(folder / 'm.pt', tiny())


def test_plot_attention_writes_the_three_figures(tmp_path, inputs, capsys):
    keypoints, checkpoint = inputs
    out = tmp_path / 'figs'
    assert main(['plot-attention', '--checkpoint', str(checkpoint), '--keypoints',
                 str(keypoints), '--joint', 'right_ankle', '--width', '640', '--height', '640',
                 '--frames', '3', '--output-dir', str(out)]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ['fig5_local_attention.png', 'fig7_global_attention_right_ankle.png',
                     'fig8_adaptive_matrices.png']
    sizes = {}
    for name in names:
        with Image.open(out / name) as image:
            assert image.format == 'PNG'
            sizes[name] = image.size
            assert len(np.unique(np.asarray(image.convert('L')))) > 20  # not blank
    fig7, fig8 = sizes['fig7_global_attention_right_ankle.png'], sizes['fig8_adaptive_matrices.png']
    assert fig7[0] > fig8[1]
    assert str(out / 'fig8_adaptive_matrices.png') in capsys.readouterr().out


def test_plot_attention_errors(tmp_path, inputs, capsys):
    keypoints, checkpoint = inputs
    out = tmp_path / 'figs'
    args = ['plot-attention', '--checkpoint', str(checkpoint), '--keypoints', str(keypoints),
            '--width', '640', '--height', '640', '--output-dir', str(out)]
    assert main(args + ['--joint', 'tail']) == 2
    err = capsys.readouterr().err
    assert "unknown joint 'tail'" in err and 'right_ankle' in err
    assert not out.exists() or not any(out.iterdir())
    tcn = save_checkpoint(tmp_path / 'tcn.pt', tiny(arch='tcn'))
    args[2] = str(tcn)
    assert main(args) == 2
    assert 'has no graph attention blocks' in capsys.readouterr().err
    assert not any(out.iterdir())


def test_infer_renders_a_gif_beside_the_npz(tmp_path, inputs, capsys):
    keypoints, checkpoint = inputs
    assert main(['infer', '--keypoints', str(keypoints), '--checkpoint', str(checkpoint),
                 '--width', '640', '--height', '640', '--output', str(tmp_path / 'o.npz'),
                 '--render', str(tmp_path / 'o.gif'), '--fps', '10']) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ['o.gif', 'o.npz']
    with Image.open(tmp_path / 'o.gif') as gif:
        assert gif.n_frames == 20
