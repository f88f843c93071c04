"""Resumable training state: everything an interrupted invocation needs to go on.

One folder per invocation (``<results-dir>/<log stem>.state``) holds the
configuration, the results of finished runs and, for the run in progress,
the state after its last completed epoch: network and loss parameters,
optimiser states (Adam moments, update counts), the batch sampler (its
generator and any carried-over images), the script's ``state.extra``, the
best epoch so far with its metrics and weights, and the epoch history. The
global random generators are re-seeded from (seed, epoch) at the start of
every epoch (MXNet's cannot be read back), so a resumed run draws the same
numbers as an uninterrupted one.

Each epoch's state is written into a new folder; a pointer file, replaced
atomically, names the complete one, and only then is the older folder
removed. A kill at any moment leaves the last good state readable.
"""
import json
import os
import pickle
import shutil

import mxnet as mx

from ..io import save_mxnet_file, write_atomically, write_json_atomic

# Options that do not change what is computed, so a run may resume with other values.
MAY_CHANGE_ON_RESUME = frozenset({
    'resume', 'num_workers', 'gpus', 'kvstore', 'results_dir', 'logfile', 'log_postfix',
    'data_path', 'checkpoint_every', 'save_embeddings', 'save_model_prefix',
    'on_nonfinite'})  # a run stopped by a NaN may go on skipping such batches


class ResumeError(ValueError):
    """A saved training state cannot be used for this invocation."""


def resumable_config(args, ignore=MAY_CHANGE_ON_RESUME):
    """The options that must match for a saved state to be resumed (JSON-comparable)."""
    return json.loads(json.dumps({k: v for k, v in sorted(vars(args).items())
                                  if k not in ignore}, default=str))


def _differences(saved, config, defaults):
    """Options that differ; one that a newer version added (absent from the saved state)
    counts only when it is not at its default, which the older version did compute."""
    keys = sorted(set(saved) | set(config))
    return ['%s: %r -> %r' % (k, saved.get(k), config.get(k)) for k in keys
            if saved.get(k) != config.get(k)
            and not (k not in saved and k in defaults and config.get(k) == defaults[k])]


class TrainingState:
    """The state folder of one invocation; ``resume`` says whether to continue it."""

    def __init__(self, folder, config, resume, invocation, defaults=None):
        self.folder, self.config = folder, config
        self.info = None
        index = os.path.join(folder, 'invocation.json')
        if os.path.exists(index):
            with open(index) as f:
                saved = json.load(f)
            if not resume:
                raise ResumeError('%s holds the state of an unfinished run: pass --resume to '
                                  'continue it, or delete the folder to start afresh' % folder)
            changed = _differences(saved['config'], config, defaults or {})
            if changed:
                raise ResumeError('%s: cannot resume, the run was started with other options '
                                  '(%s); use the recorded command (see its manifest) or delete '
                                  'the folder to start afresh' % (folder, '; '.join(changed)))
            self.info = saved
        else:  # the folder appears with the first saved state: nothing to resume before
            self.info = {'config': config, 'invocation': invocation, 'finished_runs': []}

    def _write_index(self):
        os.makedirs(self.folder, exist_ok=True)
        write_json_atomic(os.path.join(self.folder, 'invocation.json'), self.info)

    @property
    def invocation(self):
        return self.info['invocation']

    @property
    def finished_runs(self):
        """Results (dicts) of the runs this invocation completed, in order."""
        return list(self.info['finished_runs'])

    def finish_run(self, result):
        self.info['finished_runs'].append(result)
        self._write_index()
        shutil.rmtree(self._run_folder(len(self.info['finished_runs'])), ignore_errors=True)

    def remove(self):
        """Called once every run has finished: nothing is left to resume."""
        shutil.rmtree(self.folder, ignore_errors=True)

    # --- the run in progress --------------------------------------------------------------
    def _run_folder(self, run):
        return os.path.join(self.folder, 'run%d' % run)

    def _pointer(self, run):
        return os.path.join(self._run_folder(run), 'latest')

    def save_epoch(self, state, progress):
        """Save the state after ``state.epoch``; ``progress`` is the loop's picklable state."""
        if not os.path.exists(os.path.join(self.folder, 'invocation.json')):
            self._write_index()
        run_folder = self._run_folder(state.run)
        target = os.path.join(run_folder, 'epoch%d' % state.epoch)
        shutil.rmtree(target, ignore_errors=True)
        os.makedirs(target)
        # Each file is checked as it is written: the pointer below must never name a state
        # that a full disk has cut short.
        save_mxnet_file(os.path.join(target, 'net.params'), state.net.save_parameters)
        if list(state.loss.collect_params().keys()):
            save_mxnet_file(os.path.join(target, 'loss.params'), state.loss.save_parameters)
        for i, trainer in enumerate(state.trainers):
            write_atomically(os.path.join(target, 'trainer%d.states' % i), trainer.save_states)
        best_weights = progress.pop('best_weights', None)
        if best_weights is not None:
            save_mxnet_file(os.path.join(target, 'best.params'),
                            lambda path: mx.nd.save(path, best_weights))
        with open(os.path.join(target, 'progress.pkl'), 'wb') as f:
            pickle.dump(dict(progress, epoch=state.epoch, sampler=state.sampler.__dict__,
                             extra=state.extra, trainers=len(state.trainers)), f)
            f.flush()
            os.fsync(f.fileno())
        pointer = self._pointer(state.run)
        previous = open(pointer).read().strip() if os.path.exists(pointer) else None
        def write_pointer(tmp):
            with open(tmp, 'w') as f:
                f.write('epoch%d\n' % state.epoch)
        write_atomically(pointer, write_pointer)
        if previous and previous != 'epoch%d' % state.epoch:
            shutil.rmtree(os.path.join(run_folder, previous), ignore_errors=True)

    def load_epoch(self, state):
        """Restore ``state`` to the last saved epoch of its run; returns the loop's progress
        dict, or None when the run has no saved epoch."""
        pointer = self._pointer(state.run)
        if not os.path.exists(pointer):
            return None
        source = os.path.join(self._run_folder(state.run), open(pointer).read().strip())
        with open(os.path.join(source, 'progress.pkl'), 'rb') as f:
            progress = pickle.load(f)
        state.net.load_parameters(os.path.join(source, 'net.params'), ctx=state.contexts)
        if os.path.exists(os.path.join(source, 'loss.params')):
            state.loss.load_parameters(os.path.join(source, 'loss.params'), ctx=state.contexts)
        if progress['trainers'] != len(state.trainers):
            raise ResumeError('%s: saved %d optimisers, the script builds %d'
                              % (source, progress['trainers'], len(state.trainers)))
        for i, trainer in enumerate(state.trainers):
            trainer.load_states(os.path.join(source, 'trainer%d.states' % i))
        state.sampler.__dict__.update(progress.pop('sampler'))
        state.extra.update(progress.pop('extra'))
        best = os.path.join(source, 'best.params')
        progress['best_weights'] = mx.nd.load(best) if os.path.exists(best) else None
        state.epoch = progress['epoch']
        return progress
