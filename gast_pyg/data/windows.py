"""Training windows and evaluation inputs: edge padding, batching and flip augmentation.

Sequences come in as :mod:`numpy` arrays ``(T, J, C)``; batches leave as float32
:class:`torch.Tensor`. A model of receptive field ``rf`` maps an input of ``T + rf - 1`` frames to
``T`` output frames, so every sequence is edge-padded (its first / last frame repeated) by
``rf // 2`` frames on both sides, or by ``rf - 1`` frames on the left only for causal models
(output frame ``t`` then sees input frames ``t - rf + 1 .. t``).
"""
from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

import numpy as np
import torch
from torch import Tensor, nn

from gast_pyg.data.datasets import DataError
from gast_pyg.skeleton import Skeleton

__all__ = ['WindowSampler', 'flip_pose', 'sequence_inputs', 'flip_average']

ArrayOrTensor = TypeVar('ArrayOrTensor', np.ndarray, Tensor)


def _padding(receptive_field: int, causal: bool) -> tuple[int, int]:
    if receptive_field < 1 or receptive_field % 2 == 0:
        raise DataError(f'receptive_field must be a positive odd integer, got {receptive_field}')
    half = receptive_field // 2
    return (receptive_field - 1, 0) if causal else (half, half)


def _edge_pad(sequence: np.ndarray, left: int, right: int) -> np.ndarray:
    return np.pad(sequence, ((left, right), (0, 0), (0, 0)), mode='edge')


def flip_pose(x: ArrayOrTensor, skeleton: Skeleton) -> ArrayOrTensor:
    """Mirror poses ``(..., J, C)`` horizontally: negate channel 0 (x) and swap left/right joints.

    Works on numpy arrays and torch tensors and returns a new one of the same kind; applying it
    twice gives the input back.
    """
    signs = [-1.0] + [1.0] * (x.shape[-1] - 1)
    sign = x.new_tensor(signs) if isinstance(x, Tensor) else np.asarray(signs, dtype=x.dtype)
    return x[..., skeleton.flip_permutation, :] * sign


