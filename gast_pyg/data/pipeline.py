"""The training and evaluation data pipeline: 3D and 2D files (or the synthetic demo) to
model-ready, screen-normalised inputs, root-relative camera-space targets and camera-space roots
per subject, action and camera (:func:`load_data`, :class:`PoseData`), with the 2D noise model and
the detector-like training augmentation applied in pixels and the detection of identical motions
across subjects (which would leak a held-out subject into training)."""
from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gast_pyg.configs import DataConfig
from gast_pyg.data.cameras import (
    Camera,
    image_coordinates,
    load_h36m_cameras,
    load_humaneva_cameras,
)
from gast_pyg.data.datasets import (
    DataError,
    action_name,
    align_2d_3d,
    camera_roots,
    camera_targets,
    ground_truth_2d,
    load_positions_2d,
    load_positions_3d,
    normalize_keypoints,
    select,
)
from gast_pyg.detector_noise import DetectorNoise, add_detector_noise_2d, detector_sigmas
from gast_pyg.data.noise import add_noise_2d
from gast_pyg.data.synthetic import synthetic_motion
from gast_pyg.skeleton import Skeleton

__all__ = ['AUGMENTATIONS_2D', 'PoseData', 'load_data', 'identical_motions', 'flatten',
           'synthetic_banner']

#: Choices of ``DataConfig.augment_2d``: the 2D the training windows are cut from. ``'none'``:
#: the 2D of ``data_2d`` / ``noise_2d``; ``'detector'``: detector-like 2D made from the ground-truth
#: projections (:func:`~gast_pyg.detector_noise.add_detector_noise_2d`).
AUGMENTATIONS_2D = ('none', 'detector')

Nested = dict[str, dict[str, list[np.ndarray]]]


@dataclass
class PoseData:
    """Model-ready data, each ``{subject: {action: [per camera array]}}``: ``inputs`` ``(T, J,
    2)`` (normalised screen coordinates), ``targets`` ``(T, J, 3)`` (root-relative camera space,
    metres), ``roots`` ``(T, 1, 3)`` (the root joint in camera space, metres; ``targets + roots``
    are the absolute camera-space joints), with the ``cameras`` of every loaded subject."""

    inputs: Nested
    targets: Nested
    roots: Nested
    cameras: dict[str, list[Camera]]
    skeleton: Skeleton
    synthetic: bool
    description: str
    #: Pairs ``((subject, action), (subject, action))`` of different subjects holding the same
    #: motion (equal root-relative world poses), e.g. byte-identical release files.
    identical: list[tuple[tuple[str, str], tuple[str, str]]] = field(default_factory=list)
    #: The training subjects' detector-like 2D of ``augment_2d='detector'`` (structure of
    #: ``inputs``), which training windows are cut from instead of ``inputs``; empty without it.
    augmented_inputs: Nested = field(default_factory=dict)

    def subset(self, subjects: Sequence[str], exclude: Sequence[tuple[str, str]] = (),
               training: bool = False) -> tuple[Nested, Nested]:
        """``(inputs, targets)`` of ``subjects`` only, without the ``(subject, action)``
        sequences in ``exclude``; with ``training``, the inputs are the
        :attr:`augmented_inputs` of the subjects that have them."""
        inputs = {**self.inputs, **self.augmented_inputs} if training else self.inputs
        return _pick(inputs, subjects, exclude), _pick(self.targets, subjects, exclude)

    def subset_roots(self, subjects: Sequence[str],
                     exclude: Sequence[tuple[str, str]] = ()) -> Nested:
        """The :attr:`roots` of the sequences of :meth:`subset`."""
        return _pick(self.roots, subjects, exclude)

    def leaks(self, train: Sequence[str], held_out: Sequence[str]) -> list[tuple[tuple[str, str],
                                                                              tuple[str, str]]]:
        """``(train sequence, held-out sequence)`` pairs of :attr:`identical` motions."""
        out = []
        for a, b in self.identical:
            for first, second in ((a, b), (b, a)):
                if first[0] in train and second[0] in held_out and first[0] != second[0]:
                    out.append((first, second))
        return sorted(set(out))


def _pick(data: Mapping[str, Mapping[str, list[np.ndarray]]], subjects: Sequence[str],
          exclude: Sequence[tuple[str, str]]) -> Nested:
    excluded = set(exclude)
    return {s: {a: v for a, v in data[s].items() if (s, a) not in excluded} for s in subjects}


def identical_motions(
    positions_3d: Mapping[str, Mapping[str, np.ndarray]], atol: float = 1e-5
) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """Sequences of different subjects with equal root-relative world poses."""
    by_length: dict[tuple, list[tuple[str, str]]] = {}
    for subject, actions in positions_3d.items():
        for action, positions in actions.items():
            by_length.setdefault(positions.shape, []).append((subject, action))
    pairs = []
    for keys in by_length.values():
        for i, (s1, a1) in enumerate(keys):
            x1 = positions_3d[s1][a1]
            for s2, a2 in keys[i + 1:]:
                x2 = positions_3d[s2][a2]
                if s1 != s2 and np.allclose(x1 - x1[:, :1], x2 - x2[:, :1], atol=atol):
                    pairs.append(((s1, a1), (s2, a2)))
    return pairs


