import numpy as np
import pytest

from common.data.samplers import ClassBalancedBatchSampler, ShuffledBatchSampler


def flatten(batches):
    return [i for b in batches for i, _ in b]


def test_shuffled_rollover_covers_every_image_once_per_pass():
    sampler = ShuffledBatchSampler(103, 10, seed=0)
    first = list(sampler)
    assert len(first) == 10 and all(len(b) == 10 for b in first)
    second = list(sampler)
    assert len(second) == 10  # 3 carried over + 103 new = 106 -> 10 batches, 6 carried
    seen = flatten(first) + flatten(second)
    counts = np.bincount(seen, minlength=103)
    assert counts.min() >= 1 and counts.max() <= 2


def test_shuffled_keep_and_discard():
    assert [len(b) for b in ShuffledBatchSampler(25, 10, 0, 'keep')] == [10, 10, 5]
    assert [len(b) for b in ShuffledBatchSampler(25, 10, 0, 'discard')] == [10, 10]
    with pytest.raises(ValueError, match='--batch-size 30'):
        ShuffledBatchSampler(25, 30, 0)


def test_seeds_make_batches_and_augmentations_reproducible():
    a = list(ShuffledBatchSampler(50, 8, seed=5))
    b = list(ShuffledBatchSampler(50, 8, seed=5))
    c = list(ShuffledBatchSampler(50, 8, seed=6))
    assert a == b and a != c
    assert len({s for batch in a for _, s in batch}) == 48  # distinct augmentation seeds


def labels_with_small_classes():
    sizes = [1, 2, 3, 5, 8, 8, 8, 8, 2, 7, 6, 1]
    return np.repeat(np.arange(len(sizes)), sizes), sizes


def test_class_balanced_composition_over_many_draws():
    labels, sizes = labels_with_small_classes()
    sampler = ClassBalancedBatchSampler(labels, 12, 4, iterations=300, seed=0)
    for batch in sampler:
        idx = [i for i, _ in batch]
        assert len(idx) == 12 and len(set(idx)) == 12  # no image twice in a batch
        batch_labels = labels[idx]
        # class-contiguous blocks of at most K images each
        changes = np.flatnonzero(np.diff(batch_labels)) + 1
        blocks = np.split(batch_labels, changes)
        assert len({b[0] for b in blocks}) == len(blocks)
        assert all(len(b) <= 4 for b in blocks)
        full = [b for b in blocks[:-1]]
        assert all(len(b) == min(4, sizes[b[0]]) for b in full)


def test_class_balanced_visits_every_class_and_is_seeded():
    labels, _ = labels_with_small_classes()
    draws = list(ClassBalancedBatchSampler(labels, 12, 4, 200, seed=3))
    seen = set(labels[flatten(draws)].tolist())
    assert seen == set(range(12))
    assert draws == list(ClassBalancedBatchSampler(labels, 12, 4, 200, seed=3))


def test_class_balanced_rejects_impossible_requests():
    labels = np.repeat(np.arange(4), 5)
    with pytest.raises(ValueError, match='multiple of --batch-k'):
        ClassBalancedBatchSampler(labels, 10, 3, 5, 0)
    with pytest.raises(ValueError, match='asks for 5 classes per batch but the training split'):
        ClassBalancedBatchSampler(labels, 10, 2, 5, 0)
