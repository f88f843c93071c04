"""Any ``ROOT/<class>/<image>`` tree, split by class.

Classes are sorted by folder name; the first half (rounded down, as the
playground does) trains and the rest test. A split file overrides that: one
``<class folder> train|test`` pair per line, every class listed.
"""
import logging
import os

from .split import DatasetError, RetrievalDataset, build_split, read_table, require_file

NAME = 'folder'
IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.ppm', '.pgm', '.tif', '.tiff', '.webp')
log = logging.getLogger(__name__)


def list_class_folders(root, dataset=NAME):
    if not os.path.isdir(root):
        raise DatasetError('%s: --data-path %s is not a directory' % (dataset, root))
    images = {}
    for name in sorted(os.listdir(root)):
        folder = os.path.join(root, name)
        if not os.path.isdir(folder):
            continue
        files = sorted(f for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))
        if files:
            images[name] = [os.path.join(folder, f) for f in files]
        else:
            log.warning('%s: skipping %s, it holds no image files (%s)', dataset, folder,
                        ', '.join(IMAGE_EXTENSIONS))
    if len(images) < 2:
        raise DatasetError('%s: %s needs at least two class folders with images (found %d)'
                           % (dataset, root, len(images)))
    return images


def _read_split_file(path, classes):
    require_file(NAME, path, 'pass an existing file as --folder-split')
    assignment = {}
    for parts in read_table(NAME, path, 2):
        if parts[1] not in ('train', 'test'):
            raise DatasetError('folder: %s assigns %s to %r; use train or test'
                               % (path, parts[0], parts[1]))
        assignment[parts[0]] = parts[1]
    unknown = sorted(set(assignment) - set(classes))
    unlisted = sorted(set(classes) - set(assignment))
    if unknown or unlisted:
        raise DatasetError('folder: %s %s class folder %s; list every class exactly once'
                           % (path, 'names the missing' if unknown else 'does not list the',
                              (unknown or unlisted)[0]))
    return assignment


def load_folder(root, split_file=None, dataset=NAME, expected=None):
    images = list_class_folders(root, dataset)
    classes = list(images)
    if split_file:
        assignment = _read_split_file(split_file, classes)
    else:
        n_train = len(classes) // 2
        assignment = {c: ('train' if i < n_train else 'test') for i, c in enumerate(classes)}
    splits = {}
    for name in ('train', 'test'):
        members = [c for c in classes if assignment[c] == name]
        if not members:
            raise DatasetError('%s: no class is assigned to the %s split' % (dataset, name))
        splits[name] = build_split(
            dataset, name,
            paths=[p for c in members for p in images[c]],
            class_keys=[c for c in members for _ in images[c]],
            expected=None if expected is None else expected[name],
            hint='the tree under %s changed; delete it to rebuild' % root)
    return RetrievalDataset(dataset, splits['train'], test=splits['test'])
