"""train_loop.py: the official recipe, one --loss picking among four losses and their options."""
import pytest

from common.losses import (
    LoOpHPHNTripletLoss,
    LoOpLiftedLoss,
    LoOpMultiSimilarityLoss,
    LoOpTripletLoss,
)
from script_runs import glyph_argv
from train_loop import LoOp


def test_official_defaults(glyph_root):
    """The official code's schedule and loss defaults (the recipe family's batches and
    optimiser: tests/training/test_recipes.py)."""
    recipe = LoOp()
    args = recipe.parse_args(['--dataset', 'glyphs', '--data-path', glyph_root])
    assert (args.steps, args.epochs, args.eval_every) == ('10,20,40,80', 5000, 50)
    assert (args.loss, args.margin, args.ms_alpha) == ('hphn-triplet', 1e-5, None)
    assert recipe.head_normalize and recipe.logfile(args) == 'train_loop_hphn-triplet.log'


@pytest.mark.parametrize('argv, kind, attributes', [
    ([], LoOpHPHNTripletLoss, dict(margin=1e-5)),
    (['--loss', 'triplet', '--margin', '0.1'], LoOpTripletLoss, dict(margin=0.1)),
    (['--loss', 'lifted'], LoOpLiftedLoss, dict(margin=1e-5)),
    (['--loss', 'ms', '--ms-beta', '40'], LoOpMultiSimilarityLoss,
     dict(alpha=2.0, beta=40.0, base=0.4, epsilon=-0.02))])
def test_each_loss_is_built_with_its_options(argv, kind, attributes):
    recipe = LoOp()
    loss = recipe.build_loss(recipe.parse_args(['--dataset', 'glyphs'] + argv), None)
    assert type(loss) is kind
    assert {k: getattr(loss, k) for k in attributes} == attributes


@pytest.mark.parametrize('argv, message', [
    (['--ms-alpha', '3'], '--ms-alpha does not apply to --loss hphn-triplet'),
    (['--loss', 'ms', '--margin', '0.1'], '--margin does not apply to --loss ms'),
    (['--loss', 'ms', '--ms-beta', '-1'], '--ms-beta'),
    (['--batch-k', '5'], '--batch-k 5 must be even')])
def test_bad_options_are_refused_by_name(glyph_root, tmp_path, capsys, argv, message):
    with pytest.raises(SystemExit):
        LoOp().parse_args(glyph_argv(glyph_root, tmp_path, *argv))
    assert message in capsys.readouterr().err
