"""The training loop: :func:`train` fits the model of a :class:`~gast_pyg.configs.RunConfig` on
the data of :mod:`gast_pyg.data.pipeline` with the paper's protocol and returns the result; the
final evaluation and its report are the command line's (``gast-pyg train``).

Training samples receptive-field windows with :class:`~gast_pyg.data.WindowSampler` (seeded
shuffling, flip augmentation; ``augment_2d='detector'`` cuts them from detector-like 2D),
minimises MPJPE on root-relative joints, validates P1 each epoch and writes ``best.pt`` (lowest
validation P1, when it improved) and then ``last.pt`` (full training state) atomically after
every epoch; since ``best.pt`` is written first, a run killed between the two writes leaves a
``best.pt`` at least as new as ``last.pt``'s record. ``resume`` restores weights, optimizer,
learning rate, epoch, the sampler's and torch's random streams, so a resumed run ends with the
same weights as an uninterrupted one. Under ``torchrun`` every process trains on a disjoint shard
of each epoch's batches with DistributedDataParallel (gloo on CPU, nccl on CUDA).

A trajectory model (``model.trajectory``, :class:`~gast_pyg.models.TrajectoryModel`) also places
the root in camera space: it trains on absolute camera-space targets (flipping negates the root's
x with the image) with :func:`~gast_pyg.metrics.trajectory_loss`, its root head starts at the
mean training root, its focal length is the mean of the training cameras', and its checkpoints
record the mean training root depth (``training['trajectory_mean_depth_m']``), the depth of the
evaluation's baseline. Validation stays P1 of the root-relative pose.
"""
from __future__ import annotations

import json
import math
import os
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Optional, Union

import numpy as np
import torch
import torch.distributed as dist

from gast_pyg.camera_space import mean_root_depth
from gast_pyg.checkpoints import CheckpointError, load_checkpoint, restore_weights, save_checkpoint
from gast_pyg.configs import ConfigError, RunConfig
from gast_pyg.data import Camera, DataError, WindowSampler
from gast_pyg.data.pipeline import Nested, PoseData, flatten, load_data, synthetic_banner
from gast_pyg.devices import autocast_dtype, resolve_device
from gast_pyg.evaluation import evaluate
from gast_pyg.metrics import mpjpe, trajectory_loss
from gast_pyg.models import TrajectoryModel, build_model
from gast_pyg.models.base import LiftingModel
from gast_pyg.runtime import configure_threads

PathLike = Union[str, os.PathLike]

__all__ = ['train', 'TrainResult']

# Fields whose values must be the same when a run is resumed (anything that changes the training
# trajectory); ``epochs`` may grow, everything else (devices, paths) is free.
_RESUME_KEYS = (
    'dataset', 'data_3d', 'data_2d', 'noise_2d', 'train_subjects', 'actions', 'skeleton',
    'synthetic_sequences', 'synthetic_frames', 'arch', 'receptive_field', 'channels', 'causal',
    'dropout', 'batch_size', 'lr', 'lr_decay', 'downsample', 'flip_augment', 'seed', 'amp',
    'amp_dtype',
    'world_size', 'local_connection', 'local_symmetry', 'global_attention', 'adaptive_matrix',
    'trajectory', 'augment_2d', 'augment_2d_fraction', 'init_weights',
)
#: What a checkpoint saved before a field existed ran with.
_RESUME_DEFAULTS = {'augment_2d': 'none', 'augment_2d_fraction': 1.0, 'init_weights': None,
                    'amp_dtype': None}

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


def _setup(threads: Optional[int], device_name: str) -> _Runtime:
    world_size = int(os.environ.get('WORLD_SIZE', '1'))
    if threads or world_size <= 1:
        configure_threads(threads)
    else:
        local = int(os.environ.get('LOCAL_WORLD_SIZE', world_size))
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // local))
    device = resolve_device(device_name)
    if world_size <= 1:
        return _Runtime(device)
    if device.type == 'cuda':  # one GPU per process: the process's index on its node
        device = resolve_device(f"cuda:{int(os.environ.get('LOCAL_RANK', '0'))}")
        torch.cuda.set_device(device)
    owns = not dist.is_initialized()
    if owns:
        dist.init_process_group('nccl' if device.type == 'cuda' else 'gloo',
                                timeout=timedelta(hours=2))
    return _Runtime(device, dist.get_rank(), dist.get_world_size(), owns)


