"""Checkpoints: atomic saves, weights-only loads, the authors' file formats, clear errors."""
from __future__ import annotations

import os
import zipfile

import numpy as np
import pytest
import torch

from gast_pyg import CheckpointError, GASTNet, build_model, load_model, save_checkpoint
from gast_pyg.checkpoints import load_checkpoint, model_from_reference, restore_weights


def small(**kwargs) -> GASTNet:
    return build_model(receptive_field=9, channels=8, **kwargs)


def perturbed(model: GASTNet) -> GASTNet:
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return model.eval()


def test_round_trip_keeps_config_weights_and_extras(tmp_path):
    model = perturbed(small(causal=True, dropout=0.2))
    path = save_checkpoint(tmp_path / 'run' / 'model.pt', model, epoch=3, lr=0.5)
    assert sorted(os.listdir(tmp_path / 'run')) == ['model.pt']
    loaded = load_model(path)
    assert loaded.origin.kind == 'gast-pyg' and loaded.origin.epoch == 3
    assert loaded.config == model.config and loaded.causal and loaded.dropout == 0.2
    x = torch.randn(1, 11, 17, 2)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x), atol=0, rtol=0)
    payload = load_checkpoint(path)
    assert payload['epoch'] == 3 and payload['lr'] == 0.5


def test_custom_skeleton_travels_inside_the_checkpoint(tmp_path):
    yaml_path = tmp_path / 'arm.yaml'
    yaml_path.write_text(
        'name: arm\njoints: [shoulder, elbow, wrist, l_finger, r_finger]\n'
        'parents: [null, shoulder, elbow, wrist, wrist]\nsymmetry: [[l_finger, r_finger]]\n')
    model = build_model(yaml_path, receptive_field=9, channels=4)
    path = save_checkpoint(tmp_path / 'arm.pt', model)
    yaml_path.unlink()
    loaded = load_model(path)
    assert loaded.skeleton.joint_names == model.skeleton.joint_names
    assert loaded.skeleton.distal_joints == model.skeleton.distal_joints


def test_interrupted_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / 'model.pt'
    first = small()
    save_checkpoint(path, first)
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, 'replace', fail)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, perturbed(small()))
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ['model.pt']


def test_checkpoint_from_another_config_is_refused_by_name(tmp_path):
    path = save_checkpoint(tmp_path / 'model.pt', small())
    with pytest.raises(CheckpointError, match=r"channels=8.*channels=16"):
        restore_weights(build_model(receptive_field=9, channels=16), path)
    with pytest.raises(CheckpointError, match=r"filter_widths=\[3, 3\].*filter_widths=\[3, 3, 3\]"):
        restore_weights(build_model(receptive_field=27, channels=8), path)


class Exploit:
    def __reduce__(self):
        return (os.system, ('touch /tmp/gast_pyg_pwned',))


def test_pickled_code_is_never_executed(tmp_path):
    path = tmp_path / 'evil.pt'
    torch.save({'model_pos': {}, 'payload': Exploit()}, path)
    marker = '/tmp/gast_pyg_pwned'
    if os.path.exists(marker):
        os.unlink(marker)
    for load in (load_model, load_checkpoint):
        with pytest.raises(CheckpointError,
                           match='refused to load: it asks for posix.system') as info:
            load(path)
        assert '\n' not in str(info.value) and 'weights_only' not in str(info.value)
    assert not os.path.exists(marker)


@pytest.mark.parametrize('content,fragment', [
    (b'', 'not a readable PyTorch checkpoint'),
    (b'name: h36m\n', 'not a readable PyTorch checkpoint'),
])
def test_files_that_are_not_checkpoints(tmp_path, content, fragment):
    path = tmp_path / 'model.bin'
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=fragment) as info:
        load_model(path)
    assert 'model.bin' in str(info.value)


def test_truncated_checkpoint(tmp_path):
    path = save_checkpoint(tmp_path / 'model.pt', small())
    path.write_bytes(path.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match='model.pt: not a readable'):
        load_model(path)


