"""Shared fixtures. Importing ``common`` first sets the OpenMP thread count for MXNet."""
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import pytest  # noqa: E402

import common  # noqa: E402,F401

FIXTURES = os.path.join(ROOT, 'tests', 'fixtures')


@pytest.fixture(scope='session')
def glyph_root(tmp_path_factory):
    """The embedded glyph dataset, rendered once per test session."""
    from common.data.glyphs import ensure_rendered
    return ensure_rendered(str(tmp_path_factory.mktemp('cache') / 'glyphs'))


@pytest.fixture(scope='session')
def inception_symbol():
    """The real Inception-BN-symbol.json of MXNet's model zoo (a copy of the shared fixture)."""
    return os.path.join(FIXTURES, 'Inception-BN-symbol.json')
