"""Speed side by side with the authors' GAST-Net implementation, in one process.

The authors' code is not part of this package and is never downloaded: pass a checkout of
github.com/fabro66/GAST-Net-3DPoseEstimation (the parity fixtures were made at commit 946f6b7;
its ``model/gast_net.py`` imports ``torchsummary``, so ``pip install torchsummary`` first)::

    git clone https://github.com/fabro66/GAST-Net-3DPoseEstimation ../GAST-Net-3DPoseEstimation
    python benchmarks/against_reference.py --reference-repo ../GAST-Net-3DPoseEstimation

Both models get the same weights: the reference's randomly initialised ``SpatioTemporalModel``
is converted with :func:`gast_pyg.checkpoints.model_from_reference`, and the two outputs are compared
before anything is timed. Then, ``--rounds`` times, each side runs in turn (same threads, same
inputs):

* inference: one ``(1, frames + 26, 17, 2)`` sequence (2,000 output frames by default) in
  ``torch.inference_mode()``: the reference's dilated ``SpatioTemporalModel``, this package's
  ``GASTNet`` in eval mode with its batch norms folded (what ``gast-pyg infer`` runs);
* training: forward, backward and an Amsgrad step on a batch of 128 receptive-field windows:
  the reference's ``SpatioTemporalModelOptimized1f`` (its training form), this package's
  ``GASTNet`` in train mode (the strided form), both with MPJPE against random targets.

Each round times ``--repeats`` pairs of runs after a warm-up, the two sides alternating
(ours first in odd pairs, the reference first in even ones), so that a change of the machine's
speed falls on both sides of a pair; the ratio of each pair is printed per round, and the median
ratio over all pairs is the result.

The bound: after each pair, the best float32 GEMM rate of that moment is measured (the faster of
``torch.matmul`` and a channels-last 1x1 convolution on 2048 x 2048 matrices). The FLOPs of our
step (``torch.utils.flop_counter``) at that rate are the fastest any implementation of the same
arithmetic could run then, and its ratio to the reference's time of the pair is the highest
ratio that pair could show; the median of those bounds is printed beside the median ratio. A
ratio close to its bound is GEMM-bound.
"""
from __future__ import annotations

import argparse
import importlib
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Callable, Dict, List

import gast_pyg  # noqa: F401  (first: sets the OpenMP wait policy before torch loads it)
import torch

from gast_pyg.checkpoints import model_from_reference
from gast_pyg.metrics import mpjpe
from gast_pyg.nn import fold_batch_norms
from gast_pyg.runtime import configure_allocator, configure_threads
from speed import count_flops, gemm_rate

# The reference's Human3.6M 17-joint skeleton (its gen_skes.py).
PARENTS = [-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15]
LEFT, RIGHT = [4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]


class NotAReference(Exception):
    """A ``--reference-repo`` that is not a usable checkout of the authors' code."""


def reference_models(repo: Path, filter_widths: List[int], channels: int):
    """The authors' dilated (inference) and strided (training) models, same weights."""
    if not (repo / 'model' / 'gast_net.py').is_file():
        raise NotAReference(f"--reference-repo {repo}: no model/gast_net.py (expected a "
                            f"checkout of fabro66/GAST-Net-3DPoseEstimation)")
    sys.path.insert(0, str(repo))
    try:
        gast_net = importlib.import_module('model.gast_net')
        skeleton_module = importlib.import_module('common.skeleton')
        graph_utils = importlib.import_module('common.graph_utils')
    except ImportError as error:
        raise NotAReference(f"--reference-repo {repo}: cannot import the reference ({error}); "
                            f"it needs torchsummary and scipy") from None
    skeleton = skeleton_module.Skeleton(parents=PARENTS, joints_left=LEFT, joints_right=RIGHT)
    adj = graph_utils.adj_mx_from_skeleton(skeleton)
    options = dict(filter_widths=filter_widths, channels=channels, dropout=0.05)
    dilated = gast_net.SpatioTemporalModel(adj, 17, 2, 17, **options)
    strided = gast_net.SpatioTemporalModelOptimized1f(adj, 17, 2, 17, **options)
    strided.load_state_dict(dilated.state_dict())
    return dilated.eval(), strided.train()


def seconds(run: Callable[[], None]) -> float:
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def best_gemm_rate() -> float:
    """GFLOP/s of the faster of a 2048^3 ``torch.matmul`` and channels-last 1x1 convolution."""
    return max(gemm_rate(torch.device('cpu'), 0, 1).values())


def paired_round(ours: Callable[[], None], reference: Callable[[], None], warmup: int,
                 repeats: int) -> List[tuple]:
    """``repeats`` triples ``(our seconds, reference seconds, best GEMM GFLOP/s)`` measured
    back to back, the order of the two sides alternating."""
    for _ in range(warmup):
        ours()
        reference()
    triples = []
    for i in range(repeats):
        if i % 2 == 0:
            ours_time, reference_time = seconds(ours), seconds(reference)
        else:
            reference_time = seconds(reference)
            ours_time = seconds(ours)
        triples.append((ours_time, reference_time, best_gemm_rate()))
    return triples


