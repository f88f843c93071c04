"""Image files as users have them: every colour mode decodes to RGB, broken files are named."""
import cv2
import numpy as np
import pytest
from PIL import Image

from common.data.decode import ImageReadError, read_image
from common.data.transforms import EvalTransform, Normalize, TrainTransform

PIXELS = np.random.default_rng(0).integers(0, 256, size=(40, 50, 3)).astype(np.uint8)


def saved(tmp_path, name, image, **options):
    path = str(tmp_path / name)
    image.save(path, **options)
    return path


def test_rgb_jpeg_is_opencvs_colour_decoding(tmp_path):
    path = saved(tmp_path, 'rgb.jpg', Image.fromarray(PIXELS), quality=95)
    np.testing.assert_array_equal(read_image(path), cv2.imread(path)[:, :, ::-1])


@pytest.mark.parametrize('name,mode', [('gray.jpg', 'L'), ('gray.png', 'L'), ('cmyk.jpg', 'CMYK'),
                                       ('palette.png', 'P'), ('palette.gif', 'P'),
                                       ('rgb.bmp', 'RGB'), ('rgb.webp', 'RGB')])
def test_colour_modes_become_three_channel_rgb(tmp_path, name, mode):
    path = saved(tmp_path, name, Image.fromarray(PIXELS).convert(mode))
    img = read_image(path)
    assert img.shape == (40, 50, 3) and img.dtype == np.uint8
    expected = np.asarray(Image.open(path).convert('RGB'), dtype=np.float64)
    assert np.abs(img - expected).mean() < 3  # decoders may round CMYK differently
    if mode == 'L':
        assert (img[:, :, 0] == img[:, :, 1]).all() and (img[:, :, 1] == img[:, :, 2]).all()


def test_sixteen_bit_grayscale_keeps_the_high_byte(tmp_path):
    path = saved(tmp_path, 'g16.png', Image.fromarray(PIXELS[:, :, 0].astype(np.uint16) * 257))
    np.testing.assert_array_equal(read_image(path)[:, :, 1], PIXELS[:, :, 0])


def test_alpha_is_composited_over_white(tmp_path):
    alpha = np.zeros((40, 50), np.uint8)
    alpha[:, 25:] = 255  # left half transparent, right half opaque
    alpha[0, 0] = 128
    path = saved(tmp_path, 'alpha.png', Image.fromarray(np.dstack([PIXELS, alpha])))
    img = read_image(path)
    assert (img[1:, :25] == 255).all()
    np.testing.assert_array_equal(img[:, 25:], PIXELS[:, 25:])
    half = PIXELS[0, 0].astype(float) * 128 / 255 + 255 * 127 / 255
    np.testing.assert_allclose(img[0, 0], half, atol=1)


@pytest.mark.parametrize('name,content,problem', [
    ('text.jpg', b'not a jpeg at all', 'cannot be decoded'),
    ('empty.jpg', b'', 'is empty'),
    ('cut.jpg', 'half jpeg', 'is truncated'),
    ('cut.png', 'half png', 'cannot be decoded'),
])
def test_broken_files_are_named_with_what_to_do(tmp_path, name, content, problem):
    if isinstance(content, str):  # the first half of a real file
        whole = saved(tmp_path, 'whole' + name[-4:], Image.fromarray(PIXELS))
        data = open(whole, 'rb').read()
        content = data[:len(data) // 2]
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImageReadError) as error:
        read_image(str(path))
    message = str(error.value)
    assert str(path) in message and problem in message and '; ' in message
    assert '\n' not in message


def test_missing_file_and_directory_are_named(tmp_path):
    with pytest.raises(ImageReadError, match='missing.jpg not found; check --data-path'):
        read_image(str(tmp_path / 'missing.jpg'))
    (tmp_path / 'folder.jpg').mkdir()
    with pytest.raises(ImageReadError, match='folder.jpg is a directory'):
        read_image(str(tmp_path / 'folder.jpg'))


def test_jpeg_padded_after_its_end_marker_is_not_truncated(tmp_path):
    path = saved(tmp_path, 'padded.jpg', Image.fromarray(PIXELS))
    with open(path, 'ab') as f:
        f.write(b'\0' * 100)
    assert read_image(path).shape == (40, 50, 3)


@pytest.mark.parametrize('height,width', [(1, 1), (3, 2), (7, 300)])
def test_images_smaller_than_the_crop_are_scaled_up(tmp_path, height, width):
    path = saved(tmp_path, 'tiny.png', Image.fromarray(PIXELS[:1, :1].repeat(height, 0)
                                                      .repeat(width, 1)))
    img = read_image(path)
    normalize = Normalize((0, 0, 0))
    rng = np.random.default_rng(0)
    for transform in (TrainTransform(64, normalize), EvalTransform(64, normalize)):
        out = transform(img, rng)
        assert out.shape == (3, 64, 64) and np.isfinite(out).all()
