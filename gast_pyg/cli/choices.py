"""The library's names that the ``gast-pyg`` options offer as ``choices`` or show in their help,
listed here so that building the parser imports neither torch nor the library
(``tests/test_startup.py`` checks that each equals the library's own)."""
from __future__ import annotations

__all__ = ['KEYPOINT_LAYOUTS', 'MAX_ATTENTION_FRAMES', 'ARCHITECTURES', 'RECEPTIVE_FIELDS', 'TRAJECTORY_DESIGNS', 'COMPONENTS', 'DATASETS',
           'AUGMENTATIONS_2D', 'NOISE_OUTLIER_RATE', 'NOISE_OUTLIER_SCALE', 'KEYPOINT_FORMATS',
           'PRECISIONS', 'EXPORT_FORMATS', 'AMP_DTYPES']

#: The architectures of :data:`gast_pyg.models.builder.ARCHITECTURES`, sorted.
ARCHITECTURES = ('gast', 'tcn')
#: The receptive fields of :data:`gast_pyg.models.builder.FILTER_WIDTHS`, sorted.
RECEPTIVE_FIELDS = (9, 27, 81, 243)
#: :data:`gast_pyg.models.trajectory.TRAJECTORY_DESIGNS`.
TRAJECTORY_DESIGNS = ('shared', 'separate')
#: GAST-Net's switchable components (fields of :class:`~gast_pyg.configs.ModelConfig`) and what
#: each keeps.
COMPONENTS = {
    'local_connection': 'the local graph over the connection (first/second order) edges',
    'local_symmetry': 'the local graph over the symmetry edges',
    'global_attention': 'the global attention B_k',
    'adaptive_matrix': 'the learned adaptive matrix C_k',
}
#: The data sets of :data:`gast_pyg.configs.DATASET_PRESETS`, sorted.
DATASETS = ('h36m', 'humaneva', 'synthetic')
#: :data:`gast_pyg.data.pipeline.AUGMENTATIONS_2D`.
AUGMENTATIONS_2D = ('none', 'detector')
#: :data:`gast_pyg.data.noise.NOISE_OUTLIER_RATE` and ``NOISE_OUTLIER_SCALE``.
NOISE_OUTLIER_RATE = 0.01
NOISE_OUTLIER_SCALE = 10.0
#: The keypoint file formats of :data:`gast_pyg.keypoints.formats.FORMATS`, in its order.
KEYPOINT_FORMATS = ('gast', 'openpose', 'alphapose', 'mmpose', 'wholebody', 'array')
#: :data:`gast_pyg.lifting.PRECISIONS`.
PRECISIONS = ('float32', 'bfloat16')
#: :data:`gast_pyg.export.FORMATS`.
EXPORT_FORMATS = ('torchscript', 'onnx')

#: :data:`gast_pyg.visualization.MAX_ATTENTION_FRAMES`: most frames of an attention figure.
MAX_ATTENTION_FRAMES = 16

#: The keys of :data:`gast_pyg.devices.AMP_DTYPES`.
AMP_DTYPES = ('float16', 'bfloat16')

#: The keys of :data:`gast_pyg.keypoints.formats.LAYOUTS`: joint layouts a keypoint file may hold.
KEYPOINT_LAYOUTS = ('coco', 'coco18', 'body25', 'halpe26', 'blazepose33', 'wholebody133')
