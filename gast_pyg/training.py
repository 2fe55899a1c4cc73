"""The training loop: :func:`train` fits a model on the data of :mod:`gast_pyg.data.pipeline`
with the paper's protocol and returns the result; the final evaluation and its report are the
command line's (``gast-pyg train``).

Unset options take the preset of ``--dataset`` (:data:`PRESETS`, :func:`resolve_options`): the
paper's settings for ``h36m`` (Amsgrad, lr 1e-3 decayed by 0.95 per epoch, batch 128, 60 epochs,
dropout 0.05, 10 fps input) and ``humaneva``, and a small fast configuration for ``synthetic``,
the demo used when no ``--data-3d`` is given.

Training samples receptive-field windows with :class:`~gast_pyg.data.WindowSampler` (seeded
shuffling, flip augmentation; ``--augment-2d detector`` cuts them from detector-like 2D),
minimises MPJPE on root-relative joints, validates P1 each epoch and writes ``best.pt`` (lowest
validation P1, when it improved) and then ``last.pt`` (full training state) atomically after
every epoch; ``last.pt`` records the best epoch's error, and since ``best.pt`` is written first,
a run killed between the two writes leaves a ``best.pt`` at least as new as ``last.pt``'s record.
``resume`` restores weights, optimizer, learning rate, epoch, the sampler's and torch's random
streams, so a resumed run ends with the same weights as an uninterrupted one. Under ``torchrun``
every process trains on a disjoint shard of each epoch's batches with DistributedDataParallel
(gloo on CPU, nccl on CUDA).

With ``--trajectory`` the model is a :class:`~gast_pyg.models.TrajectoryModel` that also places
the root in camera space: it trains on absolute camera-space targets (flipping negates the root's
x with the image) with :func:`~gast_pyg.metrics.trajectory_loss` (root-relative MPJPE plus the
depth-weighted root error), its root head starts at the mean training root, its focal length is
the mean of the training cameras' (:class:`~gast_pyg.models.TrajectoryModel`), and the checkpoints
record the mean training root depth (``training['trajectory_mean_depth_m']``), the depth of the
evaluation's baseline, so a checkpoint is evaluated without its training data. Validation stays
P1 of the root-relative pose.
"""
from __future__ import annotations

import copy
import json
import math
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from gast_pyg.camera_space import mean_root_depth
from gast_pyg.checkpoints import CheckpointError, load_checkpoint, load_weights, save_checkpoint
from gast_pyg.data import Camera, DataError, WindowSampler, resolve_subjects
from gast_pyg.data.pipeline import Nested, PoseData, flatten, load_data
from gast_pyg.evaluation import evaluate
from gast_pyg.metrics import mpjpe, trajectory_loss
from gast_pyg.models import TrajectoryModel, build_model
from gast_pyg.models.base import LiftingModel
from gast_pyg.runtime import configure_threads

__all__ = ['PRESETS', 'default_downsample', 'resolve_options', 'resolve_device', 'train', 'TrainResult',
           'synthetic_banner']

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
    # The embedded demo: small model, few short sequences, a few epochs (~30 s on 2 idle cores).
    'synthetic': dict(
        epochs=4, batch_size=64, lr=2e-3, lr_decay=0.95, downsample=2,
        dropout={'gast': 0.05, 'tcn': 0.25}, channels={'gast': 32, 'tcn': 256},
        train_subjects=['S1', 'S5', 'S6', 'S7'], test_subjects=['S8'], skeleton='h36m',
        synthetic_sequences=2, synthetic_frames=400,
    ),
}

