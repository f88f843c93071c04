import numpy as np
import pytest

from common.losses import AngularLoss, NPairLoss, WeightedSum
from loss_checks import assert_finite, assert_matches_reference, degenerate_batches
from references.npair_angular import angular_loss, npair_loss


def pairs(n, dim, seed, repeat_label=False):
    rng = np.random.RandomState(seed)
    labels = rng.permutation(20)[:n]
    if repeat_label:
        labels[1] = labels[0]
    return rng.randn(2 * n, dim) * 0.5, np.concatenate([labels, labels])


def split(reference):
    return lambda z, y: reference(z[:len(z) // 2], z[len(z) // 2:], y[:len(y) // 2])


@pytest.mark.parametrize('n,dim,seed,repeat', [(4, 3, 0, False), (6, 8, 1, False),
                                               (8, 16, 2, True)])
@pytest.mark.parametrize('symmetric', [False, True])
def test_npair(n, dim, seed, repeat, symmetric):
    x, labels = pairs(n, dim, seed, repeat)
    assert_matches_reference(lambda: NPairLoss(l2_reg=5e-3, symmetric=symmetric),
                             split(lambda a, p, y: npair_loss(a, p, y, 5e-3, symmetric)),
                             x, labels)


@pytest.mark.parametrize('n,dim,seed,repeat', [(4, 3, 0, False), (6, 8, 1, False),
                                               (8, 16, 2, True)])
@pytest.mark.parametrize('alpha,symmetric', [(45.0, False), (36.0, True), (55.0, False)])
def test_angular(n, dim, seed, repeat, alpha, symmetric):
    x, labels = pairs(n, dim, seed, repeat)
    assert_matches_reference(
        lambda: AngularLoss(alpha, l2_reg=5e-4, symmetric=symmetric),
        split(lambda a, p, y: angular_loss(a, p, y, alpha, 5e-4, symmetric)), x, labels)


def test_npair_plus_lambda_angular():
    x, labels = pairs(6, 8, 3)
    lam = 2.0

    def reference(a, p, y):
        return npair_loss(a, p, y, 5e-4) + lam * angular_loss(a, p, y, 45.0, 0.0)
    assert_matches_reference(
        lambda: WeightedSum([(1.0, NPairLoss(5e-4)), (lam, AngularLoss(45.0, l2_reg=0.0))]),
        split(reference), x, labels)


def test_alpha_must_be_an_acute_angle():
    with pytest.raises(ValueError, match='between 0 and 90'):
        AngularLoss(90)


@pytest.mark.parametrize('loss', [NPairLoss, AngularLoss])
@pytest.mark.parametrize('name,x,labels', list(degenerate_batches()))
def test_finite_on_degenerate_batches(loss, name, x, labels):
    assert_finite(loss, x, labels)
