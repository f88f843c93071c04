"""No loss or miner loops in Python over the samples of a batch (issue 8, performance).

A loop over anchors makes the Python work, and the number of MXNet operators a call
launches, grow with the batch. So every loss block (and sampler) of ``common.losses``
is run imperatively at batch 8 and at batch 32, with the same 4 classes (loops over the
classes of a batch, as facility location's greedy inference, are the algorithm and
allowed), counting

* the MXNet operators it invokes (a counter wrapped around the one function through
  which every generated ``mx.nd`` operator is invoked), and
* the Python lines executed in the repository's ``common`` package,

and both counts must be equal at the two batch sizes. A toy block with a loop over its
rows shows that the counters see such a loop. The hybridized graph (the symbol a block
builds) must not grow with the batch either: it matters for blocks constructed for a
batch layout, such as the prototypical loss. Facility location's inference runs in
NumPy inside a custom operator on another thread, so its functions are traced directly.

Every Block class in those modules must have a factory below (or be a listed abstract
base), so a new loss is covered as soon as it is added.

    OMP_NUM_THREADS=2 python -m pytest -q tests/losses/test_loss_loops.py
"""
import importlib
import json
import os
import pkgutil
import sys

import mxnet as mx
import mxnet.ndarray.register as nd_register
import numpy as np
import pytest
from mxnet.gluon import Block, HybridBlock

import common.losses
from common.losses import facility_location
from common.losses import softmax as softmax_module

COMMON = os.path.dirname(os.path.abspath(common.__file__)) + os.sep
CLASSES, DIM, SMALL, LARGE = 4, 16, 8, 32

# Bases that hold shared code and are never used as a loss themselves.
ABSTRACT = {'ProxyLoss', 'PairLoss', 'PairwiseLoss', '_LoOpLoss', '_LoOpHingeLoss'}
# Blocks that cannot be hybridized (and why). Facility location is hybridizable: its
# NumPy inference is a custom operator inside the graph, traced separately below.
NOT_HYBRIDIZABLE = {}

L = common.losses