# Options whose values must be the same when a run is resumed (anything that changes the
# training trajectory); ``epochs`` may grow, everything else (devices, paths) is free.
_RESUME_KEYS = (
    'dataset', 'data_3d', 'data_2d', 'noise_2d', 'train_subjects', 'actions', 'skeleton',
    'synthetic_sequences', 'synthetic_frames', 'arch', 'receptive_field', 'channels', 'causal',
    'dropout', 'batch_size', 'lr', 'lr_decay', 'downsample', 'flip_augment', 'seed', 'amp',
    'world_size', 'local_connection', 'local_symmetry', 'global_attention', 'adaptive_matrix',
    'trajectory', 'augment_2d', 'augment_2d_fraction', 'init_weights',
)
#: What a checkpoint saved before an option existed ran with.
_RESUME_DEFAULTS = {'augment_2d': 'none', 'augment_2d_fraction': 1.0, 'init_weights': None}

#: GAST-Net's components, ``build_model`` keywords (all on unless a run switches one off for
#: the ablation), and what each one keeps.
COMPONENTS = {
    'local_connection': 'the local graph over the connection (first/second order) edges',
    'local_symmetry': 'the local graph over the symmetry edges',
    'global_attention': 'the global attention B_k',
    'adaptive_matrix': 'the learned adaptive matrix C_k',
}


# --------------------------------------------------------------------------------------------
# Options


def default_downsample(dataset: str, receptive_field: int) -> int:
    """The frame step of ``dataset``'s preset for a model of ``receptive_field`` frames."""
    return PRESETS[dataset]['downsample'] or (5 if receptive_field < 243 else 1)


def resolve_options(args: Any) -> Any:
    """A copy of the options ``args`` (an :class:`argparse.Namespace` or any object with the
    attributes of ``gast-pyg train``'s options) with every unset option filled from the preset
    of its dataset; options a command does not have (``gast-pyg evaluate`` has no model options)
    are left out. An unset run folder (``checkpoint_dir``) becomes ``runs/NAME``, ``NAME`` the
    configuration's (``config``) or the dataset's name."""
    args = copy.copy(args)
    if args.dataset is None:
        args.dataset = 'synthetic' if args.data_3d is None else 'h36m'
    if args.dataset == 'synthetic' and args.data_3d is not None:
        raise DataError('--dataset synthetic generates its own data; drop --data-3d or choose '
                        '--dataset h36m')
    preset = PRESETS[args.dataset]
    explicit_train = getattr(args, 'train_subjects', None) is not None
    explicit_test = getattr(args, 'test_subjects', None) is not None
    for name in ('epochs', 'batch_size', 'lr', 'lr_decay', 'train_subjects', 'test_subjects',
                 'skeleton', 'synthetic_sequences', 'synthetic_frames'):
        if hasattr(args, name) and getattr(args, name) is None:
            setattr(args, name, preset.get(name))
    if hasattr(args, 'arch'):
        for name in ('dropout', 'channels'):
            if getattr(args, name) is None:
                setattr(args, name, preset[name][args.arch])
        if args.downsample is None:
            args.downsample = default_downsample(args.dataset, args.receptive_field)
    if hasattr(args, 'checkpoint_dir') and args.checkpoint_dir is None:
        name = Path(args.config).stem if getattr(args, 'config', None) else args.dataset
        args.checkpoint_dir = Path('runs') / name
    if hasattr(args, 'train_subjects'):
        args.train_subjects, args.subject_warnings = resolve_subjects(
            args.train_subjects, args.test_subjects, explicit_train=explicit_train,
            explicit_test=explicit_test)
    if getattr(args, 'validation_subjects', ()) is None:
        args.validation_subjects = list(args.test_subjects)
    if getattr(args, 'epochs', 0) < 0:
        raise ValueError(f'--epochs must be >= 0, got {args.epochs}')
    return args


# --------------------------------------------------------------------------------------------
# Training


@dataclass
class TrainResult:
    """What :func:`train` returns: the final model (eval mode), the per-epoch history, the
    checkpoint folder, the data it was trained on, this process's rank (only rank 0 reports)
    and, for a trajectory model, the mean training root depth (metres)."""

    model: LiftingModel
    history: list[dict[str, Any]]
    checkpoint_dir: Path
    data: PoseData | None = field(default=None, repr=False)
    rank: int = 0
    mean_root_depth: float | None = None


