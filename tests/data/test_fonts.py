"""The latin and kanji datasets, drawn from the small font set of fonts/packages/ci.txt."""
import glob
import json
import os
import shutil

import numpy as np
import pytest

from common.data import DatasetError, get_dataset
from common.data.decode import read_image
from common.data.fonts import font_sets
from common.data.fonts.faces import FONT_DIRS_ENV


@pytest.fixture(scope='session')
def kanji_cache(tmp_path_factory, ci_fonts):
    """The first 12 kanji rendered once (serially) into a session cache."""
    cache = str(tmp_path_factory.mktemp('font-cache'))
    font_sets.load_kanji(cache, num_classes=12, dirs=[ci_fonts], processes=1)
    return cache


def _manifest(dataset_folder):
    with open(os.path.join(dataset_folder, 'manifest.json')) as f:
        return json.load(f)


def _render_folder(cache, name):
    (folder,) = glob.glob(os.path.join(cache, 'fonts-%s-v*' % name))
    return folder


def _font_file(ci_fonts, name):
    return os.path.join(ci_fonts, name)


def test_jis_level1_kanji_in_jis_order():
    kanji = font_sets.jis_level1_kanji()
    assert len(kanji) == len(set(kanji)) == 2965
    assert kanji[:3] == '亜唖娃' and kanji[-1] == '腕'
    assert all('\u4e00' <= k <= '\u9fff' for k in kanji)


def test_counts_recorded_in_the_manifest(kanji_cache, ci_fonts):
    ds = font_sets.load_kanji(kanji_cache, num_classes=12, dirs=[ci_fonts])
    manifest = _manifest(_render_folder(kanji_cache, 'kanji'))
    assert ds.split_counts() == manifest['splits']
    assert [c[1] for c in manifest['classes']] == list(font_sets.KANJI.characters[:12])
    assert all(n >= font_sets.MIN_DESIGNS for _, _, n in manifest['classes'])
    assert manifest['dedup_threshold'] == font_sets.DEDUP_THRESHOLD
    assert 'fonts-noto-cjk' in manifest['packages']
    assert set(manifest['font_files_used']) <= {path for path, _ in manifest['font_files']}


def test_a_changed_cache_is_an_error(kanji_cache, ci_fonts, tmp_path):
    cache = str(tmp_path / 'cache')
    shutil.copytree(kanji_cache, cache, symlinks=True)
    folder = _render_folder(cache, 'kanji')
    victim = sorted(glob.glob(os.path.join(folder, '*', '*.png')))[-1]
    os.remove(victim)
    with pytest.raises(DatasetError, match=r'expected \d+ test images, found \d+; the cache .* '
                                           r'changed since it was rendered; delete it'):
        font_sets.load_kanji(cache, num_classes=12, dirs=[ci_fonts])


def test_split_is_class_disjoint_first_half_trains(kanji_cache, ci_fonts):
    ds = font_sets.load_kanji(kanji_cache, num_classes=12, dirs=[ci_fonts])
    assert ds.name == 'kanji' and ds.recall_ks == (1, 2, 4, 8, 16, 32)
    assert ds.min_crop_area == font_sets.MIN_CROP_AREA
    chars = font_sets.KANJI.characters
    folders = [font_sets.class_folder(i, c) for i, c in enumerate(chars[:12])]
    assert ds.train.class_names == folders[:6] and ds.test.class_names == folders[6:]
    assert not set(ds.train.paths) & set(ds.test.paths)


def test_num_classes_takes_the_first_classes(ci_fonts, tmp_path):
    ds = font_sets.load_latin(str(tmp_path), num_classes=5, dirs=[ci_fonts], processes=1)
    assert ds.train.num_classes == 2 and ds.test.num_classes == 3
    names = ds.train.class_names + ds.test.class_names
    assert names == [font_sets.class_folder(i, c) for i, c in enumerate('01234')]
    with pytest.raises(DatasetError, match=r'^--num-classes 3: --dataset latin has 62 classes'):
        font_sets.load_latin(str(tmp_path), num_classes=3, dirs=[ci_fonts])


