"""The prototypical-network script: its episodes and their options (its training run is a row
of test_miniature_runs.py)."""
import numpy as np
import pytest

from common.data import get_dataset
from common.data.samplers import EpisodeBatchSampler
from common.training import BatchSize
from script_runs import glyph_argv
from train_prototype import Prototype


def test_episode_layout_and_distinct_images():
    labels = np.repeat(np.arange(6), [12, 12, 12, 12, 12, 4])
    sampler = EpisodeBatchSampler(labels, 3, 2, 4, iterations=5, seed=0, groups=2)
    assert sampler.excluded == 1  # the class of four images cannot fill 2 + 4
    for batch in sampler:
        idx = np.array([i for i, _ in batch])
        for episode in idx.reshape(2, -1):
            supports, queries = labels[episode[:6]], labels[episode[6:]]
            assert len(set(episode)) == len(episode)
            assert (supports.reshape(3, 2) == supports[::2, None]).all()
            assert (queries.reshape(3, 4) == supports[::2, None]).all()
            assert 5 not in supports


def test_too_few_large_classes_is_a_clear_error():
    with pytest.raises(ValueError, match='only 1 training classes have'):
        EpisodeBatchSampler(np.repeat([0, 1], [10, 3]), 2, 5, 5, iterations=1, seed=0)


def test_options_are_validated(glyph_root, tmp_path):
    with pytest.raises(SystemExit):
        Prototype().parse_args(glyph_argv(glyph_root, tmp_path, '--nc', '1'))
    dataset = get_dataset('glyphs', glyph_root)
    args = Prototype().parse_args(glyph_argv(glyph_root, tmp_path, '--nc', '40'))
    with pytest.raises(ValueError, match='--nc 40 classes per episode'):
        Prototype().make_sampler(args, dataset.train, BatchSize(32), 0)
