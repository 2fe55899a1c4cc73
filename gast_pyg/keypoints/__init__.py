"""2D keypoints from a detector: reading, COCO-17 -> Human3.6M-17, gap filling, normalisation.

The lifting models take a sequence ``(T, J, 2)`` of screen coordinates (see
:func:`gast_pyg.data.normalize_screen_coordinates`) in the joint order of their skeleton, one entry
per video frame. What a 2D detector writes is rarely that: it uses the COCO-17 layout, loses the
person in some frames, gives low confidence to occluded joints and does not say how large the image
was. This module turns detections into model input in four steps:

1. :func:`read_keypoints` reads a JSON file of frames in the layout of the HRNet / GAST-Net demo
   (``{"data": [{"frame_index": i, "skeleton": [{"pose": [[x, y] * 17], "score": [[s] * 17],
   "bbox": [x0, y0, x1, y1]}, ...]}, ...]}``) or a ``.npy`` / ``.npz`` array ``(T, J, 2|3)``
   (third channel: scores) into a :class:`KeypointSequence` in pixels, missing points as NaN;
2. :func:`coco_to_h36m` converts COCO-17 to the 17-joint Human3.6M layout (:data:`COCO_TO_H36M`)
   (:func:`coco_to_humaneva`: to the 15-joint HumanEva-I layout, :data:`COCO_TO_HUMANEVA`);
3. :func:`fill_gaps` interpolates, over time, each joint in the frames where it is missing
   (no person, NaN, exactly ``(0, 0)``, or a score under the threshold), and refuses with one
   :class:`KeypointError` when too much is missing;
4. :func:`resolve_image_size` and :func:`gast_pyg.data.normalize_screen_coordinates` normalise by
   the image size.

:func:`prepare_keypoints` runs all four.
"""
from __future__ import annotations

import json
import math
import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from gast_pyg.data.cameras import normalize_screen_coordinates
from gast_pyg.errors import GastPygError
from gast_pyg.data.safe_pickle import ArrayFileError, load_npy, load_npz
from gast_pyg.skeleton import Skeleton
from gast_pyg.validation import bounded_repr, check_real

__all__ = [
    'KeypointError',
    'KeypointWarning',
    'KeypointSequence',
    'PreparedKeypoints',
    'COCO_JOINTS',
    'COCO_TO_H36M',
    'read_keypoints',
    'coco_to_h36m',
    'COCO_TO_HUMANEVA',
    'coco_to_humaneva',
    'missing_mask',
    'fill_gaps',
    'resolve_image_size',
    'prepare_keypoints',
]

PathLike = Union[str, os.PathLike]

#: The 17 MS COCO person keypoints, in COCO order (the bundled ``coco`` skeleton).
COCO_JOINTS = ('nose', 'left_eye', 'right_eye', 'left_ear', 'right_ear', 'left_shoulder',
               'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist',
               'left_hip', 'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle')

#: How each Human3.6M joint is obtained from COCO-17 keypoints, in Human3.6M order. The formulas
#: are those of the authors' demo (``tools/mpii_coco_h36m.py``, ``coco_h36m``), so their
#: checkpoints see the input they were made for. ``mid(a, b)`` is the mean point; image y points
#: down. Scores: a copied joint keeps its score; pelvis = mean of the hips' scores, thorax = mean
#: of the shoulders', spine = mean of pelvis and thorax, head = mean of the eyes' and ears', neck =
#: the nose's.
COCO_TO_H36M = (
    ('pelvis', 'mid(left_hip, right_hip)'),
    ('right_hip', 'right_hip'),
    ('right_knee', 'right_knee'),
    ('right_ankle', 'right_ankle'),
    ('left_hip', 'left_hip'),
    ('left_knee', 'left_knee'),
    ('left_ankle', 'left_ankle'),
    ('spine', 'y: mean of both shoulders and both hips; x: that mean pushed away from '
              'mid(pelvis, thorax*) by twice its offset (thorax* = thorax before its y shift)'),
    ('thorax', 'mid(shoulders) + (nose - mid(shoulders)) / 3, then y lowered by 2/3 of the '
               'nose-to-eyes height'),
    ('neck', 'nose + (mid(shoulders) - nose) / 4 (the nose moved a quarter towards the shoulders)'),
    ('head', 'x: mean of eyes and ears; y: eyes above the nose by the nose-to-eyes height again '
             '(left_eye.y + right_eye.y - nose.y)'),
    ('left_shoulder', 'left_shoulder'),
    ('left_elbow', 'left_elbow'),
    ('left_wrist', 'left_wrist'),
    ('right_shoulder', 'right_shoulder'),
    ('right_elbow', 'right_elbow'),
    ('right_wrist', 'right_wrist'),
)

