"""BVH animation from lifted 3D joint positions.

A lifter gives joint *positions*; a BVH file (Biovision Hierarchy, read by Blender, Unity, Unreal
and MotionBuilder) holds a skeleton of fixed bone offsets and, per frame, the root's position and
every joint's *rotation*. :func:`solve_motion` turns one track's positions into rotations,
:func:`bvh_text` formats them and :func:`write_bvh` does both into a file.

Conventions of the written file (``docs/motion.md``):

* **Axes and units**: centimetres, Y up, the person facing +Z in the rest pose (left = +X). A
  camera-space point ``(x, y, z)`` (metres; x right, y down, z away from the camera) becomes
  ``100 * (x, -y, -z)``: the camera's own frame turned 180 degrees about its x axis, the camera
  at the origin looking down -Z, assumed level.
* **Hierarchy**: the skeleton's joints under their own names, the skeleton's root as ``ROOT``;
  children in joint order; a leaf joint ends in an ``End Site`` a quarter of its bone further.
* **Rest pose** (all channels zero): bones along the axes, legs down (-Y), spine and head up
  (+Y), hips, shoulders and arms out to the sides (+X left, -X right), toes forward (+Z); each
  offset is the track's median length of that bone, so bone lengths are constant by
  construction. Skeletons without anatomical rules take each bone's mean direction over the
  track, snapped to the nearest axis.
* **Channels**: the root has ``Xposition Yposition Zposition`` and three rotations; every other
  joint three rotations, in an order chosen per joint and written on its ``CHANNELS`` line:
  ``Yrotation Xrotation Zrotation`` for the root (heading outermost), otherwise the axis along
  the joint's own bone in the middle (``Zrotation Yrotation Xrotation`` for legs and spine,
  ``Zrotation Xrotation Yrotation`` for arms, ``Yrotation Zrotation Xrotation`` for feet), so
  that gimbal lock needs a 90 degree twist of a bone about itself. The listed order is the
  order of the product: ``Zrotation Yrotation Xrotation`` is ``R = Rz @ Ry @ Rx``.
* **Branching joints**: a joint with several children (pelvis, thorax) has one rotation, which
  aims its first bone (to the spine, to the neck) exactly. The other children (hips,
  shoulders) also carry ``Xposition Yposition Zposition``: their offset in the parent's rotated
  frame per frame (the length stays the bone's), which replaces ``OFFSET`` as Blender reads it.
  Tools that ignore translations of non-root joints see a rigid pelvis and chest instead.
* **Root**: at the origin in every frame when the model has no trajectory; the camera-space
  root when it has one.

Rotations are solved from positions (:func:`solve_motion`): each joint's frame is built from
the direction of its first bone and a reference vector that fixes the twist about it,
``F = [a, b_perp, a x b_perp]`` (``b_perp``: ``b`` without its component along ``a``), the same
construction on the rest pose gives ``F_rest``, the joint's world rotation is
``G = F @ F_rest.T`` and its channel rotation ``L = G_parent.T @ G``. The references
(:data:`ANATOMICAL_SKELETONS`: Human3.6M-17 and the toe skeleton) are the hip axis for the
pelvis, the shoulder axis for thorax and neck, both for the spine, the plane of the limb for
thigh and upper arm (its bend direction, blended into the bend direction of the rest pose
carried along by the bone's swing when the limb is nearly straight: weight ``max(0, 0.5 -
sin(bend))``), and the hinge axis of the segment above for shank, forearm and foot. Other
skeletons get swing-only rotations (the smallest rotation that aims each bone, so the twist
follows the parent) and a warning.
"""
from __future__ import annotations

import io
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import numpy as np

from gast_pyg.errors import GastPygError
from gast_pyg.files import check_output_targets, staged_outputs
from gast_pyg.saved_result import SavedResult
from gast_pyg.skeleton import Skeleton

__all__ = ['BvhError', 'BvhWarning', 'ANATOMICAL_SKELETONS', 'CM_PER_M', 'BvhMotion',
           'camera_to_bvh', 'bone_lengths', 'normalise_bone_lengths', 'euler_angles',
           'solve_motion', 'bvh_text', 'write_bvh', 'track_paths', 'write_result_bvh']

PathLike = Union[str, os.PathLike]

