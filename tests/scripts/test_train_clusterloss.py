"""The facility-location script trains on the embedded dataset, in both batch modes."""
import pytest

from script_runs import glyph_argv, miniature_run
from train_clusterloss import ClusterLoss


@pytest.mark.slow
@pytest.mark.integration
def test_miniature_run_raises_recall(glyph_root, tmp_path):
    before, after, _ = miniature_run(ClusterLoss(), glyph_root, tmp_path, '--lr', '1e-3')
    assert after > before + 5


@pytest.mark.slow
@pytest.mark.integration
def test_class_balanced_batches_and_rmsprop(glyph_root, tmp_path):
    before, after, _ = miniature_run(ClusterLoss(), glyph_root, tmp_path, '--lr', '1e-3',
                                     '--iteration-per-epoch', '25', '--batch-k', '4',
                                     '--optimizer', 'rmsprop', '--pam-iterations', '2')
    assert after > before + 5


def test_rmsprop_decays_the_learning_rate_every_epoch(glyph_root, tmp_path):
    script = ClusterLoss()
    args = script.parse_args(glyph_argv(glyph_root, tmp_path, '--optimizer', 'rmsprop'))
    state = type('S', (), {'args': args, 'epoch': 3})
    assert abs(script.lr_scale(state) - 0.94 ** 2) < 1e-12
    args = script.parse_args(glyph_argv(glyph_root, tmp_path))
    assert script.lr_scale(type('S', (), {'args': args, 'epoch': 3})) == 1.0
