"""A study's reports: the trials table (Markdown and CSV) and Optuna's optimisation-history
and parameter-importance plots (its matplotlib backend)."""
import os
import warnings

import optuna
import pandas as pd
from optuna.trial import TrialState


def trials_table(study):
    """One row per trial: number, state, value, parameters, fold values, seconds, note."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        row = {'trial': t.number, 'state': t.state.name.lower(), 'value': t.value}
        row.update(t.params)
        row['fold values'] = ' '.join('%.2f' % v for v in t.user_attrs.get('fold_values', []))
        row['seconds'] = t.user_attrs.get('seconds')
        row['note'] = note(t)
        row['worker'] = t.user_attrs.get('worker', '')
        rows.append(row)
    return pd.DataFrame(rows)


def note(trial):
    """Why a trial ended as it did: the failure or pruning reason, or that it was cut off."""
    reason = trial.user_attrs.get('failure') or trial.user_attrs.get('pruned')
    if reason:
        return reason
    if trial.state == TrialState.FAIL:  # no reason: ^C, or a killed worker's stale heartbeat
        return 'interrupted (its worker stopped); not counted, another trial took its place'
    if trial.state == TrialState.RUNNING:
        return 'running'
    return ''


def to_markdown(table, title):
    def cell(value):
        if isinstance(value, float):
            return '' if pd.isna(value) else '%.4g' % value
        return str(value).replace('|', '\\|')
    lines = ['# ' + title, '', '| ' + ' | '.join(table.columns) + ' |',
             '|' + '---|' * len(table.columns)]
    lines += ['| ' + ' | '.join(cell(v) for v in row) + ' |'
              for row in table.itertuples(index=False)]
    return '\n'.join(lines) + '\n'


def write_report(study, folder):
    """``trials.md``, ``trials.csv``, ``history.png`` and, once two trials have finished,
    ``importance.png`` in ``folder``; returns the paths written and a note on the plots
    left out."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    import optuna.visualization.matplotlib as ovm

    os.makedirs(folder, exist_ok=True)
    table = trials_table(study)
    attrs = study.user_attrs
    title = 'Study %s: %s, %s over %d fold(s)' % (study.study_name, attrs.get('script'),
                                                  attrs.get('metric'), attrs.get('folds', 1))
    paths = [os.path.join(folder, 'trials.md'), os.path.join(folder, 'trials.csv')]
    with open(paths[0], 'w') as f:
        f.write(to_markdown(table, title))
    table.to_csv(paths[1], index=False)
    notes = []
    plots = [('history.png', ovm.plot_optimization_history),
             ('importance.png', ovm.plot_param_importances)]
    finished = sum(t.state.name == 'COMPLETE' for t in study.get_trials(deepcopy=False))
    for name, plot in plots:
        if finished < 2:
            notes.append('%s needs two finished trials' % name)
            continue
        try:
            with warnings.catch_warnings():  # Optuna calls its matplotlib plots experimental
                warnings.simplefilter('ignore', optuna.exceptions.ExperimentalWarning)
                axes = plot(study)
        except (ValueError, RuntimeError) as e:  # e.g. importance of a single-valued space
            notes.append('%s: %s' % (name, e))
            continue
        figure = axes.figure if hasattr(axes, 'figure') else axes.flat[0].figure
        figure.tight_layout()
        figure.savefig(os.path.join(folder, name), dpi=120)
        plt.close(figure)
        paths.append(os.path.join(folder, name))
    return paths, notes
