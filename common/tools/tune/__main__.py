"""Tune a training script's options on class-disjoint validation folds (Optuna).

``python -m common.tools.tune run|best|report``:

    python -m common.tools.tune run --script train_margin.py --trials 40 --folds 4 \\
        --study margin_cub -- --dataset CUB --data-path data/CUB_200_2011
    python -m common.tools.tune best --study margin_cub              # the best command line
    python -m common.tools.tune best --study margin_cub --final-runs 3   # ... trained, tested
    python -m common.tools.tune best --study margin_cub --final-runs 3 -- --epochs 60
    python -m common.tools.tune report --study margin_cub            # table and plots

Arguments after ``--`` go to every trial. ``--storage`` (any SQLAlchemy URL) lets workers
on several machines share the study; the default is ``<results-dir>/<study>/study.db``.
Running the same ``run`` command again resumes the study until it holds ``--trials``.
"""
import argparse
import os
import sys

from ...training.recipe import load_recipe
from ..script_argv import split_argv
from .space import build_space, option_flags, parse_script_args, value_argv
from .storage import (
    counted_trials,
    default_storage,
    make_pruner,
    make_sampler,
    open_storage,
    study_dir,
)

PROG = 'python -m common.tools.tune'
METRICS = ('R@1', 'MAP@R')
RESULTS_DIR = os.path.join('results', 'tune')


