"""A Gluon dataset over an :class:`ImageSplit`."""
import numpy as np
from mxnet.gluon.data import Dataset

from .decode import read_image
from .transforms import crop_box


class ImageDataset(Dataset):
    """Returns ``(CHW float32 image, int32 label)``.

    Keys are plain indices (deterministic transforms) or ``(index, seed)``
    pairs from the samplers: the seed drives that sample's augmentation, so
    a batch is the same whichever worker process decodes it.
    """

    def __init__(self, split, transform, use_crops=False):
        if use_crops and split.boxes is None:
            raise ValueError('--use-crops: the %s split has no bounding boxes' % split.name)
        self.split, self.transform, self.use_crops = split, transform, use_crops

    def __len__(self):
        return len(self.split)

    def __getitem__(self, key):
        index, seed = key if isinstance(key, tuple) else (key, None)
        img = read_image(self.split.paths[index])
        if self.use_crops:
            img = crop_box(img, self.split.boxes[index])
        rng = np.random.default_rng(seed) if seed is not None else None
        return self.transform(img, rng), np.int32(self.split.labels[index])
