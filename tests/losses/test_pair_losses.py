"""Lifted structure, contrastive, binomial deviance and NCA against their references."""
import numpy as np
import pytest

from common.losses import BinomialDevianceLoss, ContrastiveLoss, LiftedStructLoss, NCALoss
from loss_checks import assert_finite, assert_matches_reference, degenerate_batches, unit_rows
from references.binomial import binomial_deviance_loss
from references.contrastive import contrastive_loss
from references.lifted import lifted_hard_paper, lifted_playground, lifted_smooth_paper
from references.nca import nca_loss

BATCHES = [(8, 3, 2, 0), (12, 8, 3, 1), (16, 16, 5, 2)]


def batch(n, dim, classes, seed, unit=False, scale=0.7):
    rng = np.random.RandomState(seed)
    x = unit_rows(rng, n, dim) if unit else rng.randn(n, dim) * scale
    return x, rng.randint(0, classes, n)


@pytest.mark.parametrize('n,dim,classes,seed', BATCHES)
@pytest.mark.parametrize('margin', [1.0, 0.5])
@pytest.mark.parametrize('form,reference', [('smooth', lifted_playground),
                                            ('smooth', lifted_smooth_paper),
                                            ('hard', lifted_hard_paper)])
def test_lifted(n, dim, classes, seed, margin, form, reference):
    x, labels = batch(n, dim, classes, seed)
    assert_matches_reference(lambda: LiftedStructLoss(margin, form),
                             lambda z, y: reference(z, y, margin), x, labels)


def test_playground_bookkeeping_is_the_papers_smooth_loss():
    for seed in range(5):
        x, labels = batch(14, 6, 4, seed)
        assert lifted_playground(x, labels) == pytest.approx(lifted_smooth_paper(x, labels))


@pytest.mark.parametrize('n,dim,classes,seed', BATCHES)
@pytest.mark.parametrize('pos_margin,neg_margin', [(0.0, 1.0), (0.3, 1.4), (0.5, 0.8)])
def test_contrastive(n, dim, classes, seed, pos_margin, neg_margin):
    x, labels = batch(n, dim, classes, seed, unit=True)
    assert_matches_reference(lambda: ContrastiveLoss(pos_margin, neg_margin),
                             lambda z, y: contrastive_loss(z, y, pos_margin, neg_margin),
                             x, labels)


@pytest.mark.parametrize('n,dim,classes,seed', BATCHES)
@pytest.mark.parametrize('alpha,beta,cost', [(2.0, 0.5, 20.0), (2.0, 0.5, 25.0), (5.0, 0.2, 1.0)])
def test_binomial_deviance(n, dim, classes, seed, alpha, beta, cost):
    x, labels = batch(n, dim, classes, seed, unit=True)
    assert_matches_reference(lambda: BinomialDevianceLoss(alpha, beta, cost),
                             lambda z, y: binomial_deviance_loss(z, y, alpha, beta, cost),
                             x, labels)


@pytest.mark.parametrize('n,dim,classes,seed', BATCHES)
@pytest.mark.parametrize('scale', [1.0, 8.0])
def test_nca(n, dim, classes, seed, scale):
    x, labels = batch(n, dim, classes, seed, unit=True)
    assert_matches_reference(lambda: NCALoss(scale), lambda z, y: nca_loss(z, y, scale),
                             x, labels)


@pytest.mark.parametrize('factory', [LiftedStructLoss, lambda: LiftedStructLoss(form='hard'),
                                     ContrastiveLoss, BinomialDevianceLoss,
                                     lambda: NCALoss(16.0)])
@pytest.mark.parametrize('name,x,labels', list(degenerate_batches()))
def test_finite_on_degenerate_batches(factory, name, x, labels):
    assert_finite(factory, x, labels)


def test_unknown_lifted_form():
    with pytest.raises(ValueError, match=r"form must be one of 'smooth', 'hard' \(got 'soft'\)"):
        LiftedStructLoss(form='soft')
