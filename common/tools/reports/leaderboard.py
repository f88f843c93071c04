"""Leaderboard: mean and std over runs per method, beside the playground's published figures.

    python -m common.tools.reports.leaderboard results/ --out results/leaderboard

writes ``results/leaderboard.md`` and ``results/leaderboard.csv`` and prints
the Markdown. Each of our rows names the command of its first invocation,
so every number can be reproduced.
"""
import argparse
import os

import numpy as np
import pandas as pd

from .collect import (
    DEFAULT_BATCHNORM,
    RUN_COLUMNS,
    add_records_arguments,
    parse_records_command,
)
from .published import is_published, published_results, source_note

OURS = 'this toolkit'
DEFAULT_METRICS = ('R@1', 'NMI', 'MAP@R')
GROUP = ['dataset', 'model', 'embed_dim']
# The BatchNorm mode (trained, frozen) is a fairness column like the backbone: rows that
# differ in it are never merged.
ROW_KEYS = GROUP + ['script', 'variant', 'batchnorm', 'selection', 'config']


def method_label(script, variant):
    return '%s/%s' % (script, variant) if variant else str(script)


def mean_column(metric):
    return '%s mean' % metric


def std_column(metric):
    return '%s std' % metric


def summarise_runs(runs, metrics):
    """One row per method configuration: n runs, mean and sample std (ddof=1) per metric."""
    rows = []
    # dropna=False: a record without e.g. embed_dim is still a method to report.
    for keys, group in runs.groupby(ROW_KEYS, dropna=False, sort=False):
        group = group.sort_values(['invocation', 'run'])
        row = dict(zip(ROW_KEYS, keys), n=len(group), invocations=group['invocation'].nunique())
        for metric in metrics:
            values = group[metric].dropna() if metric in group else pd.Series(dtype=float)
            row[mean_column(metric)] = values.mean() if len(values) else np.nan
            row[std_column(metric)] = values.std(ddof=1) if len(values) > 1 else np.nan
        row.update(command=group['command'].iloc[0], source=OURS)
        rows.append(row)
    return rows


def published_rows(datasets, metrics):
    """The published figures of the given datasets, shaped like our rows (no std: not given)."""
    table = published_results()
    rows = []
    for record in table[table['dataset'].isin(datasets)].to_dict('records'):
        row = {k: record.get(k, '') for k in ROW_KEYS}
        row.update(n=record['n'], invocations=np.nan)
        for metric in metrics:
            row[mean_column(metric)] = record.get(metric, np.nan)
            row[std_column(metric)] = np.nan
        row.update(command='', source=record['source'])
        rows.append(row)
    return rows


def leaderboard(runs_df, metrics=DEFAULT_METRICS, include_published=True):
    """Mean/std per (dataset, model, embed_dim, script, variant, selection), best R@1 first."""
    metrics = list(metrics)
    if not metrics:
        raise ValueError('metrics: give at least one metric, e.g. R@1')
    runs = runs_df.copy()
    for column, default in (('variant', ''), ('config', ''), ('batchnorm', DEFAULT_BATCHNORM)):
        if column not in runs:
            runs[column] = default
    rows = summarise_runs(runs, metrics)
    if include_published:
        rows += published_rows(set(runs['dataset'].dropna()), metrics)
    columns = (ROW_KEYS + ['method', 'n', 'invocations']
               + [c for m in metrics for c in (mean_column(m), std_column(m))]
               + ['source', 'command'])
    table = pd.DataFrame(rows, columns=[c for c in columns if c != 'method'])
    table.insert(len(ROW_KEYS), 'method',
                 [method_label(s, v) for s, v in zip(table['script'], table['variant'])])
    rank = mean_column('R@1' if 'R@1' in metrics else metrics[0])
    table = table.sort_values(GROUP + [rank], ascending=[True, True, True, False],
                              na_position='last', kind='stable')
    return table.reset_index(drop=True)


def format_cell(mean, std):
    if pd.isna(mean):
        return '–'
    return '%.2f' % mean if pd.isna(std) else '%.2f ± %.2f' % (mean, std)


def markdown_escape(text):
    return str(text).replace('|', '\\|')


