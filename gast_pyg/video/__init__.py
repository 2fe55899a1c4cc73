"""Video input: decoding, the built-in 2D detector and the video-to-3D pipeline."""
