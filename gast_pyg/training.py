"""Training and evaluation harness: the paper's protocol on Human3.6M, the synthetic demo, and
the ``gast-pyg train`` / ``gast-pyg evaluate`` commands.

One option set (:func:`add_options`) serves ``benchmarks/h36m.py``, ``gast-pyg train`` and
``gast-pyg evaluate``. Unset options take the preset of ``--dataset`` (:data:`PRESETS`): the
paper's settings for ``h36m`` (Amsgrad, lr 1e-3 decayed by 0.95 per epoch, batch 128, 60 epochs,
dropout 0.05, 10 fps input) and ``humaneva``, and a small fast configuration for ``synthetic``,
the demo used when no ``--data-3d`` is given.

Training (:func:`train`) samples receptive-field windows with :class:`~gast_pyg.data.
WindowSampler` (seeded shuffling, flip augmentation), minimises MPJPE on root-relative joints,
validates P1 each epoch and writes ``last.pt`` (full training state) and ``best.pt`` (lowest
validation P1) atomically after every epoch. ``--resume`` restores weights, optimizer, learning
rate, epoch, the sampler's and torch's random streams, so a resumed run ends with the same weights
as an uninterrupted one. Under ``torchrun`` every process trains on a disjoint shard of each
epoch's batches with DistributedDataParallel (gloo on CPU, nccl on CUDA).
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import sys
import time
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from gast_pyg.checkpoints import CheckpointError, load_checkpoint, load_weights, save_checkpoint
from gast_pyg.data import (
    DataError,
    WindowSampler,
    action_name,
    align_2d_3d,
    camera_targets,
    ground_truth_2d,
    image_coordinates,
    load_h36m_cameras,
    load_humaneva_cameras,
    load_positions_2d,
    load_positions_3d,
    normalize_keypoints,
    select,
    synthetic_motion,
)
from gast_pyg.checkpoints import load_any_checkpoint
from gast_pyg.evaluation import evaluate, format_table
from gast_pyg.metrics import mpjpe
from gast_pyg.models import build_model
from gast_pyg.models.base import LiftingModel
from gast_pyg.runtime import configure_threads
from gast_pyg.skeleton import Skeleton

__all__ = [
    'PRESETS',
    'NOISE_OUTLIER_RATE',
    'NOISE_OUTLIER_SCALE',
    'add_options',
    'resolve_options',
    'PoseData',
    'load_data',
    'add_noise_2d',
    'train',
    'TrainResult',
    'run_training',
    'run_evaluation',
    'main',
    'register',
]

#: Per-dataset defaults of every option left unset. ``dropout`` and ``channels`` are per
#: architecture; ``downsample`` ``None`` means 5 (10 fps) below 243 frames, else 1.
PRESETS: dict[str, dict[str, Any]] = {
    'h36m': dict(
        epochs=60, batch_size=128, lr=1e-3, lr_decay=0.95, downsample=None,
        dropout={'gast': 0.05, 'tcn': 0.25}, channels={'gast': 128, 'tcn': 1024},
        train_subjects=['S1', 'S5', 'S6', 'S7', 'S8'], test_subjects=['S9', 'S11'],
        skeleton='h36m',
    ),
    'humaneva': dict(
        epochs=200, batch_size=32, lr=1e-3, lr_decay=0.98, downsample=1,
        dropout={'gast': 0.5, 'tcn': 0.5}, channels={'gast': 128, 'tcn': 1024},
        train_subjects=['Train/S1', 'Train/S2', 'Train/S3'],
        test_subjects=['Validate/S1', 'Validate/S2', 'Validate/S3'],
        skeleton='humaneva',
    ),
    # The embedded demo: small model, few short sequences, a few epochs (< 3 min on 2 cores).
    'synthetic': dict(
        epochs=4, batch_size=64, lr=2e-3, lr_decay=0.95, downsample=2,
        dropout={'gast': 0.05, 'tcn': 0.25}, channels={'gast': 32, 'tcn': 256},
        train_subjects=['S1', 'S5', 'S6', 'S7'], test_subjects=['S8'], skeleton='h36m',
        synthetic_sequences=2, synthetic_frames=400,
    ),
}

#: Noise model of ``--noise-2d``: the fraction of keypoints that are outliers ...
NOISE_OUTLIER_RATE = 0.01
#: ... and their displacement std as a multiple of the jitter std.
NOISE_OUTLIER_SCALE = 10.0

# Options whose values must be the same when a run is resumed (anything that changes the
# training trajectory); ``epochs`` may grow, everything else (devices, paths) is free.
_RESUME_KEYS = (
    'dataset', 'data_3d', 'data_2d', 'noise_2d', 'train_subjects', 'actions', 'skeleton',
    'synthetic_sequences', 'synthetic_frames', 'arch', 'receptive_field', 'channels', 'causal',
    'dropout', 'batch_size', 'lr', 'lr_decay', 'downsample', 'flip_augment', 'seed', 'amp',
    'world_size',
)


# --------------------------------------------------------------------------------------------
# Options


def _subjects(text: str) -> list[str]:
    names = [name.strip() for name in text.split(',') if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError('expected a comma-separated list of subjects')
    return names


def _actions(text: str) -> list[str] | None:
    if text.strip() in ('', '*', 'all'):
        return None
    return [name.strip() for name in text.split(',') if name.strip()]


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f'expected a positive integer, got {text}')
    return value


def _non_negative_float(text: str) -> float:
    value = float(text)
    if not value >= 0:
        raise argparse.ArgumentTypeError(f'expected a number >= 0, got {text}')
    return value


def add_options(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the options shared by ``benchmarks/h36m.py``, ``gast-pyg train`` and ``gast-pyg
    evaluate`` to ``parser`` (returned). Unset options are filled by :func:`resolve_options`."""
    data = parser.add_argument_group('data')
    data.add_argument('--dataset', choices=sorted(PRESETS), default=None,
                      help='preset of the defaults below (default: h36m with --data-3d, else the '
                           'synthetic demo)')
    data.add_argument('--data-3d', metavar='FILE', default=None,
                      help='VideoPose3D 3D file (positions_3d, world metres); without it the '
                           'package synthesises a small walking data set (synthetic demo)')
    data.add_argument('--data-2d', metavar='FILE|gt', default='gt',
                      help="VideoPose3D 2D file (positions_2d, pixels) or 'gt': project the 3D "
                           'with the cameras of --dataset, Human3.6M or HumanEva-I (default: gt)')
    data.add_argument('--noise-2d', metavar='PIXELS', type=_non_negative_float, default=0.0,
                      help='add seeded noise to the 2D keypoints before normalisation: Gaussian '
                           'jitter with this std in pixels (per frame, joint and axis); '
                           f'{100 * NOISE_OUTLIER_RATE:g}%% of keypoints are outliers, displaced '
                           f'with {NOISE_OUTLIER_SCALE:g}x that std instead (default: 0, none)')
    data.add_argument('--train-subjects', type=_subjects, metavar='S1,S5,...', default=None,
                      help='training subjects (h36m: S1,S5,S6,S7,S8)')
    data.add_argument('--test-subjects', type=_subjects, metavar='S9,S11', default=None,
                      help='test subjects of the final table (h36m: S9,S11)')
    data.add_argument('--validation-subjects', type=_subjects, metavar='S9,...', default=None,
                      help='subjects validated after every epoch (default: the test subjects)')
    data.add_argument('--actions', type=_actions, metavar='A,B,...', default=None,
                      help="actions to use, e.g. 'Walking,Eating' (sub-actions included; "
                           'default: all)')
    data.add_argument('--skeleton', default=None,
                      help='bundled skeleton name or YAML path (default: by dataset)')
    data.add_argument('--synthetic-sequences', type=_positive_int, default=None, metavar='N',
                      help='synthetic demo: sequences per subject (default: 2)')
    data.add_argument('--synthetic-frames', type=_positive_int, default=None, metavar='N',
                      help='synthetic demo: frames per sequence at 50 Hz (default: 400)')

    model = parser.add_argument_group('model')
    model.add_argument('--arch', choices=['gast', 'tcn'], default='gast',
                       help='GAST-Net or the VideoPose3D temporal convolutional baseline')
    model.add_argument('--receptive-field', type=int, choices=[9, 27, 81, 243], default=27)
    model.add_argument('--channels', type=_positive_int, default=None,
                       help='width (h36m: 128 for gast, 1024 for tcn; synthetic: 32 / 256)')
    model.add_argument('--causal', action='store_true', help='causal (real-time) model')
    model.add_argument('--dropout', type=float, default=None,
                       help='dropout (h36m: 0.05 gast, 0.25 tcn; humaneva: 0.5)')

    training = parser.add_argument_group('training')
    training.add_argument('--epochs', type=int, default=None, help='(h36m: 60, humaneva: 200)')
    training.add_argument('--batch-size', type=_positive_int, default=None,
                          help='windows per step over all processes (h36m: 128, humaneva: 32)')
    training.add_argument('--lr', type=float, default=None, help='Amsgrad learning rate (1e-3)')
    training.add_argument('--lr-decay', type=float, default=None,
                          help='learning rate factor per epoch (h36m: 0.95, humaneva: 0.98)')
    training.add_argument('--downsample', type=_positive_int, default=None,
                          help='keep every n-th frame for training and evaluation (h36m: 5, i.e. '
                               '10 fps, below 243 frames, else 1)')
    training.add_argument('--flip-augment', action=argparse.BooleanOptionalAction, default=True,
                          help='mirror half of the training windows (default: on)')
    training.add_argument('--test-flip', action=argparse.BooleanOptionalAction, default=True,
                          help='average each test prediction with the mirrored one (default: on)')
    training.add_argument('--checkpoint-dir', metavar='DIR', default='checkpoints',
                          help='where last.pt and best.pt are written (default: checkpoints)')
    training.add_argument('--resume', metavar='PATH', nargs='?', const='last', default=None,
                          help='continue a run exactly from a checkpoint (default: '
                               'CHECKPOINT_DIR/last.pt); the options must be those of the run, '
                               'except --epochs')
    training.add_argument('--evaluate', metavar='PATH', default=None,
                          help="evaluate a checkpoint (ours or the authors') instead of training")
    training.add_argument('--output-json', metavar='FILE', default=None,
                          help='write the evaluation (per action and average) as JSON')
    training.add_argument('--seed', type=int, default=0,
                          help='seed of initialisation, shuffling, dropout and 2D noise')
    training.add_argument('--device', default='auto', help="'auto' (CUDA if available), 'cpu', "
                                                            "'cuda', 'cuda:1', ...")
    training.add_argument('--threads', type=_positive_int, default=None,
                          help='torch CPU threads per process (default: gast_pyg.runtime.'
                               'configure_threads, the free cores; under torchrun the cores '
                               'divided by the local processes)')
    training.add_argument('--amp', action='store_true',
                          help='automatic mixed precision (float16 on CUDA, bfloat16 on CPU)')
    training.add_argument('--progress', action=argparse.BooleanOptionalAction, default=True,
                          help='tqdm progress bars (default: on)')
    return parser