#: How each HumanEva-I joint (the bundled ``humaneva`` skeleton, 15 joints) is obtained from
#: COCO-17 keypoints, in HumanEva-I order: ``(joint, COCO source joints)``; a derived joint is the
#: mean point of its sources and its score the mean of their scores, a copied joint keeps its
#: point and score.
COCO_TO_HUMANEVA = (
    ('pelvis', ('left_hip', 'right_hip')),
    ('thorax', ('left_shoulder', 'right_shoulder')),
    ('left_shoulder', ('left_shoulder',)),
    ('left_elbow', ('left_elbow',)),
    ('left_wrist', ('left_wrist',)),
    ('right_shoulder', ('right_shoulder',)),
    ('right_elbow', ('right_elbow',)),
    ('right_wrist', ('right_wrist',)),
    ('left_hip', ('left_hip',)),
    ('left_knee', ('left_knee',)),
    ('left_ankle', ('left_ankle',)),
    ('right_hip', ('right_hip',)),
    ('right_knee', ('right_knee',)),
    ('right_ankle', ('right_ankle',)),
    ('head', ('nose',)),
)

# Common video frame sizes, smallest first, tried when the image size has to be estimated.
_STANDARD_SIZES = ((640, 360), (640, 480), (854, 480), (960, 540), (1024, 576), (1280, 720),
                   (1920, 1080), (2560, 1440), (3840, 2160))


#: The largest video frame number a keypoint file may give (about 46 hours at 60 fps).
MAX_FRAME_INDEX = 10_000_000
# Frames without a person a JSON file may imply, per frame it lists (beyond a fixed allowance):
# a file cannot make the reader allocate much more than its own content.
_MAX_IMPLIED_FRAMES = 10
_IMPLIED_FRAMES_ALLOWANCE = 1000


class KeypointError(GastPygError):
    """Keypoints that cannot be read or lifted; the message names the file and what is wrong."""


class KeypointWarning(UserWarning):
    """Something was guessed (e.g. the image size): the result may be off."""


@dataclass
class KeypointSequence:
    """Raw detections of one person, one entry per video frame.

    Attributes:
        xy: ``(T, J, 2)`` float64 pixels; NaN where the frame has no person or the point is
            missing (the file had NaN/inf or exactly ``(0, 0)``).
        scores: ``(T, J)`` float64 confidences (1 where the file has none, 0 where missing).
        frame_indices: ``(T,)`` int64 video frame numbers, consecutive.
        layout: ``'coco'`` or the name of the skeleton the joints are ordered by.
        image_size: ``(width, height)`` when the file says, else ``None``.
        source: The file, for messages.
    """

    xy: np.ndarray
    scores: np.ndarray
    frame_indices: np.ndarray
    layout: str
    image_size: Optional[Tuple[int, int]]
    source: str

    @property
    def num_frames(self) -> int:
        return int(self.xy.shape[0])