def test_missing_file():
    with pytest.raises(CheckpointError, match='no such checkpoint file'):
        load_model('/nonexistent/27_frame_model.bin')


def test_own_loader_refuses_other_files(tmp_path):
    path = tmp_path / 'weights.pt'
    torch.save(small().state_dict(), path)
    with pytest.raises(CheckpointError, match="not a gast-pyg checkpoint .*for the authors' files "
                                              "use gast_pyg.load_model"):
        load_checkpoint(path)


# --------------------------------------------------------------------------
# The authors' files, written here in their formats from a model's weights.


def reference_state_dict(model: GASTNet) -> dict:
    """Our weights in the authors' key names and layouts (the inverse of the
    import, written out independently of it)."""
    state, out = model.state_dict(), {}

    def bn(src, dst):
        for k in ('weight', 'bias', 'running_mean', 'running_var', 'num_batches_tracked'):
            out[dst + k] = state[src + k]

    def conv(weight):
        return weight[:, :, None, None]

    bn('input_norm.', 'init_bn.')
    bn('expand_norm.', 'expand_bn.')
    out['expand_conv.weight'] = state['expand.weight']
    out['shrink.weight'] = conv(state['shrink.weight'])
    for i, block in enumerate(model.blocks):
        s, d = f'blocks.{i}.', f'layers_graph_conv.{i}.'
        c = block.in_channels
        for name, ref, norm in (('symmetric', 'gcn_sym', 'bn_1'), ('connection', 'gcn_con', 'bn_2')):
            w = state[f'{s}local.convs.{name}.weight']
            out[f'{d}local_graph_layer.{ref}.W'] = torch.stack([w[:c].t(), w[c:].t()])
            edge_index = block.local.convs[name].edge_index
            order = (edge_index[1] * 17 + edge_index[0]).argsort()
            out[f'{d}local_graph_layer.{ref}.e'] = state[f'{s}local.convs.{name}.edge_logit'][order].t()
            bn(f'{s}local.norms.{name}.', f'{d}local_graph_layer.{norm}.')
        out[f'{d}local_graph_layer.cat_conv.weight'] = conv(state[f'{s}local.lin.weight'])
        bn(f'{s}local.norm.', f'{d}local_graph_layer.cat_bn.')
        h = c // 4
        for k in range(4):
            a = f'{d}global_graph_layer.attentions.{k}.'
            for name in ('g', 'theta', 'phi'):
                out[a + name + '.weight'] = state[f'{s}glob.lin_{name}.weight'][k * h:(k + 1) * h, :, None]
                out[a + name + '.bias'] = state[f'{s}glob.lin_{name}.bias'][k * h:(k + 1) * h]
            out[a + 'C_k'] = state[f'{s}glob.adaptive'][k]
            project = torch.cat([state[f'{s}glob.att_theta'][k], state[f'{s}glob.att_phi'][k]])
            out[a + 'concat_project.0.weight'] = project[None, :, None, None]
        out[f'{d}global_graph_layer.cat_conv.weight'] = conv(state[f'{s}glob.lin_out.weight'])
        bn(f'{s}glob.norm.', f'{d}global_graph_layer.cat_bn.')
        out[f'{d}cat_conv.weight'] = conv(state[f'{s}lin.weight'])
        bn(f'{s}norm.', f'{d}cat_bn.')
    for i, block in enumerate(model.temporal):
        out[f'layers_conv.{2 * i}.weight'] = state[f'temporal.{i}.conv.weight']
        out[f'layers_conv.{2 * i + 1}.weight'] = conv(state[f'temporal.{i}.pointwise.weight'])
        bn(f'temporal.{i}.conv_norm.', f'layers_bn.{2 * i}.')
        bn(f'temporal.{i}.pointwise_norm.', f'layers_bn.{2 * i + 1}.')
    return out


@pytest.fixture()
def trained():
    model = perturbed(small())
    for p in model.parameters():
        if p.dim() < 2:
            torch.nn.init.normal_(p, std=0.2)
    return model.eval()


