"""The public Python API: typed signatures (no command-line namespaces), the one model loader
for every kind of file, the lifter behind ``gast-pyg infer``, atomic result files."""
from __future__ import annotations

import argparse
import importlib
import inspect
import json
import pkgutil
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pytest
import torch

import gast_pyg
from gast_pyg import Lifter, LiftingOptions, LiftResult, build_model, load_model, save_checkpoint
from gast_pyg.cli import main
from gast_pyg.files import TEMPORARY_MARKER, OutputError
from gast_pyg.keypoints.tracking import gap_frames
from gast_pyg.models.base import LiftingModel

# Signatures ------------------------------------------------------------------------------------

#: Parameter names of a command line's options bag.
BAG_NAMES = {'args', 'options', 'opts', 'namespace', 'argv'}


def library_modules() -> list:
    """Every module of the package outside ``gast_pyg.cli``."""
    return [importlib.import_module(info.name)
            for info in pkgutil.walk_packages(gast_pyg.__path__, 'gast_pyg.')
            if not info.name.startswith('gast_pyg.cli')]


def public_callables(module) -> Iterator[tuple[str, Callable]]:
    """``(qualified name, function)`` of the public functions, and of the public methods and
    constructors of the public classes, that ``module`` defines."""
    for name, value in vars(module).items():
        if name.startswith('_') or getattr(value, '__module__', None) != module.__name__:
            continue
        if inspect.isfunction(value):
            yield f'{module.__name__}.{name}', value
        elif inspect.isclass(value):
            for member, attribute in vars(value).items():
                if member.startswith('_') and member != '__init__':
                    continue
                function = getattr(attribute, '__func__', attribute)
                function = getattr(function, 'fget', function)  # properties
                if inspect.isfunction(function):
                    yield f'{module.__name__}.{name}.{member}', function


def bag_parameters(function: Callable) -> list[str]:
    """The parameters of ``function`` that look like a command line's options: any annotated
    with ``argparse.Namespace``, any (not ``*args``) named ``args``, and any of
    :data:`BAG_NAMES` that is untyped or typed ``Any``."""
    found = []
    for parameter in inspect.signature(function).parameters.values():
        annotation = parameter.annotation
        text = annotation if isinstance(annotation, str) else getattr(
            annotation, '__name__', repr(annotation))
        untyped = annotation is inspect.Parameter.empty or annotation is Any or text == 'Any'
        if ('Namespace' in text
                or (parameter.name == 'args' and parameter.kind is not parameter.VAR_POSITIONAL)
                or (parameter.name in BAG_NAMES and untyped
                    and parameter.kind not in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD))):
            found.append(parameter.name)
    return found


def test_the_check_finds_an_options_bag():
    def takes_namespace(args: argparse.Namespace) -> None: ...

    def takes_anything(data, options: Any = None) -> None: ...

    def takes_untyped_args(args) -> None: ...

    def typed(path: str, options: LiftingOptions, *args: int, **kwargs: Any) -> None: ...

    assert bag_parameters(takes_namespace) == ['args']
    assert bag_parameters(takes_anything) == ['options']
    assert bag_parameters(takes_untyped_args) == ['args']
    assert bag_parameters(typed) == []


def test_no_library_function_takes_a_namespace_or_an_untyped_options_bag():
    modules = library_modules()
    names = {module.__name__ for module in modules}
    assert {'gast_pyg.lifter', 'gast_pyg.loading', 'gast_pyg.training', 'gast_pyg.evaluation',
            'gast_pyg.data.pipeline', 'gast_pyg.pretrained'} <= names
    checked, offenders = 0, []
    for module in modules:
        for qualified, function in public_callables(module):
            checked += 1
            offenders += [f'{qualified}({name})' for name in bag_parameters(function)]
    assert checked > 200 and offenders == []


def test_the_lifter_and_train_take_typed_objects():
    from gast_pyg.configs import RunConfig
    from gast_pyg.training import train
    assert inspect.signature(train).parameters['config'].annotation in (RunConfig, 'RunConfig')
    options = inspect.signature(Lifter).parameters['options']
    assert options.annotation in (LiftingOptions, 'LiftingOptions')
    assert isinstance(options.default, LiftingOptions)


def test_top_level_exports():
    assert set(gast_pyg.__all__) == {
        'load_model', 'Lifter', 'LiftingOptions', 'LiftResult', 'RunConfig', 'train', 'Skeleton',
        'SkeletonError', 'GASTNet', 'build_model', 'save_checkpoint', 'CheckpointError',
        'GastPygError'}
    for name in gast_pyg.__all__:
        assert getattr(gast_pyg, name) is not None
    with pytest.raises(AttributeError):
        gast_pyg.load_reference_checkpoint
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module('gast_pyg.inference')


# One loader ------------------------------------------------------------------------------------

def tiny(**kwargs) -> LiftingModel:
    torch.manual_seed(0)
    model = build_model(receptive_field=9, channels=8, **kwargs)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return model.eval()


def same_function(a: torch.nn.Module, b: torch.nn.Module) -> None:
    x = torch.randn(1, 15, 17, 2)
    with torch.no_grad():
        torch.testing.assert_close(a(x), b(x), atol=1e-6, rtol=1e-6)


