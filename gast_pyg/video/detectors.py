"""2D keypoint detectors for video frames behind one small interface.

A :class:`KeypointDetector` takes one RGB frame ``(height, width, 3)`` and returns the people it
finds as ``(people, joints, 3)``: ``x, y`` in pixels and a score, in the joint order of its
:attr:`~KeypointDetector.layout` (a :class:`~gast_pyg.keypoints.detections.JointLayout`, which
says how to reach COCO-17 and the toes). Another backend only has to implement
:meth:`~KeypointDetector.detect`.

:class:`BlazePoseDetector` is the built-in one (extra ``video``): MediaPipe's legacy pose
solution at model complexity 1, whose model files ship inside the mediapipe 0.10.21 wheel, so it
runs offline (complexities 0 and 2 download their models on first use). It follows one person.
"""
from __future__ import annotations

import abc

import numpy as np

from gast_pyg.keypoints.blazepose import BLAZEPOSE_33
from gast_pyg.keypoints.detections import JointLayout, clean_points
from gast_pyg.video.decoding import import_extra

__all__ = ['KeypointDetector', 'BlazePoseDetector']


class KeypointDetector(abc.ABC):
    """Frames in, ``(people, joints, 3)`` keypoints out. Use as a context manager (or call
    :meth:`close`) to free the backend."""

    #: The joint order of the detections.
    layout: JointLayout

    @abc.abstractmethod
    def detect(self, frame: np.ndarray) -> np.ndarray:
        """People in ``frame`` ``(height, width, 3)`` uint8 RGB: ``(people, joints, 3)`` float64
        ``x, y`` pixels and score; ``(0, joints, 3)`` when there is nobody."""

    def close(self) -> None:
        """Release the backend."""

    def __enter__(self) -> 'KeypointDetector':
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class BlazePoseDetector(KeypointDetector):
    """MediaPipe BlazePose (33 landmarks, visibility as the score), one person per frame,
    tracked between frames by MediaPipe itself (``static_image_mode=False``)."""

    layout = BLAZEPOSE_33

    def __init__(self, min_detection_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5) -> None:
        import_extra('mediapipe')
        from mediapipe.python.solutions import pose
        self._pose = pose.Pose(static_image_mode=False, model_complexity=1,
                               min_detection_confidence=min_detection_confidence,
                               min_tracking_confidence=min_tracking_confidence)

    def detect(self, frame: np.ndarray) -> np.ndarray:
        height, width = frame.shape[:2]
        result = self._pose.process(np.ascontiguousarray(frame))
        if result.pose_landmarks is None:
            return np.zeros((0, self.layout.num_joints, 3))
        points = np.array([[p.x * width, p.y * height, p.visibility]
                           for p in result.pose_landmarks.landmark], dtype=np.float64)
        return clean_points(points)[None]

    def close(self) -> None:
        self._pose.close()