def check_same_function(loaded: GASTNet, model: GASTNet) -> None:
    x = torch.randn(2, 12, 17, 2)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), model(x), atol=1e-6, rtol=1e-6)


def test_training_script_checkpoint_with_numpy_random_state(tmp_path, trained):
    path = tmp_path / '9_frame_model.bin'
    optimiser = torch.optim.Adam(trained.parameters(), amsgrad=True)
    torch.save({'epoch': 60, 'lr': 0.0005, 'random_state': np.random.RandomState(1234),
                'optimizer': optimiser.state_dict(),
                'model_pos': reference_state_dict(trained)}, path)
    loaded = load_model(path)
    assert not loaded.training and loaded.origin.kind == 'reference' and loaded.origin.epoch == 60
    check_same_function(loaded, trained)


def test_data_parallel_prefix_and_bare_state_dict(tmp_path, trained):
    path = tmp_path / 'model.bin'
    torch.save({'module.' + k: v for k, v in reference_state_dict(trained).items()}, path)
    check_same_function(load_model(path), trained)
    check_same_function(model_from_reference(reference_state_dict(trained)), trained)


def test_causal_flag_is_an_argument(trained):
    causal = model_from_reference(reference_state_dict(trained), causal=True)
    assert causal.causal and not model_from_reference(reference_state_dict(trained)).causal


def test_reference_checkpoint_for_another_skeleton(trained):
    with pytest.raises(CheckpointError, match=r"17 joints, skeleton 'humaneva' has 15"):
        model_from_reference(reference_state_dict(trained), skeleton='humaneva')
    with pytest.raises(CheckpointError, match=r"edge weights"):
        model_from_reference(reference_state_dict(trained), skeleton='coco')


def test_state_dict_that_is_not_gastnet():
    with pytest.raises(CheckpointError, match="not a GAST-Net checkpoint: no 'init_bn.weight'"):
        model_from_reference({'model_pos': {'fc.weight': torch.zeros(2, 2)}})
    with pytest.raises(CheckpointError, match='neither a state dict'):
        model_from_reference({'model_pos': {'epoch': 3}})


@pytest.mark.parametrize('written_as', ['numpy.core.multiarray', 'numpy._core.multiarray'])
def test_random_state_pickled_under_numpy_1_and_2_names(tmp_path, trained, written_as):
    """Files written with NumPy 1.x name ``numpy.core.multiarray._reconstruct``, NumPy 2 files
    ``numpy._core...``: both load under either NumPy."""
    here = tmp_path / 'here.bin'
    torch.save({'random_state': np.random.RandomState(7), 'model_pos': reference_state_dict(trained)},
               here)
    other = tmp_path / 'other.bin'
    with zipfile.ZipFile(here) as source, zipfile.ZipFile(other, 'w') as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith('data.pkl'):
                assert b'numpy.core.multiarray' in data or b'numpy._core.multiarray' in data
                for name in (b'numpy._core.multiarray', b'numpy.core.multiarray'):
                    data = data.replace(name, written_as.encode())
            target.writestr(item, data)
    check_same_function(load_model(other), trained)


def test_convert_command(tmp_path, trained, capsys):
    from gast_pyg.cli import main
    source, target = tmp_path / 'model.bin', tmp_path / 'model.pt'
    torch.save({'model_pos': reference_state_dict(trained)}, source)
    assert main(['convert', str(source), str(target), '--causal']) == 0
    assert 'causal=True' in capsys.readouterr().out
    converted = load_model(target)
    assert converted.causal
    check_same_function(converted, load_model(source, causal=True))
    assert main(['convert', str(tmp_path / 'missing.bin'), str(target)]) == 2
    assert 'no such checkpoint file' in capsys.readouterr().err


def test_saved_checkpoint_has_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        path = save_checkpoint(tmp_path / 'model.pt', small())
    finally:
        os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o644


