import numpy as np
import pytest

from common.losses import NormalizedSoftmaxLoss
from loss_checks import assert_finite, assert_matches_reference, degenerate_batches, make_block
from references.normalized_softmax import normalized_softmax_loss

CASES = [(8, 4, 3, 0), (12, 8, 5, 1), (16, 16, 7, 2), (6, 5, 2, 3)]
SETTINGS = [(0.05, 0.1), (0.1, 0.0), (0.5, 0.1), (0.05, 0.0)]


def batch(n, dim, classes, seed):
    rng = np.random.RandomState(seed)
    return rng.randn(n, dim), rng.randint(0, classes, n), rng.randn(classes, dim)


@pytest.mark.parametrize('n,dim,classes,seed', CASES)
@pytest.mark.parametrize('temperature,smoothing', SETTINGS)
def test_matches_reference(n, dim, classes, seed, temperature, smoothing):
    x, labels, proxies = batch(n, dim, classes, seed)
    kw = dict(temperature=temperature, smoothing=smoothing)
    assert_matches_reference(
        lambda: NormalizedSoftmaxLoss(classes, dim, **kw),
        lambda z, y, proxies: normalized_softmax_loss(z, y, proxies, **kw),
        x, labels, params={'proxies': proxies})


def test_defaults_are_temperature_005_smoothing_01():
    x, labels, proxies = batch(10, 6, 4, 7)
    assert_matches_reference(
        lambda: NormalizedSoftmaxLoss(4, 6),
        lambda z, y, proxies: normalized_softmax_loss(z, y, proxies, 0.05, 0.1),
        x, labels, params={'proxies': proxies})


def test_embedding_on_its_proxy():
    proxies = np.random.RandomState(8).randn(5, 6)
    labels = np.array([0, 1, 2, 3, 4, 2])
    x = 3.0 * proxies[labels]
    assert_matches_reference(
        lambda: NormalizedSoftmaxLoss(5, 6, temperature=0.05, smoothing=0.1),
        lambda z, y, proxies: normalized_softmax_loss(z, y, proxies, 0.05, 0.1),
        x, labels, params={'proxies': proxies})


@pytest.mark.parametrize('n,dim,classes,seed', [(8, 4, 3, 0), (12, 8, 5, 1), (10, 7, 7, 2)])
@pytest.mark.parametrize('temperature,smoothing', SETTINGS)
def test_static_proxies(n, dim, classes, seed, temperature, smoothing):
    x, labels, _ = batch(n, dim, classes, seed)
    kw = dict(temperature=temperature, smoothing=smoothing)
    assert_matches_reference(
        lambda: NormalizedSoftmaxLoss(classes, dim, static_proxies=True, **kw),
        lambda z, y: normalized_softmax_loss(z, y, np.eye(classes, dim), **kw), x, labels)


def test_static_proxies_have_no_learnable_parameter():
    block = make_block(lambda: NormalizedSoftmaxLoss(4, 6, static_proxies=True), False)
    learnable = [n for n, p in block.collect_params().items() if p.grad_req != 'null']
    assert learnable == []


def test_learnable_proxies_parameter():
    block = make_block(lambda: NormalizedSoftmaxLoss(4, 6), False)
    names = [n for n in block.collect_params() if n.endswith('proxies')]
    assert len(names) == 1
    assert block.collect_params()[names[0]].shape == (4, 6)


@pytest.mark.parametrize('static', [False, True])
@pytest.mark.parametrize('name,x,labels', list(degenerate_batches()))
def test_finite_on_degenerate_batches(static, name, x, labels):
    assert_finite(lambda: NormalizedSoftmaxLoss(6, x.shape[1], static_proxies=static), x, labels)


@pytest.mark.parametrize('name,x,labels', list(degenerate_batches()))
def test_finite_with_degenerate_proxies(name, x, labels):
    proxies = np.random.RandomState(9).randn(6, x.shape[1])
    proxies[1] = 0.0                 # a zero proxy
    proxies[3] = 1e3 * proxies[2]    # two proxies in the same direction
    assert_finite(lambda: NormalizedSoftmaxLoss(6, x.shape[1]), x, labels,
                  params={'proxies': proxies})


def test_static_proxies_need_embed_dim_at_least_num_classes():
    with pytest.raises(ValueError):
        NormalizedSoftmaxLoss(8, 4, static_proxies=True)
    NormalizedSoftmaxLoss(8, 4)  # learnable proxies do not need it
    NormalizedSoftmaxLoss(4, 4, static_proxies=True)


@pytest.mark.parametrize('kwargs', [dict(num_classes=1, embed_dim=4),
                                    dict(num_classes=0, embed_dim=4),
                                    dict(num_classes=3, embed_dim=4, temperature=0.0),
                                    dict(num_classes=3, embed_dim=4, temperature=-0.1),
                                    dict(num_classes=3, embed_dim=4, smoothing=1.0),
                                    dict(num_classes=3, embed_dim=4, smoothing=-0.1)])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError):
        NormalizedSoftmaxLoss(**kwargs)
