"""Speed and memory of the lifting models on this machine.

For each model: whole-sequence inference throughput (frames/s on one long
sequence), training throughput (windows/s: forward, backward and an Amsgrad
step on a batch of receptive-field windows, the strided form), the peak
memory each needs, FLOPs per output frame / per window (counted with
``torch.utils.flop_counter``) and the achieved GFLOP/s as a fraction of the
best float32 GEMM rate measured in the same run on the same threads (the
faster of ``torch.matmul`` on 2048 x 2048 matrices and a 1x1 ``conv2d`` on a
channels-last tensor of the same size). Times are medians over repetitions
after a warm-up, with fresh inputs each repetition. Each measurement runs in
a fresh process so that its peak memory (peak RSS growth on CPU,
``max_memory_allocated`` on CUDA) is its own.

    python benchmarks/speed.py                         # the paper's models + TCN baselines
    python benchmarks/speed.py --models gast27 --threads 2 --json speed.json
    python benchmarks/speed.py --models gast27 --under-load 1   # share of idle under load
    python benchmarks/speed.py --models gast27 --modes training --channels 32   # another width

``--under-load N`` starts N competing CPU-bound processes (plain busy loops, then 2-thread
PyTorch matmul jobs), measures the same figures beside them and prints each as a fraction of
the idle figure measured in the same run (idle before and after each loaded round, median).
The competitors are always stopped. Without ``--threads`` each measurement uses the package's
default (:func:`gast_pyg.runtime.configure_threads`). ``--omp-env`` replaces the package's OpenMP
wait setting (``GOMP_SPINCOUNT=3000``) in the measuring processes, e.g. ``OMP_WAIT_POLICY=PASSIVE``;
``--idle-versus VAR=VALUE`` measures idle with the package's defaults and with those variables
instead, alternating, and prints the ratio of each pair::

    python benchmarks/speed.py --models gast27 --idle-versus GOMP_SPINCOUNT=300000  # libgomp's default

On a GPU (``--device cuda``) every time is taken between ``torch.cuda.synchronize`` calls.
``--gpu-check`` (run by ``scripts/gpu-check.sh``, ``docs/gpu.md``) prints one table for a CUDA
device: the 27-frame 128-channel model's training windows/s and inference frames/s in float32
and under bfloat16 autocast, each as a share of the GPU's own 8192^3 GEMM rate in the same
precision measured in the same run, and ``gast-pyg train`` on the synthetic data (windows cut on
the CPU) with the GPU's utilisation sampled every 200 ms::

    python benchmarks/speed.py --gpu-check --device cuda
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import signal
import statistics
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional

# The environment before the package adds its OpenMP wait default to it.
ENV_BEFORE_IMPORT = dict(os.environ)

import gast_pyg  # noqa: E402,F401  (first: sets the OpenMP wait policy before torch loads it)
import torch  # noqa: E402
import torch.nn.functional as F
import torch_geometric.typing
from torch.utils.flop_counter import FlopCounterMode

from gast_pyg import build_model
from gast_pyg.devices import DeviceError, resolve_device
from gast_pyg.metrics import mpjpe
from gast_pyg.runtime import WAIT_VARIABLES, configure_allocator, configure_threads, wait_policy

# name -> build_model arguments (the paper's widths: 128 / 64 / 32 channels).
MODELS: Dict[str, Dict[str, Any]] = {
    'gast27': dict(arch='gast', receptive_field=27, channels=128),
    'gast81': dict(arch='gast', receptive_field=81, channels=64),
    'gast243': dict(arch='gast', receptive_field=243, channels=32),
    'tcn27': dict(arch='tcn', receptive_field=27),
    'tcn81': dict(arch='tcn', receptive_field=81),
    'tcn243': dict(arch='tcn', receptive_field=243),
}


def synchronize(device: torch.device) -> None:
    if device.type == 'cuda':
        torch.cuda.synchronize(device)


def median_seconds(run: Callable[[], None], prepare: Callable[[], Any], device: torch.device,
                   warmup: int, repeats: int) -> float:
    times = []
    for i in range(warmup + repeats):
        inputs = prepare()
        synchronize(device)
        start = time.perf_counter()
        run(*inputs)
        synchronize(device)
        if i >= warmup:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def current_rss() -> int:
    with open('/proc/self/statm') as file:
        return int(file.read().split()[1]) * resource.getpagesize()


def gemm_rate(device: torch.device, warmup: int, repeats: int) -> Dict[str, float]:
    """GFLOP/s of a 2048^3 GEMM as ``torch.matmul`` and as a 1x1 conv on a
    channels-last ``(1, 2048, 2048, 1)`` image."""
    n = 2048
    flops = 2 * n ** 3

    # Like a layer: fixed weights, fresh activations each repetition.
    weight = torch.randn(n, n, device=device)

    def matmul_inputs():
        return torch.randn(n, n, device=device), weight

    def conv_inputs():
        image = torch.randn(1, n, n, 1, device=device)
        return image.contiguous(memory_format=torch.channels_last), weight[:, :, None, None]

    with torch.inference_mode():
        matmul = median_seconds(torch.matmul, matmul_inputs, device, warmup, repeats)
        conv = median_seconds(F.conv2d, conv_inputs, device, warmup, repeats)
    return {'matmul_gflops': flops / matmul / 1e9, 'conv1x1_gflops': flops / conv / 1e9}


def cuda_gemm_rates(device: torch.device, size: int = 8192, repeats: int = 10
                    ) -> Dict[str, float]:
    """TFLOP/s of a ``size``^3 ``torch.matmul`` on the GPU in float32 (TF32 off: the true
    float32 rate) and in bfloat16, median of ``repeats`` after a warm-up: the bound the
    models' rates are compared with."""
    rates = {}
    saved = torch.backends.cuda.matmul.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = False
    try:
        for name, dtype in (('float32', torch.float32), ('bfloat16', torch.bfloat16)):
            a = torch.randn(size, size, device=device, dtype=dtype)
            b = torch.randn(size, size, device=device, dtype=dtype)
            with torch.inference_mode():
                seconds = median_seconds(torch.matmul, lambda: (a, b), device, 3, repeats)
            rates[name] = 2 * size ** 3 / seconds / 1e12
    finally:
        torch.backends.cuda.matmul.allow_tf32 = saved
    return rates


