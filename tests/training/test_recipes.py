"""The recipe families of common/training/recipes.py that several scripts share."""
import pytest

from common.data import get_dataset
from common.training import BatchSize
from train_hphn_ee import HPHNEmbeddingExpansion
from train_loop import LoOp


@pytest.mark.parametrize('recipe', [HPHNEmbeddingExpansion(), LoOp()], ids=['hphn_ee', 'loop'])
def test_paired_blocks_pair_consecutive_rows_and_epochs_are_c_times_k(recipe, glyph_root):
    args = recipe.parse_args(['--dataset', 'glyphs', '--data-path', glyph_root])
    assert (args.model, args.embed_dim, args.image_size, args.batch_size, args.batch_k) == (
        'googlenet', 512, 227, 128, 32)
    assert (args.optimizer, args.lr, args.wd, args.factor) == ('adam', 1e-4, 5e-4, 0.5)
    split = get_dataset('glyphs', glyph_root).train
    sampler = recipe.make_sampler(args, split, BatchSize(128), seed=0)
    assert len(sampler) == 31 * 32 // 128  # an "epoch" is C x K images
    for batch in sampler:
        labels = split.labels[[i for i, _ in batch]]
        assert (labels[0::2] == labels[1::2]).all()  # consecutive rows pair up