def resolve_options(args: argparse.Namespace) -> argparse.Namespace:
    """A copy of ``args`` with every unset option filled from the preset of its dataset."""
    args = copy.copy(args)
    if args.dataset is None:
        args.dataset = 'synthetic' if args.data_3d is None else 'h36m'
    if args.dataset == 'synthetic' and args.data_3d is not None:
        raise DataError('--dataset synthetic generates its own data; drop --data-3d or choose '
                        '--dataset h36m')
    preset = PRESETS[args.dataset]
    for name in ('epochs', 'batch_size', 'lr', 'lr_decay', 'train_subjects', 'test_subjects',
                 'skeleton', 'synthetic_sequences', 'synthetic_frames'):
        if getattr(args, name, None) is None:
            setattr(args, name, preset.get(name))
    for name in ('dropout', 'channels'):
        if getattr(args, name) is None:
            setattr(args, name, preset[name][args.arch])
    if args.downsample is None:
        args.downsample = preset['downsample'] or (5 if args.receptive_field < 243 else 1)
    if args.validation_subjects is None:
        args.validation_subjects = list(args.test_subjects)
    if args.epochs < 0:
        raise ValueError(f'--epochs must be >= 0, got {args.epochs}')
    return args


# --------------------------------------------------------------------------------------------
# Data


