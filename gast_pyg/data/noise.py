"""The 2D noise model of ``--noise-2d``: detector-like jitter with rare outliers, in pixels."""
from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ['NOISE_OUTLIER_RATE', 'NOISE_OUTLIER_SCALE', 'add_noise_2d']

#: Noise model of ``--noise-2d``: the fraction of keypoints that are outliers ...
NOISE_OUTLIER_RATE = 0.01
#: ... and their displacement std as a multiple of the jitter std.
NOISE_OUTLIER_SCALE = 10.0


def add_noise_2d(
    positions_px: Mapping[str, Mapping[str, Sequence[np.ndarray]]], pixels: float, seed: int = 0
) -> dict[str, dict[str, list[np.ndarray]]]:
    """The ``--noise-2d`` model: pixel keypoints ``(T, J, 2|3)`` with seeded noise added to
    channels 0-1 (a score channel is kept).

    Every keypoint is moved by independent Gaussian jitter of std ``pixels`` per axis, except
    that a fraction :data:`NOISE_OUTLIER_RATE` of them (chosen at random per frame and joint) are
    outliers, moved with std ``NOISE_OUTLIER_SCALE * pixels`` per axis instead (a detector locking
    on the wrong limb). The stream of each sequence is seeded by ``seed`` and its subject, action
    and camera, so the noise does not depend on which other sequences are loaded.
    """
    out: dict[str, dict[str, list[np.ndarray]]] = {}
    for subject, actions in positions_px.items():
        out[subject] = {}
        for action, cameras in actions.items():
            noisy_cameras = []
            for camera, sequence in enumerate(cameras):
                tag = zlib.crc32(f'{subject}\x00{action}\x00{camera}'.encode())
                rng = np.random.default_rng([abs(int(seed)), tag])
                noise = rng.normal(0.0, pixels, size=sequence.shape[:2] + (2,))
                outliers = rng.random(sequence.shape[:2]) < NOISE_OUTLIER_RATE
                noise[outliers] = rng.normal(0.0, NOISE_OUTLIER_SCALE * pixels,
                                             size=(int(outliers.sum()), 2))
                noisy = sequence.copy()
                noisy[..., :2] += noise.astype(sequence.dtype)
                noisy_cameras.append(noisy)
            out[subject][action] = noisy_cameras
    return out
