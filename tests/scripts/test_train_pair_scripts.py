"""The pair- and triplet-based scripts of the other seeds: their playground defaults (their
training runs are rows of test_miniature_runs.py)."""

from common.training import BatchSize
from script_runs import glyph_argv
from train_liftedstruct import LiftedStruct
from train_multisimilarity import MultiSimilarity
from train_npairs import NPairs


def test_playground_defaults(glyph_root, tmp_path):
    args = NPairs().parse_args(['--dataset', 'glyphs'])
    assert (args.batch_size, args.epochs, args.epoch_length, args.l2reg_weight,
            args.same_image_sampling, args.steps) == (128, 25, 200, 5e-4, 0.1, '12,14,16,18')
    assert NPairs().gradient_divisor(args, BatchSize(args.batch_size)) == 64
    args = LiftedStruct().parse_args(['--dataset', 'glyphs'])
    assert (args.batch_size, args.epochs, args.margin, args.lifted_form) == (128, 60, 1.0,
                                                                             'smooth')
    args = MultiSimilarity().parse_args(glyph_argv(glyph_root, tmp_path, '--ms-official'))
    from common.loss_options import multi_similarity_values
    assert multi_similarity_values(args) == dict(alpha=2.0, beta=40.0, base=0.5, epsilon=0.1)
    args = MultiSimilarity().parse_args(glyph_argv(glyph_root, tmp_path))
    assert multi_similarity_values(args) == dict(alpha=2.0, beta=50.0, base=1.0, epsilon=0.1)
