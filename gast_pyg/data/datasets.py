"""VideoPose3D-format datasets: loading, validation, ground-truth 2D, targets and selection.

Data are nested dicts ``{subject: {action: value}}`` of :mod:`numpy` float32 arrays. 3D world
positions are ``(T, J, 3)`` per action (metres, z up); per-camera data are lists with one array per
camera. The file formats are described in ``DESIGN.md``, section 5.
"""
from __future__ import annotations

import os
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from gast_pyg.data.cameras import Camera, project_to_2d, world_to_camera
from gast_pyg.errors import GastPygError
from gast_pyg.safe_pickle import ArrayFileError, load_npz
from gast_pyg.screen import normalize_screen_coordinates
from gast_pyg.skeleton import Skeleton
from gast_pyg.validation import bounded_repr, check_real

__all__ = [
    'DataError',
    'H36M_KEPT_JOINTS',
    'load_positions_3d',
    'load_positions_2d',
    'normalize_keypoints',
    'ground_truth_2d',
    'camera_targets',
    'camera_roots',
    'root_relative',
    'align_2d_3d',
    'select',
    'action_name',
]

#: Joints of the 32-joint Human3.6M motion-capture skeleton kept in the 17-joint layout.
H36M_KEPT_JOINTS = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)

PathLike = str | os.PathLike[str]
V = TypeVar('V')


class DataError(GastPygError):
    """Malformed or inconsistent pose data.

    The message names the file (when there is one), the subject, action and camera concerned, and
    what was expected versus what was found.
    """


def _where(path: PathLike | None, subject: str, action: str, camera: int | None = None) -> str:
    parts = [] if path is None else [str(path)]
    parts += [f'subject {subject!r}', f'action {action!r}']
    if camera is not None:
        parts.append(f'camera {camera}')
    return ', '.join(parts)


