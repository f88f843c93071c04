"""Image decoding and the playground's train/test pre-processing, in OpenCV.

Train: optional force-resize, a random-sized crop (area 8-100 %, aspect
3/4-4/3, sides swapped with probability 1/2, interpolation drawn per image),
horizontal flip. Test: resize the shorter side to 256/224 of the image size,
centre crop. Both end with the backbone's own input scaling (mean, and std
where the backbone wants it) and CHW float32. Randomness comes from a
per-sample generator so results do not depend on worker processes.
"""
import math

import cv2
import numpy as np

INTERPOLATIONS = (cv2.INTER_NEAREST, cv2.INTER_LINEAR, cv2.INTER_AREA, cv2.INTER_CUBIC,
                  cv2.INTER_LANCZOS4)


def crop_box(img, box):
    """Cut an (x, y, w, h) box, clipped to the image; a degenerate box keeps the image."""
    x, y, w, h = (int(v) for v in box)
    height, width = img.shape[:2]
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, width), min(y + h, height)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return img
    return img[y0:y1, x0:x1]


def resize_short(img, size, interp=cv2.INTER_AREA):
    h, w = img.shape[:2]
    if h < w:
        new_h, new_w = size, max(1, int(round(w * size / h)))
    else:
        new_w, new_h = size, max(1, int(round(h * size / w)))
    return cv2.resize(img, (new_w, new_h), interpolation=interp)


def center_crop(img, size, interp=cv2.INTER_AREA):
    """The central size x size region; smaller images give their largest square, resized."""
    h, w = img.shape[:2]
    side = min(size, h, w)
    x0, y0 = (w - side) // 2, (h - side) // 2
    crop = img[y0:y0 + side, x0:x0 + side]
    if side != size:
        crop = cv2.resize(crop, (size, size), interpolation=interp)
    return crop


def random_sized_crop(img, size, rng, area=(0.08, 1.0), ratio=(3 / 4, 4 / 3), interp=None,
                      attempts=10):
    h, w = img.shape[:2]
    interp = interp if interp is not None else INTERPOLATIONS[rng.integers(len(INTERPOLATIONS))]
    for _ in range(attempts):
        target = rng.uniform(*area) * h * w
        aspect = rng.uniform(*ratio)
        new_w = int(round(math.sqrt(target * aspect)))
        new_h = int(round(math.sqrt(target / aspect)))
        if rng.random() < 0.5:
            new_w, new_h = new_h, new_w
        if 0 < new_w <= w and 0 < new_h <= h:
            x0 = rng.integers(w - new_w + 1)
            y0 = rng.integers(h - new_h + 1)
            return cv2.resize(img[y0:y0 + new_h, x0:x0 + new_w], (size, size),
                              interpolation=interp)
    return center_crop(img, size, interp)


class Normalize:
    """Subtract the mean (and divide by the std) on the 0-255 scale; HWC -> CHW float32."""

    def __init__(self, mean, std=None):
        self.mean = np.asarray(mean, np.float32).reshape(1, 1, 3)
        self.std = None if std is None else np.asarray(std, np.float32).reshape(1, 1, 3)

    def __call__(self, img):
        x = img.astype(np.float32) - self.mean
        if self.std is not None:
            x /= self.std
        return np.ascontiguousarray(x.transpose(2, 0, 1))


class TrainTransform:
    """Random-sized crop + flip, optionally after forcing the image to ``resize`` pixels square.

    The playground forces 256x256 first in its class-balanced samplers and
    crops the original image in its shuffled-batch scripts; ``resize``
    chooses between the two.
    """

    def __init__(self, size, normalize, resize=None, area=(0.08, 1.0), flip=True):
        self.size, self.normalize, self.resize, self.area, self.flip = (
            size, normalize, resize, area, flip)

    def __call__(self, img, rng):
        if self.resize:
            img = cv2.resize(img, (self.resize, self.resize), interpolation=cv2.INTER_AREA)
        img = random_sized_crop(img, self.size, rng, area=self.area)
        if self.flip and rng.random() < 0.5:
            img = img[:, ::-1]
        return self.normalize(img)


class EvalTransform:
    """Resize the shorter side to 256/224 of ``size``, then take the central crop."""

    def __init__(self, size, normalize):
        self.size, self.normalize = size, normalize
        self.resize = int(round(size * 256 / 224))

    def __call__(self, img, rng=None):
        return self.normalize(center_crop(resize_short(img, self.resize), self.size))