@dataclass
class PoseData:
    """Model-ready data: ``inputs`` ``{subject: {action: [per camera (T, J, 2)]}}`` (normalised
    screen coordinates) and ``targets`` of the same structure ``(T, J, 3)`` (root-relative camera
    space, metres)."""

    inputs: dict[str, dict[str, list[np.ndarray]]]
    targets: dict[str, dict[str, list[np.ndarray]]]
    skeleton: Skeleton
    synthetic: bool
    description: str
    #: Pairs ``((subject, action), (subject, action))`` of different subjects holding the same
    #: motion (equal root-relative world poses), e.g. byte-identical release files.
    identical: list[tuple[tuple[str, str], tuple[str, str]]] = field(default_factory=list)

    def subset(self, subjects: Sequence[str],
               exclude: Sequence[tuple[str, str]] = ()) -> tuple[dict, dict]:
        """``(inputs, targets)`` of ``subjects`` only, without the ``(subject, action)``
        sequences in ``exclude``."""
        excluded = set(exclude)

        def pick(data: Mapping) -> dict:
            return {s: {a: v for a, v in data[s].items() if (s, a) not in excluded}
                    for s in subjects}

        return pick(self.inputs), pick(self.targets)

    def leaks(self, train: Sequence[str], held_out: Sequence[str]) -> list[tuple[tuple[str, str],
                                                                              tuple[str, str]]]:
        """``(train sequence, held-out sequence)`` pairs of :attr:`identical` motions."""
        out = []
        for a, b in self.identical:
            for first, second in ((a, b), (b, a)):
                if first[0] in train and second[0] in held_out and first[0] != second[0]:
                    out.append((first, second))
        return sorted(set(out))


