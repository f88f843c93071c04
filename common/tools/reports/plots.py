"""The DML playground's plot types from our run records: bar charts and study curves.

    python -m common.tools.reports.plots results/ --kind bars --out results/plots/bars
    python -m common.tools.reports.plots results/ --kind embedding-size --out results/plots/embed

Each figure is saved as ``<out>.png`` and ``<out>.pdf``.
"""
import argparse
import os

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from .collect import add_records_arguments, parse_records_command
from .leaderboard import OURS, leaderboard, mean_column, method_label, std_column
from .published import normalise_dataset, published_study

DPI = 100
STUDIES = {'embedding-size': 'embed_dim', 'batch-size': 'batch_size'}
AXIS_LABELS = {'embed_dim': 'embedding dimension', 'batch_size': 'batch size'}
METRIC_LABELS = {'R@1': 'Recall@1', 'NMI': 'NMI', 'MAP@R': 'MAP@R'}
# How a curve's other settings read in its legend label, when they vary between curves.
CURVE_DETAILS = {'model': '%s', 'selection': '%s', 'embed_dim': '%g-d', 'batch_size': 'batch %g'}


def new_figure(width, height):
    """A Figure drawn by Agg without pyplot, so no global backend or figure list is touched."""
    figure = Figure(figsize=(width, height), dpi=DPI, layout='constrained')
    FigureCanvasAgg(figure)
    return figure


def save_figure(figure, out):
    """``<out>.png`` and ``<out>.pdf`` (an extension given in ``out`` is dropped)."""
    stem = os.path.splitext(out)[0] if out.endswith(('.png', '.pdf')) else out
    os.makedirs(os.path.dirname(stem) or '.', exist_ok=True)
    paths = [stem + '.png', stem + '.pdf']
    for path in paths:
        figure.savefig(path, dpi=DPI)
    return paths


def rainbow(count):
    return matplotlib.colormaps['rainbow'](np.linspace(0, 1, max(count, 1)))


def count_text(values, unit):
    """'10 runs' or '3-10 runs' when the methods differ."""
    low, high = int(np.min(values)), int(np.max(values))
    return '%d %s' % (low, unit) if low == high else '%d–%d %s' % (low, high, unit)


def select_group(df, dataset, model, embed_dim, published):
    """The leaderboard rows of one bar chart, or a ValueError saying what to pass."""
    rows = df[(df['dataset'] == normalise_dataset(dataset)) & (df['model'] == model)]
    if not published:
        rows = rows[rows['source'] == OURS]
    dims = sorted(rows['embed_dim'].dropna().unique())
    if embed_dim is None and len(dims) > 1:
        raise ValueError('bar_chart: %s/%s has embed dims %s; pass embed_dim'
                         % (dataset, model, ', '.join('%d' % d for d in dims)))
    if embed_dim is not None:
        rows = rows[rows['embed_dim'] == embed_dim]
    if rows.empty:
        dim = '' if embed_dim is None else ', embed_dim %d' % embed_dim
        raise ValueError('bar_chart: no leaderboard rows for dataset %s, model %s%s'
                         % (dataset, model, dim))
    return rows


def bar_labels(rows):
    """script[/variant], with the selection and the BatchNorm mode when they differ, and
    '(published)' for theirs."""
    several = rows['selection'].nunique() > 1
    modes = rows['batchnorm'].replace('', np.nan).nunique() > 1 if 'batchnorm' in rows else False
    labels = []
    for row in rows.to_dict('records'):
        label = row['method'] + (' [%s]' % row['selection'] if several else '')
        label += ' [BN %s]' % row['batchnorm'] if modes and row['batchnorm'] else ''
        labels.append(label + (' (published)' if row['source'] != OURS else ''))
    return labels


