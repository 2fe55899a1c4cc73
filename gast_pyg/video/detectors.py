"""2D keypoint detectors for video frames behind one small interface.

A :class:`KeypointDetector` takes one RGB frame ``(height, width, 3)`` and returns the people it
finds as ``(people, joints, 3)``: ``x, y`` in pixels and a score, in the joint order of its
:attr:`~KeypointDetector.layout` (a :class:`~gast_pyg.keypoints.detections.JointLayout`, which
says how to reach COCO-17 and the toes). Another backend only has to implement
:meth:`~KeypointDetector.detect`.

:class:`BlazePoseDetector` is the built-in one (extra ``video``): MediaPipe's Tasks
``PoseLandmarker`` (BlazePose GHUM full: an SSD person detector, then 33 landmarks per person
crop, crops followed from frame to frame), several people per frame. Its model bundle
``models/pose_landmarker_full.task`` ships inside this package (built by
``scripts/build_pose_bundle.py`` from the Apache-2.0 model files of the mediapipe 0.10.21 wheel;
see ``docs/people.md``), so nothing is downloaded at run time.

Tiling (``tiles`` >= 2): the frame is cut into that many overlapping squares along its long side
(side: the short side, evenly spaced), each with its own landmarker, so a small or distant person
fills more of the model's 224-pixel input. The people of all tiles are merged by
:func:`merge_people`.
"""
from __future__ import annotations

import abc
import contextlib
import os
from importlib import resources
from typing import Iterator, List, Tuple

import numpy as np

from gast_pyg.keypoints.blazepose import BLAZEPOSE_33
from gast_pyg.keypoints.detections import JointLayout, clean_points
from gast_pyg.video.decoding import VideoError, import_extra

__all__ = ['KeypointDetector', 'BlazePoseDetector', 'tile_windows', 'merge_people',
           'MODEL_BUNDLE']

#: The shipped PoseLandmarker bundle (``pose_detector.tflite`` + ``pose_landmarks_detector.tflite``).
MODEL_BUNDLE = 'pose_landmarker_full.task'


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


def tile_windows(width: int, height: int, tiles: int) -> List[Tuple[int, int, int, int]]:
    """``tiles`` windows ``(x0, y0, x1, y1)`` covering a ``width x height`` frame: the whole
    frame for 1, else squares with the short side's length, evenly spaced along the long side
    from one end to the other (neighbours overlap when ``tiles * short > long``)."""
    if tiles < 1:
        raise VideoError(f"tiles must be >= 1, got {tiles}")
    if tiles == 1:
        return [(0, 0, width, height)]
    side = min(width, height)
    starts = np.linspace(0, max(width, height) - side, tiles).round().astype(int)
    if width >= height:
        return [(int(s), 0, int(s) + side, height) for s in starts]
    return [(0, int(s), width, int(s) + side) for s in starts]


def merge_people(people: np.ndarray, max_people: int, same: float = 0.3) -> np.ndarray:
    """The distinct people of ``people`` ``(N, joints, 3)`` (several detections of one person,
    e.g. from overlapping tiles, kept once), at most ``max_people``, highest mean score first.

    Two detections are one person when the median distance of their corresponding points is
    below ``same`` times the diagonal of the smaller one's keypoint box; a greedy pass in the
    order of the mean score keeps the first of each such group. Boxes alone would merge a
    person standing behind another. (On ``apart.avi`` with two tiles, the two tiles' views of
    the man cut by the tile border lie 0.10-0.18 diagonals apart, the two men 0.56 or more.)"""
    order = np.argsort(-np.nan_to_num(people[..., 2]).mean(-1), kind='stable')
    kept: List[np.ndarray] = []
    for candidate in people[order]:
        if len(kept) == max_people:
            break
        if not any(_same_person(candidate, other, same) for other in kept):
            kept.append(candidate)
    return np.stack(kept) if kept else people[:0]


def _same_person(a: np.ndarray, b: np.ndarray, same: float) -> bool:
    both = np.isfinite(a[:, :2]).all(-1) & np.isfinite(b[:, :2]).all(-1)
    if not both.any():
        return False
    diagonal = min(np.linalg.norm(np.ptp(p[both, :2], axis=0)) for p in (a, b))
    distance = np.median(np.linalg.norm(a[both, :2] - b[both, :2], axis=-1))
    return bool(distance < same * max(diagonal, 1.0))


