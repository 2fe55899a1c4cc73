"""Typed run configurations: what a training or evaluation run is, with its defaults in one place.

A :class:`RunConfig` holds four frozen sections, :class:`DataConfig`, :class:`ModelConfig`,
:class:`OptimConfig` and :class:`EvaluationConfig`; the defaults of their fields are the paper's
Human3.6M protocol (GAST-Net, 27 frames, 128 channels, Amsgrad, lr 1e-3 x 0.95 per epoch, batch
128, 60 epochs, 10 fps input, S1/S5/S6/S7/S8 -> S9/S11). A YAML file holds a flat mapping of field
names to values (``receptive_field: 27``, ``train_subjects: [S1, S5]``); the shipped ones
(``*.yaml`` beside this module) are named (``paper-h36m-27``, ``paper-humaneva``, ``synthetic``)
and state only what differs from the defaults. Files are read with ``yaml.safe_load`` (no object
can be constructed from a file); unknown keys and wrong types are a :class:`ConfigError` naming
the file and the key.

``channels`` and ``dropout`` may be given per architecture (``channels: {gast: 32, tcn: 256}``);
unset they take the architecture's value of :data:`ARCHITECTURE_DEFAULTS`. ``downsample`` unset
means 5 (10 fps) below a receptive field of 243 frames, else 1.
"""
from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from importlib import resources
from pathlib import Path
from typing import Any, Optional, Union

import yaml

from gast_pyg.errors import GastPygError

__all__ = ['ConfigError', 'DataConfig', 'ModelConfig', 'OptimConfig', 'EvaluationConfig',
           'RunConfig', 'ARCHITECTURE_DEFAULTS', 'DATASET_PRESETS', 'available', 'config_path',
           'read_config_file', 'dump_config']

PathLike = Union[str, os.PathLike]

#: Width and dropout of each architecture when a configuration leaves them unset.
ARCHITECTURE_DEFAULTS: dict[str, dict[str, Any]] = {
    'gast': dict(channels=128, dropout=0.05),
    'tcn': dict(channels=1024, dropout=0.25),
}

#: The shipped configuration whose values a data set's runs start from (``None``: the defaults).
DATASET_PRESETS: dict[str, Optional[str]] = {
    'h36m': None, 'humaneva': 'paper-humaneva', 'synthetic': 'synthetic'}


class ConfigError(GastPygError):
    """A run configuration that is missing, unreadable, names an unknown key or has a value of
    the wrong type."""


@dataclass(frozen=True)
class DataConfig:
    """Where the poses come from and which of them a run uses.

    Attributes:
        dataset: ``'h36m'``, ``'humaneva'`` (their cameras and presets) or ``'synthetic'`` (a
            small walking data set the package synthesises; needs no ``data_3d``).
        data_3d: VideoPose3D 3D file (``positions_3d``, world metres).
        data_2d: VideoPose3D 2D file, or ``'gt'``: the projection of the 3D with the cameras.
        noise_2d: Std in pixels of the seeded Gaussian jitter added to every 2D keypoint.
        augment_2d: ``'none'`` or ``'detector'``: detector-like training 2D made from the clean
            projections (:mod:`gast_pyg.data.detector_noise`).
        augment_2d_fraction: The share of the training sequences (per camera, seeded) that get
            the detector-like 2D; the others keep the clean 2D.
        train_subjects, test_subjects: The split; ``validation_subjects`` (validated after every
            epoch) default to the test subjects.
        actions: The actions used (sub-actions included); ``None``: all.
        skeleton: Bundled skeleton name or YAML path.
        downsample: Keep every n-th frame (``None``: 5 below 243 frames, else 1).
        seed: Seed of the 2D noise, the augmentation and the synthetic motion (and of the
            initialisation, shuffling and dropout of a training run).
        synthetic_sequences, synthetic_frames: Size of the synthetic data set (sequences per
            subject, frames per sequence at 50 Hz).
    """

    dataset: str = 'h36m'
    data_3d: Optional[str] = None
    data_2d: str = 'gt'
    noise_2d: float = 0.0
    augment_2d: str = 'none'
    augment_2d_fraction: float = 1.0
    train_subjects: tuple[str, ...] = ('S1', 'S5', 'S6', 'S7', 'S8')
    test_subjects: tuple[str, ...] = ('S9', 'S11')
    validation_subjects: Optional[tuple[str, ...]] = None
    actions: Optional[tuple[str, ...]] = None
    skeleton: str = 'h36m'
    downsample: Optional[int] = None
    seed: int = 0
    synthetic_sequences: int = 2
    synthetic_frames: int = 400


