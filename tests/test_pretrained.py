"""The registry of shipped weights: packaging, sha256 checks, names, defaults, the CLI."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml

from gast_pyg import GastPygError, build_model, load_model
from gast_pyg.checkpoints import save_checkpoint
from gast_pyg.cli import main
from gast_pyg.pretrained import (
    HALF_PRECISION_TOLERANCE,
    PretrainedError,
    list_pretrained,
    load_registry,
    package_checkpoint,
    verified_file,
)


def _tiny(causal: bool = False) -> torch.nn.Module:
    return build_model(receptive_field=9, channels=8, causal=causal).eval()


def _input(model) -> torch.Tensor:
    return 0.5 * torch.randn(1, model.receptive_field + 20, model.num_joints, 2)


@pytest.fixture
def registry(tmp_path: Path):
    """A registry with a tiny non-causal (default) and a causal model, and the float32 models."""
    models, entries = {}, []
    for name, causal in (('tiny', False), ('tiny-causal', True)):
        model = _tiny(causal)
        checkpoint = save_checkpoint(tmp_path / 'runs' / f'{name}.bin', model, epoch=3)
        entries.append(package_checkpoint(checkpoint, name, directory=tmp_path / 'weights',
                                          training_data='synthetic', recipe='none'))
        models[name] = model
    path = tmp_path / 'weights' / 'registry.yaml'
    path.write_text(yaml.safe_dump({'default': 'tiny', 'default_causal': 'tiny-causal',
                                    'models': entries}))
    return path, models


def _rewrite(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


def test_half_precision_round_trip_is_within_tolerance(registry):
    path, models = registry
    loaded = load_model('tiny', registry=path)
    assert not loaded.training
    origin = loaded.origin
    assert (origin.kind, origin.source, origin.entry.name) == ('shipped', 'tiny', 'tiny')
    assert origin.path == path.parent / 'tiny.pt'
    assert all(p.dtype == torch.float32 for p in loaded.parameters())
    stored = torch.load(path.parent / 'tiny.pt', weights_only=True)['state_dict']
    assert stored['expand.weight'].dtype == torch.float16
    x = _input(loaded)
    with torch.no_grad():
        error = (loaded(x) - models['tiny'](x)).abs().max()
    assert 0 < error <= HALF_PRECISION_TOLERANCE


def test_a_changed_file_is_refused(registry):
    path, _ = registry
    weights = path.parent / 'tiny.pt'
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(PretrainedError, match=r"'tiny': .*tiny\.pt is corrupt or was replaced: "
                                              r"its sha256 is [0-9a-f]{64}, the registry expects "
                                              r"[0-9a-f]{64}; reinstall the package"):
        load_model('tiny', registry=path)
    with pytest.raises(PretrainedError, match='sha256'):
        verified_file(load_registry(path).get('tiny'))


def test_unknown_name_lists_the_known_ones(registry):
    path, _ = registry
    with pytest.raises(PretrainedError, match="unknown pretrained model 'gast-81'; known: tiny, "
                                              "tiny-causal") as error:
        load_model('gast-81', registry=path)
    assert isinstance(error.value, GastPygError) and isinstance(error.value, ValueError)
    with pytest.raises(PretrainedError, match="unknown pretrained model 'gast-81'"):
        load_registry(path).get('gast-81')


def test_name_path_and_default(registry, tmp_path):
    path, _ = registry
    origin = load_model('tiny-causal', registry=path).origin
    assert origin.path == path.parent / 'tiny-causal.pt' and origin.entry.causal
    assert verified_file(load_registry(path).get('tiny-causal')) == origin.path
    own = tmp_path / 'runs' / 'tiny.bin'
    origin = load_model(str(own), registry=path).origin
    assert (origin.path, origin.kind, origin.entry) == (own, 'gast-pyg', None)
    assert load_model(None, registry=path).origin.entry.name == 'tiny'
    assert load_model(None, causal=True, registry=path).origin.entry.name == 'tiny-causal'
    assert load_registry(path).default(causal=True).name == 'tiny-causal'
    _rewrite(path, lambda d: d.update(default=None))
    with pytest.raises(PretrainedError, match='no default model is registered'):
        load_model(None, registry=path)


def test_default_models_load(registry):
    path, _ = registry
    assert not load_model(registry=path).causal
    assert load_model(causal=True, registry=path).causal


def test_models_json_lists_the_entries(registry, capsys):
    path, _ = registry
    assert main(['models', '--json', '--registry', str(path)]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [m['name'] for m in listed] == ['tiny', 'tiny-causal']
    for model, causal in zip(listed, (False, True)):
        assert model['default'] is True and model['causal'] is causal
        assert model['trajectory'] is False and model['skeleton'] == 'h36m'
        assert model['receptive_field'] == 9 and 'Human3.6M' in model['licence']
    assert main(['models', '--registry', str(path)]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:5] == ['name', 'default', 'arch', 'receptive_field', 'channels']
    assert table[1].split()[:6] == ['tiny', 'offline', 'gast', '9', '8', 'False']
    assert table[2].split()[:6] == ['tiny-causal', 'causal', 'gast', '9', '8', 'True']


def test_package_weights_prints_the_entry(tmp_path, capsys):
    checkpoint = save_checkpoint(tmp_path / 'run.bin', _tiny())
    assert main(['package-weights', str(checkpoint), '--name', 'gast-9', '--output-dir',
                 str(tmp_path / 'out'), '--recipe', 'detector']) == 0
    text = capsys.readouterr().out
    entry = yaml.safe_load(text)[0]
    assert entry['file'] == 'gast-9.pt' and entry['training']['recipe'] == 'detector'
    path = tmp_path / 'out' / 'registry.yaml'
    path.write_text(yaml.safe_dump({'default': 'gast-9', 'default_causal': None,
                                    'models': [entry]}))
    assert list_pretrained(path)[0]['sha256'] == entry['sha256']


def test_half_precision_that_changes_outputs_is_refused(tmp_path):
    model = _tiny()
    with torch.no_grad():
        model.shrink.weight.mul_(1e4)
    checkpoint = save_checkpoint(tmp_path / 'run.bin', model)
    with pytest.raises(PretrainedError, match='half precision changes the outputs by up to'):
        package_checkpoint(checkpoint, 'loud', directory=tmp_path / 'out')
    assert not (tmp_path / 'out').exists()
    package_checkpoint(checkpoint, 'loud', directory=tmp_path / 'out', half=False)
    assert (tmp_path / 'out' / 'loud.pt').is_file()


def test_a_file_over_the_size_limit_is_refused(tmp_path):
    checkpoint = save_checkpoint(tmp_path / 'run.bin', build_model(receptive_field=27))
    with pytest.raises(PretrainedError, match='MB of weights, more than the 15 MB.*try half'):
        package_checkpoint(checkpoint, 'big', directory=tmp_path / 'out', half=False)
    assert not (tmp_path / 'out').exists()


def test_registry_that_disagrees_with_the_file_is_refused(registry):
    path, _ = registry
    _rewrite(path, lambda d: d['models'][0]['config'].update(receptive_field=27))
    with pytest.raises(PretrainedError, match="registry says receptive_field=27, .* holds "
                                              "receptive_field=9"):
        load_model('tiny', registry=path)


@pytest.mark.parametrize('change, message', [
    (lambda d: d['models'][0]['config'].update(causal='no'),
     r'models\[0\] \(tiny\)\.config\.causal: expected bool'),
    (lambda d: d['models'][1].pop('licence'), r'models\[1\]: missing licence'),
    (lambda d: d['models'][0].update(file='../../elsewhere.pt'),
     r'\(tiny\)\.file: expected a path relative to the registry folder'),
    (lambda d: d['models'][0]['accuracy'].update(gt_2d={'p1': -1, 'p2': 3}),
     r'accuracy\.gt_2d\.p1: expected millimetres'),
    (lambda d: d.update(default_causal='tiny'), "default_causal: 'tiny' is not a causal model"),
    (lambda d: d['models'].append(dict(d['models'][0])), r"models\[2\]\.name: duplicate"),
    (lambda d: d.update(extra=1), 'unknown extra'),
])
def test_bad_registry_names_file_entry_and_field(registry, change, message):
    path, _ = registry
    _rewrite(path, change)
    with pytest.raises(PretrainedError, match=message) as error:
        load_registry(path)
    assert str(error.value).startswith(f'{path}: ')


def test_registry_yaml_cannot_run_code(tmp_path):
    path = tmp_path / 'registry.yaml'
    path.write_text("!!python/object/apply:os.system ['echo hacked']\n")
    with pytest.raises(PretrainedError, match='not valid YAML'):
        load_registry(path)


def test_bundled_registry_validates():
    registry = load_registry()
    for name in registry.models:
        assert registry.get(name).path.is_file()
