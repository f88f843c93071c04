import mxnet as mx
import numpy as np
import pytest
from mxnet.gluon import HybridBlock

from common.losses import DistanceWeightedSampler, MarginLoss
from loss_checks import assert_finite, assert_matches_reference, degenerate_batches, unit_rows
from references.margin import (
    distance_weighted_probabilities,
    distance_weighted_triplets_support,
    margin_loss,
)


class GivenNegatives(HybridBlock):
    """A sampler that returns a fixed (B, B) matrix of negative indices."""

    def __init__(self, negatives):
        super().__init__()
        self.negatives = self.params.get_constant('negatives', negatives)

    def hybrid_forward(self, F, x, labels, negatives):
        return negatives


def random_negatives(rng, labels):
    neg = np.zeros((len(labels), len(labels)))
    for a in range(len(labels)):
        candidates = np.flatnonzero(labels != labels[a])
        if len(candidates):
            neg[a] = rng.choice(candidates, len(labels))
    return neg


@pytest.mark.parametrize('n,dim,classes,seed', [(8, 4, 2, 0), (12, 8, 3, 1), (16, 16, 4, 2)])
@pytest.mark.parametrize('margin,nu', [(0.2, 0.0), (0.5, 0.1)])
def test_loss_matches_reference_given_the_triplets(n, dim, classes, seed, margin, nu):
    rng = np.random.RandomState(seed)
    x = unit_rows(rng, n, dim) * 0.8
    labels = rng.randint(0, classes, n)
    negatives = random_negatives(rng, labels)
    triplets = [(a, p, int(negatives[a, p])) for a, p in distance_weighted_triplets_support(labels)]
    beta = rng.uniform(0.6, 1.2, classes)
    assert_matches_reference(
        lambda: MarginLoss(classes, margin=margin, nu=nu, sampler=GivenNegatives(negatives)),
        lambda z, y, beta: margin_loss(z, y, triplets, beta, margin, nu),
        x, labels, params={'beta': beta})


def test_beta_is_per_class_and_can_be_frozen():
    loss = MarginLoss(3, beta=1.2, learn_beta=False)
    loss.initialize()
    assert loss.beta.grad_req == 'null'
    np.testing.assert_allclose(loss.beta.data().asnumpy(), [1.2, 1.2, 1.2], rtol=1e-6)


@pytest.mark.parametrize('dim,seed', [(2, 0), (3, 1), (8, 2), (64, 3)])
def test_sampling_probabilities_match_reference(dim, seed):
    rng = np.random.RandomState(seed)
    x = unit_rows(rng, 14, dim)
    x[5] = x[9]  # a coincident negative: distance 0 is clamped to the cutoff
    labels = rng.randint(0, 4, 14)
    got = DistanceWeightedSampler().probabilities(mx.nd, mx.nd.array(x, dtype='float64'),
                                                  mx.nd.array(labels, dtype='int32')).asnumpy()
    np.testing.assert_allclose(got, distance_weighted_probabilities(x, labels), atol=1e-12)


def test_rows_without_close_negatives_fall_back_to_uniform():
    x = np.array([[1.0, 0.0], [1.0, 0.01], [-1.0, 0.0], [-1.0, 0.01]])  # classes far apart
    labels = np.array([0, 0, 1, 1])
    got = DistanceWeightedSampler().probabilities(mx.nd, mx.nd.array(x), mx.nd.array(labels))
    np.testing.assert_allclose(got.asnumpy()[0], [0, 0, 0.5, 0.5], atol=1e-6)
    one_class = DistanceWeightedSampler().probabilities(mx.nd, mx.nd.array(x), mx.nd.zeros(4))
    assert (one_class.asnumpy() == 0).all()


def test_sampled_negatives_follow_the_probabilities():
    rng = np.random.RandomState(4)
    x = unit_rows(rng, 12, 3)
    labels = np.repeat(np.arange(4), 3)
    expected = distance_weighted_probabilities(x, labels)
    sampler = DistanceWeightedSampler()
    sampler.hybridize()
    mx.random.seed(0)
    counts = np.zeros((12, 12))
    for _ in range(300):
        drawn = sampler(mx.nd.array(x), mx.nd.array(labels)).asnumpy().astype(int)
        for a in range(12):
            np.add.at(counts[a], drawn[a], 1)
    freq = counts / counts.sum(axis=1, keepdims=True)
    n = counts.sum(axis=1)[0]  # 3,600 draws per anchor
    assert (freq[expected == 0] == 0).all()  # never a positive, never beyond the cutoff
    assert np.abs(freq - expected).max() < 5 * np.sqrt(0.25 / n)


def test_sampling_is_repeatable_under_a_seed():
    x, labels = mx.nd.array(unit_rows(np.random.RandomState(5), 10, 4)), mx.nd.array([0, 1] * 5)
    sampler = DistanceWeightedSampler()
    mx.random.seed(3)
    a = sampler(x, labels).asnumpy()
    mx.random.seed(3)
    assert (sampler(x, labels).asnumpy() == a).all()


@pytest.mark.parametrize('name,x,labels', list(degenerate_batches()))
def test_finite_on_degenerate_batches(name, x, labels):
    assert_finite(lambda: MarginLoss(int(labels.max()) + 1), x, labels)