_X, _Y, _Z = np.eye(3)
#: Centimetres per metre.
CM_PER_M = 100.0
#: ``sin`` of the bend under which a limb's plane gives way to the rest pose's bend direction.
_PLANE_BEND = 0.5
#: Length of an ``End Site`` as a share of its joint's bone.
_END_SITE_SHARE = 0.25

# Joint -> (parent, rest direction of the bone from the parent) of Human3.6M-17; the toe
# skeleton adds the two toes.
_H36M_REST = {
    'pelvis': (None, np.zeros(3)),
    'right_hip': ('pelvis', -_X), 'right_knee': ('right_hip', -_Y),
    'right_ankle': ('right_knee', -_Y),
    'left_hip': ('pelvis', _X), 'left_knee': ('left_hip', -_Y), 'left_ankle': ('left_knee', -_Y),
    'spine': ('pelvis', _Y), 'thorax': ('spine', _Y), 'neck': ('thorax', _Y),
    'head': ('neck', _Y),
    'left_shoulder': ('thorax', _X), 'left_elbow': ('left_shoulder', _X),
    'left_wrist': ('left_elbow', _X),
    'right_shoulder': ('thorax', -_X), 'right_elbow': ('right_shoulder', -_X),
    'right_wrist': ('right_elbow', -_X),
}
_TOES_REST = {'right_toe': ('right_ankle', _Z), 'left_toe': ('left_ankle', _Z)}

_HIPS = ('left_hip', 'right_hip')
_SHOULDERS = ('left_shoulder', 'right_shoulder')
# Joint -> (first child, twist reference). References: ('axes', pairs) the sum of the unit
# left - right vectors; ('limb', bend) the limb's plane, the rest pose's bend direction
# ``bend`` when straight; ('hinge',) the hinge axis of the parent's frame.
_H36M_FRAMES = {
    'pelvis': ('spine', ('axes', (_HIPS,))),
    'spine': ('thorax', ('axes', (_HIPS, _SHOULDERS))),
    'thorax': ('neck', ('axes', (_SHOULDERS,))),
    'neck': ('head', ('axes', (_SHOULDERS,))),
    'right_hip': ('right_knee', ('limb', -_Z)), 'right_knee': ('right_ankle', ('hinge',)),
    'left_hip': ('left_knee', ('limb', -_Z)), 'left_knee': ('left_ankle', ('hinge',)),
    'left_shoulder': ('left_elbow', ('limb', _Z)), 'left_elbow': ('left_wrist', ('hinge',)),
    'right_shoulder': ('right_elbow', ('limb', _Z)), 'right_elbow': ('right_wrist', ('hinge',)),
}
_TOES_FRAMES = {'right_ankle': ('right_toe', ('hinge',)), 'left_ankle': ('left_toe', ('hinge',))}

#: Skeleton layouts (joint -> parent name) that get anatomical twist: Human3.6M-17 and the toe
#: skeleton, under any joint order.
ANATOMICAL_SKELETONS = {
    'h36m': {joint: parent for joint, (parent, _) in _H36M_REST.items()},
    'h36m_toes': {joint: parent for joint, (parent, _) in {**_H36M_REST, **_TOES_REST}.items()},
}


class BvhError(GastPygError):
    """Poses that cannot be written as a BVH animation."""


class BvhWarning(UserWarning):
    """A BVH written without anatomical twist (a skeleton without rules)."""


@dataclass(frozen=True)
class BvhMotion:
    """One track as a BVH animation (module docstring for the conventions).

    Attributes:
        skeleton: The joint tree; BVH joints are its joints.
        offsets: ``(joints, 3)`` rest offset of each joint from its parent, centimetres (the
            root's is zero).
        end_sites: ``(joints, 3)`` ``End Site`` offset of each leaf (zero for other joints).
        root_positions: ``(frames, 3)`` the root's position, centimetres.
        rotations: ``(frames, joints, 3, 3)`` each joint's rotation relative to its parent
            (``L``), identity for leaves.
        translated: Joints with position channels (the non-first children of branching joints).
        translations: ``(frames, len(translated), 3)`` their offsets in the parent's frame, cm.
        rotation_orders: Per joint, the axes of its rotation channels in file order (``'ZYX'``:
            ``Zrotation Yrotation Xrotation``, ``R = Rz @ Ry @ Rx``).
        frame_time: Seconds per frame.
        anatomical: Whether the twist follows anatomical references (else swing-only).
    """

    skeleton: Skeleton
    offsets: np.ndarray
    end_sites: np.ndarray
    root_positions: np.ndarray
    rotations: np.ndarray
    translated: tuple[int, ...]
    translations: np.ndarray
    rotation_orders: tuple[str, ...]
    frame_time: float
    anatomical: bool

    @property
    def num_frames(self) -> int:
        return len(self.root_positions)


