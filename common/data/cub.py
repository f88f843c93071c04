"""CUB-200-2011 in its official layout, with the class-disjoint DML split.

Classes 1-100 train (5,864 images), classes 101-200 test (5,924 images).
The official ``train_test_split.txt`` is the *classification* split (every
class on both sides) and is deliberately ignored.
"""
import os

import numpy as np

from .split import DatasetError, RetrievalDataset, build_split, read_table, require_file

NAME = 'CUB'
DOWNLOAD = ('download CUB_200_2011.tgz from https://www.vision.caltech.edu/datasets/cub_200_2011/ '
            'and pass the extracted CUB_200_2011 folder as --data-path')
NUM_TRAIN_CLASSES = 100
EXPECTED = {'train': (5864, 100), 'test': (5924, 100)}


def _table(root, filename, ncols):
    path = require_file(NAME, os.path.join(root, filename), DOWNLOAD)
    return {int(r[0]): r[1:] for r in read_table(NAME, path, ncols)}


def load_cub(root, expected=EXPECTED):
    images = _table(root, 'images.txt', 2)
    labels = _table(root, 'image_class_labels.txt', 2)
    boxes = _table(root, 'bounding_boxes.txt', 5)
    class_names = {int(k): v[0] for k, v in _table(root, 'classes.txt', 2).items()}
    for filename, table in (('image_class_labels.txt', labels), ('bounding_boxes.txt', boxes)):
        if set(table) != set(images):
            odd = sorted(set(table) ^ set(images))[0]
            raise DatasetError('CUB: %s and images.txt disagree on image id %d; re-extract the '
                               'dataset' % (os.path.join(root, filename), odd))
    ids = sorted(images)
    splits = {}
    for name, in_split in (('train', lambda c: c <= NUM_TRAIN_CLASSES),
                           ('test', lambda c: c > NUM_TRAIN_CLASSES)):
        sel = [i for i in ids if in_split(int(labels[i][0]))]
        splits[name] = build_split(
            NAME, name,
            paths=[os.path.join(root, 'images', images[i][0]) for i in sel],
            class_keys=[int(labels[i][0]) for i in sel],
            expected=expected[name],
            boxes=np.array([[float(v) for v in boxes[i][:4]] for i in sel]),
            class_names=class_names,
            hint='check images.txt and image_class_labels.txt in %s (%s)' % (root, DOWNLOAD))
    return RetrievalDataset(NAME, splits['train'], test=splits['test'])
