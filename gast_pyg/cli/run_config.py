"""The one place where a command line becomes a :class:`~gast_pyg.configs.RunConfig`.

Precedence, lowest first: the field defaults, the preset of the data set
(:data:`~gast_pyg.configs.DATASET_PRESETS`), a ``--config`` file, explicit options. Default
training subjects drop the test subjects; subjects the user listed in both are kept with a
warning (:func:`~gast_pyg.data.resolve_subjects`).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from gast_pyg.configs import DATASET_PRESETS, ConfigError, RunConfig, config_path, read_config_file
from gast_pyg.data.subjects import resolve_subjects

__all__ = ['run_config']

#: Namespace entries that are runtime choices, not fields of a run.
RUNTIME = ('device', 'threads', 'progress', 'resume', 'output_json', 'evaluate', 'checkpoint',
           'config', 'explicit', 'run', 'command')


def run_config(args: argparse.Namespace, training: bool = True) -> tuple[RunConfig, list[str]]:
    """The run ``args`` (of ``gast-pyg train``, ``benchmark`` or ``evaluate``) describes, and
    the warnings about its subjects to print (``training``: the training subjects are
    resolved against the test subjects).

    Raises:
        ConfigError: ``dataset synthetic`` with a 3D file, or a value of the wrong type.
        DataError: A training subject that is also a default test subject, or no training
            subject left.
    """
    dataset = args.dataset or ('synthetic' if args.data_3d is None else 'h36m')
    if dataset == 'synthetic' and args.data_3d is not None:
        raise ConfigError('--dataset synthetic generates its own data; drop --data-3d or choose '
                          '--dataset h36m')
    preset = DATASET_PRESETS[dataset]
    values = read_config_file(config_path(preset)) if preset else {}
    fields = set(RunConfig.field_names())
    values.update({key: value for key, value in vars(args).items()
                   if key in fields and key not in RUNTIME and value is not None})
    values['dataset'] = dataset
    if 'name' not in values:
        values['name'] = Path(args.config).stem if getattr(args, 'config', None) else dataset
    config = RunConfig.from_mapping(values, getattr(args, 'config', None) or 'options')
    if not training:
        return config, []
    explicit = getattr(args, 'explicit', set())
    train, warnings = resolve_subjects(
        config.data.train_subjects, config.data.test_subjects,
        explicit_train='train_subjects' in explicit, explicit_test='test_subjects' in explicit)
    return config.replace(train_subjects=train), warnings
