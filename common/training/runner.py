"""One invocation of a training script: its records, runs, seeds, resume and errors.

:meth:`Runner.main` turns the command line into options, runs them and maps
errors to one line and an exit code; :meth:`Runner.run` writes the manifest
and the records, restores finished runs from a saved state, trains the
others (:meth:`Runner.train_run`, which an ensemble replaces) and
summarises them.
"""
import os
import sys
import time

from ..cli import selection
from ..context import get_contexts, seed_everything
from ..data import DatasetError
from ..data.decode import ImageReadError
from ..io import OutputError, check_writable_dir, storage_error_message
from ..models import PretrainedWeightsError, bn_mode
from ..records import (
    Recorder,
    command_line,
    disabled,
    environment,
    new_invocation_id,
    with_postfix,
)
from .checkpoint import ResumeError, TrainingState, resumable_config
from .distributed import Workers, connect
from .loop import NonFiniteError, RunResult, fit, format_metrics
from .run_setup import build_run, prepare_data
from .schedule import parse_steps
from .signals import sigterm_as_interrupt
from .summary import format_summary, summarize

# Errors that mean "the input is wrong", reported as one line rather than a traceback.
USER_ERRORS = (DatasetError, PretrainedWeightsError, NonFiniteError, ImageReadError, ResumeError,
               OutputError, ValueError)


def _record_end(rec, manifest, status, error):
    """Say in the records how the invocation ended, if the disk still takes it (a full
    disk must not hide the error that is being reported)."""
    try:
        rec.write('error', message=error)
        rec.write_manifest(dict(manifest, status=status, error=error,
                                ended=time.strftime('%Y-%m-%dT%H:%M:%S')))
    except OSError:
        pass


class EndedEarly(Exception):
    """Raised from inside a run by what stops it on purpose (a tuning study's pruner): the
    records say ``status`` and the message, not "interrupted", and the exception goes on."""
    status = 'ended early'