@dataclass
class PreparedKeypoints:
    """Model input made from detections (:func:`prepare_keypoints`).

    Attributes:
        normalized: ``(T, J, 2)`` float32 screen coordinates in the skeleton's joint order.
        pixels: ``(T, J, 2)`` float32 pixels after gap filling (for drawing).
        scores: ``(T, J)`` float32 confidences in the skeleton's joint order (before filling).
        interpolated: ``(T, J)`` bool, the points filled by interpolation.
        frame_indices: ``(T,)`` int64 video frame numbers.
        image_size: ``(width, height)`` used for the normalisation.
        image_size_estimated: The size was estimated from the detections.
        skeleton: The layout of :attr:`normalized`.
    """

    normalized: np.ndarray
    pixels: np.ndarray
    scores: np.ndarray
    interpolated: np.ndarray
    frame_indices: np.ndarray
    image_size: Tuple[int, int]
    image_size_estimated: bool
    skeleton: Skeleton


# --------------------------------------------------------------------------
# Reading.


def _expected_joints(layout: str) -> Tuple[int, str]:
    if layout == 'coco':
        return len(COCO_JOINTS), 'COCO-17'
    skeleton = Skeleton.load(layout)
    return skeleton.num_joints, f"skeleton '{skeleton.name}'"


def read_keypoints(path: PathLike, layout: str = 'coco') -> KeypointSequence:
    """Read detections of one person from ``path``.

    ``.json``: the HRNet / GAST-Net demo layout (module docstring); a bare list of frames is
    accepted too. Frames are placed by ``frame_index`` (their position when absent); frames
    between the first and the last index that the file leaves out, or that have an empty
    ``skeleton`` list, are frames without a person. With several people in a frame, the one with
    the highest mean score is taken (track people beforehand for multi-person videos). Optional
    top-level ``width`` and ``height`` give the image size.

    ``.npy``: an array ``(T, J, 2|3)``, the third channel the scores. ``.npz``: the same under
    ``keypoints`` (or ``positions_2d`` / ``keypoints_2d``, or the only array), with optional
    ``scores`` ``(T, J)``, ``frame_indices`` ``(T,)`` and ``width`` / ``height``.

    ``layout`` is ``'coco'`` (17 COCO keypoints) or a skeleton name whose joint order the file
    already uses. Raises :class:`KeypointError` with one clear message on any malformed input.
    """
    path = Path(path)
    if not path.is_file():
        raise KeypointError(f"{path}: no such keypoint file")
    suffix = path.suffix.lower()
    if suffix == '.json':
        return _read_json(path, layout)
    if suffix in ('.npy', '.npz'):
        return _read_array(path, layout)
    raise KeypointError(f"{path}: unknown keypoint file type {path.suffix!r}; "
                        f"expected .json, .npy or .npz")


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _person_arrays(person: Any, where: str, joints: int,
                   what: str) -> Tuple[np.ndarray, np.ndarray]:
    if not isinstance(person, dict) or 'pose' not in person:
        raise KeypointError(f"{where}: expected an object with a 'pose' list, got "
                            f"{type(person).__name__}")
    pose = person['pose']
    if not isinstance(pose, list) or not all(
            isinstance(p, list) and len(p) in (2, 3) and all(_number(v) or v is None for v in p)
            for p in pose):
        raise KeypointError(f"{where}.pose: expected a list of [x, y] number pairs")
    if len(pose) != joints:
        raise KeypointError(f"{where}.pose has {len(pose)} keypoints; expected {joints} ({what})")
    xy = np.array([[np.nan if v is None else v for v in p[:2]] for p in pose], dtype=np.float64)
    score = person.get('score')
    if score is None:
        scores = np.ones(joints)
    else:
        if not isinstance(score, list) or len(score) != joints:
            count = len(score) if isinstance(score, list) else type(score).__name__
            raise KeypointError(f"{where}.score: expected {joints} scores, got {count}")
        flat = [s[0] if isinstance(s, list) and len(s) == 1 else s for s in score]
        if not all(_number(s) for s in flat):
            raise KeypointError(f"{where}.score: expected numbers or [number] lists")
        scores = np.array(flat, dtype=np.float64)
    return xy, scores


