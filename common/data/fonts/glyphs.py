"""An embedded dataset that needs no download: glyphs of matplotlib's fonts.

Class = one of the 62 alphanumeric characters; instance = a font face that
matplotlib ships (about 21 usable ones) drawn with seeded small distortions
(rotation, scale, shear, shift, stroke weight). The images are rendered
once into a cache folder (``$DML_TOOLKIT_CACHE``, default
``~/.cache/dml-toolkit``) as a class-per-folder tree and then read like any
folder dataset. Classes are split like CUB: the first 31 class folders train,
the other 31 test. Folder names start with a rank drawn from a fixed
permutation, so both halves mix digits, capitals and small letters.
Training crops keep at least 35 % of the canvas (not the playground's 8 %).
"""
import json
import logging
import os
import shutil
import string
import tempfile
import zlib

import numpy as np

from ..folder import load_folder

NAME = 'glyphs'
VERSION = 1
CHARACTERS = string.digits + string.ascii_uppercase + string.ascii_lowercase
IMAGE_SIZE = 64
VARIANTS_PER_FACE = 3
# An 8 % crop of a glyph canvas often holds no ink at all; keep at least 35 %.
MIN_CROP_AREA = 0.35
log = logging.getLogger(__name__)


def default_cache_dir():
    base = os.environ.get('DML_TOOLKIT_CACHE')
    if not base:
        xdg = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
        base = os.path.join(xdg, 'dml-toolkit')
    return os.path.join(base, 'glyphs-v%d' % VERSION)


def _font_dir():
    import matplotlib
    return os.path.join(os.path.dirname(matplotlib.__file__), 'mpl-data', 'fonts', 'ttf')


def _maps_characters(cmap):
    """True when every character maps to a glyph named after it.

    Faces such as cmsy10 and cmex10 map ASCII code points to math symbols
    ('prime', 'parenlefttp'); old-style figures ('zerooldstyle') still count.
    """
    from fontTools.agl import UV2AGL
    for ch in CHARACTERS:
        glyph = cmap.get(ord(ch))
        if glyph is None:
            return False
        expected = UV2AGL.get(ord(ch), ch)
        if not (glyph.startswith(expected) or glyph == 'uni%04X' % ord(ch)):
            return False
    return True


def usable_faces(font_dir=None):
    """(path, full name) of each font face that draws all 62 characters as themselves."""
    from fontTools.ttLib import TTFont
    font_dir = font_dir or _font_dir()
    faces, seen = [], set()
    for filename in sorted(os.listdir(font_dir)):
        if not filename.lower().endswith(('.ttf', '.otf')):
            continue
        path = os.path.join(font_dir, filename)
        try:
            font = TTFont(path, lazy=True)
            name = font['name'].getDebugName(4) or filename
            ok = _maps_characters(font.getBestCmap() or {})
        except Exception as e:  # a broken font file is skipped, not fatal
            log.warning('glyphs: skipping %s (%s)', path, e)
            continue
        if ok and name not in seen:
            seen.add(name)
            faces.append((path, name))
    return faces


def _render(font_path, char, rng):
    import cv2
    from PIL import Image, ImageDraw, ImageFont
    size = IMAGE_SIZE
    points = int(size * 0.7)
    for _ in range(4):  # shrink the font until the glyph fits in 80% of the canvas
        font = ImageFont.truetype(font_path, points)
        left, top, right, bottom = ImageDraw.Draw(Image.new('L', (1, 1))).textbbox(
            (0, 0), char, font=font)
        extent = max(right - left, bottom - top)
        if extent <= 0.8 * size:
            break
        points = int(points * 0.8 * size / extent)
    img = Image.new('L', (size, size), 255)
    origin = ((size - (right - left)) / 2 - left, (size - (bottom - top)) / 2 - top)
    ImageDraw.Draw(img).text(origin, char, font=font, fill=0)
    pixels = np.asarray(img)
    angle, scale = rng.uniform(-10, 10), rng.uniform(0.85, 1.05)
    matrix = cv2.getRotationMatrix2D((size / 2, size / 2), angle, scale)
    matrix[0, 1] += rng.uniform(-0.15, 0.15)
    matrix[:, 2] += rng.uniform(-3, 3, size=2)
    pixels = cv2.warpAffine(pixels, matrix, (size, size), flags=cv2.INTER_LINEAR, borderValue=255)
    stroke = rng.integers(3)  # 0 as drawn, 1 bolder, 2 thinner
    if stroke:
        op = cv2.erode if stroke == 1 else cv2.dilate  # ink is dark: erode thickens it
        pixels = op(pixels, np.ones((2, 2), np.uint8))
    return pixels


