"""Image lists with labels: the common currency of every dataset loader."""
import os
from dataclasses import dataclass, field, replace
from typing import List, Optional, Tuple

import numpy as np


class DatasetError(ValueError):
    """A dataset on disk does not match the layout or counts it should have."""


@dataclass
class ImageSplit:
    """One split of a dataset: image paths, integer labels and optional boxes.

    ``labels`` are contiguous ids 0..C-1 within the split (In-Shop query and
    gallery share one id space so that their labels compare). ``boxes`` holds
    one ``(x, y, width, height)`` row per image in pixels, when the dataset
    has them.
    """
    name: str
    paths: List[str]
    labels: np.ndarray
    class_names: List[str]
    boxes: Optional[np.ndarray] = None
    _by_class: Optional[List[np.ndarray]] = field(default=None, repr=False, compare=False)

    def __post_init__(self):
        self.labels = np.asarray(self.labels, dtype=np.int64)
        if len(self.paths) != len(self.labels):
            raise DatasetError('%s split: %d paths but %d labels'
                               % (self.name, len(self.paths), len(self.labels)))
        if self.boxes is not None:
            self.boxes = np.asarray(self.boxes, dtype=np.float64).reshape(-1, 4)
            if len(self.boxes) != len(self.paths):
                raise DatasetError('%s split: %d paths but %d boxes'
                                   % (self.name, len(self.paths), len(self.boxes)))

    def __len__(self):
        return len(self.paths)

    @property
    def num_classes(self):
        return len(np.unique(self.labels))

    def relabeled(self, labels, class_names):
        """The same images under other labels (e.g. meta-classes)."""
        return ImageSplit(self.name, self.paths, labels, class_names, self.boxes)

    def subset(self, name, classes):
        """The images of ``classes`` (ids of this split), relabeled 0..len(classes)-1."""
        classes = np.asarray(classes, dtype=np.int64)
        new_id = np.full(len(self.class_names), -1, dtype=np.int64)
        new_id[classes] = np.arange(len(classes))
        keep = np.flatnonzero(new_id[self.labels] >= 0)
        return ImageSplit(name, [self.paths[i] for i in keep], new_id[self.labels[keep]],
                          [self.class_names[c] for c in classes],
                          None if self.boxes is None else self.boxes[keep])

    def indices_by_class(self):
        """List whose entry c holds the indices of the images of class c."""
        if self._by_class is None:
            order = np.argsort(self.labels, kind='stable')
            bounds = np.searchsorted(self.labels[order], np.arange(len(self.class_names) + 1))
            self._by_class = [order[bounds[c]:bounds[c + 1]] for c in range(len(self.class_names))]
        return self._by_class

# The Recall@K list of CUB, Cars196, folder and font datasets (the playground's); SOP and
# In-Shop have their own.
SMALL_RECALL_KS = (1, 2, 4, 8, 16, 32)


