"""The images of a folder tree, with the class folder each lies in.

An image is a file with one of the folder dataset's extensions anywhere under the root;
its class is the first folder below the root (none for images at the root itself), as
in the ``ROOT/<class>/<image>`` layout of ``--dataset folder``. Files with other
extensions are counted, so that the caller can say how many were left out.
"""
import os
from dataclasses import dataclass, field

from ...data.folder import IMAGE_EXTENSIONS


class ImageTreeError(ValueError):
    """A tree that cannot be indexed (the message names the folder)."""


@dataclass
class ImageTree:
    paths: list                       # absolute, sorted
    classes: list                     # the class folder of each ('' at the root)
    other_files: list = field(default_factory=list)   # not images by their extension


def list_images(root, split=None):
    """The images under ``root``; ``split`` ('train' or 'test') keeps the classes of that
    half as ``--dataset folder`` splits them (the first half of the sorted class folders
    trains, the rest test), e.g. the glyph dataset's test images."""
    if not os.path.isdir(root):
        raise ImageTreeError('--images %s is not a folder' % root)
    root = os.path.abspath(root)
    paths, others = [], []
    for folder, dirs, files in os.walk(root, followlinks=True):
        dirs.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            (paths if name.lower().endswith(IMAGE_EXTENSIONS) else others).append(path)
    classes = [class_folder(root, p) for p in paths]
    if split is not None:
        names = sorted({c for c in classes if c})
        half = len(names) // 2
        if half == 0:
            raise ImageTreeError('--split %s: %s has %d class folder(s); a split needs at '
                                 'least two' % (split, root, len(names)))
        chosen = set(names[:half] if split == 'train' else names[half:])
        keep = [i for i, c in enumerate(classes) if c in chosen]
        paths, classes = [paths[i] for i in keep], [classes[i] for i in keep]
    if not paths:
        raise ImageTreeError('--images %s holds no image files (%s)%s'
                             % (root, ' '.join(IMAGE_EXTENSIONS),
                                ' in the %s split' % split if split else ''))
    return ImageTree(paths, classes, others)


def class_folder(root, path):
    parts = os.path.relpath(path, root).split(os.sep)
    return parts[0] if len(parts) > 1 else ''
