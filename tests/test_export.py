"""TorchScript and ONNX export of the sequence model, checked against eager PyTorch."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from gast_pyg import build_model, save_checkpoint
from gast_pyg.cli import main
from gast_pyg.export import SequenceModel, _compare, export_onnx, export_torchscript


def tiny(causal=False):
    torch.manual_seed(0)
    model = build_model(receptive_field=9, channels=8, causal=causal)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    return model.eval()


def test_sequence_model_is_the_model():
    model = tiny()
    x = torch.randn(2, 30, 17, 2)
    with torch.no_grad():
        torch.testing.assert_close(SequenceModel(model)(x), model(x), atol=1e-6, rtol=1e-6)


def test_the_check_catches_a_wrong_export():
    model = tiny()
    _compare(lambda x: model.lift(x), model, 1e-5, 1e-4)
    with pytest.raises(ValueError, match='differs from eager PyTorch'):
        _compare(lambda x: model.lift(x) + 1e-3, model, 1e-5, 1e-4)
    with pytest.raises(ValueError, match='export check: output'):
        _compare(lambda x: model.lift(x)[:, 1:], model, 1e-5, 1e-4)


def test_the_check_compares_with_the_eval_mode_lifting():
    """The reference is :func:`gast_pyg.lifting.lift_batch`, which switches the model to eval
    mode: with dropout 0.5 a training-mode reference would differ from call to call."""
    model = build_model(receptive_field=9, channels=8, dropout=0.5).train()
    worst, shapes, _ = _compare(lambda x: model.lift(x), model, 1e-6, 0.0)
    assert not model.training and worst <= 1e-6
    assert shapes == [(1, 9, 17, 2), (3, 16, 17, 2), (1, 77, 17, 2)]


@pytest.mark.filterwarnings('ignore:`torch.jit.load` is deprecated:DeprecationWarning')
@pytest.mark.parametrize('causal', [False, True])
def test_torchscript_export_matches_eager(tmp_path, causal):
    model = tiny(causal)
    report = export_torchscript(model, tmp_path / 'model.pt')
    assert report.max_abs_error < 1e-5 and len(report.checked_shapes) == 3
    files = {'gast_pyg.config': ''}
    loaded = torch.jit.load(str(tmp_path / 'model.pt'), _extra_files=files)
    assert json.loads(files['gast_pyg.config'])['causal'] is causal
    # Shapes that were not traced: batch 4, a long sequence, exactly the receptive field.
    for shape in ((4, 100, 17, 2), (1, 9, 17, 2)):
        x = torch.randn(shape)
        with torch.no_grad():
            torch.testing.assert_close(loaded(x), model(x), atol=1e-5, rtol=1e-4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['model.pt']


def test_onnx_export_matches_eager(tmp_path):
    ort = pytest.importorskip('onnxruntime', reason='the onnx extra (onnxruntime) is missing')
    pytest.importorskip('onnxscript', reason='the onnx extra (onnxscript) is missing')
    onnx = pytest.importorskip('onnx')
    model = tiny()
    report = export_onnx(model, tmp_path / 'model.onnx')
    assert report.max_abs_error < 1e-5
    proto = onnx.load(str(tmp_path / 'model.onnx'))
    metadata = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(metadata['gast_pyg.config'])['filter_widths'] == [3, 3]
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(str(tmp_path / 'model.onnx'), options,
                                   providers=['CPUExecutionProvider'])
    assert [i.name for i in session.get_inputs()] == ['keypoints_2d']
    x = torch.randn(5, 300, 17, 2)
    got = session.run(None, {'keypoints_2d': x.numpy()})[0]
    with torch.no_grad():
        np.testing.assert_allclose(got, model(x).numpy(), atol=1e-5, rtol=1e-4)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['model.onnx']


def test_export_command(tmp_path, capsys):
    checkpoint = save_checkpoint(tmp_path / 'm.pt', tiny())
    out = tmp_path / 'm.ts'
    assert main(['export', '--checkpoint', str(checkpoint), '--format', 'torchscript',
                 '--output', str(out)]) == 0
    assert 'torch.jit.trace' in capsys.readouterr().out and out.is_file()
    with pytest.raises(SystemExit):
        main(['export', '--checkpoint', str(checkpoint), '--format', 'tflite',
              '--output', str(out)])
    assert main(['export', '--checkpoint', str(tmp_path / 'none.pt'), '--format', 'onnx',
                 '--output', str(tmp_path / 'm.onnx')]) == 2
    assert 'no such checkpoint file' in capsys.readouterr().err
    assert not (tmp_path / 'm.onnx').exists()
