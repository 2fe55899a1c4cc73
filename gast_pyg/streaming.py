"""Real-time lifting: one 2D frame in, that frame's 3D pose out.

A causal model's output frame ``t`` depends on input frames ``t - rf + 1 .. t`` only, so it can
run live. :class:`StreamingLifter` keeps an incremental causal state: every temporal layer keeps,
in a ring buffer, only the past input frames its taps read (``(width - 1) * dilation + 1``), so a
new frame costs one output column per layer (the temporal convolution as one matrix product over
the kept taps) and the per-frame layers (graph attention blocks) run on that one frame. ``push``
returns what the offline causal model gives for frame ``t`` on the whole sequence edge-padded as
:func:`gast_pyg.data.sequence_inputs` does (the first frame repeated ``rf - 1`` times before the
start), up to float rounding (the products add in a different order: ~1e-6).

Latency: ``gast-pyg latency`` measures the per-frame time of
a random-weight model (default: 27 frames, 128 channels, causal, one thread) against its compute
bound, the FLOPs of one receptive-field window in the strided form divided by the best GEMM rate
measured in the same run, alternating with the model re-run on the whole window
(:func:`measure_latency`).
"""
from __future__ import annotations

import statistics
import time
import warnings
from typing import Dict, List, Tuple, Union

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

from gast_pyg.data.windows import flip_average
from gast_pyg.errors import GastPygError
from gast_pyg.models.base import FrameMap, LiftingModel
from gast_pyg.models.temporal import TemporalBlock, TemporalConv
from gast_pyg.nn import fold_batch_norms

__all__ = ['StreamingLifter', 'gemm_gflops', 'measure_latency']

ArrayLike = Union[np.ndarray, Tensor]


class CausalTaps:
    """The past inputs of one causal temporal convolution and its output for the newest frame.

    Keeps the last ``(kernel_size - 1) * dilation + 1`` input frames of ``(batch, nodes,
    channels)``; :meth:`push` adds a frame ``(batch, 1, nodes, in_channels)`` and returns the
    convolution's output at it ``(batch, 1, nodes, out_channels)``: the taps every ``dilation``
    frames ending at the newest, times the weight flattened to ``(out, kernel_size * in)``.
    The first frame pushed fills the whole history (edge padding).
    """

    def __init__(self, conv: TemporalConv, batch: int, nodes: int):
        out_channels, in_channels, width, _ = conv.weight.shape
        self.dilation = conv.dilation[0]
        self.span = (width - 1) * self.dilation + 1
        # (out, in, width, 1) -> (out, width * in): tap-major, oldest tap first.
        self.weight = conv.weight.detach()[..., 0].permute(0, 2, 1).reshape(out_channels, -1)
        self.bias = None if conv.bias is None else conv.bias.detach()
        # Every frame is written twice, at p and p + span, so the last span frames are always
        # the contiguous slice [p + 1, p + 1 + span) in time order.
        self.history = conv.weight.new_empty(batch, nodes, 2 * self.span, in_channels)
        self.position = -1

    def reset(self) -> None:
        self.position = -1

    def push(self, frame: Tensor) -> Tensor:
        batch, _, nodes, _ = frame.shape
        if self.position < 0:
            self.history.copy_(frame.transpose(1, 2).expand_as(self.history))
            self.position = 0
        else:
            self.position = (self.position + 1) % self.span
            self.history[:, :, self.position] = frame[:, 0]
            self.history[:, :, self.position + self.span] = frame[:, 0]
        start = self.position + 1
        taps = self.history[:, :, start:start + self.span:self.dilation]
        out = F.linear(taps.reshape(batch * nodes, -1), self.weight, self.bias)
        return out.view(batch, 1, nodes, -1)