@contextmanager
def gpu_utilisation(device: torch.device) -> Iterator[List[float]]:
    """Samples of the GPU's utilisation (percent) every 200 ms while the block runs: from
    ``nvidia-smi --query-gpu=utilization.gpu -lms 200`` when it is installed, else from
    :func:`torch.cuda.utilization` (which needs pynvml); no samples when neither works."""
    samples: List[float] = []
    stop = threading.Event()
    index = device.index or 0
    if shutil.which('nvidia-smi'):
        process = subprocess.Popen(
            ['nvidia-smi', f'--id={index}', '--query-gpu=utilization.gpu',
             '--format=csv,noheader,nounits', '-lms', '200'],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)

        def read() -> None:
            for line in process.stdout:
                if line.strip().isdigit():
                    samples.append(float(line))
        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            yield samples
        finally:
            process.terminate()
            process.wait()
            reader.join(timeout=5)
        return

    def poll() -> None:
        while not stop.wait(0.2):
            try:
                samples.append(float(torch.cuda.utilization(index)))
            except Exception:  # no pynvml / NVML: no figure rather than a failed check
                return
    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        yield samples
    finally:
        stop.set()
        poller.join(timeout=5)


def training_loop(device: torch.device, amp: List[str], epochs: int) -> Dict[str, Any]:
    """``gast-pyg train`` of the 27-frame 128-channel model on the synthetic data on
    ``device`` (windows cut on the CPU, fed from pinned memory), in a fresh process; its
    windows/s (the last epoch's) and the GPU's utilisation sampled meanwhile."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, '-m', 'gast_pyg.cli', 'train', '--dataset', 'synthetic',
                   '--synthetic-sequences', '2', '--synthetic-frames', '2000', '--batch-size', '128',
                   '--receptive-field', '27', '--channels', '128', '--downsample', '1',
                   '--epochs', str(epochs), '--device', str(device), '--no-progress',
                   '--checkpoint-dir', os.path.join(folder, 'run'), *amp]
        with gpu_utilisation(device) as samples:
            done = subprocess.run(command, capture_output=True, text=True, cwd=folder)
        if done.returncode != 0:
            raise RuntimeError(f"gast-pyg train {' '.join(amp)} failed: "
                               f"{(done.stderr.strip().splitlines() or ['?'])[-1]}")
        history = torch.load(os.path.join(folder, 'run', 'last.pt'), map_location='cpu',
                             weights_only=True)['history']
    return {'per_second': history[-1]['windows_per_second'],
            'train_mpjpe': history[-1]['train_mpjpe'],
            'utilisation': statistics.fmean(samples) if samples else None}


def gpu_check(args: argparse.Namespace, device: torch.device) -> None:
    """The figures of ``scripts/gpu-check.sh`` on one GPU, printed as one Markdown table:
    the GEMM bound, training windows/s and inference frames/s of the 27-frame 128-channel
    model in float32 and bfloat16 autocast, and the training loop with the GPU's utilisation."""
    if device.type != 'cuda':
        raise SystemExit(f'speed.py: error: --gpu-check needs a CUDA device, got {device}')
    gemm = cuda_gemm_rates(device)
    name = torch.cuda.get_device_name(device)
    rows = []
    for mode, unit in (('training', 'windows/s'), ('inference', 'frames/s')):
        for precision in ('float32', 'bfloat16'):
            task = dict(model='gast27', mode=mode, device=str(device), threads=args.threads,
                        frames=args.frames, batch=args.batch, warmup=args.warmup,
                        repeats=args.repeats, torch_scatter=args.torch_scatter,
                        precision=precision)
            result = measure(task)
            tflops = result['gflops'] / 1e3
            what = (f'gast27 {mode}, batch {args.batch} random windows' if mode == 'training'
                    else f'gast27 inference, one {args.frames:,}-frame sequence')
            rows.append([what, precision, f"{result['per_second']:,.0f} {unit}",
                         f'{tflops:.2f}', f'{100 * tflops / gemm[precision]:.1f}%', '-'])
            print(f'{what} {precision}: {rows[-1][2]}', file=sys.stderr, flush=True)
    for precision, amp in (('float32', []), ('bfloat16', ['--amp', '--amp-dtype', 'bfloat16'])):
        loop = training_loop(device, amp, args.loop_epochs)
        utilisation = '-' if loop['utilisation'] is None else f"{loop['utilisation']:.0f}%"
        rows.append(['gast-pyg train (synthetic, batch 128, windows cut on the CPU)', precision,
                     f"{loop['per_second']:,.0f} windows/s", '-', '-', utilisation])
        print(f'training loop {precision}: {rows[-1][2]}, utilisation {utilisation}',
              file=sys.stderr, flush=True)
    print(f'{name}, torch {torch.__version__} (CUDA {torch.version.cuda}), '
          f'cuDNN TF32 {"on" if torch.backends.cudnn.allow_tf32 else "off"} for float32 '
          f'convolutions (PyTorch default)')
    print()
    print('| measurement | precision | rate | TFLOP/s | % of GEMM bound | GPU utilisation |')
    print('|---|---|---:|---:|---:|---:|')
    if args.tests:
        print(f'| CUDA tests (tests/test_cuda.py) | float32, TF32 off | {args.tests} | - | - | - |')
    for precision in ('float32', 'bfloat16'):
        print(f'| GEMM bound: 8192^3 torch.matmul | {precision} | - | {gemm[precision]:.1f} | '
              f'100% | - |')
    for row in rows:
        print('| ' + ' | '.join(row) + ' |')