@dataclass(frozen=True)
class ModelConfig:
    """The model a run trains (see :func:`gast_pyg.models.build_model`).

    Attributes:
        arch: ``'gast'`` or ``'tcn'`` (the VideoPose3D baseline).
        receptive_field: Frames each output sees (27, 81 or 243).
        channels, dropout: ``None``: the architecture's (:data:`ARCHITECTURE_DEFAULTS`).
        causal: The real-time form (output frame ``t`` sees frames up to ``t``).
        trajectory: ``None``, ``'shared'`` or ``'separate'``: also predict the root's
            camera-space position.
        local_connection, local_symmetry, global_attention, adaptive_matrix: GAST-Net's
            components (switched off one at a time for the ablation).
    """

    arch: str = 'gast'
    receptive_field: int = 27
    channels: Optional[int] = None
    dropout: Optional[float] = None
    causal: bool = False
    trajectory: Optional[str] = None
    local_connection: bool = True
    local_symmetry: bool = True
    global_attention: bool = True
    adaptive_matrix: bool = True

    @property
    def width(self) -> int:
        """``channels``, or the architecture's default."""
        return self.channels if self.channels is not None else \
            ARCHITECTURE_DEFAULTS[self.arch]['channels']

    @property
    def dropout_rate(self) -> float:
        """``dropout``, or the architecture's default."""
        return self.dropout if self.dropout is not None else \
            ARCHITECTURE_DEFAULTS[self.arch]['dropout']

    @property
    def components(self) -> dict[str, bool]:
        """GAST-Net's component switches as :func:`~gast_pyg.models.build_model` keywords
        (empty for the TCN)."""
        if self.arch != 'gast':
            return {}
        return dict(local_connection=self.local_connection, local_symmetry=self.local_symmetry,
                    global_attention=self.global_attention, adaptive_matrix=self.adaptive_matrix)


@dataclass(frozen=True)
class OptimConfig:
    """How a run trains.

    Attributes:
        epochs: Passes over the training windows.
        batch_size: Windows per step over all processes.
        lr, lr_decay: Amsgrad learning rate and its factor per epoch.
        flip_augment: Mirror half of the training windows.
        amp: Automatic mixed precision: the forward pass under :func:`torch.autocast`.
        amp_dtype: Its type with ``amp``, ``'float16'`` (with loss scaling) or ``'bfloat16'``;
            ``None``: float16 on CUDA, bfloat16 on CPUs.
        init_weights: A gast-pyg checkpoint of the same pose model whose weights the run
            starts from (fine-tuning), instead of a random initialisation.
    """

    epochs: int = 60
    batch_size: int = 128
    lr: float = 1e-3
    lr_decay: float = 0.95
    flip_augment: bool = True
    amp: bool = False
    amp_dtype: Optional[str] = None
    init_weights: Optional[str] = None


@dataclass(frozen=True)
class EvaluationConfig:
    """How the final table is computed.

    Attributes:
        test_flip: Average each prediction with the mirrored one.
        per_joint: Add the P1 error of every joint.
        precision: ``'float32'`` or ``'bfloat16'`` (autocast) lifting.
    """

    test_flip: bool = True
    per_joint: bool = False
    precision: str = 'float32'


_SECTIONS = {'data': DataConfig, 'model': ModelConfig, 'optim': OptimConfig,
             'evaluation': EvaluationConfig}
_PER_ARCHITECTURE = ('channels', 'dropout')


@dataclass(frozen=True)
class RunConfig:
    """One run: its sections and the folder its checkpoints and ``config.yaml`` go to
    (``None``: ``runs/NAME``, see :meth:`run_folder`)."""

    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    evaluation: EvaluationConfig = field(default_factory=EvaluationConfig)
    checkpoint_dir: Optional[str] = None
    name: str = 'h36m'

    @property
    def downsample(self) -> int:
        """The frame step of training and evaluation: ``data.downsample`` or the rule."""
        if self.data.downsample is not None:
            return self.data.downsample
        return 5 if self.model.receptive_field < 243 else 1

    @property
    def validation_subjects(self) -> tuple[str, ...]:
        return (self.data.validation_subjects if self.data.validation_subjects is not None
                else self.data.test_subjects)

    def run_folder(self) -> Path:
        """``checkpoint_dir``, or ``runs/NAME``."""
        return Path(self.checkpoint_dir) if self.checkpoint_dir else Path('runs') / self.name

    @classmethod
    def field_names(cls) -> list[str]:
        """Every key a configuration file may hold."""
        return [f.name for section in _SECTIONS.values() for f in fields(section)] + [
            'checkpoint_dir', 'name']

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], source: str = 'configuration'
                     ) -> 'RunConfig':
        """A configuration from a flat ``{field: value}`` mapping (unset fields keep their
        defaults); values are checked against the fields' types (lists become tuples).

        Raises:
            ConfigError: An unknown key or a value of the wrong type, naming ``source``."""
        values = {str(key).replace('-', '_'): value for key, value in values.items()}
        known = set(cls.field_names())
        for key in values:
            if key not in known:
                raise ConfigError(f'{source}: unknown key {key!r}; expected one of '
                                  f'{", ".join(sorted(known))}')
        arch = values.get('arch', ModelConfig.arch)
        if arch not in ARCHITECTURE_DEFAULTS:
            raise ConfigError(f'{source}: key arch: expected one of '
                              f'{", ".join(ARCHITECTURE_DEFAULTS)}, got {arch!r}')
        sections = {}
        for name, section in _SECTIONS.items():
            hints = typing.get_type_hints(section)
            kwargs = {}
            for f in fields(section):
                if f.name not in values:
                    continue
                value = values[f.name]
                if f.name in _PER_ARCHITECTURE and isinstance(value, Mapping):
                    value = value.get(arch)
                kwargs[f.name] = _checked(value, hints[f.name], f.name, source)
            sections[name] = section(**kwargs)
        top = {key: _checked(values[key], Optional[str], key, source)
               for key in ('checkpoint_dir', 'name') if key in values}
        if isinstance(top.get('checkpoint_dir'), os.PathLike):
            top['checkpoint_dir'] = os.fspath(top['checkpoint_dir'])
        return cls(**sections, **top)

    def to_mapping(self) -> dict[str, Any]:
        """The flat ``{field: value}`` mapping of :meth:`from_mapping` (tuples as lists)."""
        flat: dict[str, Any] = {}
        for name in _SECTIONS:
            for key, value in dataclasses.asdict(getattr(self, name)).items():
                flat[key] = list(value) if isinstance(value, tuple) else value
        flat.update(checkpoint_dir=self.checkpoint_dir, name=self.name)
        return flat

    def replace(self, **changes: Any) -> 'RunConfig':
        """A copy with flat fields changed (``replace(epochs=5, seed=1)``), checked as in
        :meth:`from_mapping`."""
        return RunConfig.from_mapping({**self.to_mapping(), **changes})

    @classmethod
    def load(cls, name_or_path: PathLike) -> 'RunConfig':
        """A shipped configuration by name, or a YAML file (e.g. a run's ``config.yaml``)."""
        path = config_path(name_or_path)
        return cls.from_mapping(read_config_file(path), str(path))

    def dump(self) -> str:
        """This configuration as the YAML text of a file :meth:`load` reads back."""
        return dump_config(self.to_mapping())


