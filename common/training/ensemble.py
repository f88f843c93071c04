"""Ensembles trained one member after another (DREML).

:class:`EnsembleRunner` trains each run as an ensemble: the recipe gives every
member its own training split (e.g. random meta-classes), each member is a
fresh network, and the run's embedding is the concatenation of the members'
L2-normalised ones. Also here: class groupings, and a store of finished
members on disk so a run can resume.

A store is a folder holding ``state.json`` (the configuration that must
match to resume, the finished members and the ensemble's metrics after
each) and, per finished member, its test-time embeddings
(``member_<m>.npz``) and optionally its parameters (``member_<m>.params``).
Every file is written to a temporary name and then renamed, so an
interrupted run leaves only complete members behind.
"""
import copy
import json
import os

import numpy as np

from ..context import seed_everything
from ..evaluation import l2_normalized
from ..io import save_mxnet_file, write_atomically
from ..records import disabled, with_postfix
from .checkpoint import MAY_CHANGE_ON_RESUME, resumable_config
from .loop import RunResult, format_metrics
from .runner import Runner

# Options that do not change what a member computes, so a run may resume with other values.
NOT_IN_MEMBER_STATE = MAY_CHANGE_ON_RESUME | {'nmi', 'skip_pretrain_validation', 'eval_every',
                                              'number_of_runs'}


def meta_class_maps(num_classes, members, meta_classes, seed):
    """For each member, a random grouping of the classes into ``meta_classes`` groups of
    (as near as possible) equal size: a random permutation dealt out round-robin."""
    rng = np.random.default_rng(seed)
    maps = np.empty((members, num_classes), dtype=np.int64)
    for m in range(members):
        maps[m, rng.permutation(num_classes)] = np.arange(num_classes) % meta_classes
    return maps


def concatenate(members):
    """The ensemble's embedding of each split: its members' side by side."""
    return [(np.concatenate([m[s][0] for m in members], axis=1), members[0][s][1])
            for s in range(len(members[0]))]


def first_best(history, metric='R@1'):
    """1-based position of the first entry with the highest ``metric``."""
    return int(np.argmax([h[metric] for h in history])) + 1


def with_changes(args, **changes):
    """A copy of an options namespace with some values changed."""
    args = copy.copy(args)
    for key, value in changes.items():
        setattr(args, key, value)
    return args


class EnsembleStateError(ValueError):
    """The folder holds another run's members."""


class MemberStore:
    """The folder ``name`` in ``results_dir``; ``config`` must match to resume."""

    def __init__(self, results_dir, name, config, resume):
        self.folder = folder = os.path.join(results_dir, name)
        self.config = json.loads(json.dumps(config))
        self.state_path = os.path.join(folder, 'state.json')
        self.metrics, self.pretrain = {}, None  # the ensemble's metrics per finished member
        if os.path.isfile(self.state_path):
            with open(self.state_path) as f:
                state = json.load(f)
            if not resume:
                raise EnsembleStateError(
                    '%s holds ensemble members of an earlier run: pass --resume to continue it, '
                    'or choose another --results-dir or --log-postfix' % folder)
            if state['config'] != self.config:
                changed = sorted(k for k in set(state['config']) | set(self.config)
                                 if state['config'].get(k) != self.config.get(k))
                raise EnsembleStateError('%s: cannot resume, the run was started with other '
                                         'options (%s)' % (self.state_path, ', '.join(changed)))
            self.metrics = {int(k): v for k, v in state['metrics'].items()}
            self.pretrain = state.get('pretrain')
        os.makedirs(folder, exist_ok=True)

    def path(self, member, ext):
        return os.path.join(self.folder, 'member_%03d.%s' % (member, ext))

    def is_finished(self, member):
        return member in self.metrics

    def save(self, member, embeddings, metrics, net=None, pretrain=None):
        """``embeddings``: one (embeddings, labels) pair per evaluation split; ``metrics``:
        the ensemble's with this member; ``pretrain``: the metrics before any training."""
        if net is not None:
            save_mxnet_file(self.path(member, 'params'), net.save_parameters)
        arrays = {}
        for i, (emb, labels) in enumerate(embeddings):
            arrays['embeddings_%d' % i], arrays['labels_%d' % i] = emb, labels

        def write_npz(p):
            with open(p, 'wb') as f:
                np.savez(f, **arrays)
        write_atomically(self.path(member, 'npz'), write_npz)
        self.metrics[member] = metrics
        self.pretrain = pretrain or self.pretrain

        def write_state(p):
            with open(p, 'w') as f:
                json.dump({'config': self.config, 'finished': sorted(self.metrics),
                           'metrics': {str(k): v for k, v in self.metrics.items()},
                           'pretrain': self.pretrain}, f, indent=1)
        write_atomically(self.state_path, write_state)

    def load(self, member):
        with np.load(self.path(member, 'npz')) as data:
            splits = len([k for k in data.files if k.startswith('embeddings_')])
            return [(data['embeddings_%d' % i], data['labels_%d' % i]) for i in range(splits)]