def _read_json(path: Path, layout: str) -> KeypointSequence:
    joints, what = _expected_joints(layout)
    try:
        with open(path, encoding='utf-8') as file:
            content = json.load(file)
    except json.JSONDecodeError as error:
        raise KeypointError(f"{path}: malformed JSON at line {error.lineno}, column "
                            f"{error.colno}: {error.msg}") from error
    except UnicodeDecodeError as error:
        raise KeypointError(f"{path}: not a UTF-8 text (JSON) file: {error}") from error
    except RecursionError as error:
        raise KeypointError(f"{path}: the JSON is nested too deeply; expected frames of "
                            f"people of keypoints") from error
    frames = content.get('data') if isinstance(content, dict) else content
    if not isinstance(frames, list):
        raise KeypointError(f"{path}: expected a JSON object with a 'data' list of frames "
                            f"(or a list of frames)")
    if not frames:
        raise KeypointError(f"{path}: the file has no frames")

    indices, people = [], []
    for i, frame in enumerate(frames):
        where = f"{path}: data[{i}]"
        if not isinstance(frame, dict):
            raise KeypointError(f"{where}: expected an object with 'frame_index' and 'skeleton', "
                                f"got {type(frame).__name__}")
        index = frame.get('frame_index', i)
        if (not isinstance(index, int) or isinstance(index, bool)
                or not 0 <= index <= MAX_FRAME_INDEX):
            raise KeypointError(f"{where}.frame_index: expected an integer in 0.."
                                f"{MAX_FRAME_INDEX}, got {bounded_repr(index)}")
        skeleton = frame.get('skeleton', [])
        if not isinstance(skeleton, list):
            raise KeypointError(f"{where}.skeleton: expected a list of people, "
                                f"got {type(skeleton).__name__}")
        candidates = [_person_arrays(person, f"{where}.skeleton[{k}]", joints, what)
                      for k, person in enumerate(skeleton)]
        best = max(candidates, key=lambda c: float(np.nanmean(c[1])), default=None)
        indices.append(index)
        people.append(best)

    order = np.argsort(indices, kind='stable')
    sorted_indices = np.asarray(indices, dtype=np.int64)[order]
    repeated = sorted_indices[1:][np.diff(sorted_indices) == 0]
    if repeated.size:
        raise KeypointError(f"{path}: frame_index {int(repeated[0])} appears more than once")
    first, last = int(sorted_indices[0]), int(sorted_indices[-1])
    if last - first + 1 > _MAX_IMPLIED_FRAMES * len(frames) + _IMPLIED_FRAMES_ALLOWANCE:
        raise KeypointError(f"{path}: frame_index runs from {first} to {last} for only "
                            f"{len(frames)} frames listed; expected at most "
                            f"{_MAX_IMPLIED_FRAMES * len(frames) + _IMPLIED_FRAMES_ALLOWANCE} "
                            f"frames in between (a forged or corrupt frame_index?)")
    frame_indices = np.arange(first, last + 1, dtype=np.int64)
    xy = np.full((len(frame_indices), joints, 2), np.nan)
    scores = np.zeros((len(frame_indices), joints))
    for index, person in zip(indices, people):
        if person is not None:
            xy[index - first], scores[index - first] = person

    image_size = None
    if isinstance(content, dict) and ('width' in content or 'height' in content):
        image_size = _checked_size(content.get('width'), content.get('height'), str(path))
    return _finish(xy, scores, frame_indices, layout, image_size, str(path))


