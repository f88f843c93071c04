import numpy as np

from common.data.transforms import (
    EvalTransform,
    Normalize,
    TrainTransform,
    center_crop,
    crop_box,
    random_sized_crop,
    resize_short,
)

NORM = Normalize((123.68, 116.779, 103.939))


def image(h, w):
    rng = np.random.RandomState(0)
    return rng.randint(0, 256, size=(h, w, 3)).astype(np.uint8)


def test_eval_transform_resizes_short_side_then_centre_crops():
    out = EvalTransform(224, NORM)(image(300, 500))
    assert out.shape == (3, 224, 224) and out.dtype == np.float32
    assert resize_short(image(300, 500), 256).shape == (256, 427, 3)
    assert EvalTransform(32, NORM).resize == 37


def test_centre_crop_is_central_and_unscaled():
    img = np.arange(10 * 12).reshape(10, 12, 1).repeat(3, axis=2).astype(np.uint8)
    np.testing.assert_array_equal(center_crop(img, 4), img[3:7, 4:8])
    assert center_crop(image(5, 9), 8).shape == (8, 8, 3)  # smaller image: largest square, resized


def test_normalize_subtracts_mean_and_divides_by_std():
    img = np.full((2, 2, 3), 200, np.uint8)
    np.testing.assert_allclose(Normalize((100, 100, 100))(img), 100)
    np.testing.assert_allclose(Normalize((100, 100, 100), (50, 50, 50))(img), 2)


def test_train_transform_is_random_but_seeded():
    t = TrainTransform(64, NORM, resize=73)
    img = image(120, 90)
    a = t(img, np.random.default_rng(1))
    b = t(img, np.random.default_rng(1))
    c = t(img, np.random.default_rng(2))
    assert a.shape == (3, 64, 64)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_random_sized_crop_area_and_aspect():
    img = image(200, 200)
    rng = np.random.default_rng(0)
    for _ in range(50):
        assert random_sized_crop(img, 32, rng).shape == (32, 32, 3)


def test_crop_box_clips_to_the_image():
    img = image(50, 60)
    assert crop_box(img, (10, 5, 20, 30)).shape == (30, 20, 3)
    assert crop_box(img, (50, 40, 100, 100)).shape == (10, 10, 3)
    assert crop_box(img, (70, 70, 5, 5)).shape == (50, 60, 3)  # outside: keep the image