def camera_to_bvh(points: np.ndarray) -> np.ndarray:
    """Camera-space points ``(..., 3)`` (metres; x right, y down, z forward) in BVH axes
    (centimetres; X right, Y up, Z toward the camera): ``100 * (x, -y, -z)``."""
    return np.asarray(points, dtype=np.float64) * np.array([CM_PER_M, -CM_PER_M, -CM_PER_M])


def _depth_first(skeleton: Skeleton) -> list[int]:
    """Joints in BVH order: depth first from the root, children in joint order."""
    children = _children(skeleton)
    order, stack = [], [skeleton.root]
    while stack:
        joint = stack.pop()
        order.append(joint)
        stack.extend(reversed(children[joint]))
    return order


def _children(skeleton: Skeleton) -> list[list[int]]:
    children: list[list[int]] = [[] for _ in range(skeleton.num_joints)]
    for joint, parent in skeleton.bones:
        children[parent].append(joint)
    return children


def _unit(vectors: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norm, 1e-12)


def bone_lengths(positions: np.ndarray, skeleton: Skeleton) -> np.ndarray:
    """Median length of each joint's bone to its parent over the frames, ``(joints,)`` (zero for
    the root), in the units of ``positions`` ``(frames, joints, 3)``."""
    lengths = np.zeros(skeleton.num_joints)
    for joint, parent in skeleton.bones:
        lengths[joint] = np.median(np.linalg.norm(positions[:, joint] - positions[:, parent],
                                                  axis=-1))
    return lengths


def normalise_bone_lengths(positions: np.ndarray, skeleton: Skeleton,
                           lengths: Optional[np.ndarray] = None) -> np.ndarray:
    """``positions`` ``(frames, joints, 3)`` with every bone rescaled to ``lengths``
    ``(joints,)`` (default: :func:`bone_lengths`) along its own direction, from the root down:
    ``p'[j] = p'[parent] + lengths[j] * unit(p[j] - p[parent])``. This is what a BVH of fixed
    offsets can reproduce."""
    positions = np.asarray(positions, dtype=np.float64)
    lengths = bone_lengths(positions, skeleton) if lengths is None else lengths
    normalised = positions.copy()
    for joint in _depth_first(skeleton)[1:]:
        parent = skeleton.parents[joint]
        direction = _unit(positions[:, joint] - positions[:, parent])
        normalised[:, joint] = normalised[:, parent] + lengths[joint] * direction
    return normalised


def _anatomical_layout(skeleton: Skeleton) -> Optional[str]:
    names = skeleton.joint_names
    layout = {names[j]: (names[p] if p >= 0 else None) for j, p in enumerate(skeleton.parents)}
    return next((name for name, rules in ANATOMICAL_SKELETONS.items() if rules == layout), None)


