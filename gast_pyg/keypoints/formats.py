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
                "score"}]}]}``, :mod:`~gast_pyg.keypoints.demo_json`), every person of a frame
                kept
``array``       ``.npy`` / ``.npz`` ``(T, K, 2|3)``, one person (:mod:`~gast_pyg.keypoints.
                arrays`)
``openpose``    a folder of OpenPose ``*_keypoints.json`` (or one such file)
``alphapose``   ``alphapose-results.json`` and COCO keypoint results: a list of ``image_id`` /
                ``keypoints`` / ``idx`` entries
``mmpose``      MMPose / rtmlib-style ``instance_info`` frames
``wholebody``   COCO-style ``images`` / ``annotations`` files
==============  ==============================================================================

Containers and joint layouts are independent: every format holds people in any layout of
:data:`LAYOUTS` (COCO-17, OpenPose COCO-18 and BODY_25, Halpe-26, BlazePose-33,
COCO-WholeBody-133), recognised from the number of points per person or forced with ``layout``.
``format=None`` detects the format from the file's content (a folder is OpenPose); naming it
forces that reader, which then reports what in the file does not fit. Files are opened through
:mod:`~gast_pyg.keypoints.reading` (regular files of bounded size only), and every field is
checked before anything is allocated from it (frame numbers against the records the file lists,
:func:`~gast_pyg.keypoints.sequence.check_implied_frames`).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Sequence, Tuple, Union

from gast_pyg.keypoints.alphapose import HALPE_26, is_alphapose, read_alphapose
from gast_pyg.keypoints.arrays import read_array_detections, read_keypoint_array
from gast_pyg.keypoints.blazepose import BLAZEPOSE_33
from gast_pyg.keypoints.demo_json import is_demo_json, read_demo_detections, read_demo_json
from gast_pyg.keypoints.detections import COCO_LAYOUT, Detections, JointLayout
from gast_pyg.keypoints.mmpose import is_mmpose, read_mmpose
from gast_pyg.keypoints.openpose import BODY_25, COCO_18, is_openpose, read_openpose
from gast_pyg.keypoints.reading import check_file, load_json
from gast_pyg.keypoints.sequence import KeypointError, KeypointSequence
from gast_pyg.keypoints.wholebody import WHOLEBODY_133, is_wholebody, read_wholebody

__all__ = ['FORMATS', 'LAYOUTS', 'read_keypoints', 'read_detections', 'detect_format',
           'joint_layouts']

PathLike = Union[str, os.PathLike]

Reader = Callable[[Path, Any, Sequence[JointLayout]], Detections]

#: ``name -> (recognises the parsed JSON, reader)``, tried in this order; ``array`` goes by the
#: file suffix.
FORMATS: Dict[str, Optional[Tuple[Callable[[Any], bool], Reader]]] = {
    'gast': (is_demo_json, read_demo_detections),
    'openpose': (is_openpose, lambda path, content, layouts: read_openpose(path, layouts)),
    'alphapose': (is_alphapose, read_alphapose),
    'mmpose': (is_mmpose, read_mmpose),
    'wholebody': (is_wholebody, read_wholebody),
    'array': None,
}

#: The joint layouts every format may hold, by the name ``layout`` takes, in order of their
#: number of points.
LAYOUTS: Dict[str, JointLayout] = {
    'coco': COCO_LAYOUT,
    'coco18': COCO_18,
    'body25': BODY_25,
    'halpe26': HALPE_26,
    'blazepose33': BLAZEPOSE_33,
    'wholebody133': WHOLEBODY_133,
}


def joint_layouts(layout: Optional[str] = None) -> Tuple[JointLayout, ...]:
    """The layouts a file may hold: every one of :data:`LAYOUTS` (``None``: chosen by the number
    of points), or the one named."""
    if layout is None:
        return tuple(LAYOUTS.values())
    if layout not in LAYOUTS:
        raise KeypointError(f"unknown joint layout {layout!r}; known: {', '.join(LAYOUTS)}")
    return (LAYOUTS[layout],)


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
    check_file(path)
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
        f"'frame_index', 'skeleton'}}]}}), .npy/.npz arrays (frames, K, 2|3), an OpenPose folder "
        f"of *_keypoints.json ({{'people': [{{'pose_keypoints_2d'}}]}}), AlphaPose results "
        f"([{{'image_id', 'keypoints', 'idx'}}]), MMPose predictions ({{'instance_info': [{{"
        f"'frame_id', 'instances'}}]}}), COCO-WholeBody ({{'images', 'annotations'}}); "
        f"--format forces one of {', '.join(FORMATS)}")


def read_detections(path: PathLike, format: Optional[str] = None,
                    layout: Optional[str] = None) -> Detections:
    """Every person of every frame of the keypoint file (or OpenPose folder) at ``path``, in the
    file's joint layout. ``format``: a name of :data:`FORMATS`, or ``None`` to detect it;
    ``layout``: a name of :data:`LAYOUTS`, or ``None`` to recognise it from the number of
    points per person."""
    path = Path(path)
    if format is not None and format not in FORMATS:
        raise KeypointError(f"unknown keypoint format {format!r}; known: {', '.join(FORMATS)}")
    layouts = joint_layouts(layout)
    check_file(path, folders=True)
    content = None
    if format is None:
        if path.is_file() and path.suffix.lower() not in ('.npy', '.npz'):
            content = load_json(path)
        format = detect_format(path, content)
    if format == 'array':
        return read_array_detections(path, layouts)
    if format == 'openpose':
        return read_openpose(path, layouts)
    if path.is_dir():
        raise KeypointError(f"{path}: a folder is read as OpenPose output, not as {format}")
    content = load_json(path) if content is None else content
    recognises, reader = FORMATS[format]
    if not recognises(content):
        raise KeypointError(f"{path}: does not have the {format} layout (--format {format})")
    return reader(path, content, layouts)
