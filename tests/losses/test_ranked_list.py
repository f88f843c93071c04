import numpy as np
import pytest

from common.losses import RankedListLoss
from loss_checks import assert_finite, assert_matches_reference, degenerate_batches, unit_rows
from references.ranked_list import ranked_list_loss


@pytest.mark.parametrize('n,dim,classes,seed', [(9, 4, 3, 0), (12, 8, 4, 1), (18, 16, 6, 2)])
@pytest.mark.parametrize('alpha,margin,temperature', [(1.2, 0.4, 10.0), (1.0, 0.2, 0.0),
                                                      (1.4, 0.6, 30.0)])
def test_matches_reference(n, dim, classes, seed, alpha, margin, temperature):
    rng = np.random.RandomState(seed)
    x, labels = unit_rows(rng, n, dim), rng.randint(0, classes, n)
    kw = dict(alpha=alpha, margin=margin, temperature=temperature)
    assert_matches_reference(lambda: RankedListLoss(**kw),
                             lambda z, y: ranked_list_loss(z, y, **kw), x, labels)


def test_detached_weights_give_the_paper_gradient():
    rng = np.random.RandomState(3)
    x, labels = unit_rows(rng, 12, 6), rng.randint(0, 3, 12)
    fixed = x.copy()
    assert_matches_reference(lambda: RankedListLoss(detach_weights=True),
                             lambda z, y: ranked_list_loss(z, y, weight_embeddings=fixed),
                             x, labels)


def test_large_temperature_does_not_overflow():
    rng = np.random.RandomState(4)
    x, labels = unit_rows(rng, 10, 4), rng.randint(0, 3, 10)
    assert_finite(lambda: RankedListLoss(alpha=2.0, temperature=200.0), x, labels)


@pytest.mark.parametrize('name,x,labels', list(degenerate_batches()))
def test_finite_on_degenerate_batches(name, x, labels):
    assert_finite(RankedListLoss, x, labels)
