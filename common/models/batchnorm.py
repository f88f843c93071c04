"""Frozen BatchNorm: a backbone's BatchNorm layers in inference mode while it trains.

Fine-tuning with batch statistics re-normalises every channel by what the
current batch holds. When the new domain is far from ImageNet (grey glyphs,
say), nearly constant channels get amplified and the pretrained features
drift even at learning rate 0. Frozen, a layer normalises with its stored
moving mean and variance and never updates them; its scale (gamma) and shift
(beta) still train unless the affine part is frozen too.
"""
from mxnet.gluon.nn.basic_layers import _BatchNorm

# How the backbone's BatchNorm layers run during training; the names go into the records.
BN_MODES = ('train', 'frozen', 'frozen-affine')


def bn_mode(frozen, frozen_affine=False):
    """The record's name of a mode: 'train' (batch statistics, the playground's), 'frozen'
    (moving statistics, gamma and beta train) or 'frozen-affine' (nothing in BN trains)."""
    if frozen_affine and not frozen:
        raise ValueError('frozen_affine freezes gamma and beta on top of frozen statistics: '
                         'it needs frozen=True')
    return BN_MODES[int(frozen) + int(frozen_affine)]


def batchnorm_layers(block):
    """Every BatchNorm layer (BatchNorm, BatchNormReLU, SyncBatchNorm) in ``block``."""
    found = [block] if isinstance(block, _BatchNorm) else []
    for child in block._children.values():
        found += batchnorm_layers(child)
    return found


def freeze_batchnorm(block, affine=False):
    """Run every BatchNorm layer of ``block`` on its moving statistics, never updating them;
    with ``affine`` also stop training gamma and beta. Returns the layers changed.

    Call it before ``hybridize``: a cached graph keeps the mode it was built with, so an
    already hybridized block has its graph cleared to be rebuilt.
    """
    layers = batchnorm_layers(block)
    for layer in layers:
        # Every Gluon BatchNorm passes _kwargs to the operator; use_global_stats is the
        # operator's inference switch (it then neither computes nor stores batch statistics).
        layer._kwargs['use_global_stats'] = True
        if affine:
            layer.gamma.grad_req = 'null'
            layer.beta.grad_req = 'null'
    if layers:
        _clear_cached_graphs(block)
    return layers


def _clear_cached_graphs(block):
    if hasattr(block, '_clear_cached_op'):
        block._clear_cached_op()
    for child in block._children.values():
        _clear_cached_graphs(child)
