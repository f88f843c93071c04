import numpy as np
import pytest

from common.losses import HPHNTripletLoss
from loss_checks import assert_finite, assert_matches_reference, degenerate_batches, unit_rows
from references.hphn_ee import hphn_ee_loss


def paired_batch(classes, per_class, dim, seed):
    rng = np.random.RandomState(seed)
    return unit_rows(rng, classes * per_class, dim), np.repeat(np.arange(classes), per_class)


@pytest.mark.parametrize('classes,per_class,dim,seed', [
    (2, 2, 3, 0), (3, 4, 8, 1),
    pytest.param(4, 4, 16, 2, marks=pytest.mark.slow)])  # 1-3.5 s each here
@pytest.mark.parametrize('n_inner_pts', [0, 1, 2, 3])
@pytest.mark.parametrize('margin,soft', [(1e-5, False), (0.3, False), (0.0, True)])
def test_matches_reference(classes, per_class, dim, seed, n_inner_pts, margin, soft):
    x, labels = paired_batch(classes, per_class, dim, seed)
    assert_matches_reference(
        lambda: HPHNTripletLoss(n_inner_pts, margin, soft),
        lambda z, y: hphn_ee_loss(z, y, n_inner_pts, margin, soft), x, labels, float32=False)


def test_expansion_finds_harder_negatives():
    x, labels = paired_batch(3, 4, 8, 4)
    plain = hphn_ee_loss(x, labels, 0, 0.5)
    assert hphn_ee_loss(x, labels, 2, 0.5) >= plain


@pytest.mark.parametrize('name,x,labels', list(degenerate_batches()))
def test_finite_on_degenerate_batches(name, x, labels):
    assert_finite(lambda: HPHNTripletLoss(2), x, labels)
