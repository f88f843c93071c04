"""Lifted structure (Song et al., Deep_Metric's, Hermans et al.'s), contrastive, binomial
deviance and NCA against their references."""
import numpy as np
import pytest

from common.losses import (
    BinomialDevianceLoss,
    ContrastiveLoss,
    DeepMetricLiftedLoss,
    GeneralizedLiftedLoss,
    LiftedStructLoss,
    NCALoss,
)
from loss_checks import (
    assert_finite,
    assert_matches_reference,
    degenerate_batches,
    make_block,
    run_block,
    unit_rows,
)
from references.binomial import binomial_deviance_loss
from references.contrastive import contrastive_loss
from references.lifted import (
    deep_metric_lifted,
    generalized_lifted,
    lifted_hard_paper,
    lifted_playground,
    lifted_smooth_paper,
)
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
@pytest.mark.parametrize('alpha,beta', [(40.0, 2.0), (10.0, 0.5), (2.0, 5.0)])
def test_deep_metric_lifted(n, dim, classes, seed, alpha, beta):
    # Unnormalised embeddings: the loss normalises them itself.
    x, labels = batch(n, dim, classes, seed)
    assert_matches_reference(lambda: DeepMetricLiftedLoss(alpha, beta),
                             lambda z, y: deep_metric_lifted(z, y, alpha, beta), x, labels)


@pytest.mark.parametrize('n,dim,classes,seed', BATCHES)
@pytest.mark.parametrize('neg_margin', [1.0, 0.3, 2.5])
def test_generalized_lifted(n, dim, classes, seed, neg_margin):
    x, labels = batch(n, dim, classes, seed)
    assert_matches_reference(lambda: GeneralizedLiftedLoss(neg_margin),
                             lambda z, y: generalized_lifted(z, y, neg_margin), x, labels)


def lifted_degenerate_batches():
    """(name, embeddings, labels) for the per-anchor lifted forms, beyond random batches."""
    rng = np.random.RandomState(3)
    x = rng.randn(8, 5) * 0.7
    yield 'anchors without positives', x, np.array([0, 0, 1, 2, 3, 3, 3, 4])
    yield 'all singletons', x, np.arange(8)
    yield 'single class', x, np.zeros(8, dtype=int)
    yield 'one pair', x[:2], np.array([0, 0])
    yield 'identical embeddings', np.tile(x[:1], (8, 1)), np.array([0, 0, 1, 1, 2, 2, 3, 3])
    yield 'identical within classes', np.repeat(x[:4], 2, axis=0), np.array([0, 0, 1, 1, 2, 2,
                                                                               3, 3])


@pytest.mark.parametrize('name,x,labels', list(lifted_degenerate_batches()))
@pytest.mark.parametrize('factory,reference', [
    (lambda: DeepMetricLiftedLoss(), deep_metric_lifted),
    (lambda: DeepMetricLiftedLoss(1000.0, 50.0),
     lambda z, y: deep_metric_lifted(z, y, 1000.0, 50.0)),
    (lambda: GeneralizedLiftedLoss(), generalized_lifted)])
def test_per_anchor_lifted_forms_on_degenerate_batches(name, x, labels, factory, reference):
    """Values and gradients; anchors without a positive or a negative contribute 0."""
    assert_matches_reference(factory, reference, x, labels)


def test_per_anchor_lifted_forms_without_any_valid_anchor_are_zero():
    x, _ = batch(6, 4, 2, 0)
    for factory in (DeepMetricLiftedLoss, GeneralizedLiftedLoss):
        for labels in (np.arange(6), np.zeros(6, dtype=int)):
            assert deep_metric_lifted(x, labels) == generalized_lifted(x, labels) == 0.0
            value, grad, _ = run_block(make_block(factory, True), x, labels)
            assert value == 0.0 and not grad.any()


def test_deep_metric_lifted_can_be_negative():
    """No hinge: coinciding positives and opposite negatives give about -4."""
    e = np.eye(3)[:1]
    x = np.concatenate([e, e, -e, -e])
    value = deep_metric_lifted(x, [0, 0, 1, 1])
    assert value == pytest.approx(-4 + 2 / 40 * np.log(2), abs=1e-12)
    got, _, _ = run_block(make_block(DeepMetricLiftedLoss, True), x, [0, 0, 1, 1])
    assert got == pytest.approx(value)


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
                                     DeepMetricLiftedLoss,
                                     lambda: DeepMetricLiftedLoss(1000.0, 50.0),
                                     GeneralizedLiftedLoss, ContrastiveLoss,
                                     BinomialDevianceLoss, lambda: NCALoss(16.0)])
@pytest.mark.parametrize('name,x,labels', list(degenerate_batches()))
def test_finite_on_degenerate_batches(factory, name, x, labels):
    assert_finite(factory, x, labels)


def test_unknown_lifted_form():
    with pytest.raises(ValueError, match=r"form must be one of 'smooth', 'hard' \(got 'soft'\)"):
        LiftedStructLoss(form='soft')


@pytest.mark.parametrize('factory,message', [
    (lambda: DeepMetricLiftedLoss(alpha=0), r'^alpha must be positive \(got 0\)$'),
    (lambda: DeepMetricLiftedLoss(beta=-2.0), r'^beta must be positive \(got -2.0\)$')])
def test_deep_metric_lifted_scales_are_positive(factory, message):
    with pytest.raises(ValueError, match=message):
        factory()
