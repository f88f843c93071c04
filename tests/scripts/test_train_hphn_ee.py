import pytest

from common.data import get_dataset
from common.training import BatchSize
from script_runs import glyph_argv
from train_hphn_ee import HPHNEmbeddingExpansion


def test_official_defaults_and_epoch_length(glyph_root, tmp_path):
    script = HPHNEmbeddingExpansion()
    args = script.parse_args(['--dataset', 'glyphs', '--data-path', glyph_root])
    assert (args.model, args.embed_dim, args.image_size, args.batch_size, args.batch_k) == (
        'googlenet', 512, 227, 128, 32)
    assert (args.lr, args.wd, args.margin, args.n_inner_pts, args.eval_every) == (
        1e-4, 5e-4, 1e-5, 2, 5)
    split = get_dataset('glyphs', glyph_root).train
    sampler = script.make_sampler(args, split, BatchSize(128), seed=0)
    assert len(sampler) == 31 * 32 // 128  # an "epoch" is C x K images
    for batch in sampler:
        labels = split.labels[[i for i, _ in batch]]
        assert (labels[0::2] == labels[1::2]).all()  # consecutive rows pair up


def test_odd_k_is_rejected(glyph_root, tmp_path):
    with pytest.raises(SystemExit):
        HPHNEmbeddingExpansion().parse_args(glyph_argv(glyph_root, tmp_path, '--batch-k', '5'))