def pk_labels(batch):
    """CLASSES classes x batch / CLASSES images, class-contiguous (pairs for HPHN-EE)."""
    return np.repeat(np.arange(CLASSES), batch // CLASSES)


def pair_labels(batch):
    """[anchors; positives] of batch / 2 pairs over CLASSES classes."""
    anchors = np.arange(batch // 2) % CLASSES
    return np.concatenate([anchors, anchors])


def episode_labels(batch):
    """CLASSES classes x (batch / 8 supports + batch / 8 queries)."""
    per = batch // (2 * CLASSES)
    return np.concatenate([np.repeat(np.arange(CLASSES), per)] * 2)


# Class name -> [(variant, factory(batch), labels(batch), embedding dimension)].
FACTORIES = {
    'BinomialDevianceLoss': [('', lambda b: L.BinomialDevianceLoss(), pk_labels, DIM)],
    'ContrastiveLoss': [('', lambda b: L.ContrastiveLoss(), pk_labels, DIM)],
    'DirectionRegularizedTripletLoss': [
        ('phi', lambda b: L.DirectionRegularizedTripletLoss(), pk_labels, DIM),
        ('theta', lambda b: L.DirectionRegularizedTripletLoss(
            direction=L.DirectionRegularizer(angle='theta')), pk_labels, DIM),
        ('slots', lambda b: L.DirectionRegularizedTripletLoss(positive_slots=LARGE // CLASSES - 1),
         pk_labels, DIM)],
    'DiscriminativeLoss': [('', lambda b: L.DiscriminativeLoss(CLASSES, 1.0), pk_labels,
                            CLASSES)],
    'FacilityLocationLoss': [('', lambda b: L.FacilityLocationLoss(), pk_labels, DIM)],
    'HPHNTripletLoss': [('', lambda b: L.HPHNTripletLoss(), pk_labels, DIM),
                        ('soft, plain', lambda b: L.HPHNTripletLoss(0, soft_margin=True),
                         pk_labels, DIM)],
    'LiftedStructLoss': [('smooth', lambda b: L.LiftedStructLoss(), pk_labels, DIM),
                         ('hard', lambda b: L.LiftedStructLoss(form='hard'), pk_labels, DIM)],
    'DeepMetricLiftedLoss': [('', lambda b: L.DeepMetricLiftedLoss(), pk_labels, DIM)],
    'GeneralizedLiftedLoss': [('', lambda b: L.GeneralizedLiftedLoss(), pk_labels, DIM)],
    'LoOpHPHNTripletLoss': [('', lambda b: L.LoOpHPHNTripletLoss(), pk_labels, DIM)],
    'LoOpLiftedLoss': [('', lambda b: L.LoOpLiftedLoss(), pk_labels, DIM)],
    'LoOpMultiSimilarityLoss': [('', lambda b: L.LoOpMultiSimilarityLoss(), pk_labels, DIM)],
    'LoOpTripletLoss': [('', lambda b: L.LoOpTripletLoss(), pk_labels, DIM)],
    'MarginLoss': [('', lambda b: L.MarginLoss(CLASSES), pk_labels, DIM)],
    'MultiSimilarityLoss': [('', lambda b: L.MultiSimilarityLoss(), pk_labels, DIM),
                            ('DR', lambda b: L.MultiSimilarityLoss(
                                direction=L.DirectionRegularizer(0.3)), pk_labels, DIM)],
    'NCALoss': [('', lambda b: L.NCALoss(8.0), pk_labels, DIM)],
    'NPairLoss': [('', lambda b: L.NPairLoss(symmetric=True), pair_labels, DIM)],
    'AngularLoss': [('', lambda b: L.AngularLoss(), pair_labels, DIM)],
    'WeightedSum': [('N-pair + angular', lambda b: L.WeightedSum(
        [(1.0, L.NPairLoss()), (2.0, L.AngularLoss(l2_reg=0.0))]), pair_labels, DIM)],
    'PrototypeLoss': [('', lambda b: L.PrototypeLoss(CLASSES, b // 8, b // 8), episode_labels,
                       DIM)],
    'NormalizedSoftmaxLoss': [('', lambda b: L.NormalizedSoftmaxLoss(CLASSES, DIM), pk_labels,
                               DIM)],
    'ProxyNCALoss': [('', lambda b: L.ProxyNCALoss(CLASSES, DIM), pk_labels, DIM),
                     ('DR', lambda b: L.ProxyNCALoss(
                         CLASSES, DIM, L.DirectionRegularizer(0.3)), pk_labels, DIM)],
    'ProxyTripletLoss': [('', lambda b: L.ProxyTripletLoss(CLASSES, DIM), pk_labels, DIM)],
    'ProxyXentropyLoss': [('', lambda b: L.ProxyXentropyLoss(CLASSES, DIM, smoothing=0.1),
                           pk_labels, DIM)],
    'RankedListLoss': [('', lambda b: L.RankedListLoss(), pk_labels, DIM)],
    'SoftmaxCrossEntropyLoss': [('', lambda b: softmax_module.SoftmaxCrossEntropyLoss(
        CLASSES, 0.1), pk_labels, CLASSES)],
    'StochasticSymmetricTripletLoss': [('', lambda b: L.StochasticSymmetricTripletLoss(),
                                        pk_labels, DIM)],
    'TripletSemiHardLoss': [('', lambda b: L.TripletSemiHardLoss(), pk_labels, DIM)],
    'DistanceWeightedSampler': [('', lambda b: L.DistanceWeightedSampler(),
                                 pk_labels, DIM)],
}
CASES = [(name, variant, factory, labels, dim) for name, variants in sorted(FACTORIES.items())
         for variant, factory, labels, dim in variants]


def block_classes():
    """Every Block subclass defined in common.losses.*, by name."""
    modules = [importlib.import_module('common.losses.' + m.name)
               for m in pkgutil.iter_modules(common.losses.__path__)]
    found = {}
    for module in modules:
        for value in vars(module).values():
            if (isinstance(value, type) and issubclass(value, Block)
                    and value.__module__ == module.__name__):
                found[value.__name__] = value
    return found


def count_work(fn):
    """(MXNet operators invoked, Python lines executed in ``common``) while ``fn`` runs."""
    ops, lines = [0], [0]
    invoke = nd_register._imperative_invoke

    def counting_invoke(*args, **kwargs):
        ops[0] += 1
        return invoke(*args, **kwargs)

    def local(frame, event, arg):
        if event == 'line':
            lines[0] += 1
        return local

    def calls(frame, event, arg):
        return local if frame.f_code.co_filename.startswith(COMMON) else None

    previous = sys.gettrace()
    nd_register._imperative_invoke = counting_invoke
    sys.settrace(calls)
    try:
        fn()
        mx.nd.waitall()
    finally:
        sys.settrace(previous)
        nd_register._imperative_invoke = invoke
    return ops[0], lines[0]


def batch_inputs(labels, batch, dim, seed=0):
    rng = np.random.RandomState(seed + batch)
    x = rng.randn(batch, dim)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return mx.nd.array(x), mx.nd.array(labels(batch))


def imperative_work(factory, labels, batch, dim):
    block = factory(batch)
    block.initialize()
    x, y = batch_inputs(labels, batch, dim)
    block(x, y)                   # first call: deferred initialisation, not counted
    mx.nd.waitall()
    return count_work(lambda: block(x, y))


def graph_nodes(factory, batch):
    """Nodes of the symbol a fresh block builds when hybridized for ``batch``."""
    symbol = factory(batch)(mx.sym.var('x'), mx.sym.var('labels'))
    return len(json.loads(symbol.tojson())['nodes'])


def test_every_block_has_a_case():
    found = block_classes()
    missing = set(found) - set(FACTORIES) - ABSTRACT
    assert not missing, 'add these blocks to FACTORIES in %s: %s' % (__file__, sorted(missing))
    assert set(FACTORIES) <= set(found), sorted(set(FACTORIES) - set(found))
    for name, cls in found.items():
        if name not in NOT_HYBRIDIZABLE:
            assert issubclass(cls, HybridBlock), '%s is not hybridizable: list it and why' % name


@pytest.mark.parametrize('name,variant,factory,labels,dim', CASES,
                         ids=['%s-%s' % (c[0], c[1]) if c[1] else c[0] for c in CASES])
def test_work_does_not_grow_with_the_batch(name, variant, factory, labels, dim):
    small = imperative_work(factory, labels, SMALL, dim)
    large = imperative_work(factory, labels, LARGE, dim)
    assert small[0] > 0 and small[1] > 0, 'the counters saw nothing: %s' % (small,)
    assert large == small, ('(operators, Python lines) grow with the batch: %s at %d, %s at %d'
                            % (small, SMALL, large, LARGE))
    if name not in NOT_HYBRIDIZABLE:
        assert graph_nodes(factory, SMALL) == graph_nodes(factory, LARGE)


class RowLoop(HybridBlock):
    """What the test must catch: a loss with a Python loop over the anchors."""

    def hybrid_forward(self, F, x, labels):
        return sum(F.sum(F.square(x[i])) for i in range(x.shape[0]))


def test_the_counters_see_a_loop_over_anchors(monkeypatch):
    monkeypatch.setattr(sys.modules[__name__], 'COMMON', os.path.dirname(__file__) + os.sep)
    small = imperative_work(lambda b: RowLoop(), pk_labels, SMALL, DIM)
    large = imperative_work(lambda b: RowLoop(), pk_labels, LARGE, DIM)
    assert large[0] > small[0] and large[1] > small[1]


def test_facility_location_inference_loops_over_clusters_not_samples():
    """The NumPy side: greedy steps and PAM swaps per cluster, vectorised over samples."""
    def inference(batch):
        labels = pk_labels(batch)
        x = np.random.RandomState(batch).randn(batch, 3)
        D = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))

        def run():
            medoids = facility_location.greedy_medoids(D, labels, 1.0)
            medoids = facility_location.pam_refine(D, labels, medoids, 1.0, 3)
            facility_location.ground_truth_medoids(D, labels)
            facility_location.nmi(labels, facility_location.assign(D, medoids))
        return count_work(run)[1]

    small = inference(SMALL)
    assert small > 0 and inference(LARGE) == small
