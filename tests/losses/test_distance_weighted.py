"""The distance-weighted sampler's draws and probabilities (their values against the
reference and their frequencies are in test_margin.py)."""
import mxnet as mx
import numpy as np
import pytest

from common.losses.distance_weighted import DistanceWeightedSampler
from loss_checks import unit_rows


def pk(rng, classes, k, dim):
    labels = np.repeat(np.arange(classes), k)
    return unit_rows(rng, len(labels), dim), labels


@pytest.mark.parametrize('dtype', ['float64', 'float32'])
@pytest.mark.parametrize('hybridize', [False, True])
def test_draws_are_negatives_of_their_row(dtype, hybridize):
    rng = np.random.RandomState(0)
    x, labels = pk(rng, 4, 3, 8)
    sampler = DistanceWeightedSampler()
    if hybridize:
        sampler.hybridize(static_alloc=True, static_shape=True)
    mx.random.seed(1)
    drawn = sampler(mx.nd.array(x, dtype=dtype), mx.nd.array(labels, dtype='int32')).asnumpy()
    assert drawn.shape == (12, 12)
    assert (drawn == np.round(drawn)).all() and drawn.min() >= 0 and drawn.max() < 12
    assert (labels[drawn.astype(int)] != labels[:, None]).all()


def test_hybridized_draws_equal_imperative_ones():
    x, labels = pk(np.random.RandomState(2), 3, 4, 5)
    args = mx.nd.array(x), mx.nd.array(labels)
    mx.random.seed(7)
    imperative = DistanceWeightedSampler()(*args).asnumpy()
    hybrid = DistanceWeightedSampler()
    hybrid.hybridize(static_alloc=True, static_shape=True)
    mx.random.seed(7)
    np.testing.assert_array_equal(hybrid(*args).asnumpy(), imperative)


def probabilities(x, labels, **kwargs):
    return DistanceWeightedSampler(**kwargs).probabilities(
        mx.nd, mx.nd.array(x, dtype='float64'), mx.nd.array(labels)).asnumpy()


def test_probability_rows():
    rng = np.random.RandomState(3)
    x, labels = pk(rng, 5, 2, 4)
    labels[-1] = 9                                            # a singleton: negatives only
    p = probabilities(x, labels)
    np.testing.assert_allclose(p.sum(axis=1), 1, rtol=1e-12)
    assert (p[labels[:, None] == labels[None, :]] == 0).all()  # never a positive or itself


def test_only_negatives_within_the_loss_cutoff():
    x = np.array([[1.0, 0.0], [1.0, 0.0], [0.6, 0.8], [-1.0, 0.0]])
    labels = np.array([0, 0, 1, 2])
    p = probabilities(x, labels)
    assert p[0, 3] == 0                                       # distance 2 > 1.4, not 0.89
    assert p[0, 2] == pytest.approx(1)
    # Nothing within a smaller cutoff: uniform over the negatives.
    np.testing.assert_allclose(probabilities(x, labels, nonzero_loss_cutoff=0.5)[0],
                               [0, 0, 0.5, 0.5], rtol=1e-12)


def test_one_class_rows_are_zero_and_draws_stay_in_range():
    x = unit_rows(np.random.RandomState(4), 5, 3)
    labels = np.zeros(5)
    assert (probabilities(x, labels) == 0).all()
    drawn = DistanceWeightedSampler()(mx.nd.array(x), mx.nd.array(labels)).asnumpy()
    assert drawn.min() >= 0 and drawn.max() < 5               # arbitrary, but indices
