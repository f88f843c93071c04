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
    # The chosen lifted form's options take its loss's defaults; the other forms' stay unset.
    args = LiftedStruct().parse_args(['--dataset', 'glyphs', '--lifted-form', 'deep-metric'])
    assert (args.margin, args.alpha, args.beta, args.neg_margin) == (None, 40.0, 2.0, None)
    args = LiftedStruct().parse_args(['--dataset', 'glyphs', '--lifted-form', 'generalized',
                                      '--neg-margin', '0.5'])
    assert (args.margin, args.alpha, args.beta, args.neg_margin) == (None, None, None, 0.5)
    args = MultiSimilarity().parse_args(glyph_argv(glyph_root, tmp_path, '--ms-official'))
    from common.loss_options import multi_similarity_values
    assert multi_similarity_values(args) == dict(alpha=2.0, beta=40.0, base=0.5, epsilon=0.1)
    args = MultiSimilarity().parse_args(glyph_argv(glyph_root, tmp_path))
    assert multi_similarity_values(args) == dict(alpha=2.0, beta=50.0, base=1.0, epsilon=0.1)


def test_each_lifted_form_builds_its_loss():
    from common.losses import DeepMetricLiftedLoss, GeneralizedLiftedLoss, LiftedStructLoss
    recipe = LiftedStruct()
    for argv, kind, attributes in [
            ([], LiftedStructLoss, dict(form='smooth', margin=1.0)),
            (['--lifted-form', 'hard', '--margin', '0.5'], LiftedStructLoss,
             dict(form='hard', margin=0.5)),
            (['--lifted-form', 'deep-metric', '--alpha', '10'], DeepMetricLiftedLoss,
             dict(alpha=10.0, beta=2.0)),
            (['--lifted-form', 'generalized'], GeneralizedLiftedLoss, dict(neg_margin=1.0))]:
        loss = recipe.build_loss(recipe.parse_args(['--dataset', 'glyphs'] + argv), None)
        assert type(loss) is kind
        assert {k: getattr(loss, k) for k in attributes} == attributes