def _to_pixels(positions_2d: Mapping, cameras: Mapping) -> dict[str, dict[str, list[np.ndarray]]]:
    return {
        subject: {
            action: [image_coordinates(seq, cam.res_w, cam.res_h)
                     for seq, cam in zip(sequences, cameras[subject])]
            for action, sequences in actions.items()
        }
        for subject, actions in positions_2d.items()
    }


def _filter_actions(data: Mapping[str, Mapping[str, Any]], actions: Sequence[str] | None) -> dict:
    wanted = None if actions is None else set(actions)
    return {
        subject: {key: value for key, value in sequences.items()
                  if wanted is None or key in wanted or action_name(key) in wanted}
        for subject, sequences in data.items()
    }


def load_data(
    config: DataConfig,
    subjects: Mapping[str, Sequence[str]],
    *,
    trajectory: bool = False,
    skeleton: Skeleton | None = None,
) -> PoseData:
    """Load, select and prepare the sequences of ``subjects`` (``{field name: subject list}``,
    e.g. ``{'train_subjects': [...], 'test_subjects': [...]}``; the names appear in errors) as
    ``config`` says: 3D from ``data_3d`` (or the synthetic demo), 2D from ``data_2d`` or projected
    (``'gt'``), ``noise_2d`` applied in pixels, then screen-normalised; targets root-relative in
    each camera, roots in camera space. With ``augment_2d='detector'`` the ``'train_subjects'``
    also get detector-like 2D made from their clean projections, seeded by ``seed``
    (:attr:`PoseData.augmented_inputs`, which replaces ``noise_2d`` for training; for the share
    ``augment_2d_fraction`` of the sequences; without the zoom and crop when ``trajectory``, since
    root targets hold for the real cameras only); the inputs that are evaluated stay as
    ``data_2d`` / ``noise_2d`` make them. ``skeleton`` overrides ``config.skeleton``.

    Raises:
        DataError: One clear error naming the file, option, subject, action or camera at fault:
            missing or unreadable file, unknown subject, a subject or action in one file and not
            the other, 2D shorter than 3D (longer 2D is trimmed), NaN, wrong joint count, a
            subject without cameras, ``augment_2d='detector'`` with a 2D file or a skeleton
            other than Human3.6M-17.
    """
    skeleton = Skeleton.load(skeleton if skeleton is not None else config.skeleton)
    augment = config.augment_2d
    if augment not in AUGMENTATIONS_2D:
        raise DataError(f'augment_2d {augment!r}: expected one of {", ".join(AUGMENTATIONS_2D)}')
    if augment == 'detector':
        if config.data_2d != 'gt':
            raise DataError(f'augment_2d detector makes detector-like 2D from the ground-truth '
                            f'projections; it needs data_2d gt, not data_2d {config.data_2d}')
        try:
            detector_sigmas(skeleton)
        except ValueError as error:
            raise DataError(f'augment_2d detector: {error}') from error
    if config.dataset == 'humaneva':
        if config.data_3d is None:
            raise DataError('dataset humaneva needs data_3d (a VideoPose3D-format HumanEva-I '
                            'file, subjects such as Train/S1); the synthetic demo is Human3.6M '
                            'only')
        cameras, camera_set = load_humaneva_cameras(), 'HumanEva-I'
    else:
        cameras, camera_set = load_h36m_cameras(), 'Human3.6M'
    wanted = list(dict.fromkeys(s for names in subjects.values() for s in names))
    synthetic = config.data_3d is None
    if synthetic:
        if config.data_2d != 'gt':
            raise DataError(f'data_2d {config.data_2d}: a 2D file needs its data_3d file (the '
                            'synthetic demo only has ground-truth 2D)')
        source = 'synthetic demo'
        available = sorted(cameras)
    else:
        source = str(config.data_3d)
        positions_3d = load_positions_3d(config.data_3d, skeleton)
        available = sorted(positions_3d)
    for option, names in subjects.items():
        for subject in names:
            if subject not in available:
                raise DataError(f'{source}: unknown subject {subject!r} in {option}; available: '
                                f'{", ".join(available)}')
    if synthetic:
        # Always all subjects in one fixed order: synthetic_motion draws them from one stream,
        # so a subject's motion must not depend on which others are requested.
        positions_3d = synthetic_motion(config.synthetic_sequences, config.synthetic_frames,
                                        seed=config.seed, skeleton=skeleton,
                                        subjects=sorted(cameras, key=lambda s: (len(s), s)))
    try:
        positions_3d = select(positions_3d, wanted, config.actions)
    except DataError as error:
        raise DataError(f'{source}: {error}') from error
    for subject in wanted:
        if subject not in cameras:
            raise DataError(f'{source}: subject {subject!r} has no {camera_set} cameras; subjects '
                            f'with cameras: {", ".join(sorted(cameras))}')
        if not positions_3d[subject]:
            raise DataError(f'{source}: subject {subject!r} has no sequences of the actions '
                            f'{config.actions}')
    targets = camera_targets(positions_3d, cameras)
    roots = camera_roots(positions_3d, cameras)
    augmented: Nested = {}

    if config.data_2d == 'gt':
        projected = ground_truth_2d(positions_3d, cameras)
        inputs = projected
        description = f'{source}, ground-truth 2D'
        if config.noise_2d > 0:
            inputs = normalize_keypoints(
                add_noise_2d(_to_pixels(inputs, cameras), config.noise_2d, config.seed), cameras)
        if augment == 'detector':
            training = {s: projected[s] for s in subjects.get('train_subjects', ())}
            # A zoom or crop would move the person in the image but not in camera space: the
            # root targets of a trajectory model need the real camera.
            params = (DetectorNoise(zoom_range=(1.0, 1.0), crop=False)
                      if trajectory else None)
            augmented = normalize_keypoints(add_detector_noise_2d(
                _to_pixels(training, cameras), cameras, config.seed, params, skeleton), cameras)
            augmented = _mix(augmented, inputs, config.augment_2d_fraction,
                             config.seed)
    else:
        positions_2d, _ = load_positions_2d(config.data_2d)
        for subject, actions in positions_2d.items():
            for action, sequences in actions.items():
                if sequences[0].shape[1] != skeleton.num_joints:
                    raise DataError(
                        f'{config.data_2d}: subject {subject!r}, action {action!r}: '
                        f'{sequences[0].shape[1]} joints, skeleton {skeleton.name!r} has '
                        f'{skeleton.num_joints}')
        for subject in wanted:
            if subject not in positions_2d:
                raise DataError(f'{config.data_2d}: subject {subject!r} is in {source} but not in '
                                f'this 2D file (it has {", ".join(sorted(positions_2d))})')
        positions_2d = _filter_actions({s: positions_2d[s] for s in wanted}, config.actions)
        positions_2d = {s: {a: [seq[..., :2] for seq in cams] for a, cams in acts.items()}
                        for s, acts in positions_2d.items()}
        try:
            positions_2d = align_2d_3d(positions_2d, targets)
        except DataError as error:
            raise DataError(f'{config.data_2d} (2D) vs {source} (3D): {error}') from error
        if config.noise_2d > 0:
            positions_2d = add_noise_2d(positions_2d, config.noise_2d, config.seed)
        inputs = normalize_keypoints(positions_2d, cameras)
        description = f'{source}, 2D from {config.data_2d}'
    if config.noise_2d > 0:
        description += f' + noise {config.noise_2d:g} px (seed {config.seed})'
    if augmented:
        description += (f'; training 2D detector-like (augment_2d detector, seed '
                        f'{config.seed})')
    identical = [] if synthetic else identical_motions(positions_3d)
    return PoseData(inputs, targets, roots, {s: list(cameras[s]) for s in wanted}, skeleton,
                    synthetic, description, identical, augmented)


