"""Miniature runs of the pair- and triplet-based scripts of the other seeds."""
import pytest

from common.training import BatchSize
from script_runs import glyph_argv, miniature_run
from train_binomial import Binomial
from train_contrastive import Contrastive
from train_liftedstruct import LiftedStruct
from train_multisimilarity import MultiSimilarity
from train_nca import NCA
from train_npairs import NPairs

PK = ('--batch-k', '4', '--iteration-per-epoch', '30', '--lr', '1e-3')


@pytest.mark.slow
@pytest.mark.integration
@pytest.mark.parametrize('script,extra,batch_size', [
    (LiftedStruct, ('--lr', '1e-3'), 64),
    (LiftedStruct, ('--lr', '1e-3', '--lifted-form', 'hard'), 64),
    (NPairs, ('--epoch-length', '30', '--lr', '1e-3', '--symmetric-loss'), 32),
    (Contrastive, PK, 64),
    (Binomial, PK + ('--embed-dim', '64'), 64),
    (NCA, PK, 64),
    (MultiSimilarity, PK + ('--embed-dim', '64'), 64),
    (MultiSimilarity, PK + ('--embed-dim', '64', '--ms-official'), 64),
])
def test_miniature_run_raises_recall(script, extra, batch_size, glyph_root, tmp_path):
    before, after, _ = miniature_run(script(), glyph_root, tmp_path, *extra,
                                     batch_size=batch_size)
    assert after > before + 5


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
