"""The command line's one error handler: warnings as they arise, repeated ones counted."""
from __future__ import annotations

import warnings

from gast_pyg.cli import run_command


def test_a_warning_is_printed_when_it_arises_and_repeats_are_counted_at_the_end(capsys):
    seen_during_the_run = []

    def work(_):
        warnings.warn('image size estimated, the 3D scale depends on it', UserWarning)
        seen_during_the_run.append(capsys.readouterr().err)   # before the long part of the work
        for _ in range(3):
            warnings.warn('left out: track 7 is too short', UserWarning)
        warnings.warn('deprecated', DeprecationWarning)

    assert run_command('gast-pyg demo', work, None) == 0
    assert seen_during_the_run == [
        'gast-pyg demo: warning: image size estimated, the 3D scale depends on it\n']
    assert capsys.readouterr().err.splitlines() == [
        'gast-pyg demo: warning: left out: track 7 is too short',
        'gast-pyg demo: warning: left out: track 7 is too short (3 times in all)']
