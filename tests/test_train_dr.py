import numpy as np
import pytest

from scripts import miniature_run
from train_dr import DirectionRegularization

PK = ('--batch-k', '4', '--iteration-per-epoch', '30', '--lr', '1e-3')


@pytest.mark.parametrize('loss,angle', [('triplet', 'phi'), ('proxynca', 'phi'),
                                        ('ms', 'theta')])
def test_miniature_run_raises_recall(loss, angle, glyph_root, tmp_path):
    before, after, summary = miniature_run(DirectionRegularization(), glyph_root, tmp_path, *PK,
                                           '--loss', loss, '--dr-angle', angle)
    assert after > before + 5
    assert np.isfinite(summary['last']['R@1']['mean'])


def test_duplicate_images_in_batches_train_without_nan(glyph_root, tmp_path):
    # Every pair of a batch is one image twice (K=2, classes of one image would do the same):
    # anchor == positive before augmentation; a public reproduction hit 0/0 here.
    miniature_run(DirectionRegularization(), glyph_root, tmp_path, '--batch-k', '2',
                  '--iteration-per-epoch', '10', '--lr', '1e-2', '--min-crop-area', '1.0',
                  epochs=1, batch_size=16)
