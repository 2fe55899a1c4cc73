"""The subject split: a test subject never becomes a training subject without a word."""
from __future__ import annotations

import argparse

import pytest

from conftest import fit, load, parse_train_options, run_of

from gast_pyg.data import DataError, resolve_subjects, shared_subjects
from gast_pyg.cli.evaluate import add_evaluate_options, evaluate_checkpoint
from gast_pyg.cli import main


def options(*argv: str) -> argparse.Namespace:
    return parse_train_options(*list(argv))


def test_default_training_subjects_exclude_the_test_subjects():
    subjects, warnings = resolve_subjects(['S1', 'S5', 'S6', 'S7', 'S8'], ['S8'],
                                          explicit_train=False, explicit_test=True)
    assert (subjects, warnings) == (['S1', 'S5', 'S6', 'S7'], [])
    resolved = run_of(options('--data-3d', 'x.npz', '--test-subjects', 'S8'))
    assert resolved.data.train_subjects == ('S1', 'S5', 'S6', 'S7')
    assert resolved.validation_subjects == ('S8',)
    assert run_of(options('--data-3d', 'x.npz')).data.train_subjects == (
        'S1', 'S5', 'S6', 'S7', 'S8')


def test_a_shipped_configurations_subjects_are_a_preset_not_a_choice():
    resolved = run_of(options('--config', 'paper-h36m-27', '--data-3d', 'x.npz',
                              '--test-subjects', 'S8'))
    assert resolved.data.train_subjects == ('S1', 'S5', 'S6', 'S7')


def test_a_training_subject_in_the_default_test_set_is_refused_naming_it():
    with pytest.raises(DataError, match=r'subject S9 is in train_subjects and in the default '
                                        r'test subjects \(S9, S11\)'):
        resolve_subjects(['S1', 'S9'], ['S9', 'S11'], explicit_train=True, explicit_test=False)
    with pytest.raises(DataError, match='subject S9 is in train_subjects'):
        run_of(options('--data-3d', 'x.npz', '--train-subjects', 'S1,S9'))


def test_a_subject_listed_explicitly_in_both_is_kept_with_a_warning():
    subjects, warnings = resolve_subjects(['S1', 'S8'], ['S8'], explicit_train=True,
                                          explicit_test=True)
    assert subjects == ['S1', 'S8']
    assert warnings == ['warning: subject S8 is listed in both train_subjects and '
                        'test_subjects: its test errors are errors on training data']
    assert resolve_subjects(['S1'], ['S8'], explicit_train=True, explicit_test=True) == (
        ['S1'], [])


def test_no_training_subject_left_is_an_error():
    with pytest.raises(DataError, match='the default training subjects S8 are all test '
                                        r'subjects \(S8\); give train_subjects'):
        resolve_subjects(['S8'], ['S8'], explicit_train=False, explicit_test=True)


TINY = ['--channels', '8', '--receptive-field', '9', '--synthetic-sequences', '1',
        '--synthetic-frames', '120', '--batch-size', '32', '--downsample', '1', '--threads', '1',
        '--no-progress']


def test_the_run_header_names_the_training_and_test_subjects_and_the_warning(tmp_path, capsys):
    tiny = ['train', *TINY, '--epochs', '0']
    assert main([*tiny, '--test-subjects', 'S8', '--checkpoint-dir', str(tmp_path / 'a')]) == 0
    assert 'training on S1, S5, S6, S7 (testing on S8):' in capsys.readouterr().out
    assert main([*tiny, '--train-subjects', 'S1,S8', '--test-subjects', 'S8',
                 '--checkpoint-dir', str(tmp_path / 'b')]) == 0
    out = capsys.readouterr().out
    assert 'warning: subject S8 is listed in both' in out
    assert 'training on S1, S8 (testing on S8):' in out


def test_evaluating_a_checkpoint_on_a_subject_it_was_trained_on_warns(tmp_path, capsys):
    assert shared_subjects(['S8', 'S1'], ['S1', 'S5']) == ['S1']
    for name, subjects in (('overlap', 'S1,S8'), ('clean', 'S1,S5')):
        fit(options(*TINY, '--epochs', '1', '--train-subjects', subjects, '--test-subjects',
                      'S8', '--checkpoint-dir', str(tmp_path / name)))
    capsys.readouterr()
    parser = argparse.ArgumentParser()
    add_evaluate_options(parser)
    evaluation_options = ['--synthetic-sequences', '1', '--synthetic-frames', '120',
                          '--downsample', '1', '--threads', '1', '--no-progress']
    for name in ('overlap', 'clean'):
        path = tmp_path / name / 'last.pt'
        evaluate_checkpoint(parser.parse_args([*evaluation_options, '--test-subjects', 'S8',
                                               '--checkpoint', str(path)]), path)
        warned = f'warning: {tmp_path / name / "last.pt"} was trained on test subject S8'
        assert (warned in capsys.readouterr().out) == (name == 'overlap')
