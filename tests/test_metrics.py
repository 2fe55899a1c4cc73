"""Pose error metrics: known values, invariances and gradients."""
from __future__ import annotations

import math

import pytest
import torch

from gast_pyg.metrics import mpjpe, mpjve, n_mpjpe, p_mpjpe


def random_rotations(n: int, generator: torch.Generator) -> torch.Tensor:
    q, r = torch.linalg.qr(torch.randn(n, 3, 3, generator=generator, dtype=torch.float64))
    q = q * torch.sign(torch.diagonal(r, dim1=-2, dim2=-1)).unsqueeze(-2)
    q[torch.linalg.det(q) < 0, :, 0] *= -1
    return q


@pytest.fixture
def poses() -> torch.Tensor:
    return torch.randn(2, 3, 17, 3, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize('metric', [mpjpe, p_mpjpe, n_mpjpe, mpjve])
def test_identical_inputs_give_zero(metric, poses):
    assert metric(poses, poses.clone()).item() == pytest.approx(0.0, abs=1e-6)


def test_mpjpe_constant_offset_of_one_metre(poses):
    offset = torch.tensor([0.6, 0.0, -0.8])
    assert mpjpe(poses + offset, poses).item() == pytest.approx(1.0, abs=1e-6)


def test_mpjpe_hand_computed():
    pred = torch.tensor([[0.0, 0.0, 0.0], [3.0, 4.0, 0.0], [1.0, 2.0, 2.0]])
    target = torch.zeros(3, 3)
    assert mpjpe(pred, target).item() == pytest.approx((0 + 5 + 3) / 3)


def test_p_mpjpe_removes_rotation_scale_and_translation(poses):
    generator = torch.Generator().manual_seed(2)
    rotation = random_rotations(6, generator).reshape(2, 3, 1, 3, 3)
    scale = torch.rand(2, 3, 1, 1, generator=generator, dtype=torch.float64) + 0.5
    shift = torch.randn(2, 3, 1, 3, generator=generator, dtype=torch.float64)
    moved = scale * (poses.double().unsqueeze(-2) @ rotation).squeeze(-2) + shift
    assert mpjpe(moved, poses.double()).item() > 0.1
    assert p_mpjpe(moved, poses.double()).item() == pytest.approx(0.0, abs=1e-9)
    assert p_mpjpe(moved.float(), poses).dtype == torch.float32


def test_p_mpjpe_hand_computed():
    # Square in the xy-plane; the prediction lifts alternate corners by +-1 in z. The optimal
    # rotation is the identity and the optimal scale 4 / 8, so every corner is off by sqrt(0.5).
    target = torch.tensor([[1.0, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0]])
    pred = target + torch.tensor([[0, 0, 1.0], [0, 0, -1], [0, 0, 1], [0, 0, -1]])
    assert mpjpe(pred, target).item() == pytest.approx(1.0)
    assert p_mpjpe(pred, target).item() == pytest.approx(math.sqrt(0.5), abs=1e-6)


def test_p_mpjpe_does_not_align_mirror_images(poses):
    mirrored = poses * torch.tensor([-1.0, 1.0, 1.0])
    assert p_mpjpe(mirrored, poses).item() > 0.1


def test_p_mpjpe_is_vectorised_per_pose(poses):
    noisy = poses + 0.1 * torch.randn(poses.shape, generator=torch.Generator().manual_seed(3))
    per_pose = torch.stack([p_mpjpe(p, t) for p, t in zip(noisy.reshape(-1, 17, 3),
                                                         poses.reshape(-1, 17, 3))])
    assert p_mpjpe(noisy, poses).item() == pytest.approx(per_pose.mean().item(), rel=1e-5)
    assert p_mpjpe(noisy, poses).item() < mpjpe(noisy, poses).item()


def test_n_mpjpe_removes_scale_only(poses):
    assert n_mpjpe(2.5 * poses, poses).item() == pytest.approx(0.0, abs=1e-6)
    assert n_mpjpe(poses + 1.0, poses).item() > 0.1


def test_n_mpjpe_hand_computed():
    target = torch.tensor([[1.0, 0, 0], [0, 1, 0]])
    pred = torch.tensor([[2.0, 0, 0], [0, 0, 1]])  # scale <pred, target> / |pred|^2 = 2 / 5
    expected = (0.2 + math.sqrt(1 + 0.4**2)) / 2
    assert n_mpjpe(pred, target).item() == pytest.approx(expected, rel=1e-6)


def test_mpjve_uses_frame_axis():
    target = torch.zeros(2, 5, 17, 3)
    pred = target.clone()
    pred[..., 0] = torch.arange(5.0).reshape(1, 5, 1)  # moves 1 unit per frame along x
    assert mpjve(pred, target).item() == pytest.approx(1.0)
    assert mpjve(pred + 3.0, pred).item() == pytest.approx(0.0)
    with pytest.raises(ValueError, match='2 frames'):
        mpjve(pred[:, :1], target[:, :1])


@pytest.mark.parametrize('metric', [mpjpe, n_mpjpe])
def test_gradients_flow(metric, poses):
    pred = (poses + 0.1).requires_grad_()
    metric(pred, poses).backward()
    assert pred.grad is not None
    assert torch.isfinite(pred.grad).all() and pred.grad.abs().sum() > 0


@pytest.mark.parametrize('metric', [mpjpe, p_mpjpe, n_mpjpe, mpjve])
def test_shape_mismatch_raises(metric, poses):
    with pytest.raises(ValueError, match='same shape'):
        metric(poses, poses[..., :16, :])