def test_a_fresh_interpreter_reads_a_checkpoint(tmp_path):
    # Nothing imported beforehand: reading must not rely on another module having loaded
    # NumPy's numpy._core shim first (NumPy 1.26 loads it lazily).
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / 'model.pt'
    save_checkpoint(path, build_model(receptive_field=9, channels=8), epoch=1)
    code = ('import sys; from gast_pyg.checkpoints import read_checkpoint; '
            'print(read_checkpoint(sys.argv[1])["epoch"])')
    root = str(Path(__file__).resolve().parents[1])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root, os.environ.get('PYTHONPATH', '')]))
    done = subprocess.run([sys.executable, '-c', code, str(path)], capture_output=True,
                          text=True, env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == '1'


def test_random_state_that_this_numpy_cannot_rebuild_is_not_needed(tmp_path, trained,
                                                                   monkeypatch):
    """NumPy 2 pickles the bit generator as a class, which NumPy 1.26's constructor refuses
    ('... is not a known BitGenerator module'); only ``model_pos`` is read, so the random state
    is never rebuilt, under any NumPy."""
    from numpy.random import _pickle

    def refuse(*args):
        raise ValueError(f'{args[0]} is not a known BitGenerator module.')

    path = tmp_path / 'authors.bin'
    torch.save({'epoch': 60, 'random_state': np.random.RandomState(3),
                'model_pos': reference_state_dict(trained)}, path)
    for name in ('__bit_generator_ctor', '__randomstate_ctor'):
        monkeypatch.setattr(_pickle, name, refuse)
    check_same_function(load_model(path), trained)


@pytest.mark.parametrize('config', [
    dict(arch='gast', channels=24, receptive_field=81),
    dict(arch='tcn', channels=40, receptive_field=27),
    dict(arch='gast', channels=20, heads=5, trajectory='separate'),
    dict(arch='gast', channels=16, skeleton='humaneva', in_features=3),
])
def test_parameters_are_bounded_exactly_before_building(config, monkeypatch):
    """The bound uses the exact parameter count, found without building the full model."""
    import gast_pyg.checkpoints as checkpoints
    model = build_model(**config)
    count = sum(p.numel() for p in model.parameters())
    monkeypatch.setattr(checkpoints, 'MAX_PARAMETERS', count)
    checkpoints.check_model_config(model.config, 'm.pt')
    monkeypatch.setattr(checkpoints, 'MAX_PARAMETERS', count - 1)
    with pytest.raises(CheckpointError, match=rf"m\.pt: 'config' describes a model of "
                                              rf"{count:,} parameters, more than the "
                                              rf"{count - 1:,} gast-pyg builds"):
        checkpoints.check_model_config(model.config, 'm.pt')


@pytest.mark.parametrize('option,value,fragment', [
    ('filter_widths', [3] * 6, r'6 temporal layers, at most 5 expected'),
    ('filter_widths', [27, 27], r'a receptive field over 243 frames'),
    ('channels', 4097, r'expected at most 4096'),
    ('in_features', 10 ** 9, r'expected at most 16'),
    ('heads', 1000, r'expected at most 64'),
])
def test_checkpoint_config_out_of_bounds_is_refused_before_building(tmp_path, option, value,
                                                                    fragment):
    path = tmp_path / 'model.pt'
    torch.save({'format': 'gast-pyg', 'format_version': 1, 'state_dict': {},
                'config': {**small().config, option: value}}, path)
    with pytest.raises(CheckpointError, match=rf"model\.pt: 'config' {option}=.*: {fragment}; "
                                              r'refused before building the model'):
        load_model(path)


@pytest.mark.parametrize('data,fragment', [
    (b'\x80', r"starts with b'\\x80'"),
    (b'\x80\x04' + b'\x00' * 64, r'a damaged or foreign pickle: Unsupported operand 0'),
    (b'PK\x03\x04' + b'\x00' * 64, r'a damaged zip archive'),
])
def test_damaged_checkpoint_is_one_error(tmp_path, data, fragment):
    path = tmp_path / 'model.pt'
    path.write_bytes(data)
    with pytest.raises(CheckpointError, match=rf'model\.pt: not a readable PyTorch checkpoint '
                                              rf'\(?.*{fragment}'):
        load_checkpoint(path)