def source_cell(source):
    return markdown_escape(source) if is_published(source) else OURS


def group_title(dataset, model, embed_dim):
    dim = '?' if pd.isna(embed_dim) else '%d' % embed_dim
    return '%s, %s, %s-d embedding' % (dataset, model, dim)


def metrics_of(table):
    return [c[:-len(' mean')] for c in table.columns if c.endswith(' mean')]


def plural(count, word):
    return '%d %s%s' % (count, word, '' if count == 1 else 's')


def group_note(group):
    """What the numbers of one table are: how many runs, how the epoch was selected."""
    ours = group[group['source'] == OURS]
    notes = []
    if len(ours):
        chosen = sorted(ours['selection'].dropna().unique())
        selections = ' and '.join('%s set' % s for s in chosen if s != 'tuned')
        how = 'best epoch selected on the %s' % (selections or 'unrecorded set')
        if chosen == ['tuned']:
            how = 'options tuned on validation folds, test split evaluated once at the end'
        notes.append('This toolkit: %s in %s, mean ± sample std over runs; %s.'
                     % (plural(ours['n'].sum(), 'run'),
                        plural(ours['invocations'].sum(), 'invocation'), how))
    for source in group.loc[group['source'] != OURS, 'source'].unique():
        notes.append('Published: %s.' % source_note(source))
    return ' '.join(notes)


def markdown_table(group, metrics):
    header = ['method', 'BatchNorm', 'selection', 'n'] + metrics + ['source', 'command']
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for row in group.to_dict('records'):
        cells = [row['method'], row['batchnorm'] or '–', row['selection'],
                 '%d' % row['n'] if pd.notna(row['n']) else '?']
        cells += [format_cell(row[mean_column(m)], row[std_column(m)]) for m in metrics]
        cells += [source_cell(row['source']),
                  '`%s`' % markdown_escape(row['command']) if row['command'] else '']
        lines.append('| ' + ' | '.join(str(c) for c in cells) + ' |')
    return lines


def to_markdown(df):
    """One Markdown table per (dataset, model, embed_dim), each with a heading and a note."""
    metrics = metrics_of(df)
    parts = []
    for keys, group in df.groupby(GROUP, dropna=False, sort=False):
        # Rows whose options a tuning study chose (on validation folds) are not comparable
        # with the scripts' published defaults: they get a table of their own.
        tuned = group['selection'] == 'tuned'
        lines = ['## ' + group_title(*keys), '']
        if (~tuned).any():
            lines += markdown_table(group[~tuned], metrics) + ['', group_note(group[~tuned])]
        if tuned.any():
            lines += ['' if (~tuned).any() else None, '### Tuned: options chosen by '
                      'python -m common.tools.tune on class-disjoint validation folds, '
                      'then trained anew (the classes each row trained on are in its '
                      'command)', '']
            lines += markdown_table(group[tuned], metrics) + ['', group_note(group[tuned])]
        parts.append('\n'.join(line for line in lines if line is not None))
    return '\n\n'.join(parts) + '\n'


def write_leaderboard(df, out):
    """``<out>.md`` and ``<out>.csv``; returns their paths."""
    os.makedirs(os.path.dirname(out) or '.', exist_ok=True)
    paths = (out + '.md', out + '.csv')
    with open(paths[0], 'w') as f:
        f.write(to_markdown(df))
    df.to_csv(paths[1], index=False)
    return paths