def test_load_model_takes_a_shipped_name():
    from gast_pyg.pretrained import load_registry
    entry = load_registry().default(False)
    model = load_model(entry.name)
    assert isinstance(model, LiftingModel) and not model.training
    assert all(p.dtype == torch.float32 for p in model.parameters())
    origin = model.origin
    assert (origin.kind, origin.source, origin.entry.name) == ('shipped', entry.name, entry.name)
    assert origin.path == entry.path and model.receptive_field == entry.receptive_field
    assert load_model().origin.entry.name == entry.name  # None: the shipped default


def test_load_model_takes_a_gast_pyg_checkpoint(tmp_path):
    saved = tiny(causal=True)
    path = save_checkpoint(tmp_path / 'run' / 'weights.bin', saved, epoch=7,
                           training={'lr': 0.001})
    model = load_model(path)
    assert not model.training and model.causal and model.config == saved.config
    same_function(model, saved)
    assert (model.origin.kind, model.origin.path, model.origin.epoch) == ('gast-pyg', path, 7)
    assert model.origin.training == {'lr': 0.001} and model.origin.entry is None
    assert load_model(str(path)).origin.source == str(path)


def test_load_model_takes_an_authors_file(tmp_path):
    from test_checkpoints import reference_state_dict
    saved = tiny()
    path = tmp_path / 'authors_model.pt'  # the suffix says nothing: the content decides
    torch.save({'epoch': 40, 'model_pos': reference_state_dict(saved)}, path)
    model = load_model(path, causal=True)
    assert (model.origin.kind, model.origin.epoch) == ('reference', 40)
    assert model.causal and not model.training and model.skeleton.name == 'h36m'
    same_function(load_model(path), saved)


def test_load_model_refuses_what_is_neither(tmp_path):
    from gast_pyg import CheckpointError
    from gast_pyg.pretrained import PretrainedError
    with pytest.raises(PretrainedError, match="unknown pretrained model 'no-such-model'"):
        load_model('no-such-model')
    with pytest.raises(CheckpointError, match='no such checkpoint file'):
        load_model(tmp_path / 'missing.pt')  # a path, not a name
    causal = save_checkpoint(tmp_path / 'offline.pt', tiny())
    with pytest.raises(CheckpointError, match='a causal one is needed'):
        load_model(causal, causal=True)


# The lifter ------------------------------------------------------------------------------------

def walking_person(path: Path, frames: int = 40) -> Path:
    rng = np.random.default_rng(1)
    walk = np.cumsum(rng.normal(scale=2.0, size=(frames, 1, 2)), 0)
    points = rng.uniform(200, 500, size=(1, 17, 2)) + walk
    np.save(path, np.concatenate([points, np.full((frames, 17, 1), 0.9)], -1))
    return path


def test_infer_is_the_lifter(tmp_path, capsys):
    checkpoint = save_checkpoint(tmp_path / 'model.pt', tiny())
    keypoints = walking_person(tmp_path / 'k.npy')
    assert main(['infer', '--keypoints', str(keypoints), '--checkpoint', str(checkpoint),
                 '--width', '640', '--height', '640', '--flip', '--output',
                 str(tmp_path / 'cli.npz')]) == 0
    lifter = Lifter(checkpoint, LiftingOptions(image_size=(640, 640), flip=True))
    result = lifter.lift_file(keypoints, max_gap=gap_frames(25.0))
    assert isinstance(result, LiftResult)
    assert result.save(tmp_path / 'api.npz') == tmp_path / 'api.npz'
    with np.load(tmp_path / 'cli.npz') as cli, np.load(tmp_path / 'api.npz') as api:
        assert sorted(cli.files) == sorted(api.files)
        for key in cli.files:
            if key != 'options':
                np.testing.assert_array_equal(cli[key], api[key], err_msg=key)
        by_cli, by_api = (json.loads(str(npz['options'])) for npz in (cli, api))
    assert by_cli.pop('keypoints') == str(keypoints) and by_cli.pop('format') is None
    assert by_cli == by_api and by_api['flip'] is True


def test_a_failed_save_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    checkpoint = save_checkpoint(tmp_path / 'model.pt', tiny())
    result = Lifter(checkpoint, LiftingOptions(image_size=(640, 640))).lift_file(
        walking_person(tmp_path / 'k.npy'))
    out = tmp_path / 'poses.npz'
    out.write_bytes(b'previous result')
    before = sorted(p.name for p in tmp_path.iterdir())

    def disk_full(file, **arrays):
        file.write(b'PK\x03\x04 half an archive')
        raise OSError(28, 'No space left on device')

    monkeypatch.setattr(np, 'savez', disk_full)
    with pytest.raises(OutputError, match=rf'{out}: cannot write it: No space left on device'):
        result.save(out)
    assert out.read_bytes() == b'previous result'
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert not any(TEMPORARY_MARKER in p.name for p in tmp_path.iterdir())
    monkeypatch.undo()
    result.save(out)
    with np.load(out) as npz:
        np.testing.assert_array_equal(npz['poses_3d'], result.poses_3d)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
