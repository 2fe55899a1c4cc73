"""Pretrained models shipped with the package: a registry of weights files.

The registry is data, ``gast_pyg/weights/registry.yaml`` (read with ``yaml.safe_load`` and
validated): one entry per model with its file beside the registry, the file's sha256 (checked at
every load), a summary of its configuration, how it was trained, its published accuracy and its
licence; ``default`` and ``default_causal`` name the models used when no checkpoint is given.
The weights are ordinary :func:`~gast_pyg.checkpoints.save_checkpoint` files (possibly stored in
half precision), read with ``weights_only=True``.

Every function takes ``registry=``: a :class:`Registry`, a path to another registry file, or
``None`` for the bundled one.
"""
from __future__ import annotations

import copy
import hashlib
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple, Union

import torch
import yaml

from gast_pyg.checkpoints import load_checkpoint, restore_weights, save_checkpoint
from gast_pyg.errors import GastPygError
from gast_pyg.models.base import LiftingModel
from gast_pyg.models.builder import build_model

__all__ = ['PretrainedError', 'PretrainedModel', 'Registry', 'load_registry', 'list_pretrained',
           'verified_file', 'package_checkpoint', 'BUNDLED_REGISTRY',
           'LICENCE_NOTE', 'HALF_PRECISION_TOLERANCE', 'MAX_FILE_BYTES']

PathLike = Union[str, os.PathLike]
RegistryLike = Union['Registry', PathLike, None]

#: The registry shipped inside the package.
BUNDLED_REGISTRY = Path(__file__).resolve().parent / 'weights' / 'registry.yaml'
#: Licence of weights trained on Human3.6M.
LICENCE_NOTE = ('Derived from Human3.6M (http://vision.imar.ro/human3.6m): research use only, '
                'under the Human3.6M licence terms; not for commercial use.')
#: Largest output difference (metres) allowed between half-precision storage and float32.
HALF_PRECISION_TOLERANCE = 1e-3
#: Largest shipped file.
MAX_FILE_BYTES = 15 * 2 ** 20

_NAME = re.compile(r'^[a-z0-9][a-z0-9._-]*$')
_SHA256 = re.compile(r'^[0-9a-f]{64}$')
_TOP_KEYS = ('default', 'default_causal', 'models')
_ENTRY_KEYS = ('name', 'file', 'sha256', 'config', 'training', 'accuracy', 'licence')
_CONFIG_TYPES = {'arch': str, 'receptive_field': int, 'channels': int, 'causal': bool,
                 'trajectory': bool, 'skeleton': str}
_TRAINING_KEYS = ('data', 'recipe')
_ACCURACY_SETS = ('gt_2d', 'noise_2d_5')


class PretrainedError(GastPygError):
    """A registry that does not validate, an unknown name, or weights that do not match."""


@dataclass(frozen=True)
class PretrainedModel:
    """One registry entry; :attr:`path` is the weights file (absolute)."""

    name: str
    path: Path
    sha256: str
    arch: str
    receptive_field: int
    channels: int
    causal: bool
    trajectory: bool
    skeleton: str
    training_data: str
    recipe: str
    accuracy: Dict[str, Any]
    licence: str

    def check_model(self, model: LiftingModel) -> None:
        """Raise :class:`PretrainedError` unless ``model`` has the configuration registered."""
        found = {'arch': model.arch, 'receptive_field': model.receptive_field,
                 'causal': model.causal, 'skeleton': model.skeleton.name,
                 'channels': getattr(model, 'channels', self.channels)}
        for key, value in found.items():
            if getattr(self, key) != value:
                raise PretrainedError(f'pretrained model {self.name!r}: the registry says '
                                      f'{key}={getattr(self, key)!r}, {self.path} holds '
                                      f'{key}={value!r}')

    def summary(self, default: bool) -> Dict[str, Any]:
        """The JSON-ready description ``gast-pyg models --json`` prints."""
        out = asdict(self)
        out['path'] = str(self.path)
        out['default'] = default
        return out


def _expect(condition: bool, where: str, message: str) -> None:
    if not condition:
        raise PretrainedError(f'{where}: {message}')


def _typed(value: Any, kind: type) -> bool:
    # bool is an int in Python; a count given as true/false is a mistake.
    return isinstance(value, kind) and (kind is bool or not isinstance(value, bool))


def _check_keys(value: Any, keys: Tuple[str, ...], where: str) -> None:
    _expect(isinstance(value, Mapping), where, f'expected a mapping with {", ".join(keys)}, '
            f'got {type(value).__name__}')
    missing = [key for key in keys if key not in value]
    unknown = sorted(str(key) for key in value if key not in keys)
    _expect(not missing, where, f'missing {", ".join(missing)}')
    _expect(not unknown, where, f'unknown {", ".join(unknown)} (expected {", ".join(keys)})')


