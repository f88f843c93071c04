"""Datasets ``latin`` and ``kanji``: glyphs drawn from the fonts of Debian font packages.

Class = one character: ``latin`` has the 62 alphanumerics in the order
0-9A-Za-z, ``kanji`` the 2,965 JIS level-1 kanji in JIS order. Instance = one
distinct design of it: every installed font face that maps the character
draws it once (64 px, grayscale, ink centred on white), and a drawing that
differs in at most 8 % of pixels from a drawing kept before it (both cropped
to the ink and rescaled to a square) is a near-duplicate and dropped, so
weights, proportional/monospaced twins and regional variants of one design
count once. Faces are taken once per full name; faces that fail to draw a
glyph, draw it empty or draw their .notdef box are skipped for it, and so are
small letters drawn as their capital (caps-only faces; small caps of letters
unlike their capital). Latin faces that map the characters to glyphs named
after other symbols (cmsy10) are left out; faces that lie in their glyph
names too (jsMath's TeX fonts) are not caught, which is one reason why
packages/latin.txt leaves some packages out.

The class list is fixed and ``num_classes`` selects its first N; every
selected class needs at least ``MIN_DESIGNS`` designs, else the fonts are
missing and the error names the package list to install
(``common/data/fonts/packages/<name>.txt``). The first half of the selected
classes trains, the rest test.

Fonts are searched in /usr/share/fonts and /usr/local/share/fonts (or the
':'-separated folders of ``$DML_TOOLKIT_FONT_DIRS``). Drawings are rendered
in parallel once into ``<cache>/fonts-<name>-v1-<key>`` (``-first<N>`` when
only the first N classes were asked for and no full render exists), where
``<cache>`` is ``--data-path`` or the glyphs' cache base
(``$DML_TOOLKIT_CACHE``, default ~/.cache/dml-toolkit) and the key hashes the
font files (paths and sizes) and the drawing settings: installing fonts
renders anew instead of mixing. Its manifest.json records the faces, the font
files, the package list, the thresholds and the images of every class;
loading asserts those counts. Rendering runs in one process per core, started
with spawn: a script that renders needs the ``if __name__ == '__main__':`` guard.
"""
import hashlib
import json
import logging
import os
import shutil
import string
import tempfile
from dataclasses import astuple, dataclass

import numpy as np

from ... import _available_cores
from ..split import DatasetError, RetrievalDataset, build_split
from .drawing import (
    DEDUP_THRESHOLD,
    FIT,
    IMAGE_SIZE,
    INK_LEVEL,
    LOOKALIKES,
    SIGNATURE_SIZE,
    capital_form,
    draw_glyph,
    is_new_design,
    signature,
)
from .faces import faces_of_file, font_dirs, font_files
from .glyphs import default_cache_dir as _glyphs_cache_dir
from .parallel import job, run_tasks

VERSION = 1
MIN_DESIGNS = 2
MIN_CLASSES = 4  # so that both halves hold at least two classes
# Glyphs fill only part of their canvas; keep crops large, as for the glyphs dataset.
MIN_CROP_AREA = 0.35
PACKAGE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'packages')
log = logging.getLogger(__name__)


def jis_level1_kanji():
    """The 2,965 kanji of JIS X 0208 rows 16-47 in JIS order (row 47 has 51 cells)."""
    return ''.join(bytes([0xA0 + row, 0xA0 + cell]).decode('euc_jp')
                   for row in range(16, 48) for cell in range(1, 52 if row == 47 else 95))


@dataclass(frozen=True)
class FontSet:
    """One dataset: its characters and how they are drawn."""
    name: str
    characters: str
    what: str  # the characters, for messages
    em: float  # the font size as a share of the canvas
    check_names: bool  # drop faces that map the characters to other symbols (cmsy10)
    check_capitals: bool  # skip small letters drawn as their capital (caps-only fonts)

    @property
    def package_file(self):
        return os.path.join(PACKAGE_DIR, self.name + '.txt')


LATIN = FontSet('latin', string.digits + string.ascii_uppercase + string.ascii_lowercase,
                'the alphanumerics 0-9A-Za-z', 0.75, True, True)
KANJI = FontSet('kanji', jis_level1_kanji(), 'the JIS level-1 kanji', 0.8, False, False)


# --- finding the fonts ---------------------------------------------------------------------

def _scan_file(path):
    return faces_of_file(path, job['fontset'])


def scan_faces(fontset, files, processes=1):
    """The faces of ``files`` that map some of the characters, the first of each full name."""
    paths = [path for path, _ in files]
    found = run_tasks(_scan_file, paths, processes, fontset=fontset)
    faces, names = [], set()
    for per_file in found:
        for face in per_file:
            if face.characters and face.name not in names:
                names.add(face.name)
                faces.append(face)
    return faces