def draw_bars(ax, rows, labels, metric):
    means = rows[mean_column(metric)].to_numpy(float)
    stds = np.nan_to_num(rows[std_column(metric)].to_numpy(float))
    ours = (rows['source'] == OURS).to_numpy()
    bars = ax.bar(np.arange(len(rows)), np.nan_to_num(means), yerr=stds, capsize=3,
                  color=rainbow(len(rows)), edgecolor='black', linewidth=0.5,
                  error_kw={'elinewidth': 1})
    for bar, mine in zip(bars, ours):
        if not mine:  # published figures are hatched so they are not mistaken for ours
            bar.set_hatch('//')
    ax.bar_label(bars, labels=['' if np.isnan(m) else '%.2f' % m for m in means],
                 padding=2, fontsize=7, rotation=90 if len(rows) > 8 else 0)
    low = np.nanmin(means - stds) if np.isfinite(means).any() else 0
    high = np.nanmax(means + stds) if np.isfinite(means).any() else 100
    ax.set_ylim(max(0.0, low - 10), high + 0.12 * (high - max(0.0, low - 10)) + 2)
    ax.set_xticks(np.arange(len(rows)), labels, rotation=45, ha='right', fontsize=8)
    ax.set_title(METRIC_LABELS.get(metric, metric))
    ax.set_ylabel('%s (%%)' % METRIC_LABELS.get(metric, metric))
    ax.grid(axis='y', alpha=0.3)


def bar_chart(df, dataset, model, out, embed_dim=None, published=False):
    """Recall@1 and NMI bars per method of one dataset/backbone/embedding (a leaderboard frame).

    Error bars are the std over runs; ``published=True`` adds the published rows, hatched.
    Saves ``<out>.png`` and ``<out>.pdf`` and returns the Figure.
    """
    rows = select_group(df, dataset, model, embed_dim, published)
    labels = bar_labels(rows)
    metrics = [m for m in ('R@1', 'NMI') if mean_column(m) in rows
               and rows[mean_column(m)].notna().any()]
    if 'R@1' not in metrics:
        raise ValueError('bar_chart: the leaderboard has no R@1 values for %s/%s; build it with '
                         "metrics including 'R@1'" % (dataset, model))
    # Wide enough for the title even with few bars.
    figure = new_figure(max((0.5 * len(rows) + 1.5) * len(metrics) + 0.5, 8.0), 5.0)
    for ax, metric in zip(figure.subplots(1, len(metrics), squeeze=False)[0], metrics):
        draw_bars(ax, rows, labels, metric)
    dim = rows['embed_dim'].iloc[0]
    ours = rows[rows['source'] == OURS]
    runs = count_text(ours['n'], 'runs per method') if len(ours) else 'published figures only'
    figure.suptitle('%s, %s backbone, %s-d embedding: mean ± std over runs (%s)'
                    % (rows['dataset'].iloc[0], model, '?' if pd.isna(dim) else '%d' % dim, runs))
    save_figure(figure, out)
    return figure


def side_by_side_chart(wide, values, out, metric='R@1', column_title='BatchNorm',
                       baseline='no training', per=None):
    """Grouped bars of one group of a :func:`.leaderboard.side_by_side` table: per method a
    bar for each value (mean ± std over runs); methods whose label ends in ``baseline`` are a
    horizontal line with its ± std band instead; ``per`` says what the bars are (default:
    '<column_title> mode'). Saves ``<out>.png`` and ``.pdf``."""
    is_baseline = wide['method'].str.endswith(baseline)
    methods, base = wide[~is_baseline], wide[is_baseline]
    figure = new_figure(max(0.45 * len(methods) * len(values) + 2.0, 8.0), 5.2)
    ax = figure.subplots()
    width = 0.8 / len(values)
    x = np.arange(len(methods))
    colours = matplotlib.colormaps['tab10'](np.arange(len(values)))
    tops = []
    for i, (value, colour) in enumerate(zip(values, colours)):
        means = methods['%s [%s]' % (mean_column(metric), value)].to_numpy(float)
        stds = np.nan_to_num(methods['%s [%s]' % (std_column(metric), value)].to_numpy(float))
        bars = ax.bar(x + (i - (len(values) - 1) / 2) * width, np.nan_to_num(means), width,
                      yerr=stds, capsize=2, color=colour, edgecolor='black', linewidth=0.5,
                      label='%s %s' % (column_title, value), error_kw={'elinewidth': 1})
        ax.bar_label(bars, labels=['' if np.isnan(m) else '%.1f' % m for m in means],
                     padding=2, fontsize=6, rotation=90)
        tops.append(np.nanmax(means + stds) if np.isfinite(means).any() else 0)
    lows = []
    for row in base.to_dict('records'):
        mean = row['%s [%s]' % (mean_column(metric), values[0])]
        std = np.nan_to_num(row['%s [%s]' % (std_column(metric), values[0])])
        ax.axhline(mean, color='black', linestyle='--', linewidth=1,
                   label='%s: %.2f' % (row['method'], mean))
        ax.axhspan(mean - std, mean + std, color='grey', alpha=0.2)
        lows.append(mean - std)
    finite = [v for v in methods[[c for c in methods if c.startswith(mean_column(metric))]]
              .to_numpy(float).ravel() if np.isfinite(v)] + lows
    low = max(0.0, (min(finite) if finite else 0) - 10)
    ax.set_ylim(low, max(tops + [low + 1]) + 8)
    ax.set_xticks(x, methods['method'], rotation=45, ha='right', fontsize=8)
    ax.set_ylabel('%s (%%)' % METRIC_LABELS.get(metric, metric))
    ax.grid(axis='y', alpha=0.3)
    ax.legend(fontsize=8, loc='upper right')
    first = wide.iloc[0]
    ax.set_title('%s, %s backbone, %d-d embedding: test %s per %s, mean ± std over runs'
                 % (first['dataset'], first['model'], first['embed_dim'],
                    METRIC_LABELS.get(metric, metric), per or '%s mode' % column_title),
                 fontsize=10)
    save_figure(figure, out)
    return figure


