"""Keypoint files of other tools, recognised from their content.

:func:`read_detections` reads any of :data:`FORMATS` into :class:`~gast_pyg.keypoints.detections.
Detections` (every person of every frame, with the file's track ids when it has them):

==============  ==============================================================================
format          what is recognised
==============  ==============================================================================
``gast``        the HRNet / GAST-Net demo JSON (``{"data": [{"frame_index", "skeleton": [{"pose",
                "score"}]}]}``, see :func:`~gast_pyg.keypoints.read_keypoints`), COCO-17, every
                person of a frame kept
``array``       ``.npy`` / ``.npz`` ``(T, 17, 2|3)``, one person (:func:`~gast_pyg.keypoints.
                read_keypoints`)
``openpose``    a folder of OpenPose ``*_keypoints.json`` (or one such file): BODY_25, COCO-18
``alphapose``   ``alphapose-results.json``: a list of ``image_id`` / ``keypoints`` / ``idx``
                entries: COCO-17, Halpe-26, COCO-WholeBody-133
``mmpose``      MMPose / rtmlib-style ``instance_info`` frames: COCO-17, Halpe-26, WholeBody-133
``wholebody``   COCO-style ``images`` / ``annotations`` files: COCO-WholeBody-133 or COCO-17
==============  ==============================================================================

``format=None`` detects the format from the file's content (a folder is OpenPose); naming it
forces that reader, which then reports what in the file does not fit.
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Tuple, Union

import numpy as np

from gast_pyg.keypoints import KeypointError, read_keypoints
from gast_pyg.keypoints.alphapose import is_alphapose, read_alphapose
from gast_pyg.keypoints.detections import (COCO_LAYOUT, Detections, build_detections,
                                           instance_points)
from gast_pyg.keypoints.mmpose import is_mmpose, read_mmpose
from gast_pyg.keypoints.openpose import is_openpose, read_openpose
from gast_pyg.keypoints.wholebody import is_wholebody, read_wholebody

__all__ = ['FORMATS', 'read_detections', 'detect_format', 'load_json']

PathLike = Union[str, os.PathLike]


def load_json(path: Path) -> Any:
    """The parsed JSON of ``path``; :class:`KeypointError` naming the file when it is not."""
    try:
        with open(path, encoding='utf-8') as file:
            return json.load(file)
    except json.JSONDecodeError as error:
        raise KeypointError(f"{path}: malformed JSON at line {error.lineno}, column "
                            f"{error.colno}: {error.msg}") from error
    except UnicodeDecodeError as error:
        raise KeypointError(f"{path}: not a UTF-8 text (JSON) file: {error}") from error


def _is_gast(content: Any) -> bool:
    frames = content.get('data') if isinstance(content, dict) else content
    return (isinstance(frames, list) and bool(frames) and isinstance(frames[0], dict)
            and ('skeleton' in frames[0] or 'frame_index' in frames[0]))


def _read_gast(path: Path, content: Any) -> Detections:
    """The demo JSON with every person kept (``read_keypoints`` keeps the best one per frame)."""
    frames = content.get('data') if isinstance(content, dict) else content
    if not isinstance(frames, list) or not frames:
        raise KeypointError(f"{path}: expected a JSON object with a non-empty 'data' list of "
                            f"frames")
    rows = []
    for i, frame in enumerate(frames):
        where = f"{path}: data[{i}]"
        index = frame.get('frame_index', i) if isinstance(frame, dict) else None
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise KeypointError(f"{where}.frame_index: expected a non-negative integer, "
                                f"got {index!r}")
        people = frame.get('skeleton', [])
        if not isinstance(people, list):
            raise KeypointError(f"{where}.skeleton: expected a list of people")
        for k, person in enumerate(people):
            if not isinstance(person, dict) or 'pose' not in person:
                raise KeypointError(f"{where}.skeleton[{k}]: expected an object with 'pose'")
            score = person.get('score')
            if isinstance(score, list):
                score = [s[0] if isinstance(s, list) and len(s) == 1 else s for s in score]
            rows.append((index, instance_points(person['pose'], f"{where}.skeleton[{k}].pose",
                                                score), None))
    first = min(frame.get('frame_index', i) for i, frame in enumerate(frames))
    image_size = None
    if isinstance(content, dict) and 'width' in content and 'height' in content:
        image_size = (int(content['width']), int(content['height']))
    return build_detections(rows, (COCO_LAYOUT,), str(path), num_frames=len(frames),
                            image_size=image_size, first_frame=first)


def _read_array(path: Path) -> Detections:
    sequence = read_keypoints(path, 'coco')
    present = np.isfinite(sequence.xy).all(-1).any(-1)
    points = np.concatenate([sequence.xy, sequence.scores[..., None]], axis=-1)[present]
    return Detections(sequence.frame_indices[present], points, None, sequence.frame_indices,
                      COCO_LAYOUT, sequence.image_size, str(path))


#: ``name -> (recognises the parsed JSON, reader)``, tried in this order; ``array`` goes by the
#: file suffix.
FORMATS: Dict[str, Optional[Tuple[Callable[[Any], bool], Callable[[Path, Any], Detections]]]] = {
    'gast': (_is_gast, _read_gast),
    'openpose': (is_openpose, lambda path, content: read_openpose(path, load_json)),
    'alphapose': (is_alphapose, read_alphapose),
    'mmpose': (is_mmpose, read_mmpose),
    'wholebody': (is_wholebody, read_wholebody),
    'array': None,
}


def detect_format(path: PathLike, content: Any = None) -> str:
    """The name in :data:`FORMATS` of the file (or OpenPose folder) at ``path``."""
    path = Path(path)
    if path.is_dir():
        return 'openpose'
    if path.suffix.lower() in ('.npy', '.npz'):
        return 'array'
    content = load_json(path) if content is None else content
    for name, entry in FORMATS.items():
        if entry is not None and entry[0](content):
            return name
    raise KeypointError(
        f"{path}: unknown keypoint layout; known: the GAST-Net demo JSON ({{'data': [{{"
        f"'frame_index', 'skeleton'}}]}}), .npy/.npz arrays (frames, 17, 2|3), an OpenPose folder "
        f"of *_keypoints.json ({{'people': [{{'pose_keypoints_2d'}}]}}), AlphaPose results "
        f"([{{'image_id', 'keypoints', 'idx'}}]), MMPose predictions ({{'instance_info': [{{"
        f"'frame_id', 'instances'}}]}}), COCO-WholeBody ({{'images', 'annotations'}}); "
        f"--format forces one of {', '.join(FORMATS)}")


def read_detections(path: PathLike, format: Optional[str] = None) -> Detections:
    """Every person of every frame of the keypoint file (or OpenPose folder) at ``path``, in the
    file's joint layout. ``format``: a name of :data:`FORMATS`, or ``None`` to detect it."""
    path = Path(path)
    if not path.exists():
        raise KeypointError(f"{path}: no such keypoint file or folder")
    if format is not None and format not in FORMATS:
        raise KeypointError(f"unknown keypoint format {format!r}; known: {', '.join(FORMATS)}")
    content = None
    if format is None:
        if path.is_file() and path.suffix.lower() not in ('.npy', '.npz'):
            content = load_json(path)
        format = detect_format(path, content)
    if format == 'array':
        return _read_array(path)
    if format == 'openpose':
        return read_openpose(path, load_json)
    if path.is_dir():
        raise KeypointError(f"{path}: a folder is read as OpenPose output, not as {format}")
    content = load_json(path) if content is None else content
    recognises, reader = FORMATS[format]
    if not recognises(content):
        raise KeypointError(f"{path}: does not have the {format} layout (--format {format})")
    return reader(path, content)
