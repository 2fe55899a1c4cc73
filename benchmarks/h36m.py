#!/usr/bin/env python
"""Human3.6M accuracy benchmark: train GAST-Net (or the TCN baseline) with the paper's protocol and
print MPJPE (P1) / P-MPJPE (P2) / N-MPJPE / MPJVE per action, laid out like the paper's Table 2.

    python benchmarks/h36m.py                        # synthetic demo, end to end, < 3 min
    python benchmarks/h36m.py --data-3d data_3d_h36m.npz --data-2d gt    # the paper's protocol
    python benchmarks/h36m.py --data-3d ... --evaluate checkpoints/best.pt   # evaluate only
    torchrun --nproc_per_node 2 benchmarks/h36m.py --data-3d ...           # multi-process

The options are those of ``gast-pyg train`` / ``gast-pyg evaluate`` (``--help``); everything
lives in :mod:`gast_pyg.training`.
"""
import sys

from gast_pyg.training import main

if __name__ == '__main__':
    sys.exit(main(sys.argv[1:], prog='benchmarks/h36m.py'))
