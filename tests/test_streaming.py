"""StreamingLifter: frame-by-frame output equals the offline causal model."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import SHARED

from gast_pyg import build_model
from gast_pyg.checkpoints import model_from_reference
from gast_pyg.data import sequence_inputs
from gast_pyg.cli import main
from gast_pyg.lifting import lift_sequence
from gast_pyg.models import TrajectoryModel
from gast_pyg.streaming import StreamingLifter, measure_latency

CAUSAL_FIXTURE = SHARED / 'fixtures' / 'gastnet_reference' / 'gastnet_h36m17_rf27_ch16_causal.pt'


def tiny(causal=True, receptive_field=27, arch='gast'):
    torch.manual_seed(0)
    model = build_model(receptive_field=receptive_field, channels=8, causal=causal, arch=arch)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return model.eval()


def stream(frames: int = 45, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (np.cumsum(rng.normal(scale=0.05, size=(frames, 17, 2)), 0)
            + rng.normal(scale=0.3, size=(1, 17, 2))).astype(np.float32)


def offline(model, seq):
    with torch.no_grad():
        return model(sequence_inputs(seq, model.receptive_field, causal=True))[0].numpy()


@pytest.mark.parametrize('flip', [False, True])
@pytest.mark.parametrize('receptive_field', [9, 27])
@pytest.mark.parametrize('arch', ['gast', 'tcn'])
def test_streaming_equals_the_offline_causal_model(arch, receptive_field, flip):
    model = tiny(receptive_field=receptive_field, arch=arch)
    lifter = StreamingLifter(model, flip=flip)
    first, second = stream(100, seed=1), stream(100, seed=2)
    for seq in first, second:  # the second stream after reset(): fresh edge padding
        online = np.stack([lifter.push(frame) for frame in seq])
        expected = lift_sequence(model, seq, flip=flip, root_relative=False)
        assert online.shape == (100, 17, 3) and online.dtype == np.float32
        # Every frame, including the first rf - 1 that see the edge padding.
        np.testing.assert_allclose(online, expected, atol=1e-5, rtol=1e-5)
        assert np.abs(expected).max() > 1e-2  # a non-trivial output
        assert lifter.frames_seen == 100
        np.testing.assert_array_equal(lifter.window[-1].numpy(), seq[-1])
        np.testing.assert_array_equal(lifter.window[0].numpy(), seq[-receptive_field])
        lifter.reset()


def test_a_model_without_stages_streams_by_re_running_the_window():
    model = TrajectoryModel(tiny(receptive_field=9)).eval()
    seq = stream(20, seed=4)
    lifter = StreamingLifter(model, flip=True)
    online = np.stack([lifter.push(frame) for frame in seq])
    expected = lift_sequence(model, seq, flip=True, root_relative=False)
    np.testing.assert_allclose(online, expected, atol=1e-5, rtol=1e-5)


def test_a_stream_differs_from_its_reset_restart():
    """Without reset() the history of the first stream changes the first outputs of the next."""
    model = tiny(receptive_field=9)
    lifter = StreamingLifter(model)
    for frame in stream(20, seed=1):
        lifter.push(frame)
    continued = np.stack([lifter.push(frame) for frame in stream(9, seed=2)])
    assert np.abs(continued - offline(model, stream(9, seed=2))).max() > 1e-3


def test_streaming_a_converted_authors_causal_checkpoint():
    if not CAUSAL_FIXTURE.is_file():
        pytest.skip(f'{CAUSAL_FIXTURE} is absent (../shared is not beside the project)')
    fixture = torch.load(CAUSAL_FIXTURE, weights_only=True)
    model = model_from_reference(fixture['state_dict'], causal=True)
    seq = stream(35, seed=3)
    lifter = StreamingLifter(model)
    online = np.stack([lifter.push(frame) for frame in seq])
    np.testing.assert_allclose(online, offline(model, seq), atol=1e-5, rtol=1e-5)


def test_non_causal_models_are_refused():
    with pytest.raises(ValueError, match='StreamingLifter needs a causal model.*13 future frames'):
        StreamingLifter(tiny(causal=False))


def test_frames_of_the_wrong_shape_are_refused():
    lifter = StreamingLifter(tiny(receptive_field=9))
    with pytest.raises(ValueError, match=r'expected one frame of shape \(17, 2\), got \(16, 2\)'):
        lifter.push(np.zeros((16, 2)))
    with pytest.raises(RuntimeError, match='no frame pushed yet'):
        lifter.window


def test_latency_is_measured(capsys):
    stats = measure_latency(tiny(receptive_field=9), frames=5, warmup=2)
    assert 0 < stats['median'] <= stats['p90'] <= stats['max']
    assert stats['fps'] == pytest.approx(1000 / stats['median'])
    assert 0 < stats['gflop'] < 0.01 and stats['gemm_gflops'] > 0.1
    # One incremental step computes one column per layer: fewer FLOPs than the strided window.
    assert 0 < stats['step_gflop'] < stats['gflop']
    assert stats['speedup'] == pytest.approx(stats['window_median'] / stats['median'])
    assert stats['bound'] == pytest.approx(1000 * stats['gflop'] / stats['gemm_gflops'])
    assert stats['ratio'] == pytest.approx(stats['median'] / stats['bound'])
    args = ['latency', '--random-weights', '--receptive-field', '9', '--channels', '8', '--frames', '3', '--warmup', '1']
    assert main(args) == 0
    out = capsys.readouterr().out
    assert 'ms per frame' in out and 'x the bound' in out and 'window re-run' in out
