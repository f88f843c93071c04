"""common.tools.reports.plots: the figures render, as PNG and PDF, with the expected content."""
import os

import matplotlib
import matplotlib.image
import numpy as np
import pytest
from matplotlib.container import BarContainer, ErrorbarContainer

from common.tools.reports import collect_runs
from common.tools.reports.leaderboard import leaderboard, side_by_side
from common.tools.reports.plots import (
    DPI,
    bar_chart,
    bar_labels,
    main,
    side_by_side_chart,
    study_plot,
)
from report_records import metrics_of, write_invocation, write_two_modes

SCRIPTS = ('margin', 'npairs', 'angular', 'prototype')
DIMS = (64, 128, 256)


@pytest.fixture(scope='module')
def results(tmp_path_factory):
    """Four methods x three embedding sizes x two seeds on CUB, one glyph run."""
    folder = str(tmp_path_factory.mktemp('plots') / 'results')
    for i, script in enumerate(SCRIPTS):
        for dim in DIMS:
            runs = [metrics_of(40 + 5 * i + dim / 64 + seed, nmi=55 + i) for seed in (0, 1.5)]
            write_invocation(folder, 'train_%s_e%d' % (script, dim), '%s-%d' % (script, dim),
                             runs, script=script, embed_dim=dim)
    write_invocation(folder, 'train_glyphs', 'glyphs-1', [metrics_of(90.0)], dataset='glyphs',
                     model='small')
    return folder


def check_files(out, min_png_bytes=5000):
    png, pdf = out + '.png', out + '.pdf'
    assert os.path.getsize(png) > min_png_bytes
    assert os.path.getsize(pdf) > 1000
    with open(pdf, 'rb') as f:
        assert f.read(5) == b'%PDF-'
    return matplotlib.image.imread(png)


def has_colour(image, rgb, tolerance=0.02):
    return (np.abs(image[..., :3] - np.asarray(rgb[:3])).max(axis=-1) < tolerance).any()


def test_bar_chart_png_pdf_and_content(results, tmp_path):
    table = leaderboard(collect_runs(results))
    out = str(tmp_path / 'bars')
    figure = bar_chart(table, 'CUB', 'inception-bn', out, embed_dim=64)
    image = check_files(out)
    width, height = figure.get_size_inches() * DPI
    assert image.shape == (round(height), round(width), 4)
    assert len(np.unique(image[..., :3].reshape(-1, 3), axis=0)) > 50  # not blank
    rainbow = matplotlib.colormaps['rainbow'](np.linspace(0, 1, len(SCRIPTS)))
    assert all(has_colour(image, colour) for colour in rainbow)  # each bar's fill is drawn
    titles = [ax.get_title() for ax in figure.axes]
    assert titles == ['Recall@1', 'NMI']
    assert 'CUB, inception-bn backbone, 64-d embedding' in figure.get_suptitle()
    assert '2 runs per method' in figure.get_suptitle()
    bars = [c for c in figure.axes[0].containers if isinstance(c, BarContainer)][0]
    assert len(bars) == len(SCRIPTS)
    assert bars.errorbar is not None  # std over runs
    labels = [t.get_text() for t in figure.axes[0].texts]
    ours = table[(table['source'] == 'this toolkit') & (table['embed_dim'] == 64)
                 & (table['dataset'] == 'CUB')]
    assert sorted(labels) == sorted('%.2f' % v for v in ours['R@1 mean'])


def test_bar_chart_without_nmi_has_one_panel(results, tmp_path):
    table = leaderboard(collect_runs(results), metrics=('R@1',), include_published=False)
    figure = bar_chart(table, 'cub', 'inception-bn', str(tmp_path / 'r1'), embed_dim=128)
    assert [ax.get_title() for ax in figure.axes] == ['Recall@1']


def test_bar_chart_asks_for_embed_dim_when_ambiguous(results, tmp_path):
    table = leaderboard(collect_runs(results))
    with pytest.raises(ValueError, match='embed dims 64, 128, 256; pass embed_dim'):
        bar_chart(table, 'CUB', 'inception-bn', str(tmp_path / 'x'))


