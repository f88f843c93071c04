"""The facility-location script: its learning-rate schedule (its training runs, in both batch
modes, are rows of test_miniature_runs.py)."""
from script_runs import glyph_argv
from train_clusterloss import ClusterLoss


def test_rmsprop_decays_the_learning_rate_every_epoch(glyph_root, tmp_path):
    script = ClusterLoss()
    args = script.parse_args(glyph_argv(glyph_root, tmp_path, '--optimizer', 'rmsprop'))
    state = type('S', (), {'args': args, 'epoch': 3})
    assert abs(script.lr_scale(state) - 0.94 ** 2) < 1e-12
    args = script.parse_args(glyph_argv(glyph_root, tmp_path))
    assert script.lr_scale(type('S', (), {'args': args, 'epoch': 3})) == 1.0
