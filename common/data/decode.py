"""Reading an image file into RGB uint8, or a one-line error naming the file.

Every reader of images (training, the resize cache, retrieval grids) goes
through :func:`read_image`, so they all see the same pixels:

* grayscale (8 or 16 bit) becomes three equal channels, CMYK JPEGs are
  converted by libjpeg, 16-bit samples keep their high byte (as OpenCV's
  colour decoding does);
* an alpha channel is composited over white, so that transparent areas look
  as a viewer shows them instead of whatever colour hides under alpha 0;
* formats OpenCV cannot decode (GIF) go through Pillow;
* empty, truncated and non-image files raise :class:`ImageReadError`. A JPEG
  cut short still decodes (libjpeg fills the rest with grey and only prints
  a warning), so it is caught by its missing end-of-image marker.
"""
import cv2
import numpy as np

JPEG_START, JPEG_END = b'\xff\xd8', b'\xff\xd9'
PNG_START = b'\x89PNG'
# Bytes at the end of a JPEG searched for the end marker: some writers pad after it.
JPEG_TAIL = 1024


class ImageReadError(IOError):
    """An image file that cannot be used as it is."""


def _fail(path, problem, todo='replace or remove the file'):
    raise ImageReadError('image %s %s; %s' % (path, problem, todo))


def _read_bytes(path):
    try:
        return np.fromfile(path, dtype=np.uint8)
    except FileNotFoundError:
        _fail(path, 'not found', 'check --data-path, or rebuild the dataset folder')
    except IsADirectoryError:
        _fail(path, 'is a directory, not an image file', 'rename or remove it')
    except OSError as e:
        _fail(path, 'cannot be read (%s)' % (e.strerror or e), 'check its permissions')


def _with_pillow(path):
    from PIL import Image
    try:
        with Image.open(path) as img:
            return cv2.cvtColor(np.asarray(img.convert('RGBA')), cv2.COLOR_RGBA2BGRA)
    except Exception:  # Pillow raises many types for non-images; the caller names the file
        return None


def _over_white(bgra):
    alpha = bgra[:, :, 3:4].astype(np.float32) / 255.0
    return (bgra[:, :, :3] * alpha + 255.0 * (1.0 - alpha) + 0.5).astype(np.uint8)


def read_image(path):
    """RGB uint8 HWC pixels of the image file at ``path``."""
    data = _read_bytes(path)
    if data.size == 0:
        _fail(path, 'is empty (0 bytes)', 'download or copy it again')
    head, tail = data[:4].tobytes(), data[-JPEG_TAIL:].tobytes()
    if head.startswith(JPEG_START) and JPEG_END not in tail:
        _fail(path, 'is truncated (the JPEG has no end marker)', 'download or copy it again')
    # JPEGs keep OpenCV's colour decoding (it applies the EXIF orientation); files that may
    # carry alpha or 16-bit samples are read as they are and converted here.
    flag = cv2.IMREAD_COLOR if head.startswith(JPEG_START) else cv2.IMREAD_UNCHANGED
    img = cv2.imdecode(data, flag)
    if img is None:
        img = _with_pillow(path)
    if img is None:
        _fail(path, 'cannot be decoded (truncated, or not an image)')
    if img.dtype == np.uint16:
        img = (img >> 8).astype(np.uint8)
    elif img.dtype != np.uint8:
        _fail(path, 'has %s samples; only 8- and 16-bit images are supported' % img.dtype,
              'convert it to 8-bit')
    if img.ndim == 2 or img.shape[2] == 1:
        return cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    if img.shape[2] == 4:
        img = _over_white(img)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