class StreamingLifter:
    """Lift a live 2D keypoint stream with a causal model, frame by frame.

    Args:
        model: A causal :class:`~gast_pyg.models.LiftingModel`; the lifter runs an eval-mode
            copy with folded batch norms (:func:`~gast_pyg.nn.fold_batch_norms`), so later
            changes to ``model``'s weights do not reach it.
        flip: Average with the prediction on the mirrored stream, as
            :func:`~gast_pyg.data.flip_average` does offline (twice the work).

    ``push(frame)`` takes one frame ``(J, in_features)`` of normalised screen coordinates
    (NumPy or torch) and returns that frame's 3D pose ``(J, 3)`` as a float32 NumPy array, the
    model's raw output (subtract the root joint for root-relative poses, as ``gast-pyg infer``
    does). The first frame fills every layer's history (edge padding). :meth:`reset` starts a
    new stream.

    Raises:
        GastPygError: For a non-causal model, whose output for frame ``t`` needs
            ``receptive_field // 2`` future frames.
    """

    def __init__(self, model: LiftingModel, flip: bool = False):
        if not getattr(model, 'causal', False):
            raise GastPygError(
                f"StreamingLifter needs a causal model (output frame t from input frames "
                f"t-{getattr(model, 'receptive_field', 'rf')}+1..t); this "
                f"{model.__class__.__name__} is not causal: each of its outputs needs "
                f"{getattr(model, 'receptive_field', 1) // 2} future frames. Build it with "
                f"causal=True (or load an authors' causal checkpoint with causal=True), or lift "
                f"offline with gast-pyg infer")
        self.model = fold_batch_norms(model).requires_grad_(False)
        self.flip = flip
        self.receptive_field = model.receptive_field
        parameter = next(model.parameters(), None)
        self._dtype = parameter.dtype if parameter is not None else torch.float32
        self._device = parameter.device if parameter is not None else torch.device('cpu')
        try:
            self._prepare, self._stages = self.model.stages()
        except NotImplementedError:  # no stages (a TrajectoryModel): re-run the whole window
            self._prepare, self._stages = None, []
        batch = 2 if flip else 1
        with torch.inference_mode():
            nodes = 0 if self._prepare is None else self._prepare(torch.zeros(
                1, 1, model.num_joints, model.in_features, dtype=self._dtype,
                device=self._device)).size(2)
        self._taps: List[CausalTaps] = [
            CausalTaps(temporal.conv if isinstance(temporal, TemporalBlock) else temporal,
                       batch, nodes)
            for temporal, _ in self._stages]
        self._stages = self._traced_stages(batch)
        # The raw input frames of the receptive field, for :attr:`window`; written twice as in
        # :class:`CausalTaps`.
        self._buffer = torch.empty(2 * self.receptive_field, model.num_joints, model.in_features,
                                   dtype=self._dtype, device=self._device)
        self._position = -1
        self.frames_seen = 0

    def reset(self) -> None:
        """Forget the stream; the next frame is edge-padded again."""
        self._position = -1
        for taps in self._taps:
            taps.reset()
        self.frames_seen = 0

    @property
    def window(self) -> Tensor:
        """The current input window ``(rf, J, in_features)``, oldest frame first."""
        if self._position < 0:
            raise RuntimeError("no frame pushed yet")
        return self._buffer[self._position + 1:self._position + 1 + self.receptive_field]

    def push(self, frame: ArrayLike) -> np.ndarray:
        """Add the next frame ``(J, in_features)``; return its 3D pose ``(J, 3)``."""
        frame = torch.as_tensor(frame, dtype=self._dtype, device=self._device)
        expected = tuple(self._buffer.shape[1:])
        if tuple(frame.shape) != expected:
            raise GastPygError(f"expected one frame of shape {expected}, got {tuple(frame.shape)}")
        rf = self.receptive_field
        if self._position < 0:
            self._buffer[:] = frame
            self._position = 0
        else:
            self._position = (self._position + 1) % rf
            self._buffer[self._position] = frame
            self._buffer[self._position + rf] = frame
        self.frames_seen += 1
        if self._prepare is None:
            run, x = self.model, self.window.unsqueeze(0)
        else:
            run, x = self._step, frame[None, None]
        with torch.inference_mode():
            out = flip_average(run, x, self.model.skeleton) if self.flip else run(x)
        return out[0, 0].cpu().numpy()

    def _traced_stages(self, batch: int) -> List[Tuple[nn.Module, FrameMap]]:
        """The per-frame part of every stage (graph attention blocks) traced into a fixed-shape
        TorchScript graph on one frame of ``batch`` streams: the same operations without the
        Python around them (message passing bookkeeping, module calls). The example frames come
        from one dummy frame pushed through the state, which is reset afterwards."""
        if not self._stages:
            return []
        examples = []
        with torch.inference_mode():
            x = self._prepare(torch.zeros(batch, 1, self.model.num_joints, self.model.in_features,
                                          dtype=self._dtype, device=self._device))
            for taps, (temporal, after) in zip(self._taps, self._stages):
                y = self._temporal_output(taps, temporal, x)
                examples.append(y)
                x = after(y)
        for taps in self._taps:
            taps.reset()
        traced = []
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter('ignore', torch.jit.TracerWarning)
            # torch.jit.trace is deprecated, but torch.export's graph runs in Python (slower per
            # frame: docs/performance-notes.md).
            warnings.simplefilter('ignore', DeprecationWarning)
            for (temporal, after), example in zip(self._stages, examples):
                graph = torch.jit.trace(after, example.clone(), check_trace=False)
                traced.append((temporal, torch.jit.freeze(graph) if isinstance(after, nn.Module)
                               else graph))
        return traced

    @staticmethod
    def _temporal_output(taps: CausalTaps, temporal: nn.Module, x: Tensor) -> Tensor:
        y = taps.push(x)
        if isinstance(temporal, TemporalBlock):
            y = temporal.after_conv(y, residual=x)  # causal: the residual is the newest frame
        return y

    def _step(self, frames: Tensor) -> Tensor:
        """The model on the newest frames ``(batch, 1, J, in_features)`` given the state:
        ``(batch, 1, J, 3)``."""
        x = self._prepare(frames)
        for taps, (temporal, after) in zip(self._taps, self._stages):
            x = after(self._temporal_output(taps, temporal, x))
        return self.model.poses(x)


