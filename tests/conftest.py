"""Shared fixtures. Importing ``common`` first sets the OpenMP thread count for MXNet.

The tests live in folders that mirror the package (losses, data, models, training,
evaluation, scripts, tools, core); the helper modules they share (script_runs, loss_checks,
layouts, stress_batches, report_records, tune_studies, exported_models, references) stay
here, at the top of tests/, which is put on sys.path with the repository (the scripts and
``common``).
"""
import os
import sys

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)
sys.path[:0] = [ROOT, TESTS]

import pytest  # noqa: E402

import common  # noqa: E402,F401

FIXTURES = os.path.join(TESTS, 'fixtures')


@pytest.fixture(scope='session')
def glyph_root(tmp_path_factory):
    """The embedded glyph dataset, rendered once per test session."""
    from common.data.fonts.glyphs import ensure_rendered
    return ensure_rendered(str(tmp_path_factory.mktemp('cache') / 'glyphs'))


@pytest.fixture(scope='session')
def inception_symbol():
    """The real Inception-BN-symbol.json of MXNet's model zoo (a copy of the shared fixture)."""
    return os.path.join(FIXTURES, 'Inception-BN-symbol.json')


def _package_fonts(package):
    """The font files of an installed Debian package (none when it is not installed)."""
    import subprocess

    from common.data.fonts.faces import FONT_EXTENSIONS
    try:
        listing = subprocess.run(['dpkg', '-L', package], capture_output=True, text=True)
    except FileNotFoundError:
        return []
    return [p for p in listing.stdout.splitlines() if p.lower().endswith(FONT_EXTENSIONS)
            and os.path.isfile(p)]


@pytest.fixture(scope='session')
def ci_fonts(tmp_path_factory):
    """A font folder linking the files of the CI packages only (common/data/fonts/packages/
    ci.txt), so that the tests do not depend on (or scan) whatever else the machine has."""
    from common.data.fonts.font_sets import PACKAGE_DIR
    ci_packages = os.path.join(PACKAGE_DIR, 'ci.txt')
    folder = tmp_path_factory.mktemp('ci-fonts')
    with open(ci_packages) as f:
        packages = [line.strip() for line in f if line.strip() and not line.startswith('#')]
    for package in packages:
        files = _package_fonts(package)
        if not files:
            pytest.skip('font package %s is not installed; .ci/run installs %s'
                        % (package, ci_packages))
        for path in files:
            os.symlink(path, folder / os.path.basename(path))
    return str(folder)
