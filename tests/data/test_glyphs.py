import json
import os

import numpy as np
import pytest

from common.data import get_dataset
from common.data.decode import read_image
from common.data.fonts.glyphs import CHARACTERS, usable_faces


def test_usable_faces_exclude_symbol_fonts():
    names = [name for _, name in usable_faces()]
    assert 'cmsy10' not in names and 'cmex10' not in names
    assert 'DejaVu Sans' in names and len(names) >= 15


def test_split_by_class_with_manifest_counts(glyph_root):
    ds = get_dataset('glyphs', glyph_root)
    manifest = json.load(open(os.path.join(glyph_root, 'manifest.json')))
    per_class = len(manifest['faces']) * manifest['variants_per_face']
    assert ds.train.num_classes == ds.test.num_classes == 31
    assert len(ds.train) == len(ds.test) == 31 * per_class
    chars = dict(manifest['classes'])
    train_chars = {chars[c] for c in ds.train.class_names}
    test_chars = {chars[c] for c in ds.test.class_names}
    assert not train_chars & test_chars and train_chars | test_chars == set(CHARACTERS)
    # Both halves mix digits, capitals and small letters.
    for half in (train_chars, test_chars):
        assert any(c.isdigit() for c in half) and any(c.isupper() for c in half)
        assert any(c.islower() for c in half)


def test_images_are_readable_and_varied(glyph_root):
    ds = get_dataset('glyphs', glyph_root)
    images = [read_image(p) for p in ds.train.paths[:6]]
    assert all(img.shape == (64, 64, 3) and img.dtype == np.uint8 for img in images)
    assert all(img.min() < 100 and img.max() > 200 for img in images)  # ink on paper
    assert len({img.tobytes() for img in images}) == 6


@pytest.mark.slow
def test_rendering_is_deterministic(glyph_root, tmp_path):
    from common.data.fonts.glyphs import ensure_rendered
    other = ensure_rendered(str(tmp_path / 'again'))
    name = sorted(os.listdir(glyph_root))[0]
    first = sorted(os.listdir(os.path.join(glyph_root, name)))[0]
    assert (read_image(os.path.join(glyph_root, name, first))
            == read_image(os.path.join(other, name, first))).all()