def inference_step(model: torch.nn.Module, x: torch.Tensor) -> Callable[[], None]:
    def run():
        with torch.inference_mode():
            model(x)
    return run


def training_step(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> Callable[[], None]:
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, amsgrad=True)

    def run():
        loss = mpjpe(model(x), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--reference-repo', type=Path, required=True,
                        help='a checkout of fabro66/GAST-Net-3DPoseEstimation')
    parser.add_argument('--filter-widths', type=int, nargs='+', default=[3, 3, 3])
    parser.add_argument('--channels', type=int, default=128)
    parser.add_argument('--frames', type=int, default=2000, help='inference output frames')
    parser.add_argument('--batch', type=int, default=128, help='training windows per step')
    parser.add_argument('--threads', type=int, default=None,
                        help="torch threads for both (default: the package's choice)")
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=4, help='timed pairs per round')
    parser.add_argument('--json', help='also write the results to this JSON file')
    args = parser.parse_args()

    threads = configure_threads(args.threads)
    configure_allocator()
    torch.manual_seed(0)
    try:
        ref_dilated, ref_strided = reference_models(args.reference_repo.resolve(),
                                                    args.filter_widths, args.channels)
    except NotAReference as error:
        parser.error(str(error))
    ours_eval = fold_batch_norms(model_from_reference(ref_dilated.state_dict()))
    ours_train = model_from_reference(ref_dilated.state_dict()).train()
    rf = ours_eval.receptive_field

    x = torch.randn(1, args.frames + rf - 1, 17, 2)
    with torch.inference_mode():
        difference = (ours_eval(x) - ref_dilated(x)).abs().max().item()
    windows, targets = torch.randn(args.batch, rf, 17, 2), torch.randn(args.batch, 1, 17, 3)
    print(f"torch {torch.__version__}, {threads} threads; {rf}-frame model, {args.channels} "
          f"channels; same weights: max |ours - reference| = {difference:.1e} on "
          f"{args.frames:,} frames", flush=True)
    if not difference < 1e-3:
        raise SystemExit("the two models disagree: not the same weights")

    steps = {
        'inference': (inference_step(ours_eval, x), inference_step(ref_dilated, x), args.frames,
                      'frames/s'),
        'training': (training_step(ours_train, windows, targets),
                     training_step(ref_strided, windows, targets), args.batch, 'windows/s'),
    }
    flops = {name: count_flops(ours) / units for name, (ours, _, units, _) in steps.items()}
    results: Dict[str, Dict[str, list]] = {}
    for name, (ours, reference, units, unit) in steps.items():
        rows = results[name] = {'ours': [], 'reference': [], 'ratio': [], 'gemm_gflops': [],
                                'ratio_bound': []}
        for round_ in range(args.rounds):
            triples = paired_round(ours, reference, args.warmup, args.repeats)
            for ours_time, reference_time, gemm in triples:
                rows['ours'].append(units / ours_time)
                rows['reference'].append(units / reference_time)
                rows['ratio'].append(reference_time / ours_time)
                rows['gemm_gflops'].append(gemm)
                # Our step at the GEMM rate of the same moment, against the reference.
                rows['ratio_bound'].append(gemm * 1e9 / flops[name] * reference_time / units)
            print(f"  {name} round {round_ + 1}: " + ", ".join(
                f"{units / o:,.1f} vs {units / r:,.1f} {unit} ({r / o:.2f}x, GEMM {g:.0f})"
                for o, r, g in triples), flush=True)
    for name, rows in results.items():
        unit = steps[name][3]
        ours_rate, reference_rate, gemm = (statistics.median(rows[key])
                                           for key in ('ours', 'reference', 'gemm_gflops'))
        rows['flops_per_unit'] = flops[name]
        print(f"{name}: gast-pyg {ours_rate:,.1f} {unit}, reference {reference_rate:,.1f} "
              f"{unit}, median ratio {statistics.median(rows['ratio']):.2f}x; "
              f"{flops[name] / 1e9:.3f} GFLOP each, {ours_rate * flops[name] / 1e9:.0f} GFLOP/s "
              f"against a best GEMM of {gemm:.0f}: median ratio bound "
              f"{statistics.median(rows['ratio_bound']):.2f}x", flush=True)
    if args.json:
        with open(args.json, 'w') as file:
            json.dump({'torch': torch.__version__, 'threads': threads, 'difference': difference,
                       'receptive_field': rf, 'channels': args.channels,
                       'results': results},
                      file, indent=2)


if __name__ == '__main__':
    main()