def _accuracy(value: Any, where: str) -> Dict[str, Any]:
    _check_keys(value, ('held_out',) + _ACCURACY_SETS, where)
    _expect(value['held_out'] is None or isinstance(value['held_out'], str), f'{where}.held_out',
            'expected a subject name or null')
    for key in _ACCURACY_SETS:
        errors = value[key]
        if errors is None:
            continue
        _check_keys(errors, ('p1', 'p2'), f'{where}.{key}')
        for protocol in ('p1', 'p2'):
            number = errors[protocol]
            _expect(number is None or (_typed(number, (int, float)) and number >= 0),
                    f'{where}.{key}.{protocol}', f'expected millimetres >= 0 or null, '
                    f'got {number!r}')
    return dict(value)


def _entry(raw: Any, root: Path, where: str) -> PretrainedModel:
    _check_keys(raw, _ENTRY_KEYS, where)
    name = raw['name']
    _expect(isinstance(name, str) and bool(_NAME.match(name)), f'{where}.name',
            f'expected lower-case letters, digits, ".", "_" or "-", got {name!r}')
    where = f'{where} ({name})'
    file = raw['file']
    _expect(isinstance(file, str) and file != '' and not Path(file).is_absolute()
            and '..' not in Path(file).parts, f'{where}.file',
            f'expected a path relative to the registry folder, got {file!r}')
    sha256 = raw['sha256']
    _expect(isinstance(sha256, str) and bool(_SHA256.match(sha256)), f'{where}.sha256',
            f'expected 64 lower-case hex digits, got {sha256!r}')
    _check_keys(raw['config'], tuple(_CONFIG_TYPES), f'{where}.config')
    for key, kind in _CONFIG_TYPES.items():
        value = raw['config'][key]
        _expect(_typed(value, kind), f'{where}.config.{key}',
                f'expected {kind.__name__}, got {value!r}')
    _check_keys(raw['training'], _TRAINING_KEYS, f'{where}.training')
    for key in _TRAINING_KEYS:
        _expect(isinstance(raw['training'][key], str) and raw['training'][key].strip() != '',
                f'{where}.training.{key}', 'expected a non-empty text')
    _expect(isinstance(raw['licence'], str) and raw['licence'].strip() != '',
            f'{where}.licence', 'expected a non-empty text')
    return PretrainedModel(name=name, path=root / file, sha256=sha256, **raw['config'],
                           training_data=raw['training']['data'],
                           recipe=raw['training']['recipe'],
                           accuracy=_accuracy(raw['accuracy'], f'{where}.accuracy'),
                           licence=raw['licence'])


class Registry:
    """Validated registry entries and the two defaults.

    Raises:
        PretrainedError: Naming the file, the entry and the field: unknown or missing keys,
            wrong types, duplicate names, a default that is not an entry of the right kind.
    """

    def __init__(self, data: Any, root: Path, source: str = 'registry'):
        self.source = source
        _check_keys(data, _TOP_KEYS, source)
        _expect(isinstance(data['models'], list), f'{source}: models',
                f"expected a list, got {type(data['models']).__name__}")
        self.models: Dict[str, PretrainedModel] = {}
        for index, raw in enumerate(data['models']):
            entry = _entry(raw, root, f'{source}: models[{index}]')
            _expect(entry.name not in self.models, f'{source}: models[{index}].name',
                    f'duplicate name {entry.name!r}')
            self.models[entry.name] = entry
        self.defaults: Dict[bool, Optional[str]] = {}
        for key, causal in (('default', False), ('default_causal', True)):
            name = data[key]
            if name is not None:
                _expect(name in self.models, f'{source}: {key}',
                        f'{name!r} is not an entry (entries: {self.listing()})')
                _expect(self.models[name].causal == causal, f'{source}: {key}',
                        f'{name!r} is {"not " if causal else ""}a causal model')
            self.defaults[causal] = name

    @classmethod
    def from_file(cls, path: PathLike) -> Registry:
        """Read a registry YAML file; the weights files are relative to its folder."""
        path = Path(path)
        try:
            text = path.read_text(encoding='utf-8')
        except OSError as error:
            raise PretrainedError(f'{path}: cannot read the registry: {error}') from error
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise PretrainedError(f'{path}: not valid YAML: {error}') from error
        return cls(data, path.resolve().parent, str(path))

    def listing(self) -> str:
        """The registered names, comma-separated (``'none'`` when empty)."""
        return ', '.join(self.models) or 'none'

    def get(self, name: str) -> PretrainedModel:
        """The entry called ``name``; an unknown name is an error listing the known ones."""
        if name not in self.models:
            raise PretrainedError(f'unknown pretrained model {name!r}; known: {self.listing()} '
                                  f'({self.source})')
        return self.models[name]

    def default(self, causal: bool = False) -> PretrainedModel:
        """The default (``causal``: the default causal) model."""
        name = self.defaults[causal]
        if name is None:
            kind = 'causal model' if causal else 'model'
            raise PretrainedError(f'{self.source}: no default {kind} is registered (shipped: '
                                  f'{self.listing()}); give a checkpoint file')
        return self.models[name]

    def is_default(self, name: str) -> bool:
        return name in self.defaults.values()