def _identical_motions(
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
    args: argparse.Namespace,
    subjects: Mapping[str, Sequence[str]],
    skeleton: Skeleton | None = None,
) -> PoseData:
    """Load, select and prepare the sequences of ``subjects`` (``{option name: subject list}``,
    e.g. ``{'--train-subjects': [...], '--test-subjects': [...]}``) according to resolved
    options: 3D from ``--data-3d`` (or the synthetic demo), 2D from ``--data-2d`` or projected
    (``gt``), ``--noise-2d`` applied in pixels, then screen-normalised; targets root-relative in
    each camera.

    Raises:
        DataError: One clear error naming the file, option, subject, action or camera at fault:
            missing or unreadable file, unknown subject, a subject or action in one file and not
            the other, 2D shorter than 3D (longer 2D is trimmed), NaN, wrong joint count.
    """
    skeleton = Skeleton.load(skeleton if skeleton is not None else args.skeleton)
    if args.dataset == 'humaneva':
        if args.data_3d is None:
            raise DataError('--dataset humaneva needs --data-3d (a VideoPose3D-format HumanEva-I '
                            'file, subjects such as Train/S1); the synthetic demo is Human3.6M '
                            'only')
        cameras, camera_set = load_humaneva_cameras(), 'HumanEva-I'
    else:
        cameras, camera_set = load_h36m_cameras(), 'Human3.6M'
    wanted = list(dict.fromkeys(s for names in subjects.values() for s in names))
    synthetic = args.data_3d is None
    if synthetic:
        if args.data_2d != 'gt':
            raise DataError(f'--data-2d {args.data_2d}: a 2D file needs its --data-3d file (the '
                            'synthetic demo only has ground-truth 2D)')
        source = 'synthetic demo'
        available = sorted(cameras)
    else:
        source = str(args.data_3d)
        positions_3d = load_positions_3d(args.data_3d, skeleton)
        available = sorted(positions_3d)
    for option, names in subjects.items():
        for subject in names:
            if subject not in available:
                raise DataError(f'{source}: unknown subject {subject!r} in {option}; available: '
                                f'{", ".join(available)}')
    if synthetic:
        # Always all subjects in one fixed order: synthetic_motion draws them from one stream,
        # so a subject's motion must not depend on which others are requested.
        positions_3d = synthetic_motion(args.synthetic_sequences, args.synthetic_frames,
                                        seed=args.seed, skeleton=skeleton,
                                        subjects=sorted(cameras, key=lambda s: (len(s), s)))
    try:
        positions_3d = select(positions_3d, wanted, args.actions)
    except DataError as error:
        raise DataError(f'{source}: {error}') from error
    for subject in wanted:
        if subject not in cameras:
            raise DataError(f'{source}: subject {subject!r} has no {camera_set} cameras; subjects '
                            f'with cameras: {", ".join(sorted(cameras))}')
        if not positions_3d[subject]:
            raise DataError(f'{source}: subject {subject!r} has no sequences of the actions '
                            f'{args.actions}')
    targets = camera_targets(positions_3d, cameras)

    if args.data_2d == 'gt':
        inputs = ground_truth_2d(positions_3d, cameras)
        description = f'{source}, ground-truth 2D'
        if args.noise_2d > 0:
            inputs = normalize_keypoints(
                add_noise_2d(_to_pixels(inputs, cameras), args.noise_2d, args.seed), cameras)
    else:
        positions_2d, _ = load_positions_2d(args.data_2d)
        for subject, actions in positions_2d.items():
            for action, sequences in actions.items():
                if sequences[0].shape[1] != skeleton.num_joints:
                    raise DataError(
                        f'{args.data_2d}: subject {subject!r}, action {action!r}: '
                        f'{sequences[0].shape[1]} joints, skeleton {skeleton.name!r} has '
                        f'{skeleton.num_joints}')
        for subject in wanted:
            if subject not in positions_2d:
                raise DataError(f'{args.data_2d}: subject {subject!r} is in {source} but not in '
                                f'this 2D file (it has {", ".join(sorted(positions_2d))})')
        positions_2d = _filter_actions({s: positions_2d[s] for s in wanted}, args.actions)
        positions_2d = {s: {a: [seq[..., :2] for seq in cams] for a, cams in acts.items()}
                        for s, acts in positions_2d.items()}
        try:
            positions_2d = align_2d_3d(positions_2d, targets)
        except DataError as error:
            raise DataError(f'{args.data_2d} (2D) vs {source} (3D): {error}') from error
        if args.noise_2d > 0:
            positions_2d = add_noise_2d(positions_2d, args.noise_2d, args.seed)
        inputs = normalize_keypoints(positions_2d, cameras)
        description = f'{source}, 2D from {args.data_2d}'
    if args.noise_2d > 0:
        description += f' + noise {args.noise_2d:g} px (seed {args.seed})'
    identical = [] if synthetic else _identical_motions(positions_3d)
    return PoseData(inputs, targets, skeleton, synthetic, description, identical)


