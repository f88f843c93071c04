"""What the loop keeps and writes when a batch gives a NaN or infinite loss or gradient.

:class:`RecordedBatches` remembers which sampler keys (image index and
augmentation seed) each batch was made from, even when the loader's workers
prefetch batches ahead of training. :func:`write_fault` saves a faulty
batch's keys, image paths and labels with the weights it met (before any
update), so that the failure can be reproduced and looked at without
rerunning the hours before it.
"""
import collections
import os

import numpy as np

from ..io import save_mxnet_file, write_json_atomic
from .optim import trained_params


class RecordedBatches:
    """A batch sampler's batches, in the order the loader hands them to the loop."""

    def __init__(self, sampler):
        self.sampler = sampler
        self.pending = collections.deque()

    def __len__(self):
        return len(self.sampler)

    def __iter__(self):
        self.pending.clear()  # a new epoch: batches prefetched but never trained on are gone
        for batch in self.sampler:
            self.pending.append(batch)
            yield batch

    def next_batch(self):
        """The keys of the batch the loop receives next from the loader."""
        return self.pending.popleft() if self.pending else None


# Faulty batches written per run when they are skipped; later ones are only counted.
MAX_FAULTS_WRITTEN = 5


class FaultLog:
    """One run's batches, recorded as the loader takes them from ``sampler``, and the
    folder where faulty ones are written (None: nowhere), at most ``limit`` of them."""

    def __init__(self, sampler, folder, limit=MAX_FAULTS_WRITTEN):
        self.batches = RecordedBatches(sampler)
        self.folder, self.limit, self.written = folder, limit, 0

    def next_keys(self):
        """The keys of the batch the loop receives next from the loader."""
        return self.batches.next_batch()

    def write(self, state, iteration, keys, problem, loss_value, groups):
        """Write the faulty batch (while under the limit); returns '; <where it is>' or ''."""
        if self.folder is None or self.written >= self.limit:
            return ''
        self.written += 1
        target = write_fault(self.folder, state, iteration, keys, problem, loss_value,
                             nonfinite_gradients(groups))
        return '; the batch (image indices, paths, augmentation seeds) and the weights it ' \
               'met are in %s' % target


def nonfinite_gradients(groups):
    """Names of the parameters whose gradient holds NaN or infinity."""
    return [param.name for param in trained_params(groups)
            if not all(np.isfinite(g.asnumpy()).all() for g in param.list_grad())]


def write_fault(folder, state, iteration, keys, problem, loss_value, gradients):
    """Save one faulty batch under ``folder``; returns the batch's own sub-folder."""
    target = os.path.join(folder, 'run%d_epoch%d_iteration%d' % (state.run, state.epoch,
                                                                  iteration))
    os.makedirs(target, exist_ok=True)
    split = state.dataset.train
    indices = [int(k[0]) if isinstance(k, (tuple, list)) else int(k) for k in keys or []]
    save_mxnet_file(os.path.join(target, 'net.params'), state.net.save_parameters)
    if list(state.loss.collect_params().keys()):
        save_mxnet_file(os.path.join(target, 'loss.params'), state.loss.save_parameters)
    write_json_atomic(os.path.join(target, 'batch.json'), dict(
        problem=problem, loss=repr(loss_value), nonfinite_gradients=gradients,
        run=state.run, epoch=state.epoch, iteration=iteration, seed=state.seed,
        keys=[list(k) if isinstance(k, (tuple, list)) else k for k in keys or []],
        indices=indices, paths=[split.paths[i] for i in indices],
        labels=[int(split.labels[i]) for i in indices],
        weights='net.params (and loss.params): the parameters before this batch\'s update',
        reproduce='ImageDataset(<training split>, <training transform>)[key] for each key '
                  'gives the batch exactly; see the manifest for the command'))
    return target
