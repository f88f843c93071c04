"""The CPU benchmark's protocol, and its smoke version run for every entry."""
import os

import pandas as pd
import pytest

from common.data.fonts.faces import FONT_DIRS_ENV
from common.tools import kanji_benchmark
from common.tools.reports.collect import collect_runs
from common.training.recipe import load_recipe
from script_runs import ROOT, run

FROZEN_SMOKE = ['triplet_semihard', 'no_training']


def script_of(path):
    """The Recipe defined by a root train_*.py file."""
    return load_recipe(os.path.join(ROOT, path))


def test_every_script_is_in_the_protocol_and_the_design_card_has_three_seeds():
    scripts = {f for f in os.listdir(ROOT) if f.startswith('train_') and f.endswith('.py')}
    assert {script for script, _ in kanji_benchmark.ENTRIES.values()} == scripts
    for name, argv in kanji_benchmark.commands(list(kanji_benchmark.ENTRIES), 'r'):
        seeds = argv[argv.index('--number-of-runs') + 1]
        assert seeds == ('3' if name in kanji_benchmark.MULTI_SEED else '1')
        args = script_of(argv[0]).parse_args(argv[1:])  # every command parses
        assert (args.epochs == 0) == (name == 'no_training')
        assert (args.dataset, args.model, args.image_size) == ('kanji', 'efficientnet-lite0', 64)
        assert args.val_classes == kanji_benchmark.VAL_CLASSES
        assert args.num_classes == kanji_benchmark.CLASSES


def test_a_manifest_that_is_no_run_manifest_stops_the_run_in_one_line(tmp_path, capsys):
    (tmp_path / 'train_margin_kanji.manifest.json').write_text('{"status": "finished"}')
    with pytest.raises(SystemExit):
        kanji_benchmark.main(['run', '--scripts', 'margin', '--results-dir', str(tmp_path),
                        '--dry-run'])
    err = capsys.readouterr().err.splitlines()
    assert err[-1] == ('python -m common.tools.kanji_benchmark: error: %s: not a run manifest '
                       '(no invocation)' % (tmp_path / 'train_margin_kanji.manifest.json'))


@pytest.fixture(scope='module')
def smoke_results(tmp_path_factory, ci_fonts):
    """Every entry's smoke command, on glyphs drawn from the CI font set only."""
    results = str(tmp_path_factory.mktemp('benchmark'))
    cache = str(tmp_path_factory.mktemp('font-cache'))
    saved = os.environ.get(FONT_DIRS_ENV)
    os.environ[FONT_DIRS_ENV] = ci_fonts
    try:
        # Every entry in the playground's BatchNorm mode, two of them frozen as well.
        frozen = kanji_benchmark.commands(FROZEN_SMOKE, results, smoke=True, frozen_bn=True)
        for name, argv in kanji_benchmark.commands(list(kanji_benchmark.ENTRIES), results,
                                             smoke=True) + frozen:
            run(script_of(argv[0]), argv[1:] + ['--data-path', cache])
    finally:
        if saved is None:
            del os.environ[FONT_DIRS_ENV]
        else:
            os.environ[FONT_DIRS_ENV] = saved
    return results


@pytest.mark.slow
@pytest.mark.integration
def test_the_smoke_version_of_every_entry_runs_and_is_recorded(smoke_results):
    runs = collect_runs(smoke_results)
    assert len(runs) == len(kanji_benchmark.ENTRIES) + len(FROZEN_SMOKE)
    frozen = runs[runs['batchnorm'] == 'frozen']
    assert sorted(frozen['variant']) == ['', 'no training']
    assert frozen['command'].str.contains('--log-postfix kanji(?:_no_training)?_frozen_bn '
                                          '.*--frozen-bn').all()
    assert set(runs['status']) == {'finished'} and set(runs['selection']) == {'validation'}
    assert set(runs['dataset']) == {'kanji'} and runs['R@1'].notna().all()
    baseline = runs[runs['variant'] == 'no training']
    assert len(baseline) == 2 and baseline['best_epoch'].tolist() == [0, 0]
    # Frozen or not, the untrained network is the same: so are its metrics.
    assert baseline['R@1'].nunique() == 1


@pytest.mark.slow
@pytest.mark.integration
def test_the_report_writes_the_table_and_the_chart(smoke_results, tmp_path):
    out = str(tmp_path / 'board')
    kanji_benchmark.report(smoke_results, out)
    table = open(out + '.md').read()
    # The side-by-side part, then every row with its command.
    assert table.count('| this toolkit |') == len(kanji_benchmark.ENTRIES) + len(FROZEN_SMOKE)
    side = table[:table.index('# Every row with its command')]
    assert '| R@1, BatchNorm train | R@1, BatchNorm frozen |' in side
    assert side.count(' | 1 / 1 | ') == len(FROZEN_SMOKE)
    assert side.count(' | 1 / – | ') == len(kanji_benchmark.ENTRIES) - len(FROZEN_SMOKE)
    assert 'published' not in table  # kanji has no published figures
    wide = pd.read_csv(out + '.csv')
    assert len(wide) == len(kanji_benchmark.ENTRIES)
    assert {'R@1 mean [train]', 'R@1 mean [frozen]', 'command [frozen]'} <= set(wide.columns)
    assert os.path.getsize(out + '.png') > 5000 and os.path.getsize(out + '.pdf') > 1000
