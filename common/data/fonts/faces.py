"""Finding font files and the faces in them that map a set of characters."""
import logging
import os
import re
from dataclasses import dataclass

FONT_DIRS = ('/usr/share/fonts', '/usr/local/share/fonts')
FONT_DIRS_ENV = 'DML_TOOLKIT_FONT_DIRS'
FONT_EXTENSIONS = ('.ttf', '.otf', '.ttc', '.otc')
# Code points that text fonts do not map: drawing one shows the face's .notdef box.
ABSENT_CODE_POINTS = (0x10FFFD, 0xFFFFD, 0xE7FF)
# Glyph names that say nothing about the character (CID-keyed and unnamed fonts).
ANONYMOUS_GLYPH = re.compile(r'^(cid|glyph|gid|g|index)\d+$')
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Face:
    """A face of a font file and the characters of a FontSet that it maps."""
    path: str
    index: int  # the face's number in a .ttc/.otc collection
    name: str
    characters: str
    absent: int  # a code point the face does not map, to draw its .notdef box


def font_dirs(dirs=None):
    if dirs is None:
        env = os.environ.get(FONT_DIRS_ENV)
        dirs = env.split(os.pathsep) if env else FONT_DIRS
    return [d for d in dirs if d]


def font_files(dirs):
    """Sorted (path, size) of the font files under ``dirs``; a file linked twice counts once."""
    by_target = {}
    for top in dirs:
        for folder, subdirs, files in os.walk(top):
            subdirs.sort()
            for filename in sorted(files):
                if not filename.lower().endswith(FONT_EXTENSIONS):
                    continue
                path = os.path.join(folder, filename)
                target = os.path.realpath(path)
                # Prefer the real file to a compatibility symlink (fonts-japanese-gothic.ttf).
                if os.path.isfile(target) and (target not in by_target
                                               or os.path.islink(by_target[target])):
                    by_target[target] = path
    return sorted((path, os.path.getsize(path)) for path in by_target.values())


def _named_as(glyph, char):
    """False when the glyph for ``char`` is named after another symbol ('prime' in cmsy10)."""
    from fontTools.agl import UV2AGL
    expected = UV2AGL.get(ord(char), char)
    return (glyph.startswith(expected) or glyph in ('uni%04X' % ord(char), 'u%04X' % ord(char))
            or bool(ANONYMOUS_GLYPH.match(glyph)))


def _read_face(font, path, index, fontset):
    name = font['name'].getDebugName(4) or '%s#%d' % (os.path.basename(path), index)
    if not fontset.check_names:  # reading the real glyph names costs most of the scan
        font.setGlyphOrder(['.notdef'] + ['g%d' % i for i in range(1, font['maxp'].numGlyphs)])
    cmap = font.getBestCmap() or {}
    chars = ''.join(c for c in fontset.characters if cmap.get(ord(c), '.notdef') != '.notdef')
    if fontset.check_names and not all(_named_as(cmap[ord(c)], c) for c in chars):
        chars = ''
    absent = next((cp for cp in ABSENT_CODE_POINTS if cp not in cmap), ABSENT_CODE_POINTS[0])
    return Face(path, index, name, chars, absent)


def faces_of_file(path, fontset):
    """The faces of one font file; a broken file gives none (and a warning), not an error."""
    from fontTools.ttLib import TTCollection, TTFont
    logging.getLogger('fontTools').setLevel(logging.ERROR)  # 'extra bytes in post table'
    try:
        if path.lower().endswith(('.ttc', '.otc')):
            with TTCollection(path, lazy=True) as collection:
                return [_read_face(font, path, i, fontset) for i, font in enumerate(collection)]
        with TTFont(path, lazy=True) as font:
            return [_read_face(font, path, 0, fontset)]
    except Exception as e:
        log.warning('%s: skipping %s (%s)', fontset.name, path, e)
        return []
