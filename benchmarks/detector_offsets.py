"""How detector joints differ from mocap joints: 2D length ratios on the Human3.6M ground-truth
projections vs HRNet COCO-17 detections converted with ``coco_to_h36m``.

The defaults of :class:`gast_pyg.detector_noise.DetectorNoise` (hip and shoulder width,
neck/head distance from the thorax) are the ratios of these medians. Run from the repository:

    python benchmarks/detector_offsets.py [--data-3d FILE] [--keypoints FILE]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from gast_pyg.data import ground_truth_2d, image_coordinates, load_h36m_cameras, load_positions_3d
from gast_pyg.keypoints import coco_to_h36m, read_keypoints
from gast_pyg.skeleton import Skeleton

SHARED = Path(__file__).resolve().parent.parent / '..' / 'shared' / 'data'


def length_ratios(xy: np.ndarray) -> dict[str, np.ndarray]:
    """Per-frame 2D length ratios of Human3.6M-17 keypoints ``(frames, 17, 2)``."""
    j = {name: i for i, name in enumerate(Skeleton.load('h36m').joint_names)}

    def length(a: str, b: str) -> np.ndarray:
        return np.linalg.norm(xy[:, j[a]] - xy[:, j[b]], axis=-1)

    thigh = (length('left_hip', 'left_knee') + length('right_hip', 'right_knee')) / 2
    return {
        'hip width / thigh': length('left_hip', 'right_hip') / thigh,
        'shoulder width / thigh': length('left_shoulder', 'right_shoulder') / thigh,
        'hip width / shoulder width': length('left_hip', 'right_hip')
        / length('left_shoulder', 'right_shoulder'),
        'thorax-neck / thigh': length('thorax', 'neck') / thigh,
        'thorax-head / thigh': length('thorax', 'head') / thigh,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--data-3d', type=Path,
                        default=SHARED / 'h36m_expmap' / 'data_3d_h36m_expmap.npz')
    parser.add_argument('--keypoints', type=Path,
                        default=SHARED / 'wild' / 'baseball_hrnet_coco17.json')
    parser.add_argument('--every', type=int, default=10, help='use every n-th mocap frame')
    args = parser.parse_args()

    cameras = load_h36m_cameras()
    mocap: dict[str, list[np.ndarray]] = {}
    for subject, actions in ground_truth_2d(load_positions_3d(args.data_3d), cameras).items():
        for sequences in actions.values():
            for sequence, camera in zip(sequences, cameras[subject]):
                pixels = image_coordinates(sequence[::args.every], camera.res_w, camera.res_h)
                for name, value in length_ratios(pixels).items():
                    mocap.setdefault(name, []).append(value)
    keypoints = read_keypoints(args.keypoints)
    xy = coco_to_h36m(keypoints.xy)[0]
    xy = xy[np.isfinite(xy).all(axis=(1, 2))]
    detector = length_ratios(xy)
    print(f'{len(xy)} detected frames of {args.keypoints.name}')
    print(f"{'ratio (medians)':28s} {'mocap':>8s} {'detector':>9s} {'detector/mocap':>15s}")
    for name, values in detector.items():
        m, d = np.median(np.concatenate(mocap[name])), np.median(values)
        print(f'{name:28s} {m:8.3f} {d:9.3f} {d / m:15.3f}')


if __name__ == '__main__':
    main()
