import numpy as np

from common.data import get_dataset
from common.data.image_dataset import ImageDataset
from common.data.loader import eval_loader, train_loader
from common.data.samplers import ClassBalancedBatchSampler
from common.data.transforms import EvalTransform, Normalize, TrainTransform

NORM = Normalize((123.68, 116.779, 103.939), (58.393, 57.12, 57.375))


def test_items_carry_their_own_label(glyph_root):
    split = get_dataset('glyphs', glyph_root).train
    ds = ImageDataset(split, EvalTransform(32, NORM))
    x, y = ds[5]
    assert x.shape == (3, 32, 32) and y == split.labels[5]
    a, _ = ImageDataset(split, TrainTransform(32, NORM))[(5, 99)]
    b, _ = ImageDataset(split, TrainTransform(32, NORM))[(5, 99)]
    np.testing.assert_array_equal(a, b)


def test_loaders_batch_labels_consistently_with_workers(glyph_root):
    split = get_dataset('glyphs', glyph_root).train
    sampler = ClassBalancedBatchSampler(split.labels, 16, 4, iterations=3, seed=0)
    expected = [split.labels[[i for i, _ in b]] for b in
                ClassBalancedBatchSampler(split.labels, 16, 4, iterations=3, seed=0)]
    batches = list(train_loader(split, TrainTransform(32, NORM), sampler, num_workers=2))
    assert [b[1].asnumpy().tolist() for b in batches] == [e.tolist() for e in expected]
    first = [b[0].asnumpy() for b in batches]
    sampler2 = ClassBalancedBatchSampler(split.labels, 16, 4, iterations=3, seed=0)
    again = [b[0].asnumpy() for b in train_loader(split, TrainTransform(32, NORM), sampler2, 0)]
    for x, y in zip(first, again):  # same images and augmentations with 0 or 2 workers
        np.testing.assert_array_equal(x, y)


def test_eval_loader_keeps_order(glyph_root):
    split = get_dataset('glyphs', glyph_root).test
    labels = np.concatenate([y.asnumpy() for _, y in
                             eval_loader(split, EvalTransform(32, NORM), 100)])
    np.testing.assert_array_equal(labels, split.labels)