def _mix(augmented: Nested, clean: Nested, fraction: float, seed: int) -> Nested:
    """``augmented`` with each camera's sequence kept with probability ``fraction`` (seeded by
    ``seed``, drawn in a fixed order) and replaced by its ``clean`` 2D otherwise."""
    if not 0.0 <= fraction <= 1.0:
        raise DataError(f'augment_2d_fraction must be in [0, 1], got {fraction}')
    if fraction == 1.0:
        return augmented
    rng = np.random.default_rng([seed, 0x6D6978])
    return {subject: {action: [seq if rng.random() < fraction else clean[subject][action][i]
                               for i, seq in enumerate(sequences)]
                      for action, sequences in actions.items()}
            for subject, actions in augmented.items()}


def flatten(data: Mapping[str, Mapping[str, Sequence[np.ndarray]]]) -> list[np.ndarray]:
    return [seq for actions in data.values() for cameras in actions.values() for seq in cameras]


def synthetic_banner(data: PoseData, log: Callable[..., None]) -> None:
    """Say loudly that the synthetic demo's errors say nothing about real data."""
    if data.synthetic:
        log('=' * 78)
        log('SYNTHETIC DEMO: no --data-3d given, so this runs on a small walking data set that '
            'gast_pyg\nsynthesises itself (gast_pyg.data.synthetic_motion), not on Human3.6M. '
            'The errors below\nshow the pipeline working end to end; they say nothing about '
            'accuracy on real data.')
        log('=' * 78)