def _read_array(path: Path, layout: str) -> KeypointSequence:
    joints, what = _expected_joints(layout)
    extra = {}
    try:
        if path.suffix.lower() == '.npz':
            archive = load_npz(path)
            names = list(archive)
            key = next((k for k in ('keypoints', 'positions_2d', 'keypoints_2d') if k in names),
                       names[0] if len(names) == 1 else None)
            if key is None:
                raise KeypointError(f"{path}: no 'keypoints' array among {names}")
            array = archive[key]
            extra = {k: archive[k] for k in ('scores', 'frame_indices', 'width', 'height')
                     if k in names}
        else:
            array = load_npy(path)
    except ArrayFileError as error:
        raise KeypointError(str(error)) from error

    check_real(array, str(path), KeypointError)
    if not np.issubdtype(array.dtype, np.number) or array.ndim != 3 or array.shape[2] not in (2, 3):
        raise KeypointError(f"{path}: expected a numeric array (frames, {joints}, 2 or 3), got "
                            f"{array.dtype} {tuple(array.shape)}")
    if array.shape[1] != joints:
        raise KeypointError(f"{path}: the array has {array.shape[1]} keypoints per frame; "
                            f"expected {joints} ({what})")
    if array.shape[0] == 0:
        raise KeypointError(f"{path}: the array has no frames")
    frames = array.shape[0]
    xy = array[..., :2].astype(np.float64)
    if array.shape[2] == 3:
        scores = array[..., 2].astype(np.float64)
    elif 'scores' in extra:
        scores = np.asarray(extra['scores'], dtype=np.float64)
        if scores.shape != (frames, joints):
            raise KeypointError(f"{path}: 'scores' has shape {scores.shape}; expected "
                                f"{(frames, joints)}")
    else:
        scores = np.ones((frames, joints))
    frame_indices = np.arange(frames, dtype=np.int64)
    if 'frame_indices' in extra:
        frame_indices = np.asarray(extra['frame_indices'])
        if (frame_indices.shape != (frames,) or not np.issubdtype(frame_indices.dtype, np.integer)
                or np.any(np.diff(frame_indices) <= 0) or frame_indices[0] < 0
                or frame_indices[-1] > MAX_FRAME_INDEX):
            raise KeypointError(f"{path}: 'frame_indices' must be {frames} increasing integers "
                                f"in 0..{MAX_FRAME_INDEX}")
        frame_indices = frame_indices.astype(np.int64)
    image_size = None
    if 'width' in extra or 'height' in extra:
        image_size = _checked_size(extra.get('width'), extra.get('height'), str(path))
    return _finish(xy, scores, frame_indices, layout, image_size, str(path))


def _finish(xy, scores, frame_indices, layout, image_size, source) -> KeypointSequence:
    """Missing points as NaN with score 0: non-finite values and exact ``(0, 0)`` (what detectors
    write for 'not found')."""
    bad = ~np.isfinite(xy).all(-1) | (xy == 0).all(-1) | ~np.isfinite(scores)
    xy = np.where(bad[..., None], np.nan, xy)
    scores = np.where(bad, 0.0, scores)
    return KeypointSequence(xy, scores, frame_indices, layout, image_size, source)


def _checked_size(width: Any, height: Any, source: str) -> Tuple[int, int]:
    values = []
    for name, value in (('width', width), ('height', height)):
        value = value.item() if isinstance(value, np.ndarray) and value.size == 1 else value
        if (not _number(value) and not isinstance(value, np.number) or np.iscomplexobj(value)
                or not (math.isfinite(value) and value >= 1)):
            raise KeypointError(f"{source}: image {name} must be a positive, finite number "
                                f"of pixels >= 1, got {bounded_repr(value)}")
        values.append(int(round(float(value))))
    return values[0], values[1]


# --------------------------------------------------------------------------
# COCO-17 -> Human3.6M-17.


