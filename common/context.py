"""Device contexts and seeding."""
import random

import mxnet as mx
import numpy as np


def get_contexts(gpus):
    """Contexts for the playground's ``--gpus`` value.

    ``-1``: every GPU, or one CPU when there is none; ``-2``: one CPU;
    otherwise a comma-separated list of GPU ids.
    """
    spec = str(gpus).strip()
    if spec in ('-1', ''):
        count = mx.context.num_gpus()
        return [mx.gpu(i) for i in range(count)] if count else [mx.cpu()]
    if spec == '-2':
        return [mx.cpu()]
    try:
        ids = [int(x) for x in spec.split(',') if x.strip()]
    except ValueError:
        raise ValueError("--gpus %r: expected -1 (all GPUs), -2 (CPU) or a comma list of "
                         "GPU ids such as 0,1" % gpus)
    if any(i < 0 for i in ids) or not ids:
        raise ValueError("--gpus %r: GPU ids must be >= 0 (use -1 for all GPUs, -2 for CPU)"
                         % gpus)
    available = mx.context.num_gpus()
    missing = [i for i in ids if i >= available]
    if missing:
        raise ValueError('--gpus %s: this machine has %d GPU(s) visible to MXNet; use --gpus -2 '
                         'for the CPU' % (gpus, available))
    return [mx.gpu(i) for i in ids]


def seed_everything(seed):
    """Seed Python, NumPy and MXNet (on every device) from one integer."""
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    mx.random.seed(seed)