def _flatten(data: Mapping[str, Mapping[str, Sequence[np.ndarray]]]) -> list[np.ndarray]:
    return [seq for actions in data.values() for cameras in actions.values() for seq in cameras]


# --------------------------------------------------------------------------------------------
# Training


@dataclass
class TrainResult:
    """What :func:`train` returns: the final model (eval mode), the per-epoch history, the
    final evaluation (``None`` on ranks > 0 or when skipped) and the checkpoint folder."""

    model: LiftingModel
    history: list[dict[str, Any]]
    results: dict[str, Any] | None
    checkpoint_dir: Path
    data: PoseData | None = field(default=None, repr=False)


@dataclass
class _Runtime:
    device: torch.device
    rank: int = 0
    world_size: int = 1
    owns_group: bool = False

    def close(self) -> None:
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()


def _resolve_device(name: str) -> torch.device:
    if name == 'auto':
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    device = torch.device(name)
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise ValueError(f'--device {name}: CUDA is not available')
    return device


def _setup(args: argparse.Namespace) -> _Runtime:
    world_size = int(os.environ.get('WORLD_SIZE', '1'))
    if args.threads or world_size <= 1:
        configure_threads(args.threads)
    else:
        local = int(os.environ.get('LOCAL_WORLD_SIZE', world_size))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local))
    device = _resolve_device(args.device)
    if world_size <= 1:
        return _Runtime(device)
    if device.type == 'cuda':
        device = torch.device('cuda', int(os.environ.get('LOCAL_RANK', '0')))
        torch.cuda.set_device(device)
    owns = not dist.is_initialized()
    if owns:
        dist.init_process_group('nccl' if device.type == 'cuda' else 'gloo',
                                timeout=timedelta(hours=2))
    return _Runtime(device, dist.get_rank(), dist.get_world_size(), owns)


def _training_options(args: argparse.Namespace, world_size: int) -> dict[str, Any]:
    options = {key: getattr(args, key, None) for key in _RESUME_KEYS if key != 'world_size'}
    for key in ('data_3d', 'data_2d'):
        if options[key] not in (None, 'gt'):
            options[key] = str(Path(options[key]).resolve())
    options['world_size'] = world_size
    options['epochs'] = args.epochs
    options['validation_subjects'] = args.validation_subjects
    options['test_subjects'] = args.test_subjects
    return options


def _flag(key: str) -> str:
    return '--' + key.replace('_', '-')


def _rng_state(device: torch.device) -> dict[str, torch.Tensor]:
    state = {'cpu': torch.get_rng_state()}
    if device.type == 'cuda':
        state['cuda'] = torch.cuda.get_rng_state(device)
    return state


def _all_rng_states(runtime: _Runtime) -> list[dict[str, torch.Tensor]]:
    state = _rng_state(runtime.device)
    if runtime.world_size == 1:
        return [state]
    states: list[Any] = [None] * runtime.world_size
    dist.all_gather_object(states, {k: v.cpu() for k, v in state.items()})
    return states


def _resume(path: Path, model: LiftingModel, optimizer: torch.optim.Optimizer,
            sampler: WindowSampler, options: dict[str, Any], runtime: _Runtime) -> dict[str, Any]:
    if not path.is_file():
        raise CheckpointError(f'{path}: no checkpoint to resume from')
    checkpoint = load_checkpoint(path)
    saved = checkpoint.get('training')
    if not isinstance(saved, Mapping) or 'optimizer' not in checkpoint:
        raise CheckpointError(f'{path}: not a training checkpoint of gast-pyg train (no '
                              'optimizer or training state); it can be evaluated, not resumed')
    for key in _RESUME_KEYS:
        if saved.get(key) != options.get(key):
            what = 'processes' if key == 'world_size' else _flag(key)
            raise CheckpointError(
                f'{path}: saved with {what} {saved.get(key)!r}, this run has '
                f'{options.get(key)!r}; resume with the options of the run (only --epochs and '
                f'paths/devices may change)')
    load_weights(model, checkpoint, source=str(path))
    optimizer.load_state_dict(checkpoint['optimizer'])
    sampler.load_state_dict(json.loads(checkpoint['sampler']))
    rng = checkpoint['torch_rng'][runtime.rank]
    torch.set_rng_state(rng['cpu'])
    if 'cuda' in rng and runtime.device.type == 'cuda':
        torch.cuda.set_rng_state(rng['cuda'], runtime.device)
    return dict(epoch=int(checkpoint['epoch']), lr=float(checkpoint['lr']),
                best=float(checkpoint.get('best_val_mpjpe', math.inf)),
                history=list(checkpoint.get('history', [])))


