"""One trial: the script trained once per class-disjoint fold, in this process, through the
script's own runner and training loop; each evaluated epoch is reported to Optuna."""
import math
import os
import socket
import time

import optuna

from ...io import storage_error_message
from ...training.runner import USER_ERRORS, EndedEarly
from .space import parse_script_args, suggest, value_argv

# Options a study sets on every trial itself (refused after --).
STUDY_OPTIONS = ('--number-of-runs', '--results-dir', '--log-postfix', '--val-fold', '--tuned',
                 '--resume', '--checkpoint-every', '--save-model-prefix')


class TrialFailed(Exception):
    """A trial's run refused its options or diverged: recorded as failed, the study goes on."""


class Pruned(EndedEarly, optuna.TrialPruned):
    """The pruner stopped a fold's run: Optuna records the trial as pruned, the run's
    records say "pruned"."""
    status = 'pruned'


class ReportingEvaluator:
    """The validation evaluator of one fold: reports each evaluated epoch's metric to the
    trial at its own step (fold by fold, so the pruner compares the same fold and epoch)
    and stops the run when the pruner says so. Everything else is the evaluator's."""

    def __init__(self, evaluate, trial, metric, first_step):
        self.evaluate, self.trial, self.metric = evaluate, trial, metric
        self.step = first_step

    def __call__(self, net):
        metrics = self.evaluate(net)
        self.step += 1
        value = metrics[self.metric]
        self.trial.report(value, self.step)
        if self.trial.should_prune():
            raise Pruned('%s %.2f at step %d is below the median of the earlier trials'
                         % (self.metric, value, self.step))
        return metrics

    def __getattr__(self, name):  # last_notes, last_embedded
        return getattr(self.evaluate, name)


def reporting_runner(recipe, wrap):
    """The script's own runner (an ensemble's too), its selection evaluator wrapped by
    ``wrap``: the loop's epoch evaluations are where a trial is reported and pruned."""

    class TrialRunner(recipe.runner):
        def train_network(self, args, rec, run, seed, contexts, dataset, transform,
                          evaluators, *rest, **kwargs):
            select, test = evaluators if isinstance(evaluators, tuple) else (evaluators, None)
            return super().train_network(args, rec, run, seed, contexts, dataset, transform,
                                         (wrap(select), test), *rest, **kwargs)

    return TrialRunner(recipe)


def evaluations_per_fold(args):
    """How many times the loop evaluates a run: every ``--eval-every`` epochs and the last."""
    return args.epochs // args.eval_every + (args.epochs % args.eval_every != 0)


class Objective:
    """``objective(trial)``: the mean over folds of the validation ``metric`` at the last
    epoch (what a final run on the full training split would train to)."""

    def __init__(self, recipe, script, script_args, space, folds, metric, trials_dir,
                 progress=print):
        self.recipe, self.script, self.script_args = recipe, script, list(script_args)
        self.space, self.folds, self.metric = space, folds, metric
        self.trials_dir, self.progress = trials_dir, progress
        self.base = parse_script_args(recipe, script_args)

    def fold_argv(self, trial_number, values, fold):
        """The script's command line of one fold of one trial."""
        split = ['--val-fold', '%d/%d' % (fold, self.folds)] if self.folds > 1 else []
        return self.script_args + split + value_argv(self.recipe, values) + [
            '--seed', str(self.base.seed + trial_number), '--number-of-runs', '1',
            '--results-dir', self.trials_dir,
            '--log-postfix', 'trial%d_fold%d' % (trial_number, fold),
            '--save-model-prefix', 'none', '--checkpoint-every', '0',
            '--skip-pretrain-validation']

    def __call__(self, trial):
        values = suggest(trial, self.space)
        trial.set_user_attr('worker', '%s:%d' % (socket.gethostname(), os.getpid()))
        trial.set_user_attr('seed', self.base.seed + trial.number)
        start, fold_values = time.time(), []
        try:
            for fold in range(1, self.folds + 1):
                argv = self.fold_argv(trial.number, values, fold)
                fold_values.append(self.run_fold(trial, argv, fold))
                trial.set_user_attr('fold_values', fold_values)
                self.progress('[tune] trial %d fold %d/%d: %s %.2f'
                              % (trial.number, fold, self.folds, self.metric, fold_values[-1]))
        except optuna.TrialPruned as e:
            trial.set_user_attr('pruned', str(e))
            raise
        except TrialFailed as e:
            trial.set_user_attr('failure', str(e))
            raise
        finally:
            trial.set_user_attr('seconds', round(time.time() - start, 1))
        return sum(fold_values) / len(fold_values)

    def run_fold(self, trial, argv, fold):
        """The fold's validation metric at the last epoch; a refused option, a non-finite
        loss or a full disk is TrialFailed naming the fold."""
        try:
            args = parse_script_args(self.recipe, argv)
            first = (fold - 1) * evaluations_per_fold(args)
            runner = reporting_runner(
                self.recipe, lambda select: ReportingEvaluator(select, trial, self.metric, first))
            summary = runner.run(args, [self.script] + argv)
        except USER_ERRORS + (OSError,) as e:
            if isinstance(e, OSError) and storage_error_message(e) is None:
                raise  # not the run's fault: a bug or the machine, not a failed trial
            raise TrialFailed('fold %d: %s' % (fold, storage_error_message(e) or e)) from None
        value = summary['last'][self.metric]['mean']
        if not math.isfinite(value):
            raise TrialFailed('fold %d: the validation %s is %s' % (fold, self.metric, value))
        return value