def _checked(value: Any, hint: Any, key: str, source: str) -> Any:
    """``value`` as the field type ``hint`` (``Optional``, ``tuple[str, ...]``, ``int``,
    ``float``, ``bool``, ``str``), or a :class:`ConfigError`."""
    origin, arguments = typing.get_origin(hint), typing.get_args(hint)
    if origin is Union:
        if value is None and type(None) in arguments:
            return None
        (inner,) = [a for a in arguments if a is not type(None)]
        return _checked(value, inner, key, source)
    if origin is tuple:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(',') if part.strip()]
        if isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value):
            return tuple(value)
        return _fail(value, 'a list of names', key, source)
    if hint is bool:
        return value if isinstance(value, bool) else _fail(value, 'true or false', key, source)
    if hint is int:
        return value if type(value) is int else _fail(value, 'an integer', key, source)
    if hint is float:
        if type(value) in (int, float) and value == value and abs(value) != float('inf'):
            return float(value)
        return _fail(value, 'a finite number', key, source)
    if hint is str:
        if isinstance(value, os.PathLike):
            return os.fspath(value)
        return value if isinstance(value, str) else _fail(value, 'a string', key, source)
    raise TypeError(f'unsupported field type {hint!r}')


def _fail(value: Any, expected: str, key: str, source: str) -> Any:
    text = repr(value)
    text = text if len(text) <= 60 else text[:57] + '...'
    raise ConfigError(f'{source}: key {key}: expected {expected}, got {text}')


def available() -> list[str]:
    """Names of the shipped configurations."""
    return sorted(entry.name[:-5] for entry in resources.files(__name__).iterdir()
                  if entry.name.endswith('.yaml'))


def config_path(name_or_path: PathLike) -> Path:
    """The file of a shipped configuration name, or ``name_or_path`` itself."""
    text = str(name_or_path)
    if text in available():
        return Path(str(resources.files(__name__) / f'{text}.yaml'))
    path = Path(text)
    if not path.is_file():
        raise ConfigError(f'{text}: no such configuration file or shipped configuration '
                          f'(shipped: {", ".join(available())})')
    return path


def read_config_file(path: Path, extra: Iterable[str] = ()) -> dict[str, Any]:
    """The flat mapping of a configuration file, keys normalised to field names (``_``);
    ``extra``: further keys allowed (a command's runtime options, e.g. ``threads``)."""
    try:
        if path.stat().st_size > 1 << 20:
            raise ConfigError(f'{path}: over 1 MiB, not a run configuration')
        data = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as error:
        raise ConfigError(f'{path}: not a readable YAML file ({" ".join(str(error).split())})'
                          ) from error
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f'{path}: expected a mapping of field names to values, got '
                          f'{type(data).__name__}')
    known = set(RunConfig.field_names()) | set(extra)
    values = {}
    for key, value in data.items():
        name = str(key).replace('-', '_')
        if name not in known:
            raise ConfigError(f'{path}: unknown key {key!r}; expected field names such as '
                              f'{", ".join(sorted(known)[:8])}, ...')
        values[name] = value
    return values


def dump_config(values: Mapping[str, Any]) -> str:
    """A flat mapping as YAML text (paths as strings, tuples as lists)."""
    plain = {key: os.fspath(value) if isinstance(value, os.PathLike)
             else list(value) if isinstance(value, tuple) else value
             for key, value in values.items()}
    return yaml.safe_dump(plain, sort_keys=True, default_flow_style=None)

