"""Keypoint files, recognised from their suffix or content, and the reader for each.

:func:`read_keypoints` reads one person from the demo JSON
(:mod:`~gast_pyg.keypoints.demo_json`) or a NumPy array (:mod:`~gast_pyg.keypoints.arrays`).
:func:`read_detections` reads any of :data:`FORMATS` into
:class:`~gast_pyg.keypoints.detections.Detections` (every person of every frame, with the file's
track ids when it has them):

==============  ==============================================================================
format          what is recognised
==============  ==============================================================================
``gast``        the HRNet / GAST-Net demo JSON (``{"data": [{"frame_index", "skeleton": [{"pose",
                "score"}]}]}``, :mod:`~gast_pyg.keypoints.demo_json`), COCO-17, every person
                of a frame kept
``array``       ``.npy`` / ``.npz`` ``(T, 17, 2|3)``, one person (:mod:`~gast_pyg.keypoints.
                arrays`)
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

from gast_pyg.keypoints.alphapose import is_alphapose, read_alphapose
from gast_pyg.keypoints.arrays import read_array_detections, read_keypoint_array
from gast_pyg.keypoints.demo_json import is_demo_json, read_demo_detections, read_demo_json
from gast_pyg.keypoints.detections import Detections
from gast_pyg.keypoints.mmpose import is_mmpose, read_mmpose
from gast_pyg.keypoints.openpose import is_openpose, read_openpose
from gast_pyg.keypoints.sequence import KeypointError, KeypointSequence
from gast_pyg.keypoints.wholebody import is_wholebody, read_wholebody

__all__ = ['FORMATS', 'read_keypoints', 'read_detections', 'detect_format', 'load_json']

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


#: ``name -> (recognises the parsed JSON, reader)``, tried in this order; ``array`` goes by the
#: file suffix.
FORMATS: Dict[str, Optional[Tuple[Callable[[Any], bool], Callable[[Path, Any], Detections]]]] = {
    'gast': (is_demo_json, read_demo_detections),
    'openpose': (is_openpose, lambda path, content: read_openpose(path, load_json)),
    'alphapose': (is_alphapose, read_alphapose),
    'mmpose': (is_mmpose, read_mmpose),
    'wholebody': (is_wholebody, read_wholebody),
    'array': None,
}


def read_keypoints(path: PathLike, layout: str = 'coco') -> KeypointSequence:
    """Read detections of one person from ``path``.

    ``.json``: the HRNet / GAST-Net demo layout (:mod:`~gast_pyg.keypoints.demo_json`); a bare
    list of frames is accepted too. Frames are placed by ``frame_index`` (their position when
    absent); frames between the first and the last index that the file leaves out, or that have
    an empty ``skeleton`` list, are frames without a person. With several people in a frame, the one with
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
        return read_demo_json(path, layout)
    if suffix in ('.npy', '.npz'):
        return read_keypoint_array(path, layout)
    raise KeypointError(f"{path}: unknown keypoint file type {path.suffix!r}; "
                        f"expected .json, .npy or .npz")


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
        return read_array_detections(path)
    if format == 'openpose':
        return read_openpose(path, load_json)
    if path.is_dir():
        raise KeypointError(f"{path}: a folder is read as OpenPose output, not as {format}")
    content = load_json(path) if content is None else content
    recognises, reader = FORMATS[format]
    if not recognises(content):
        raise KeypointError(f"{path}: does not have the {format} layout (--format {format})")
    return reader(path, content)
