"""StreamingLifter: frame-by-frame output equals the offline causal model."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import SHARED

from gast_pyg import build_model, load_reference_checkpoint
from gast_pyg.data import flip_average, sequence_inputs
from gast_pyg.cli import main
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


@pytest.mark.parametrize('arch', ['gast', 'tcn'])
def test_streaming_equals_the_offline_causal_model(arch):
    model = tiny(arch=arch)
    seq = stream()
    lifter = StreamingLifter(model)
    online = np.stack([lifter.push(frame) for frame in seq])
    expected = offline(model, seq)
    assert online.shape == (45, 17, 3) and online.dtype == np.float32
    # Every frame, including the first rf - 1 that see the edge padding.
    np.testing.assert_allclose(online, expected, atol=1e-5, rtol=1e-5)
    assert np.abs(expected).max() > 1e-2  # a non-trivial output
    assert lifter.frames_seen == 45


def test_streaming_a_converted_authors_causal_checkpoint():
    if not CAUSAL_FIXTURE.is_file():
        pytest.skip(f'{CAUSAL_FIXTURE} is absent (../shared is not beside the project)')
    fixture = torch.load(CAUSAL_FIXTURE, weights_only=True)
    model = load_reference_checkpoint(fixture['state_dict'], causal=True)
    seq = stream(35, seed=3)
    lifter = StreamingLifter(model)
    online = np.stack([lifter.push(frame) for frame in seq])
    np.testing.assert_allclose(online, offline(model, seq), atol=1e-5, rtol=1e-5)


def test_flip_streaming_equals_offline_flip_average():
    model = tiny(receptive_field=9)
    seq = stream(20)
    lifter = StreamingLifter(model, flip=True)
    online = np.stack([lifter.push(frame) for frame in seq])
    with torch.no_grad():
        expected = flip_average(model, sequence_inputs(seq, 9, causal=True), model.skeleton)[0]
    np.testing.assert_allclose(online, expected.numpy(), atol=1e-5, rtol=1e-5)


def test_reset_starts_a_new_stream_with_fresh_padding():
    model = tiny(receptive_field=9)
    first, second = stream(12, seed=1), stream(12, seed=2)
    lifter = StreamingLifter(model)
    for frame in first:
        lifter.push(frame)
    lifter.reset()
    again = np.stack([lifter.push(frame) for frame in second])
    np.testing.assert_allclose(again, offline(model, second), atol=1e-5, rtol=1e-5)
    np.testing.assert_array_equal(lifter.window[-1].numpy(), second[-1])
    np.testing.assert_array_equal(lifter.window[0].numpy(), second[-9])


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
    assert stats['bound'] == pytest.approx(1000 * stats['gflop'] / stats['gemm_gflops'])
    assert stats['ratio'] == pytest.approx(stats['median'] / stats['bound'])
    args = ['latency', '--random-weights', '--receptive-field', '9', '--channels', '8', '--frames', '3', '--warmup', '1']
    assert main(args) == 0
    out = capsys.readouterr().out
    assert 'ms per frame' in out and 'x the bound' in out
