"""Tuned rows beside the default-recipe rows of the same methods (and the kanji report)."""
import os

import pytest

from common.tools import kanji_benchmark
from common.tools.reports.collect import collect_runs
from common.tools.reports.tuned import changes_markdown, compare, options_changed
from report_records import metrics_of, write_invocation

METRICS = ('R@1', 'NMI', 'MAP@R')


def write_default_and_tuned(tmp_path):
    """Default-recipe rows (margin in both modes, triplet, N-pairs and the baseline frozen)
    and the final runs of two studies (margin and triplet, frozen); returns the folders."""
    default, final = str(tmp_path / 'benchmark'), str(tmp_path / 'tune' / 'margin' / 'final')
    frozen = dict(batchnorm='frozen', selection='validation')
    write_invocation(default, 'train_margin', 'i1', [metrics_of(r) for r in (50.0, 52.0)],
                     selection='validation', extra_args={'lr': 1e-5, 'margin': 0.2})
    write_invocation(default, 'train_margin_frozen', 'i2', [metrics_of(r) for r in (70.0, 74.0)],
                     extra_args={'lr': 1e-5, 'margin': 0.2}, **frozen)
    write_invocation(default, 'train_triplet_frozen', 'i3', [metrics_of(80.0)],
                     script='triplet_semihard', extra_args={'lr': 1e-5, 'margin': 0.2}, **frozen)
    write_invocation(default, 'train_npairs_frozen', 'i4', [metrics_of(65.0)], script='npairs',
                     **frozen)
    write_invocation(default, 'train_base_frozen', 'i5', [metrics_of(60.0)],
                     extra_args={'epochs': 0}, **frozen)
    write_invocation(default, 'train_base', 'i8', [metrics_of(61.0)], extra_args={'epochs': 0},
                     batchnorm='train', selection='validation')
    tuned = dict(batchnorm='frozen', selection='tuned')
    # The final runs held out classes to choose the epoch: their run records say so.
    write_invocation(final, 'train_margin_tuned', 'i6', [metrics_of(r) for r in (90.0, 92.0)],
                     extra_args={'lr': 3e-4, 'margin': 0.3, 'tuned': 'x'},
                     run_selection='validation',
                     tuning={'study': 'margin_kanji', 'trials': 8, 'folds': 1}, **tuned)
    write_invocation(str(tmp_path / 'tune' / 'triplet' / 'final'), 'train_triplet_tuned', 'i7',
                     [metrics_of(85.0)], script='triplet_semihard',
                     extra_args={'lr': 1e-4, 'margin': 0.2},
                     tuning={'study': 'triplet_kanji', 'trials': 8, 'folds': 1}, **tuned)
    return default, str(tmp_path / 'tune')


def rows_of(table, method):
    rows = table[table['method'] == method]
    return sorted(zip(rows['batchnorm'], rows['selection']))


def test_tuned_methods_are_paired_ranked_and_their_changed_options_named(tmp_path):
    default, tune = write_default_and_tuned(tmp_path)
    runs = collect_runs([default, os.path.join(tune, 'margin', 'final'),
                         os.path.join(tune, 'triplet', 'final')])
    compared, table, wide, values = compare(runs, METRICS)
    assert values == ['default', 'tuned']
    # N-pairs was not tuned; margin's and the baseline's training-mode rows are another mode.
    assert sorted(wide['method']) == ['margin', 'margin/no training', 'triplet_semihard']
    assert rows_of(table, 'margin/no training') == [('frozen', 'validation')]
    assert rows_of(table, 'margin') == [('frozen', 'tuned'), ('frozen', 'validation')]
    rows = wide.set_index('method')
    assert rows.loc['margin', 'R@1 mean [default]'] == 72.0
    assert rows.loc['margin', 'R@1 mean [tuned]'] == 91.0
    assert rows.loc['margin', 'n [tuned]'] == 2
    assert (rows.loc['margin', 'rank [default]'], rows.loc['margin', 'rank [tuned]']) == (2, 1)
    assert rows.loc['triplet_semihard', 'rank [default]'] == 1
    assert rows.loc['triplet_semihard', 'rank [tuned]'] == 2
    assert rows['rank [default]'].isna().sum() == 1  # the baseline is not ranked
    text = changes_markdown(compared, wide)
    assert ('| margin | frozen | 2 | 1 | margin_kanji (8, 1) | lr 1e-05 → 0.0003, '
            'margin 0.2 → 0.3 |') in text
    assert '| triplet_semihard | frozen | 1 | 2 | triplet_kanji (8, 1) | lr 1e-05 → 0.0001 |' \
        in text
    assert text.index('| margin |') < text.index('| triplet_semihard |')  # tuned rank order


def test_options_changed_leaves_out_seeds_paths_and_logging(tmp_path):
    a = write_invocation(str(tmp_path / 'a'), 'x', 'i1', [metrics_of(1.0)],
                         extra_args={'lr': 0.1, 'results_dir': 'a', 'log_postfix': 'p'}, seed=1)
    b = write_invocation(str(tmp_path / 'b'), 'x', 'i2', [metrics_of(1.0)],
                         extra_args={'lr': 0.2, 'results_dir': 'b', 'tuned': 's',
                                     'normalize_embeddings': False}, seed=2)
    assert options_changed(a, b) == {'lr': (0.1, 0.2)}


def test_records_without_tuned_runs_are_an_error_saying_what_to_give(tmp_path):
    default, _ = write_default_and_tuned(tmp_path)
    with pytest.raises(ValueError, match='no tuned runs among the records'):
        compare(collect_runs([default]), METRICS)


def test_the_kanji_tuned_report_writes_its_table_and_chart(tmp_path, capsys):
    default, tune = write_default_and_tuned(tmp_path)
    out = str(tmp_path / 'report' / 'tuned')
    paths = kanji_benchmark.main(['tuned', '--results-dir', default, '--tuned-dir', tune,
                                  '--out', out])
    assert [os.path.getsize(p) > 0 for p in paths] == [True] * 4
    text = open(out + '.md').read()
    assert '| R@1, options default | R@1, options tuned | R@1 change |' in text
    assert '| margin | 2 / 2 | 72.00 ± 2.83 | 91.00 ± 1.41 | +19.00 |' in text
    assert '# Ranking by R@1 and the options tuned' in text
    with pytest.raises(SystemExit):
        kanji_benchmark.main(['tuned', '--results-dir', default, '--tuned-dir',
                              str(tmp_path / 'none')])
    assert 'no <study>/final/ folder' in capsys.readouterr().err