def count_flops(run: Callable[[], None]) -> int:
    counter = FlopCounterMode(display=False)
    with counter:
        run()
    return counter.get_total_flops()


def measure(task: Dict[str, Any]) -> Dict[str, Any]:
    """One measurement (``inference`` or ``training`` of one model), run in its own process."""
    threads = configure_threads(task['threads'])
    configure_allocator()
    torch.manual_seed(0)
    torch_geometric.typing.WITH_TORCH_SCATTER &= task['torch_scatter']
    device = torch.device(task['device'])
    width = {'channels': task['channels']} if task.get('channels') else {}
    model = build_model(**{**MODELS[task['model']], **width}).to(device)
    rf, joints = model.receptive_field, model.num_joints
    result: Dict[str, Any] = {'model': task['model'], 'mode': task['mode'], 'threads': threads,
                              'wait_policy': wait_policy(),
                              'parameters': sum(p.numel() for p in model.parameters())}

    autocast = torch.autocast(device.type, dtype=torch.bfloat16,
                              enabled=task.get('precision', 'float32') == 'bfloat16')
    if task['mode'] in ('inference', 'memory'):
        model.eval()
        frames = task['frames']

        def prepare():
            return (torch.randn(1, frames + rf - 1, joints, 2, device=device),)

        def run(x):
            with torch.inference_mode(), autocast:
                model(x)

        with torch.inference_mode(), autocast:
            probe = 100
            flops = count_flops(lambda: model(torch.randn(1, probe + rf - 1, joints, 2, device=device)))
        flops_per_unit = result['flops_per_frame'] = flops / probe
        unit = frames
    else:
        model.train()
        batch = task['batch']
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, amsgrad=True)

        def prepare():
            return (torch.randn(batch, rf, joints, 2, device=device),
                    torch.randn(batch, 1, joints, 3, device=device))

        def forward(x, y):
            with autocast:
                predicted = model(x)
            return mpjpe(predicted.float(), y)

        def run(x, y):
            loss = forward(x, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()

        x, y = prepare()
        flops = count_flops(lambda: forward(x, y).backward())
        optimizer.zero_grad(set_to_none=True)
        flops_per_unit = result['flops_per_window'] = flops / batch
        unit = batch

    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
        baseline = torch.cuda.memory_allocated(device)
    else:
        baseline = current_rss()
    if task['mode'] == 'memory':
        task = dict(task, warmup=0, repeats=1)
    seconds = median_seconds(run, prepare, device, task['warmup'], task['repeats'])
    if device.type == 'cuda':
        peak = torch.cuda.max_memory_allocated(device) - baseline
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - baseline
    result['seconds'] = seconds
    result['per_second'] = unit / seconds
    result['gflops'] = flops_per_unit * unit / seconds / 1e9
    result['peak_memory_mib'] = max(peak, 0) / 2**20
    return result


def in_subprocess(task: Dict[str, Any]) -> Dict[str, Any]:
    """:func:`measure` in a fresh interpreter, so that peak memory is its own."""
    env = {name: value for name, value in os.environ.items() if name not in WAIT_VARIABLES}
    user_wait_env = {name: ENV_BEFORE_IMPORT[name] for name in WAIT_VARIABLES
                     if name in ENV_BEFORE_IMPORT}
    env.update(task['omp_env'] if task.get('omp_env') is not None else user_wait_env)
    completed = subprocess.run([sys.executable, __file__, '--worker', json.dumps(task)],
                               capture_output=True, text=True, env=env)
    if completed.returncode != 0:
        reason = ('killed by signal %d (out of memory?)' % -completed.returncode
                  if completed.returncode < 0 else completed.stderr.strip().splitlines()[-1])
        raise RuntimeError(f"{task['model']} {task['mode']} ({task['frames']} frames) failed: {reason}")
    return json.loads(completed.stdout.splitlines()[-1])


COMPETITORS = {
    'busy loop': 'while True: pass',
    '2-thread torch matmul': ('import torch\ntorch.set_num_threads(2)\na = torch.randn(1024, 1024)\n'
                              'while True: a @ a'),
}


@contextmanager
def competitors(code: str, count: int) -> Iterator[None]:
    """``count`` Python processes running ``code`` for the duration of the block; they are
    stopped however the block ends (error, Ctrl-C)."""
    processes = []
    try:
        for _ in range(count):
            processes.append(subprocess.Popen([sys.executable, '-c', code],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(1.0)  # let them start (and a torch job import torch)
        yield
    finally:
        for process in processes:
            process.kill()
        for process in processes:
            process.wait()


def under_load(tasks: List[Dict[str, Any]], count: int, rounds: int) -> List[Dict[str, Any]]:
    """Each task idle and beside ``count`` competitors of each kind, alternating, ``rounds``
    times; the loaded medians as fractions of the idle median of the same run."""
    rows = []
    for task in tasks:
        idle: List[float] = []
        loaded: Dict[str, List[float]] = {name: [] for name in COMPETITORS}
        threads = {}
        for _ in range(rounds):
            for name, code in COMPETITORS.items():
                result = in_subprocess(task)
                idle.append(result['per_second'])
                threads['idle'] = result['threads']
                with competitors(code, count):
                    load = os.getloadavg()[0]
                    result = in_subprocess(task)
                loaded[name].append(result['per_second'])
                threads[name] = result['threads']
                print(f"  {task['model']} {task['mode']}: idle {idle[-1]:,.1f}, beside {count} x "
                      f"{name} {loaded[name][-1]:,.1f} /s ({result['threads']} threads, "
                      f"load average {load:.2f})", flush=True)
        idle_median = statistics.median(idle)
        row = dict(model=task['model'], mode=task['mode'], idle=idle_median,
                   wait_policy=result['wait_policy'], threads=threads)
        for name, values in loaded.items():
            row[name] = statistics.median(values)
            row[name + ' fraction'] = row[name] / idle_median
        rows.append(row)
        print(f"{task['model']} {task['mode']}: idle {idle_median:,.1f}/s; "
              + ', '.join(f"beside {count} x {name}: {row[name]:,.1f}/s = "
                          f"{row[name + ' fraction']:.0%} of idle" for name in COMPETITORS)
              + f" ({row['wait_policy']}, threads {threads})", flush=True)
    return rows


def parse_env(assignments: Optional[List[str]]) -> Optional[Dict[str, str]]:
    """``['VAR=VALUE', ...]`` as a dict (``None`` stays ``None``)."""
    if assignments is None:
        return None
    env = {}
    for assignment in assignments:
        name, equals, value = assignment.partition('=')
        if not equals or not name:
            raise SystemExit(f"expected VAR=VALUE, got {assignment!r}")
        env[name] = value
    return env


def idle_versus(tasks: List[Dict[str, Any]], baseline: Dict[str, str],
                rounds: int) -> List[Dict[str, Any]]:
    """Each task with the package's defaults and with ``baseline`` as its OpenMP variables,
    alternating, ``rounds`` times; the median of the per-pair ratios (package / baseline)."""
    rows = []
    label = ' '.join(f'{name}={value}' for name, value in baseline.items())
    for task in tasks:
        ours, theirs, ratios = [], [], []
        for _ in range(rounds):
            ours.append(in_subprocess(task)['per_second'])
            theirs.append(in_subprocess(dict(task, omp_env=baseline))['per_second'])
            ratios.append(ours[-1] / theirs[-1])
            print(f"  {task['model']} {task['mode']}: package defaults {ours[-1]:,.1f}, "
                  f"{label} {theirs[-1]:,.1f} /s: {ratios[-1]:.3f}", flush=True)
        row = dict(model=task['model'], mode=task['mode'], package=statistics.median(ours),
                   baseline=statistics.median(theirs), baseline_env=baseline,
                   ratio=statistics.median(ratios))
        rows.append(row)
        print(f"{task['model']} {task['mode']}: package defaults {row['package']:,.1f}/s, "
              f"{label} {row['baseline']:,.1f}/s, median ratio {row['ratio']:.3f}", flush=True)
    return rows


def markdown(results: List[Dict[str, Any]], best: float) -> str:
    rows = ['| model | params | inference frames/s | GFLOP/frame | inference % of best GEMM '
            '| inference peak MiB | training windows/s | GFLOP/window | training % of best GEMM '
            '| training peak MiB |',
            '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|']
    by_model: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for r in results:
        by_model.setdefault(r['model'], {})[r['mode']] = r
    for name, modes in by_model.items():
        inf, train = modes.get('inference'), modes.get('training')
        cells = [name, f"{(inf or train)['parameters']:,}"]
        cells += [f"{inf['per_second']:,.0f}", f"{inf['flops_per_frame'] / 1e9:.3f}",
                  f"{100 * inf['gflops'] / best:.0f}%", f"{inf['peak_memory_mib']:,.0f}"] if inf else ['-'] * 4
        cells += [f"{train['per_second']:,.0f}", f"{train['flops_per_window'] / 1e9:.3f}",
                  f"{100 * train['gflops'] / best:.0f}%", f"{train['peak_memory_mib']:,.0f}"] if train else ['-'] * 4
        rows.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(rows)


def task_of(args: argparse.Namespace, name: str, mode: str, device: torch.device,
            omp_env: Optional[Dict[str, str]]) -> Dict[str, Any]:
    """The measurement of model ``name`` in ``mode`` that the command-line options ask for."""
    return dict(model=name, mode=mode, device=str(device), threads=args.threads,
                frames=args.frames, batch=args.batch, warmup=args.warmup, repeats=args.repeats,
                torch_scatter=args.torch_scatter, omp_env=omp_env, channels=args.channels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--models', nargs='+', default=list(MODELS), choices=list(MODELS))
    parser.add_argument('--modes', nargs='+', default=['inference', 'training'],
                        choices=['inference', 'training'])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--threads', type=int, default=None,
                        help="torch threads (default: the package's choice, "
                             "gast_pyg.runtime.configure_threads)")
    parser.add_argument('--under-load', type=int, default=0, metavar='N',
                        help='measure beside N competing CPU-bound processes, as a fraction of '
                             'idle')
    parser.add_argument('--rounds', type=int, default=2,
                        help='idle/loaded alternations per competitor kind with --under-load, '
                             'pairs with --idle-versus')
    parser.add_argument('--omp-env', nargs='+', metavar='VAR=VALUE', default=None,
                        help="OpenMP wait variables of the measuring processes instead of the "
                             "package's default (GOMP_SPINCOUNT=3000), e.g. "
                             "OMP_WAIT_POLICY=PASSIVE")
    parser.add_argument('--idle-versus', nargs='+', metavar='VAR=VALUE', default=None,
                        help="measure idle with the package's defaults and with these OpenMP "
                             "variables instead, alternating, and print the ratios (e.g. "
                             "GOMP_SPINCOUNT=300000, libgomp's own default)")
    parser.add_argument('--frames', type=int, default=10_000, help='inference sequence length')
    parser.add_argument('--batch', type=int, default=128, help='training windows per step')
    parser.add_argument('--channels', type=int, default=None,
                        help="width of every model measured (unset: the paper's, above)")
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--memory-frames', nargs='*', type=int, default=[10_000, 100_000],
                        help='sequence lengths at which to measure the inference peak memory '
                             'of the first model (one pass each)')
    parser.add_argument('--no-torch-scatter', dest='torch_scatter', action='store_false',
                        help="make PyG ignore torch-scatter even when it is installed")
    parser.add_argument('--json', help='also write the results to this JSON file')
    parser.add_argument('--gpu-check', action='store_true',
                        help='the table of scripts/gpu-check.sh: gast27 in float32 and bfloat16 '
                             'on a CUDA --device, the GEMM bound, the training loop and the '
                             "GPU's utilisation")
    parser.add_argument('--tests', default=None, metavar='SUMMARY',
                        help="with --gpu-check: pytest's summary line of the CUDA tests, "
                             'printed as the first row')
    parser.add_argument('--loop-epochs', type=int, default=2,
                        help='with --gpu-check: epochs of each gast-pyg train run')
    parser.add_argument('--worker', help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(measure(json.loads(args.worker))))
        return

    try:
        device = resolve_device(args.device)
    except DeviceError as error:
        raise SystemExit(f'speed.py: error: {error}') from None
    if args.gpu_check:
        gpu_check(args, device)
        return
    threads = configure_threads(args.threads)
    # A plain kill (SIGTERM) unwinds like Ctrl-C, so the competitors are stopped too.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    omp_env = parse_env(args.omp_env)
    if args.under_load or args.idle_versus:
        print(f"torch {torch.__version__}, {os.cpu_count()} cores, load average "
              f"{os.getloadavg()[0]:.2f} at the start", flush=True)
        tasks = [task_of(args, name, mode, device, omp_env)
                 for name in args.models for mode in args.modes]
        if args.idle_versus:
            rows = idle_versus(tasks, parse_env(args.idle_versus), args.rounds)
        else:
            rows = under_load(tasks, args.under_load, args.rounds)
        if args.json:
            with open(args.json, 'w') as file:
                json.dump({'torch': torch.__version__, 'competitors': args.under_load,
                           'rows': rows}, file, indent=2)
        return
    gemm = gemm_rate(device, warmup=2, repeats=5)
    best = max(gemm.values())
    print(f"torch {torch.__version__}, {platform.processor() or platform.machine()}, "
          f"device {device}, {threads} threads, torch-scatter "
          f"{'used if PyG wants it' if torch_geometric.typing.WITH_TORCH_SCATTER and args.torch_scatter else 'off'}")
    print(f"best float32 GEMM: {best:.0f} GFLOP/s (matmul {gemm['matmul_gflops']:.0f}, "
          f"channels-last 1x1 conv {gemm['conv1x1_gflops']:.0f})", flush=True)

    results = []
    for name in args.models:
        for mode in args.modes:
            result = in_subprocess(task_of(args, name, mode, device, omp_env))
            results.append(result)
            rate = 'frames/s' if mode == 'inference' else 'windows/s'
            print(f"{name:8s} {mode:9s} {result['per_second']:9,.0f} {rate:9s} "
                  f"{result['gflops']:6.0f} GFLOP/s ({100 * result['gflops'] / best:3.0f}% of best GEMM), "
                  f"peak {result['peak_memory_mib']:,.0f} MiB", flush=True)
    memory = []
    for frames in args.memory_frames:
        task = dict(task_of(args, args.models[0], 'memory', device, omp_env), frames=frames,
                    warmup=0, repeats=1)
        try:
            memory.append(in_subprocess(task))
        except RuntimeError as error:
            print(error, flush=True)
            continue
        print(f"{args.models[0]:8s} inference peak memory for {frames:,} frames: "
              f"{memory[-1]['peak_memory_mib']:,.0f} MiB", flush=True)
    print()
    print(markdown(results, best))
    if args.json:
        with open(args.json, 'w') as file:
            json.dump({'torch': torch.__version__, 'device': str(device), 'threads': threads,
                       'torch_scatter': args.torch_scatter,
                       'gemm': gemm, 'best_gemm_gflops': best, 'results': results,
                       'memory': memory}, file, indent=2)


if __name__ == '__main__':
    main()