def _frame(primary: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Rotation matrices ``(..., 3, 3)`` with columns ``a``, ``b_perp``, ``a x b_perp``."""
    a = _unit(primary)
    b = _unit(reference - np.sum(reference * a, axis=-1, keepdims=True) * a)
    return np.stack([a, b, np.cross(a, b)], axis=-1)


def _swing(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """The smallest rotations ``(..., 3, 3)`` taking unit vectors ``source`` onto ``target``:
    ``R = c I + [k]x + k k^T / (1 + c)`` with ``k = source x target``, ``c = source . target``."""
    k = np.cross(source, target)
    c = np.sum(source * target, axis=-1)[..., None, None]
    skew = np.zeros(k.shape + (3,))
    skew[..., 0, 1], skew[..., 0, 2], skew[..., 1, 2] = -k[..., 2], k[..., 1], -k[..., 0]
    skew = skew - np.swapaxes(skew, -1, -2)
    outer = k[..., :, None] * k[..., None, :]
    return c * np.eye(3) + skew + outer / np.maximum(1.0 + c, 1e-9)


def _apply(rotations: np.ndarray, vectors: np.ndarray) -> np.ndarray:
    return np.einsum('...ij,...j->...i', rotations, vectors)


def _world_rotations(positions: np.ndarray, skeleton: Skeleton, rest: np.ndarray,
                     layout: Optional[str]) -> np.ndarray:
    """Each joint's world rotation ``G`` ``(frames, joints, 3, 3)`` taking the rest pose ``rest``
    ``(joints, 3)`` to ``positions`` ``(frames, joints, 3)`` (module docstring)."""
    names = skeleton.joint_names
    index = {name: j for j, name in enumerate(names)}
    children = _children(skeleton)
    rules = {**_H36M_FRAMES, **(_TOES_FRAMES if layout == 'h36m_toes' else {})} if layout else {}
    frames = positions.shape[0]
    world = np.broadcast_to(np.eye(3), (frames, skeleton.num_joints, 3, 3)).copy()
    hinge: dict[int, tuple[np.ndarray, np.ndarray]] = {}  # joint -> (axis, rest axis)
    for joint in _depth_first(skeleton):
        parent = skeleton.parents[joint]
        parent_world = world[:, parent] if parent >= 0 else world[:, joint]
        if not children[joint]:
            world[:, joint] = parent_world
            continue
        rule = rules.get(names[joint])
        first = index[rule[0]] if rule else children[joint][0]
        bone = positions[:, first] - positions[:, joint]
        rest_bone = rest[first] - rest[joint]
        if rule is None:  # swing only
            aimed = _apply(parent_world, _unit(rest_bone))
            world[:, joint] = _swing(aimed, _unit(bone)) @ parent_world
            continue
        kind = rule[1][0]
        if kind == 'axes':
            reference = sum(_unit(positions[:, index[l]] - positions[:, index[r]])
                            for l, r in rule[1][1])
            rest_reference = sum(_unit(rest[index[l]] - rest[index[r]]) for l, r in rule[1][1])
        elif kind == 'limb':
            bend_rest = rule[1][1]
            distal = positions[:, index[rules[names[first]][0]]] - positions[:, first]
            a, d = _unit(bone), _unit(distal)
            plane = d - np.sum(d * a, axis=-1, keepdims=True) * a  # length sin(bend)
            carried = _apply(_swing(_apply(parent_world, _unit(rest_bone)), a),
                             _apply(parent_world, bend_rest))
            weight = np.maximum(0.0, _PLANE_BEND - np.linalg.norm(plane, axis=-1, keepdims=True))
            reference, rest_reference = plane + weight * carried, bend_rest
        else:  # hinge
            reference, rest_reference = hinge[parent]
        frame, rest_frame = _frame(bone, reference), _frame(rest_bone, rest_reference)
        column = 2 if kind == 'limb' else 1
        hinge[joint] = (frame[..., column], rest_frame[:, column])
        world[:, joint] = frame @ rest_frame.T
    return world


def _rest_pose(positions: np.ndarray, skeleton: Skeleton, lengths: np.ndarray,
               layout: Optional[str]) -> np.ndarray:
    """Rest joint positions ``(joints, 3)``: the conventional direction of each bone (the
    track's mean direction snapped to an axis without a layout) times its length."""
    rest = np.zeros((skeleton.num_joints, 3))
    directions = {**_H36M_REST, **_TOES_REST}
    for joint in _depth_first(skeleton)[1:]:
        parent = skeleton.parents[joint]
        if layout:
            direction = directions[skeleton.joint_names[joint]][1]
        else:
            mean = _unit(positions[:, joint] - positions[:, parent]).mean(axis=0)
            axis = int(np.argmax(np.abs(mean)))
            direction = np.sign(mean[axis] or 1.0) * np.eye(3)[axis]
        rest[joint] = rest[parent] + lengths[joint] * direction
    return rest


def _rotation_order(bone_axis: int, root: bool) -> str:
    """Channel order with the bone's own axis in the middle (the root: heading first)."""
    if root:
        return 'YXZ'
    return {0: 'ZXY', 1: 'ZYX', 2: 'YZX'}[bone_axis]


def euler_angles(rotations: np.ndarray, order: str) -> np.ndarray:
    """Angles ``(..., 3)`` in degrees, in the order of ``order`` (e.g. ``'ZYX'``), with
    ``R = R_order[0] @ R_order[1] @ R_order[2]`` for rotations ``(..., 3, 3)``; the first and
    last angle are unwrapped along the leading axis (continuous over frames)."""
    i, j, k = ('XYZ'.index(axis) for axis in order)
    sign = 1.0 if (i, j, k) in ((0, 1, 2), (1, 2, 0), (2, 0, 1)) else -1.0
    m = rotations
    middle = np.arcsin(np.clip(sign * m[..., i, k], -1.0, 1.0))
    locked = np.cos(middle) < 1e-7
    first = np.where(locked, np.arctan2(sign * m[..., k, j], m[..., j, j]),
                     np.arctan2(-sign * m[..., j, k], m[..., k, k]))
    last = np.where(locked, 0.0, np.arctan2(-sign * m[..., i, j], m[..., i, i]))
    angles = np.stack([np.unwrap(first, axis=0), middle, np.unwrap(last, axis=0)], axis=-1)
    return np.degrees(angles)


def solve_motion(poses: np.ndarray, skeleton: Skeleton, fps: float, *,
                 trajectory: bool) -> BvhMotion:
    """One track's joint positions ``poses`` ``(frames, joints, 3)`` (metres, camera axes:
    root-relative, or camera-space with ``trajectory``) as a :class:`BvhMotion` at ``fps``
    frames per second: offsets from the median bone lengths, the root's path (the origin
    without ``trajectory``), each joint's rotation (module docstring). Warns
    (:class:`BvhWarning`) for a skeleton outside :data:`ANATOMICAL_SKELETONS`.

    Raises:
        BvhError: For poses of the wrong shape, non-finite values, a zero-length bone or
            ``fps`` <= 0.
    """
    poses = np.asarray(poses, dtype=np.float64)
    if poses.ndim != 3 or poses.shape[1:] != (skeleton.num_joints, 3) or not len(poses):
        raise BvhError(f'poses: shape {poses.shape}; expected (frames, {skeleton.num_joints}, 3) '
                       f'for skeleton {skeleton.name!r}, at least one frame')
    if not np.isfinite(poses).all():
        raise BvhError(f'poses: {int((~np.isfinite(poses)).sum())} non-finite values; expected '
                       'finite joint positions in every frame')
    if not (np.isfinite(fps) and fps > 0):
        raise BvhError(f'fps: got {fps}; expected frames per second > 0')
    layout = _anatomical_layout(skeleton)
    if layout is None:
        warnings.warn(f'skeleton {skeleton.name!r} has no anatomical twist rules (only '
                      f'{" and ".join(ANATOMICAL_SKELETONS)}); BVH rotations are swing-only',
                      BvhWarning, stacklevel=2)
    points = camera_to_bvh(poses)
    lengths = bone_lengths(points, skeleton)
    if (short := [skeleton.joint_names[j] for j, _ in skeleton.bones if lengths[j] < 1e-3]):
        raise BvhError(f'poses: the bone to {", ".join(short)} has a median length of zero; '
                       'expected distinct joint positions')
    points = normalise_bone_lengths(points, skeleton, lengths)
    rest = _rest_pose(points, skeleton, lengths, layout)
    world = _world_rotations(points, skeleton, rest, layout)
    parents = np.array(skeleton.parents)
    parent_world = world[:, np.where(parents >= 0, parents, 0)]
    local = np.swapaxes(parent_world, -1, -2) @ world
    local[:, skeleton.root] = world[:, skeleton.root]

    children = _children(skeleton)
    rules = {**_H36M_FRAMES, **_TOES_FRAMES} if layout else {}
    index = {name: j for j, name in enumerate(skeleton.joint_names)}
    translated = []
    for joint, kids in enumerate(children):
        if len(kids) > 1:
            first = index[rules[skeleton.joint_names[joint]][0]] if layout else kids[0]
            translated += [kid for kid in kids if kid != first]
    translated.sort()
    translations = np.stack([
        _apply(np.swapaxes(world[:, parents[j]], -1, -2), points[:, j] - points[:, parents[j]])
        for j in translated], axis=1) if translated else np.zeros((len(points), 0, 3))

    offsets = rest - rest[np.where(parents >= 0, parents, 0)]
    offsets[skeleton.root] = 0.0
    end_sites = np.zeros_like(offsets)
    orders = []
    for joint in range(skeleton.num_joints):
        if children[joint]:
            first = index[rules[skeleton.joint_names[joint]][0]] if layout else children[joint][0]
            bone = offsets[first]
        else:
            bone = offsets[joint]
            end_sites[joint] = _END_SITE_SHARE * bone
        orders.append(_rotation_order(int(np.argmax(np.abs(bone))), joint == skeleton.root))
    root = points[:, skeleton.root] if trajectory else np.zeros((len(points), 3))
    return BvhMotion(skeleton=skeleton, offsets=offsets, end_sites=end_sites,
                     root_positions=root, rotations=local, translated=tuple(translated),
                     translations=translations, rotation_orders=tuple(orders),
                     frame_time=1.0 / fps, anatomical=layout is not None)


def _number(value: float) -> str:
    return f'{value:.6f}'


def bvh_text(motion: BvhMotion) -> str:
    """The BVH file of ``motion``: ``HIERARCHY`` then ``MOTION`` (module docstring)."""
    skeleton = motion.skeleton
    children = _children(skeleton)
    position = 'Xposition Yposition Zposition'
    lines = ['HIERARCHY']
    columns: list[np.ndarray] = []

    def joint_block(joint: int, depth: int) -> None:
        pad = '  ' * depth
        keyword = 'ROOT' if joint == skeleton.root else 'JOINT'
        rotation = ' '.join(f'{axis}rotation' for axis in motion.rotation_orders[joint])
        moves = joint == skeleton.root or joint in motion.translated
        channels = f'6 {position} {rotation}' if moves else f'3 {rotation}'
        lines.extend([f'{pad}{keyword} {skeleton.joint_names[joint]}', f'{pad}{{',
                      f'{pad}  OFFSET {" ".join(map(_number, motion.offsets[joint]))}',
                      f'{pad}  CHANNELS {channels}'])
        if joint == skeleton.root:
            columns.append(motion.root_positions)
        elif moves:
            columns.append(motion.translations[:, motion.translated.index(joint)])
        columns.append(euler_angles(motion.rotations[:, joint], motion.rotation_orders[joint]))
        for child in children[joint]:
            joint_block(child, depth + 1)
        if not children[joint]:
            lines.extend([f'{pad}  End Site', f'{pad}  {{',
                          f'{pad}    OFFSET {" ".join(map(_number, motion.end_sites[joint]))}',
                          f'{pad}  }}'])
        lines.append(f'{pad}}}')

    joint_block(skeleton.root, 0)
    lines += ['MOTION', f'Frames: {motion.num_frames}', f'Frame Time: {motion.frame_time:.8f}']
    buffer = io.StringIO()
    buffer.write('\n'.join(lines) + '\n')
    np.savetxt(buffer, np.concatenate(columns, axis=1), fmt='%.6f')
    return buffer.getvalue()


def write_bvh(output: PathLike, poses: np.ndarray, skeleton: Skeleton, fps: float, *,
              trajectory: bool) -> BvhMotion:
    """Solve one track (:func:`solve_motion`, same arguments) and write its BVH text to
    ``output`` (callers stage it: :func:`~gast_pyg.files.staged_outputs`); returns the motion.
    """
    motion = solve_motion(poses, skeleton, fps, trajectory=trajectory)
    with open(output, 'w', encoding='ascii', newline='\n') as file:
        file.write(bvh_text(motion))
    return motion


def track_paths(output: PathLike, track_ids: Sequence[int]) -> list[Path]:
    """One path per track: ``OUT.bvh`` -> ``OUT_track{id}.bvh`` (any suffix)."""
    output = Path(output)
    return [output.with_name(f'{output.stem}_track{int(track)}{output.suffix}')
            for track in track_ids]


def write_result_bvh(result: SavedResult, output: PathLike,
                     fps: Optional[float] = None) -> list[Path]:
    """One BVH per track of a saved result (:func:`track_paths` of ``output``), at ``fps`` or
    the video's; camera-space with a moving root for a trajectory model. All files are written
    or none; returns their paths."""
    paths = track_paths(output, result.track_ids)
    check_output_targets(paths, inputs=[result.source])
    with staged_outputs() as staging:
        for track, path in enumerate(paths):
            write_bvh(staging.stage(path), result.track_poses(track), result.skeleton,
                      result.fps if fps is None else fps, trajectory=result.trajectory)
    return paths
