#!/usr/bin/env python
"""Human3.6M accuracy benchmark: train GAST-Net (or the TCN baseline) with the paper's protocol and
print MPJPE (P1) / P-MPJPE (P2) / N-MPJPE / MPJVE per action, laid out like the paper's Table 2.

    python benchmarks/h36m.py                        # synthetic demo, end to end
    python benchmarks/h36m.py --config paper-h36m-27 --data-3d data_3d_h36m.npz --data-2d gt
    python benchmarks/h36m.py --data-3d ... --evaluate runs/h36m/best.pt     # evaluate only
    torchrun --nproc_per_node 2 benchmarks/h36m.py --data-3d ...           # multi-process

This script is ``gast-pyg benchmark ARGS``: the options of ``gast-pyg train`` plus
``--evaluate PATH`` (``--help``); the code is :mod:`gast_pyg.cli.benchmark`.
"""
import sys

from gast_pyg.cli import main

if __name__ == '__main__':
    sys.exit(main(['benchmark', *sys.argv[1:]]))