def load_registry(registry: RegistryLike = None) -> Registry:
    """A :class:`Registry` from itself, a YAML path, or ``None`` (the bundled one)."""
    if isinstance(registry, Registry):
        return registry
    return Registry.from_file(BUNDLED_REGISTRY if registry is None else registry)


def list_pretrained(registry: RegistryLike = None) -> List[Dict[str, Any]]:
    """One dict per registered model (:meth:`PretrainedModel.summary`), in registry order."""
    registry = load_registry(registry)
    return [entry.summary(registry.is_default(name)) for name, entry in registry.models.items()]


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, 'rb') as file:
        for block in iter(lambda: file.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()


def verified_file(entry: PretrainedModel) -> Path:
    """The weights file of ``entry`` after checking that it exists and has its registered
    sha256 (loading it is :func:`gast_pyg.load_model`'s)."""
    if not entry.path.is_file():
        raise PretrainedError(f'pretrained model {entry.name!r}: its file {entry.path} is '
                              f'missing (an install without the weights?)')
    actual = _sha256(entry.path)
    if actual != entry.sha256:
        raise PretrainedError(f'pretrained model {entry.name!r}: {entry.path} is corrupt or was '
                              f'replaced: its sha256 is {actual}, the registry expects '
                              f'{entry.sha256}; reinstall the package')
    return entry.path


def _model(payload: Mapping[str, Any], source: str) -> LiftingModel:
    """A float32 model in eval mode (``load_state_dict`` casts half-precision weights)."""
    return restore_weights(build_model(**payload['config']), payload, source=source).float().eval()


def _half_precision_error(model: LiftingModel, stored: Mapping[str, Any], source: str) -> float:
    """Largest output difference between ``model`` and the model rebuilt from ``stored``."""
    generator = torch.Generator().manual_seed(0)
    x = 0.5 * torch.randn(2, model.receptive_field + 31, model.num_joints, model.in_features,
                          generator=generator)
    with torch.no_grad():
        reference, rebuilt = model.eval()(x), _model(stored, source)(x)
    return float((reference - rebuilt).abs().max())


def package_checkpoint(
    checkpoint: PathLike,
    name: str,
    directory: PathLike = BUNDLED_REGISTRY.parent,
    half: bool = True,
    trajectory: bool = False,
    training_data: str = 'unstated',
    recipe: str = 'unstated',
    accuracy: Optional[Mapping[str, Any]] = None,
    licence: str = LICENCE_NOTE,
) -> Dict[str, Any]:
    """Write ``directory/NAME.pt`` from a trained :func:`~gast_pyg.checkpoints.save_checkpoint`
    file (weights and configuration only, no optimizer state) and return its registry entry
    (``sha256`` of the written file included) to add to ``registry.yaml``.

    With ``half=True`` floating-point weights are stored in half precision, after checking that
    the model rebuilt from them gives outputs within :data:`HALF_PRECISION_TOLERANCE` of the
    float32 model's on a fixed random input.

    Raises:
        PretrainedError: Half precision too inaccurate, a file over :data:`MAX_FILE_BYTES`, or a
            bad name; nothing is written then.
        CheckpointError: ``checkpoint`` is not a readable gast-pyg checkpoint.
    """
    if not _NAME.match(name):
        raise PretrainedError(f'model name {name!r}: expected lower-case letters, digits, ".", '
                              f'"_" or "-"')
    payload = load_checkpoint(checkpoint)
    model = _model(payload, str(checkpoint))
    stored = copy.deepcopy(model).half() if half else model
    if half:
        error = _half_precision_error(model, {'config': model.config,
                                             'state_dict': stored.state_dict()}, str(checkpoint))
        if error > HALF_PRECISION_TOLERANCE:
            raise PretrainedError(f'{checkpoint}: half precision changes the outputs by up to '
                                  f'{error:.2g} (more than {HALF_PRECISION_TOLERANCE:g}); '
                                  f'store it in float32')
    size = sum(t.numel() * t.element_size() for t in stored.state_dict().values())
    if size > MAX_FILE_BYTES:
        raise PretrainedError(f'{checkpoint}: {size / 2 ** 20:.1f} MB of weights, more than the '
                              f'{MAX_FILE_BYTES / 2 ** 20:.0f} MB a shipped file may hold'
                              + ('' if half else '; try half precision'))
    target = save_checkpoint(Path(directory) / f'{name}.pt', stored,
                             packaged_from=Path(checkpoint).name,
                             training=payload.get('training'))
    return {
        'name': name,
        'file': target.name,
        'sha256': _sha256(target),
        'config': {'arch': model.arch, 'receptive_field': model.receptive_field,
                   'channels': getattr(model, 'channels', 0), 'causal': model.causal,
                   'trajectory': trajectory, 'skeleton': model.skeleton.name},
        'training': {'data': training_data, 'recipe': recipe},
        'accuracy': dict(accuracy) if accuracy is not None else
        {'held_out': None, 'gt_2d': None, 'noise_2d_5': None},
        'licence': licence,
    }