def line_keys(df, x):
    """Columns that tell the curves apart: the method, plus whatever else varies.

    A study varies one setting; runs that differ in another one (e.g. the embedding size
    in a batch-size study) get their own curves instead of being averaged together.
    """
    varying = [c for c in CURVE_DETAILS if c != x and df[c].nunique(dropna=False) > 1]
    return ['script', 'variant'] + varying


def curve_label(key, columns):
    fields = dict(zip(columns, key))
    extra = [CURVE_DETAILS[c] % fields[c] if not pd.isna(fields[c]) else '%s ?' % c
             for c in columns[2:]]
    label = method_label(fields['script'], fields['variant'])
    return label + (' (%s)' % ', '.join(extra) if extra else '')


def study_points(group, x, metric):
    """Mean, sample std and number of seeds of ``metric`` per value of ``x``."""
    stats = group.groupby(x)[metric].agg(['mean', 'std', 'count']).sort_index()
    return stats.index.to_numpy(float), stats['mean'].to_numpy(), \
        np.nan_to_num(stats['std'].to_numpy()), stats['count'].to_numpy()


def greyed(colour):
    """Half way to mid grey: a published curve stays recognisable as its method's."""
    return 0.5 * np.asarray(colour[:3]) + 0.5 * 0.55


def draw_published_curves(ax, x, colours):
    """The published CUB study curves of the plotted methods (``colours`` by (script, variant))."""
    study = published_study(x)
    study = study[[(s, v) in colours for s, v in zip(study['script'], study['variant'])]]
    for method, curve in study.groupby('method', sort=True):
        colour = colours[(curve['script'].iloc[0], curve['variant'].iloc[0])]
        ax.plot(curve[x], curve['R@1'], linestyle='--', marker='x', color=greyed(colour),
                label='%s (published)' % method)
    return study[x].to_numpy(float)


def check_study_frame(df, x, metric):
    if x not in AXIS_LABELS:
        raise ValueError('study_plot: x=%r; choose one of %s' % (x, ', '.join(AXIS_LABELS)))
    if metric not in df or df[metric].notna().sum() == 0:
        raise ValueError('study_plot: no %s values in the runs' % metric)
    datasets = sorted(df['dataset'].dropna().unique())
    if len(datasets) != 1:
        raise ValueError('study_plot: rows of %d datasets (%s); pass the rows of one dataset'
                         % (len(datasets), ', '.join(datasets)))
    return datasets[0]


