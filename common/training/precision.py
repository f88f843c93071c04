"""Mixed precision through MXNet's AMP, with the loss blocks kept in float32.

AMP rewrites convolutions and dense layers to run in float16 on GPUs and in
bfloat16 on CPUs (MKLDNN builds); everything else keeps the precision of its
inputs. The loop casts the embeddings to float32 before the loss, so mining,
distances, exponentials and proxies are computed as without AMP. float16 needs
dynamic loss scaling (AMP's, through the trainer); bfloat16 has float32's range
and needs none.
"""
import mxnet as mx
from mxnet import autograd

_target = None  # AMP patches MXNet's operators once per process


def enable_amp(contexts):
    """Switch AMP on for networks built from now on; returns the low-precision type."""
    global _target
    from mxnet.contrib import amp
    gpu = any(c.device_type == 'gpu' for c in contexts)
    target = 'float16' if gpu else 'bfloat16'
    if not gpu and not mx.runtime.Features().is_enabled('MKLDNN'):
        raise ValueError('--amp on the CPU needs bfloat16 kernels, which this MXNet build '
                         '(without MKLDNN) lacks; drop --amp')
    if _target is None:
        amp.init(target_dtype=target)
        _target = target
    elif _target != target:
        raise ValueError('--amp: AMP is already on for %s in this process, not %s'
                         % (_target, target))
    return target


def init_trainers(trainers, target):
    """Dynamic loss scaling for float16 (one optimiser: AMP scales the loss for one)."""
    if target != 'float16':
        return
    if len(trainers) > 1:
        raise ValueError('--amp on GPUs: this script has %d optimisers and AMP\'s loss scaling '
                         'serves one; drop --amp' % len(trainers))
    from mxnet.contrib import amp
    amp.init_trainer(trainers[0])


def backward(losses, trainers, target):
    if target == 'float16':
        from mxnet.contrib import amp
        with amp.scale_loss(losses, trainers[0]) as scaled:
            autograd.backward(scaled)
    else:
        autograd.backward(losses)
