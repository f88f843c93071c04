import os

import pytest

from common.data import DatasetError, get_dataset
from layouts import touch


def make_tree(root, classes, per_class=3, ext='.png'):
    for c in classes:
        for i in range(per_class):
            touch(os.path.join(root, c, 'img%d%s' % (i, ext)))
    return root


def test_first_half_of_sorted_classes_trains(tmp_path):
    root = make_tree(str(tmp_path), ['b', 'a', 'd', 'c', 'e'])
    ds = get_dataset('folder', root)
    assert ds.train.class_names == ['a', 'b'] and ds.test.class_names == ['c', 'd', 'e']
    assert len(ds.train) == 6 and len(ds.test) == 9
    assert sorted(set(ds.test.labels.tolist())) == [0, 1, 2]


def test_split_file_assigns_classes(tmp_path):
    root = make_tree(str(tmp_path / 'data'), ['x', 'y', 'z'])
    split = tmp_path / 'split.txt'
    split.write_text('x test\ny train\nz train\n')
    ds = get_dataset('folder', root, split_file=str(split))
    assert ds.train.class_names == ['y', 'z'] and ds.test.class_names == ['x']


def test_split_file_must_list_every_class(tmp_path):
    root = make_tree(str(tmp_path / 'data'), ['x', 'y', 'z'])
    split = tmp_path / 'split.txt'
    split.write_text('x test\ny train\n')
    with pytest.raises(DatasetError, match='does not list the class folder z'):
        get_dataset('folder', root, split_file=str(split))


def test_non_image_files_and_empty_folders_are_skipped(tmp_path):
    root = make_tree(str(tmp_path), ['a', 'b', 'c', 'd'], ext='.JPG')
    touch(os.path.join(root, 'a', 'notes.txt'))
    os.makedirs(os.path.join(root, 'empty'))
    ds = get_dataset('miniCUB', root)  # the playground's name for this layout
    assert ds.train.class_names == ['a', 'b'] and len(ds.train) == 6


def test_too_few_classes(tmp_path):
    with pytest.raises(DatasetError, match='needs at least two class folders'):
        get_dataset('folder', make_tree(str(tmp_path), ['only']))
    with pytest.raises(DatasetError, match='is not a directory'):
        get_dataset('folder', str(tmp_path / 'nowhere'))
