"""The official layouts load with the standard class-disjoint splits and counts."""
import os

import numpy as np
import pytest

import layouts
from common.data import DatasetError, get_dataset


@pytest.fixture(scope='module')
def cub(tmp_path_factory):
    return layouts.write_cub(str(tmp_path_factory.mktemp('CUB_200_2011')))


def test_cub_split_counts_boxes(cub):
    ds = get_dataset('CUB', cub, use_crops=True)
    assert (len(ds.train), ds.train.num_classes) == (5864, 100)
    assert (len(ds.test), ds.test.num_classes) == (5924, 100)
    assert ds.train.labels.min() == 0 and ds.train.labels.max() == 99
    assert ds.test.labels.min() == 0 and ds.test.labels.max() == 99
    assert ds.train.class_names[0] == '001.Class_1' and ds.test.class_names[0] == '101.Class_101'
    assert os.path.basename(os.path.dirname(ds.test.paths[0])) == '101.Class_101'
    np.testing.assert_allclose(ds.train.boxes[0], [11, 20, 100, 50])
    assert ds.recall_ks == (1, 2, 4, 8, 16, 32)


@pytest.mark.slow
def test_cub_wrong_count_names_expected_and_found(tmp_path):
    root = layouts.write_cub(str(tmp_path), train=5863)
    with pytest.raises(DatasetError, match='CUB: expected 5864 train images, found 5863'):
        get_dataset('CUB', root)


def test_cub_index_files_must_agree(cub, tmp_path):
    lines = open(os.path.join(cub, 'images.txt')).read().splitlines()
    for name in ('image_class_labels.txt', 'bounding_boxes.txt', 'classes.txt'):
        os.symlink(os.path.join(cub, name), str(tmp_path / name))
    os.symlink(os.path.join(cub, 'images'), str(tmp_path / 'images'))
    (tmp_path / 'images.txt').write_text('\n'.join(lines[:-1]) + '\n')
    with pytest.raises(DatasetError, match=r'image_class_labels.txt and images.txt disagree'):
        get_dataset('CUB', str(tmp_path))


def test_cub_missing_image_file_is_named(cub):
    victim = get_dataset('CUB', cub).test.paths[7]
    os.rename(victim, victim + '.bak')
    try:
        message = '1 of 5924 image files are missing, first ' + victim
        with pytest.raises(DatasetError, match=message):
            get_dataset('CUB', cub)
    finally:
        os.rename(victim + '.bak', victim)


def test_cub_missing_index_file_says_where_to_download(tmp_path):
    with pytest.raises(DatasetError, match=r'images.txt not found; download CUB_200_2011'):
        get_dataset('CUB', str(tmp_path))


@pytest.mark.slow
def test_cars_official_layout(tmp_path):
    root = layouts.write_cars_mat(str(tmp_path))
    ds = get_dataset('CARS196', root, use_crops=True)
    assert (len(ds.train), ds.train.num_classes, len(ds.test), ds.test.num_classes) == (
        8054, 98, 8131, 98)
    np.testing.assert_allclose(ds.train.boxes[0], [10, 20, 100, 60])
    assert ds.test.class_names[0] == 'Car 99'


@pytest.mark.slow
def test_cars_converted_folder_layout_and_wrong_counts(tmp_path):
    root = layouts.write_cars_folders(str(tmp_path))
    ds = get_dataset('cars196', root)
    assert (len(ds.train), len(ds.test)) == (8054, 8131)
    assert ds.train.class_names[:3] == ['1', '2', '3'] and ds.test.class_names[0] == '99'
    with pytest.raises(DatasetError, match='no bounding boxes in this layout'):
        get_dataset('CARS196', root, use_crops=True)
    os.remove(os.path.join(root, '150', '00000.jpg'))
    with pytest.raises(DatasetError, match='expected 8131 test images, found 8130'):
        get_dataset('CARS196', root)


@pytest.mark.slow
def test_sop_official_split(tmp_path):
    root = layouts.write_sop(str(tmp_path))
    ds = get_dataset('SOP', root)
    assert (len(ds.train), ds.train.num_classes) == (59551, 11318)
    assert (len(ds.test), ds.test.num_classes) == (60502, 11316)
    assert ds.recall_ks == (1, 10, 100, 1000)
    with pytest.raises(DatasetError, match='has no bounding boxes'):
        get_dataset('SOP', root, use_crops=True)


def test_sop_playground_style_class_count_is_rejected(tmp_path):
    root = layouts.write_sop(str(tmp_path), train=(59551, 11317), test=(60502, 11317),
                             touch_files=False)
    with pytest.raises(DatasetError, match='expected 11318 train classes, found 11317'):
        get_dataset('SOP', root)


@pytest.mark.slow
def test_inshop_query_gallery_share_labels(tmp_path):
    root = layouts.write_inshop(str(tmp_path))
    ds = get_dataset('InShop', root)
    assert ds.test is None
    assert (len(ds.train), ds.train.num_classes) == (25882, 3997)
    assert (len(ds.query), len(ds.gallery)) == (14218, 12612)
    assert ds.query.num_classes == ds.gallery.num_classes == 3985
    def item(path):
        return path.split('/')[-2]
    label_of = {item(p): y for p, y in zip(ds.query.paths, ds.query.labels)}
    assert all(label_of[item(p)] == y for p, y in zip(ds.gallery.paths, ds.gallery.labels))
    assert ds.recall_ks == (1, 10, 20, 30, 40, 50)


def test_inshop_unknown_status(tmp_path):
    (tmp_path / 'list_eval_partition.txt').write_text('1\nimage_name item_id evaluation_status\n'
                                                      'img/a.jpg id_1 validation\n')
    with pytest.raises(DatasetError, match="unknown evaluation_status 'validation'"):
        get_dataset('InShop', str(tmp_path))


def test_unknown_dataset_and_missing_path():
    with pytest.raises(DatasetError, match='--dataset MNIST: unknown'):
        get_dataset('MNIST', '/tmp')
    with pytest.raises(DatasetError, match='--dataset CUB needs --data-path'):
        get_dataset('CUB')