def side_by_side(table, column='batchnorm', metrics=('R@1',), first=DEFAULT_BATCHNORM):
    """Our rows of a leaderboard with the values of ``column`` (e.g. the BatchNorm modes)
    side by side: one row per method, columns ``<metric> mean|std [<value>]``, ``n [<value>]``
    and ``command [<value>]``, sorted by the R@1 of the last value (``first`` first).

    A method with two settings for one value (say two learning rates) cannot be paired:
    that is a ValueError naming it."""
    ours = table[table['source'] == OURS]
    values = sorted(ours[column].dropna().unique(), key=lambda v: (v != first, v))
    # Rows pair on everything that tells methods apart but the column compared.
    keys = GROUP + ['method'] + [k for k in ('batchnorm', 'selection') if k != column]
    rows = []
    for key, group in ours.groupby(keys, dropna=False, sort=False):
        repeated = group[column][group[column].duplicated()]
        if len(repeated):
            raise ValueError('%s: several settings with %s %s; pass the records of one setting '
                             'per value' % (key[len(GROUP)], column, repeated.iloc[0]))
        row = dict(zip(keys, key))
        for record in group.to_dict('records'):
            value = record[column]
            row['n [%s]' % value] = record['n']
            for metric in metrics:
                for part in (mean_column(metric), std_column(metric)):
                    row['%s [%s]' % (part, value)] = record[part]
            row['command [%s]' % value] = record['command']
        rows.append(row)
    columns = keys + ['n [%s]' % v for v in values] + [
        '%s [%s]' % (part, v) for m in metrics for v in values
        for part in (mean_column(m), std_column(m))] + ['command [%s]' % v for v in values]
    wide = pd.DataFrame(rows, columns=columns)
    rank = '%s [%s]' % (mean_column('R@1' if 'R@1' in metrics else metrics[0]), values[-1])
    return wide.sort_values(GROUP + [rank], ascending=[True, True, True, False],
                            na_position='last', kind='stable').reset_index(drop=True), values


def side_by_side_markdown(wide, values, metrics, column_title='BatchNorm'):
    """One Markdown table per group: each metric under each value, the first metric followed
    by its change from the first value to the last."""
    change = len(values) > 1
    header = ['method', 'runs']
    for i, m in enumerate(metrics):
        header += ['%s, %s %s' % (m, column_title, v) for v in values]
        header += ['%s change' % m] if change and i == 0 else []
    parts = []
    for keys, group in wide.groupby(GROUP, dropna=False, sort=False):
        lines = ['## ' + group_title(*keys), '',
                 '| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
        for row in group.to_dict('records'):
            runs = ' / '.join('–' if pd.isna(row['n [%s]' % v]) else '%d' % row['n [%s]' % v]
                              for v in values)
            cells = [row['method'], runs]
            for i, m in enumerate(metrics):
                cells += [format_cell(row['%s [%s]' % (mean_column(m), v)],
                                      row['%s [%s]' % (std_column(m), v)]) for v in values]
                if change and i == 0:
                    delta = row['%s [%s]' % (mean_column(m), values[-1])] - \
                        row['%s [%s]' % (mean_column(m), values[0])]
                    cells.append('–' if pd.isna(delta) else '%+.2f' % delta)
            lines.append('| ' + ' | '.join(markdown_escape(c) for c in cells) + ' |')
        parts.append('\n'.join(lines))
    return '\n\n'.join(parts) + '\n'


def split_metrics(values):
    """``--metrics R@1 NMI`` or ``--metrics R@1,NMI``."""
    return [m for value in values for m in value.split(',') if m]


def build_parser():
    parser = argparse.ArgumentParser(
        prog='python -m common.tools.reports.leaderboard',
        description='Mean ± std of the recorded runs per method, beside the published figures.')
    add_records_arguments(parser)
    parser.add_argument('--out', default='results/leaderboard',
                        help='writes <out>.md and <out>.csv (default: %(default)s)')
    parser.add_argument('--metrics', nargs='+',
                        help='metric columns (default: %s)' % ' '.join(DEFAULT_METRICS))
    parser.add_argument('--no-published', dest='published', action='store_false',
                        help="leave out the DML playground's published figures")
    return parser


def main(argv=None):
    parser = build_parser()
    args, runs = parse_records_command(parser, argv)
    # Defaults may be missing (NMI can be switched off); metrics asked for by name must exist.
    metrics = split_metrics(args.metrics) if args.metrics else list(DEFAULT_METRICS)
    unknown = [m for m in metrics if args.metrics and m not in runs.columns]
    if unknown:
        known = [c for c in runs.columns if c not in RUN_COLUMNS]
        parser.error('--metrics %s: not recorded; the runs have %s'
                     % (', '.join(unknown), ', '.join(known)))
    table = leaderboard(runs, metrics, include_published=args.published)
    paths = write_leaderboard(table, args.out)
    print(to_markdown(table))
    print('wrote %s' % ', '.join(paths))
    return table


if __name__ == '__main__':
    main()
