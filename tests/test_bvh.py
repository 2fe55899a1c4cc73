"""BVH export (:mod:`gast_pyg.bvh`, ``gast-pyg bvh``) checked as a user would: the written files
are parsed by an independent reader (``bvhio`` from PyPI, the ``dev`` extra: its own parser and
forward kinematics) and imported by Blender (skipped where ``blender`` is not installed:
``scripts/install-blender.sh``). The joints they give back must be the lifted joints after
bone-length normalisation to <= 1 mm, on constructed motions with known rotations (which must
come back, twist included) and on the shipped models' output for the real baseball clip of
``../shared`` (skipped when absent)."""
from __future__ import annotations

import json
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import shared_path
from scipy.spatial.transform import Rotation

from gast_pyg import Skeleton
from gast_pyg.bvh import BvhError, BvhWarning, solve_motion, write_bvh
from gast_pyg.cli import main

bvhio = pytest.importorskip('bvhio')
glm = pytest.importorskip('glm')

BLENDER_SCRIPT = Path(__file__).with_name('blender_bvh_heads.py')
TOLERANCE_CM = 0.1  # 1 mm
# The documented rest pose: the bone from the parent, along an axis (BVH axes: Y up, left +X).
X, Y, Z = np.eye(3)
REST = {'right_hip': -X, 'right_knee': -Y, 'right_ankle': -Y, 'right_toe': Z,
        'left_hip': X, 'left_knee': -Y, 'left_ankle': -Y, 'left_toe': Z,
        'spine': Y, 'thorax': Y, 'neck': Y, 'head': Y,
        'left_shoulder': X, 'left_elbow': X, 'left_wrist': X,
        'right_shoulder': -X, 'right_elbow': -X, 'right_wrist': -X}
LENGTHS_CM = {'right_hip': 13, 'right_knee': 44, 'right_ankle': 44, 'right_toe': 14,
              'left_hip': 13, 'left_knee': 44, 'left_ankle': 44, 'left_toe': 14,
              'spine': 23, 'thorax': 25, 'neck': 11, 'head': 12,
              'left_shoulder': 15, 'left_elbow': 28, 'left_wrist': 25,
              'right_shoulder': 15, 'right_elbow': 28, 'right_wrist': 25}


def to_camera(points_cm: np.ndarray) -> np.ndarray:
    """BVH axes (cm, Y up, Z toward the camera) -> camera axes (m, y down, z forward)."""
    return points_cm * np.array([1, -1, -1]) / 100


