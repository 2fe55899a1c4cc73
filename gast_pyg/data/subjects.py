"""The subject split of a run: which subjects it trains on, given the ones it is tested on.

A subject both trained and tested on makes the test a measure of memorisation. The rule lives in
one pure function, :func:`resolve_subjects`, so that every entry point applies it the same way.
"""
from __future__ import annotations

from collections.abc import Sequence

from gast_pyg.data.datasets import DataError

__all__ = ['resolve_subjects', 'shared_subjects']


def shared_subjects(train: Sequence[str], test: Sequence[str]) -> list[str]:
    """The subjects of ``train`` that are also in ``test``, in the order of ``train``."""
    held_out = set(test)
    return [subject for subject in train if subject in held_out]


def resolve_subjects(
    train: Sequence[str],
    test: Sequence[str],
    *,
    explicit_train: bool,
    explicit_test: bool,
) -> tuple[list[str], list[str]]:
    """The training subjects of a run and the warnings to print.

    Args:
        train: The training subjects: given by the user (``explicit_train``) or the default
            of the data set.
        test: The test subjects, given by the user (``explicit_test``) or the default.
        explicit_train: ``train`` was listed by the user (``train_subjects``).
        explicit_test: ``test`` was listed by the user (``test_subjects``).

    Returns:
        ``(train subjects, warnings)``. Default training subjects exclude the test subjects.
        A subject the user lists explicitly in both lists is kept, with a warning.

    Raises:
        DataError: For a subject in both lists that the user did not list explicitly in both
            (naming it), or when excluding the test subjects leaves no training subject.
    """
    overlap = shared_subjects(train, test)
    if not explicit_train:
        kept = [subject for subject in train if subject not in overlap]
        if not kept:
            raise DataError(f'the default training subjects {", ".join(train)} are all test '
                            f'subjects ({", ".join(test)}); give train_subjects')
        return kept, []
    if overlap and not explicit_test:
        raise DataError(
            f'subject {overlap[0]} is in train_subjects and in the default test subjects '
            f'({", ".join(test)}); testing on a training subject measures memorisation. Drop it '
            f'from train_subjects, or list it in test_subjects too to do this on purpose')
    warnings = [f'warning: subject {subject} is listed in both train_subjects and '
                f'test_subjects: its test errors are errors on training data'
                for subject in overlap]
    return list(train), warnings