def _training_options(config: RunConfig, world_size: int) -> dict[str, Any]:
    """What a checkpoint records of its run: the fields that must not change on resume (with
    the resolved width, dropout and frame step), the epochs and the held-out subjects."""
    flat = config.to_mapping()
    options = {key: flat.get(key) for key in _RESUME_KEYS if key != 'world_size'}
    options.update(channels=config.model.width, dropout=config.model.dropout_rate,
                   downsample=config.downsample, world_size=world_size,
                   epochs=config.optim.epochs,
                   validation_subjects=list(config.validation_subjects),
                   test_subjects=list(config.data.test_subjects))
    for key in ('data_3d', 'data_2d'):
        if options[key] not in (None, 'gt'):
            options[key] = str(Path(options[key]).resolve())
    return options


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
            what = 'processes' if key == 'world_size' else key
            raise CheckpointError(
                f'{path}: saved with {what} {value!r}, this run has '
                f'{options.get(key)!r}; resume with the configuration of the run (only epochs '
                f'and paths/devices may change)')
    restore_weights(model, checkpoint, source=str(path))
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


def train(config: RunConfig, *, data: PoseData | None = None, device: str = 'auto',
          threads: Optional[int] = None, resume: Optional[PathLike] = None,
          progress: bool = True) -> TrainResult:
    """Train the run ``config`` describes; see the module docstring.

    Args:
        config: The run (data, model, optimisation, checkpoint folder).
        data: The run's data (:func:`~gast_pyg.data.pipeline.load_data`); loaded when not given.
        device: ``'auto'`` (CUDA if available), ``'cpu'``, ``'cuda'``, ``'cuda:1'``, ...
        threads: Torch CPU threads (``None``: :func:`~gast_pyg.runtime.configure_threads`).
        resume: Continue from this checkpoint (``'last'``: the run folder's ``last.pt``).
        progress: Progress bars on a terminal.

    Returns:
        The final model in eval mode, the per-epoch history and the data; evaluating it on the
        test subjects is the caller's (``gast-pyg train`` does it and prints the table).

    Raises:
        DataError, CheckpointError, ConfigError: For bad data, a checkpoint that cannot be
            resumed, or an inconsistent configuration.
    """
    if config.optim.epochs < 0:
        raise ConfigError(f'epochs must be >= 0, got {config.optim.epochs}')
    runtime = _setup(threads, device)
    try:
        return _Run(config, runtime, data, progress).fit(resume)
    finally:
        runtime.close()


