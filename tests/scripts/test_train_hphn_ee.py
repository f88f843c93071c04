import pytest

from script_runs import glyph_argv
from train_hphn_ee import HPHNEmbeddingExpansion


def test_official_defaults(glyph_root, tmp_path):
    """The official code's schedule and loss defaults (the recipe family's batches and
    optimiser: tests/training/test_recipes.py)."""
    script = HPHNEmbeddingExpansion()
    args = script.parse_args(['--dataset', 'glyphs', '--data-path', glyph_root])
    assert (args.steps, args.epochs, args.margin, args.n_inner_pts, args.eval_every) == (
        '400,800,1200,1600', 4000, 1e-5, 2, 5)


def test_odd_k_is_rejected(glyph_root, tmp_path):
    with pytest.raises(SystemExit):
        HPHNEmbeddingExpansion().parse_args(glyph_argv(glyph_root, tmp_path, '--batch-k', '5'))
