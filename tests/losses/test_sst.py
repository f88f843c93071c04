import numpy as np
import pytest

from common.losses import StochasticSymmetricTripletLoss
from loss_checks import assert_finite, assert_matches_reference, degenerate_batches
from references.sst import sst_loss, sst_triplets


@pytest.mark.parametrize('n,dim,classes,seed', [
    (8, 3, 2, 0), (12, 8, 3, 1),
    pytest.param(16, 16, 4, 2, marks=pytest.mark.slow)])  # up to 3 s here
@pytest.mark.parametrize('n_targets', [1, 2, 5])
def test_matches_reference(n, dim, classes, seed, n_targets):
    rng = np.random.RandomState(seed)
    x, labels = rng.randn(n, dim) * 0.5, rng.randint(0, classes, n)
    # The targets are chosen by distance: keep the choice fixed in the finite differences.
    triplets = sst_triplets(x, labels, n_targets)
    assert_matches_reference(lambda: StochasticSymmetricTripletLoss(n_targets),
                             lambda z, y: sst_loss(z, y, n_targets, triplets), x, labels)


def test_ties_between_targets_go_to_the_lower_index():
    # Anchor 0 has positives 1 and 2 at the same distance: with one target, 1 is taken.
    x = np.array([[0.0, 0.0], [1.0, 0.0], [-1.0, 0.0], [0.0, 3.0]])
    labels = np.array([0, 0, 0, 1])
    assert (0, 1, 3) in sst_triplets(x, labels, 1) and (0, 2, 3) not in sst_triplets(x, labels, 1)
    assert_matches_reference(lambda: StochasticSymmetricTripletLoss(1),
                             lambda z, y: sst_loss(z, y, 1, sst_triplets(x, labels, 1)), x,
                             labels)


@pytest.mark.parametrize('name,x,labels', list(degenerate_batches()))
def test_finite_on_degenerate_batches(name, x, labels):
    assert_finite(StochasticSymmetricTripletLoss, x, labels)