@contextlib.contextmanager
def _quiet_native_logs() -> Iterator[None]:
    """Send file descriptor 2 to ``/dev/null`` for the block: MediaPipe's and TFLite's C++ log
    lines (graph set-up, XNNPACK delegate, feedback tensors) are written there, not to
    :data:`sys.stderr`, and would break the progress bars."""
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 (e.g. an embedded interpreter): nothing to silence
        yield
        return
    try:
        with open(os.devnull, 'wb') as null:
            os.dup2(null.fileno(), 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _import_mediapipe():
    # Before the first import: glog's and TensorFlow's C++ logging read these once.
    os.environ.setdefault('GLOG_minloglevel', '2')
    os.environ.setdefault('TF_CPP_MIN_LOG_LEVEL', '3')
    with _quiet_native_logs():
        mediapipe = import_extra('mediapipe')
        from mediapipe.tasks.python import BaseOptions, vision
    return mediapipe, BaseOptions, vision


class BlazePoseDetector(KeypointDetector):
    """MediaPipe BlazePose (33 landmarks), up to ``max_people`` per frame, each person's crop
    followed from frame to frame (VIDEO running mode). A landmark's score is its presence (the
    probability that it lies in the image), not its visibility: a joint hidden behind the body
    keeps its estimated position instead of being interpolated over, as detectors trained on
    COCO report occluded joints too.

    Args:
        max_people: The most people reported per frame (the best by mean score).
        tiles: 1: the whole frame; >= 2: that many overlapping square tiles (module docstring),
            about ``tiles`` times the cost, for small or distant people.
        fps: Frame rate of the frames given to :meth:`detect`: their timestamps, which
            MediaPipe's landmark smoothing uses.
        min_detection_confidence: Person detector score for a new person.
        min_presence_confidence: Landmark model's pose presence score to keep following one.
        min_tracking_confidence: Below it, the next frame runs the detector again.
    """

    layout = BLAZEPOSE_33

    def __init__(self, max_people: int = 4, tiles: int = 1, fps: float = 30.0,
                 min_detection_confidence: float = 0.5, min_presence_confidence: float = 0.5,
                 min_tracking_confidence: float = 0.5) -> None:
        if max_people < 1:
            raise VideoError(f"max_people must be >= 1, got {max_people}")
        if tiles < 1:
            raise VideoError(f"tiles must be >= 1, got {tiles}")
        if not fps > 0:
            raise VideoError(f"fps must be > 0, got {fps}")
        self.max_people, self.tiles, self.fps = max_people, tiles, fps
        self._mediapipe, BaseOptions, vision = _import_mediapipe()
        bundle = resources.files('gast_pyg.video').joinpath('models', MODEL_BUNDLE).read_bytes()
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=bundle),
            running_mode=vision.RunningMode.VIDEO, num_poses=max_people,
            min_pose_detection_confidence=min_detection_confidence,
            min_pose_presence_confidence=min_presence_confidence,
            min_tracking_confidence=min_tracking_confidence)
        with _quiet_native_logs():
            self._landmarkers = [vision.PoseLandmarker.create_from_options(options)
                                 for _ in range(tiles)]
        self._count = 0

    def detect(self, frame: np.ndarray) -> np.ndarray:
        height, width = frame.shape[:2]
        timestamp = int(round(self._count * 1000.0 / self.fps))
        people = []
        # The first frame builds the graphs' interpreters, which log too.
        with _quiet_native_logs() if self._count == 0 else contextlib.nullcontext():
            for landmarker, (x0, y0, x1, y1) in zip(self._landmarkers,
                                                    tile_windows(width, height, self.tiles)):
                image = self._mediapipe.Image(image_format=self._mediapipe.ImageFormat.SRGB,
                                              data=np.ascontiguousarray(frame[y0:y1, x0:x1]))
                for pose in landmarker.detect_for_video(image, timestamp).pose_landmarks:
                    people.append([[x0 + p.x * (x1 - x0), y0 + p.y * (y1 - y0), p.presence]
                                   for p in pose])
        self._count += 1
        if not people:
            return np.zeros((0, self.layout.num_joints, 3))
        return merge_people(clean_points(np.array(people, dtype=np.float64)), self.max_people)

    def close(self) -> None:
        with _quiet_native_logs():
            for landmarker in self._landmarkers:
                landmarker.close()
        self._landmarkers = []