def _shard(batches: Iterator, rank: int, world_size: int, count: int) -> Iterator:
    """Batches ``rank, rank + W, ...`` of one epoch, ``count`` of them: every process draws the
    same seeded order, so the shards are disjoint; the last ``len % W`` batches are dropped so
    that all processes take the same number of steps."""
    for index, batch in enumerate(batches):
        if index >= count * world_size:
            break
        if index % world_size == rank:
            yield batch


def _print(*parts: Any) -> None:
    print(*parts, flush=True)


def _banner(data: PoseData, log: Callable[..., None]) -> None:
    if data.synthetic:
        log('=' * 78)
        log('SYNTHETIC DEMO: no --data-3d given, so this runs on a small walking data set that '
            'gast_pyg\nsynthesises itself (gast_pyg.data.synthetic_motion), not on Human3.6M. '
            'The errors below\nshow the pipeline working end to end; they say nothing about '
            'accuracy on real data.')
        log('=' * 78)


def train(args: argparse.Namespace, data: PoseData | None = None,
          evaluate_final: bool = True) -> TrainResult:
    """Train with resolved options (:func:`resolve_options`); see the module docstring.

    ``data`` (from :func:`load_data`) is loaded when not given. After the last epoch, rank 0
    evaluates the final weights on the test subjects (flip averaging per ``--test-flip``),
    prints the table and writes ``--output-json``, unless ``evaluate_final`` is false.

    Raises:
        DataError, CheckpointError, ValueError: For bad data, a checkpoint that cannot be resumed,
            or inconsistent options.
    """
    runtime = _setup(args)
    try:
        return _train(args, runtime, data, evaluate_final)
    finally:
        runtime.close()


