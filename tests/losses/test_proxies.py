import numpy as np
import pytest

from common.losses import DirectionRegularizer, ProxyNCALoss, ProxyTripletLoss, ProxyXentropyLoss
from loss_checks import assert_finite, assert_matches_reference, degenerate_batches
from references.direction import dr_proxy_nca_loss
from references.proxy import proxy_nca_loss, proxy_triplet_loss, proxy_xentropy_loss

CASES = [(8, 4, 3, 0), (12, 8, 5, 1), (16, 16, 7, 2)]


def batch(n, dim, classes, seed):
    rng = np.random.RandomState(seed)
    return rng.randn(n, dim), rng.randint(0, classes, n), rng.randn(classes, dim)


@pytest.mark.parametrize('n,dim,classes,seed', CASES)
@pytest.mark.parametrize('scale,temperature,smoothing', [(3.0, 1.0, 0.0), (1.0, 0.5, 0.1),
                                                         (2.0, 0.3, 0.1)])
@pytest.mark.parametrize('loss,reference', [(ProxyNCALoss, proxy_nca_loss),
                                            (ProxyXentropyLoss, proxy_xentropy_loss)])
def test_proxy_nca_and_xentropy(n, dim, classes, seed, scale, temperature, smoothing, loss,
                                reference):
    x, labels, proxies = batch(n, dim, classes, seed)
    kw = dict(scale=scale, temperature=temperature, smoothing=smoothing)
    assert_matches_reference(lambda: loss(classes, dim, **kw),
                             lambda z, y, proxies: reference(z, y, proxies, **kw),
                             x, labels, params={'proxies': proxies})


@pytest.mark.parametrize('n,dim,classes,seed', CASES)
def test_proxy_triplet(n, dim, classes, seed):
    x, labels, proxies = batch(n, dim, classes, seed)
    assert_matches_reference(lambda: ProxyTripletLoss(classes, dim),
                             lambda z, y, proxies: proxy_triplet_loss(z, y, proxies),
                             x, labels, params={'proxies': proxies})


@pytest.mark.parametrize('n,dim,classes,seed', CASES)
@pytest.mark.parametrize('angle,sign,gamma', [('phi', 1.0, 0.3), ('theta', 1.0, 0.45),
                                              ('phi', -1.0, 0.2)])
def test_proxy_nca_with_direction_regularization(n, dim, classes, seed, angle, sign, gamma):
    x, labels, proxies = batch(n, dim, classes, seed)
    kw = dict(gamma=gamma, angle=angle, sign=sign, tau=1e-3)
    assert_matches_reference(lambda: ProxyNCALoss(classes, dim, DirectionRegularizer(**kw)),
                             lambda z, y, proxies: dr_proxy_nca_loss(z, y, proxies, **kw),
                             x, labels, params={'proxies': proxies})


def test_embedding_on_its_proxy_is_finite_with_direction_regularization():
    proxies = np.eye(3, 4)
    x = np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 0]])  # each exactly on its proxy
    for angle in ('phi', 'theta'):
        assert_finite(lambda: ProxyNCALoss(3, 4, DirectionRegularizer(0.3, angle)), x, np.arange(3),
                      params={'proxies': proxies})


@pytest.mark.parametrize('loss', [ProxyNCALoss, ProxyXentropyLoss, ProxyTripletLoss])
@pytest.mark.parametrize('name,x,labels', list(degenerate_batches()))
def test_finite_on_degenerate_batches(loss, name, x, labels):
    assert_finite(lambda: loss(max(int(labels.max()) + 1, 2), x.shape[1]), x, labels)


def test_needs_two_classes():
    with pytest.raises(ValueError, match=r'num_classes must be an integer >= 2 \(got 1\)'):
        ProxyNCALoss(1, 8)