@dataclass
class RetrievalDataset:
    """A class-disjoint DML dataset: training split plus test split(s).

    Datasets evaluated query-against-itself set ``test``; In-Shop sets
    ``query`` and ``gallery`` instead. ``min_crop_area`` is the smallest
    share of the image a training crop may keep (the playground's 8 % suits
    photos; glyphs that fill only part of their canvas need more).
    """
    name: str
    train: ImageSplit
    recall_ks: Tuple[int, ...] = SMALL_RECALL_KS
    test: Optional[ImageSplit] = None
    query: Optional[ImageSplit] = None
    gallery: Optional[ImageSplit] = None
    min_crop_area: float = 0.08
    validation: Optional[ImageSplit] = None

    @property
    def eval_splits(self):
        return [self.test] if self.test is not None else [self.query, self.gallery]

    def with_train(self, train):
        """The same dataset with another training split."""
        return replace(self, train=train)

    def with_validation(self, count, seed=0):
        """Move ``count`` training classes (a seeded random choice, the same for every run
        seed) into a class-disjoint validation split; ``count`` below 1 is a fraction."""
        classes = self.train.num_classes
        n = int(round(count * classes)) if count < 1 else int(count)
        if not 2 <= n <= classes - 2:
            raise DatasetError('--val-classes %s: gives %d of the %d training classes; keep at '
                               'least 2 for validation and 2 for training' % (count, n, classes))
        chosen = np.random.default_rng(seed).permutation(classes)
        val, train = np.sort(chosen[:n]), np.sort(chosen[n:])
        return replace(self, train=self.train.subset('train', train),
                       validation=self.train.subset('validation', val))

    def with_validation_fold(self, index, count, seed=0):
        """Validate on fold ``index`` (1-based) of ``count`` class-disjoint folds of the
        training classes and train on the other folds (``--val-fold index/count``)."""
        folds = class_folds(self.train.num_classes, count, seed)
        if min(len(f) for f in folds) < 2 or self.train.num_classes - max(
                len(f) for f in folds) < 2:
            raise DatasetError('--val-fold %d/%d: %d training classes make folds of %d-%d '
                               'classes; keep at least 2 for validation and 2 for training'
                               % (index, count, self.train.num_classes,
                                  min(len(f) for f in folds), max(len(f) for f in folds)))
        val = folds[index - 1]
        train = np.setdiff1d(np.arange(self.train.num_classes), val)
        return replace(self, train=self.train.subset('train', train),
                       validation=self.train.subset('validation', val))

    def split_counts(self):
        """``{split name: {'classes': C, 'images': N}}`` for the record."""
        splits = [self.train, self.validation] + self.eval_splits
        return {s.name: {'classes': s.num_classes, 'images': len(s)} for s in splits
                if s is not None}

    @property
    def has_boxes(self):
        return self.train.boxes is not None


def class_folds(classes, count, seed=0):
    """``count`` class-disjoint folds of ``classes`` class ids, sorted arrays that together
    hold every id once: a seeded shuffle (the same for every run seed, as
    :meth:`Dataset.with_validation`) cut into near-equal parts."""
    order = np.random.default_rng(seed).permutation(classes)
    return [np.sort(part) for part in np.array_split(order, count)]


def build_split(dataset, name, paths, class_keys, expected=None, boxes=None, class_names=None,
                key_order=None, hint=''):
    """Relabel class keys to contiguous ids, check the counts and that every file exists.

    ``class_keys`` are any sortable per-image class identifiers; ids follow
    ``key_order`` when given (to share one id space across splits), else the
    sorted keys. ``expected`` is ``(images, classes)``.
    """
    keys = sorted(set(class_keys)) if key_order is None else list(key_order)
    index = {k: i for i, k in enumerate(keys)}
    labels = np.array([index[k] for k in class_keys], dtype=np.int64)
    names = [str(class_names.get(k, k)) if class_names else str(k) for k in keys]
    split = ImageSplit(name, list(paths), labels, names, boxes)
    if expected is not None:
        check_count(dataset, '%s images' % name, expected[0], len(split), hint)
        check_count(dataset, '%s classes' % name, expected[1], len(set(class_keys)), hint)
    check_files_exist(dataset, split.paths, hint)
    return split


def check_count(dataset, what, expected, found, hint):
    if expected != found:
        raise DatasetError('%s: expected %d %s, found %d; %s'
                           % (dataset, expected, what, found, hint))


def check_files_exist(dataset, paths, hint):
    missing = [p for p in paths if not os.path.isfile(p)]
    if missing:
        raise DatasetError('%s: %d of %d image files are missing, first %s; %s'
                           % (dataset, len(missing), len(paths), missing[0], hint))


def require_file(dataset, path, hint):
    if not os.path.isfile(path):
        raise DatasetError('%s: %s not found; %s' % (dataset, path, hint))
    return path


def read_table(dataset, path, ncols, skip=0):
    """Whitespace-separated rows of at least ``ncols`` fields, with line-numbered errors."""
    rows = []
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            if lineno <= skip or not line.strip():
                continue
            parts = line.split()
            if len(parts) < ncols:
                raise DatasetError('%s: %s line %d has %d fields, expected %d'
                                   % (dataset, path, lineno, len(parts), ncols))
            rows.append(parts)
    return rows
