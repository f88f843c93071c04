"""Batch samplers for training.

Each sampler owns a seeded NumPy generator and yields batches of
``(image index, augmentation seed)`` keys for :class:`ImageDataset`, so a
run is reproducible from its seed whatever the number of loader workers.
Labels always come from the images themselves: a batch can never pair an
image with another image's label.
"""
import numpy as np


class SeededBatchSampler:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def keys(self, indices):
        seeds = self.rng.integers(2 ** 62, size=len(indices))
        return list(zip(np.asarray(indices).tolist(), seeds.tolist()))


class ShuffledBatchSampler(SeededBatchSampler):
    """Shuffled batches over all images, one pass per epoch.

    ``last_batch='rollover'`` (the playground's choice) carries the images
    left over at the end of an epoch into the next one; ``'discard'`` drops
    them; ``'keep'`` yields a final smaller batch.
    """

    def __init__(self, num_samples, batch_size, seed, last_batch='rollover'):
        super().__init__(seed)
        if last_batch not in ('rollover', 'discard', 'keep'):
            raise ValueError('last_batch must be rollover, discard or keep, not %r' % last_batch)
        if not 0 < batch_size <= num_samples:
            raise ValueError('--batch-size %d: must be between 1 and the %d training images'
                             % (batch_size, num_samples))
        self.num_samples, self.batch_size, self.last_batch = num_samples, batch_size, last_batch
        self._leftover = np.empty(0, dtype=np.int64)

    def __len__(self):
        total = len(self._leftover) + self.num_samples
        if self.last_batch == 'keep':
            return -(-total // self.batch_size)
        return total // self.batch_size

    def __iter__(self):
        order = np.concatenate([self._leftover, self.rng.permutation(self.num_samples)])
        full = len(order) // self.batch_size
        for b in range(full):
            yield self.keys(order[b * self.batch_size:(b + 1) * self.batch_size])
        rest = order[full * self.batch_size:]
        if self.last_batch == 'keep' and len(rest):
            yield self.keys(rest)
        self._leftover = rest if self.last_batch == 'rollover' else rest[:0]


class ClassBalancedBatchSampler(SeededBatchSampler):
    """P x K batches: P random classes, K random images of each, class-contiguous.

    As in the playground, a class with fewer than K images contributes all of
    them and further random classes are added until the batch holds P*K
    images (the last block may then be cut short). With ``fill='replace'``
    a small class is drawn with replacement instead, so that every block has
    exactly K images (Embedding Expansion pairs consecutive images).
    ``iterations`` batches make an epoch.
    """

    def __init__(self, labels, batch_size, samples_per_class, iterations, seed, fill='classes'):
        super().__init__(seed)
        if fill not in ('classes', 'replace'):
            raise ValueError("fill must be 'classes' or 'replace', not %r" % fill)
        self.fill = fill
        labels = np.asarray(labels)
        if samples_per_class < 1 or batch_size % samples_per_class:
            raise ValueError('--batch-size %d must be a multiple of --batch-k %d'
                             % (batch_size, samples_per_class))
        classes = np.unique(labels)
        self.by_class = [np.flatnonzero(labels == c) for c in classes]
        self.batch_size, self.per_class = batch_size, samples_per_class
        self.num_classes = batch_size // samples_per_class
        if self.num_classes > len(classes):
            raise ValueError('--batch-size %d / --batch-k %d asks for %d classes per batch but '
                             'the training split has %d' % (batch_size, samples_per_class,
                                                            self.num_classes, len(classes)))
        if iterations < 1:
            raise ValueError('--iteration-per-epoch must be at least 1')
        self.iterations = iterations

    def __len__(self):
        return self.iterations

    def sample_indices(self):
        order = self.rng.permutation(len(self.by_class))
        if self.fill == 'replace':
            return np.concatenate([
                self.rng.choice(self.by_class[c], self.per_class,
                                replace=len(self.by_class[c]) < self.per_class)
                for c in order[:self.num_classes]])
        chosen, total = [], 0
        for c in order:
            if len(chosen) >= self.num_classes and total >= self.batch_size:
                break
            chosen.append(c)
            total += min(self.per_class, len(self.by_class[c]))
        blocks = [self.rng.choice(self.by_class[c], min(self.per_class, len(self.by_class[c])),
                                  replace=False) for c in chosen]
        return np.concatenate(blocks)[:self.batch_size]

    def __iter__(self):
        for _ in range(self.iterations):
            yield self.keys(self.sample_indices())


class GroupedBatchSampler(SeededBatchSampler):
    """``iterations`` batches of ``groups`` independent blocks from ``sample_group``, one per
    device, so that splitting a batch across devices keeps each block on one device."""

    def __init__(self, iterations, seed, groups=1):
        super().__init__(seed)
        self.iterations, self.groups = iterations, groups

    def __len__(self):
        return self.iterations

    def sample_group(self):
        raise NotImplementedError

    def __iter__(self):
        for _ in range(self.iterations):
            yield self.keys(np.concatenate([self.sample_group() for _ in range(self.groups)]))


class NPairBatchSampler(GroupedBatchSampler):
    """N-pair batches: N distinct classes, two images of each, laid out [anchors; positives].

    With probability ``same_image_prob`` (and always for a class of one
    image) both members of a pair are the same image, which then gets two
    independent augmentations. ``groups`` independent N-pair blocks are
    concatenated, one per device, so that splitting the batch across devices
    keeps every pair on one device.
    """

    def __init__(self, labels, pairs, iterations, same_image_prob, seed, groups=1):
        super().__init__(iterations, seed, groups)
        labels = np.asarray(labels)
        self.by_class = [np.flatnonzero(labels == c) for c in np.unique(labels)]
        if not 1 <= pairs <= len(self.by_class):
            raise ValueError('--batch-size asks for %d pairs of distinct classes per device but '
                             'the training split has %d classes' % (pairs, len(self.by_class)))
        if not 0 <= same_image_prob <= 1:
            raise ValueError('--same-image-sampling must be in [0, 1]')
        if iterations < 1:
            raise ValueError('--epoch-length must be at least 1')
        self.pairs, self.same_image_prob = pairs, same_image_prob

    def sample_group(self):
        anchors, positives = [], []
        for c in self.rng.choice(len(self.by_class), self.pairs, replace=False):
            members = self.by_class[c]
            if len(members) < 2 or self.rng.random() < self.same_image_prob:
                a = p = self.rng.choice(members)
            else:
                a, p = self.rng.choice(members, 2, replace=False)
            anchors.append(a)
            positives.append(p)
        return np.array(anchors + positives)


class EpisodeBatchSampler(GroupedBatchSampler):
    """Prototypical-network episodes: ``num_classes`` distinct classes with ``num_support``
    supports and ``num_query`` queries each, all distinct images.

    Laid out [supports, class-major; queries, class-major in the same class
    order], the layout :class:`~common.losses.PrototypeLoss` expects.
    Classes with fewer than support + query images cannot fill an episode and
    are never drawn (the playground crashed on them); ``excluded`` counts them.
    ``groups`` independent episodes are concatenated, one per device.
    """

    def __init__(self, labels, num_classes, num_support, num_query, iterations, seed, groups=1):
        super().__init__(iterations, seed, groups)
        labels = np.asarray(labels)
        need = num_support + num_query
        if num_support < 1 or num_query < 1 or num_classes < 2:
            raise ValueError('episodes need --nc >= 2, --ns >= 1 and --nq >= 1 (got %d, %d, %d)'
                             % (num_classes, num_support, num_query))
        by_class = [np.flatnonzero(labels == c) for c in np.unique(labels)]
        self.by_class = [m for m in by_class if len(m) >= need]
        self.excluded = len(by_class) - len(self.by_class)
        if len(self.by_class) < num_classes:
            raise ValueError('--nc %d classes per episode, but only %d training classes have '
                             '--ns + --nq = %d images; lower --nc, --ns or --nq'
                             % (num_classes, len(self.by_class), need))
        if iterations < 1:
            raise ValueError('--iteration-per-epoch must be at least 1')
        self.num_classes, self.num_support, self.num_query = num_classes, num_support, num_query

    def sample_group(self):
        classes = np.sort(self.rng.choice(len(self.by_class), self.num_classes, replace=False))
        draws = [self.rng.choice(self.by_class[c], self.num_support + self.num_query,
                                 replace=False) for c in classes]
        return np.concatenate([d[:self.num_support] for d in draws]
                              + [d[self.num_support:] for d in draws])


class NeighbourhoodBatchSampler(SeededBatchSampler):
    """Local sampling (Nguyen & De Baets 2020): one batch per cluster of the embedding space.

    ``set_clusters(assignment)`` (called every epoch with k-means clusters of
    the training embeddings) makes each cluster a batch, subsampled to
    ``batch_size`` when larger. Clusters in which no triplet exists (a single
    class, or no class with two members) are left out. Batches come in a
    random order.
    """

    def __init__(self, labels, batch_size, seed):
        super().__init__(seed)
        self.labels, self.batch_size = np.asarray(labels), batch_size
        self.batches = []

    def set_clusters(self, assignment):
        assignment = np.asarray(assignment)
        self.batches = []
        for cluster in np.unique(assignment):
            members = np.flatnonzero(assignment == cluster)
            if len(members) > self.batch_size:
                members = np.sort(self.rng.choice(members, self.batch_size, replace=False))
            _, counts = np.unique(self.labels[members], return_counts=True)
            if len(counts) > 1 and counts.max() > 1:
                self.batches.append(members)
        if not self.batches:
            raise ValueError('local sampling: no cluster holds a triplet; lower --batch-size')
        return len(self.batches)

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        for b in self.rng.permutation(len(self.batches)):
            yield self.keys(self.batches[b])
