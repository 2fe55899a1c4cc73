"""The one error handler of the command line (see :mod:`gast_pyg.cli`)."""
from __future__ import annotations

import collections
import contextlib
import sys
import traceback
import warnings
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ['MAX_MESSAGE', 'one_line', 'reported_warnings', 'run_command']

#: Longest error message printed (characters); longer ones are cut with an ellipsis.
MAX_MESSAGE = 500


def one_line(error: BaseException) -> str:
    """The message of ``error`` on one line, at most :data:`MAX_MESSAGE` characters."""
    if isinstance(error, OSError) and error.filename is not None and error.strerror:
        text = f'{error.filename}: {error.strerror}'
    else:
        text = str(error) or type(error).__name__
    text = ' '.join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE - 3] + '...'


@contextlib.contextmanager
def reported_warnings(prog: str) -> Iterator[None]:
    """Print each warning raised inside the block as a ``PROG: warning: ...`` line when it is
    first raised (not after the work that follows it), each distinct message once; at the end,
    the count of those repeated (``(N times in all)``)."""
    counts: collections.Counter = collections.Counter()

    def show(message: Any, category: type, *_: Any, **__: Any) -> None:
        if issubclass(category, DeprecationWarning):
            return
        text = (one_line(message) if isinstance(message, BaseException)
                else ' '.join(str(message).split()))
        counts[text] += 1
        if counts[text] == 1:
            print(f'{prog}: warning: {text}', file=sys.stderr, flush=True)

    with warnings.catch_warnings():
        warnings.simplefilter('always')
        warnings.showwarning = show
        try:
            yield
        finally:
            for text, count in counts.items():
                if count > 1:
                    print(f'{prog}: warning: {text} ({count} times in all)', file=sys.stderr)


def run_command(prog: str, run: Callable[[Any], Any], args: Any) -> int:
    """``run(args)`` with the command line's error policy; returns the exit status (0, 2 for
    bad input, 130 when interrupted with Ctrl-C, 1 for a bug in gast-pyg). Outputs are staged
    (:mod:`gast_pyg.files`), so an interrupted or failed command leaves the earlier ones whole
    and no temporaries behind."""
    try:
        with reported_warnings(prog):
            return int(run(args) or 0)
    except KeyboardInterrupt:
        print(f'{prog}: interrupted', file=sys.stderr)
        return 130
    except (ValueError, OSError) as error:
        print(f'{prog}: error: {one_line(error)}', file=sys.stderr)
        return 2
    except Exception:  # anything else is a defect of the package, not of the input
        traceback.print_exc()
        print(f'{prog}: error: this is a bug in gast-pyg; please report it with the traceback '
              'above', file=sys.stderr)
        return 1