def _train(args: argparse.Namespace, runtime: _Runtime, data: PoseData | None,
           evaluate_final: bool) -> TrainResult:
    rank, world_size, device = runtime.rank, runtime.world_size, runtime.device
    log = _print if rank == 0 else (lambda *_: None)
    if args.batch_size % world_size:
        raise ValueError(f'--batch-size {args.batch_size} must be divisible by the number of '
                         f'processes ({world_size})')
    if data is None:
        data = load_data(args, {'--train-subjects': args.train_subjects,
                                '--test-subjects': args.test_subjects,
                                '--validation-subjects': args.validation_subjects})
    _banner(data, log)
    # A training sequence with the motion of a held-out one (the expmap release has such
    # byte-identical files across subjects) would leak the test set into training: drop it.
    leaks = data.leaks(args.train_subjects, [*args.test_subjects, *args.validation_subjects])
    for (subject, action), (other, other_action) in leaks:
        log(f'excluded {subject} {action!r} from training: the same motion as held-out '
            f'{other} {other_action!r}')
    train_inputs, train_targets = data.subset(args.train_subjects, [pair[0] for pair in leaks])
    sampler = WindowSampler(
        _flatten(train_inputs), _flatten(train_targets), args.receptive_field,
        causal=args.causal, downsample=args.downsample, batch_size=args.batch_size // world_size,
        shuffle=True, seed=args.seed, flip_augment=args.flip_augment, skeleton=data.skeleton)
    steps = len(sampler) // world_size
    if steps == 0:
        raise DataError(f'{sampler.num_windows} training windows make no batch of '
                        f'{args.batch_size // world_size} on each of {world_size} processes')

    torch.manual_seed(args.seed)
    model = build_model(skeleton=data.skeleton, receptive_field=args.receptive_field,
                        channels=args.channels, causal=args.causal, dropout=args.dropout,
                        arch=args.arch).to(device)
    if world_size > 1:
        torch.manual_seed(args.seed + rank)  # an own dropout stream per process
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, amsgrad=True)
    options = _training_options(args, world_size)
    state: dict[str, Any] = dict(epoch=0, lr=args.lr, best=math.inf, history=[])
    checkpoint_dir = Path(args.checkpoint_dir)
    if args.resume:
        path = checkpoint_dir / 'last.pt' if args.resume == 'last' else Path(args.resume)
        state = _resume(path, model, optimizer, sampler, options, runtime)
        log(f'resumed {path} after epoch {state["epoch"]} (lr {state["lr"]:.3g})')

    parameters = sum(p.numel() for p in model.parameters())
    log(f'data: {data.description}')
    log(f'model: {args.arch} rf {model.receptive_field}, {args.channels} channels, '
        f'{parameters:,} parameters, causal={args.causal}, dropout {args.dropout}')
    log(f'training on {", ".join(args.train_subjects)}: {sampler.num_windows:,} windows per '
        f'epoch (downsample {args.downsample}), batch {args.batch_size} over {world_size} '
        f'process(es), {steps} steps per epoch, {torch.get_num_threads()} threads each, '
        f'device {device}')

    network: torch.nn.Module = model
    if world_size > 1:
        network = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == 'cuda' else None)
    amp_dtype = torch.float16 if device.type == 'cuda' else torch.bfloat16
    scaler = torch.amp.GradScaler('cuda', enabled=args.amp and device.type == 'cuda')
    val_inputs, val_targets = data.subset(args.validation_subjects)

    lr = state['lr']
    for epoch in range(state['epoch'], args.epochs):
        for group in optimizer.param_groups:
            group['lr'] = lr
        network.train()
        started = time.perf_counter()
        loss_sum, windows = 0.0, 0
        batches = _shard(iter(sampler), rank, world_size, steps)
        if rank == 0 and args.progress:
            from tqdm.auto import tqdm
            batches = tqdm(batches, total=steps, desc=f'epoch {epoch + 1}/{args.epochs}',
                           unit='batch', leave=False, mininterval=2, dynamic_ncols=True)
        for step, (inputs, targets) in enumerate(batches):
            inputs, targets = inputs.to(device), targets.to(device)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=args.amp):
                predicted = network(inputs)
            loss = mpjpe(predicted.float(), targets)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            loss_sum += loss.item() * len(inputs)
            windows += len(inputs)
            if hasattr(batches, 'set_postfix') and step % 10 == 0:
                batches.set_postfix(loss=f'{1000 * loss_sum / windows:.1f}mm', lr=f'{lr:.2e}',
                                    refresh=False)
        if hasattr(batches, 'close'):
            batches.close()
        if world_size > 1:
            totals = torch.tensor([loss_sum, windows], dtype=torch.float64, device=device)
            dist.all_reduce(totals)
            loss_sum, windows = totals.tolist()
        train_seconds = time.perf_counter() - started

        val = None
        if rank == 0 and args.validation_subjects:
            val = evaluate(model, val_inputs, val_targets, downsample=args.downsample,
                           flip=False, metrics=('mpjpe',))['average']['mpjpe']
        record = dict(epoch=epoch + 1, lr=lr, train_mpjpe=1000 * loss_sum / windows,
                      val_mpjpe=val, train_seconds=train_seconds,
                      seconds=time.perf_counter() - started,
                      windows_per_second=windows / train_seconds)
        state['history'].append(record)
        lr *= args.lr_decay
        rng_states = _all_rng_states(runtime)
        if rank == 0:
            improved = val is not None and val < state['best']
            if improved:
                state['best'] = val
            payload = dict(epoch=epoch + 1, lr=lr, optimizer=optimizer.state_dict(),
                           sampler=json.dumps(sampler.state_dict()), torch_rng=rng_states,
                           history=state['history'], best_val_mpjpe=state['best'],
                           training=options)
            save_checkpoint(checkpoint_dir / 'last.pt', model, **payload)
            if improved:
                save_checkpoint(checkpoint_dir / 'best.pt', model, **payload)
            val_text = '' if val is None else f'  val P1 {val:.1f} mm{" *" if improved else ""}'
            log(f'epoch {epoch + 1}/{args.epochs}  lr {record["lr"]:.2e}  train MPJPE '
                f'{record["train_mpjpe"]:.1f} mm{val_text}  {record["seconds"]:.0f} s '
                f'({record["windows_per_second"]:.0f} windows/s)')
        if world_size > 1:
            dist.barrier()

    model.eval()
    results = None
    if rank == 0 and evaluate_final and args.test_subjects:
        source = f'final weights ({checkpoint_dir / "last.pt"})'
        results = _evaluate_and_report(model, data, args, source, state['history'])
    return TrainResult(model, state['history'], results, checkpoint_dir, data)


# --------------------------------------------------------------------------------------------
# Evaluation and reporting


