"""The package on a CUDA GPU: every model, training, streaming, export and the commands compute
what they compute on the CPU. Marked ``cuda`` and skipped where torch sees no GPU;
``scripts/gpu-check.sh`` runs them (``python -m pytest -q -m cuda tests/test_cuda.py``).

Float32 comparisons run with TF32 off (cuBLAS and cuDNN would otherwise round matrix products
to 10-bit mantissas on Ampere and later GPUs) and allow 1e-4 relative to the output's scale."""
from __future__ import annotations

import copy
import os
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch_geometric.typing

from gast_pyg import build_model
from gast_pyg.cli import main
from gast_pyg.export import export_torchscript
from gast_pyg.lifting import lift_sequence
from gast_pyg.metrics import mpjpe
from gast_pyg.streaming import StreamingLifter

pytestmark = [pytest.mark.cuda,
              pytest.mark.skipif(not torch.cuda.is_available(), reason='no CUDA GPU visible')]

TOLERANCE = 1e-4
#: A synthetic training run of a fraction of a second (as in tests/test_training.py).
TINY = ['--channels', '8', '--receptive-field', '9', '--synthetic-sequences', '1',
        '--synthetic-frames', '120', '--train-subjects', 'S1,S5', '--test-subjects', 'S8',
        '--batch-size', '32', '--downsample', '1', '--threads', '1', '--no-progress']
MODELS = {
    'gast': dict(arch='gast', channels=32),
    'tcn': dict(arch='tcn', channels=64),
    'trajectory': dict(arch='gast', channels=32, trajectory='separate'),
}


@pytest.fixture(autouse=True)
def _no_tf32():
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    yield
    torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def model_of(name: str, causal: bool = False, receptive_field: int = 27, dropout: float = 0.0
             ) -> torch.nn.Module:
    """A seeded model with perturbed weights and batch-norm statistics (not the identity-like
    initialisation, so that every layer matters)."""
    torch.manual_seed(0)
    model = build_model(receptive_field=receptive_field, causal=causal, dropout=dropout,
                        **MODELS[name])
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.add_(torch.randn_like(parameter) * 0.05)
        for module in model.modules():
            if isinstance(module, torch.nn.modules.batchnorm._BatchNorm):
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 1.5)
    return model


def assert_close_to_scale(got: torch.Tensor, expected: torch.Tensor) -> None:
    """``max |got - expected| <= 1e-4 * max(1, max |expected|)``."""
    got, expected = got.detach().float().cpu(), expected.detach().float().cpu()
    assert got.shape == expected.shape
    scale = max(1.0, float(expected.abs().max()))
    error = float((got - expected).abs().max())
    assert error <= TOLERANCE * scale, f'max |cuda - cpu| = {error:.3g} at scale {scale:.3g}'


def inputs(batch: int, frames: int) -> torch.Tensor:
    return torch.randn(batch, frames, 17, 2, generator=torch.Generator().manual_seed(1)) * 0.3


@pytest.mark.parametrize('causal', [False, True], ids=['centred', 'causal'])
@pytest.mark.parametrize('form', ['windows', 'sequence'])
@pytest.mark.parametrize('name', list(MODELS))
def test_outputs_on_cuda_equal_the_cpu_s(name, form, causal):
    model = model_of(name, causal).eval()
    rf = model.receptive_field
    # Training windows of exactly the receptive field (the strided form, one output frame
    # each) or a long sequence (the dilated form, chunked in time).
    x = inputs(16, rf) if form == 'windows' else inputs(2, rf + 300)
    with torch.no_grad():
        expected = model(x)
        got = copy.deepcopy(model).cuda()(x.cuda())
    assert got.is_cuda and got.shape == (len(x), x.size(1) - rf + 1, 17, 3)
    assert_close_to_scale(got, expected)
    assert float(expected.abs().max()) > 1e-2  # a non-trivial output


@pytest.mark.parametrize('name', list(MODELS))
def test_a_training_step_on_cuda_has_the_cpu_s_gradients_and_update(name):
    model = model_of(name, dropout=0.0).train()
    gpu = copy.deepcopy(model).cuda()
    x = inputs(64, model.receptive_field)
    y = torch.randn(64, 1, 17, 3, generator=torch.Generator().manual_seed(2))
    steps = []
    for network, device in ((model, 'cpu'), (gpu, 'cuda')):
        optimizer = torch.optim.Adam(network.parameters(), lr=1e-3, amsgrad=True)
        loss = mpjpe(network(x.to(device)), y.to(device))
        loss.backward()
        optimizer.step()
        steps.append(loss)
    assert_close_to_scale(steps[1], steps[0])
    for (key, cpu), gpu_parameter in zip(model.named_parameters(), gpu.parameters()):
        assert gpu_parameter.grad.is_cuda
        assert_close_to_scale(gpu_parameter.grad, cpu.grad)
        assert_close_to_scale(gpu_parameter, cpu)
    for key, buffer in model.state_dict().items():  # batch-norm statistics of the step
        assert_close_to_scale(gpu.state_dict()[key], buffer)