def coco_to_h36m(xy: np.ndarray, scores: Optional[np.ndarray] = None
                 ) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """COCO-17 keypoints ``(..., 17, 2)`` to the Human3.6M layout ``(..., 17, 2)`` of the
    bundled ``h36m`` skeleton (formulas: :data:`COCO_TO_H36M`), and scores ``(..., 17)``
    likewise. A NaN point makes every joint derived from it NaN."""
    xy = np.asarray(xy, dtype=np.float64)
    if xy.shape[-2:] != (17, 2):
        raise KeypointError(f"COCO-17 keypoints must have shape (..., 17, 2), got {xy.shape}")
    c = {name: xy[..., i, :] for i, name in enumerate(COCO_JOINTS)}
    shoulders = (c['left_shoulder'] + c['right_shoulder']) / 2
    pelvis = (c['left_hip'] + c['right_hip']) / 2
    eyes_y = (c['left_eye'][..., 1] + c['right_eye'][..., 1]) / 2
    nose_y = c['nose'][..., 1]

    head = np.stack([(c['left_eye'][..., 0] + c['right_eye'][..., 0] + c['left_ear'][..., 0]
                      + c['right_ear'][..., 0]) / 4,
                     2 * eyes_y - nose_y], axis=-1)
    thorax = shoulders + (c['nose'] - shoulders) / 3
    spine = (shoulders + pelvis) / 2
    spine_x = spine[..., 0] + 2 * (spine[..., 0] - (pelvis[..., 0] + thorax[..., 0]) / 2)
    spine = np.stack([spine_x, spine[..., 1]], axis=-1)
    thorax = np.stack([thorax[..., 0], thorax[..., 1] - (eyes_y - nose_y) * 2 / 3], axis=-1)
    neck = c['nose'] - (c['nose'] - shoulders) / 4
    derived = {'pelvis': pelvis, 'spine': spine, 'thorax': thorax, 'neck': neck, 'head': head}
    out = np.stack([derived[name] if name in derived else c[name] for name, _ in COCO_TO_H36M],
                   axis=-2)
    if scores is None:
        return out, None

    scores = np.asarray(scores, dtype=np.float64)
    s = {name: scores[..., i] for i, name in enumerate(COCO_JOINTS)}
    pelvis_s = (s['left_hip'] + s['right_hip']) / 2
    thorax_s = (s['left_shoulder'] + s['right_shoulder']) / 2
    derived_s = {'pelvis': pelvis_s, 'thorax': thorax_s, 'spine': (pelvis_s + thorax_s) / 2,
                 'neck': s['nose'],
                 'head': (s['left_eye'] + s['right_eye'] + s['left_ear'] + s['right_ear']) / 4}
    out_scores = np.stack([derived_s[name] if name in derived_s else s[name]
                           for name, _ in COCO_TO_H36M], axis=-1)
    return out, out_scores


def coco_to_humaneva(keypoints: np.ndarray) -> np.ndarray:
    """COCO-17 keypoints ``(..., 17, 2|3)`` to the HumanEva-I layout ``(..., 15, 2|3)`` of the
    bundled ``humaneva`` skeleton (:data:`COCO_TO_HUMANEVA`): pelvis = mid hips, thorax = mid
    shoulders, head = nose, the limbs copied. A third channel holds scores: the mean of the
    source joints' scores (copied for copied joints). Float64; a NaN source point makes the
    derived point NaN.
    """
    keypoints = np.asarray(keypoints, dtype=np.float64)
    if keypoints.ndim < 2 or keypoints.shape[-2] != 17 or keypoints.shape[-1] not in (2, 3):
        raise KeypointError('COCO-17 keypoints must have shape (..., 17, 2) or (..., 17, 3), '
                            f'got {keypoints.shape}')
    index = {name: i for i, name in enumerate(COCO_JOINTS)}
    return np.stack([keypoints[..., [index[name] for name in sources], :].mean(axis=-2)
                     for _, sources in COCO_TO_HUMANEVA], axis=-2)


# --------------------------------------------------------------------------
# Gap filling.


def missing_mask(xy: np.ndarray, scores: np.ndarray, score_threshold: float) -> np.ndarray:
    """``(T, J)`` bool: points that are NaN / infinite or scored under ``score_threshold``."""
    return ~np.isfinite(xy).all(-1) | (scores < score_threshold)