def _evaluate_and_report(model: LiftingModel, data: PoseData, args: argparse.Namespace,
                         source: str, history: list | None = None,
                         extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    inputs, targets = data.subset(args.test_subjects)
    started = time.perf_counter()
    results = evaluate(model, inputs, targets, downsample=args.downsample, flip=args.test_flip,
                       skeleton=model.skeleton, progress=args.progress)
    seconds = time.perf_counter() - started
    title = (f'{"SYNTHETIC DEMO - " if data.synthetic else ""}{model.arch} rf '
             f'{model.receptive_field} ({source}) on {", ".join(args.test_subjects)}: '
             f'{data.description}; {results["frames"]:,} frames at downsample '
             f'{args.downsample}, test-time flip {"on" if args.test_flip else "off"}')
    table = format_table(results, title)
    _print('')
    _print(table)
    _print(f'({seconds:.0f} s; MPJVE in mm per evaluated frame)')
    config = dict(model.config, skeleton=model.skeleton.name)
    report = dict(
        title=title, table=table, synthetic=data.synthetic, data=data.description,
        test_subjects=list(args.test_subjects), model=config, checkpoint=source,
        **results, evaluation_seconds=seconds, history=history or [], **(extra or {}))
    if args.output_json:
        path = Path(args.output_json)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(report, indent=2) + '\n')
        _print(f'wrote {path}')
    return report


def run_evaluation(args: argparse.Namespace) -> dict[str, Any]:
    """Evaluate ``--evaluate PATH`` (default ``CHECKPOINT_DIR/last.pt``), a gast-pyg checkpoint
    or an authors' file, on the test subjects; print the table and write ``--output-json``.

    Without an explicit ``--downsample``, our checkpoints are evaluated at the frame rate they
    were trained at."""
    explicit_downsample = args.downsample is not None
    explicit_skeleton = args.skeleton
    args = resolve_options(args)
    configure_threads(args.threads)
    path = Path(args.evaluate) if args.evaluate else Path(args.checkpoint_dir) / 'last.pt'
    model, info = load_any_checkpoint(path, skeleton=explicit_skeleton, causal=args.causal)
    model.to(_resolve_device(args.device))
    training = info.get('training') or {}
    if not explicit_downsample and training.get('downsample'):
        args.downsample = int(training['downsample'])
    data = load_data(args, {'--test-subjects': args.test_subjects}, skeleton=model.skeleton)
    _banner(data, _print)
    return _evaluate_and_report(model, data, args, f'{path}, {info["kind"]} checkpoint',
                                extra={'checkpoint_kind': info['kind'],
                                       'checkpoint_epoch': info.get('epoch')})


def run_training(args: argparse.Namespace) -> TrainResult:
    """Resolve the options and :func:`train` (with the final evaluation)."""
    return train(resolve_options(args))


def _run(args: argparse.Namespace) -> int:
    if args.evaluate:
        run_evaluation(args)
    else:
        run_training(args)
    return 0


def _run_train_command(args: argparse.Namespace) -> int:
    if args.evaluate:
        raise ValueError('--evaluate is for gast-pyg evaluate (or benchmarks/h36m.py)')
    run_training(args)
    return 0


def _run_evaluate_command(args: argparse.Namespace) -> int:
    run_evaluation(args)
    return 0


DESCRIPTION = ('Train GAST-Net (or the TCN baseline) on Human3.6M with the paper\'s protocol and '
               'report MPJPE / P-MPJPE / N-MPJPE / MPJVE per action. Without --data-3d it runs a '
               'small synthetic demo end to end.')


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """The parser of ``benchmarks/h36m.py``: all shared options."""
    return add_options(argparse.ArgumentParser(prog=prog, description=DESCRIPTION))


def main(argv: Sequence[str] | None = None, prog: str | None = None) -> int:
    """``benchmarks/h36m.py``: train and evaluate, or only evaluate with ``--evaluate``."""
    parser = build_parser(prog or 'benchmarks/h36m.py')
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except ValueError as error:  # DataError, CheckpointError and option errors
        print(f'{parser.prog}: error: {error}', file=sys.stderr)
        return 2


def register(subparsers: argparse._SubParsersAction) -> None:
    """``gast-pyg train`` and ``gast-pyg evaluate`` (the options of :func:`add_options`)."""
    train_parser = subparsers.add_parser(
        'train', help='train a model and evaluate it on the test subjects',
        description=DESCRIPTION + ' Under torchrun, trains with DistributedDataParallel.')
    add_options(train_parser)
    train_parser.set_defaults(run=_run_train_command)
    evaluate_parser = subparsers.add_parser(
        'evaluate', help="evaluate a checkpoint (ours or the authors') per action",
        description='Evaluate --evaluate PATH (default CHECKPOINT_DIR/last.pt), a gast-pyg or an '
                    "authors' GAST-Net checkpoint, on the test subjects and print the per-action "
                    'table (model options are read from the checkpoint).')
    add_options(evaluate_parser)
    evaluate_parser.set_defaults(run=_run_evaluate_command)