class WindowSampler:
    """Shuffled mini-batches of ``(2D window, 3D target frame)`` pairs for training.

    Every frame of every sequence is the target of exactly one window per epoch. Batches are
    built by fancy indexing into one concatenated array of padded 2D sequences, so windows are
    never materialised in advance.

    Args:
        poses_2d: Input sequences, each ``(T_i, J, 2)`` (normalised screen coordinates; a third
            channel of scores is carried along).
        poses_3d: Matching targets, each ``(T_i, J, 3)`` (root-relative, camera space; for
            trajectory models absolute camera-space joints, root-relative plus
            :func:`~gast_pyg.data.camera_roots`, so each window's target carries its root and a
            flip negates the root's x with the image).
        receptive_field: Frames per input window (odd).
        causal: Pad ``rf - 1`` frames on the left and none on the right, so the target is the
            window's last frame; otherwise ``rf // 2`` on both sides, the target is its centre.
        downsample: Keep every ``downsample``-th frame of each sequence before windowing
            (frames ``0, k, 2k, ...``, a plain stride as VideoPose3D's ``--downsample``; the
            other frames are not used).
        batch_size: Windows per batch; the last batch of an epoch may be smaller.
        shuffle: Visit the windows in a new random order every epoch.
        seed: Seed of the :func:`numpy.random.default_rng` stream used for shuffling and
            flipping.
        flip_augment: Mirror each window and its target with probability 0.5
            (:func:`flip_pose`); needs ``skeleton``.
        skeleton: Supplies the left/right joint pairs for flipping.
        pin_memory: Return batches in page-locked memory, so that a model on a CUDA GPU can
            copy them with ``.to(device, non_blocking=True)`` while it computes (needs CUDA).

    Iterating starts an epoch and yields ``(inputs (B, rf, J, 2), targets (B, 1, J, 3))`` float32
    tensors. All random draws of an epoch (order and flips) happen when iteration starts, so
    :meth:`state_dict` taken at any point of epoch ``e`` resumes with epoch ``e + 1``.

    Raises:
        DataError: If the sequences are inconsistent (counts, lengths, joints, channels).
        DataError: For an invalid receptive field, downsample factor or batch size, or
            ``flip_augment`` without a skeleton.
    """

    def __init__(
        self,
        poses_2d: Sequence[np.ndarray],
        poses_3d: Sequence[np.ndarray],
        receptive_field: int,
        *,
        causal: bool = False,
        downsample: int = 1,
        batch_size: int = 128,
        shuffle: bool = True,
        seed: int = 0,
        flip_augment: bool = False,
        skeleton: Skeleton | None = None,
        pin_memory: bool = False,
    ) -> None:
        left, right = _padding(receptive_field, causal)
        if downsample < 1:
            raise DataError(f'downsample must be >= 1, got {downsample}')
        if batch_size < 1:
            raise DataError(f'batch_size must be >= 1, got {batch_size}')
        if flip_augment and skeleton is None:
            raise DataError('flip_augment=True needs the skeleton (its left/right joints)')
        if len(poses_2d) != len(poses_3d) or not poses_2d:
            raise DataError(
                f'expected the same non-zero number of 2D and 3D sequences, got {len(poses_2d)} '
                f'and {len(poses_3d)}'
            )
        expected_2d, expected_3d = poses_2d[0].shape[1:], poses_3d[0].shape[1:]
        inputs, targets, starts = [], [], []
        offset = 0
        for index, (seq_2d, seq_3d) in enumerate(zip(poses_2d, poses_3d)):
            if (
                seq_2d.ndim != 3
                or seq_3d.ndim != 3
                or seq_2d.shape[1:] != expected_2d
                or seq_3d.shape[1:] != expected_3d
                or seq_2d.shape[1] != seq_3d.shape[1]
                or seq_3d.shape[2] != 3
            ):
                raise DataError(
                    f'sequence {index}: expected 2D (T, J, C) and 3D (T, J, 3) with J and C as in '
                    f'sequence 0 {(expected_2d, expected_3d)}, got {seq_2d.shape} and '
                    f'{seq_3d.shape}'
                )
            if len(seq_2d) != len(seq_3d) or len(seq_2d) == 0:
                raise DataError(
                    f'sequence {index}: expected equal non-zero 2D and 3D lengths, got '
                    f'{len(seq_2d)} and {len(seq_3d)} frames (see align_2d_3d)'
                )
            seq_2d, seq_3d = seq_2d[::downsample], seq_3d[::downsample]
            inputs.append(_edge_pad(np.asarray(seq_2d, dtype=np.float32), left, right))
            targets.append(np.asarray(seq_3d, dtype=np.float32))
            starts.append(offset + np.arange(len(seq_3d)))
            offset += len(seq_3d) + left + right
        self._inputs = np.concatenate(inputs)
        self._targets = np.concatenate(targets)
        self._starts = np.concatenate(starts)
        self._window = np.arange(receptive_field)
        self.receptive_field = receptive_field
        self.causal = causal
        self.downsample = downsample
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.flip_augment = flip_augment
        self.skeleton = skeleton
        self.pin_memory = pin_memory
        self._rng = np.random.default_rng(seed)

    @property
    def num_windows(self) -> int:
        """Windows (= target frames) per epoch."""
        return len(self._starts)

    def __len__(self) -> int:
        """Batches per epoch."""
        return -(-self.num_windows // self.batch_size)

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        n = self.num_windows
        order = self._rng.permutation(n) if self.shuffle else np.arange(n)
        flips = self._rng.random(n) < 0.5 if self.flip_augment else None
        return self._batches(order, flips)

    def _batches(
        self, order: np.ndarray, flips: np.ndarray | None
    ) -> Iterator[tuple[Tensor, Tensor]]:
        for first in range(0, len(order), self.batch_size):
            chosen = order[first:first + self.batch_size]
            inputs = self._inputs[self._starts[chosen, None] + self._window]
            targets = self._targets[chosen, None]
            if flips is not None:
                flip = flips[first:first + self.batch_size]
                inputs[flip] = flip_pose(inputs[flip], self.skeleton)
                targets[flip] = flip_pose(targets[flip], self.skeleton)
            batch = torch.from_numpy(inputs), torch.from_numpy(targets)
            yield tuple(t.pin_memory() for t in batch) if self.pin_memory else batch

    def state_dict(self) -> dict[str, Any]:
        """The state of the random stream, to resume the sequence of epochs."""
        return {'bit_generator': self._rng.bit_generator.state}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore a state from :meth:`state_dict`."""
        self._rng.bit_generator.state = state['bit_generator']


def sequence_inputs(seq_2d: np.ndarray, receptive_field: int, causal: bool = False) -> Tensor:
    """A whole sequence ``(T, J, 2)``, edge-padded, as a float32 input ``(1, T + rf - 1, J, 2)``.

    Padding as in :class:`WindowSampler`, so output frame ``t`` of the model belongs to input
    frame ``t``.
    """
    left, right = _padding(receptive_field, causal)
    padded = _edge_pad(np.asarray(seq_2d, dtype=np.float32), left, right)
    return torch.from_numpy(padded).unsqueeze(0)


def flip_average(model: nn.Module, inputs: Tensor, skeleton: Skeleton) -> Tensor:
    """Test-time flip augmentation: the mean of the prediction and the un-flipped prediction on
    the mirrored input.

    ``inputs`` ``(B, T, J, 2)`` -> ``(B, T', J, 3)``; one model call on a batch of ``2 B``.
    """
    outputs = model(torch.cat([inputs, flip_pose(inputs, skeleton)]))
    direct, mirrored = outputs.chunk(2)
    return (direct + flip_pose(mirrored, skeleton)) / 2
