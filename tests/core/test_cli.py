"""The shared options that choose the validation split and record a tuned run."""
import argparse

import pytest

from common.cli import selection, tuned, val_fold
from common.training.recipe import load_recipe
from script_runs import ROOT


def test_val_fold_and_tuned_values():
    assert val_fold('2/4') == (2, 4)
    assert tuned('margin_kanji:40:4') == dict(study='margin_kanji', trials=40, folds=4)
    assert tuned('a:b:8:1') == dict(study='a:b', trials=8, folds=1)  # a name with colons
    for bad in ('0/4', '5/4', '1/1', '2', 'a/b'):
        with pytest.raises(argparse.ArgumentTypeError, match='give I/K'):
            val_fold(bad)
    with pytest.raises(argparse.ArgumentTypeError, match='give STUDY:TRIALS:FOLDS'):
        tuned('margin:forty:4')


@pytest.mark.parametrize('options,expected', [
    ([], 'test'), (['--val-classes', '4'], 'validation'), (['--val-fold', '1/3'], 'validation'),
    (['--tuned', 's:8:1'], 'tuned'), (['--tuned', 's:8:1', '--val-classes', '4'], 'tuned')])
def test_selection_recorded_for_each_way_of_choosing(options, expected):
    recipe = load_recipe(ROOT + '/train_margin.py')
    assert selection(recipe.parse_args(options)) == expected


@pytest.mark.parametrize('options,message', [
    (['--val-fold', '1/3', '--val-classes', '4'], '--val-fold and --val-classes both choose'),
    (['--tuned', 's:8:1', '--val-fold', '1/3'], '--tuned records a final run, not one of a '
                                                "study's folds: drop --val-fold")])
def test_conflicting_choices_are_refused(capsys, options, message):
    with pytest.raises(SystemExit):
        load_recipe(ROOT + '/train_margin.py').parse_args(options)
    assert message in capsys.readouterr().err
