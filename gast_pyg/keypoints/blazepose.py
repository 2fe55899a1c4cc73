"""MediaPipe BlazePose's 33 landmarks (``mediapipe.solutions.pose``, the built-in video
detector's layout) and how they map to the common COCO-17 + toes layout.

==========================  ====================================================
common joint                BlazePose landmark(s)
==========================  ====================================================
nose                        0 nose
left_eye / right_eye        2 left_eye / 5 right_eye (the pupils; inner and outer
                            corners 1, 3, 4, 6 unused)
left_ear / right_ear        7 left_ear / 8 right_ear
left/right shoulder         11 / 12
left/right elbow            13 / 14
left/right wrist            15 / 16 (pinky, index, thumb 17-22 unused)
left/right hip              23 / 24
left/right knee             25 / 26
left/right ankle            27 / 28
left_toe / right_toe        31 left_foot_index / 32 right_foot_index
==========================  ====================================================

Mouth corners (9, 10) and heels (29, 30) are unused: COCO-17 has no mouth and the 19-joint
``h36m_toes`` skeleton has no heel (its ankle is the ankle landmark, its toe the foot index). From
COCO-17, :data:`~gast_pyg.keypoints.layouts.COCO_TO_H36M` gives the 17 Human3.6M joints. The
score of each point is the landmark's ``visibility``.
"""
from __future__ import annotations

from gast_pyg.keypoints.detections import JointLayout

__all__ = ['BLAZEPOSE_33']

BLAZEPOSE_33 = JointLayout('BlazePose-33', (
    'nose', 'left_eye_inner', 'left_eye', 'left_eye_outer', 'right_eye_inner', 'right_eye',
    'right_eye_outer', 'left_ear', 'right_ear', 'mouth_left', 'mouth_right', 'left_shoulder',
    'right_shoulder', 'left_elbow', 'right_elbow', 'left_wrist', 'right_wrist', 'left_pinky',
    'right_pinky', 'left_index', 'right_index', 'left_thumb', 'right_thumb', 'left_hip',
    'right_hip', 'left_knee', 'right_knee', 'left_ankle', 'right_ankle', 'left_heel',
    'right_heel', 'left_foot_index', 'right_foot_index'),
    toes=(('left_foot_index',), ('right_foot_index',)))
