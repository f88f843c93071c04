"""Training in several processes (machines): MXNet's parameter-server kvstore, or Horovod.

Launch: every process gets the DMLC variables (``DMLC_ROLE`` = scheduler,
server or worker; ``DMLC_PS_ROOT_URI`` / ``DMLC_PS_ROOT_PORT``: the
scheduler's address; ``DMLC_NUM_SERVER``, ``DMLC_NUM_WORKER``). Scheduler and
servers only ``import mxnet``, which runs their loop; workers run the training
script with ``--kvstore dist_sync`` (or ``dist_device_sync``). MXNet's
``tools/launch.py`` sets all this up over ssh; the README shows it by hand.

A worker is one more set of devices. The sampler draws the batches a single
process would draw with ``--batch-size x devices x workers`` images (every
worker draws them all, with the same seed) and each worker loads its own
contiguous slice, so an epoch sees every image once. Gradients are summed over
devices and workers by one kvstore, keyed by a global parameter index (Gluon's
Trainers key parameters by their index within the trainer, so two trainers,
e.g. margin's beta SGD beside Adam, cannot share a distributed kvstore), and
every worker applies the same update locally: the parameters stay identical
without being pulled. As with several devices, each worker's loss is computed
on its slice and the gradients of the slices add up (a run on W workers of D
devices each is computed as one process with W x D devices would compute it).
"""
import os
from dataclasses import dataclass
from typing import Any

import mxnet as mx
import numpy as np

from .optim import trained_params

# What --kvstore accepts. dist_async is left out: updates are applied by the workers here,
# which only makes sense when every worker sees the same summed gradient.
LOCAL_KVSTORES = ('device', 'local', 'nccl')
DIST_KVSTORES = ('dist_sync', 'dist_device_sync')
KVSTORES = LOCAL_KVSTORES + DIST_KVSTORES + ('horovod',)
DMLC_VARIABLES = ('DMLC_ROLE', 'DMLC_PS_ROOT_URI', 'DMLC_PS_ROOT_PORT', 'DMLC_NUM_SERVER',
                  'DMLC_NUM_WORKER')


def check_kvstore(name):
    """A one-line error for a --kvstore value that cannot work in this process."""
    if name not in KVSTORES:
        raise ValueError('--kvstore %s: choose one of %s' % (name, ', '.join(KVSTORES)))
    if name in DIST_KVSTORES:
        missing = [v for v in DMLC_VARIABLES if not os.environ.get(v)]
        if missing:
            raise ValueError('--kvstore %s: %s not set; start the scheduler, servers and '
                             'workers with the DMLC variables (README: "Several machines")'
                             % (name, ', '.join(missing)))
        if os.environ['DMLC_ROLE'] != 'worker':
            raise ValueError('--kvstore %s: DMLC_ROLE is %s; training scripts run as workers '
                             '(a scheduler or server only imports mxnet)'
                             % (name, os.environ['DMLC_ROLE']))
        if not mx.runtime.Features().is_enabled('DIST_KVSTORE'):
            raise ValueError('--kvstore %s: this MXNet build has no distributed kvstore'
                             % name)
    if name == 'horovod':
        try:
            import horovod.mxnet  # noqa: F401
        except ImportError:
            raise ValueError('--kvstore horovod: horovod is not installed (pip install '
                             'horovod with HOROVOD_WITH_MXNET=1)')


@dataclass
class Workers:
    """This process's place among the training processes."""
    kind: str = 'local'      # 'local', 'dist' or 'horovod'
    rank: int = 0
    count: int = 1
    store: Any = None        # the distributed kvstore

    @property
    def distributed(self):
        return self.kind != 'local'


def connect(kvstore):
    """Join the other workers (a no-op for one process)."""
    check_kvstore(kvstore)
    if kvstore in DIST_KVSTORES:
        store = mx.kv.create(kvstore)
        return Workers('dist', store.rank, store.num_workers, store)
    if kvstore == 'horovod':
        import horovod.mxnet as hvd
        hvd.init()
        return Workers('horovod', hvd.rank(), hvd.size())
    return Workers()


class ShardedBatches:
    """Worker ``rank``'s contiguous slice of every batch of ``sampler``."""

    def __init__(self, sampler, rank, count):
        self.sampler, self.rank, self.count = sampler, rank, count

    def __len__(self):
        return len(self.sampler)

    def __iter__(self):
        for batch in self.sampler:
            if len(batch) < self.count:
                raise ValueError('a batch of %d images cannot be shared by %d workers'
                                 % (len(batch), self.count))
            part = np.array_split(np.arange(len(batch)), self.count)[self.rank]
            yield [batch[i] for i in part]


class GradientReducer:
    """Sums the gradients of every trained parameter over devices and workers in place,
    with one key per parameter across all parameter groups."""

    def __init__(self, workers, groups):
        self.workers = workers
        self.params = trained_params(groups)
        self.started = False

    def _start(self):
        """Every worker begins from worker 0's weights (the same seed makes them equal;
        this makes sure of it)."""
        if self.workers.kind == 'horovod':
            import horovod.mxnet as hvd
            for key, param in enumerate(self.params):
                for data in param.list_data():
                    hvd.broadcast_(data, root_rank=0, name='w%d' % key)
        else:
            store = self.workers.store
            for key, param in enumerate(self.params):
                store.init(key, param.list_data()[0])
                store.pull(key, out=param.list_data())
            store.init(len(self.params), mx.nd.zeros(1))  # the loss sum
        self.started = True

    def reduce(self, loss):
        """Sum the gradients in place; returns the mean of ``loss`` over the workers (NaN
        when any worker's is not finite, so that all of them stop or skip together)."""
        if not self.started:
            self._start()
        total = mx.nd.array([loss])
        if self.workers.kind == 'horovod':
            import horovod.mxnet as hvd
            for key, param in enumerate(self.params):
                grads = param.list_grad()
                for grad in grads[1:]:  # this process's devices first, then the processes
                    grads[0] += grad.as_in_context(grads[0].context)
                hvd.allreduce_(grads[0], average=False, name='g%d' % key)
                for grad in grads[1:]:
                    grads[0].copyto(grad)
            hvd.allreduce_(total, average=False, name='loss')
        else:
            store = self.workers.store
            for key, param in enumerate(self.params):
                grads = param.list_grad()
                store.pushpull(key, grads, out=grads, priority=-key)
            store.pushpull(len(self.params), total, out=total)
        return float(total.asscalar()) / self.workers.count
