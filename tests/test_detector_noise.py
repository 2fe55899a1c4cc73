"""Detector-like 2D augmentation: determinism, size scaling, temporal correlation, gaps."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from gast_pyg.data import ground_truth_2d, image_coordinates, load_h36m_cameras, synthetic_motion
from gast_pyg.detector_noise import (
    COCO_KEYPOINT_SIGMAS,
    DetectorNoise,
    add_detector_noise_2d,
    detector_like_2d,
    detector_sigmas,
)

SIZE = (1000, 1002)
#: Only the noise: no camera change, joint definitions, outliers or gaps.
NOISE_ONLY = DetectorNoise(zoom_range=(1.0, 1.0), crop=False, hip_width_scale=1.0,
                           shoulder_width_scale=1.0, neck_scale=1.0, head_scale=1.0,
                           joint_offset=0.0, outlier_rate=0.0, gap_rate=0.0, quality_spread=1.0)


@pytest.fixture(scope='module')
def clean():
    """Projections of synthetic walking: ``{subject: {action: [camera (T, 17, 2) pixels]}}``."""
    cameras = load_h36m_cameras()
    motion = synthetic_motion(2, 400, seed=1, subjects=('S1', 'S5'))
    return {subject: {action: [image_coordinates(seq, cam.res_w, cam.res_h)
                               for seq, cam in zip(sequences, cameras[subject])]
                      for action, sequences in actions.items()}
            for subject, actions in ground_truth_2d(motion, cameras).items()}, cameras


def _one(clean) -> np.ndarray:
    return clean[0]['S1']['Walking 1'][0]


def test_shapes_dtype_finite_and_scores_kept(clean):
    xy = _one(clean)
    scored = np.concatenate([xy, np.full(xy.shape[:2] + (1,), 0.7, np.float32)], axis=-1)
    out = detector_like_2d(scored, SIZE, seed=3)
    assert out.shape == scored.shape and out.dtype == np.float32
    assert np.isfinite(out).all()
    assert (out[..., 2] == 0.7).all()
    assert not np.allclose(out[..., :2], xy)


def test_same_seed_same_output_other_seed_differs(clean):
    xy = _one(clean)
    first = detector_like_2d(xy, SIZE, seed=5)
    np.testing.assert_array_equal(first, detector_like_2d(xy, SIZE, seed=5))
    np.testing.assert_array_equal(first, detector_like_2d(xy, SIZE, np.random.default_rng(5)))
    assert np.abs(first - detector_like_2d(xy, SIZE, seed=6)).mean() > 1.0


def test_everything_scales_with_the_person_size(clean):
    # Without the crop every step is equivariant to a zoom about the image centre: a person twice
    # as large gets exactly twice the displacement (noise, offsets, outliers and gaps included).
    params = DetectorNoise(crop=False, gap_rate=0.02, outlier_rate=0.02)
    xy = _one(clean).astype(np.float64)
    centre = np.array(SIZE) / 2
    large = centre + 2.0 * (xy - centre)
    small_shift = detector_like_2d(xy, SIZE, 9, params) - centre
    large_shift = detector_like_2d(large, SIZE, 9, params) - centre
    np.testing.assert_allclose(large_shift, 2.0 * small_shift, rtol=1e-9, atol=1e-6)


def test_noise_std_is_sigma_times_person_size(clean):
    xy = np.concatenate([seq for seq in clean[0]['S1']['Walking 1']]).astype(np.float64)
    residual = detector_like_2d(xy, SIZE, 0, NOISE_ONLY) - xy
    extent = xy.max(axis=1) - xy.min(axis=1)
    size = np.sqrt(extent[:, 0] * extent[:, 1])[:, None, None]
    ratio = (residual / size).std(axis=0) / (NOISE_ONLY.noise_scale * detector_sigmas())
    np.testing.assert_allclose(ratio, 1.0, atol=0.15)


def test_noise_is_temporally_correlated(clean):
    xy = np.concatenate([seq for seq in clean[0]['S1']['Walking 1']]).astype(np.float64)

    def lag_one(params: DetectorNoise) -> float:
        r = (detector_like_2d(xy, SIZE, 2, params) - xy).reshape(len(xy), -1)
        r = r - r.mean(axis=0)
        return float((r[1:] * r[:-1]).sum() / (r * r).sum())

    expected = NOISE_ONLY.low_pass_fraction * np.exp(-1.0 / NOISE_ONLY.correlation_frames)
    assert lag_one(NOISE_ONLY) == pytest.approx(expected, abs=0.05)
    white = replace(NOISE_ONLY, low_pass_fraction=0.0)
    assert abs(lag_one(white)) < 0.05


def test_dropped_joints_are_interpolated(clean):
    xy = _one(clean).astype(np.float64)
    params = replace(NOISE_ONLY, noise_scale=0.0, gap_rate=0.02)
    out = detector_like_2d(xy, SIZE, 4, params)
    changed = ~np.isclose(out, xy, atol=1e-9).all(axis=-1)  # (T, J): the filled points
    assert 0.02 < changed.mean() < 0.3
    # A filled point lies on the straight line through its neighbours in time.
    t, j = np.nonzero(changed[1:-1])
    t = t + 1
    inside = changed[t - 1, j] | changed[t + 1, j]
    second = out[t - 1, j] - 2 * out[t, j] + out[t + 1, j]
    assert np.abs(second[inside]).max() < 1e-6


def test_camera_change_keeps_the_person_in_the_image(clean):
    xy = _one(clean)
    for seed in range(10):
        out = detector_like_2d(xy, SIZE, seed, DetectorNoise(noise_scale=0.0, outlier_rate=0.0,
                                                             joint_offset=0.0))
        assert out.min() >= -1.0 and (out.max(axis=(0, 1)) <= np.array(SIZE) + 1.0).all()
    heights = [np.ptp(detector_like_2d(xy, SIZE, seed)[..., 1], axis=1).mean()
               for seed in range(10)]
    assert max(heights) / min(heights) > 1.3


def test_sigmas_of_copied_and_derived_joints():
    sigmas = detector_sigmas('h36m')
    assert sigmas.shape == (17, 2)
    np.testing.assert_allclose(sigmas[1], COCO_KEYPOINT_SIGMAS[12])  # right hip
    np.testing.assert_allclose(sigmas[0], COCO_KEYPOINT_SIGMAS[11] / np.sqrt(2))  # mid hips
    np.testing.assert_allclose(sigmas[10, 1], np.sqrt(2 * 0.025 ** 2 + 0.026 ** 2))  # head y
    with pytest.raises(ValueError, match="Human3.6M-17 joints.*'humaneva'"):
        detector_sigmas('humaneva')


def test_hook_covers_every_sequence_and_does_not_depend_on_the_others(clean):
    positions, cameras = clean
    out = add_detector_noise_2d(positions, cameras, seed=7)
    assert {s: {a: len(c) for a, c in acts.items()} for s, acts in out.items()} == \
        {s: {a: len(c) for a, c in acts.items()} for s, acts in positions.items()}
    alone = add_detector_noise_2d({'S5': positions['S5']}, cameras, seed=7)
    np.testing.assert_array_equal(alone['S5']['Walking 2'][3], out['S5']['Walking 2'][3])
    assert not np.array_equal(out['S1']['Walking 1'][0], out['S1']['Walking 1'][1])


@pytest.mark.parametrize('field, value, message', [
    ('low_pass_fraction', 1.5, 'low_pass_fraction must be in \\[0, 1\\]'),
    ('noise_scale', -1.0, 'noise_scale must be >= 0'),
    ('zoom_range', (2.0, 1.0), 'zoom_range must be'),
])
def test_bad_parameters_are_named(field, value, message):
    with pytest.raises(ValueError, match=message):
        DetectorNoise(**{field: value})


def test_bad_input_is_refused(clean):
    xy = _one(clean).copy()
    with pytest.raises(ValueError, match=r'shape \(frames > 0, 17, 2\|3\)'):
        detector_like_2d(xy[:, :15], SIZE)
    xy[3, 2] = np.nan
    with pytest.raises(ValueError, match='finite'):
        detector_like_2d(xy, SIZE)
