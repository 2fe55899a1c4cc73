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


def _horn_aligned(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``pred (J, 3)`` aligned to ``target`` by Horn's unit-quaternion method (proper rotations
    only, then the least-squares scale): an algorithm independent of the SVD in p_mpjpe."""
    p0, y0 = pred - pred.mean(0), target - target.mean(0)
    m = p0.T @ y0
    (sxx, sxy, sxz), (syx, syy, syz), (szx, szy, szz) = m.tolist()
    n = torch.tensor([
        [sxx + syy + szz, syz - szy, szx - sxz, sxy - syx],
        [syz - szy, sxx - syy - szz, sxy + syx, szx + sxz],
        [szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy],
        [sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz],
    ], dtype=torch.float64)
    w, x, y, z = torch.linalg.eigh(n).eigenvectors[:, -1].tolist()
    rotation = torch.tensor([  # column-vector rotation of the unit quaternion (w, x, y, z)
        [1 - 2 * (y * y + z * z), 2 * (x * y - w * z), 2 * (x * z + w * y)],
        [2 * (x * y + w * z), 1 - 2 * (x * x + z * z), 2 * (y * z - w * x)],
        [2 * (x * z - w * y), 2 * (y * z + w * x), 1 - 2 * (x * x + y * y)],
    ], dtype=torch.float64)
    rotated = p0 @ rotation.T
    scale = (rotated * y0).sum() / p0.square().sum()
    return scale * rotated + target.mean(0)


def test_p_mpjpe_is_zero_after_any_proper_similarity_transform():
    generator = torch.Generator().manual_seed(4)
    target = torch.randn(64, 17, 3, generator=generator, dtype=torch.float64)
    rotation = random_rotations(64, generator)
    scale = 10 ** (2 * torch.rand(64, 1, 1, generator=generator, dtype=torch.float64) - 1)
    shift = 5 * torch.randn(64, 1, 3, generator=generator, dtype=torch.float64)
    pred = scale * (target @ rotation) + shift
    assert mpjpe(pred, target).item() > 0.5
    assert p_mpjpe(pred, target).item() == pytest.approx(0.0, abs=1e-9)


def test_p_mpjpe_aligns_a_mirror_image_with_the_best_rotation_not_a_reflection():
    # A reflection composed with a rotation, scale and shift: P2 must not reach 0 (a proper
    # rotation cannot undo a mirror image) but must equal Horn's best proper alignment.
    generator = torch.Generator().manual_seed(5)
    target = torch.randn(8, 17, 3, generator=generator, dtype=torch.float64)
    reflection = random_rotations(8, generator) @ torch.diag(
        torch.tensor([1.0, 1.0, -1.0], dtype=torch.float64))
    pred = 0.7 * (target @ reflection) + torch.tensor([0.3, -2.0, 1.0], dtype=torch.float64)
    expected = torch.stack([mpjpe(_horn_aligned(p, t), t) for p, t in zip(pred, target)])
    assert expected.min().item() > 0.1
    assert p_mpjpe(pred, target).item() == pytest.approx(expected.mean().item(), rel=1e-9)


def test_p_mpjpe_matches_the_quaternion_solution_on_noisy_poses():
    generator = torch.Generator().manual_seed(6)
    target = torch.randn(32, 17, 3, generator=generator, dtype=torch.float64)
    pred = 1.3 * (target @ random_rotations(32, generator)) + 0.4 * torch.randn(
        32, 17, 3, generator=generator, dtype=torch.float64)
    per_pose = [p_mpjpe(p, t).item() for p, t in zip(pred, target)]
    expected = [mpjpe(_horn_aligned(p, t), t).item() for p, t in zip(pred, target)]
    assert per_pose == pytest.approx(expected, rel=1e-9)


def test_alignment_never_raises_the_squared_error_and_p2_stays_below_p1_on_average():
    # Procrustes minimises the summed *squared* error, so per pose the aligned squared error is
    # at most the unaligned one (the identity is a candidate); for the mean distance (P2 vs P1)
    # this holds on average over random errors, not for every pose.
    generator = torch.Generator().manual_seed(7)
    target = torch.randn(500, 17, 3, generator=generator, dtype=torch.float64)
    pred = target + 0.3 * torch.randn(500, 17, 3, generator=generator, dtype=torch.float64)
    for p, t in zip(pred[:50], target[:50]):
        aligned = _horn_aligned(p, t)
        assert (aligned - t).square().sum() <= (p - t).square().sum() + 1e-12
    assert p_mpjpe(pred, target).item() < mpjpe(pred, target).item()


def test_p2_can_exceed_p1_when_one_joint_carries_the_error():
    # One joint 0.5 m off, the others exact: the least-squares alignment spreads that error over
    # all joints, so the mean distance grows (P2 > P1) while the squared error falls. This is
    # the pattern of a single bad joint (the head), not a metric defect.
    target = torch.randn(17, 3, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
    pred = target.clone()
    pred[10, 0] += 0.5
    aligned = _horn_aligned(pred, target)
    assert (aligned - target).square().sum() < (pred - target).square().sum()
    assert p_mpjpe(pred, target).item() > mpjpe(pred, target).item()
