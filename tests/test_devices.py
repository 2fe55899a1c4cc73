"""``--device``: every command takes it, refuses a GPU that is not there in one line (exit 2),
and the GPU check script refuses a machine without one; the autocast type of training."""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from gast_pyg.errors import GastPygError
from gast_pyg.cli import main
from gast_pyg.configs import ConfigError
from gast_pyg.devices import DeviceError, resolve_device
from gast_pyg.devices import autocast_dtype

ROOT = Path(__file__).resolve().parents[1]
TINY = ['--channels', '8', '--receptive-field', '9', '--synthetic-sequences', '1',
        '--synthetic-frames', '120', '--train-subjects', 'S1,S5', '--test-subjects', 'S8',
        '--batch-size', '32', '--downsample', '1', '--threads', '1', '--no-progress']
COMMANDS = {
    'train': ['train', *TINY, '--epochs', '1'],
    'benchmark': ['benchmark', *TINY, '--epochs', '1'],
    'benchmark --evaluate': ['benchmark', '--evaluate', 'missing/last.pt'],
    'evaluate': ['evaluate', '--checkpoint', 'missing/last.pt'],
    'export': ['export', '--format', 'torchscript', '--output', 'model.pt'],
    'latency': ['latency', '--random-weights'],
}


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)


@pytest.mark.parametrize('command', list(COMMANDS))
def test_every_command_refuses_a_missing_gpu_in_one_line(command, no_gpu, tmp_path, capsys,
                                                         monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main([*COMMANDS[command], '--device', 'cuda']) == 2
    captured = capsys.readouterr()
    name = command.split()[0]
    assert captured.err.splitlines() == [
        f"gast-pyg {name}: error: device 'cuda': CUDA is not available (torch "
        f"{torch.__version__} is "
        + ('a CPU-only build)' if torch.version.cuda is None
           else f'built for CUDA {torch.version.cuda}, but it sees no GPU)')]
    assert 'SYNTHETIC' not in captured.out  # refused before any data was made
    assert list(tmp_path.iterdir()) == []  # and nothing written


def test_device_names(monkeypatch):
    assert resolve_device('cpu') == torch.device('cpu')
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    assert resolve_device('auto') == torch.device('cpu')
    for name in ('gpu', 'mps', '', 'cuda:x'):
        with pytest.raises(DeviceError, match=r"expected 'auto', 'cpu', 'cuda' or 'cuda:N'"):
            resolve_device(name)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: True)
    monkeypatch.setattr(torch.cuda, 'device_count', lambda: 1)
    assert resolve_device('auto') == torch.device('cuda')
    assert resolve_device('cuda:0') == torch.device('cuda', 0)
    with pytest.raises(DeviceError, match=r"device 'cuda:1': this machine has 1 CUDA GPU\(s\), "
                                          r"cuda:0 to cuda:0"):
        resolve_device('cuda:1')


def test_a_bad_device_name_is_one_line(capsys):
    assert main(['latency', '--random-weights', '--device', 'gpu']) == 2
    assert capsys.readouterr().err.splitlines() == [
        "gast-pyg latency: error: device 'gpu': expected 'auto', 'cpu', 'cuda' or 'cuda:N'"]


def test_the_autocast_type_of_training():
    cpu, cuda = torch.device('cpu'), torch.device('cuda')
    assert autocast_dtype(None, cpu) == torch.bfloat16
    assert autocast_dtype(None, cuda) == torch.float16
    assert autocast_dtype('bfloat16', cuda) == torch.bfloat16
    assert autocast_dtype('float16', cpu) == torch.float16
    with pytest.raises(GastPygError, match="amp_dtype: expected one of float16, bfloat16, got "
                                          "'float8'"):
        autocast_dtype('float8', cpu)


def test_amp_dtype_without_amp_is_refused(tmp_path, capsys):
    assert main(['train', *TINY, '--epochs', '1', '--amp-dtype', 'bfloat16',
                 '--checkpoint-dir', str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines() == [
        'gast-pyg train: error: amp_dtype bfloat16: the autocast type of amp, which is off; '
        'turn amp on (--amp) or leave amp_dtype unset']
    with pytest.raises(SystemExit) as exit:
        main(['train', *TINY, '--amp-dtype', 'float8'])
    assert exit.value.code == 2
    assert "argument --amp-dtype: invalid choice: 'float8'" in capsys.readouterr().err


def test_bfloat16_training_on_the_cpu_is_recorded_and_resumes_only_so(tmp_path, capsys):
    run = ['train', *TINY, '--amp', '--amp-dtype', 'bfloat16', '--checkpoint-dir', str(tmp_path)]
    assert main([*run, '--epochs', '1']) == 0
    checkpoint = torch.load(tmp_path / 'last.pt', weights_only=True)
    assert checkpoint['training']['amp'] is True
    assert checkpoint['training']['amp_dtype'] == 'bfloat16'
    assert checkpoint['history'][0]['train_mpjpe'] > 0
    capsys.readouterr()
    assert main(['train', *TINY, '--amp', '--amp-dtype', 'float16', '--epochs', '2', '--resume',
                 '--checkpoint-dir', str(tmp_path)]) == 2
    assert "saved with amp_dtype 'bfloat16', this run has 'float16'" in capsys.readouterr().err


def test_the_gpu_check_refuses_a_machine_without_a_gpu_in_one_line():
    bash = shutil.which('bash')
    if bash is None:
        pytest.skip('no bash')
    if torch.cuda.is_available():
        pytest.skip('this machine has a GPU: the script would run')
    done = subprocess.run([bash, str(ROOT / 'scripts' / 'gpu-check.sh')], capture_output=True,
                          text=True, timeout=120, cwd=ROOT,
                          env={'PATH': f'{Path(sys.executable).parent}:/usr/bin:/bin',
                               'PYTHON': sys.executable, 'HOME': str(ROOT)})
    assert done.returncode == 2
    assert done.stdout == ''
    assert done.stderr.splitlines() == [
        'gpu-check.sh: error: no CUDA GPU visible to torch '
        f'{torch.__version__}; this check runs on a machine with an NVIDIA GPU']
