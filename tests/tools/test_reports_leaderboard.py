"""common.tools.reports.leaderboard: mean/std over runs, published rows, Markdown and CSV."""
import os

import numpy as np
import pandas as pd
import pytest

from common.tools.reports import collect_runs
from common.tools.reports.leaderboard import (
    leaderboard,
    main,
    side_by_side,
    side_by_side_markdown,
    to_markdown,
    write_leaderboard,
)
from report_records import metrics_of, write_invocation, write_two_modes

MARGIN_R1 = [51.5, 53.25, 49.0]
NPAIRS_R1 = [60.0, 58.5]


@pytest.fixture
def results(tmp_path):
    folder = str(tmp_path / 'results')
    write_invocation(folder, 'train_margin_a', '20261124T001500-aaa',
                     [metrics_of(r, nmi=60 + i) for i, r in enumerate(MARGIN_R1[:2])])
    write_invocation(folder, 'train_margin_b', '20261125T001500-bbb',  # a later invocation
                     [metrics_of(MARGIN_R1[2], nmi=62)], seed=3)
    write_invocation(folder, 'train_npairs', '20261124T001600-ccc',
                     [metrics_of(r) for r in NPAIRS_R1], script='npairs', status='running')
    write_invocation(folder, 'train_proxy', '20261124T001700-ddd', [metrics_of(45.0)],
                     script='proxy', extra_args={'loss': 'nca'})
    write_invocation(folder, 'train_glyphs', '20261124T001800-eee', [metrics_of(90.0)],
                     dataset='glyphs', model='small')
    return folder


def test_runs_of_different_settings_are_never_averaged(results):
    write_invocation(results, 'train_margin_c', '20261126T001500-fff', [metrics_of(10.0)],
                     extra_args={'lr': 0.1})
    table = ours(leaderboard(collect_runs(results)))
    margin = table[table['method'] == 'margin'].sort_values('n')
    assert margin['n'].tolist() == [1, 3] and margin['R@1 mean'].tolist()[0] == 10.0


def ours(table, dataset='CUB'):
    return table[(table['source'] == 'this toolkit') & (table['dataset'] == dataset)]


def test_mean_and_sample_std_match_numpy(results):
    table = leaderboard(collect_runs(results))
    margin = ours(table).set_index('method').loc['margin']
    assert margin['n'] == 3 and margin['invocations'] == 2
    assert margin['R@1 mean'] == pytest.approx(np.mean(MARGIN_R1))
    assert margin['R@1 std'] == pytest.approx(np.std(MARGIN_R1, ddof=1))
    assert margin['NMI std'] == pytest.approx(np.std([60, 61, 62], ddof=1))
    assert margin['command'].startswith('python train_margin.py ')
    assert '--lr' not in margin['command']  # the first invocation's command, not the later one
    proxy = ours(table).set_index('method').loc['proxy/nca']
    assert proxy['n'] == 1 and np.isnan(proxy['R@1 std'])


def test_published_rows_only_for_our_datasets(results):
    table = leaderboard(collect_runs(results))
    published = table[table['source'] != 'this toolkit']
    assert len(published) > 0 and set(published['dataset']) == {'CUB'}
    playground = published[published['model'] != 'googlenet']  # not the EE paper's rows
    assert playground['source'].str.startswith('published: DML playground plot').all()
    row = published[(published['model'] == 'inception-bn')].set_index('method').loc['proxy/nca']
    assert (row['R@1 mean'], row['NMI mean'], row['n']) == (54.60, 63.16, 10)
    assert np.isnan(row['MAP@R mean'])
    assert 'resnet50_v2' in set(published['model'])
    glyphs_only = collect_runs(results)
    glyphs_only = glyphs_only[glyphs_only['dataset'] == 'glyphs']
    assert (leaderboard(glyphs_only)['source'] == 'this toolkit').all()
    assert len(leaderboard(collect_runs(results), include_published=False)) == 4


def test_sorted_by_group_then_recall_descending(results):
    table = leaderboard(collect_runs(results))
    cub = table[(table['dataset'] == 'CUB') & (table['model'] == 'inception-bn')]
    assert list(cub['R@1 mean']) == sorted(cub['R@1 mean'], reverse=True)
    assert list(table['dataset'].drop_duplicates()) == ['CUB', 'glyphs']


def test_markdown_tables(results):
    text = to_markdown(leaderboard(collect_runs(results)))
    assert '## CUB, inception-bn, 64-d embedding' in text
    assert '## glyphs, small, 64-d embedding' in text
    assert '%.2f ± %.2f' % (np.mean(MARGIN_R1), np.std(MARGIN_R1, ddof=1)) in text
    assert '| published: DML playground plot CUB_inception_plot.png (test-set selection) |' in text
    assert 'This toolkit: 6 runs in 4 invocations' in text  # CUB: 3 + 2 + 1 runs
    assert 'This toolkit: 1 run in 1 invocation,' in text  # glyphs
    assert 'selected on the test set' in text


def test_csv_round_trips(results, tmp_path):
    table = leaderboard(collect_runs(results))
    md, csv = write_leaderboard(table, str(tmp_path / 'out' / 'board'))
    assert os.path.isfile(md)
    read = pd.read_csv(csv)
    assert list(read.columns) == list(table.columns)
    numeric = [c for c in table.columns if c.endswith((' mean', ' std'))] + ['n']
    np.testing.assert_allclose(read[numeric].to_numpy(float), table[numeric].to_numpy(float))
    text = [c for c in table.columns if c not in numeric + ['embed_dim', 'invocations']]
    assert read[text].fillna('').astype(str).equals(table[text].fillna('').astype(str))