class EnsembleRunner(Runner):
    """Runs whose network is an ensemble trained member after member.

    The recipe provides ``member_train_splits(args, split, seed)``: one training split per
    member. Each member trains for ``--epochs`` and the ensemble of the members so far is
    evaluated after its last epoch; the ensemble size with the best R@1 is the run's
    choice (on the validation split, which members embed too, when there is one; the test
    split is then scored once, at the end).
    """

    def member_folder(self, args, run):
        """<name>_members[_<postfix>][_run<r>], in --results-dir."""
        name = with_postfix('%s_members' % self.recipe.name, args.log_postfix)
        return name + '_run%d' % run if args.number_of_runs > 1 else name

    def train_run(self, args, rec, run, contexts, data, steps, training_state=None):
        select, test = data.select, data.test
        chosen = slice(0, select.splits)
        seed = args.seed + run - 1
        splits = self.recipe.member_train_splits(args, data.dataset.train, seed)
        config = resumable_config(args, NOT_IN_MEMBER_STATE)
        config.update(run=run, train_images=len(data.dataset.train),
                      train_classes=data.dataset.train.num_classes)
        store = MemberStore(args.results_dir, self.member_folder(args, run), config, args.resume)
        count = len(splits)
        rec.info('Starting run %d/%d (seed %d): %d members of %d classes each, in %s', run,
                 args.number_of_runs, seed, count, splits[0].num_classes, store.folder)
        members, history, pretrain = [], [], store.pretrain
        for m, split in enumerate(splits):
            if store.is_finished(m):
                members.append(store.load(m))
                history.append(store.metrics[m])
                rec.info('Member %d/%d restored from %s', m + 1, count, store.folder)
                continue
            member_seed = seed * 1000 + m
            seed_everything(member_seed)
            # The ensemble is evaluated once per member, after its last epoch.
            member_args = with_changes(
                args, eval_every=args.epochs,
                skip_pretrain_validation=args.skip_pretrain_validation or m > 0)
            latest = {}

            def evaluate_member(net):
                latest['embedded'] = [(l2_normalized(e), y) for evaluator in (select, test)
                                      if evaluator for e, y in evaluator.embed(net)]
                return select.score(concatenate(members + [latest['embedded']])[chosen])

            rec.info('Member %d/%d (seed %d)', m + 1, count, member_seed)
            state, result = self.train_network(
                member_args, rec, run, member_seed, contexts, data.dataset.with_train(split),
                data.transform, evaluate_member, steps, None, tags={'member': m + 1})
            pretrain = result.pretrain if m == 0 else pretrain
            members.append(latest['embedded'])
            history.append(result.last)
            store.save(m, latest['embedded'], result.last,
                       None if disabled(args.save_model_prefix) else state.net, pretrain)
            rec.info('Ensemble of %d/%d members: %s', m + 1, count, format_metrics(result.last))
            rec.write('member', run=run, member=m + 1, seed=member_seed, metrics=result.last)
        best_size = first_best(history)
        ensemble = concatenate(members[:best_size])
        selected, best = None, history[best_size - 1]
        if test is not None:
            selected, best = best, test.score(ensemble[chosen.stop:])
            ensemble = ensemble[chosen.stop:]
            rec.info('Test split with the %d members chosen on validation: %s', best_size,
                     format_metrics(best))
        selection = 'test' if test is None else 'validation'
        rec.info('Run %d finished: %d members give %s; the best R@1 %.2f came with %d', run,
                 count, format_metrics(history[-1]), history[best_size - 1]['R@1'], best_size)
        rec.write('run', run=run, seed=seed, best_epoch=best_size, best=best, last=history[-1],
                  pretrain=pretrain, best_is='ensemble size', selection=selection,
                  selected=selected)
        return RunResult(run, pretrain, best_size, best, history[-1], history, selection,
                         selected, ensemble if args.save_embeddings else None)
