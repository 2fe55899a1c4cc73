"""Run configurations: YAML files of option values, shipped ones by name (the ``*.yaml`` files
beside this module, e.g. ``paper-h36m-27``) or a user's file by path.

A configuration maps option names (``receptive_field``, ``train_subjects``, ...; the long option
without its dashes, ``-`` or ``_`` alike) to values. It is read with ``yaml.safe_load`` (no
object can be constructed from a file) and its keys are checked against the options of the
command that uses it.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any, Union

import yaml

from gast_pyg.errors import GastPygError

__all__ = ['ConfigError', 'available', 'config_path', 'load_run_config', 'dump_run_config']

PathLike = Union[str, os.PathLike]


class ConfigError(GastPygError):
    """A run configuration that is missing, unreadable or names an unknown option."""


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


def load_run_config(name_or_path: PathLike, options: Iterable[str]) -> dict[str, Any]:
    """The values of a configuration, keys normalised to option names (``_``); ``options`` are
    the names the command accepts."""
    path = config_path(name_or_path)
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ConfigError(f'{path}: not a readable YAML file ({" ".join(str(error).split())})'
                          ) from error
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise ConfigError(f'{path}: expected a mapping of option names to values, got '
                          f'{type(data).__name__}')
    allowed = set(options)
    values = {}
    for key, value in data.items():
        name = str(key).replace('-', '_')
        if name not in allowed:
            raise ConfigError(f'{path}: unknown key {key!r}; expected option names such as '
                              f'{", ".join(sorted(allowed)[:8])}, ...')
        values[name] = value
    return values


def dump_run_config(options: Mapping[str, Any]) -> str:
    """``options`` as the YAML text of a configuration (paths as strings)."""
    plain = {key: str(value) if isinstance(value, os.PathLike) else value
             for key, value in options.items()}
    return yaml.safe_dump(plain, sort_keys=True, default_flow_style=None)