def normalised(points_cm: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Every bone at its median length along its own direction, from the root down."""
    out = points_cm.copy()
    order = [skeleton.root]
    for joint in order:
        order += [j for j, p in enumerate(skeleton.parents) if p == joint]
    for joint in order[1:]:
        parent = skeleton.parents[joint]
        bone = points_cm[:, joint] - points_cm[:, parent]
        length = np.median(np.linalg.norm(bone, axis=-1))
        out[:, joint] = out[:, parent] + length * bone / np.linalg.norm(bone, axis=-1,
                                                                        keepdims=True)
    return out


def read_with_bvhio(path: Path, names) -> tuple[np.ndarray, np.ndarray, dict]:
    """World joint positions ``(frames, joints, 3)`` from bvhio's forward kinematics, each
    joint's rotation ``(frames, joints, 3, 3)`` as bvhio parses it from the channels, and the
    parsed ``{joint: bvhio.BvhJoint}``."""
    parsed = bvhio.readAsBvh(str(path))
    flat = {joint.Name: joint for joint, *_ in parsed.Root.layout()}
    hierarchy = bvhio.readAsHierarchy(str(path))
    joints = {joint.Name: joint for joint, *_ in hierarchy.layout()}
    positions, rotations = [], []
    for frame in range(parsed.FrameCount):
        hierarchy.loadPose(frame)
        positions.append([list(joints[name].PositionWorld) for name in names])
        rotations.append([[list(flat[name].Keyframes[frame].Rotation * glm.vec3(axis))
                           for axis in np.eye(3)] for name in names])
    return (np.array(positions), np.swapaxes(np.array(rotations), -1, -2), flat)


def angle_degrees(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Angle of the rotation between rotation matrices ``a`` and ``b`` ``(..., 3, 3)``."""
    relative = np.swapaxes(a, -1, -2) @ b
    angles = Rotation.from_matrix(relative.reshape(-1, 3, 3)).magnitude()
    return np.degrees(angles).reshape(relative.shape[:-2])


def world_rotations(local: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    world = local.copy()
    order = [skeleton.root]
    for joint in order:
        children = [j for j, p in enumerate(skeleton.parents) if p == joint]
        for child in children:
            world[:, child] = world[:, joint] @ local[:, child]
        order += children
    return world


def twist_steps(local: np.ndarray, skeleton: Skeleton, parsed: dict, name: str) -> np.ndarray:
    """Per frame step, the angle (degrees) by which joint ``name`` turns about its own bone
    (the rest offset of its one child) in the world, from the file's channel rotations."""
    world = world_rotations(local, skeleton)[:, skeleton.joint_names.index(name)]
    child = next(j for j, p in enumerate(skeleton.parents)
                 if p == skeleton.joint_names.index(name))
    axis = np.array(parsed[skeleton.joint_names[child]].Offset)
    axis /= np.linalg.norm(axis)
    quaternion = Rotation.from_matrix(np.swapaxes(world[:-1], -1, -2) @ world[1:]).as_quat()
    twist = np.degrees(2 * np.arctan2(quaternion[:, :3] @ axis, quaternion[:, 3]))
    return np.abs((twist + 180) % 360 - 180)


def constructed_motion(skeleton: Skeleton, frames: int = 40, seed: int = 0):
    """Joint positions (BVH axes, cm) by forward kinematics of known local rotations that the
    anatomical references determine: a free pelvis on a moving root, spine and thorax twisting
    by equal halves, a nodding neck, thighs and upper arms in random swing and twist with the
    knee and elbow bent 35 to 110 degrees about their hinge, the foot about the knee's hinge.
    Returns ``(positions (frames, joints, 3), local rotations (frames, joints, 3, 3))``."""
    rng = np.random.default_rng(seed)
    names = skeleton.joint_names
    local = np.broadcast_to(np.eye(3), (frames, len(names), 3, 3)).copy()

    def about(axis, degrees):
        return Rotation.from_rotvec(np.radians(degrees)[:, None] * axis).as_matrix()

    def uniform(low, high):
        return rng.uniform(low, high, frames)

    for j, name in enumerate(names):
        if name == 'pelvis':
            local[:, j] = Rotation.random(frames, random_state=seed).as_matrix()
        elif name in ('spine', 'thorax'):
            local[:, j] = about(Y, np.full(frames, 20.0) * np.sin(np.arange(frames) / 5))
        elif name == 'neck':
            local[:, j] = about(X, uniform(-30, 30))
        elif name.endswith(('_hip', '_shoulder')):
            local[:, j] = Rotation.from_rotvec(rng.uniform(-1, 1, (frames, 3))).as_matrix()
        elif name.endswith('_knee'):
            local[:, j] = about(X, uniform(35, 110))
        elif name.endswith('_elbow'):
            local[:, j] = about(Y, uniform(35, 110) * (-1 if name.startswith('left') else 1))
        elif name.endswith('_ankle') and 'left_toe' in names:
            local[:, j] = about(X, uniform(-30, 30))
    world = np.empty_like(local)
    positions = np.zeros((frames, len(names), 3))
    positions[:, skeleton.root] = rng.normal(0, 50, (frames, 3))
    order = [skeleton.root]
    for joint in order:
        order += [j for j, p in enumerate(skeleton.parents) if p == joint]
    for joint in order:
        parent = skeleton.parents[joint]
        if parent < 0:
            world[:, joint] = local[:, joint]
            continue
        world[:, joint] = world[:, parent] @ local[:, joint]
        offset = LENGTHS_CM[names[joint]] * REST[names[joint]]
        positions[:, joint] = positions[:, parent] + world[:, parent] @ offset
    return positions, local


@pytest.mark.parametrize('name', ['h36m', 'h36m_toes'])
def test_constructed_rotations_and_positions_come_back(tmp_path, name):
    skeleton = Skeleton.load(name)
    truth_cm, truth_local = constructed_motion(skeleton)
    fps = 25.0
    path = tmp_path / 'motion.bvh'
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # no swing-only warning for these skeletons
        motion = write_bvh(path, to_camera(truth_cm), skeleton, fps, trajectory=True)

    # Every joint that has a child: the solved rotation is the known one, twist included.
    branching = [j for j in range(skeleton.num_joints) if j in skeleton.parents]
    solved_error = angle_degrees(motion.rotations[:, branching], truth_local[:, branching])
    assert solved_error.max() < 1e-5

    # The independent reader: its forward kinematics, and the rotations from the channels.
    positions, rotations, parsed = read_with_bvhio(path, skeleton.joint_names)
    assert len(positions) == 40
    assert np.abs(positions - truth_cm).max() < 1e-3  # 10 micrometres
    assert angle_degrees(rotations[:, branching], truth_local[:, branching]).max() < 1e-3
    # The rest pose as documented: each offset along its axis, at the bone's length.
    for joint, parent in skeleton.bones:
        name_j = skeleton.joint_names[joint]
        np.testing.assert_allclose(np.array(parsed[name_j].Offset),
                                   LENGTHS_CM[name_j] * REST[name_j], atol=1e-4)
    text = path.read_text()
    assert 'Frame Time: 0.04000000' in text
    assert 'CHANNELS 6 Xposition Yposition Zposition Yrotation Xrotation Zrotation' in text


def test_straight_limbs_do_not_corkscrew(tmp_path):
    """Where the limb's plane is undefined (knees and elbows within 10 degrees of straight,
    hyperextended too), the twist comes from the rest pose carried along by the bone's swing:
    a slow sweep of every limb through all directions turns no bone about itself by more than
    the sweep's own step."""
    skeleton = Skeleton.load('h36m')
    frames = 400
    t = np.linspace(0, 4 * np.pi, frames)[:, None]
    local = np.broadcast_to(np.eye(3), (frames, 17, 3, 3)).copy()
    names = skeleton.joint_names
    for j, name in enumerate(names):
        phase = j * 0.7
        if name.endswith(('_hip', '_shoulder')):  # wide, slow cones (< 3 degrees a frame)
            rotvec = 1.2 * np.hstack([np.sin(t + phase), 0.5 * np.cos(1.3 * t), np.cos(t + phase)])
            local[:, j] = Rotation.from_rotvec(rotvec).as_matrix()
        elif name.endswith(('_knee', '_elbow')):  # -10 .. 10 degrees about the hinge
            hinge = X if name.endswith('_knee') else (-Y if name.startswith('left') else Y)
            local[:, j] = Rotation.from_rotvec(np.radians(10) * np.sin(3 * t + phase)
                                               * hinge).as_matrix()
    world = world_rotations(local, skeleton)
    positions = np.zeros((frames, 17, 3))
    for joint in range(1, 17):  # joints are in tree order for h36m
        parent = skeleton.parents[joint]
        positions[:, joint] = positions[:, parent] + world[:, parent] @ (
            LENGTHS_CM[names[joint]] * REST[names[joint]])
    path = tmp_path / 'sweep.bvh'
    write_bvh(path, to_camera(positions), skeleton, 30.0, trajectory=False)
    read, rotations, parsed = read_with_bvhio(path, names)
    assert np.abs(read - positions).max() < 1e-3
    swing = angle_degrees(local[1:], local[:-1]).max()
    assert swing < 5
    for name in ('right_hip', 'left_hip', 'left_shoulder', 'right_shoulder',
                 'right_knee', 'left_knee', 'left_elbow', 'right_elbow'):
        assert twist_steps(rotations, skeleton, parsed, name).max() < 2 * swing, name


def test_channels_state_a_rotation_order_per_joint(tmp_path):
    skeleton = Skeleton.load('h36m_toes')
    truth_cm, _ = constructed_motion(skeleton, frames=3)
    path = tmp_path / 'toes.bvh'
    write_bvh(path, to_camera(truth_cm), skeleton, 30.0, trajectory=False)
    parsed = bvhio.readAsBvh(str(path))
    channels = {joint.Name: ' '.join(joint.Channels) for joint, *_ in parsed.Root.layout()}
    assert channels['pelvis'] == 'Xposition Yposition Zposition Yrotation Xrotation Zrotation'
    assert channels['right_knee'] == 'Zrotation Yrotation Xrotation'  # twist axis Y in the middle
    assert channels['left_elbow'] == 'Zrotation Xrotation Yrotation'
    assert channels['left_ankle'] == 'Yrotation Zrotation Xrotation'  # the foot's bone is along Z
    # Children of a branching joint other than its first carry their offset per frame.
    assert channels['left_hip'].startswith('Xposition Yposition Zposition')
    assert channels['left_shoulder'].startswith('Xposition Yposition Zposition')
    assert channels['spine'] == 'Zrotation Yrotation Xrotation'
    # Without a trajectory the root stays at the origin.
    positions, _, _ = read_with_bvhio(path, skeleton.joint_names)
    np.testing.assert_allclose(positions[:, skeleton.root], 0.0, atol=1e-5)


def test_other_skeletons_get_swing_only_rotations_and_a_warning(tmp_path):
    skeleton = Skeleton.load('coco')
    rng = np.random.default_rng(1)
    base = rng.normal(0, 0.3, (skeleton.num_joints, 3))
    poses = base + rng.normal(0, 0.05, (30, skeleton.num_joints, 3))
    path = tmp_path / 'coco.bvh'
    with pytest.warns(BvhWarning, match="skeleton 'coco' has no anatomical twist rules") as caught:
        write_bvh(path, poses, skeleton, 30.0, trajectory=True)
    assert len(caught) == 1 and '\n' not in str(caught[0].message)
    positions, _, _ = read_with_bvhio(path, skeleton.joint_names)
    target = normalised(poses * np.array([100, -100, -100]), skeleton)
    assert np.abs(positions - target).max() < TOLERANCE_CM


def test_bad_poses_are_refused():
    skeleton = Skeleton.load('h36m')
    poses = np.zeros((5, 17, 3))
    poses[2, 3, 0] = np.nan
    with pytest.raises(BvhError, match='1 non-finite values'):
        solve_motion(poses, skeleton, 30.0, trajectory=False)
    with pytest.raises(BvhError, match=r'shape \(5, 16, 3\); expected \(frames, 17, 3\)'):
        solve_motion(np.zeros((5, 16, 3)), skeleton, 30.0, trajectory=False)
    with pytest.raises(BvhError, match='median length of zero'):
        solve_motion(np.zeros((5, 17, 3)), skeleton, 30.0, trajectory=False)


def test_cli_refuses_a_result_without_poses(tmp_path, capsys):
    bad = tmp_path / 'bad.npz'
    np.savez(bad, joint_names=np.array(Skeleton.load('h36m').joint_names),
             track_ids=np.array([0]), frame_indices=np.arange(3))
    assert main(['bvh', str(bad), '--output', str(tmp_path / 'x.bvh')]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f'gast-pyg bvh: error: {bad}: `poses_3d` is missing; expected float joints '
                   '(1, 3, 17, 3) (is this a .npz written by gast-pyg infer or video?)']
    assert not list(tmp_path.glob('x*.bvh'))


# The real clip, lifted once per model by the command users run.
@pytest.fixture(scope='module', params=['gast-27', 'gast-27-trajectory'])
def baseball(request, tmp_path_factory):
    keypoints = shared_path('data', 'wild', 'baseball_hrnet_coco17.json')
    folder = tmp_path_factory.mktemp(request.param)
    result = folder / 'baseball.npz'
    assert main(['infer', '--keypoints', str(keypoints), '--checkpoint', request.param,
                 '--output', str(result), '--width', '1920', '--height', '1080',
                 '--fps', '30', '--no-progress']) == 0
    assert main(['bvh', str(result), '--output', str(folder / 'baseball.bvh')]) == 0
    with np.load(result) as data:
        camera = 'poses_3d_camera' in data
        lifted = data['poses_3d_camera' if camera else 'poses_3d'][0]
    points = lifted * np.array([100, -100, -100])
    target = normalised(points, Skeleton.load('h36m'))
    if not camera:
        target -= target[:, :1]
    return folder / 'baseball_track0.bvh', target, camera


def test_baseball_round_trip_through_bvhio(baseball):
    path, target, camera = baseball
    skeleton = Skeleton.load('h36m')
    positions, rotations, parsed = read_with_bvhio(path, skeleton.joint_names)
    assert positions.shape == target.shape == (277, 17, 3)
    error = np.linalg.norm(positions - target, axis=-1)
    print(f'bvhio round trip ({"camera space" if camera else "root-relative"}): max '
          f'{10 * error.max():.4f} mm, mean {10 * error.mean():.4f} mm')
    assert error.max() < TOLERANCE_CM
    root = positions[:, skeleton.root]
    if camera:  # the root moves with the trajectory, in front of the camera (-Z)
        assert (root[:, 2] < -200).all() and np.ptp(root, axis=0).max() > 10
    else:
        np.testing.assert_allclose(root, 0.0, atol=1e-5)
    # No corkscrew: twist about each limb's bone changes smoothly from frame to frame (the arms
    # are left out of the worst case: the pitching arm's lifted plane jumps by itself).
    steps = {name: twist_steps(rotations, skeleton, parsed, name)
             for name in ('right_hip', 'left_hip', 'left_shoulder', 'right_shoulder')}
    print('twist steps, median / max (deg):',
          {name: (round(float(np.median(s)), 1), round(float(s.max()), 1))
           for name, s in steps.items()})
    assert all(np.median(s) < 5 for s in steps.values())
    assert steps['right_hip'].max() < 45 and steps['left_hip'].max() < 45


def test_baseball_round_trip_through_blender(baseball, tmp_path):
    blender = shutil.which('blender')
    if blender is None:
        pytest.skip('blender is not installed (scripts/install-blender.sh)')
    path, target, camera = baseball
    heads = tmp_path / 'heads.json'
    subprocess.run(['nice', '-n', '10', blender, '--background', '--factory-startup',
                    '--python', str(BLENDER_SCRIPT), '--', str(path), str(heads)],
                   check=True, capture_output=True, timeout=300)
    imported = json.loads(heads.read_text())
    names = Skeleton.load('h36m').joint_names
    blender_xyz = np.array([[frame[name] for name in names]
                            for frame in imported['frames'][:len(target)]])
    # Blender's default import turns Y up into Z up: (x, y, z) -> (x, -z, y).
    positions = np.stack([blender_xyz[..., 0], blender_xyz[..., 2], -blender_xyz[..., 1]], -1)
    error = np.linalg.norm(positions - target, axis=-1)
    print(f'Blender round trip ({"camera space" if camera else "root-relative"}): max '
          f'{10 * error.max():.4f} mm over {len(target)} frames')
    assert len(imported['frames']) >= len(target)
    assert abs(imported['fps'] - 30) < 1e-3
    assert error.max() < TOLERANCE_CM