def class_folder(rank, char):
    return '%04d_U%04X' % (rank, ord(char))


def _render_class(task):
    """Draw one class with every face that maps it; keep and write its distinct designs."""
    import cv2
    rank, char, face_ids = task
    capital = char.upper() if job['check_capitals'] and char.islower() else None
    folder = os.path.join(job['root'], class_folder(rank, char))
    os.makedirs(folder)
    kept, failed = [], []
    signatures = np.zeros((len(face_ids), SIGNATURE_SIZE ** 2), bool)
    for f in face_ids:
        path, index, absent = job['faces'][f]
        try:
            pixels = draw_glyph(path, index, char, job['em'], absent)
            if pixels is not None and capital:
                twin = draw_glyph(path, index, capital, job['em'])
                if twin is not None and capital_form(pixels, twin, char):
                    continue  # a caps-only or small-caps face: its 'g' is a G
        except (OSError, ValueError) as e:  # e.g. 'invalid opcode' in the Ume S4/S5 faces
            failed.append((f, str(e)))
            continue
        if pixels is None:
            continue
        sig = signature(pixels)
        if is_new_design(sig, signatures[:len(kept)]):
            signatures[len(kept)] = sig
            kept.append(f)
            path = os.path.join(folder, 'f%04d.png' % f)
            if not cv2.imwrite(path, pixels):
                raise OSError('%s: cannot write %s' % (job['name'], path))
    return rank, kept, failed


# --- the cache -------------------------------------------------------------------------------

def default_cache_dir():
    """The folder holding the renders: the glyphs dataset's cache base."""
    return os.path.dirname(_glyphs_cache_dir())


def install_hint(fontset):
    path = os.path.relpath(fontset.package_file)
    if path.startswith('..'):
        path = fontset.package_file
    return "install them with: sudo apt-get install $(grep -v '^#' %s)" % path


def read_packages(fontset):
    if not os.path.isfile(fontset.package_file):
        return []
    with open(fontset.package_file) as f:
        return [line.strip() for line in f if line.strip() and not line.startswith('#')]


def cache_key(fontset, files):
    settings = [VERSION, astuple(fontset), IMAGE_SIZE, FIT, DEDUP_THRESHOLD, SIGNATURE_SIZE,
                INK_LEVEL, MIN_DESIGNS, LOOKALIKES]
    blob = json.dumps([settings, files], ensure_ascii=True)
    return hashlib.sha1(blob.encode()).hexdigest()[:12]


def _no_fonts(fontset, dirs):
    return DatasetError('--dataset %s: no fonts with %s found in %s; %s'
                        % (fontset.name, fontset.what, ', '.join(dirs), install_hint(fontset)))


def _check_designs(fontset, classes, dirs):
    poor = [(char, n) for _, char, n in classes if n < MIN_DESIGNS]
    if poor:
        char, n = poor[0]
        raise DatasetError(
            '--dataset %s: %d classes have fewer than %d designs (%s U+%04X has %d) in the fonts '
            'of %s; %s' % (fontset.name, len(poor), MIN_DESIGNS, char, ord(char), n,
                           ', '.join(dirs), install_hint(fontset)))


