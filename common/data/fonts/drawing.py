"""Drawing one glyph of a font face, and telling near-duplicate drawings apart."""
import numpy as np

IMAGE_SIZE = 64
# The ink of a glyph spans at most this share of the canvas (larger glyphs are drawn smaller).
FIT = 0.9
# A drawing is a new design if it differs from every kept one in more than this share of
# pixels, compared as SIGNATURE_SIZE squares of the ink cropped tight.
DEDUP_THRESHOLD = 0.08
SIGNATURE_SIZE = 64
INK_LEVEL = 128  # darker pixels are ink
# Small letters shaped like their capital in many ordinary fonts (5-53 % of faces).
LOOKALIKES = 'cijosvwxyz'


_fonts = {}  # (path, index, points) -> FreeTypeFont, per process
_notdefs = {}  # (path, index, points, code point) -> ink of the .notdef box, per process


def forget_fonts():
    _fonts.clear()
    _notdefs.clear()


def _font(path, index, points):
    from PIL import ImageFont
    key = (path, index, points)
    if key not in _fonts:
        _fonts[key] = ImageFont.truetype(path, points, index=index,
                                         layout_engine=ImageFont.Layout.BASIC)
    return _fonts[key]


def _ink(font, char):
    """The glyph drawn black on white and cropped to its ink; None when nothing is drawn."""
    from PIL import Image, ImageDraw
    left, top, right, bottom = font.getbbox(char)
    if right <= left or bottom <= top:
        return None
    img = Image.new('L', (right - left + 4, bottom - top + 4), 255)
    ImageDraw.Draw(img).text((2 - left, 2 - top), char, font=font, fill=0)
    pixels = np.asarray(img)
    if pixels.min() >= INK_LEVEL:
        return None
    rows, cols = np.flatnonzero((pixels < 255).any(1)), np.flatnonzero((pixels < 255).any(0))
    return pixels[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]


def _centred(ink):
    import cv2
    limit = int(FIT * IMAGE_SIZE)
    if max(ink.shape) > limit:  # still too large after shrinking the font: scale the bitmap
        scale = limit / max(ink.shape)
        ink = cv2.resize(ink, (max(1, round(ink.shape[1] * scale)),
                               max(1, round(ink.shape[0] * scale))), interpolation=cv2.INTER_AREA)
    canvas = np.full((IMAGE_SIZE, IMAGE_SIZE), 255, np.uint8)
    y, x = (IMAGE_SIZE - ink.shape[0]) // 2, (IMAGE_SIZE - ink.shape[1]) // 2
    canvas[y:y + ink.shape[0], x:x + ink.shape[1]] = ink
    return canvas


def draw_glyph(path, index, char, em, absent=None):
    """``char`` of a face as an IMAGE_SIZE grayscale canvas with its ink centred.

    The font size is ``em`` of the canvas, smaller for a glyph that would not fit.
    None when the glyph has no ink or is the face's .notdef box (drawn for the
    unmapped code point ``absent``). FreeType errors propagate (OSError).
    """
    points = int(round(em * IMAGE_SIZE))
    for _ in range(4):
        font = _font(path, index, points)
        ink = _ink(font, char)
        if ink is None or max(ink.shape) <= FIT * IMAGE_SIZE:
            break
        points = max(1, int(points * FIT * IMAGE_SIZE / max(ink.shape)))
    if ink is None:
        return None
    if absent is not None:
        key = (path, index, points, absent)
        if key not in _notdefs:
            _notdefs[key] = _ink(font, chr(absent))
        notdef = _notdefs[key]
        if notdef is not None and notdef.shape == ink.shape and (notdef == ink).all():
            return None
    return _centred(ink)


def signature(pixels):
    """The ink cropped tight, padded to a square and rescaled: what near-duplicates share."""
    import cv2
    ink = pixels < INK_LEVEL
    if not ink.any():  # only a glyph scaled down hard can lose all its dark pixels
        return np.zeros(SIGNATURE_SIZE ** 2, bool)
    rows, cols = np.flatnonzero(ink.any(1)), np.flatnonzero(ink.any(0))
    ink = ink[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1]
    side = max(ink.shape)
    square = np.zeros((side, side), np.float32)
    y, x = (side - ink.shape[0]) // 2, (side - ink.shape[1]) // 2
    square[y:y + ink.shape[0], x:x + ink.shape[1]] = ink
    size = (SIGNATURE_SIZE, SIGNATURE_SIZE)
    return cv2.resize(square, size, interpolation=cv2.INTER_AREA).ravel() >= 0.5


def is_new_design(sig, kept):
    """True when ``sig`` differs from every kept signature (rows of ``kept``) in more than
    DEDUP_THRESHOLD of its pixels."""
    if not len(kept):
        return True
    return np.count_nonzero(kept != sig, axis=1).min() > DEDUP_THRESHOLD * sig.size


def capital_form(pixels, capital, char):
    """True when a small letter is drawn as its capital (``capital`` is that drawing)."""
    if (pixels == capital).all():
        return True
    # Small caps: the capital's shape, smaller. Only letters that differ from their capital
    # in ordinary fonts can tell; measured, fewer than 3 % of faces draw those alike.
    return char not in LOOKALIKES and not is_new_design(signature(pixels),
                                                        signature(capital)[None])
