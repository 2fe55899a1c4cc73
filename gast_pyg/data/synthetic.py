"""A small synthetic walking dataset in the format of Human3.6M ``positions_3d``.

For smoke tests and end-to-end demos without the real data: a kinematic 17-joint body with
constant bone lengths, driven by smooth periodic joint angles, walks along an ellipse in the part
of the Human3.6M capture area that every camera sees.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from gast_pyg.data.datasets import DataError
from gast_pyg.skeleton import Skeleton

__all__ = ['synthetic_motion']

FPS = 50

# Bone lengths in metres (those of the standard Human3.6M skeleton, rounded).
_HIP, _THIGH, _SHIN = 0.133, 0.443, 0.454
_SPINE, _THORAX, _NECK, _HEAD = 0.233, 0.257, 0.121, 0.115
_SHOULDER, _UPPER_ARM, _FOREARM = 0.151, 0.279, 0.252

_PELVIS_HEIGHT = 0.95
# Centre of the walking paths in Human3.6M world coordinates (metres).
_CENTRE = np.array([0.05, 0.40])


def synthetic_motion(
    num_sequences: int = 4,
    frames: int = 600,
    seed: int = 0,
    skeleton: Skeleton | str = 'h36m',
    subjects: Sequence[str] = ('S1', 'S5', 'S6', 'S7', 'S8'),
) -> dict[str, dict[str, np.ndarray]]:
    """Walking sequences ``{subject: {'Walking i': float32 (frames, J, 3)}}``, ``i = 1..n``.

    World coordinates in metres, z up, 50 Hz, joints in the order of ``skeleton`` (which must have
    the 17 joints of the ``h36m`` layout). Hips, knees, shoulders and elbows follow sinusoids of
    one gait cycle (legs in antiphase, arms swinging against the legs); cadence, amplitudes,
    phase, torso lean and path differ per sequence. The pelvis stays about 0.95 m above the floor
    and walks at 0.3-0.5 m/s along an ellipse (radii up to 0.8 x 1.1 m) around ``(0.05, 0.4)``,
    facing its direction of travel, so that every joint projects inside the images of all four
    Human3.6M cameras of S1, S5, S6, S7 and S8. Deterministic for a given ``seed``.

    Raises:
        DataError: If the skeleton is not the h36m layout, or a count is not positive.
    """
    skeleton = Skeleton.load(skeleton)
    if num_sequences < 1 or frames < 1:
        raise DataError(f'num_sequences and frames must be >= 1, got {num_sequences}, {frames}')
    rng = np.random.default_rng(seed)
    order = _joint_order(skeleton)
    return {
        subject: {
            f'Walking {i + 1}': _walk(rng, frames)[:, order].astype(np.float32)
            for i in range(num_sequences)
        }
        for subject in subjects
    }


_JOINTS = (
    'pelvis', 'right_hip', 'right_knee', 'right_ankle', 'left_hip', 'left_knee', 'left_ankle',
    'spine', 'thorax', 'neck', 'head', 'left_shoulder', 'left_elbow', 'left_wrist',
    'right_shoulder', 'right_elbow', 'right_wrist',
)


def _joint_order(skeleton: Skeleton) -> list[int]:
    if sorted(skeleton.joint_names) != sorted(_JOINTS):
        raise DataError(
            f'synthetic_motion needs the 17 joints of the h36m layout, got skeleton '
            f'{skeleton.name!r} with joints {list(skeleton.joint_names)}'
        )
    return [_JOINTS.index(name) for name in skeleton.joint_names]


def _walk(rng: np.random.Generator, frames: int) -> np.ndarray:
    """One sequence ``(frames, 17, 3)`` in the order of ``_JOINTS``."""
    t = np.arange(frames) / FPS
    cadence = rng.uniform(0.8, 1.0)  # gait cycles per second
    hip_amp, knee_amp = rng.uniform(0.35, 0.5), rng.uniform(0.8, 1.1)
    arm_amp, elbow_bend = rng.uniform(0.25, 0.45), rng.uniform(0.2, 0.5)
    lean = rng.uniform(0.0, 0.12)
    radii = rng.uniform([0.5, 0.8], [0.8, 1.1])
    speed = rng.uniform(0.3, 0.5)
    direction = rng.choice([-1.0, 1.0])
    start = rng.uniform(0, 2 * np.pi)
    phase = rng.uniform(0, 2 * np.pi) + 2 * np.pi * cadence * t

    # Pelvis path: an ellipse run at roughly constant speed; heading along the velocity.
    angle = start + direction * speed / radii.mean() * t
    x, y = _CENTRE[0] + radii[0] * np.cos(angle), _CENTRE[1] + radii[1] * np.sin(angle)
    vx, vy = -radii[0] * np.sin(angle) * direction, radii[1] * np.cos(angle) * direction
    heading = np.arctan2(vy, vx)
    up = np.broadcast_to([0.0, 0.0, 1.0], (frames, 3))
    forward = np.stack([np.cos(heading), np.sin(heading), np.zeros(frames)], axis=-1)
    left = np.stack([-np.sin(heading), np.cos(heading), np.zeros(frames)], axis=-1)
    pelvis = np.stack([x, y, _PELVIS_HEIGHT + 0.015 * np.cos(2 * phase)], axis=-1)

    def limb(angle: np.ndarray) -> np.ndarray:
        """Unit vectors ``(frames, 3)`` in the sagittal plane, ``angle`` forward of down."""
        return np.sin(angle)[:, None] * forward - np.cos(angle)[:, None] * up

    def leg(side: float, swing: np.ndarray) -> list[np.ndarray]:
        hip = pelvis + side * _HIP * left
        thigh = hip_amp * np.sin(swing)
        knee_flexion = knee_amp * 0.5 * (1 + np.sin(swing + 0.8))
        knee = hip + _THIGH * limb(thigh)
        return [hip, knee, knee + _SHIN * limb(thigh - knee_flexion)]

    def arm(side: float, swing: np.ndarray) -> list[np.ndarray]:
        shoulder = thorax + side * _SHOULDER * left
        upper = arm_amp * np.sin(swing)
        elbow = shoulder + _UPPER_ARM * limb(upper)
        return [shoulder, elbow, elbow + _FOREARM * limb(upper + elbow_bend)]

    trunk = limb(np.full(frames, np.pi - lean))  # up, tilted forward by `lean`
    spine = pelvis + _SPINE * trunk
    thorax = spine + _THORAX * trunk
    neck = thorax + _NECK * trunk
    head = neck + _HEAD * trunk
    joints = [
        pelvis,
        *leg(-1.0, phase + np.pi),
        *leg(1.0, phase),
        spine,
        thorax,
        neck,
        head,
        *arm(1.0, phase + np.pi),
        *arm(-1.0, phase),
    ]
    return np.stack(joints, axis=1)