def render(fontset, folder, files, dirs, num_classes=None, processes=None):
    """Render the first ``num_classes`` classes (all when None) into the new ``folder``."""
    processes = processes or _available_cores()
    faces = scan_faces(fontset, files, processes)
    if not faces:
        raise _no_fonts(fontset, dirs)
    chars = fontset.characters[:num_classes]
    tasks = [(rank, c, [f for f, face in enumerate(faces) if c in face.characters])
             for rank, c in enumerate(chars)]
    os.makedirs(folder)
    results = run_tasks(_render_class, tasks, processes, root=folder, em=fontset.em,
                   check_capitals=fontset.check_capitals, name=fontset.name,
                   faces=[(f.path, f.index, f.absent) for f in faces])
    classes = [[class_folder(rank, chars[rank]), chars[rank], len(kept)]
               for rank, kept, _ in results]
    _check_designs(fontset, classes, dirs)
    failed = {}
    for _, _, errors in results:
        for f, error in errors:
            failed.setdefault(faces[f].name, error)
    for name, error in sorted(failed.items()):
        log.warning('%s: face %s failed to draw some glyphs (%s); skipped for them',
                    fontset.name, name, error)
    used = sorted({f for _, kept, _ in results for f in kept})
    manifest = {
        'version': VERSION, 'dataset': fontset.name, 'key': cache_key(fontset, files),
        'image_size': IMAGE_SIZE,
        'em': fontset.em, 'fit': FIT, 'dedup_threshold': DEDUP_THRESHOLD,
        'signature_size': SIGNATURE_SIZE, 'ink_level': INK_LEVEL, 'min_designs': MIN_DESIGNS,
        'font_dirs': dirs, 'packages': read_packages(fontset),
        'font_files': files,
        'font_files_used': sorted({faces[f].path for f in used}),
        'faces': [[face.name, face.path, face.index] for face in faces],
        'faces_used': len(used), 'faces_failed': failed,
        'classes': classes,
        'splits': _split_counts(classes),
    }
    with open(os.path.join(folder, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=1, ensure_ascii=False)
    return manifest


def _split_counts(classes):
    """{split: {'classes': C, 'images': N}} of the first-half-trains split of ``classes``."""
    half = len(classes) // 2
    return {name: {'classes': len(part), 'images': sum(n for _, _, n in part)}
            for name, part in (('train', classes[:half]), ('test', classes[half:]))}


def _read_manifest(folder):
    path = os.path.join(folder, 'manifest.json')
    if not os.path.isfile(path):
        raise DatasetError('%s has no manifest.json (an interrupted copy?); delete it to render '
                           'it again' % folder)
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError as e:
        raise DatasetError('%s is unreadable (%s); delete %s to render it again'
                           % (path, e, folder))


def ensure_rendered(fontset, cache=None, num_classes=None, dirs=None, processes=None):
    """The render folder holding (at least) the first ``num_classes`` classes, made if missing."""
    cache = cache or default_cache_dir()
    dirs = font_dirs(dirs)
    files = font_files(dirs)
    if not files:
        raise _no_fonts(fontset, dirs)
    full = os.path.join(cache, 'fonts-%s-v%d-%s' % (fontset.name, VERSION,
                                                     cache_key(fontset, files)))
    partial = num_classes is not None and num_classes < len(fontset.characters)
    target = full + '-first%d' % num_classes if partial else full
    for folder in (full, target):
        if os.path.isdir(folder):
            _read_manifest(folder)
            return folder
    os.makedirs(cache, exist_ok=True)
    # Render beside the target and rename, so concurrent users never see half a tree.
    tmp = tempfile.mkdtemp(prefix='.fonts-%s-' % fontset.name, dir=cache)
    try:
        render(fontset, os.path.join(tmp, 'data'), files, dirs,
               num_classes if partial else None, processes)
        try:
            os.rename(os.path.join(tmp, 'data'), target)
        except OSError:
            if not os.path.isfile(os.path.join(target, 'manifest.json')):
                raise  # lost a race only if the winner finished
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log.info('%s: rendered %s', fontset.name, target)
    return target


# --- loading ---------------------------------------------------------------------------------

def _check_num_classes(fontset, num_classes):
    total = len(fontset.characters)
    if num_classes is not None and not MIN_CLASSES <= num_classes <= total:
        raise DatasetError('--num-classes %d: --dataset %s has %d classes; choose %d to %d'
                           % (num_classes, fontset.name, total, MIN_CLASSES, total))


def _class_images(folder, name):
    path = os.path.join(folder, name)
    if not os.path.isdir(path):
        return []
    return [os.path.join(path, f) for f in sorted(os.listdir(path)) if f.endswith('.png')]


def load_fonts(fontset, root=None, num_classes=None, dirs=None, processes=None):
    """The RetrievalDataset of ``fontset``: its first ``num_classes`` classes, split in half."""
    _check_num_classes(fontset, num_classes)
    folder = ensure_rendered(fontset, root, num_classes, dirs, processes)
    manifest = _read_manifest(folder)
    classes = manifest['classes'][:num_classes]
    if num_classes is not None and len(classes) != num_classes:
        raise DatasetError('%s: %s lists %d classes, expected %d; delete it to render it again'
                           % (fontset.name, folder, len(classes), num_classes))
    _check_designs(fontset, classes, manifest['font_dirs'])
    half = len(classes) // 2
    hint = 'the cache %s changed since it was rendered; delete it to render it again' % folder
    splits = {}
    for name, part in (('train', classes[:half]), ('test', classes[half:])):
        images = [(key, p) for key, _, _ in part for p in _class_images(folder, key)]
        splits[name] = build_split(
            fontset.name, name, paths=[p for _, p in images], class_keys=[k for k, _ in images],
            expected=(sum(n for _, _, n in part), len(part)),
            key_order=[key for key, _, _ in part], hint=hint)
    return RetrievalDataset(fontset.name, splits['train'], test=splits['test'],
                            min_crop_area=MIN_CROP_AREA)


def load_latin(root=None, num_classes=None, dirs=None, processes=None):
    return load_fonts(LATIN, root, num_classes, dirs, processes)


def load_kanji(root=None, num_classes=None, dirs=None, processes=None):
    return load_fonts(KANJI, root, num_classes, dirs, processes)
