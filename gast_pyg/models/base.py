"""What every 2D-to-3D lifting model of the package shares: input checks,
receptive field, chunked whole-sequence inference, checkpoints."""
from __future__ import annotations

import math
import operator
from typing import Any, Callable, Dict, List, Mapping, Sequence, Tuple

from torch import Tensor, nn

from gast_pyg.errors import GastPygError
from gast_pyg.skeleton import Skeleton
from gast_pyg.validation import bounded_repr, check_real


class ModelError(GastPygError):
    """A model configuration out of range, or input of a shape the model does not take."""


def receptive_field(filter_widths: Sequence[int]) -> int:
    """Frames one output frame sees: ``1 + 2 * sum(pad_i)`` (the product of the
    widths when they are all odd)."""
    frames, dilation = 1, 1
    for width in filter_widths:
        frames += (width - 1) * dilation
        dilation *= width
    return frames


def check_options(owner: str, flags: Mapping[str, Any] = {}, counts: Mapping[str, Any] = {},
                  fractions: Mapping[str, Any] = {}) -> None:
    """Raise one :class:`ModelError` naming ``owner`` and the first option of the wrong type:
    ``flags`` must be ``True``/``False``, ``counts`` integers ``>= 1``, ``fractions`` real
    numbers in ``[0, 1)`` (a checkpoint's config is checked as strictly as the API)."""
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise ModelError(f"{owner}: {name} must be True or False, got {bounded_repr(value)}")
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ModelError(f"{owner}: {name} must be an integer >= 1, got {bounded_repr(value)}")
    for name, value in fractions.items():
        if (isinstance(value, bool) or not isinstance(value, (int, float))
                or not (math.isfinite(value) and 0 <= value < 1)):
            raise ModelError(f"{owner}: {name} must be a number in [0, 1), "
                             f"got {bounded_repr(value)}")


#: A map applied to every frame on its own: ``(batch, frames, nodes, channels)`` in and out.
FrameMap = Callable[[Tensor], Tensor]


class LiftingModel(nn.Module):
    r"""Base class of the temporal lifting models:
    ``(batch, frames, joints, in_features) -> (batch, frames - receptive_field
    + 1, joints, 3)``; output frame ``t`` is computed from input frames
    ``t .. t + receptive_field - 1``.

    A batch of windows of exactly :attr:`receptive_field` frames (training)
    runs the strided single-frame form of the temporal convolutions, longer
    sequences the dilated form; both share every weight and agree.

    Attributes:
        chunk_frames (int): In eval mode, sequences producing more output
            frames than this are processed in time chunks of that many output
            frames (overlapping by the receptive field), so intermediate
            tensors stay cache-sized and memory is bounded by the chunk, not
            the sequence. The result is the same as one pass. ``0`` disables.
    """

    arch: str
    chunk_frames: int = 256
    #: Values per output frame of :meth:`features` (nodes times channels).
    feature_size: int

    def __init__(self, skeleton: Skeleton, filter_widths: Sequence[int], causal: bool,
                 dropout: float, in_features: int):
        super().__init__()
        owner = type(self).__name__
        check_options(owner, flags={'causal': causal}, counts={'in_features': in_features},
                      fractions={'dropout': dropout})
        try:
            widths = [operator.index(w) for w in filter_widths]
        except TypeError:
            widths = []
        if not widths or any(w < 1 or w % 2 == 0 for w in widths):
            raise ModelError(f"{owner}: filter_widths must be odd positive integers, "
                             f"got {bounded_repr(filter_widths)}")
        filter_widths = widths
        self.skeleton = skeleton
        self.filter_widths = filter_widths
        self.causal = causal
        self.dropout = dropout
        self.in_features = in_features
        self.receptive_field = receptive_field(filter_widths)

    @property
    def num_joints(self) -> int:
        return self.skeleton.num_joints

    @property
    def config(self) -> Dict[str, Any]:
        """Everything :func:`~gast_pyg.models.build_model` needs to rebuild
        this model (the skeleton as a mapping)."""
        return dict(arch=self.arch, skeleton=self.skeleton.to_dict(),
                    filter_widths=list(self.filter_widths), causal=self.causal,
                    dropout=self.dropout, in_features=self.in_features)

    def check_input(self, x: Tensor) -> None:
        """Raise one :class:`ModelError` naming the expected and the received
        shape unless ``x`` is ``(batch, frames >= receptive_field, joints,
        in_features)`` of real numbers."""
        expected = f"(batch, frames >= {self.receptive_field}, {self.num_joints}, {self.in_features})"
        check_real(x, f"{self.__class__.__name__} input", ModelError)
        if (x.dim() != 4 or x.size(2) != self.num_joints or x.size(3) != self.in_features
                or x.size(1) < self.receptive_field):
            raise ModelError(f"{self.__class__.__name__} ({self.skeleton.name}, receptive field "
                             f"{self.receptive_field}) expects input of shape {expected}, "
                             f"got {tuple(x.shape)}")

    def forward(self, x: Tensor) -> Tensor:
        r"""``(batch, frames, joints, in_features) -> (batch, frames -
        receptive_field + 1, joints, 3)``."""
        self.check_input(x)
        frames = x.size(1) - self.receptive_field + 1
        if self.training or not 0 < self.chunk_frames < frames:
            return self.lift(x)
        # Allocated before any chunk runs, so each chunk's temporaries are
        # freed whole (a list of chunk outputs pins them in the heap).
        out = x.new_empty(x.size(0), frames, self.num_joints, 3)
        span = self.chunk_frames + self.receptive_field - 1
        for start in range(0, frames, self.chunk_frames):
            out[:, start:start + self.chunk_frames] = self.lift(x[:, start:start + span])
        return out

    def lift(self, x: Tensor) -> Tensor:
        """The network on one (checked) input, strided form when ``x`` has
        exactly :attr:`receptive_field` frames."""
        return self.poses(self.features(x))

    def features(self, x: Tensor) -> Tensor:
        """Everything but the output layer: ``(batch, frames, joints,
        in_features) -> (batch, frames - receptive_field + 1, nodes,
        channels)`` with ``nodes * channels ==`` :attr:`feature_size`, the
        chain of :meth:`stages`."""
        strided = x.size(1) == self.receptive_field
        prepare, stages = self.stages()
        x = prepare(x)
        for temporal, after in stages:
            x = after(temporal(x, strided))
        return x

    def stages(self) -> Tuple[FrameMap, List[Tuple[nn.Module, FrameMap]]]:
        """The network before :meth:`poses` as ``(prepare, [(temporal, after), ...])``:
        :meth:`features` is ``after(temporal(...(prepare(x))))``, where each ``temporal`` is a
        :class:`~gast_pyg.models.temporal.TemporalConv` or
        :class:`~gast_pyg.models.temporal.TemporalBlock` (the only layers that mix frames,
        called as ``temporal(x, strided)``) and ``prepare`` and every ``after`` act on each
        frame alone (streaming runs them on one frame)."""
        raise NotImplementedError

    def poses(self, features: Tensor) -> Tensor:
        """The output layer: :meth:`features` to ``(batch, frames', joints, 3)``."""
        raise NotImplementedError

    def extra_repr(self) -> str:
        return (f'skeleton={self.skeleton.name}, joints={self.num_joints}, '
                f'filter_widths={self.filter_widths}, receptive_field={self.receptive_field}, '
                f'causal={self.causal}')