@pytest.mark.slow
def test_a_full_render_serves_every_num_classes(ci_fonts, tmp_path, monkeypatch):
    full = font_sets.load_latin(str(tmp_path), dirs=[ci_fonts])
    assert full.train.num_classes == 31 and full.test.num_classes == 31
    monkeypatch.setattr(font_sets, 'render', lambda *a, **k: pytest.fail('rendered again'))
    part = font_sets.load_latin(str(tmp_path), num_classes=10, dirs=[ci_fonts])
    assert part.train.paths == full.train.paths[:len(part.train)]


def test_near_duplicates_count_once(ci_fonts, tmp_path):
    from fontTools.ttLib import TTFont
    faces = tmp_path / 'faces'
    faces.mkdir()
    for name in ('DejaVuSans.ttf', 'Cantarell-Thin.otf'):  # their digits differ by 16-23 %
        shutil.copy(_font_file(ci_fonts, name), faces / name)
    # The same glyphs under another full name: only the bitmap comparison can catch it.
    twin = TTFont(_font_file(ci_fonts, 'DejaVuSans.ttf'))
    for record in twin['name'].names:
        if record.nameID in (1, 4, 6):
            record.string = 'Twin Sans'
    twin.save(str(faces / 'TwinSans.ttf'))
    ds = font_sets.load_latin(str(tmp_path / 'cache'), num_classes=4, dirs=[str(faces)],
                              processes=1)
    manifest = _manifest(_render_folder(str(tmp_path / 'cache'), 'latin'))
    assert sorted(name for name, _, _ in manifest['faces']) == [
        'Cantarell Thin', 'DejaVu Sans', 'Twin Sans']
    assert len(ds.train) == len(ds.test) == 2 * 2  # two classes of two designs per split


def test_new_design_threshold():
    canvas = np.full((64, 64), 255, np.uint8)
    canvas[10:50, 20:30] = 0
    bigger = np.full((64, 64), 255, np.uint8)
    bigger[4:60, 18:32] = 0  # the same bar, larger: equal once cropped and rescaled
    other = np.full((64, 64), 255, np.uint8)
    other[10:50, 10:50] = 0
    kept = font_sets.signature(canvas)[None]
    assert not font_sets.is_new_design(font_sets.signature(bigger), kept)
    assert font_sets.is_new_design(font_sets.signature(other), kept)


def test_a_face_that_fails_to_draw_is_skipped(ci_fonts, tmp_path, monkeypatch, caplog):
    draw = font_sets.draw_glyph

    def failing(path, *args, **kwargs):
        if path.endswith('DejaVuSerif.ttf'):
            raise OSError('invalid opcode')
        return draw(path, *args, **kwargs)

    faces = tmp_path / 'faces'
    faces.mkdir()
    for name in ('DejaVuSans.ttf', 'DejaVuSerif.ttf', 'Cantarell-Thin.otf'):
        os.symlink(_font_file(ci_fonts, name), faces / name)
    monkeypatch.setattr(font_sets, 'draw_glyph', failing)
    ds = font_sets.load_latin(str(tmp_path / 'cache'), num_classes=4, dirs=[str(faces)],
                              processes=1)
    manifest = _manifest(_render_folder(str(tmp_path / 'cache'), 'latin'))
    assert manifest['faces_failed'] == {'DejaVu Serif': 'invalid opcode'}
    assert len(ds.train) + len(ds.test) == 4 * 2
    assert 'DejaVu Serif failed to draw' in caplog.text


def test_missing_fonts_name_the_install_command(tmp_path):
    empty = tmp_path / 'no-fonts'
    empty.mkdir()
    with pytest.raises(DatasetError) as e:
        font_sets.load_kanji(str(tmp_path / 'cache'), num_classes=4, dirs=[str(empty)])
    message = str(e.value)
    assert '\n' not in message
    assert message.startswith('--dataset kanji: no fonts with the JIS level-1 kanji found in %s'
                              % empty)
    # Run from the repository, the hint names common/data/fonts/packages/kanji.txt.
    assert message.endswith("install them with: sudo apt-get install $(grep -v '^#' %s)"
                            % os.path.relpath(font_sets.KANJI.package_file))


