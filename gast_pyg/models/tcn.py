"""The temporal convolutional baseline of VideoPose3D (Pavllo et al., 2019)."""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

from torch import Tensor, nn

from gast_pyg.models.base import FrameMap, LiftingModel, check_options
from gast_pyg.models.temporal import TemporalBlock, TemporalConv
from gast_pyg.nn import ChannelsLastBatchNorm, Pointwise
from gast_pyg.nn._kernels import dropout, inplace_relu
from gast_pyg.skeleton import Skeleton


def unchanged(x: Tensor) -> Tensor:
    """The residual blocks of the baseline are followed by nothing."""
    return x


class TemporalConvNet(LiftingModel):
    r"""VideoPose3D's dilated temporal convolutional network: all joints of a
    frame flattened into one feature vector, a temporal convolution of width
    ``filter_widths[0]`` to :obj:`channels`, residual
    :class:`~gast_pyg.models.temporal.TemporalBlock`\ s with dropout after
    every ReLU, and a 1x1 convolution (with bias) to ``joints * 3``. No graph:
    the baseline GAST-Net is compared against.

    Shapes and the two temporal forms: see :class:`~gast_pyg.models.base.LiftingModel`.
    """

    arch = 'tcn'

    def __init__(
        self,
        skeleton: Skeleton,
        filter_widths: Sequence[int] = (3, 3, 3),
        channels: int = 1024,
        causal: bool = False,
        dropout: float = 0.25,
        in_features: int = 2,
    ):
        super().__init__(skeleton, filter_widths, causal, dropout, in_features)
        check_options('TemporalConvNet', counts={'channels': channels})
        self.channels = channels
        inputs = self.num_joints * in_features
        self.expand = TemporalConv(inputs, channels, self.filter_widths[0])
        self.expand_norm = ChannelsLastBatchNorm(channels)
        self.batch_norm_pairs = (('expand', 'expand_norm'),)
        self.temporal = nn.ModuleList()
        dilation = self.filter_widths[0]
        for width in self.filter_widths[1:]:
            self.temporal.append(TemporalBlock(channels, width, dilation, causal, dropout,
                                               dropout_after_conv=True))
            dilation *= width
        self.shrink = Pointwise(channels, self.num_joints * 3, bias=True)
        self.feature_size = channels

    @property
    def config(self) -> Dict[str, Any]:
        return dict(super().config, channels=self.channels)

    def stages(self) -> Tuple[FrameMap, List[Tuple[nn.Module, FrameMap]]]:
        def one_node(x: Tensor) -> Tensor:  # all joints of a frame are one feature vector
            return x.flatten(-2).unsqueeze(-2)

        def after_expand(x: Tensor) -> Tensor:
            x = inplace_relu(self.expand_norm(x))
            return dropout(x, p=self.dropout, training=self.training)

        return one_node, [(self.expand, after_expand),
                          *((temporal, unchanged) for temporal in self.temporal)]

    def poses(self, features: Tensor) -> Tensor:
        return self.shrink(features).view(features.size(0), -1, self.num_joints, 3)

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, channels={self.channels}'