def study_plot(df, x, out, metric='R@1', published=False):
    """Mean ``metric`` vs ``x`` ('embed_dim' or 'batch_size') per method, from a runs frame.

    Error bars are the std over seeds; the x axis is log2 with the values as ticks.
    ``published=True`` overlays the published CUB curves of the same methods (R@1 only).
    Saves ``<out>.png`` and ``<out>.pdf`` and returns the Figure.
    """
    dataset = check_study_frame(df, x, metric)
    rows = df[df[metric].notna() & df[x].notna()]
    columns = line_keys(rows, x)
    groups = list(rows.groupby(columns, dropna=False, sort=True))
    figure = new_figure(9.0, 4.8)
    ax = figure.subplots()
    ticks, seeds, colours = [], [], {}
    for colour, (key, group) in zip(rainbow(len(groups)), groups):
        xs, means, stds, counts = study_points(group, x, metric)
        ax.errorbar(xs, means, yerr=stds, marker='o', capsize=3, color=colour,
                    label=curve_label(key, columns))
        ticks += list(xs)
        seeds += list(counts)
        colours.setdefault((key[0], key[1]), colour)
    if published and dataset == 'CUB' and metric == 'R@1':
        ticks += list(draw_published_curves(ax, x, colours))
    # Sizes double from point to point, so a log2 axis spaces them evenly.
    ax.set_xscale('log', base=2)
    ticks = sorted(set(ticks))
    ax.set_xticks(ticks, ['%d' % t for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel(AXIS_LABELS[x])
    ax.set_ylabel('%s (%%)' % METRIC_LABELS.get(metric, metric))
    ax.grid(alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda i: labels[i].endswith('(published)'))
    ax.legend([handles[i] for i in order], [labels[i] for i in order], fontsize=7,
              loc='upper left', bbox_to_anchor=(1.01, 1.0))  # ours first, outside the data
    ax.set_title('%s: %s vs %s, mean ± std over seeds (%s per point)'
                 % (dataset, METRIC_LABELS.get(metric, metric), AXIS_LABELS[x],
                    count_text(seeds, 'seeds')), fontsize=10)
    save_figure(figure, out)
    return figure


def file_part(value):
    return str(value).replace(os.sep, '-').replace(' ', '-')


def select_scripts(parser, runs, scripts):
    """Rows whose script or script/variant is among ``scripts``."""
    labels = [method_label(s, v) for s, v in zip(runs['script'], runs['variant'])]
    keep = runs['script'].isin(scripts).to_numpy() | np.isin(labels, scripts)
    if not keep.any():
        parser.error('--script %s: no such runs; recorded: %s'
                     % (' '.join(scripts), ', '.join(sorted(set(labels)))))
    return runs[keep]


def plot_bars(runs, out, published):
    table = leaderboard(runs, metrics=('R@1', 'NMI'), include_published=published)
    written = []
    for (dataset, model, dim), _ in runs.groupby(['dataset', 'model', 'embed_dim'], sort=True):
        name = '%s_%s_%s_e%d' % (out, file_part(dataset), file_part(model), dim)
        bar_chart(table, dataset, model, name, embed_dim=dim, published=published)
        written += [name + '.png', name + '.pdf']
    return written


def plot_studies(runs, x, out, metric, published):
    written = []
    for dataset, rows in runs.groupby('dataset', sort=True):
        name = '%s_%s' % (out, file_part(dataset))
        study_plot(rows, x, name, metric=metric, published=published)
        written += [name + '.png', name + '.pdf']
    return written


def build_parser():
    parser = argparse.ArgumentParser(
        prog='python -m common.tools.reports.plots',
        description='Bar charts and embedding-size / batch-size studies of the recorded runs.')
    add_records_arguments(parser)
    parser.add_argument('--kind', required=True, choices=['bars'] + list(STUDIES))
    parser.add_argument('--out', default='results/plots/plot',
                        help='file name stem; bars add _<dataset>_<model>_e<dim>, studies '
                             '_<dataset> (default: %(default)s)')
    parser.add_argument('--script', nargs='+', help='only these scripts (or script/variant)')
    parser.add_argument('--metric', default='R@1', help='metric of the study plots')
    parser.add_argument('--published', action='store_true',
                        help='add the published figures (bars: hatched; studies: CUB curves)')
    return parser


def main(argv=None):
    parser = build_parser()
    args, runs = parse_records_command(parser, argv)
    if args.script:
        runs = select_scripts(parser, runs, args.script)
    try:
        if args.kind == 'bars':
            written = plot_bars(runs, args.out, args.published)
        else:
            written = plot_studies(runs, STUDIES[args.kind], args.out, args.metric,
                                   args.published)
    except ValueError as e:
        parser.error(str(e))
    for path in written:
        print(path)
    return written


if __name__ == '__main__':
    main()