def test_embedding_size_study_log2_axis_with_error_bars(results, tmp_path):
    runs = collect_runs(results)
    out = str(tmp_path / 'embed')
    figure = study_plot(runs[runs['dataset'] == 'CUB'], 'embed_dim', out, published=True)
    image = check_files(out)
    assert len(np.unique(image[..., :3].reshape(-1, 3), axis=0)) > 50
    ax = figure.axes[0]
    assert ax.get_xscale() == 'log'
    ticks = list(ax.get_xticks())
    assert ticks == [64, 128, 256, 512, 1024, 2048]  # ours and the published study's sizes
    errorbars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(errorbars) == len(SCRIPTS)
    segments = errorbars[0].lines[2][0].get_segments()
    assert len(segments) == len(DIMS)
    np.testing.assert_allclose([s[1, 1] - s[0, 1] for s in segments], 2 * 1.5 / np.sqrt(2))
    labels = ax.get_legend_handles_labels()[1]
    assert 'margin' in labels and 'Margin Loss (published)' in labels
    assert 'Triplet Semihard (published)' not in labels  # only the plotted methods
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == '--']
    assert len(dashed) == 4
    assert 'CUB' in ax.get_title() and '2 seeds per point' in ax.get_title()


def test_study_needs_one_dataset(results, tmp_path):
    with pytest.raises(ValueError, match='2 datasets .CUB, glyphs.'):
        study_plot(collect_runs(results), 'embed_dim', str(tmp_path / 'x'))


def test_cli_bars_one_figure_per_group(results, tmp_path, capsys):
    out = str(tmp_path / 'plots' / 'bars')
    written = main([results, '--kind', 'bars', '--out', out, '--script', 'margin', 'npairs'])
    expected = ['%s_CUB_inception-bn_e%d' % (out, d) for d in DIMS] + [out + '_glyphs_small_e64']
    assert sorted(written) == sorted(p + ext for p in expected for ext in ('.png', '.pdf'))
    assert all(os.path.isfile(p) for p in written)
    assert capsys.readouterr().out.split() == written


def test_cli_study_and_errors(results, tmp_path, capsys):
    out = str(tmp_path / 'study')
    written = main([results, '--kind', 'embedding-size', '--out', out])
    assert written == [out + '_CUB.png', out + '_CUB.pdf', out + '_glyphs.png', out + '_glyphs.pdf']
    capsys.readouterr()
    with pytest.raises(SystemExit):
        main([results, '--kind', 'bars', '--script', 'dreml', '--out', out])
    assert '--script dreml: no such runs' in capsys.readouterr().err


def test_batch_size_study_keeps_embedding_sizes_apart(results, tmp_path):
    runs = collect_runs(results)
    figure = study_plot(runs[runs['dataset'] == 'CUB'], 'batch_size', str(tmp_path / 'batch'))
    ax = figure.axes[0]
    assert len([c for c in ax.containers if isinstance(c, ErrorbarContainer)]) == 12
    assert 'margin (128-d)' in ax.get_legend_handles_labels()[1]
    assert list(ax.get_xticks()) == [80]


def test_side_by_side_chart_pairs_bars_and_draws_the_baseline(tmp_path):
    table = leaderboard(collect_runs(write_two_modes(str(tmp_path / 'modes'))),
                        include_published=False)
    wide, modes = side_by_side(table, 'batchnorm', ['R@1'])
    out = str(tmp_path / 'paired')
    figure = side_by_side_chart(wide, modes, out)
    image = check_files(out)
    ax = figure.axes[0]
    bars = [c for c in ax.containers if isinstance(c, BarContainer)]
    assert [c.get_label() for c in bars] == ['BatchNorm train', 'BatchNorm frozen']
    # margin and npairs, each with a bar per mode (npairs has no training-mode runs: height 0)
    assert [[round(b.get_height(), 2) for b in c] for c in bars] == [[51.0, 0.0], [72.0, 65.0]]
    assert [t.get_text() for t in ax.get_xticklabels()] == ['margin', 'npairs']
    baseline = [line for line in ax.get_lines() if line.get_linestyle() == '--']
    assert len(baseline) == 1 and baseline[0].get_ydata()[0] == 60.0
    tab10 = matplotlib.colormaps['tab10'](np.arange(2))
    assert all(has_colour(image, colour) for colour in tab10)


def test_bar_labels_name_the_batchnorm_mode_when_it_varies(tmp_path):
    table = leaderboard(collect_runs(write_two_modes(str(tmp_path / 'modes'))),
                        include_published=False)
    labels = bar_labels(table)
    assert 'margin [BN frozen]' in labels and 'margin [BN train]' in labels
