import mxnet as mx
import numpy as np
import pytest

from common.losses import DirectionRegularizedTripletLoss, dr_cosine
from loss_checks import assert_finite, assert_matches_reference, degenerate_batches
from references.direction import dr_cosine as reference_cosine
from references.direction import dr_triplet_loss


@pytest.mark.parametrize('angle', ['phi', 'theta'])
def test_cosine_from_dot_products(angle):
    rng = np.random.RandomState(0)
    for _ in range(20):
        a, p, n = rng.randn(3, 5)
        dots = {k: mx.nd.array([float(np.dot(u, v))], dtype='float64') for k, (u, v) in
                dict(aa=(a, a), pp=(p, p), nn=(n, n), ap=(a, p), an=(a, n), pn=(p, n)).items()}
        got = dr_cosine(mx.nd, dots['aa'], dots['pp'], dots['nn'], dots['ap'], dots['an'],
                        dots['pn'], angle, 1e-3).asscalar()
        assert got == pytest.approx(reference_cosine(a, p, n, angle, 1e-3), abs=1e-10)


@pytest.mark.parametrize('n,dim,classes,seed', [(8, 3, 2, 0), (12, 8, 3, 1), (16, 16, 4, 2)])
@pytest.mark.parametrize('angle,sign,gamma,margin', [('phi', 1.0, 0.3, 0.2),
                                                     ('theta', 1.0, 0.5, 0.3),
                                                     ('phi', -1.0, 0.3, 0.2),
                                                     ('phi', 1.0, 0.0, 0.2)])
def test_triplet_matches_reference(n, dim, classes, seed, angle, sign, gamma, margin):
    rng = np.random.RandomState(seed)
    x, labels = rng.randn(n, dim) * 0.5, rng.randint(0, classes, n)
    kw = dict(margin=margin, gamma=gamma, angle=angle, sign=sign, tau=1e-3)
    assert_matches_reference(lambda: DirectionRegularizedTripletLoss(**kw),
                             lambda z, y: dr_triplet_loss(z, y, **kw), x, labels)


def test_anchor_equal_to_positive_is_masked_not_nan():
    # The division by |p - a| that stopped a public reproduction: a == p exactly.
    x = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    labels = np.array([0, 0, 1, 1])
    kw = dict(margin=0.2, gamma=0.3, tau=1e-3)
    assert_matches_reference(lambda: DirectionRegularizedTripletLoss(**kw),
                             lambda z, y: dr_triplet_loss(z, y, **kw), x, labels)
    assert_finite(lambda: DirectionRegularizedTripletLoss(**kw), x, labels)


@pytest.mark.parametrize('angle', ['phi', 'theta'])
@pytest.mark.parametrize('name,x,labels', list(degenerate_batches()))
def test_finite_on_degenerate_batches(angle, name, x, labels):
    assert_finite(lambda: DirectionRegularizedTripletLoss(angle=angle), x, labels)


def test_unknown_angle():
    with pytest.raises(ValueError, match="'phi' or 'theta'"):
        DirectionRegularizedTripletLoss(angle='psi')