def test_latin_fonts_do_not_cover_kanji(ci_fonts, tmp_path):
    faces = tmp_path / 'faces'
    faces.mkdir()
    os.symlink(_font_file(ci_fonts, 'DejaVuSans.ttf'), faces / 'DejaVuSans.ttf')
    with pytest.raises(DatasetError, match='^--dataset kanji: no fonts with the JIS level-1'):
        font_sets.load_kanji(str(tmp_path / 'cache'), num_classes=4, dirs=[str(faces)])
    with pytest.raises(DatasetError, match=r"^--dataset latin: 4 classes have fewer than 2 "
                                           r"designs .* install them with: sudo apt-get"):
        font_sets.load_latin(str(tmp_path / 'cache'), num_classes=4, dirs=[str(faces)])


def test_second_load_reuses_the_cache(kanji_cache, ci_fonts, monkeypatch):
    monkeypatch.setattr(font_sets, 'render', lambda *a, **k: pytest.fail('rendered again'))
    font_sets.load_kanji(kanji_cache, num_classes=12, dirs=[ci_fonts])


def test_more_fonts_change_the_cache_key(ci_fonts):
    files = font_sets.font_files([ci_fonts])
    key = font_sets.cache_key(font_sets.KANJI, files)
    assert font_sets.cache_key(font_sets.KANJI, files[1:]) != key
    grown = files[:1] + [(files[0][0], files[0][1] + 1)] + files[1:]
    assert font_sets.cache_key(font_sets.KANJI, grown) != key
    assert font_sets.cache_key(font_sets.LATIN, files) != key


def test_parallel_and_serial_renders_agree(ci_fonts, tmp_path):
    serial = font_sets.ensure_rendered(font_sets.KANJI, str(tmp_path / 's'), 6, [ci_fonts],
                                       processes=1)
    parallel = font_sets.ensure_rendered(font_sets.KANJI, str(tmp_path / 'p'), 6, [ci_fonts],
                                         processes=2)
    assert _manifest(serial) == _manifest(parallel)
    names = sorted(os.path.relpath(p, serial) for p in glob.glob(os.path.join(serial, '*', '*')))
    assert names and names == sorted(os.path.relpath(p, parallel)
                                     for p in glob.glob(os.path.join(parallel, '*', '*')))
    for name in names:
        assert (read_image(os.path.join(serial, name))
                == read_image(os.path.join(parallel, name))).all()


def test_images_are_readable_glyphs(kanji_cache, ci_fonts):
    ds = font_sets.load_kanji(kanji_cache, num_classes=12, dirs=[ci_fonts])
    images = [read_image(p) for p in ds.train.paths]
    assert all(img.shape == (64, 64, 3) and img.dtype == np.uint8 for img in images)
    assert all(img.min() < 100 and img[0].min() == img[:, 0].min() == 255 for img in images)
    first_class = ds.train.indices_by_class()[0]
    assert len({images[i].tobytes() for i in first_class}) == len(first_class) >= 2


def test_get_dataset(ci_fonts, tmp_path, monkeypatch):
    monkeypatch.setenv(FONT_DIRS_ENV, ci_fonts)
    monkeypatch.setenv('DML_TOOLKIT_CACHE', str(tmp_path))
    ds = get_dataset('kanji', num_classes=20)
    assert ds.name == 'kanji' and ds.train.num_classes == ds.test.num_classes == 10
    assert os.path.dirname(os.path.dirname(ds.train.paths[0])).startswith(str(tmp_path))
    with pytest.raises(DatasetError, match='^--num-classes applies to --dataset latin and '
                                           'kanji only, not glyphs'):
        get_dataset('glyphs', num_classes=20)


def test_small_letters_drawn_as_capitals_are_skipped():
    capital = np.full((64, 64), 255, np.uint8)
    capital[8:56, 12:52] = 0
    assert font_sets.capital_form(capital.copy(), capital, 'o')  # the same glyph: caps-only
    small = np.full((64, 64), 255, np.uint8)
    small[20:56, 17:47] = 0  # the capital's shape, smaller: small caps
    assert font_sets.capital_form(small, capital, 'g')
    assert not font_sets.capital_form(small, capital, 'o')  # an o may look like a small O
