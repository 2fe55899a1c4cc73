"""2D keypoints from a detector, turned into model input.

The lifting models take a sequence ``(T, J, 2)`` of screen coordinates (see
:func:`gast_pyg.screen.normalize_screen_coordinates`) in the joint order of their skeleton, one
entry per video frame. What a 2D detector writes is rarely that: it uses the COCO-17 layout, loses
the person in some frames, gives low confidence to occluded joints and does not say how large the
image was. One module per job:

- :mod:`~gast_pyg.keypoints.sequence`: :class:`KeypointSequence` (one person's raw detections,
  pixels, missing points as NaN) and :class:`KeypointError`;
- :mod:`~gast_pyg.keypoints.formats`: :func:`read_keypoints` and
  :func:`~gast_pyg.keypoints.formats.read_detections`, one reader module per file format
  (:mod:`~gast_pyg.keypoints.demo_json`, :mod:`~gast_pyg.keypoints.arrays`,
  :mod:`~gast_pyg.keypoints.openpose`, :mod:`~gast_pyg.keypoints.alphapose`,
  :mod:`~gast_pyg.keypoints.mmpose`, :mod:`~gast_pyg.keypoints.wholebody`);
- :mod:`~gast_pyg.keypoints.layouts`: COCO-17 -> Human3.6M-17 (:func:`coco_to_h36m`) and
  HumanEva-I (:func:`coco_to_humaneva`);
- :mod:`~gast_pyg.keypoints.gaps`: :func:`fill_gaps`, interpolation over time of the missing
  points;
- :mod:`~gast_pyg.keypoints.preparation`: :func:`resolve_image_size` and
  :func:`prepare_keypoints`, which runs all of the above;
- :mod:`~gast_pyg.keypoints.detections` and :mod:`~gast_pyg.keypoints.tracking`: several people
  per frame and their tracks.

This module only re-exports the names of the single-person path and :data:`LAYOUTS` (the
joint layouts every keypoint format may hold).
"""
from gast_pyg.keypoints.formats import LAYOUTS, read_keypoints
from gast_pyg.keypoints.gaps import fill_gaps, missing_mask
from gast_pyg.keypoints.layouts import (COCO_JOINTS, COCO_TO_H36M, COCO_TO_HUMANEVA, coco_to_h36m,
                                        coco_to_humaneva)
from gast_pyg.keypoints.preparation import PreparedKeypoints, prepare_keypoints, resolve_image_size
from gast_pyg.keypoints.sequence import (MAX_FRAME_INDEX, KeypointError, KeypointSequence,
                                         KeypointWarning)

__all__ = [
    'KeypointError',
    'KeypointWarning',
    'KeypointSequence',
    'PreparedKeypoints',
    'LAYOUTS',
    'COCO_JOINTS',
    'COCO_TO_H36M',
    'MAX_FRAME_INDEX',
    'read_keypoints',
    'coco_to_h36m',
    'COCO_TO_HUMANEVA',
    'coco_to_humaneva',
    'missing_mask',
    'fill_gaps',
    'resolve_image_size',
    'prepare_keypoints',
]
