"""The COCO-17 keypoint layout and its conversions to the models' skeletons.

:func:`coco_to_h36m` converts COCO-17 to the 17-joint Human3.6M layout (:data:`COCO_TO_H36M`),
:func:`coco_to_humaneva` to the 15-joint HumanEva-I layout (:data:`COCO_TO_HUMANEVA`);
:func:`expected_joints` says how many joints a file in a layout must have.
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from gast_pyg.keypoints.sequence import KeypointError
from gast_pyg.skeleton import Skeleton

__all__ = ['COCO_JOINTS', 'COCO_TO_H36M', 'COCO_TO_HUMANEVA', 'coco_to_h36m', 'coco_to_humaneva',
           'expected_joints']

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


def expected_joints(layout: str) -> Tuple[int, str]:
    """``(number of joints, description for messages)`` of ``layout``: ``'coco'`` (COCO-17) or
    the name of a bundled or YAML skeleton."""
    if layout == 'coco':
        return len(COCO_JOINTS), 'COCO-17'
    skeleton = Skeleton.load(layout)
    return skeleton.num_joints, f"skeleton '{skeleton.name}'"


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
