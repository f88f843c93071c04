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
    if not cuda_build():
        raise ValueError('--gpus %s: this MXNet build has no GPU support; install a CUDA build '
                         '(e.g. mxnet-cu112, see the README) or use --gpus -2 for the CPU' % gpus)
    available = mx.context.num_gpus()
    missing = [i for i in ids if i >= available]
    if missing:
        raise ValueError('--gpus %s: GPU %d does not exist, this machine has %d GPU(s) visible '
                         'to MXNet (ids 0-%d); use existing ids or --gpus -2 for the CPU'
                         % (gpus, missing[0], available, available - 1) if available else
                         '--gpus %s: MXNet sees no GPU on this machine (check the driver and '
                         'CUDA_VISIBLE_DEVICES); use --gpus -2 for the CPU' % gpus)
    return [mx.gpu(i) for i in ids]


def cuda_build():
    """Whether this MXNet was built with CUDA (the plain ``mxnet`` wheel is not)."""
    try:
        return mx.runtime.Features().is_enabled('CUDA')
    except Exception:  # very old builds lack the feature list; num_gpus() then decides
        return True


def seed_everything(seed):
    """Seed Python, NumPy and MXNet (on every device) from one integer."""
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))
    mx.random.seed(seed)
