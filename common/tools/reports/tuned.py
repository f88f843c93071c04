"""Tuned rows against the default-recipe rows of the same methods: the metrics side by
side, the ranking under each, and the options the tuning studies changed.

A row is "tuned" when its records say ``"selection": "tuned"`` (``python -m common.tools.tune
best --final-runs``); every other row of the same method and BatchNorm mode is its default
recipe. Methods without tuned rows are left out, except the untrained baseline.
"""
import pandas as pd

from ...records import read_manifest
from .collect import NOT_CONFIG
from .leaderboard import leaderboard, mean_column, method_label, side_by_side

DEFAULT, TUNED = 'default', 'tuned'
BASELINE = 'no training'
METHOD_KEYS = ['script', 'variant', 'batchnorm']


def compared_runs(runs):
    """The runs of the methods that have tuned runs, and the untrained baseline in their
    BatchNorm modes. A ValueError if nothing was tuned."""
    tuned = runs['selection'] == TUNED
    if not tuned.any():
        raise ValueError('no tuned runs among the records: give the final runs of a study '
                         '(<study>/final/, written by python -m common.tools.tune best '
                         '--final-runs)')
    methods = set(map(tuple, runs.loc[tuned, METHOD_KEYS].to_numpy()))
    modes = set(runs.loc[tuned, 'batchnorm'])
    keep = [tuple(key) in methods or (str(key[1]).endswith(BASELINE) and key[2] in modes)
            for key in runs[METHOD_KEYS].to_numpy()]
    return runs[keep]


def options_changed(default_manifest, tuned_manifest):
    """``{option: (default, tuned)}`` for each option that sets the computation (not seeds,
    paths or logging) and differs between the two invocations. An option only one of them
    records (added to the toolkit in between, at its default) is left out."""
    default = read_manifest(default_manifest).get('args') or {}
    tuned = read_manifest(tuned_manifest).get('args') or {}
    return {k: (default[k], tuned[k]) for k in sorted(set(default) & set(tuned))
            if k not in NOT_CONFIG and default[k] != tuned[k]}


def format_value(value):
    return '%.3g' % value if isinstance(value, float) else str(value)


def ranks(wide, value, metric='R@1'):
    """1 for the best mean ``metric`` under ``value`` (the baseline not ranked)."""
    column = '%s [%s]' % (mean_column(metric), value)
    ranked = ~wide['method'].str.endswith(BASELINE)
    return wide[column].where(ranked).rank(ascending=False, method='min')


def compare(runs, metrics):
    """(compared runs, leaderboard table, wide table, values): the runs of
    :func:`compared_runs`, their leaderboard, and its rows side by side by options
    ('default', 'tuned') with the R@1 rank under each."""
    runs = compared_runs(runs)
    table = leaderboard(runs, metrics, include_published=False)
    # Paired by options: whichever split chose a default row's epoch, it is the default.
    options = table.assign(selection=table['selection'].where(table['selection'] == TUNED,
                                                              DEFAULT))
    wide, values = side_by_side(options, 'selection', metrics, first=DEFAULT)
    for value in values:
        wide['rank [%s]' % value] = ranks(wide, value)
    return runs, table, wide, values


def first_manifest(runs, labels, row, selection):
    """The manifest of the first invocation of a wide row's method (``labels``: the runs'
    method labels), tuned or default."""
    rows = runs[(labels == row['method']) & (runs['batchnorm'] == row['batchnorm'])
                & ((runs['selection'] == TUNED) == (selection == TUNED))]
    return rows.sort_values(['invocation', 'run'])['manifest'].iloc[0] if len(rows) else None


def changes_markdown(runs, wide):
    """Per compared method: its R@1 rank with the default recipe and tuned, the study, and
    each option the study changed (default -> tuned)."""
    lines = ['| method | BatchNorm | rank, default | rank, tuned | study (trials, folds) | '
             'options changed (default → tuned) |', '|---|---|---|---|---|---|']
    labels = pd.Series([method_label(s, v) for s, v in zip(runs['script'], runs['variant'])],
                       index=runs.index, dtype=object)
    for row in wide.sort_values('rank [%s]' % TUNED, na_position='last').to_dict('records'):
        if row['method'].endswith(BASELINE):
            continue
        default = first_manifest(runs, labels, row, DEFAULT)
        tuned = first_manifest(runs, labels, row, TUNED)
        changed, study = '–', '–'
        if tuned is not None:
            tuning = read_manifest(tuned).get('tuning') or {}
            study = '%s (%s, %s)' % (tuning.get('study', '?'), tuning.get('trials', '?'),
                                     tuning.get('folds', '?'))
        if default is not None and tuned is not None:
            changed = ', '.join('%s %s → %s' % (k, format_value(a), format_value(b))
                                for k, (a, b) in options_changed(default, tuned).items())
        cells = [row['method'], row['batchnorm'],
                 *('–' if pd.isna(row['rank [%s]' % v]) else '%d' % row['rank [%s]' % v]
                   for v in (DEFAULT, TUNED)), study, changed or 'none']
        lines.append('| ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines) + '\n'
