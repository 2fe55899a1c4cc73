"""Shared test helpers: the location of ``../shared`` and its reference fixtures."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from torch import nn

from gast_pyg import Skeleton

# One thread: the suite must not depend on (or fight over) the machine's cores,
# and idle OpenMP workers spinning beside other processes slow it down tenfold.
torch.set_num_threads(1)
os.environ['GAST_PYG_THREADS'] = '1'  # what gast_pyg.runtime.configure_threads then keeps

SHARED = Path(__file__).resolve().parents[2] / 'shared'
FIXTURES = SHARED / 'fixtures' / 'gastnet_reference'


def shared_path(*parts: str) -> Path:
    """A path under ``../shared``; skips the calling test when it is absent."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f'{path} is absent (../shared is not beside the project)')
    return path


def load_fixture(name: str) -> dict:
    return torch.load(shared_path('fixtures', 'gastnet_reference', name), weights_only=True)


@pytest.fixture(autouse=True)
def _deterministic():
    torch.manual_seed(0)


class DepthOracle(nn.Module):
    """Lifts 2D (x, y) to (x, y, 0): the error of each joint is its target's |z|."""

    receptive_field, causal, in_features, num_joints = 9, False, 2, 17

    def __init__(self):
        super().__init__()
        self.skeleton = Skeleton.load('h36m')
        self.unused = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        centre = x[:, 4:x.size(1) - 4]
        return torch.cat([centre, torch.zeros_like(centre[..., :1])], dim=-1)


# Training runs from command-line words, as `gast-pyg train` builds them --------------------------

def parse_train_options(*argv: str):
    """The namespace of ``gast-pyg train ARGV`` (``--config`` applied, explicit options noted)."""
    import argparse

    from gast_pyg.cli.options import parse_arguments
    from gast_pyg.cli.train import add_train_options
    parser = argparse.ArgumentParser()
    add_train_options(parser)
    return parse_arguments(parser, list(argv))


def run_of(args):
    """The :class:`~gast_pyg.configs.RunConfig` of a parsed ``gast-pyg train`` namespace."""
    from gast_pyg.cli.run_config import run_config
    return run_config(args)[0]


def fit(args, data=None):
    """``train`` the run of ``args`` with its runtime options."""
    from gast_pyg.training import train
    return train(run_of(args), data=data, device=args.device, threads=args.threads,
                 resume=args.resume, progress=args.progress)


def load(args, subjects: dict):
    """``load_data`` of the run of ``args`` for ``{field: subjects}``."""
    from gast_pyg.data.pipeline import load_data
    config = run_of(args)
    return load_data(config.data, subjects, trajectory=config.model.trajectory is not None)
