import numpy as np
import pytest

from common.losses import DirectionRegularizer, MultiSimilarityLoss
from common.losses.multi_similarity import OFFICIAL_CODE, PUBLISHED
from loss_checks import assert_finite, assert_matches_reference, degenerate_batches, unit_rows
from references.multi_similarity import ms_loss


def with_direction(alpha=2.0, beta=50.0, base=1.0, epsilon=0.1, **direction):
    """The loss with its regulariser given by keyword, as the reference takes it."""
    return MultiSimilarityLoss(alpha, beta, base, epsilon, DirectionRegularizer(**direction))


@pytest.mark.parametrize('n,dim,classes,seed', [(10, 4, 3, 0), (16, 8, 4, 1), (20, 16, 5, 2)])
@pytest.mark.parametrize('params', [PUBLISHED, OFFICIAL_CODE, dict(alpha=2, beta=10, base=0.5,
                                                                   epsilon=0.3)])
def test_matches_reference(n, dim, classes, seed, params):
    rng = np.random.RandomState(seed)
    x, labels = unit_rows(rng, n, dim), rng.randint(0, classes, n)
    assert_matches_reference(lambda: MultiSimilarityLoss(**params),
                             lambda z, y: ms_loss(z, y, **params), x, labels)


@pytest.mark.parametrize('n,dim,classes,seed', [(10, 4, 3, 3), (16, 8, 4, 4)])
@pytest.mark.parametrize('angle,sign,gamma', [('phi', 1.0, 0.3), ('theta', 1.0, 0.4),
                                              ('phi', -1.0, 0.2)])
def test_with_direction_regularization_matches_reference(n, dim, classes, seed, angle, sign,
                                                          gamma):
    rng = np.random.RandomState(seed)
    x, labels = unit_rows(rng, n, dim), rng.randint(0, classes, n)
    kw = dict(OFFICIAL_CODE, gamma=gamma, angle=angle, sign=sign, tau=1e-3)
    assert_matches_reference(lambda: with_direction(**kw),
                             lambda z, y: ms_loss(z, y, **kw), x, labels)


@pytest.mark.parametrize('gamma', [0.0, 0.3])
@pytest.mark.parametrize('name,x,labels', list(degenerate_batches()))
def test_finite_on_degenerate_batches(gamma, name, x, labels):
    assert_finite(lambda: with_direction(gamma=gamma), x, labels)
