"""The 2D noise model of ``--noise-2d``: detector-like jitter with rare outliers, in pixels."""
from __future__ import annotations

import zlib
from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ['NOISE_OUTLIER_RATE', 'NOISE_OUTLIER_SCALE', 'sequence_rng', 'add_noise_2d']

#: Noise model of ``--noise-2d``: the fraction of keypoints that are outliers ...
NOISE_OUTLIER_RATE = 0.01
#: ... and their displacement std as a multiple of the jitter std.
NOISE_OUTLIER_SCALE = 10.0


def sequence_rng(seed: int, subject: str, action: str, camera: int) -> np.random.Generator:
    """The random stream of one sequence of a 2D augmentation (``--noise-2d``, ``--augment-2d``):
    seeded by ``seed`` and the sequence's subject, action and camera index, so a sequence's noise
    does not depend on which other sequences are loaded."""
    tag = zlib.crc32(f'{subject}\x00{action}\x00{camera}'.encode())
    return np.random.default_rng([abs(int(seed)), tag])


def add_noise_2d(
    positions_px: Mapping[str, Mapping[str, Sequence[np.ndarray]]], pixels: float, seed: int = 0
) -> dict[str, dict[str, list[np.ndarray]]]:
    """The ``--noise-2d`` model: pixel keypoints ``(T, J, 2|3)`` with seeded noise added to
    channels 0-1 (a score channel is kept).

    Every keypoint is moved by independent Gaussian jitter of std ``pixels`` per axis, except
    that a fraction :data:`NOISE_OUTLIER_RATE` of them (chosen at random per frame and joint) are
    outliers, moved with std ``NOISE_OUTLIER_SCALE * pixels`` per axis instead (a detector locking
    on the wrong limb). Each sequence draws from its own stream (:func:`sequence_rng`).
    """
    out: dict[str, dict[str, list[np.ndarray]]] = {}
    for subject, actions in positions_px.items():
        out[subject] = {}
        for action, cameras in actions.items():
            noisy_cameras = []
            for camera, sequence in enumerate(cameras):
                rng = sequence_rng(seed, subject, action, camera)
                noise = rng.normal(0.0, pixels, size=sequence.shape[:2] + (2,))
                outliers = rng.random(sequence.shape[:2]) < NOISE_OUTLIER_RATE
                noise[outliers] = rng.normal(0.0, NOISE_OUTLIER_SCALE * pixels,
                                             size=(int(outliers.sum()), 2))
                noisy = sequence.copy()
                noisy[..., :2] += noise.astype(sequence.dtype)
                noisy_cameras.append(noisy)
            out[subject][action] = noisy_cameras
    return out