def _runs(flags: np.ndarray) -> list:
    """``(start, stop)`` of every run of ``True`` in a 1D bool array."""
    edges = np.diff(np.concatenate([[0], flags.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def _frame_ranges(frames: np.ndarray, limit: int = 4) -> str:
    runs = _runs(np.isin(np.arange(frames.max() + 1), frames))
    text = ', '.join(str(a) if b - a == 1 else f'{a}-{b - 1}' for a, b in runs[:limit])
    return text + (', ...' if len(runs) > limit else '')


def fill_gaps(
    xy: np.ndarray,
    missing: np.ndarray,
    joint_names: Sequence[str],
    max_missing: float = 0.5,
    max_gap: Optional[int] = None,
    source: str = 'keypoints',
    frame_indices: Optional[np.ndarray] = None,
) -> np.ndarray:
    """Replace the ``missing`` points ``(T, J)`` of ``xy`` ``(T, J, 2)`` by linear
    interpolation over time between the nearest present frames of the same joint (the first /
    last present value before / after them).

    Raises :class:`KeypointError` when nothing is present, when a joint is missing in more than
    ``max_missing`` (a fraction) of the frames, or in a run longer than ``max_gap`` frames.
    """
    frames, joints = missing.shape
    frame_indices = np.arange(frames) if frame_indices is None else np.asarray(frame_indices)
    if missing.all():
        raise KeypointError(f"{source}: no usable keypoints: every point of all {frames} frames "
                            f"is missing (no person, zero, NaN or under the score threshold)")
    empty = np.flatnonzero(missing.all(1))
    empty_note = (f"; frames {_frame_ranges(frame_indices[empty])} have no usable point at all"
                  if empty.size else '')
    fraction = missing.mean(0)
    worst = int(np.argmax(fraction))
    if fraction[worst] > max_missing:
        raise KeypointError(
            f"{source}: too much is missing to lift: {joint_names[worst]} is missing in "
            f"{int(missing[:, worst].sum())} of {frames} frames ({fraction[worst]:.0%}; the limit "
            f"is {max_missing:.0%}){empty_note}. Relax --max-missing or --score-threshold, or cut "
            f"the video to where the person is visible")
    if max_gap is not None:
        for j in range(joints):
            for start, stop in _runs(missing[:, j]):
                if stop - start > max_gap:
                    raise KeypointError(
                        f"{source}: too much is missing to lift: {joint_names[j]} is missing in "
                        f"{stop - start} consecutive frames ({frame_indices[start]}-"
                        f"{frame_indices[stop - 1]}; the limit is {max_gap}). Relax --max-gap")
    filled = np.array(xy, dtype=np.float64, copy=True)
    t = np.arange(frames)
    for j in range(joints):
        gone = missing[:, j]
        if gone.any():
            for axis in range(filled.shape[-1]):
                filled[gone, j, axis] = np.interp(t[gone], t[~gone], filled[~gone, j, axis])
    return filled


# --------------------------------------------------------------------------
# Image size and the whole preparation.


def resolve_image_size(keypoints: KeypointSequence, width: Optional[float] = None,
                       height: Optional[float] = None) -> Tuple[Tuple[int, int], bool]:
    """``((width, height), estimated)``: the given size, else the file's, else an estimate
    from the detections' extent (the smallest common video size that holds every point, else
    the extent rounded up), announced by a :class:`KeypointWarning`."""
    if (width is None) != (height is None):
        raise KeypointError("give both --width and --height, or neither")
    if width is not None:
        size = _checked_size(width, height, 'image size')
        extent = np.nanmax(np.where(np.isfinite(keypoints.xy), keypoints.xy, np.nan),
                           axis=tuple(range(keypoints.xy.ndim - 1))) if np.isfinite(
            keypoints.xy).any() else None
        if extent is not None and (extent[0] > size[0] or extent[1] > size[1]):
            warnings.warn(
                f"{keypoints.source}: keypoints reach x={extent[0]:.0f}, y={extent[1]:.0f}, "
                f"outside the given image size {size[0]}x{size[1]}; check --width and --height",
                KeypointWarning, stacklevel=2)
        return size, False
    if keypoints.image_size is not None:
        return keypoints.image_size, False
    x = keypoints.xy[..., 0][np.isfinite(keypoints.xy[..., 0])]
    y = keypoints.xy[..., 1][np.isfinite(keypoints.xy[..., 1])]
    if x.size == 0:
        raise KeypointError(f"{keypoints.source}: no usable keypoints to estimate the image size")
    extent_x, extent_y = float(x.max()), float(y.max())
    candidates = [s for w, h in _STANDARD_SIZES for s in ((w, h), (h, w))
                  if s[0] >= extent_x and s[1] >= extent_y]
    if candidates:
        size = min(candidates, key=lambda s: s[0] * s[1])
    else:
        size = (max(1, math.ceil(extent_x)), max(1, math.ceil(extent_y)))
    warnings.warn(
        f"{keypoints.source}: the image size is not known; using {size[0]}x{size[1]}, estimated "
        f"from the detections (which reach x={extent_x:.0f}, y={extent_y:.0f}). Pass --width and "
        f"--height: the normalisation, hence the 3D scale, depends on it", KeypointWarning,
        stacklevel=2)
    return size, True


def prepare_keypoints(
    keypoints: Union[PathLike, KeypointSequence],
    skeleton: Union[str, Skeleton] = 'h36m',
    layout: str = 'coco',
    width: Optional[float] = None,
    height: Optional[float] = None,
    score_threshold: float = 0.3,
    max_missing: float = 0.5,
    max_gap: Optional[int] = None,
) -> PreparedKeypoints:
    """Read (unless given a :class:`KeypointSequence`), convert to ``skeleton``'s joint order,
    fill gaps and normalise by the image size.

    COCO-17 input (``layout='coco'``) is converted to ``h36m`` (:func:`coco_to_h36m`) or
    ``humaneva`` (:func:`coco_to_humaneva`) or used as is for the bundled ``coco`` skeleton;
    input in another layout must name ``skeleton``'s own. Scores are compared with
    ``score_threshold`` after the conversion. A given image size that the keypoints exceed is
    used, with a :class:`KeypointWarning` stating the extent found.
    """
    skeleton = skeleton if isinstance(skeleton, Skeleton) else Skeleton.load(skeleton)
    sequence = keypoints if isinstance(keypoints, KeypointSequence) else read_keypoints(
        keypoints, layout)
    xy, scores = sequence.xy, sequence.scores
    if sequence.layout == 'coco' and skeleton.joint_names == Skeleton.load('h36m').joint_names:
        xy, scores = coco_to_h36m(xy, scores)
    elif (sequence.layout == 'coco'
          and skeleton.joint_names == Skeleton.load('humaneva').joint_names):
        converted = coco_to_humaneva(np.concatenate([xy, scores[..., None]], axis=-1))
        xy, scores = converted[..., :2], converted[..., 2]
    elif sequence.layout == 'coco' and skeleton.joint_names == COCO_JOINTS:
        pass
    elif (sequence.layout != 'coco'
          and Skeleton.load(sequence.layout).joint_names == skeleton.joint_names):
        pass
    else:
        given = 'COCO-17' if sequence.layout == 'coco' else f"in the '{sequence.layout}' layout"
        raise KeypointError(
            f"{sequence.source}: the keypoints are {given}, but the model's skeleton is "
            f"'{skeleton.name}' ({skeleton.num_joints} joints); COCO-17 converts to 'h36m' "
            f"and 'humaneva' only (or use a 'coco' model, or keypoints already in the "
            f"skeleton's layout)")

    missing = missing_mask(xy, scores, score_threshold)
    filled = fill_gaps(xy, missing, skeleton.joint_names, max_missing, max_gap, sequence.source,
                       sequence.frame_indices)
    (w, h), estimated = resolve_image_size(sequence, width, height)
    normalized = normalize_screen_coordinates(filled, w, h).astype(np.float32)
    return PreparedKeypoints(normalized=normalized, pixels=filled.astype(np.float32),
                             scores=scores.astype(np.float32), interpolated=missing,
                             frame_indices=sequence.frame_indices, image_size=(w, h),
                             image_size_estimated=estimated, skeleton=skeleton)
