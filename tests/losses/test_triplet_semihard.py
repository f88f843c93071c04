import mxnet as mx
import numpy as np
import pytest

from common.losses import TripletSemiHardLoss
from loss_checks import assert_finite, assert_matches_reference, degenerate_batches
from references.triplet_semihard import triplet_semihard_loss


@pytest.mark.parametrize('n,dim,classes,seed', [(8, 3, 2, 0), (12, 5, 3, 1), (16, 8, 4, 2),
                                                 (18, 6, 5, 3)])
@pytest.mark.parametrize('margin', [1.0, 0.2])
def test_matches_reference_on_random_batches(n, dim, classes, seed, margin):
    rng = np.random.RandomState(seed)
    x = rng.randn(n, dim) * 0.6
    labels = rng.randint(0, classes, n)
    assert_matches_reference(lambda: TripletSemiHardLoss(margin),
                             lambda z, y: triplet_semihard_loss(z, y, margin), x, labels)


def test_fallback_to_farthest_negative_is_used():
    # Anchor 0's positive is farther than every negative: no semi-hard negative exists.
    x = np.array([[0.0, 0.0], [3.0, 0.0], [1.0, 0.0], [0.0, 1.5]])
    labels = np.array([0, 0, 1, 1])
    assert_matches_reference(TripletSemiHardLoss, triplet_semihard_loss, x, labels)
    # Pairs (0,1),(1,0),(2,3),(3,2); (0,1): D_ap = 9, farthest negative D = 2.25 -> 1 + 9 - 2.25.
    assert triplet_semihard_loss(x, labels) > 0


def test_single_class_batch_counts_nothing():
    # Without negatives no triplet exists (the playground would add margin + D_ap here).
    x = mx.nd.array(np.random.RandomState(0).randn(5, 4))
    assert TripletSemiHardLoss()(x, mx.nd.zeros(5)).asscalar() == 0.0


@pytest.mark.parametrize('name,x,labels', list(degenerate_batches()))
def test_finite_on_degenerate_batches(name, x, labels):
    assert_finite(TripletSemiHardLoss, x, labels)