def test_dropout_and_relu_on_cuda_are_pytorch_s():
    from gast_pyg.nn._kernels import dropout, inplace_relu, pointwise
    x = torch.randn(4096, 64, device='cuda')
    weight, bias = torch.randn(32, 64, device='cuda'), torch.randn(32, device='cuda')
    assert torch.equal(pointwise(x, weight, bias), torch.nn.functional.linear(x, weight, bias))
    torch.manual_seed(3)
    dropped = dropout(x, 0.25)
    torch.manual_seed(3)
    assert torch.equal(dropped, torch.nn.functional.dropout(x, 0.25))
    y = inplace_relu(x)
    assert y.data_ptr() != x.data_ptr() and torch.equal(y, x.clamp(min=0))


@pytest.mark.parametrize('name', ['gast', 'tcn'])
def test_streaming_on_cuda_equals_offline_on_the_cpu(name):
    model = model_of(name, causal=True).eval()
    rng = np.random.default_rng(0)
    sequence = (np.cumsum(rng.normal(scale=0.05, size=(80, 17, 2)), 0)
                + rng.normal(scale=0.3, size=(1, 17, 2))).astype(np.float32)
    expected = lift_sequence(model, sequence, root_relative=False)
    lifter = StreamingLifter(copy.deepcopy(model).cuda())
    online = np.stack([lifter.push(frame) for frame in sequence])
    assert lifter.window.is_cuda
    assert_close_to_scale(torch.from_numpy(online), torch.from_numpy(expected))


def test_torchscript_export_of_a_cuda_model(tmp_path):
    model = model_of('gast').eval()
    report = export_torchscript(copy.deepcopy(model).cuda(), tmp_path / 'model.pt')
    assert report.max_abs_error <= 1e-4 * max(1.0, report.max_abs_output)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)  # TorchScript, deprecated upstream
        loaded = torch.jit.load(str(tmp_path / 'model.pt'), map_location='cuda')
    x = inputs(2, model.receptive_field + 20)
    with torch.no_grad():
        assert_close_to_scale(loaded(x.cuda()), model(x))


def test_torch_scatter_on_cuda_gives_pyg_s_own_result(monkeypatch):
    pytest.importorskip('torch_scatter')
    model = model_of('gast').eval().cuda()
    x = inputs(4, model.receptive_field + 10).cuda()
    with torch.no_grad():
        monkeypatch.setattr(torch_geometric.typing, 'WITH_TORCH_SCATTER', True)
        with_scatter = model(x)
        monkeypatch.setattr(torch_geometric.typing, 'WITH_TORCH_SCATTER', False)
        without = model(x)
    assert_close_to_scale(with_scatter, without)


@pytest.mark.parametrize('amp', [[], ['--amp'], ['--amp', '--amp-dtype', 'bfloat16']],
                         ids=['float32', 'float16', 'bfloat16'])
def test_train_on_cuda(tmp_path, capsys, amp):
    code = main(['train', *TINY, '--epochs', '2', '--device', 'cuda', *amp,
                 '--checkpoint-dir', str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out[-2000:]
    assert 'device cuda' in out
    checkpoint = torch.load(tmp_path / 'last.pt', map_location='cpu', weights_only=True)
    history = checkpoint['history']
    assert len(history) == 2 and all(np.isfinite(h['train_mpjpe']) for h in history)
    assert history[1]['train_mpjpe'] < history[0]['train_mpjpe']


def test_evaluate_export_and_latency_commands_on_cuda(tmp_path, capsys):
    assert main(['train', *TINY, '--epochs', '1', '--device', 'cuda',
                 '--checkpoint-dir', str(tmp_path / 'run')]) == 0
    checkpoint = str(tmp_path / 'run' / 'last.pt')
    assert main(['evaluate', '--checkpoint', checkpoint, '--synthetic-sequences', '1',
                 '--synthetic-frames', '120', '--test-subjects', 'S8', '--device', 'cuda',
                 '--no-progress']) == 0
    assert main(['export', '--checkpoint', checkpoint, '--format', 'torchscript', '--output',
                 str(tmp_path / 'model.pt'), '--device', 'cuda']) == 0
    assert main(['latency', '--random-weights', '--channels', '16', '--frames', '5',
                 '--warmup', '1', '--device', 'cuda']) == 0
    out = capsys.readouterr().out
    assert '| P1: MPJPE (mm) |' in out and 'torchscript' in out and 'cuda' in out


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason='DDP over NCCL needs two GPUs')
def test_two_gpus_with_torchrun(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONUNBUFFERED='1')
    command = [sys.executable, '-m', 'torch.distributed.run', '--standalone',
               '--nproc_per_node', '2', '-m', 'gast_pyg.cli', 'train', *TINY, '--epochs', '1',
               '--device', 'cuda', '--checkpoint-dir', str(tmp_path / 'run')]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert 'over 2 process(es)' in done.stdout and 'device cuda:0' in done.stdout
    assert Path(tmp_path / 'run' / 'last.pt').is_file()