def build_parser():
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split('\n')[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    sub = p.add_subparsers(dest='action', required=True)
    run = sub.add_parser('run', help='run (or resume) a study', prog=PROG + ' run',
                         formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    run.add_argument('--script', required=True, help='training script, e.g. train_margin.py')
    run.add_argument('--trials', type=int, default=40,
                     help='trials the study holds when done (finished, pruned or failed)')
    run.add_argument('--folds', type=int, default=4,
                     help='class-disjoint folds of the training classes, each trial trains '
                          'once per fold; 1: the --val-classes split given after --')
    run.add_argument('--metric', choices=METRICS, default='R@1',
                     help='validation metric, averaged over the folds, to maximise')
    run.add_argument('--space', metavar='FILE',
                     help='JSON or YAML ranges over the script\'s search space, e.g. '
                          '{"lr": {"low": 1e-5, "high": 1e-3, "log": true}, "margin": 0.2}')
    run.add_argument('--seed', type=int, default=0, help='seed of the sampler')
    run.add_argument('--no-pruning', action='store_true',
                     help='train every trial to its last epoch')
    best = sub.add_parser('best', help="the best trial's command line", prog=PROG + ' best',
                          formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    best.add_argument('--final-runs', type=int, default=0, metavar='N',
                      help='train the best options with N seeds on the full training split '
                           'and evaluate the test split once, at the last epoch; options '
                           'after -- replace the study\'s (e.g. a longer --epochs, or '
                           '--val-classes to choose the epoch on held-out classes as a '
                           'benchmark does)')
    shown = sub.add_parser('report', help='trials table and plots', prog=PROG + ' report',
                           formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    for parser in (run, best, shown):
        parser.add_argument('--study', required=True, help="the study's name")
        parser.add_argument('--storage', metavar='URL',
                            help="SQLAlchemy URL of the study's database, e.g. "
                                 'postgresql://user@host:5432/db (default: SQLite under '
                                 '--results-dir)')
        parser.add_argument('--results-dir', default=RESULTS_DIR,
                            help="folder of the studies: <study>/ holds the trials' records "
                                 'and reports (and study.db by default)')
    return p


def storage_url(args, create=False):
    return args.storage or default_storage(args.results_dir, args.study, create)


def given(argv, flag):
    return any(a == flag or a.startswith(flag + '=') for a in argv)


def check_run(args, recipe, script_args, space):
    """One-line errors for a study that cannot run as asked."""
    if args.trials < 1:
        raise ValueError('--trials must be at least 1')
    if args.folds < 1:
        raise ValueError('--folds must be at least 1 (1: the --val-classes split)')
    from .objective import STUDY_OPTIONS
    flags = option_flags(recipe)
    clash = [f for f in STUDY_OPTIONS + tuple(flags[n] for n in space) if given(script_args, f)]
    if clash:
        raise ValueError('%s: the study sets these itself (tuned ones come from the space); '
                         'remove them after --' % ', '.join(clash))
    if args.folds == 1 and not given(script_args, '--val-classes'):
        raise ValueError('--folds 1 validates on the --val-classes split: add --val-classes N '
                         'after --')
    if args.folds > 1 and given(script_args, '--val-classes'):
        raise ValueError('--folds %d validates on folds of the training classes: drop '
                         '--val-classes after --' % args.folds)
    if parse_script_args(recipe, script_args).epochs < 1:
        raise ValueError('--epochs 0 trains nothing to tune')


def load_study(args):
    import optuna
    url = storage_url(args)
    try:
        return optuna.load_study(study_name=args.study, storage=open_storage(url))
    except KeyError:
        raise ValueError('--study %s: no such study in %s' % (args.study, url)) from None


def run(args, script_args):
    import optuna
    from optuna.trial import TrialState

    from .objective import Objective, TrialFailed
    from .report import write_report
    if not os.path.isfile(args.script):
        raise ValueError('--script %s: no such file; give the path of a train_*.py script'
                         % args.script)
    recipe = load_recipe(args.script)
    space = build_space(recipe, script_args, args.space)
    check_run(args, recipe, script_args, space)
    setting = dict(script=os.path.normpath(args.script), script_args=script_args,
                   folds=args.folds, metric=args.metric,
                   space={k: v.describe() for k, v in space.items()})
    optuna.logging.set_verbosity(optuna.logging.WARNING)  # the progress lines say it
    url = storage_url(args, create=True)
    study = optuna.create_study(study_name=args.study, storage=open_storage(url),
                                sampler=make_sampler(args.seed, args.trials),
                                pruner=make_pruner(not args.no_pruning), direction='maximize',
                                load_if_exists=True)
    for key, value in setting.items():
        if key in study.user_attrs and study.user_attrs[key] != value:
            raise ValueError('--study %s was run with %s %s, not %s: give another --study'
                             % (args.study, key, study.user_attrs[key], value))
        study.set_user_attr(key, value)
    folder = study_dir(args.results_dir, args.study)
    objective = Objective(recipe, args.script, script_args, space, args.folds, args.metric,
                          os.path.join(folder, 'trials'))
    print('[tune] study %s in %s: %d of %d trials done; searching %s' % (
        args.study, url, counted_trials(study), args.trials,
        '; '.join('%s %s' % kv for kv in setting['space'].items())), flush=True)

    def progress(study, trial):
        done = counted_trials(study)
        state = trial.state.name.lower()
        note = ('%s %.2f' % (args.metric, trial.value) if trial.state == TrialState.COMPLETE
                else trial.user_attrs.get('failure') or trial.user_attrs.get('pruned') or '')
        best = ''
        if any(t.state == TrialState.COMPLETE for t in study.get_trials(deepcopy=False)):
            best = '; best: trial %d, %.2f' % (study.best_trial.number, study.best_value)
        print('[tune] trial %d %s (%s; %s) in %ss; %d/%d done%s' % (
            trial.number, state, note, ', '.join('%s=%.4g' % kv if isinstance(kv[1], float)
                                                 else '%s=%s' % kv
                                                 for kv in trial.params.items()),
            trial.user_attrs.get('seconds'), done, args.trials, best), flush=True)
        if done >= args.trials:
            study.stop()  # the other workers' trials count too

    remaining = args.trials - counted_trials(study)
    if remaining > 0:
        study.optimize(objective, n_trials=remaining, catch=(TrialFailed,),
                       callbacks=[progress])
    paths, notes = write_report(study, folder)
    print('[tune] report: %s%s' % (', '.join(paths), ''.join('; %s' % n for n in notes)))
    return study


def without_option(argv, flag):
    """``argv`` without ``flag`` and its value (as ``--flag V`` or ``--flag=V``)."""
    out, skip = [], False
    for a in argv:
        if skip:
            skip = False
        elif a == flag:
            skip = True
        elif not a.startswith(flag + '='):
            out.append(a)
    return out


def best_argv(study):
    """The best trial's command line, on the full training split (no validation)."""
    attrs = study.user_attrs
    recipe = load_recipe(attrs['script'])
    return [attrs['script']] + without_option(attrs['script_args'], '--val-classes') + \
        value_argv(recipe, study.best_trial.params)


def best(args, extra=()):
    """Print the best trial's command line (with ``extra`` options after it, e.g. a
    benchmark's full epoch budget) and, with ``--final-runs``, run it."""
    from optuna.trial import TrialState

    from ..run_commands import exit_if_failed, run_commands
    study = load_study(args)
    if not any(t.state == TrialState.COMPLETE for t in study.get_trials(deepcopy=False)):
        raise ValueError('--study %s has no finished trial yet' % args.study)
    argv = best_argv(study) + list(extra)
    print('# trial %d, %s %.2f over %d fold(s)' % (study.best_trial.number,
                                                  study.user_attrs['metric'],
                                                  study.best_value, study.user_attrs['folds']))
    print('python ' + ' '.join(argv))
    if args.final_runs < 1:
        return argv
    recipe = load_recipe(argv[0])
    parsed = parse_script_args(recipe, argv[1:])
    # Without a validation split the test split is evaluated once, at the last epoch: with
    # more evaluations it would choose the epoch. Options after -- may give one (e.g. a
    # benchmark's --val-classes), which then chooses the epoch as in any run.
    once = [] if parsed.val_classes else ['--eval-every', str(parsed.epochs)]
    # Defaults go before the options after -- (which may rename the records), the rest after.
    final = argv[:1] + ['--log-postfix', 'tuned_%s' % args.study,
                        '--skip-pretrain-validation'] + argv[1:] + once + [
        '--number-of-runs', str(args.final_runs),
        '--tuned', '%s:%d:%d' % (args.study, counted_trials(study), study.user_attrs['folds']),
        '--results-dir', os.path.join(study_dir(args.results_dir, args.study), 'final')]
    folder = final[final.index('--results-dir') + 1]
    exit_if_failed(run_commands([('final', final)], folder), 1, folder, 'final runs')
    return final


def report(args):
    from .report import write_report
    paths, notes = write_report(load_study(args), study_dir(args.results_dir, args.study))
    print('\n'.join(paths + notes))
    return paths


def main(argv=None):
    parser = build_parser()
    own, script_args = split_argv(argv)
    args = parser.parse_args(own)
    if script_args and args.action == 'report':
        parser.error('options after -- go to the trials of "run" or the final runs of "best"')
    try:
        if args.action == 'run':
            return run(args, script_args)
        return best(args, script_args) if args.action == 'best' else report(args)
    except ValueError as e:
        sys.stderr.write('%s %s: error: %s\n' % (PROG, args.action, e))
        sys.exit(1)
    except KeyboardInterrupt:
        sys.stderr.write('%s: interrupted; run the same command again to resume the study\n'
                         % PROG)
        sys.exit(130)


if __name__ == '__main__':
    main()
