"""Numerical parity with the authors' reference implementation.

The fixtures under ``../shared/fixtures/gastnet_reference`` hold random
weights in the reference's state-dict layout, inputs and the reference's
outputs (float32 and float64). The model is built from those weights by
:func:`~gast_pyg.checkpoints.model_from_reference`.
"""
from __future__ import annotations

import json

import pytest
import torch
from conftest import load_fixture, shared_path

from gast_pyg.checkpoints import convert_reference_block, model_from_reference
from gast_pyg.models import build_model
from gast_pyg.nn import GraphAttentionBlock
from gast_pyg.skeleton import Skeleton

CONFIGS = [
    'gastnet_h36m17_rf27_ch32.pt',
    'gastnet_h36m17_rf27_ch16_causal.pt',
    'gastnet_h36m17_rf81_ch16.pt',
    'gastnet_humaneva15_rf27_ch32.pt',
    'gastnet_h36m19toe_rf27_ch16.pt',
]


def test_every_fixture_file_is_covered():
    folder = shared_path('fixtures', 'gastnet_reference')
    summary = json.loads((folder / 'summary.json').read_text())
    assert sorted(c['file'] for c in summary['configs'].values()) == sorted(CONFIGS)


@pytest.fixture(scope='module', params=CONFIGS)
def reference(request):
    data = load_fixture(request.param)
    model = model_from_reference(data['state_dict'], causal=data['config']['causal'])
    return data, model


def test_architecture_matches(reference):
    data, model = reference
    config = data['config']
    assert model.receptive_field == config['receptive_field']
    assert model.filter_widths == config['filter_widths']
    assert model.channels == config['channels']
    assert model.num_joints == config['num_joints']
    assert model.skeleton.parents == tuple(config['skeleton_parents'])
    assert sum(p.numel() for p in model.parameters()) == config['parameter_count']


@pytest.mark.parametrize('inputs,outputs', [('input', 'output'), ('input_1f', 'output_1f')],
                         ids=['full_sequence', 'single_frame'])
def test_float32(reference, inputs, outputs):
    data, model = reference
    with torch.no_grad():
        out = model(data[inputs])
    assert out.shape == data[outputs].shape
    torch.testing.assert_close(out, data[outputs], atol=1e-4, rtol=0)


def test_full_sequence_float64(reference):
    data, model = reference
    model64 = model_from_reference(
        {k: v.double() if v.is_floating_point() else v for k, v in data['state_dict'].items()},
        causal=data['config']['causal']).double()
    with torch.no_grad():
        out = model64(data['input'].double())
    torch.testing.assert_close(out, data['output_fp64'], atol=1e-10, rtol=0)


def test_single_frame_windows_are_full_sequence_frames(reference):
    data, model = reference
    with torch.no_grad():
        full = model(data['input'])
        for k, (b, t) in enumerate(data['input_1f_windows']):
            window = data['input'][b:b + 1, t:t + model.receptive_field]
            torch.testing.assert_close(window, data['input_1f'][k:k + 1])
            torch.testing.assert_close(model(window)[0, 0], full[b, t], atol=1e-4, rtol=0)


# --------------------------------------------------------------------------
# Layer-level dump of graph attention block 0 of h36m17_rf27_ch32.


@pytest.fixture(scope='module')
def layers():
    data = load_fixture('gastnet_layers_h36m17_rf27_ch32_block0.pt')
    skeleton = Skeleton.load('h36m')
    block = GraphAttentionBlock(32, 64, 17, skeleton.edge_index('symmetric'),
                                skeleton.edge_index('connection'))
    block.load_state_dict(convert_reference_block(data['block_state_dict'], block))
    return data, block.eval()


def test_layer_graphs_equal_reference_masks(layers):
    data, block = layers
    for name, entry in (('symmetric', 'sem_ch_graph_conv_sym'), ('connection', 'sem_ch_graph_conv_con')):
        src, dst = block.local.convs[name].edge_index
        mask = torch.zeros(17, 17, dtype=torch.bool)
        mask[dst, src] = True
        assert torch.equal(mask, data[entry]['mask'].bool()), name


@pytest.mark.parametrize('name,entry', [('symmetric', 'sem_ch_graph_conv_sym'),
                                        ('connection', 'sem_ch_graph_conv_con')])
def test_sem_graph_conv(layers, name, entry):
    data, block = layers
    with torch.no_grad():
        out = block.local.convs[name](data[entry]['input'])
    torch.testing.assert_close(out, data[entry]['output'], atol=1e-5, rtol=0)


def test_local_attention(layers):
    data, block = layers
    with torch.no_grad():
        out = block.local(data['local_graph']['input'])
    torch.testing.assert_close(out, data['local_graph']['output'], atol=1e-5, rtol=0)


def test_global_attention(layers):
    data, block = layers
    with torch.no_grad():
        out = block.glob(data['multi_global_graph']['input'])
    torch.testing.assert_close(out, data['multi_global_graph']['output'], atol=1e-5, rtol=0)


def test_global_attention_head(layers):
    data, block = layers
    entry = data['global_graph_head0']
    x = data['multi_global_graph']['input'].reshape(8, 17, 32)
    torch.testing.assert_close(x.transpose(1, 2), entry['input'])
    with torch.no_grad():
        heads, alpha = block.glob.attention_heads(x)
    torch.testing.assert_close(heads[..., :8].transpose(1, 2), entry['output'], atol=1e-5, rtol=0)
    # alpha: (B*T, E, heads) over the complete graph in (target, source) order.
    softmax = alpha[..., 0].reshape(8, 17, 17)
    torch.testing.assert_close(softmax, entry['attention_softmax'], atol=1e-6, rtol=0)


def test_graph_attention_block(layers):
    data, block = layers
    entry = data['graph_attention_block']
    with torch.no_grad():
        out = block(entry['input'].permute(0, 2, 3, 1))
    torch.testing.assert_close(out.permute(0, 3, 1, 2), entry['output'], atol=1e-5, rtol=0)


# --------------------------------------------------------------------------
# The released checkpoints' layouts (key names, shapes, parameter counts).


def test_full_size_state_dict_layout():
    layout = json.loads(shared_path('fixtures', 'gastnet_reference',
                                    'gastnet_h36m17_rf27_ch128_state_dict_layout.json').read_text())
    state = {e['key']: torch.zeros(e['shape'], dtype=getattr(torch, e['dtype']))
             for e in layout['state_dict']}
    model = model_from_reference({'model_pos': {'module.' + k: v for k, v in state.items()}})
    assert sum(p.numel() for p in model.parameters()) == layout['parameter_count'] == 6_915_984
    params = sum(p.numel() for p in model.parameters())
    buffers = sum(v.numel() for v in model.state_dict().values()) - params
    assert buffers == layout['buffer_element_count']
    for variant in layout['other_checkpoint_variants']:
        skeleton = {17: 'h36m', 19: 'h36m_toes'}[variant['num_joints']]
        other = build_model(skeleton, filter_widths=variant['filter_widths'],
                            channels=variant['channels'])
        assert sum(p.numel() for p in other.parameters()) == variant['parameter_count']


def test_folded_batch_norms_keep_parity(reference):
    from gast_pyg.nn import fold_batch_norms
    data, model = reference
    folded = fold_batch_norms(model)
    with torch.no_grad():
        torch.testing.assert_close(folded(data['input']), data['output'], atol=1e-4, rtol=0)
        torch.testing.assert_close(folded(data['input_1f']), data['output_1f'], atol=1e-4, rtol=0)
