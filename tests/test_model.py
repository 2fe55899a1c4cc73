"""GASTNet: shapes, temporal forms, causality, parameter counts, bad input,
device-agnostic forward."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from gast_pyg import GASTNet, Skeleton, build_model
from gast_pyg.models import receptive_field


def small(rf: int = 27, skeleton: str = 'h36m', **kwargs) -> GASTNet:
    return build_model(skeleton, receptive_field=rf, channels=8, **kwargs)


def randomise_batch_norms(model: torch.nn.Module) -> None:
    for module in model.modules():
        if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
            module.running_mean.normal_(0, 0.1)
            module.running_var.uniform_(0.5, 1.5)


@pytest.mark.parametrize('rf,channels,params', [
    (9, 128, 1_617_164), (27, 128, 6_915_984), (81, 64, 7_054_612), (243, 32, 7_091_736)])
def test_paper_parameter_counts(rf, channels, params):
    model = build_model(receptive_field=rf, channels=channels)
    assert model.receptive_field == rf
    assert sum(p.numel() for p in model.parameters()) == params


@pytest.mark.parametrize('widths,rf', [([3, 3], 9), ([3, 3, 3], 27), ([3, 5], 15), ([1], 1), ([5, 3], 15)])
def test_receptive_field(widths, rf):
    assert receptive_field(widths) == rf
    assert build_model(filter_widths=widths, channels=4).receptive_field == rf


@pytest.mark.parametrize('skeleton', Skeleton.available())
def test_every_bundled_skeleton_builds_and_runs(skeleton):
    model = build_model(skeleton, receptive_field=9, channels=8).eval()
    joints = model.num_joints
    out = model(torch.randn(2, 12, joints, 2))
    assert out.shape == (2, 4, joints, 3)


def test_skeleton_given_as_yaml_path_or_object(tmp_path):
    sk = Skeleton.load('humaneva')
    assert build_model(sk, channels=4).num_joints == 15
    assert build_model(sk.source, channels=4).skeleton == sk


@pytest.mark.parametrize('causal', [False, True])
@pytest.mark.parametrize('rf', [9, 27, 81])
def test_strided_and_dilated_forms_agree(rf, causal):
    model = small(rf, causal=causal).eval()
    randomise_batch_norms(model)
    x = torch.randn(2, rf + 6, 17, 2)
    with torch.no_grad():
        full = model(x)
        windows = torch.cat([model(x[:, t:t + rf]) for t in range(7)], dim=1)
    assert full.shape == windows.shape == (2, 7, 17, 3)
    torch.testing.assert_close(full, windows, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize('causal', [False, True])
def test_each_output_sees_exactly_its_window(causal):
    model = small(27, causal=causal).double().eval()
    x = torch.randn(1, 40, 17, 2, dtype=torch.float64, requires_grad=True)
    model(x)[0, 5].sum().backward()
    touched = x.grad[0].abs().sum(dim=(1, 2)).nonzero().flatten()
    assert touched.min() == 5 and touched.max() == 5 + 26


def test_causal_and_symmetric_models_differ_only_in_residual_alignment():
    sym, causal = small(27), small(27, causal=True)
    sym.eval(), causal.eval()
    randomise_batch_norms(sym)
    causal.load_state_dict(sym.state_dict())
    x = torch.randn(1, 30, 17, 2)
    with torch.no_grad():
        assert not torch.allclose(sym(x), causal(x))
        # On a constant sequence the residual's frame choice does not matter.
        still = x[:, :1].expand(1, 30, 17, 2)
        torch.testing.assert_close(sym(still), causal(still), atol=1e-5, rtol=1e-5)


def test_training_step_reduces_loss_and_updates_batch_norm():
    model = small(9).train()
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-2, amsgrad=True)
    x, y = torch.randn(16, 9, 17, 2), torch.randn(16, 1, 17, 3)
    losses = []
    for _ in range(20):
        loss = (model(x) - y).norm(dim=-1).mean()
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    assert losses[-1] < 0.7 * losses[0]
    assert model.input_norm.num_batches_tracked == 20


@pytest.mark.parametrize('flag', ['local_connection', 'local_symmetry', 'global_attention',
                                  'adaptive_matrix'])
def test_ablation_switches(flag):
    full = small(9)
    ablated = small(9, **{flag: False})
    assert sum(p.numel() for p in ablated.parameters()) < sum(p.numel() for p in full.parameters())
    assert ablated(torch.randn(1, 11, 17, 2)).shape == (1, 3, 17, 3)


def test_no_local_and_no_global_branch():
    model = small(9, local_connection=False, local_symmetry=False,
                  global_attention=False, adaptive_matrix=False)
    assert model.blocks[0].local is None and model.blocks[0].glob is None
    assert model(torch.randn(1, 9, 17, 2)).shape == (1, 1, 17, 3)


@pytest.mark.parametrize('shape,fragment', [
    ((27, 17, 2), 'got (27, 17, 2)'),
    ((1, 27, 16, 2), 'got (1, 27, 16, 2)'),
    ((1, 27, 17, 3), 'got (1, 27, 17, 3)'),
    ((1, 26, 17, 2), 'got (1, 26, 17, 2)'),
])
def test_bad_input_shapes_name_expected_and_received(shape, fragment):
    model = small(27)
    with pytest.raises(ValueError) as info:
        model(torch.randn(shape))
    message = str(info.value)
    assert fragment in message
    assert '(batch, frames >= 27, 17, 2)' in message


@pytest.mark.parametrize('kwargs,fragment', [
    (dict(receptive_field=30), 'receptive_field must be one of'),
    (dict(filter_widths=[3, 4]), 'odd'),
    (dict(receptive_field=27, filter_widths=[3, 3, 3]), 'not both'),
    (dict(arch='transformer'), "unknown arch"),
])
def test_bad_configurations(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        build_model(**kwargs)


def test_forward_on_meta_device_creates_no_tensor_elsewhere():
    model = small(27).to('meta')
    assert all(b.device.type == 'meta' for b in model.buffers())
    out = model(torch.empty(2, 30, 17, 2, device='meta'))
    assert out.device.type == 'meta' and out.shape == (2, 4, 17, 3)
    model.train()
    loss = model(torch.empty(4, 27, 17, 2, device='meta')).sum()
    loss.backward()
    assert all(p.grad.device.type == 'meta' for p in model.parameters())


def test_float64_and_bfloat16_autocast():
    model = small(9).eval()
    x = torch.randn(1, 12, 17, 2)
    with torch.no_grad():
        reference = model(x)
        torch.testing.assert_close(model.double()(x.double()).float(), reference,
                                   atol=1e-5, rtol=1e-5)
        model.float()
        with torch.autocast('cpu', dtype=torch.bfloat16):
            low = model(x)
    assert low.dtype == torch.bfloat16
    torch.testing.assert_close(low.float(), reference, atol=0.1, rtol=0.1)


cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason='no CUDA device')


@cuda
def test_cuda_forward_matches_cpu_and_amp_runs():
    model = small(27).eval()
    x = torch.randn(2, 30, 17, 2)
    with torch.no_grad():
        expected = model(x)
        model.cuda()
        assert all(b.is_cuda for b in model.buffers())
        torch.testing.assert_close(model(x.cuda()).cpu(), expected, atol=1e-4, rtol=1e-4)
        with torch.autocast('cuda', dtype=torch.float16):
            assert torch.isfinite(model(x.cuda())).all()


@pytest.mark.parametrize('arch', ['gast', 'tcn'])
@pytest.mark.parametrize('causal', [False, True])
def test_chunked_inference_equals_one_pass(arch, causal):
    model = build_model(arch=arch, receptive_field=27, channels=8, causal=causal).eval()
    randomise_batch_norms(model)
    x = torch.randn(2, 27 + 100, 17, 2)
    with torch.no_grad():
        model.chunk_frames = 0
        whole = model(x)
        for chunk in (1, 7, 100, 1000):
            model.chunk_frames = chunk
            torch.testing.assert_close(model(x), whole, atol=1e-5, rtol=1e-5)
    assert whole.shape == (2, 101, 17, 3)


@pytest.mark.parametrize('rf,params', [(27, 8_555_571), (243, 16_952_371)])
def test_tcn_baseline_has_videopose3d_parameter_counts(rf, params):
    model = build_model(arch='tcn', receptive_field=rf)
    assert model.channels == 1024 and model.dropout == 0.25
    assert sum(p.numel() for p in model.parameters()) == params


@pytest.mark.parametrize('causal', [False, True])
def test_tcn_forms_agree_and_window_is_exact(causal):
    model = build_model(arch='tcn', receptive_field=27, channels=16, causal=causal).double().eval()
    randomise_batch_norms(model)
    x = torch.randn(1, 40, 17, 2, dtype=torch.float64, requires_grad=True)
    full = model(x)
    windows = torch.cat([model(x[:, t:t + 27]) for t in range(14)], dim=1)
    torch.testing.assert_close(full, windows)
    full[0, 5].sum().backward()
    touched = x.grad[0].abs().sum(dim=(1, 2)).nonzero().flatten()
    assert touched.min() == 5 and touched.max() == 31


@pytest.mark.parametrize('arch', ['gast', 'tcn'])
def test_folded_batch_norms_compute_the_same_function(arch):
    from gast_pyg.nn import fold_batch_norms
    model = build_model(arch=arch, receptive_field=27, channels=8).train()
    for p in model.parameters():
        if p.dim() == 1:
            torch.nn.init.normal_(p, std=0.3)
    model(torch.randn(8, 27, 17, 2))  # running statistics away from their init
    model.eval()
    folded = fold_batch_norms(model)
    norms = [m for m in folded.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    assert norms == [] and model.training is False
    assert any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in model.modules())
    for frames in (27, 60):
        x = torch.randn(2, frames, 17, 2)
        with torch.no_grad():
            torch.testing.assert_close(folded(x), model(x), atol=1e-4, rtol=1e-4)


def test_fold_batch_norms_refuses_a_pair_it_cannot_fold():
    from gast_pyg.nn import fold_batch_norms

    class Declares(nn.Module):
        batch_norm_pairs = (('first', 'second'),)

        def __init__(self):
            super().__init__()
            self.first, self.second = nn.Linear(2, 2), nn.Linear(2, 2)

    with pytest.raises(ValueError, match=r"Declares declares the batch-norm pair \('first', "
                                         r"'second'\), but neither is a ChannelsLastBatchNorm"):
        fold_batch_norms(Declares())
