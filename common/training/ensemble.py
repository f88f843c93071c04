"""Ensembles trained one member after another (DREML).

Class groupings, the ensemble's embedding, and a store of finished members
on disk so a run can resume.

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

from ..io import save_mxnet_file, write_atomically


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