class Runner:
    """Runs the invocations of one recipe."""

    def __init__(self, recipe):
        self.recipe = recipe
        self.workers = Workers()  # this process's place among distributed workers

    # --- the command line -----------------------------------------------------------------
    def main(self, argv=None):
        argv = list(sys.argv[1:] if argv is None else argv)
        args = self.recipe.parse_args(argv)
        program = os.path.basename(sys.argv[0])
        try:
            with sigterm_as_interrupt():  # the manifest says "interrupted", the state waits
                return self.run(args, argv)
        except USER_ERRORS as e:
            if os.environ.get('DML_DEBUG'):
                raise
            sys.stderr.write('%s: error: %s\n' % (program, e))
            sys.exit(1)
        except OSError as e:
            message = storage_error_message(e)
            if message is None or os.environ.get('DML_DEBUG'):
                raise
            sys.stderr.write('%s: error: %s\n' % (program, message))
            sys.exit(1)
        except KeyboardInterrupt as e:
            sys.stderr.write('%s: interrupted (%s); rerun the command with --resume to continue\n'
                             % (program, e or 'SIGINT'))
            sys.exit(130)

    def script_file(self):
        module = sys.modules.get(type(self.recipe).__module__)
        path = getattr(module, '__file__', None) or 'train_%s.py' % self.recipe.name
        relative = os.path.relpath(path)
        return path if relative.startswith('..') else relative

    # --- where things go ------------------------------------------------------------------
    def log_stem(self, args):
        """``<results-dir>/<log name without extension>``, also when log files are off."""
        name = self.recipe.logfile(args)
        name = 'train_%s.log' % self.recipe.name if disabled(name) else str(name)
        path = with_postfix(name, args.log_postfix)
        path = path if os.path.isabs(path) else os.path.join(args.results_dir, path)
        return os.path.splitext(path)[0]

    def checkpoint_path(self, args, run):
        """Where a run's best network is saved (None: nowhere)."""
        if disabled(args.save_model_prefix):
            return None
        prefix = args.save_model_prefix
        if args.number_of_runs > 1:
            prefix = '%s_run%d' % (prefix, run)
        path = prefix + '.params'
        if not os.path.isabs(path):
            path = os.path.join(args.results_dir, path)
        os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
        return path

    def embeddings_path(self, args, run):
        stem = self.log_stem(args)
        return '%s%s_embeddings.npz' % (stem, '_run%d' % run if args.number_of_runs > 1 else '')

    # --- one invocation -------------------------------------------------------------------
    def run(self, args, argv=()):
        """All runs of one invocation of the options ``args`` (parsed from ``argv``, which
        the manifest records); returns the summary dict."""
        self.workers = connect(args.kvstore)
        if self.workers.rank > 0:  # worker 0 writes the records; the others keep theirs apart
            args.results_dir = os.path.join(args.results_dir, 'worker%d' % self.workers.rank)
        check_writable_dir(args.results_dir)
        state = None
        if args.checkpoint_every:
            # An option a newer version added is at its default in states saved before it.
            parser = self.recipe.parser()
            defaults = resumable_config(type(args)(**{k: parser.get_default(k)
                                                      for k in vars(args)}))
            state = TrainingState(self.log_stem(args) + '.state', resumable_config(args),
                                  args.resume, new_invocation_id(), defaults)
        rec = Recorder(args.results_dir, self.recipe.logfile(args), args.log_postfix,
                       invocation=state.invocation if state else None)
        argv = [self.script_file()] + list(argv)
        manifest = dict(script=self.recipe.name, script_file=argv[0], command=command_line(argv),
                        argv=argv, cwd=os.getcwd(), args=vars(args), status='running',
                        started=time.strftime('%Y-%m-%dT%H:%M:%S'),
                        selection=selection(args),
                        batchnorm=bn_mode(args.frozen_bn, args.frozen_bn_affine),
                        seeds=[args.seed + r for r in range(args.number_of_runs)],
                        workers=dict(kind=self.workers.kind, rank=self.workers.rank,
                                     count=self.workers.count), **environment())
        if getattr(args, 'tuned', None):
            manifest['tuning'] = args.tuned
        try:
            rec.info('%s', args)
            rec.write('config', script=self.recipe.name, argv=argv, args=vars(args),
                      batchnorm=manifest['batchnorm'],
                      resumed=bool(state and state.finished_runs) or None, **environment())
            rec.write_manifest(manifest)
            try:
                summary = self.train_runs(args, rec, state, manifest)
            except USER_ERRORS as e:
                _record_end(rec, manifest, 'failed', str(e))
                raise
            except EndedEarly as e:
                _record_end(rec, manifest, e.status, str(e))
                raise
            except BaseException as e:  # a kill, ^C, a full disk or a bug: the state stays
                _record_end(rec, manifest, 'interrupted', storage_error_message(e) or repr(e))
                raise
            rec.write_manifest(dict(manifest, status='finished', summary=summary,
                                    finished=time.strftime('%Y-%m-%dT%H:%M:%S')))
            if state is not None:
                state.remove()
            return summary
        finally:
            rec.close()

    def train_runs(self, args, rec, training_state, manifest):
        contexts = get_contexts(args.gpus)
        rec.info('Devices: %s', ', '.join(str(c) for c in contexts))
        data = prepare_data(self.recipe, args, rec, contexts)
        dataset = data.dataset
        manifest['dataset'] = {'name': dataset.name, 'splits': dataset.split_counts()}
        manifest['devices'] = [str(c) for c in contexts]
        if dataset.validation is not None:
            manifest['dataset']['validation_classes'] = dataset.validation.class_names
        rec.write_manifest(manifest)
        steps = parse_steps(args.steps, args.epochs)
        rec.info('Learning rate x%g at epochs %s' % (args.factor, steps) if steps
                 else 'No learning rate decay')
        results = []
        finished = training_state.finished_runs if training_state else []
        for run in range(1, args.number_of_runs + 1):
            if run <= len(finished):
                results.append(RunResult(**finished[run - 1]))
                rec.info('Run %d restored from %s', run, training_state.folder)
                continue
            result = self.train_run(args, rec, run, contexts, data, steps, training_state)
            results.append(result)
            if args.save_embeddings:
                self.save_embeddings(args, rec, run, dataset, result)
            if training_state is not None:
                training_state.finish_run(
                    {k: v for k, v in vars(result).items() if k != 'best_embedded'})
        summary = summarize(results)
        rec.info('%s', format_summary(summary))
        rec.write('summary', **summary)
        return summary

    def train_run(self, args, rec, run, contexts, data, steps, training_state=None):
        """Train and record run ``run`` (seed ``--seed + run - 1``); returns its RunResult."""
        seed = args.seed + run - 1
        rec.info('Starting run %d/%d (seed %d)', run, args.number_of_runs, seed)
        seed_everything(seed)
        result = self.train_network(args, rec, run, seed, contexts, data.dataset,
                                    data.transform, (data.select, data.test), steps,
                                    self.checkpoint_path(args, run),
                                    training_state=training_state)[1]
        rec.info('Run %d finished: best R@1 %.2f at epoch %d (chosen on the %s split); last '
                 'epoch %s', run, result.best['R@1'], result.best_epoch, result.selection,
                 format_metrics(result.last))
        rec.write('run', run=run, seed=seed, best_epoch=result.best_epoch, best=result.best,
                  last=result.last, pretrain=result.pretrain, selection=result.selection,
                  selected=result.selected)
        return result

    def train_network(self, args, rec, run, seed, contexts, dataset, transform, evaluators,
                      steps, save_path, tags=None, training_state=None):
        """Build a fresh network, loss, sampler and optimisers and train them;
        returns (state, :class:`RunResult`). ``evaluators`` is (selection, test or None),
        or one evaluation function; ``tags`` go into every epoch record."""
        select, test = evaluators if isinstance(evaluators, tuple) else (evaluators, None)
        state, loader = build_run(self.recipe, args, rec, run, seed, contexts, dataset,
                                  transform, self.workers, self.log_stem(args) + '.nonfinite',
                                  tags)
        return state, fit(state, self.recipe, loader, select, steps, save_path, training_state,
                          test, keep_embeddings=args.save_embeddings)

    def save_embeddings(self, args, rec, run, dataset, result):
        """The selected epoch's evaluated embeddings with labels and image paths."""
        if result.best_embedded is None:
            return
        splits = dataset.eval_splits
        (embeddings, labels), rest = result.best_embedded[0], result.best_embedded[1:]
        gallery = None
        if rest:
            gallery = (rest[0][0], rest[0][1], splits[1].paths)
        from ..evaluation.embeddings_file import save_embeddings
        path = self.embeddings_path(args, run)
        save_embeddings(path, embeddings, labels, splits[0].paths,
                        self.recipe.evaluation_metric(args),
                        class_names=splits[0].class_names, gallery=gallery)
        rec.info('Saved the test embeddings of the chosen epoch to %s', path)
