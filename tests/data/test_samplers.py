import numpy as np
import pytest

from common.data.samplers import ClassBalancedBatchSampler, NPairBatchSampler, ShuffledBatchSampler


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


def test_npair_batches_are_pairs_of_distinct_classes():
    labels, sizes = labels_with_small_classes()
    sampler = NPairBatchSampler(labels, pairs=5, iterations=400, same_image_prob=0.1, seed=0,
                                groups=2)
    same_image = total = 0
    for batch in sampler:
        idx = np.array([i for i, _ in batch])
        assert len(idx) == 20
        for group in np.split(idx, 2):  # one [anchors; positives] block per device
            anchors, positives = np.split(group, 2)
            assert (labels[anchors] == labels[positives]).all()
            assert len(set(labels[anchors].tolist())) == 5  # N distinct classes
            for a, p in zip(anchors, positives):
                total += 1
                same_image += a == p
                if a == p:
                    continue
                assert sizes[labels[a]] >= 2
    # Classes of one image always repeat it; the others do so with probability 0.1.
    singles = sum(1 for s in sizes if s == 1) / len(sizes)
    assert abs(same_image / total - (singles + (1 - singles) * 0.1)) < 0.03
    first, again = (list(NPairBatchSampler(labels, 5, 3, 0.1, 7, 2)) for _ in range(2))
    assert first == again


def test_npair_needs_enough_classes():
    with pytest.raises(ValueError, match='asks for 13 pairs of distinct classes'):
        NPairBatchSampler(np.arange(12), 13, 1, 0.1, 0)


def test_full_blocks_with_replacement():
    labels, sizes = labels_with_small_classes()
    for batch in ClassBalancedBatchSampler(labels, 12, 4, 100, 0, fill='replace'):
        blocks = labels[[i for i, _ in batch]].reshape(3, 4)
        assert (blocks == blocks[:, :1]).all()
