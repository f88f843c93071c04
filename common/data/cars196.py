"""Stanford Cars (Cars196) with the class-disjoint DML split.

Classes 1-98 train (8,054 images), 99-196 test (8,131 images). Two layouts
are read: the official ``cars_annos.mat`` + ``car_ims/`` (with bounding
boxes), and the playground's converted one-folder-per-class tree whose
folders are named 1..196 (no boxes). The ``test`` flag inside the .mat file
is the *classification* split and is ignored.
"""
import os

import numpy as np

from .folder import IMAGE_EXTENSIONS
from .split import DatasetError, RetrievalDataset, build_split

NAME = 'CARS196'
DOWNLOAD = ('download car_ims.tgz and cars_annos.mat (Stanford Cars, "all images and '
            'annotations") and pass the folder holding both as --data-path')
NUM_TRAIN_CLASSES = 98
EXPECTED = {'train': (8054, 98), 'test': (8131, 98)}


def _read_annotations(path):
    from scipy.io import loadmat
    try:
        mat = loadmat(path, squeeze_me=True)
        ann = mat['annotations']
        paths = [str(p) for p in ann['relative_im_path']]
        classes = [int(c) for c in ann['class']]
        x1, y1, x2, y2 = (np.asarray(ann[k], dtype=np.float64)
                          for k in ('bbox_x1', 'bbox_y1', 'bbox_x2', 'bbox_y2'))
    except (KeyError, ValueError, TypeError) as e:
        raise DatasetError('CARS196: %s is not the official cars_annos.mat (%s); %s'
                           % (path, e, DOWNLOAD))
    names = {i + 1: str(n) for i, n in enumerate(np.atleast_1d(mat.get('class_names', [])))}
    # The annotations are 1-based inclusive corners; store 0-based x, y, w, h.
    boxes = np.stack([x1 - 1, y1 - 1, x2 - x1 + 1, y2 - y1 + 1], axis=1)
    return paths, np.array(classes), boxes, names


def _read_class_folders(root):
    entries = [d for d in os.listdir(root) if os.path.isdir(os.path.join(root, d)) and d.isdigit()]
    if not entries:
        raise DatasetError('CARS196: %s has neither cars_annos.mat nor class folders named 1..196; '
                           '%s' % (root, DOWNLOAD))
    paths, classes = [], []
    for d in sorted(entries, key=int):
        folder = os.path.join(root, d)
        for f in sorted(os.listdir(folder)):
            if f.lower().endswith(IMAGE_EXTENSIONS):
                paths.append(os.path.join(d, f))
                classes.append(int(d))
    return paths, np.array(classes), None, {}


def load_cars196(root, expected=EXPECTED):
    annos = os.path.join(root, 'cars_annos.mat')
    if os.path.isfile(annos):
        paths, classes, boxes, names = _read_annotations(annos)
    else:
        paths, classes, boxes, names = _read_class_folders(root)
    # Class-folder trees are ranked numerically, so the split is by rank there.
    ranked = {c: r for r, c in enumerate(sorted(set(classes.tolist())))}
    splits = {}
    for name, keep in (('train', lambda c: ranked[c] < NUM_TRAIN_CLASSES),
                       ('test', lambda c: ranked[c] >= NUM_TRAIN_CLASSES)):
        sel = np.array([keep(c) for c in classes.tolist()], dtype=bool)
        splits[name] = build_split(
            NAME, name,
            paths=[os.path.join(root, p) for p, k in zip(paths, sel) if k],
            class_keys=classes[sel].tolist(),
            expected=expected[name],
            boxes=None if boxes is None else boxes[sel],
            class_names=names,
            hint='the dataset in %s is incomplete or not Cars196 (%s)' % (root, DOWNLOAD))
    return RetrievalDataset(NAME, splits['train'], test=splits['test'])
