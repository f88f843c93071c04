"""Every command line answers --help, under its name in common.tools and under its old name
(an alias kept so that recorded commands still run)."""
import os
import subprocess
import sys

import pytest

from script_runs import ROOT

# Each test runs a command line in a process of its own.
pytestmark = pytest.mark.integration

# (old name, new name) of each command line.
COMMANDS = [
    ('common.benchmark', 'common.tools.kanji_benchmark'),
    ('common.study', 'common.tools.study'),
    ('common.reports', 'common.tools.reports'),
    ('common.reports.leaderboard', 'common.tools.reports.leaderboard'),
    ('common.reports.plots', 'common.tools.reports.plots'),
    ('common.visualize', 'common.tools.visualize'),
    ('common.data.resize_cache', 'common.tools.resize_cache'),
    # Tools that never had another name.
    ('common.tools.export', 'common.tools.export'),
    ('common.tools.index', 'common.tools.index'),
]


@pytest.mark.parametrize('module,tool', sorted({(name, new) for old, new in COMMANDS
                                                for name in (old, new)}))
def test_help(module, tool):
    done = subprocess.run([sys.executable, '-m', module, '--help'], cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith('usage: python -m %s ' % tool), done.stdout