def _read_entries(path: PathLike, key: str, optional: tuple[str, ...] = ()) -> dict[str, Any]:
    """Entry ``key`` (required) and the present ``optional`` entries of an ``.npz``, object arrays
    unpickled by :func:`~gast_pyg.safe_pickle.load_npz` (plain data only)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f'{path}: file not found; expected a VideoPose3D .npz file')
    if not zipfile.is_zipfile(path):
        raise DataError(f'{path}: not an .npz (zip) archive, or truncated')
    try:
        archive = load_npz(path)
    except ArrayFileError as error:
        raise DataError(str(error)) from error
    if key not in archive:
        raise DataError(f'{path}: no entry {key!r}; expected a VideoPose3D file with {key!r}, '
                        f'got entries {sorted(archive)}')
    entries = {name: archive[name] for name in (key, *optional) if name in archive}
    return {
        name: entry.item() if entry.dtype == object and entry.ndim == 0 else entry
        for name, entry in entries.items()
    }


def _check_nested(
    data: Any, path: PathLike, key: str, leaf: str
) -> Mapping[str, Mapping[str, Any]]:
    expected = f'expected a dict {{subject: {{action: {leaf}}}}} with string names'
    if not isinstance(data, Mapping) or not all(isinstance(v, Mapping) for v in data.values()):
        raise DataError(f'{path}: {key!r}: {expected}, got {type(data).__name__}')
    for subject, actions in data.items():
        if not isinstance(subject, str):
            raise DataError(f'{path}: {key!r}: subject {bounded_repr(subject, 60)} is a '
                            f'{type(subject).__name__}; {expected}')
        for action in actions:
            if not isinstance(action, str):
                raise DataError(f'{path}: {key!r}: subject {subject!r}, action '
                                f'{bounded_repr(action, 60)} is a {type(action).__name__}; '
                                f'{expected}')
    return data


def _check_array(
    value: Any, where: str, dims: tuple[int, ...], joints: tuple[int, ...] | None
) -> np.ndarray:
    """``value`` as a finite float32 array ``(T, J, D)`` with ``T >= 1`` and ``D in dims``."""
    check_real(value, where, DataError)
    try:
        array = np.asarray(value, dtype=np.float32)
    except (TypeError, ValueError) as error:
        raise DataError(f'{where}: expected a numeric array, got {type(value).__name__}') from error
    expected = f'(frames, joints, {"|".join(map(str, dims))})'
    if array.ndim != 3 or array.shape[-1] not in dims:
        raise DataError(f'{where}: expected shape {expected}, got {array.shape}')
    if array.shape[0] == 0:
        raise DataError(f'{where}: expected at least 1 frame, got shape {array.shape}')
    if joints is not None and array.shape[1] not in joints:
        expected_joints = ' or '.join(map(str, joints))
        raise DataError(f'{where}: expected {expected_joints} joints, got {array.shape[1]}')
    finite = np.isfinite(array).all(axis=(1, 2))
    if not finite.all():
        frame = int(np.argmin(finite))
        raise DataError(
            f'{where}: expected finite values, got NaN or inf in frame {frame} '
            f'({int((~finite).sum())} bad frames of {len(finite)})'
        )
    return array


def load_positions_3d(
    path: PathLike, skeleton: Skeleton | str = 'h36m'
) -> dict[str, dict[str, np.ndarray]]:
    """Read ``positions_3d`` of a VideoPose3D ``data_3d_*.npz`` file.

    Returns ``{subject: {action: float32 (T, J, 3)}}`` with ``J = skeleton.num_joints``. Files
    holding the 32 raw Human3.6M joints are reduced to :data:`H36M_KEPT_JOINTS` when the skeleton
    has 17 joints; files already holding ``J`` joints are kept as they are. The file's pickles
    may hold only plain data and arrays (:mod:`gast_pyg.safe_pickle`); nothing in it is run.

    Raises:
        DataError: If the file is missing, not an npz archive, truncated or lacks
            ``positions_3d``; or if a sequence has the wrong rank, last dimension or joint count,
            no frames, or non-finite values (the first bad frame is named); or if a pickle in it
            asks for anything but plain data.
    """
    skeleton = Skeleton.load(skeleton)
    num_joints = skeleton.num_joints
    reducible = num_joints == len(H36M_KEPT_JOINTS)
    joints = (num_joints, 32) if reducible else (num_joints,)
    data = _check_nested(
        _read_entries(path, 'positions_3d')['positions_3d'], path, 'positions_3d', '(T, J, 3)'
    )
    positions: dict[str, dict[str, np.ndarray]] = {}
    for subject, actions in data.items():
        positions[subject] = {}
        for action, value in actions.items():
            array = _check_array(value, _where(path, subject, action), (3,), joints)
            if array.shape[1] != num_joints:
                array = np.ascontiguousarray(array[:, H36M_KEPT_JOINTS])
            positions[subject][action] = array
    return positions


def load_positions_2d(
    path: PathLike,
) -> tuple[dict[str, dict[str, list[np.ndarray]]], dict[str, Any]]:
    """Read a VideoPose3D ``data_2d_*.npz`` file of 2D keypoints in pixels.

    Returns ``(positions_2d, metadata)``: ``{subject: {action: [camera0 float32 (T, J, 2|3),
    ...]}}`` (a third channel holds detection scores) and the ``metadata`` dict (``{}`` if the
    file has none). As for :func:`load_positions_3d`, nothing in the file is run.

    Raises:
        DataError: If the file is missing, not an npz archive, truncated or lacks
            ``positions_2d``; if ``metadata`` is not a dict; or if a sequence is not a list of
            per-camera arrays, has the wrong rank or last dimension, no frames, non-finite values,
            or a joint count differing from ``metadata['num_joints']`` or from the other
            sequences.
    """
    entries = _read_entries(path, 'positions_2d', optional=('metadata',))
    data = _check_nested(
        entries['positions_2d'], path, 'positions_2d', '[per camera (T, J, 2|3)]'
    )
    metadata = entries.get('metadata', {})
    if not isinstance(metadata, Mapping):
        raise DataError(f'{path}: metadata: expected a dict, got {type(metadata).__name__}')
    num_joints = metadata.get('num_joints')
    if num_joints is not None and (isinstance(num_joints, bool) or not isinstance(
            num_joints, (int, np.integer)) or num_joints < 1):
        raise DataError(f"{path}: metadata 'num_joints': expected an integer >= 1, got "
                        f'{bounded_repr(num_joints, 60)}')
    positions: dict[str, dict[str, list[np.ndarray]]] = {}
    for subject, actions in data.items():
        positions[subject] = {}
        for action, cameras in actions.items():
            where = _where(path, subject, action)
            if isinstance(cameras, np.ndarray) or not isinstance(cameras, Sequence) or not cameras:
                raise DataError(
                    f'{where}: expected a non-empty list of per-camera arrays, '
                    f'got {type(cameras).__name__}'
                )
            arrays = []
            for camera, value in enumerate(cameras):
                joints = None if num_joints is None else (int(num_joints),)
                array = _check_array(value, _where(path, subject, action, camera), (2, 3), joints)
                if num_joints is None:
                    num_joints = array.shape[1]
                arrays.append(array)
            positions[subject][action] = arrays
    return positions, dict(metadata)


def _cameras_of(cameras: Mapping[str, Sequence[Camera]], subject: str) -> Sequence[Camera]:
    if subject not in cameras:
        raise DataError(
            f'subject {subject!r}: no cameras; expected one of {sorted(cameras)}, got {subject!r}'
        )
    return cameras[subject]


def normalize_keypoints(
    positions_2d: Mapping[str, Mapping[str, Sequence[np.ndarray]]],
    cameras: Mapping[str, Sequence[Camera]],
) -> dict[str, dict[str, list[np.ndarray]]]:
    """Pixel keypoints ``(T, J, 2|3)`` per camera to screen coordinates (channels 0-1 only).

    Uses each camera's resolution (:func:`~gast_pyg.screen.normalize_screen_coordinates`);
    a score channel is kept unchanged. Returns new arrays in the input structure.

    Raises:
        DataError: If a subject has no cameras or an action has more sequences than cameras.
    """
    out: dict[str, dict[str, list[np.ndarray]]] = {}
    for subject, actions in positions_2d.items():
        subject_cameras = _cameras_of(cameras, subject)
        out[subject] = {}
        for action, sequences in actions.items():
            if len(sequences) > len(subject_cameras):
                raise DataError(
                    f'{_where(None, subject, action)}: expected at most {len(subject_cameras)} '
                    f'cameras, got {len(sequences)} sequences'
                )
            out[subject][action] = []
            for sequence, camera in zip(sequences, subject_cameras):
                normalised = sequence.copy()
                normalised[..., :2] = normalize_screen_coordinates(
                    sequence[..., :2], camera.res_w, camera.res_h
                )
                out[subject][action].append(normalised)
    return out


def ground_truth_2d(
    positions_3d: Mapping[str, Mapping[str, np.ndarray]],
    cameras: Mapping[str, Sequence[Camera]],
) -> dict[str, dict[str, list[np.ndarray]]]:
    """Project world positions ``(T, J, 3)`` with every camera of their subject.

    Returns ``{subject: {action: [per camera float32 (T, J, 2)]}}`` in normalised screen
    coordinates (the model's input), using the cameras' distortion.

    Raises:
        DataError: If a subject has no cameras.
    """
    return _per_camera(
        positions_3d,
        cameras,
        lambda X, camera: project_to_2d(
            world_to_camera(X, camera.orientation, camera.translation), camera.intrinsic
        ),
    )


def camera_targets(
    positions_3d: Mapping[str, Mapping[str, np.ndarray]],
    cameras: Mapping[str, Sequence[Camera]],
) -> dict[str, dict[str, list[np.ndarray]]]:
    """Root-relative camera-space 3D targets of world positions ``(T, J, 3)``.

    Returns ``{subject: {action: [per camera float32 (T, J, 3)]}}``, metres, joint 0 at zero.

    Raises:
        DataError: If a subject has no cameras.
    """
    return _per_camera(
        positions_3d,
        cameras,
        lambda X, camera: root_relative(world_to_camera(X, camera.orientation, camera.translation)),
    )


def camera_roots(
    positions_3d: Mapping[str, Mapping[str, np.ndarray]],
    cameras: Mapping[str, Sequence[Camera]],
    root: int = 0,
) -> dict[str, dict[str, list[np.ndarray]]]:
    """The root joint's camera-space position beside :func:`camera_targets`.

    Returns ``{subject: {action: [per camera float32 (T, 1, 3)]}}``, metres (``z`` is the depth
    along the optical axis); ``camera_targets(...) + camera_roots(...)`` are the absolute
    camera-space joints.

    Raises:
        DataError: If a subject has no cameras.
    """
    return _per_camera(
        positions_3d,
        cameras,
        lambda X, camera: world_to_camera(X[:, root:root + 1], camera.orientation,
                                          camera.translation),
    )


def _per_camera(
    positions_3d: Mapping[str, Mapping[str, np.ndarray]],
    cameras: Mapping[str, Sequence[Camera]],
    transform: Callable[[np.ndarray, Camera], np.ndarray],
) -> dict[str, dict[str, list[np.ndarray]]]:
    out: dict[str, dict[str, list[np.ndarray]]] = {}
    for subject, actions in positions_3d.items():
        subject_cameras = _cameras_of(cameras, subject)
        out[subject] = {
            action: [
                np.asarray(transform(positions, camera), dtype=np.float32)
                for camera in subject_cameras
            ]
            for action, positions in actions.items()
        }
    return out


def root_relative(X: np.ndarray) -> np.ndarray:
    """Subtract joint 0 from every joint of ``X`` ``(..., J, 3)``; joint 0 becomes zero."""
    return X - X[..., :1, :]


def align_2d_3d(
    positions_2d: Mapping[str, Mapping[str, Sequence[np.ndarray]]],
    positions_3d: Mapping[str, Mapping[str, np.ndarray | Sequence[np.ndarray]]],
) -> dict[str, dict[str, list[np.ndarray]]]:
    """Trim per-camera 2D sequences ``(T2, J, C)`` to the length ``T3`` of their 3D data.

    ``positions_3d`` values are either one world array ``(T3, J, 3)`` per action or a list of
    per-camera arrays (e.g. :func:`camera_targets`). 2D longer than 3D is cut to the first ``T3``
    frames (as in VideoPose3D; detections may have a few extra frames). Returns the trimmed 2D
    data (views) with the same keys.

    Raises:
        DataError: If a subject or action is in one dict but not the other, the camera counts
            differ, or a 2D sequence is shorter than its 3D data.
    """
    _check_same_keys(positions_2d, positions_3d, 'subject', None)
    out: dict[str, dict[str, list[np.ndarray]]] = {}
    for subject, actions in positions_3d.items():
        _check_same_keys(positions_2d[subject], actions, 'action', subject)
        out[subject] = {}
        for action, value in actions.items():
            sequences_2d = positions_2d[subject][action]
            per_camera = isinstance(value, Sequence) and not isinstance(value, np.ndarray)
            if per_camera and len(value) != len(sequences_2d):
                raise DataError(
                    f'{_where(None, subject, action)}: expected the same number of cameras, got '
                    f'{len(sequences_2d)} in 2D and {len(value)} in 3D'
                )
            out[subject][action] = []
            for camera, sequence in enumerate(sequences_2d):
                frames_3d = len(value[camera]) if per_camera else len(value)
                if len(sequence) < frames_3d:
                    raise DataError(
                        f'{_where(None, subject, action, camera)}: expected at least {frames_3d} '
                        f'2D frames (the 3D length), got {len(sequence)}'
                    )
                out[subject][action].append(sequence[:frames_3d])
    return out


def _check_same_keys(
    data_2d: Mapping[str, Any], data_3d: Mapping[str, Any], kind: str, subject: str | None
) -> None:
    within = '' if subject is None else f'subject {subject!r}: '
    for name in data_3d:
        if name not in data_2d:
            raise DataError(f'{within}{kind} {name!r} is in the 3D data but not in the 2D data')
    for name in data_2d:
        if name not in data_3d:
            raise DataError(f'{within}{kind} {name!r} is in the 2D data but not in the 3D data')


def action_name(key: str) -> str:
    """The action of a sequence key without its sub-action number: ``'Walking 1' -> 'Walking'``."""
    return key.split(' ')[0]


def select(
    data: Mapping[str, Mapping[str, V]],
    subjects: Iterable[str],
    actions: Iterable[str] | None = None,
) -> dict[str, dict[str, V]]:
    """The sequences of ``subjects`` (in the given order), optionally only some actions.

    An entry of ``actions`` matches a key exactly or by :func:`action_name` (``'Walking'``
    selects ``'Walking 1'`` and ``'Walking 2'``). Returns new dicts holding the same values.

    Raises:
        DataError: For an unknown subject (listing the available ones) or an action matching no
            sequence of the selected subjects.
    """
    subjects = list(subjects)
    for subject in subjects:
        if subject not in data:
            raise DataError(
                f'unknown subject {subject!r}; available: {", ".join(sorted(data)) or "none"}'
            )
    wanted = None if actions is None else set(actions)
    out = {
        subject: {
            key: value
            for key, value in data[subject].items()
            if wanted is None or key in wanted or action_name(key) in wanted
        }
        for subject in subjects
    }
    if wanted is not None:
        found = {name for keys in out.values() for key in keys for name in (key, action_name(key))}
        missing = sorted(wanted - found)
        if missing:
            available = sorted({action_name(key) for s in subjects for key in data[s]})
            raise DataError(
                f'action {missing[0]!r} matches no sequence of subjects {subjects}; '
                f'available: {", ".join(available)}'
            )
    return out