def _synchronize(device: torch.device) -> None:
    """Wait for the GPU's queued work, so that a wall-clock time covers it."""
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def gemm_gflops(size: int = 1024, repeats: int = 10,
                device: torch.device = torch.device('cpu')) -> float:
    """The best float32 GEMM rate in GFLOP/s on ``device`` (a CPU: on the current torch
    threads): the faster of ``torch.matmul`` and a channels-last 1x1 ``conv2d`` (the package's
    GEMM on CPUs, :func:`gast_pyg.nn._kernels.pointwise`) on ``size``-square operands, best of
    ``repeats``."""
    weight = torch.randn(size, size, device=device)
    image = torch.randn(1, size, size, 1, device=device).contiguous(
        memory_format=torch.channels_last)
    runs = (lambda: torch.matmul(image.view(size, size), weight),
            lambda: F.conv2d(image, weight[:, :, None, None]))
    best = float('inf')
    with torch.inference_mode():
        for run in runs:
            run()
            for _ in range(repeats):
                _synchronize(device)
                start = time.perf_counter()
                run()
                _synchronize(device)
                best = min(best, time.perf_counter() - start)
    return 2 * size ** 3 / best / 1e9


def measure_latency(model: LiftingModel, frames: int = 200, warmup: int = 20,
                    seed: int = 0) -> Dict[str, float]:
    """Push ``warmup + frames`` random frames through a :class:`StreamingLifter`, alternating
    each push with the lifter's model re-run on the whole current window (the strided
    single-window form: what streaming cost before the incremental state), and return
    per-frame latency statistics of the push in milliseconds (``median``, ``p90``, ``p99``,
    ``mean``, ``max``), ``fps`` (1000 / median), ``window_median`` (ms, the re-run window) and
    ``speedup`` (their quotient), and the compute bound: ``gflop`` of one window in the strided
    form and ``step_gflop`` of one incremental step (counted by
    :class:`torch.utils.flop_counter.FlopCounterMode`), ``gemm_gflops`` (:func:`gemm_gflops`
    on the model's device, measured after the frames), ``bound`` (ms, ``gflop /
    gemm_gflops``) and ``ratio`` (median / bound)."""
    lifter = StreamingLifter(model)
    rng = np.random.default_rng(seed)
    stream = rng.normal(scale=0.3, size=(warmup + frames, model.num_joints, model.in_features))
    stream = stream.astype(np.float32)
    times, window_times = [], []
    for i, frame in enumerate(stream):
        start = time.perf_counter()
        lifter.push(frame)
        middle = time.perf_counter()
        with torch.inference_mode():
            lifter.model(lifter.window.unsqueeze(0))
        _synchronize(lifter.window.device)
        if i >= warmup:
            times.append((middle - start) * 1000.0)
            window_times.append((time.perf_counter() - middle) * 1000.0)
    counts = []
    for run in (lambda: lifter.model(lifter.window.unsqueeze(0)),
                lambda: lifter._step(lifter.window[-1:].unsqueeze(0))):
        counter = FlopCounterMode(display=False)
        with counter, torch.inference_mode():
            run()
        counts.append(counter.get_total_flops() / 1e9)
    gflop, step_gflop = counts
    gemm = gemm_gflops(device=lifter.window.device)
    times.sort()
    median = statistics.median(times)
    window_median = statistics.median(window_times)
    bound = gflop / gemm * 1000.0
    return dict(median=median, p90=times[int(0.9 * (len(times) - 1))],
                p99=times[int(0.99 * (len(times) - 1))], mean=statistics.fmean(times),
                max=times[-1], fps=1000.0 / median, window_median=window_median,
                speedup=window_median / median, gflop=gflop, step_gflop=step_gflop,
                gemm_gflops=gemm, bound=bound, ratio=median / bound)