def _class_folder(rank, char):
    return '%02d_U%04X' % (rank, ord(char))


def render_dataset(root, faces=None, variants=VARIANTS_PER_FACE):
    """Render every (character, face, variant) into ``root`` as PNG class folders."""
    import cv2
    faces = usable_faces() if faces is None else faces
    order = np.random.RandomState(0).permutation(len(CHARACTERS))
    rendered_faces = []
    os.makedirs(root)
    images = {}
    for path, name in faces:
        try:
            glyphs = {}
            for ch in CHARACTERS:
                for v in range(variants):
                    seed = zlib.crc32(('%s|%s|%d' % (name, ch, v)).encode())
                    glyphs[ch, v] = _render(path, ch, np.random.default_rng(seed))
        except OSError as e:  # e.g. 'invalid opcode' from a face FreeType cannot draw
            log.warning('glyphs: skipping face %s (%s)', name, e)
            continue
        rendered_faces.append(name)
        for (ch, v), pixels in glyphs.items():
            images[ch, len(rendered_faces) - 1, v] = pixels
    for rank, c in enumerate(order):
        os.makedirs(os.path.join(root, _class_folder(rank, CHARACTERS[c])))
    rank_of = {CHARACTERS[c]: rank for rank, c in enumerate(order)}
    for (ch, f, v), pixels in images.items():
        filename = 'f%02d_v%d.png' % (f, v)
        cv2.imwrite(os.path.join(root, _class_folder(rank_of[ch], ch), filename), pixels)
    per_class = len(rendered_faces) * variants
    half = len(CHARACTERS) // 2
    manifest = {
        'version': VERSION, 'faces': rendered_faces, 'variants_per_face': variants,
        'image_size': IMAGE_SIZE,
        'classes': [[_class_folder(rank_of[ch], ch), ch] for ch in CHARACTERS],
        'expected': {'train': [half * per_class, half],
                     'test': [(len(CHARACTERS) - half) * per_class, len(CHARACTERS) - half]},
    }
    with open(os.path.join(root, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1)
    return manifest


def ensure_rendered(root=None):
    """Return the cache folder, rendering it first if it is missing or stale."""
    root = root or default_cache_dir()
    manifest_path = os.path.join(root, 'manifest.json')
    if os.path.isfile(manifest_path):
        with open(manifest_path) as f:
            if json.load(f).get('version') == VERSION:
                return root
        raise ValueError('glyphs: %s holds another version of the dataset; delete it' % root)
    parent = os.path.dirname(os.path.abspath(root))
    os.makedirs(parent, exist_ok=True)
    # Render beside the target and rename, so concurrent users never see half a tree.
    tmp = tempfile.mkdtemp(prefix='.glyphs-', dir=parent)
    try:
        manifest = render_dataset(os.path.join(tmp, 'data'))
        if len(manifest['faces']) < 2:
            raise ValueError('glyphs: only %d usable font faces found in %s'
                             % (len(manifest['faces']), _font_dir()))
        try:
            os.rename(os.path.join(tmp, 'data'), root)
        except OSError:
            if not os.path.isfile(manifest_path):  # lost a race only if the winner finished
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info('glyphs: rendered %s', root)
    return root


def load_glyphs(root=None):
    root = ensure_rendered(root)
    with open(os.path.join(root, 'manifest.json')) as f:
        expected = {k: tuple(v) for k, v in json.load(f)['expected'].items()}
    dataset = load_folder(root, dataset=NAME, expected=expected)
    dataset.min_crop_area = MIN_CROP_AREA
    return dataset
