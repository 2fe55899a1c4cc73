"""``gast-pyg export``: the sequence model of a checkpoint as TorchScript or ONNX.

The exported graph is the whole-sequence (dilated) form of a lifting model for its fixed
skeleton: input ``keypoints_2d`` ``(batch, frames >= receptive_field, J, in_features)`` float32,
normalised screen coordinates; output ``poses_3d`` ``(batch, frames - receptive_field + 1, J,
3)``, output frame ``t`` from input frames ``t .. t + receptive_field - 1``. Batch and frames are
dynamic; the skeleton's graphs are constants of the graph. Pad the sequence as
:func:`gast_pyg.data.sequence_inputs` does; the exported graph runs one pass (no time chunks:
feed long videos in overlapping pieces).

How each layer exports (torch 2.13, torch_geometric 2.8, measured by ``tests/test_export.py``):

* TorchScript: ``torch.jit.trace``. Its profiling executor re-optimises the graph for each new
  input shape during the first calls (seconds each); for inputs of varying length run it under
  ``torch.jit.optimized_execution(False)``, which is as fast as eager from the first call.
  ``torch.jit.script`` fails on the package's layers (PyG's
  templated ``MessagePassing`` code for ``SemGraphConv``; ``super().forward`` in
  ``ChannelsLastBatchNorm``; ``reshape(*x.shape[:-1], ...)`` in ``pointwise``); only
  ``TemporalConv`` scripts. Tracing records every layer, PyG ``propagate`` included, and keeps
  the frame and batch sizes symbolic. Trace on an input with ``frames != receptive_field`` so
  the dilated form is recorded (it is also correct for exactly ``receptive_field`` frames).
* ONNX: ``torch.onnx.export(..., dynamo=True)`` (``torch.export`` + onnxscript, opset 18)
  exports every layer, with dynamic ``batch`` (example batch 2, so it is not specialised to 1)
  and ``frames``. The legacy TorchScript-based exporter (``dynamo=False``) exports the
  ``GlobalGraphAttention`` (dense path), temporal and channels-last layers, but its graph for
  ``SemGraphConv`` is rejected by onnxruntime (``Sub`` shape inference after the scatter-max of
  PyG's ``softmax``), so it is not used.

Every export is loaded back (``torch.jit.load`` / onnxruntime) and compared on several batch
sizes and lengths with :func:`gast_pyg.lifting.lift_batch` (the eager model call behind
:func:`~gast_pyg.lifting.lift_sequence`; the check inputs are batches of already padded
sequences, as the exported graph takes them) before the file is renamed into place.

A model on a GPU is traced and checked there: its TorchScript file holds CUDA weights (load it
with ``torch.jit.load(path, map_location=...)`` to run it elsewhere); an ONNX file does not
depend on the device it was exported from (the check runs it on onnxruntime's CPU provider).
"""
from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Tuple, Union

import torch
from torch import Tensor, nn

from gast_pyg.errors import GastPygError
from gast_pyg.files import staged_outputs
from gast_pyg.lifting import lift_batch, model_device_and_dtype
from gast_pyg.models.base import LiftingModel

__all__ = ['ExportError', 'FORMATS', 'SequenceModel', 'ExportReport', 'export_torchscript',
           'export_onnx', 'export_model']

PathLike = Union[str, os.PathLike]
FORMATS = ('torchscript', 'onnx')


class ExportError(GastPygError):
    """An export that cannot be made or does not match eager PyTorch (a missing optional
    package, an unknown format, a numerical mismatch)."""


class SequenceModel(nn.Module):
    """The exportable form of a lifting model: ``forward(keypoints_2d) -> poses_3d`` is
    ``model.lift`` (one pass, no input check, no chunking)."""

    def __init__(self, model: LiftingModel):
        super().__init__()
        self.model = model.eval()

    def forward(self, keypoints_2d: Tensor) -> Tensor:
        return self.model.lift(keypoints_2d)


@dataclass
class ExportReport:
    """What was exported and how closely it matches the eager model."""

    path: Path
    format: str
    method: str
    max_abs_error: float
    checked_shapes: List[Tuple[int, ...]] = field(default_factory=list)
    max_abs_output: float = 0.0

    def __str__(self) -> str:
        if not self.checked_shapes:
            return f'{self.path}: {self.format} ({self.method}); not checked'
        shapes = ', '.join('x'.join(map(str, s)) for s in self.checked_shapes)
        return (f'{self.path}: {self.format} ({self.method}); max |export - eager| = '
                f'{self.max_abs_error:.2e} (outputs up to {self.max_abs_output:.3g}) on inputs '
                f'{shapes}')


def _metadata(model: LiftingModel) -> Dict[str, str]:
    return {'gast_pyg.config': json.dumps(model.config),
            'gast_pyg.input': 'keypoints_2d (batch, frames, joints, in_features), normalised',
            'gast_pyg.output': 'poses_3d (batch, frames - receptive_field + 1, joints, 3)',
            'gast_pyg.receptive_field': str(model.receptive_field),
            'gast_pyg.joint_names': ','.join(model.skeleton.joint_names)}


def _example(model: LiftingModel, batch: int = 2, extra: int = 4) -> Tensor:
    """The tracing input, on the model's device (drawn on the CPU: the same numbers on every
    device)."""
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(batch, model.receptive_field + extra, model.num_joints, model.in_features,
                    generator=generator) * 0.3
    return x.to(model_device_and_dtype(model)[0])


def _check_inputs(model: LiftingModel) -> List[Tensor]:
    """The inputs of the numerical check, on the CPU."""
    generator = torch.Generator().manual_seed(1)
    rf, joints, features = model.receptive_field, model.num_joints, model.in_features
    shapes = [(1, rf), (3, rf + 7), (1, 3 * rf + 50)]
    return [torch.randn(b, t, joints, features, generator=generator) * 0.3 for b, t in shapes]


