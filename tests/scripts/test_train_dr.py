import numpy as np
import pytest

from common.training import BatchSize
from script_runs import miniature_run
from train_dr import DirectionRegularization


@pytest.mark.slow
def test_duplicate_images_in_batches_train_without_nan(glyph_root, tmp_path):
    # Every pair of a batch is one image twice (K=2, classes of one image would do the same):
    # anchor == positive before augmentation; a public reproduction hit 0/0 here.
    miniature_run(DirectionRegularization(), glyph_root, tmp_path, '--batch-k', '2',
                  '--iteration-per-epoch', '10', '--lr', '1e-2', '--min-crop-area', '1.0',
                  epochs=1, batch_size=16)


class FakeSplit:
    """What the script's sampler reads of a training split."""

    def __init__(self, labels):
        self.labels = np.asarray(labels)

    def __len__(self):
        return len(self.labels)


@pytest.mark.parametrize('k', [1, 2, 4, 5])
def test_positive_slots_match_the_sampler(k):
    # The triplet loss gets S slots; the script's own sampler must never give an anchor more
    # than S positives (else the loss is NaN), and S should not be larger than needed.
    script = DirectionRegularization()
    args = script.parse_args(['--loss', 'triplet', '--batch-k', str(k), '--batch-size',
                              str(6 * k), '--iteration-per-epoch', '40'])
    slots = script.positive_slots(args)
    loss = script.build_loss(args, None)
    assert loss.positive_slots == slots == max(k - 1, 1)
    # Classes of 1 to 9 images: small ones fill a batch with extra classes.
    split = FakeSplit(np.repeat(np.arange(40), np.arange(40) % 9 + 1))
    most = 0
    for batch in script.make_sampler(args, split, BatchSize(args.batch_size), seed=k):
        indices = [i for i, _ in batch]
        assert len(set(indices)) == len(indices), 'an image twice in a batch'
        _, counts = np.unique(split.labels[indices], return_counts=True)
        most = max(most, counts.max() - 1)
    # Splitting a batch across devices only lowers the counts.
    assert most <= slots
    assert most == k - 1     # the bound is reached: no spare slots

