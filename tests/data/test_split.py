"""Class-disjoint validation splits carved from the training classes."""
import numpy as np
import pytest

from common.data.split import DatasetError, ImageSplit, RetrievalDataset, class_folds


def dataset(classes=10, per_class=3):
    labels = np.repeat(np.arange(classes), per_class)
    paths = ['img_%d_%d.jpg' % (c, i) for c in range(classes) for i in range(per_class)]
    boxes = np.arange(len(paths) * 4, dtype=np.float64).reshape(-1, 4)
    train = ImageSplit('train', paths, labels, ['class%d' % c for c in range(classes)], boxes)
    test = ImageSplit('test', ['t.jpg'] * 2, [0, 1], ['x', 'y'])
    return RetrievalDataset('toy', train, (1, 2), test=test)


def test_validation_classes_are_disjoint_from_training_and_relabeled():
    full = dataset()
    carved = full.with_validation(3)
    train, val = carved.train, carved.validation
    assert val.num_classes == 3 and train.num_classes == 7
    assert len(train) + len(val) == len(full.train) and not set(train.paths) & set(val.paths)
    assert not set(train.class_names) & set(val.class_names)
    for split in (train, val):  # contiguous ids, each image keeps its class and box
        assert sorted(set(split.labels.tolist())) == list(range(split.num_classes))
        for path, label, box in zip(split.paths, split.labels, split.boxes):
            original = full.train.paths.index(path)
            assert split.class_names[label] == full.train.class_names[full.train.labels[original]]
            np.testing.assert_array_equal(box, full.train.boxes[original])
    assert carved.test is full.test
    assert carved.split_counts() == {'train': {'classes': 7, 'images': 21},
                                     'validation': {'classes': 3, 'images': 9},
                                     'test': {'classes': 2, 'images': 2}}


def test_the_choice_is_fixed_and_a_fraction_counts_classes():
    first = dataset().with_validation(0.2).validation.class_names
    assert first == dataset().with_validation(0.2).validation.class_names
    assert len(first) == 2
    assert dataset().with_validation(2, seed=1).validation.class_names != first or \
        dataset().with_validation(2, seed=2).validation.class_names != first


@pytest.mark.parametrize('count', [1, 9, 0.05, 0.95])
def test_too_few_classes_on_either_side_is_an_error(count):
    with pytest.raises(DatasetError, match='--val-classes'):
        dataset().with_validation(count)


@pytest.mark.parametrize('classes,count', [(10, 2), (10, 3), (11, 4), (100, 4)])
def test_class_folds_are_disjoint_and_cover_every_class_once(classes, count):
    folds = class_folds(classes, count)
    assert len(folds) == count
    everything = np.concatenate(folds)
    assert sorted(everything.tolist()) == list(range(classes))  # each class in one fold
    assert max(len(f) for f in folds) - min(len(f) for f in folds) <= 1
    assert [f.tolist() for f in folds] == [f.tolist() for f in class_folds(classes, count)]


def test_validation_fold_trains_on_the_other_folds():
    full = dataset(classes=12)
    seen = []
    for index in (1, 2, 3):
        carved = full.with_validation_fold(index, 3)
        train, val = set(carved.train.class_names), set(carved.validation.class_names)
        assert not train & val and train | val == set(full.train.class_names)
        assert len(carved.train) + len(carved.validation) == len(full.train)
        seen += sorted(val)
    assert sorted(seen) == sorted(full.train.class_names)  # every class validated once


def test_validation_fold_too_small_names_the_option():
    with pytest.raises(DatasetError, match=r'--val-fold 1/4: 6 training classes'):
        dataset(classes=6).with_validation_fold(1, 4)