def _compare(run, model: LiftingModel, atol: float, rtol: float) -> Tuple[float, list, float]:
    """Run ``run`` and :func:`~gast_pyg.lifting.lift_batch` on a few inputs; fail unless ``max
    |export - eager| <= atol + rtol * max |eager|`` on each (relative to the output's scale:
    float32 rounding grows with the activations, and single elements near zero would make an
    elementwise relative test flaky)."""
    worst, shapes, scale = 0.0, [], 0.0
    for x in _check_inputs(model):
        expected = lift_batch(model, x).float().cpu()
        with torch.no_grad():
            got = torch.as_tensor(run(x)).cpu()
        if got.shape != expected.shape:
            raise ExportError(f"export check: output {tuple(got.shape)} for input "
                              f"{tuple(x.shape)}, eager gives {tuple(expected.shape)}")
        error = float((got - expected).abs().max())
        size = float(expected.abs().max())
        if not error <= atol + rtol * size:
            raise ExportError(f"the export differs from eager PyTorch on input {tuple(x.shape)}: "
                              f"max |export - eager| = {error:.3g}, allowed {atol:g} + {rtol:g} * "
                              f"{size:.3g} (max |eager|)")
        worst, scale = max(worst, error), max(scale, size)
        shapes.append(tuple(x.shape))
    return worst, shapes, scale


@contextlib.contextmanager
def _quiet_loggers(prefix: str):
    """Silence the exporter's progress and 'torchvision is not installed' log lines."""
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)
               if name.startswith(prefix)] + [logging.getLogger(prefix)]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels):
            logger.setLevel(level)


def export_torchscript(model: LiftingModel, path: PathLike, check: bool = True,
                       atol: float = 1e-5, rtol: float = 1e-4) -> ExportReport:
    """Trace :class:`SequenceModel` and save it (config and I/O description as extra files
    ``gast_pyg.*``); check the reloaded module against eager PyTorch."""
    model.eval()
    wrapper = SequenceModel(model)
    # TorchScript is deprecated upstream (torch 2.13 warns on trace / load); it still works.
    with warnings.catch_warnings():
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        warnings.simplefilter('ignore', DeprecationWarning)
        with torch.no_grad():
            traced = torch.jit.trace(wrapper, _example(model), check_trace=False)
        with staged_outputs() as staging:
            tmp = staging.stage(path)
            traced.save(str(tmp),
                        _extra_files={k: v.encode() for k, v in _metadata(model).items()})
            worst, shapes, scale = 0.0, [], 0.0
            if check:
                device = model_device_and_dtype(model)[0]
                loaded = torch.jit.load(str(tmp), map_location=device)
                # Without the profiling executor's re-optimisation for every new input shape
                # (~2 s per shape and call for the first calls of a 32-channel model).
                with torch.jit.optimized_execution(False):
                    worst, shapes, scale = _compare(lambda x: loaded(x.to(device)), model,
                                                    atol, rtol)
    return ExportReport(Path(path), 'torchscript', 'torch.jit.trace', worst, shapes, scale)


def export_onnx(model: LiftingModel, path: PathLike, check: bool = True, opset: int = 18,
                atol: float = 1e-5, rtol: float = 1e-4) -> ExportReport:
    """Export :class:`SequenceModel` with ``torch.onnx.export(dynamo=True)``, dynamic batch and
    frames, config as ONNX metadata; check it with onnxruntime against eager PyTorch."""
    try:
        import onnx  # noqa: F401
        import onnxscript  # noqa: F401
    except ImportError as error:
        raise ExportError("ONNX export needs onnx and onnxscript: pip install 'gast-pyg[onnx]' "
                          f"({error})") from error
    if check:
        try:
            import onnxruntime
        except ImportError as error:
            raise ExportError("checking the ONNX export needs onnxruntime: pip install "
                              "'gast-pyg[onnx]' (or skip the check with --no-check)") from error
    import onnx
    model.eval()
    wrapper = SequenceModel(model)
    dims = {0: torch.export.Dim('batch', min=1, max=65536),
            1: torch.export.Dim('frames', min=model.receptive_field, max=2**24)}
    log = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(log), _quiet_loggers('torch.onnx'):
        warnings.simplefilter('ignore')
        program = torch.onnx.export(wrapper, (_example(model),), None, dynamo=True,
                                    input_names=['keypoints_2d'], output_names=['poses_3d'],
                                    dynamic_shapes={'keypoints_2d': dims}, opset_version=opset,
                                    verbose=False)
    proto = program.model_proto
    for key, value in _metadata(model).items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    with staged_outputs() as staging:
        tmp = staging.stage(path)
        onnx.save(proto, str(tmp))
        worst, shapes, scale = 0.0, [], 0.0
        if check:
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 3
            options.intra_op_num_threads = 1  # small check inputs; no spinning thread pool
            session = onnxruntime.InferenceSession(str(tmp), options,
                                                   providers=['CPUExecutionProvider'])
            worst, shapes, scale = _compare(
                lambda x: session.run(None, {'keypoints_2d': x.cpu().numpy()})[0], model, atol, rtol)
    return ExportReport(Path(path), 'onnx', f'torch.onnx.export(dynamo=True, opset {opset})',
                        worst, shapes, scale)


def export_model(model: LiftingModel, path: PathLike, format: str, check: bool = True
                 ) -> ExportReport:
    """Export ``model`` to ``path`` as ``'torchscript'`` or ``'onnx'``."""
    if format == 'torchscript':
        return export_torchscript(model, path, check=check)
    if format == 'onnx':
        return export_onnx(model, path, check=check)
    raise ExportError(f"unknown export format {format!r}; choose from {FORMATS}")