@dataclass
class _Runtime:
    device: torch.device
    rank: int = 0
    world_size: int = 1
    owns_group: bool = False

    def close(self) -> None:
        if self.owns_group and dist.is_initialized():
            dist.destroy_process_group()


def resolve_device(name: str) -> torch.device:
    """``'auto'`` (CUDA if available), ``'cpu'``, ``'cuda'``, ``'cuda:1'``, ... as a device."""
    if name == 'auto':
        return torch.device('cuda' if torch.cuda.is_available() else 'cpu')
    device = torch.device(name)
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise ValueError(f'--device {name}: CUDA is not available')
    return device


def _setup(args: Any) -> _Runtime:
    world_size = int(os.environ.get('WORLD_SIZE', '1'))
    if args.threads or world_size <= 1:
        configure_threads(args.threads)
    else:
        local = int(os.environ.get('LOCAL_WORLD_SIZE', world_size))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local))
    device = resolve_device(args.device)
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


def _training_options(args: Any, world_size: int) -> dict[str, Any]:
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
        value = saved.get(key, _RESUME_DEFAULTS.get(key))
        if value != options.get(key):
            what = 'processes' if key == 'world_size' else _flag(key)
            raise CheckpointError(
                f'{path}: saved with {what} {value!r}, this run has '
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


def _init_weights(model: LiftingModel, path: Path) -> None:
    """Start ``model`` from the pose weights of the checkpoint at ``path``: a model of the same
    configuration except its temporal form (causal or not: the same weights) and, for a
    :class:`~gast_pyg.models.TrajectoryModel`, its pose model (the root head stays new)."""
    checkpoint = load_checkpoint(path)
    saved = dict(checkpoint['config'])
    target = model.pose if isinstance(model, TrajectoryModel) else model
    current = dict(target.config)
    for key in ('causal',):
        saved.pop(key, None), current.pop(key, None)
    if saved != current:
        differing = sorted(k for k in set(saved) | set(current) if saved.get(k) != current.get(k))
        raise CheckpointError(f'{path}: init_weights needs a pose model of the same configuration '
                              f'(differs in {", ".join(differing)})')
    try:
        target.load_state_dict(checkpoint['state_dict'], strict=True)
    except RuntimeError as error:
        raise CheckpointError(f'{path}: weights do not fit the model: {str(error)[:300]}') from error


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


def _mean_root(roots: Nested) -> torch.Tensor:
    """The mean camera-space root ``(3,)`` over every frame of ``roots``."""
    return torch.from_numpy(np.concatenate([seq.reshape(-1, 3) for seq in flatten(roots)])
                            .mean(axis=0, dtype=np.float64).astype(np.float32))


def _mean_focal_length(cameras: Mapping[str, list[Camera]], subjects: list[str]) -> float:
    """The mean normalised horizontal focal length ``2 f_px / width`` of ``subjects``' cameras."""
    return float(np.mean([camera.focal_length[0] for s in subjects for camera in cameras[s]]))


def _absolute(targets: Nested, roots: Nested) -> list[np.ndarray]:
    """Absolute camera-space joints, sequence by sequence in :func:`flatten`'s order."""
    return [relative + root for relative, root in zip(flatten(targets), flatten(roots))]


def synthetic_banner(data: PoseData, log: Callable[..., None]) -> None:
    """Say loudly that the synthetic demo's errors say nothing about real data."""
    if data.synthetic:
        log('=' * 78)
        log('SYNTHETIC DEMO: no --data-3d given, so this runs on a small walking data set that '
            'gast_pyg\nsynthesises itself (gast_pyg.data.synthetic_motion), not on Human3.6M. '
            'The errors below\nshow the pipeline working end to end; they say nothing about '
            'accuracy on real data.')
        log('=' * 78)


def train(args: Any, data: PoseData | None = None) -> TrainResult:
    """Train with resolved options (:func:`resolve_options`); see the module docstring.

    ``data`` (from :func:`~gast_pyg.data.pipeline.load_data`) is loaded when not given. Returns
    the final model in eval mode, the per-epoch history and the data; evaluating it on the test
    subjects is the caller's (``gast-pyg train`` does it and prints the table).

    Raises:
        DataError, CheckpointError, ValueError: For bad data, a checkpoint that cannot be resumed,
            or inconsistent options.
    """
    runtime = _setup(args)
    try:
        return _train(args, runtime, data)
    finally:
        runtime.close()


def _train(args: Any, runtime: _Runtime, data: PoseData | None) -> TrainResult:
    rank, world_size, device = runtime.rank, runtime.world_size, runtime.device
    log = _print if rank == 0 else (lambda *_: None)
    if args.batch_size % world_size:
        raise ValueError(f'--batch-size {args.batch_size} must be divisible by the number of '
                         f'processes ({world_size})')
    if data is None:
        data = load_data(args, {'--train-subjects': args.train_subjects,
                                '--test-subjects': args.test_subjects,
                                '--validation-subjects': args.validation_subjects})
    synthetic_banner(data, log)
    # A training sequence with the motion of a held-out one (the expmap release has such
    # byte-identical files across subjects) would leak the test set into training: drop it.
    leaks = data.leaks(args.train_subjects, [*args.test_subjects, *args.validation_subjects])
    for (subject, action), (other, other_action) in leaks:
        log(f'excluded {subject} {action!r} from training: the same motion as held-out '
            f'{other} {other_action!r}')
    excluded = [pair[0] for pair in leaks]
    train_inputs, train_targets = data.subset(args.train_subjects, excluded, training=True)
    trajectory = getattr(args, 'trajectory', None)
    if trajectory:
        train_roots = data.subset_roots(args.train_subjects, excluded)
        sampler_targets = _absolute(train_targets, train_roots)
    else:
        sampler_targets = flatten(train_targets)
    sampler = WindowSampler(
        flatten(train_inputs), sampler_targets, args.receptive_field,
        causal=args.causal, downsample=args.downsample, batch_size=args.batch_size // world_size,
        shuffle=True, seed=args.seed, flip_augment=args.flip_augment, skeleton=data.skeleton)
    steps = len(sampler) // world_size
    if steps == 0:
        raise DataError(f'{sampler.num_windows} training windows make no batch of '
                        f'{args.batch_size // world_size} on each of {world_size} processes')

    torch.manual_seed(args.seed)
    components = {key: getattr(args, key, True) for key in COMPONENTS} if args.arch == 'gast' else {}
    model = build_model(skeleton=data.skeleton, receptive_field=args.receptive_field,
                        channels=args.channels, causal=args.causal, dropout=args.dropout,
                        arch=args.arch, trajectory=trajectory, **components,
                        **({'trajectory_focal_length': _mean_focal_length(
                            data.cameras, args.train_subjects)} if trajectory else {}))
    options = _training_options(args, world_size)
    if isinstance(model, TrajectoryModel):
        model.init_root(_mean_root(train_roots))
        options['trajectory_mean_depth_m'] = mean_root_depth(train_roots)
    if getattr(args, 'init_weights', None) and not args.resume:
        _init_weights(model, Path(args.init_weights))
        log(f'initialised from {args.init_weights}')
    model.to(device)
    if world_size > 1:
        torch.manual_seed(args.seed + rank)  # an own dropout stream per process
    optimizer = torch.optim.Adam(model.parameters(), lr=args.lr, amsgrad=True)
    state: dict[str, Any] = dict(epoch=0, lr=args.lr, best=math.inf, history=[])
    checkpoint_dir = Path(args.checkpoint_dir)
    if args.resume:
        path = checkpoint_dir / 'last.pt' if args.resume == 'last' else Path(args.resume)
        state = _resume(path, model, optimizer, sampler, options, runtime)
        log(f'resumed {path} after epoch {state["epoch"]} (lr {state["lr"]:.3g})')

    parameters = sum(p.numel() for p in model.parameters())
    log(f'data: {data.description}')
    log(f'model: {args.arch} rf {model.receptive_field}, {args.channels} channels, '
        f'{parameters:,} parameters, causal={args.causal}, dropout {args.dropout}'
        + (f', trajectory {trajectory}' if trajectory else ''))
    for warning in getattr(args, 'subject_warnings', ()):
        log(warning)
    log(f'training on {", ".join(args.train_subjects)} (testing on '
        f'{", ".join(args.test_subjects) or "none"}): {sampler.num_windows:,} windows per '
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
        loss_sum, root_sum, windows = 0.0, 0.0, 0
        batches = _shard(iter(sampler), rank, world_size, steps)
        if rank == 0 and args.progress and sys.stderr.isatty():
            from tqdm.auto import tqdm
            batches = tqdm(batches, total=steps, desc=f'epoch {epoch + 1}/{args.epochs}',
                           unit='batch', leave=False, mininterval=2, dynamic_ncols=True)
        for step, (inputs, targets) in enumerate(batches):
            inputs, targets = inputs.to(device), targets.to(device)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=args.amp):
                predicted = network(inputs)
            if trajectory:
                terms = trajectory_loss(predicted.float(), targets, data.skeleton.root)
                loss, pose_loss = terms.total, terms.pose
                root_sum += terms.root.item() * len(inputs)
            else:
                loss = pose_loss = mpjpe(predicted.float(), targets)
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            loss_sum += pose_loss.item() * len(inputs)
            windows += len(inputs)
            if hasattr(batches, 'set_postfix') and step % 10 == 0:
                batches.set_postfix(loss=f'{1000 * loss_sum / windows:.1f}mm', lr=f'{lr:.2e}',
                                    refresh=False)
        if hasattr(batches, 'close'):
            batches.close()
        if world_size > 1:
            totals = torch.tensor([loss_sum, root_sum, windows], dtype=torch.float64,
                                  device=device)
            dist.all_reduce(totals)
            loss_sum, root_sum, windows = totals.tolist()
        train_seconds = time.perf_counter() - started

        val = None
        if rank == 0 and args.validation_subjects:
            val = evaluate(model, val_inputs, val_targets, downsample=args.downsample,
                           flip=False, metrics=('mpjpe',))['average']['mpjpe']
        record = dict(epoch=epoch + 1, lr=lr, train_mpjpe=1000 * loss_sum / windows,
                      val_mpjpe=val, train_seconds=train_seconds,
                      seconds=time.perf_counter() - started,
                      windows_per_second=windows / train_seconds)
        if trajectory:
            record['train_root_loss'] = root_sum / windows
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
            if improved:  # best first: after a kill, best.pt is never older than last.pt says
                save_checkpoint(checkpoint_dir / 'best.pt', model, **payload)
            save_checkpoint(checkpoint_dir / 'last.pt', model, **payload)
            val_text = '' if val is None else f'  val P1 {val:.1f} mm{" *" if improved else ""}'
            root_text = (f'  root loss {record["train_root_loss"]:.4f}' if trajectory else '')
            log(f'epoch {epoch + 1}/{args.epochs}  lr {record["lr"]:.2e}  train MPJPE '
                f'{record["train_mpjpe"]:.1f} mm{root_text}{val_text}  {record["seconds"]:.0f} s '
                f'({record["windows_per_second"]:.0f} windows/s)')
        if world_size > 1:
            dist.barrier()

    model.eval()
    return TrainResult(model, state['history'], checkpoint_dir, data, rank,
                       options.get('trajectory_mean_depth_m'))
