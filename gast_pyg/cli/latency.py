"""``gast-pyg latency`` (also ``python -m gast_pyg.streaming``): per-frame latency of
:class:`~gast_pyg.streaming.StreamingLifter` on this CPU or a GPU (``--device``)."""
from __future__ import annotations

import argparse
import os

from gast_pyg.cli.choices import RECEPTIVE_FIELDS
from gast_pyg.cli.options import (
    HelpFormatter,
    add_checkpoint_options,
    add_runtime_options,
    checkpoint_file,
)
from gast_pyg.cli.types import non_negative_int, positive_int


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        'latency', formatter_class=HelpFormatter,
        help='measure the per-frame latency of real-time (causal) lifting',
        description='Push random frames through StreamingLifter, one at a time, and print the '
                    'per-frame latency of a causal checkpoint (by default the shipped '
                    'causal model) or of a random-weight causal model.')
    add_checkpoint_options(parser, causal=True)
    group = parser.add_argument_group('random-weight model (instead of a checkpoint)')
    group.add_argument('--random-weights', action='store_true',
                       help='measure a random-weight causal model of --receptive-field and '
                            '--channels instead of a checkpoint')
    group.add_argument('--receptive-field', type=int, choices=RECEPTIVE_FIELDS, default=27,
                       help='frames of the random-weight model')
    group.add_argument('--channels', type=positive_int, default=128,
                       help='width of the random-weight model')
    group = parser.add_argument_group('measurement')
    group.add_argument('--frames', type=positive_int, default=200, help='frames measured')
    group.add_argument('--warmup', type=non_negative_int, default=20, help='frames pushed before measuring')
    add_runtime_options(parser, threads=1, progress=False)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    import torch

    from gast_pyg.devices import resolve_device
    from gast_pyg.loading import load_model
    from gast_pyg.models.builder import build_model
    from gast_pyg.streaming import measure_latency
    device = resolve_device(args.device)
    if args.random_weights:
        torch.manual_seed(0)
        model = build_model(receptive_field=args.receptive_field, channels=args.channels,
                            causal=True)
    else:
        model = load_model(checkpoint_file(args, causal=True), skeleton=args.skeleton,
                           causal=True)
    stats = measure_latency(model.to(device), frames=args.frames, warmup=args.warmup)
    where = f'{args.threads} thread(s)' if device.type == 'cpu' else str(device)
    print(f"StreamingLifter: receptive field {model.receptive_field}, "
          f"{getattr(model, 'channels', '?')} channels, causal, {where}, "
          f"{args.frames} frames: median {stats['median']:.2f} ms, p90 {stats['p90']:.2f} ms, "
          f"p99 {stats['p99']:.2f} ms, max {stats['max']:.2f} ms per frame "
          f"(~{stats['fps']:.0f} frames/s); the window re-run in the same loop: median "
          f"{stats['window_median']:.2f} ms ({stats['speedup']:.1f}x slower); bound "
          f"{stats['gflop']:.3f} GFLOP per window / {stats['gemm_gflops']:.0f} GFLOP/s = "
          f"{stats['bound']:.2f} ms, median {stats['ratio']:.2f}x the bound (one incremental "
          f"step: {stats['step_gflop']:.3f} GFLOP) (load average {os.getloadavg()[0]:.2f})")
    return 0