def test_cli_writes_markdown_and_csv(results, tmp_path, capsys):
    out = str(tmp_path / 'board')
    main([results, '--out', out, '--finished-only', '--no-published', '--metrics', 'R@1,NMI'])
    printed = capsys.readouterr().out
    assert 'margin' in printed and 'npairs' not in printed and 'published:' not in printed
    table = pd.read_csv(out + '.csv')
    assert 'MAP@R mean' not in table and 'NMI mean' in table
    assert open(out + '.md').read() in printed


def test_cli_errors_name_the_problem(results, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main([str(tmp_path / 'missing'), '--out', str(tmp_path / 'b')])
    assert 'missing: no such file or folder' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main([results, '--out', str(tmp_path / 'b'), '--metrics', 'R@3'])
    assert '--metrics R@3: not recorded' in capsys.readouterr().err


@pytest.fixture
def two_modes(tmp_path):
    return write_two_modes(str(tmp_path / 'modes'))


def test_rows_that_differ_in_batchnorm_mode_never_merge(two_modes):
    table = ours(leaderboard(collect_runs(two_modes)))
    margin = table[table['method'] == 'margin'].set_index('batchnorm')
    assert margin.loc['train', 'R@1 mean'] == 51.0 and margin.loc['frozen', 'R@1 mean'] == 72.0
    assert margin['n'].tolist() == [2, 2]
    assert '| margin | frozen | test | 2 | 72.00 ± 2.83 |' in to_markdown(table)


def test_side_by_side_pairs_the_modes_of_each_method(two_modes):
    table = leaderboard(collect_runs(two_modes))
    wide, modes = side_by_side(table, 'batchnorm', ['R@1', 'NMI'])
    assert modes == ['train', 'frozen']
    assert wide['method'].tolist() == ['margin', 'npairs', 'margin/no training']  # frozen R@1
    row = wide.set_index('method').loc['margin']
    assert (row['R@1 mean [train]'], row['R@1 mean [frozen]']) == (51.0, 72.0)
    assert row['R@1 std [frozen]'] == pytest.approx(np.std([70, 74], ddof=1))
    assert (row['n [train]'], row['n [frozen]']) == (2, 2)
    assert '--frozen-bn=True' in row['command [frozen]'] and 'frozen' not in row['command [train]']
    assert np.isnan(wide.set_index('method').loc['npairs', 'R@1 mean [train]'])
    text = side_by_side_markdown(wide, modes, ['R@1', 'NMI'])
    assert '| method | runs | R@1, BatchNorm train | R@1, BatchNorm frozen | R@1 change | NMI, ' \
        'BatchNorm train | NMI, BatchNorm frozen |' in text
    assert '| margin | 2 / 2 | 51.00 ± 1.41 | 72.00 ± 2.83 | +21.00 | 60.00 ± 0.00 | ' \
        '60.00 ± 0.00 |' in text
    assert '| npairs | – / 1 | – | 65.00 | – |' in text


def test_side_by_side_refuses_two_settings_of_one_mode(two_modes):
    write_invocation(two_modes, 'train_margin_lr', 'i6', [metrics_of(1.0)],
                     extra_args={'lr': 0.5}, batchnorm='frozen')
    with pytest.raises(ValueError, match='margin: several settings with batchnorm frozen'):
        side_by_side(leaderboard(collect_runs(two_modes)))


def test_the_embedding_expansion_papers_hphn_rows_are_published_rows_of_their_own(tmp_path):
    folder = str(tmp_path / 'results')
    write_invocation(folder, 'train_hphn_ee', 'inv', [metrics_of(70.0)], script='hphn_ee',
                     dataset='cars196', model='googlenet', embed_dim=512)
    table = leaderboard(collect_runs(folder))
    published = table[(table['source'] != 'this toolkit') & (table['model'] == 'googlenet')]
    published = published.set_index('method')
    assert set(published.index) == {'hphn_ee', 'hphn_ee/no expansion'}
    assert (published.loc['hphn_ee', 'R@1 mean'], published.loc['hphn_ee', 'NMI mean']) == \
        (71.6, 63.1)
    assert published.loc['hphn_ee/no expansion', 'R@1 mean'] == 60.3
    assert published['source'].str.contains('Embedding Expansion paper').all()
    assert published['n'].isna().all()  # the paper does not state its runs
    text = to_markdown(table)
    assert '| hphn_ee/no expansion | – | test | ? | 60.30 |' in text
    assert 'Published: the Embedding Expansion paper (Ko & Gu 2020), results table ' \
           '(number of runs not stated; no std given).' in text


def test_tuned_rows_get_a_table_of_their_own(results):
    write_invocation(results, 'train_margin_tuned', '20261126T001500-fff',
                     [metrics_of(70.0), metrics_of(72.0)], selection='tuned',
                     extra_args={'lr': 3e-4, 'tuned': {'study': 's', 'trials': 8, 'folds': 1}})
    text = to_markdown(leaderboard(collect_runs(results)))
    cub = text[text.index('## CUB'):text.index('## glyphs')]
    defaults, tuned = cub.split('### Tuned: options chosen by python -m common.tools.tune')
    assert '| tuned |' not in defaults and '71.00 ± 1.41' not in defaults
    assert tuned.count('| tuned |') == 1 and '71.00 ± 1.41' in tuned
    assert 'options tuned on validation folds, test split evaluated once' in tuned
    assert 'This toolkit: 6 runs in 4 invocations' in defaults  # the default rows as before