class _Run:
    """One training run: data, sampler, model and optimizer, and the loop over epochs."""

    def __init__(self, config: RunConfig, runtime: _Runtime, data: PoseData | None,
                 progress: bool):
        self.config, self.runtime, self.progress = config, runtime, progress
        self.log = _print if runtime.rank == 0 else (lambda *_: None)
        world_size, d, m, o = runtime.world_size, config.data, config.model, config.optim
        if o.amp_dtype is not None and not o.amp:
            raise ConfigError(f'amp_dtype {o.amp_dtype}: the autocast type of amp, which is off; '
                              f'turn amp on (--amp) or leave amp_dtype unset')
        autocast_dtype(o.amp_dtype, runtime.device)  # an unknown name fails before the data
        if o.batch_size % world_size:
            raise ConfigError(f'batch_size {o.batch_size} must be divisible by the number of '
                              f'processes ({world_size})')
        if data is None:
            data = load_data(d, {'train_subjects': d.train_subjects,
                                 'test_subjects': d.test_subjects,
                                 'validation_subjects': config.validation_subjects},
                             trajectory=m.trajectory is not None)
        self.data = data
        synthetic_banner(data, self.log)
        # A training sequence with the motion of a held-out one (the expmap release has such
        # byte-identical files across subjects) would leak the test set into training: drop it.
        leaks = data.leaks(d.train_subjects, [*d.test_subjects, *config.validation_subjects])
        for (subject, action), (other, other_action) in leaks:
            self.log(f'excluded {subject} {action!r} from training: the same motion as held-out '
                     f'{other} {other_action!r}')
        excluded = [pair[0] for pair in leaks]
        inputs, targets = data.subset(d.train_subjects, excluded, training=True)
        if m.trajectory:
            roots = data.subset_roots(d.train_subjects, excluded)
            sampler_targets = _absolute(targets, roots)
        else:
            sampler_targets = flatten(targets)
        self.sampler = WindowSampler(
            flatten(inputs), sampler_targets, m.receptive_field, causal=m.causal,
            downsample=config.downsample, batch_size=o.batch_size // world_size, shuffle=True,
            seed=d.seed, flip_augment=o.flip_augment, skeleton=data.skeleton,
            pin_memory=runtime.device.type == 'cuda')
        self.steps = len(self.sampler) // world_size
        if self.steps == 0:
            raise DataError(f'{self.sampler.num_windows} training windows make no batch of '
                            f'{o.batch_size // world_size} on each of {world_size} processes')

        torch.manual_seed(d.seed)
        self.model = build_model(
            skeleton=data.skeleton, receptive_field=m.receptive_field, channels=m.width,
            causal=m.causal, dropout=m.dropout_rate, arch=m.arch, trajectory=m.trajectory,
            **m.components, **({'trajectory_focal_length': _mean_focal_length(
                data.cameras, d.train_subjects)} if m.trajectory else {}))
        self.options = _training_options(config, world_size)
        if isinstance(self.model, TrajectoryModel):
            self.model.init_root(_mean_root(roots))
            self.options['trajectory_mean_depth_m'] = mean_root_depth(roots)
        self.model.to(runtime.device)
        if world_size > 1:
            torch.manual_seed(d.seed + runtime.rank)  # an own dropout stream per process
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=o.lr, amsgrad=True)
        self.network: torch.nn.Module = self.model
        if world_size > 1:
            device = runtime.device
            self.network = torch.nn.parallel.DistributedDataParallel(
                self.model, device_ids=[device.index] if device.type == 'cuda' else None)

    def fit(self, resume: Optional[PathLike]) -> TrainResult:
        config, runtime, log, model = self.config, self.runtime, self.log, self.model
        d, m, o = config.data, config.model, config.optim
        folder = config.run_folder()
        state: dict[str, Any] = dict(epoch=0, lr=o.lr, best=math.inf, history=[])
        if resume:
            path = folder / 'last.pt' if str(resume) == 'last' else Path(resume)
            state = _resume(path, model, self.optimizer, self.sampler, self.options, runtime)
            log(f'resumed {path} after epoch {state["epoch"]} (lr {state["lr"]:.3g})')
        elif o.init_weights:
            _init_weights(model, Path(o.init_weights))
            log(f'initialised from {o.init_weights}')
        log(f'data: {self.data.description}')
        log(f'model: {m.arch} rf {model.receptive_field}, {m.width} channels, '
            f'{sum(p.numel() for p in model.parameters()):,} parameters, causal={m.causal}, '
            f'dropout {m.dropout_rate}' + (f', trajectory {m.trajectory}' if m.trajectory else ''))
        log(f'training on {", ".join(d.train_subjects)} (testing on '
            f'{", ".join(d.test_subjects) or "none"}): {self.sampler.num_windows:,} windows per '
            f'epoch (downsample {config.downsample}), batch {o.batch_size} over '
            f'{runtime.world_size} process(es), {self.steps} steps per epoch, '
            f'{torch.get_num_threads()} threads each, device {runtime.device}')
        validation = self.data.subset(config.validation_subjects)
        lr = state['lr']
        for epoch in range(state['epoch'], o.epochs):
            record = self._epoch(epoch, lr)
            if runtime.rank == 0 and config.validation_subjects:
                record['val_mpjpe'] = evaluate(
                    model, *validation, downsample=config.downsample, flip=False,
                    metrics=('mpjpe',))['average']['mpjpe']
            record['seconds'] = time.perf_counter() - record.pop('started')
            state['history'].append(record)
            lr *= o.lr_decay
            self._save(state, record, epoch, lr, folder)
        model.eval()
        return TrainResult(model, state['history'], folder, self.data, runtime.rank,
                           self.options.get('trajectory_mean_depth_m'))

    def _epoch(self, epoch: int, lr: float) -> dict[str, Any]:
        """One pass over this process's shard of the training batches."""
        config, runtime = self.config, self.runtime
        device, trajectory = runtime.device, self.config.model.trajectory
        amp = config.optim.amp
        amp_dtype = autocast_dtype(config.optim.amp_dtype, device)
        # float16 gradients underflow without loss scaling; bfloat16 has float32's range.
        scaler = torch.amp.GradScaler(device.type, enabled=amp and amp_dtype == torch.float16)
        for group in self.optimizer.param_groups:
            group['lr'] = lr
        self.network.train()
        started = time.perf_counter()
        # Summed on the device: reading a loss back every step would make the CPU wait for
        # the GPU instead of cutting the next batch while the GPU computes this one.
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        root_sum, windows = torch.zeros_like(loss_sum), 0
        batches = _shard(iter(self.sampler), runtime.rank, runtime.world_size, self.steps)
        if runtime.rank == 0 and self.progress and sys.stderr.isatty():
            from tqdm.auto import tqdm
            batches = tqdm(batches, total=self.steps, unit='batch', leave=False, mininterval=2,
                           desc=f'epoch {epoch + 1}/{config.optim.epochs}', dynamic_ncols=True)
        for step, (inputs, targets) in enumerate(batches):
            inputs = inputs.to(device, non_blocking=True)  # from pinned memory on CUDA
            targets = targets.to(device, non_blocking=True)
            with torch.autocast(device.type, dtype=amp_dtype, enabled=amp):
                predicted = self.network(inputs)
            if trajectory:
                terms = trajectory_loss(predicted.float(), targets, self.data.skeleton.root)
                loss, pose_loss = terms.total, terms.pose
                root_sum += terms.root.detach().double() * len(inputs)
            else:
                loss = pose_loss = mpjpe(predicted.float(), targets)
            self.optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(self.optimizer)
            scaler.update()
            loss_sum += pose_loss.detach().double() * len(inputs)
            windows += len(inputs)
            if hasattr(batches, 'set_postfix') and step % 10 == 0:
                batches.set_postfix(loss=f'{1000 * loss_sum.item() / windows:.1f}mm',
                                    lr=f'{lr:.2e}', refresh=False)
        if hasattr(batches, 'close'):
            batches.close()
        totals = torch.stack([loss_sum, root_sum, loss_sum.new_tensor(windows)])
        if runtime.world_size > 1:
            dist.all_reduce(totals)
        loss_sum, root_sum, windows = totals.tolist()
        train_seconds = time.perf_counter() - started
        record = dict(epoch=epoch + 1, lr=lr, train_mpjpe=1000 * loss_sum / windows,
                      val_mpjpe=None, train_seconds=train_seconds, started=started,
                      windows_per_second=windows / train_seconds)
        if trajectory:
            record['train_root_loss'] = root_sum / windows
        return record

    def _save(self, state: dict[str, Any], record: dict[str, Any], epoch: int, lr: float,
              folder: Path) -> None:
        """``best.pt`` (when validation improved) then ``last.pt``, on rank 0."""
        rng_states = _all_rng_states(self.runtime)
        if self.runtime.rank == 0:
            val = record['val_mpjpe']
            improved = val is not None and val < state['best']
            if improved:
                state['best'] = val
            payload = dict(epoch=epoch + 1, lr=lr, optimizer=self.optimizer.state_dict(),
                           sampler=json.dumps(self.sampler.state_dict()), torch_rng=rng_states,
                           history=state['history'], best_val_mpjpe=state['best'],
                           training=self.options)
            if improved:  # best first: after a kill, best.pt is never older than last.pt says
                save_checkpoint(folder / 'best.pt', self.model, **payload)
            save_checkpoint(folder / 'last.pt', self.model, **payload)
            val_text = '' if val is None else f'  val P1 {val:.1f} mm{" *" if improved else ""}'
            root_text = (f'  root loss {record["train_root_loss"]:.4f}'
                         if 'train_root_loss' in record else '')
            self.log(f'epoch {epoch + 1}/{self.config.optim.epochs}  lr {record["lr"]:.2e}  '
                     f'train MPJPE {record["train_mpjpe"]:.1f} mm{root_text}{val_text}  '
                     f'{record["seconds"]:.0f} s ({record["windows_per_second"]:.0f} windows/s)')
        if self.runtime.world_size > 1:
            dist.barrier()
