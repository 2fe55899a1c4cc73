"""Data: VideoPose3D-format loaders, Human3.6M and HumanEva-I cameras, training windows, synthetic
motion and the 2D noise model (the training data pipeline is :mod:`gast_pyg.data.pipeline`; the
detector-like 2D augmentation, which also uses :mod:`gast_pyg.keypoints`, is
:mod:`gast_pyg.detector_noise`)."""
from gast_pyg.data.cameras import (
    Camera,
    back_project,
    camera_to_world,
    load_h36m_cameras,
    load_humaneva_cameras,
    project_to_2d,
    quaternion_to_matrix,
    world_to_camera,
)
from gast_pyg.data.datasets import (
    H36M_KEPT_JOINTS,
    DataError,
    action_name,
    align_2d_3d,
    camera_roots,
    camera_targets,
    ground_truth_2d,
    load_positions_2d,
    load_positions_3d,
    normalize_keypoints,
    root_relative,
    select,
)
from gast_pyg.data.noise import NOISE_OUTLIER_RATE, NOISE_OUTLIER_SCALE, add_noise_2d
from gast_pyg.data.subjects import resolve_subjects, shared_subjects
from gast_pyg.data.synthetic import synthetic_motion
from gast_pyg.data.windows import WindowSampler, flip_average, flip_pose, sequence_inputs
from gast_pyg.screen import image_coordinates, normalize_screen_coordinates

__all__ = [
    'Camera',
    'load_h36m_cameras',
    'load_humaneva_cameras',
    'quaternion_to_matrix',
    'world_to_camera',
    'camera_to_world',
    'project_to_2d',
    'back_project',
    'normalize_screen_coordinates',
    'image_coordinates',
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
    'resolve_subjects',
    'shared_subjects',
    'WindowSampler',
    'flip_pose',
    'sequence_inputs',
    'flip_average',
    'synthetic_motion',
    'NOISE_OUTLIER_RATE',
    'NOISE_OUTLIER_SCALE',
    'add_noise_2d',
]
